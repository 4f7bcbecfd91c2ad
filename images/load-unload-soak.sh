#!/bin/sh
# Load/unload soak for Hone's modules, run inside a guest booted with
# `npx hone shell <kernel> --no-load`: N cycles of insmod (the stack and its
# dependencies, from /etc/hone/hone.load), two readers, traffic flowing the
# whole time (HTTP over v4 and v6, ping, UDP and TCP from hone-bench); rmmod
# with the readers still open must be refused at once (an open reader pins
# the module) and leave it loaded; then the readers close and the five
# modules are removed. Prints a summary line (and a line per failure, with
# its cycle and what failed); any Oops/BUG/WARNING on the console fails the
# harness command. FIRST_LINES_WAIT (tenths of a second, default 30) is how
# long the text reader may take to get its first lines.
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
# reading PID DEV: PID has DEV open
reading() {
	ls -l /proc/"$1"/fd 2>/dev/null | grep -q " $2\$"
}
i=0
fail=0
refused_not=0
WAIT=${FIRST_LINES_WAIT:-30}
failed() { fail=$((fail + 1)); echo "soak: cycle $i: $*" >&2; }
while [ "$i" -lt "$N" ]; do
	while read -r ko; do insmod "$ko" 2>/dev/null; done < /etc/hone/hone.load
	[ -e /dev/honet ] || failed "no /dev/honet after insmod"
	# (removed first: the background shell truncates it only when it runs,
	# and the last cycle's lines must not pass for this cycle's)
	rm -f /tmp/soak-text.txt
	cat /dev/honet > /tmp/soak-text.txt &
	text=$!
	cat /dev/hone > /dev/null &
	pcap=$!
	# Both readers open and the text reader's first lines (3 s at most by default).
	j=0
	until [ -s /tmp/soak-text.txt ] && reading "$pcap" /dev/hone || [ "$j" -ge "$WAIT" ]; do usleep 100000; j=$((j + 1)); done
	if [ -s /tmp/soak-text.txt ]; then
		[ "$j" -gt "${slowest:-0}" ] && slowest=$j
	else
		failed "the text reader had no line after $((WAIT / 10)).$((WAIT % 10)) s"
	fi
	reading "$pcap" /dev/hone || failed "the PCAP-NG reader did not open /dev/hone"
	# Refused, promptly, and still loaded (a hang is killed and counted).
	timeout 5 rmmod honeevent 2>/dev/null && refused_not=$((refused_not + 1))
	[ -d /sys/module/honeevent ] || refused_not=$((refused_not + 1))
	kill "$text" "$pcap"
	wait "$text" "$pcap" 2>/dev/null
	for m in honeevent hone_notify packet_notify socket_notify process_notify; do
		rmmod "$m" || failed "rmmod $m failed"
	done
	i=$((i + 1))
done
kill "$traffic"
left=$(lsmod | grep -cE '^(honeevent|hone_notify|packet_notify|socket_notify|process_notify) ')
echo "soak: cycles=$i failures=$fail open_reader_unloads=$refused_not modules_left=$left last_reader_lines=$(wc -l < /tmp/soak-text.txt) last_line=$(tail -n 1 /tmp/soak-text.txt | cut -d' ' -f2) slowest_first_line=$(( ${slowest:-0} / 10 )).$(( ${slowest:-0} % 10 ))s"
[ "$fail" -eq 0 ] && [ "$refused_not" -eq 0 ] && [ "$left" -eq 0 ]
