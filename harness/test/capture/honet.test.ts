import t from 'tap';
import { CaptureError, parseHonet } from '../../capture/index.ts';

const text = [
  '3620.104233871 HEAD 1436812000.512300000',
  '3625.000001002 FORK 4321 1200 1000 1000 tid=4321 start=3625000001002 nspid=4321',
  '3625.000412345 EXEC 4321 1200 1000 1000 tid=4321 start=3625000001002 nspid=4321 "/usr/bin/curl" curl -s http://example.com ',
  '3625.100000000 SOCK O 4321 1200 1000 1000 8a3f1c0012345678 tid=4322 ino=777 fam=2 type=1 proto=6 netns=4026531993 accept',
  '3625.200000000 PAKT O 8a3f1c0012345678 4321 TCPv4 10.0.0.5:51544 -> 93.184.216.34:80 60 tid=4322 by=sender netns=4026531993',
  '3625.200000001 PAKT I 0000000000000000 0 TCPv6 [::1]:80 -> [::1]:51544 60 tid=0 by=none netns=4026531993',
  '3625.200000002 PAKT I 0000000000000000 0 ? ? -> ? 20',
  '3625.300000000 SOCK C 4321 1200 1000 1000 8a3f1c0012345678 tid=0 ino=777 fam=2 type=1 proto=6 netns=4026531993',
  '3625.400000000 EXIT 4321 1200 1000 1000 tid=4321 start=3625000001002 nspid=4321 status=256',
  '3625.500000000 KTHD 2 0 0 0 tid=2 start=0 nspid=2 [kthreadd]',
  '3625.600000000 WHAT is this future line',
  '3620.104233871 TAIL',
  '',
].join('\n');

t.test('every line type, with the key=value additions', async (t) => {
  const ev = parseHonet(text);
  t.same(
    ev.map((e) => e.kind),
    ['head', 'process', 'process', 'socket', 'packet', 'packet', 'packet', 'socket', 'process', 'process', 'unknown', 'tail'],
  );
  t.match(ev[0], { kind: 'head', bootTime: '1436812000.512300000', timeNs: 3620104233871n });
  t.match(ev[1], { kind: 'process', event: 'fork', pid: 4321, ppid: 1200, uid: 1000, gid: 1000, tid: 4321 });
  t.match(ev[2], { event: 'exec', exe: '/usr/bin/curl', argv: ['curl', '-s', 'http://example.com'] });
  t.match(ev[3], {
    kind: 'socket',
    event: 'open',
    socketId: '8a3f1c0012345678',
    pid: 4321,
    tid: 4322,
    inode: 777,
    family: 2,
    type: 1,
    protocol: 6,
    netns: 4026531993,
    accepted: true,
    snapshot: false,
  });
  t.match(ev[4], {
    kind: 'packet',
    direction: 'out',
    socketId: '8a3f1c0012345678',
    pid: 4321,
    protocol: 'TCPv4',
    src: '10.0.0.5:51544',
    dst: '93.184.216.34:80',
    length: 60,
    tid: 4322,
    attribution: 'sender',
  });
  t.match(ev[5], { direction: 'in', protocol: 'TCPv6', src: '[::1]:80', pid: 0 });
  t.equal(ev[5]?.kind === 'packet' && ev[5].socketId, undefined, 'all-zero socket id means no socket');
  t.match(ev[6], { protocol: '?', src: '?', dst: '?', length: 20 });
  t.match(ev[7], { kind: 'socket', event: 'close', tid: 0 });
  t.match(ev[8], { event: 'exit', exitStatus: 256 });
  t.match(ev[9], { event: 'kthread', exe: '[kthreadd]' });
  t.match(ev[10], { kind: 'unknown', text: '3625.600000000 WHAT is this future line' });
});

t.test('15.07 lines (8-hex socket ids, no additions) still parse', async (t) => {
  const ev = parseHonet(
    '3625.100000000 SOCK O 4321 1200 1000 1000 8a3f1c00\n3625.2 PAKT O 8a3f1c00 4321 UDPv4 1.2.3.4:5 -> 6.7.8.9:53 40\n',
  );
  t.match(ev[0], { socketId: '000000008a3f1c00', pid: 4321 });
  t.match(ev[1], { protocol: 'UDPv4', timeNs: 3625200000000n, length: 40 });
});

t.test('malformed known lines name their line number', async (t) => {
  const bad: Array<[string, RegExp]> = [
    ['1.0 HEAD 1.0\n2.0 FORK 1 1 0\n', /honet line 2: process line needs/],
    ['1.0 FORK x 1 0 0 0\n', /honet line 1: PID is "x"/],
    ['1.0 SOCK X 1 1 0 0 00000001\n', /socket event is "X"/],
    ['1.0 PAKT O zz 1 TCPv4 a -> b 1\n', /socket id is "zz"/],
    ['1.0 PAKT O 00000001 1 TCPv4 a b c 1\n', /packet line needs/],
    ['abc HEAD 1\n', /timestamp is not SEC.NSEC/],
  ];
  for (const [input, re] of bad) {
    let err: unknown;
    try {
      parseHonet(input);
    } catch (e) {
      err = e;
    }
    t.ok(err instanceof CaptureError, `${re.source}: throws CaptureError`);
    t.match((err as Error | undefined)?.message, re);
  }
});

t.test("the sensor's own example (kmod/FORMAT.md, Debian 6.1.0-56)", async (t) => {
  const { readFileSync } = await import('node:fs');
  const text = readFileSync(new URL('../fixtures/honet-debian-6.1.txt', import.meta.url), 'utf8');
  const ev = parseHonet(text);
  t.equal(ev.filter((e) => e.kind === 'unknown').length, 0, 'every line understood');
  t.match(
    ev.find((e) => e.kind === 'process' && e.event === 'kthread'),
    { pid: 2, exe: '[kthreadd]' },
  );
  t.match(
    ev.find((e) => e.kind === 'process' && e.event === 'exec' && e.pid === 117),
    { exe: '/bin/busybox', argv: ['wget', '-q', '-O', '/tmp/w4', 'http://127.0.0.1:8080/'] },
  );
  t.match(
    ev.find((e) => e.kind === 'socket' && e.snapshot),
    { socketId: '0000000000000001', pid: 99, family: 2, type: 2, protocol: 17 },
  );
  t.match(
    ev.find((e) => e.kind === 'socket' && e.event === 'close'),
    { pid: 0, tid: 0, socketId: '0000000000000007' },
  );
  t.match(ev.filter((e) => e.kind === 'packet')[2], { protocol: '58', src: '[::1]', dst: '[::1]', pid: 0, attribution: 'none' });
  t.match(ev.at(-1), { kind: 'tail' });
});

t.test('READ, GAIN, LOSE lines and the attribution tokens of PAKT', async (t) => {
  const ev = parseHonet(
    [
      '5.0 PAKT O 00000000000000aa 200 TCPv4 127.0.0.1:1 -> 127.0.0.1:2 92 tid=201 by=sender netns=7 id=4294967301 start=123456789012 senders=0:200:201,20:300:302',
      '5.1 PAKT I 00000000000000bb 0 TCPv4 127.0.0.1:1 -> 127.0.0.1:2 92 tid=0 by=reader netns=7 id=6',
      '5.2 PAKT O 00000000000000aa 0 TCPv4 127.0.0.1:1 -> 127.0.0.1:2 40 tid=0 by=holder netns=7 id=7 holders=200,300',
      '5.3 READ 00000000000000bb 400 tid=401 start=99 len=32 seq=4294967280-16',
      '5.4 READ 00000000000000cc 400 tid=400 start=99 len=64 pkt=6',
      '5.5 READ 00000000000000cc 400 tid=400 start=99 len=64 pkt=?',
      '5.6 GAIN 00000000000000aa 300 tid=300 start=100 via=fork',
      '5.7 LOSE 00000000000000aa 300 tid=302 start=100 via=close',
    ].join('\n'),
  );
  t.match(ev[0], {
    kind: 'packet',
    attribution: 'sender',
    packetId: 4294967301n,
    startNs: 123456789012n,
    senders: [
      { offset: 0, pid: 200, tid: 201 },
      { offset: 20, pid: 300, tid: 302 },
    ],
  });
  t.match(ev[1], { kind: 'packet', attribution: 'reader', pid: 0, packetId: 6n });
  t.match(ev[2], { attribution: 'holder', holders: [200, 300] });
  t.match(ev[3], {
    kind: 'use',
    what: 'read',
    socketId: '00000000000000bb',
    pid: 400,
    tid: 401,
    startNs: 99n,
    bytes: 32,
    seq: { first: 4294967280, end: 16 },
  });
  t.match(ev[4], { kind: 'use', what: 'read', readPacketId: 6n, bytes: 64 });
  t.equal(ev[5]?.kind === 'use' && ev[5].readPacketId, undefined, 'pkt=? means unknown');
  t.match(ev[6], { kind: 'use', what: 'gain', via: 'fork', pid: 300 });
  t.match(ev[7], { kind: 'use', what: 'lose', via: 'close', tid: 302 });
  const bad: Array<[string, RegExp]> = [
    ['1.0 READ 00000000000000bb\n', /honet line 1: read line needs/],
    ['1.0 READ 00000000000000bb 4 seq=1:2\n', /seq is "1:2", expected FIRST-END/],
    ['1.0 READ 00000000000000bb 4 seq=1-4294967296\n', /seq end 4294967296 does not fit 32 bits/],
    ['1.0 PAKT O 00000000000000aa 1 TCPv4 a -> b 1 senders=0:1\n', /senders entry "0:1" is not OFF:PID:TID/],
    ['1.0 PAKT O 00000000000000aa 1 TCPv4 a -> b 1 holders=1,x\n', /holders pid is "x"/],
    ['1.0 GAIN zz 1\n', /socket id is "zz"/],
  ];
  for (const [input, re] of bad) t.throws(() => parseHonet(input), re);
});
