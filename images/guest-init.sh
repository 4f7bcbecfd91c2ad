#!/bin/busybox sh
# /init of Hone's test guests: a linear list of named steps, each reporting
# on the serial console with a HONE- prefix that the harness watches for.
#   mount filesystems -> network -> kernel modules -> hone modules -> ssh -> ready
# The harness reads /etc/hone/* (written when the image is made).

/bin/busybox --install -s
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
echo "HONE-INIT"

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
	echo "HONE-MODULES-LOADED"
}

start_ssh() {
	echo 0 2147483647 > /proc/sys/net/ipv4/ping_group_range
	dropbear -r /etc/dropbear/host_key -p 22 -E -s 2>/tmp/dropbear.log
}

mount_filesystems
bring_up_network || echo "HONE-NET-FAIL"
load_hone
start_ssh || echo "HONE-SSH-FAIL"
echo "HONE-READY $(cut -d' ' -f1 /proc/uptime)"

# Stay alive; the harness powers the guest off over ssh (poweroff -f).
while true; do sleep 3600; done
