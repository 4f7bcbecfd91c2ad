#!/bin/sh
# PID 1 of the Debian root in the package test: install the hone-dkms deb
# the way an operator would, let DKMS build the modules for this running
# kernel, load them with modprobe, read a few events, power off.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t tmpfs tmp /tmp
mount -o remount,rw /
ln -sf /proc/self/fd /dev/fd; ln -sf /proc/self/fd/0 /dev/stdin; ln -sf /proc/self/fd/1 /dev/stdout; ln -sf /proc/self/fd/2 /dev/stderr
hostname hone-debian
ip link set lo up 2>/dev/null
echo "HONE-DEBIAN-ROOT $(cat /etc/debian_version) kernel $(uname -r)"
step() { echo "HONE-DKMS-STEP $*"; }
fail() { echo "HONE-DKMS-FAIL $*"; sync; echo o > /proc/sysrq-trigger; sleep 10; }
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
echo "HONE-DKMS-OK"
sync
echo o > /proc/sysrq-trigger
sleep 10
