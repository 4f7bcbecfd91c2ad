#!/bin/busybox sh
# /init of Hone's test guests: a linear list of named steps, each reporting
# on the serial console with a HONE- prefix that the harness watches for.
#   mount filesystems -> network (its kernel modules) -> ssh -> hone modules -> ready
# dropbear starts before Hone's modules load so that the harness can open its
# SSH connection while they load (guest/guest.ts: ready = HONE-READY and SSH
# connected). Each step's marker carries the guest uptime in seconds, so the
# console shows where boot time goes.
# The harness reads /etc/hone/* (written when the image is made).

/bin/busybox --install -s
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
echo "HONE-INIT"

# mark NAME: "HONE-NAME <uptime s>" on the console
mark() { echo "HONE-$1 $(cut -d' ' -f1 /proc/uptime)"; }

mount_filesystems() {
	mount -t proc proc /proc
	mount -t sysfs sys /sys
	mount -t devtmpfs dev /dev 2>/dev/null
	mkdir -p /dev/pts /tmp /run /var/run /root
	mount -t devpts devpts /dev/pts
	mount -t tmpfs tmp /tmp
	hostname hone-guest
}

load_list() {
	# $1: file with one module path per line, in load order
	while read -r ko; do
		[ -n "$ko" ] || continue
		if ! out=$(insmod "$ko" 2>&1); then
			echo "HONE-MODULE-FAIL $ko $out"
			return 1
		fi
	done < "$1"
}

bring_up_network() {
	load_list /etc/hone/net.load || return 1
	ip link set lo up
	ip link set eth0 up
	ip addr add 10.0.2.15/24 dev eth0
	ip route add default via 10.0.2.2
}

load_hone() {
	[ -f /etc/hone/hone.load ] && [ -f /etc/hone/autoload ] || return 0
	load_list /etc/hone/hone.load || return 1
	for dev in /dev/hone /dev/honet; do
		[ -e "$dev" ] || { echo "HONE-MODULE-FAIL no $dev after loading the modules"; return 1; }
	done
	mark MODULES-LOADED
}

start_ssh() {
	echo 0 2147483647 > /proc/sys/net/ipv4/ping_group_range
	dropbear -r /etc/dropbear/host_key -p 22 -E -s 2>/tmp/dropbear.log
}

mount_filesystems
mark MOUNTED
if bring_up_network; then mark NET-UP; else echo "HONE-NET-FAIL"; fi
if start_ssh; then mark SSH-UP; else echo "HONE-SSH-FAIL"; fi
load_hone
mark READY

# Stay alive; the harness powers the guest off over ssh (poweroff -f).
while true; do sleep 3600; done
