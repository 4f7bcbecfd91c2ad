#!/bin/sh
# The package test inside its Debian guest, run by systemd
# (hone-package-test.service): install hone-dkms and hone-tools the way an
# operator would, let DKMS build the modules for this kernel, load and
# unload them, then run the recorder as a service: start it, make traffic,
# rotate with logrotate three times, stop it. A second honeread (never
# rotated) records the same time to /root/ref.pcapng; the host reads both
# out of the disk image afterwards and checks them (dkms-guest.ts).
#
#   hone.service  honeread -a -s 128 /var/log/hone/hone.pcapng
#   reference     honeread /root/ref.pcapng
#   traffic       hone-traffic between HONE-MARK-BEGIN and HONE-MARK-END
#   logrotate -f  x3, each: rename, postrotate SIGHUP, honeread reopens
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
# step NAME: "HONE-DKMS-STEP <uptime s> NAME" (the host logs each and times them)
step() { echo "HONE-DKMS-STEP $(cut -d' ' -f1 /proc/uptime) $*"; }
fail() { echo "HONE-DKMS-FAIL $*"; sync; echo o > /proc/sysrq-trigger; sleep 10; exit 1; }
# wait_for N CMD...: up to N tenths of a second for CMD to succeed
wait_for() {
	n=$1
	shift
	until "$@"; do
		n=$((n - 1))
		[ $n -le 0 ] && return 1
		sleep 0.1
	done
}
LOG=/var/log/hone
echo "HONE-DEBIAN-ROOT $(cat /etc/debian_version) kernel $(uname -r) init $(cat /proc/1/comm)"

step "dpkg -i hone-dkms"
dpkg -i /root/hone-dkms.deb || fail "dpkg -i /root/hone-dkms.deb exited $?"
dkms status
step "modprobe honeevent"
modprobe honeevent || fail "modprobe honeevent exited $?"
lsmod | grep -E '^(honeevent|hone_notify|packet_notify|socket_notify|process_notify) '
ls -l /dev/hone /dev/honet || fail "no /dev/hone after modprobe"
step "read /dev/honet"
timeout 5 head -n 5 /dev/honet
step "modprobe -r honeevent"
modprobe -r honeevent hone_notify packet_notify socket_notify process_notify || fail "modprobe -r exited $?"

step "dpkg -i hone-tools"
dpkg -i /root/hone-tools.deb || fail "dpkg -i /root/hone-tools.deb exited $?"
getent group hone || fail "no group hone"
step "systemctl enable --now hone"
systemctl enable --now hone.service || fail "systemctl enable --now hone exited $?"
wait_for 300 test -s $LOG/hone.pcapng || { journalctl -u hone --no-pager | tail; fail "no $LOG/hone.pcapng"; }
systemctl --no-pager status hone.service | head -n 5
honeread /root/ref.pcapng 2> /root/ref.log & REF=$!
wait_for 100 test -s /root/ref.pcapng || fail "the reference recorder did not start"
sleep 1
/bin/true HONE-MARK-BEGIN
sleep 1
/root/hone-traffic /root/stop > /root/traffic.log 2>&1 & TRAFFIC=$!
sleep 2
for i in 1 2 3; do
	step "logrotate -f ($i)"
	logrotate -f /etc/logrotate.d/hone || fail "logrotate exited $?"
	wait_for 300 test -s $LOG/hone.pcapng || fail "no new $LOG/hone.pcapng after rotation $i"
	sleep 2
done
touch /root/stop
wait $TRAFFIC
echo "traffic: $(cat /root/traffic.log)"
sleep 1
/bin/true HONE-MARK-END
sleep 1
step "systemctl stop hone"
systemctl stop hone.service || fail "systemctl stop hone exited $?"
journalctl -u hone --no-pager -o cat | grep honeread | tail -n 3
kill -TERM $REF
wait $REF
tail -n 1 /root/ref.log
ls -l $LOG
stat -c 'HONE-DKMS-FILE %n %a %U:%G' $LOG $LOG/*
modprobe -r honeevent hone_notify packet_notify socket_notify process_notify || fail "modprobe -r after the service exited $?"
echo "HONE-DKMS-OK $(cut -d' ' -f1 /proc/uptime)"
sync
echo o > /proc/sysrq-trigger
sleep 10
