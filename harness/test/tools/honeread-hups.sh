#!/bin/sh
# honeread under N SIGHUPs during traffic, in a guest with Hone loaded
# (harness/test/tools/honeread.test.ts copies this, honeread and
# hone-traffic to /tmp and checks /tmp/rec.tar on the host).
#
#   reference  honeread -n ref.pcapng        never rotated; read() (the stream path)
#   recorder   honeread -v -a out.pcapng      mmap (the default where the device has it),
#                                             appending, as hone.service does; before each
#                                             SIGHUP, out.pcapng is renamed out.I.pcapng (as
#                                             logrotate does); every 10th time a second
#                                             SIGHUP follows at once (a rotation during a
#                                             rotation); at the end SIGHUP and SIGTERM at once
#   traffic    hone-traffic STOP              rounds of fork, exec, TCP, UDP, exit
#   markers    busybox true HONE-MARK-BEGIN / HONE-MARK-END, in quiet time
N=${1:-100}
D=/tmp/rec
rm -rf $D /tmp/rec.tar
mkdir -p $D && cd $D || exit 1
wait_file() {
	w=0
	while [ ! -s "$1" ]; do
		w=$((w + 1))
		[ $w -gt 2000 ] && { echo "no $1 after 2000 waits" >&2; tail -n 5 out.log >&2; ps >&2; kill -KILL $R $H $T 2> /dev/null; exit 1; }
		sleep 0.01
	done
}
/tmp/honeread -v -n ref.pcapng > /dev/null 2> ref.log & R=$!
/tmp/honeread -v -a out.pcapng > /dev/null 2> out.log & H=$!
wait_file ref.pcapng
wait_file out.pcapng
sleep 1
/bin/busybox true HONE-MARK-BEGIN
sleep 1
/tmp/hone-traffic $D/stop > traffic.log 2>&1 & T=$!
sleep 1
start=$(date +%s)
i=1
while [ $i -le "$N" ]; do
	mv out.pcapng out.$i.pcapng
	kill -HUP $H
	[ $((i % 10)) -eq 0 ] && kill -HUP $H
	wait_file out.pcapng
	sleep 0.1
	i=$((i + 1))
done
end=$(date +%s)
touch stop
wait $T
sleep 1
/bin/busybox true HONE-MARK-END
sleep 1
mv out.pcapng out.$i.pcapng
kill -HUP $H
kill -TERM $H
wait $H
echo "recorder exit $?"
kill -TERM $R
wait $R
echo "reference exit $?"
echo "hups $N in $((end - start)) s, traffic $(cat traffic.log)"
echo "recorder: $(grep -m 1 'using' out.log)"
echo "reference: $(grep -m 1 'using' ref.log)"
tail -n 1 out.log
tail -n 1 ref.log
tar cf /tmp/rec.tar -C $D .
