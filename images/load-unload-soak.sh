#!/bin/sh
# Load/unload soak for Hone's modules, run inside a guest booted with
# `npx hone shell <kernel> --no-load`: N cycles of insmod (the stack and its
# dependencies, from /etc/hone/hone.load), two readers, traffic flowing the
# whole time (HTTP over v4 and v6, ping, UDP and TCP from hone-bench), then
# rmmod of the five modules with the readers still open. Prints a summary
# line; any Oops/BUG/WARNING on the console fails the harness command.
#
#   npx hone shell debian-6.12 --no-load \
#     --put harness/bench/guest/hone-bench:/tmp/hone-bench \
#     --put images/load-unload-soak.sh:/tmp/soak.sh -c 'sh /tmp/soak.sh 100'
N=${1:-100}
BENCH=${BENCH:-/tmp/hone-bench}
mkdir -p /tmp/www && echo hi > /tmp/www/index.html
httpd -p 127.0.0.1:8080 -h /tmp/www
httpd -p [::1]:8081 -h /tmp/www
(
	while true; do
		wget -q -O /dev/null http://127.0.0.1:8080/
		wget -q -O /dev/null http://[::1]:8081/
		ping -c1 -W1 127.0.0.1 >/dev/null
		ping6 -c1 -W1 ::1 >/dev/null
		"$BENCH" udp-burst 50 >/dev/null
		"$BENCH" tcp-rr 20 >/dev/null
	done
) >/dev/null 2>&1 &
traffic=$!
i=0
fail=0
while [ "$i" -lt "$N" ]; do
	while read -r ko; do insmod "$ko" 2>/dev/null; done < /etc/hone/hone.load
	[ -e /dev/honet ] || fail=$((fail + 1))
	cat /dev/honet > /tmp/soak-text.txt &
	cat /dev/hone > /dev/null &
	usleep 300000
	for m in honeevent hone_notify packet_notify socket_notify process_notify; do
		rmmod "$m" || fail=$((fail + 1))
	done
	i=$((i + 1))
done
kill "$traffic"
left=$(lsmod | grep -cE '^(honeevent|hone_notify|packet_notify|socket_notify|process_notify) ')
echo "soak: cycles=$i failures=$fail modules_left=$left last_reader_lines=$(wc -l < /tmp/soak-text.txt) last_line=$(tail -n 1 /tmp/soak-text.txt | cut -d' ' -f2)"
[ "$fail" -eq 0 ] && [ "$left" -eq 0 ]
