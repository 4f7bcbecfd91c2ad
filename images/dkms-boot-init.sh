#!/bin/busybox sh
# /init of the initramfs that boots a full Debian root for the package test:
# load the disk and filesystem modules, mount the root, hand over to its
# systemd (which runs hone-package-test.service).
/bin/busybox --install -s
export PATH=/sbin:/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
echo "HONE-INIT"
while read -r ko; do
	[ -n "$ko" ] && insmod "$ko" 2>/dev/null
done < /etc/hone/boot.load
for i in 1 2 3 4 5 6 7 8 9 10; do [ -b /dev/vda ] && break; sleep 0.5; done
mkdir -p /newroot
mount -t ext4 /dev/vda /newroot || { echo "HONE-DKMS-FAIL cannot mount the Debian root"; poweroff -f; }
umount /proc /sys
mount --move /dev /newroot/dev
exec switch_root /newroot /lib/systemd/systemd
