import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PcapngWriter } from '../../capture/index.ts';
import { honetLines, pcapngLines, readCommand } from '../../cli/read.ts';
import { ipPacket } from '../fixtures/synth.ts';

const capture = new PcapngWriter('be')
  .header()
  .process({ event: 'exec', pid: 100, ppid: 1, exe: '/usr/bin/curl', argv: ['curl', 'x'], timestampUs: 1_700_000_000_000_001n })
  .process({ event: 'fork', pid: 101, ppid: 100 })
  .packet({
    direction: 'out',
    data: ipPacket('127.0.0.1:5000', '127.0.0.1:80', 6, Buffer.from('GET'), 0x18),
    socketId: '00000000000000aa',
    pid: 101,
    tid: 102,
    attribution: 'sender',
    timestampUs: 1_700_000_000_000_002n,
  })
  .packet({ direction: 'in', data: ipPacket('[::1]:53', '[::1]:4000', 17, Buffer.from('x')) })
  .block(0x7777, Buffer.alloc(4))
  .stats({ 4: 2n })
  .toBuffer();

t.test('pcapng: one line per block, packets with their process', async (t) => {
  const lines = pcapngLines(capture, false);
  t.match(lines[2], /EXEC pid 100 ppid 1 \/usr\/bin\/curl \[curl x\]/);
  t.match(
    lines[4],
    /^22:13:20\.000002 OUT TCPv4 127\.0\.0\.1:5000 > 127\.0\.0\.1:80 \[P\.\] length 43 sock 00000000000000aa pid 101 tid 102 \(\/usr\/bin\/curl\) by sender$/,
  );
  t.match(lines[5], /IN  UDPv6 \[::1\]:53 > \[::1\]:4000 length 49 sock - pid \? \(no process\)/);
  t.match(lines[6], /unknown block type 0x7777/);
  const json = pcapngLines(capture, true).map((l) => JSON.parse(l));
  t.match(json[4], {
    kind: 'packet',
    pid: 101,
    exe: '/usr/bin/curl',
    src: '127.0.0.1:5000',
    protocol: 'TCPv4',
    timestampUs: '1700000000000002',
  });
});

t.test('honet text', async (t) => {
  const text =
    '1.0 HEAD 2.0\n2.0 EXEC 9 1 0 0 tid=9 "/bin/sh" sh -c x \n3.0 PAKT O 00000000000000aa 9 UDPv4 1.1.1.1:1 -> 2.2.2.2:2 30 tid=9 by=creator netns=1\n';
  const lines = honetLines(text, false);
  t.match(lines[2], /OUT UDPv4 1\.1\.1\.1:1 > 2\.2\.2\.2:2 length 30 sock 00000000000000aa pid 9 \(\/bin\/sh\) by creator/);
  t.match(JSON.parse(honetLines(text, true)[2]!), { kind: 'packet', exe: '/bin/sh', timeNs: '3000000000' });
});

t.test('readCommand', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hone-read-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'c.pcapng'), capture);
  writeFileSync(join(dir, 'bad.pcapng'), capture.subarray(0, capture.length - 6));
  const out: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((s: string) => (out.push(s), true)) as typeof process.stdout.write;
  let code: number;
  try {
    code = await readCommand([join(dir, 'c.pcapng')]);
  } finally {
    process.stdout.write = write;
  }
  t.equal(code, 0);
  t.match(out.join(''), /pid 101 tid 102 \(\/usr\/bin\/curl\)/);
  const partial: string[] = [];
  process.stdout.write = ((s: string) => (partial.push(s), true)) as typeof process.stdout.write;
  let err: unknown;
  try {
    await readCommand([join(dir, 'bad.pcapng')]);
  } catch (e) {
    err = e;
  } finally {
    process.stdout.write = write;
  }
  t.match(err, { code: 'E_CAPTURE', message: /truncated block at offset \d+/ }, 'a damaged file fails with the offset');
  t.match(partial.join(''), /pid 101 tid 102/, 'after printing the blocks before the damage');
  await t.rejects(readCommand([]), { code: 'E_USAGE' });
  await t.rejects(readCommand([join(dir, 'missing')]), { code: 'E_USAGE', message: /cannot read/ });
});

t.test('who: sender runs, readers from read blocks, holders', async (t) => {
  const A = '00000000000000aa';
  const B = '00000000000000bb';
  const seg = ipPacket('127.0.0.1:5000', '127.0.0.1:80', 6, Buffer.alloc(80, 'x'), 0x18, 0xffffffe0);
  const dgram = ipPacket('127.0.0.1:5000', '127.0.0.1:53', 17, Buffer.from('q'));
  const buf = new PcapngWriter('le')
    .header()
    .process({ event: 'exec', pid: 100, ppid: 1, exe: '/bin/parent', argv: ['parent'] })
    .process({ event: 'fork', pid: 101, ppid: 100 })
    .process({ event: 'exec', pid: 200, ppid: 1, exe: '/bin/server', argv: ['server'] })
    .packet({
      direction: 'out',
      data: ipPacket('127.0.0.1:5000', '127.0.0.1:80', 6, Buffer.alloc(0), 0x02),
      socketId: A,
      attribution: 'holder',
      holders: [100, 101],
    }) // 5
    .packet({
      direction: 'out',
      data: seg,
      socketId: A,
      pid: 100,
      tid: 100,
      attribution: 'sender',
      senders: [
        { offset: 0, pid: 100, tid: 100 },
        { offset: 40, pid: 101, tid: 101 },
      ],
    }) // 6
    .packet({ direction: 'in', data: seg, socketId: B, attribution: 'reader', packetId: 7n }) // 7
    .use({ what: 'gain', socketId: B, pid: 201, tid: 201, via: 'fork' }) // 8
    .use({ what: 'read', socketId: B, pid: 200, tid: 202, seq: { first: 0xffffffe0, end: 8 }, bytes: 40 }) // 9: straddles 2^32
    .use({ what: 'read', socketId: B, pid: 201, tid: 201, seq: { first: 8, end: 48 }, bytes: 40 }) // 10
    .packet({ direction: 'in', data: dgram, socketId: B, attribution: 'reader', packetId: 8n }) // 11
    .packet({ direction: 'in', data: dgram, socketId: B, attribution: 'reader', packetId: 9n }) // 12
    .use({ what: 'read', socketId: B, pid: 200, tid: 200, readPacketId: 8n, bytes: 1 }) // 13
    .packet({
      direction: 'out',
      data: ipPacket('127.0.0.1:5000', '127.0.0.1:80', 6, Buffer.alloc(0), 0x14),
      socketId: A,
      attribution: 'holder',
    }) // 14
    .use({ what: 'lose', socketId: A, pid: 101, tid: 101, via: 'exit' }) // 15
    .toBuffer();
  const lines = pcapngLines(buf, false);
  t.match(lines[5], /OUT TCPv4 .* \[S\] .* sock 00000000000000aa holders pid 100 \(\/bin\/parent\), pid 101 \(\/bin\/parent\) by holder$/);
  t.match(
    lines[6],
    /OUT TCPv4 .* sock 00000000000000aa pid 100 \(\/bin\/parent\) runs 0:pid 100 \(\/bin\/parent\), 40:pid 101 \(\/bin\/parent\) by sender$/,
  );
  t.match(lines[7], /IN  TCPv4 .* sock 00000000000000bb read by pid 200 tid 202 \(\/bin\/server\), pid 201 \(\?\) by reader$/);
  t.match(lines[8], /GAIN sock 00000000000000bb pid 201 \(\?\) via fork$/);
  t.match(lines[9], /READ sock 00000000000000bb pid 200 tid 202 \(\/bin\/server\) seq 4294967264-8 length 40$/);
  t.match(lines[11], /IN  UDPv4 .* read by pid 200 \(\/bin\/server\) by reader$/);
  t.match(lines[12], /IN  UDPv4 .* read by nobody \(no read block covers it\) by reader$/);
  t.match(lines[13], /READ sock 00000000000000bb pid 200 \(\/bin\/server\) packet 8 length 1$/);
  t.match(lines[14], /\[R\.\] .* holders none by holder$/);
  t.match(lines[15], /LOSE sock 00000000000000aa pid 101 \(\/bin\/parent\) via exit$/);
  const json = pcapngLines(buf, true).map((l) => JSON.parse(l) as Record<string, unknown>);
  t.match(json[7], {
    kind: 'packet',
    attribution: 'reader',
    packetId: '7',
    readBy: [
      { pid: 200, tid: 202, exe: '/bin/server' },
      { pid: 201, tid: 201 },
    ],
  });
  t.match(json[6], {
    senders: [
      { offset: 0, pid: 100 },
      { offset: 40, pid: 101 },
    ],
  });
  t.match(json[12], { readBy: [] });
  t.match(json[9], { kind: 'use', what: 'read', seq: { first: 4294967264, end: 8 }, exe: '/bin/server' });
});

t.test('who in honet text: runs, holders, datagram readers by pkt=', async (t) => {
  const text = [
    '1.0 HEAD 2.0',
    '2.0 EXEC 9 1 0 0 tid=9 "/bin/sh" sh',
    '3.0 PAKT O 00000000000000aa 9 TCPv4 1.1.1.1:1 -> 2.2.2.2:2 120 tid=9 by=sender netns=1 id=1 start=5 senders=0:9:9,40:10:11',
    '3.1 PAKT I 00000000000000bb 0 UDPv4 1.1.1.1:1 -> 2.2.2.2:2 30 tid=0 by=reader netns=1 id=2',
    '3.2 PAKT I 00000000000000bb 0 UDPv4 1.1.1.1:1 -> 2.2.2.2:2 30 tid=0 by=reader netns=1 id=3',
    '3.3 PAKT O 00000000000000aa 0 TCPv4 1.1.1.1:1 -> 2.2.2.2:2 40 tid=0 by=holder netns=1 id=4 holders=9,10',
    '3.4 READ 00000000000000bb 9 tid=12 start=5 len=2 pkt=2',
    '3.5 READ 00000000000000bb 9 tid=9 start=5 len=2 pkt=?',
    '3.6 GAIN 00000000000000aa 10 tid=10 start=6 via=fork',
  ].join('\n');
  const lines = honetLines(text, false);
  t.match(lines[2], /OUT TCPv4 .* pid 9 \(\/bin\/sh\) runs 0:pid 9 \(\/bin\/sh\), 40:pid 10 tid 11 \(\?\) by sender$/);
  t.match(lines[3], /IN  UDPv4 .* read by pid 9 tid 12 \(\/bin\/sh\) by reader$/);
  t.match(lines[4], /read by \? \(no READ line names its packet id\) by reader$/);
  t.match(lines[5], /holders pid 9 \(\/bin\/sh\), pid 10 \(\?\) by holder$/);
  t.match(lines[6], /READ sock 00000000000000bb pid 9 tid 12 \(\/bin\/sh\) packet 2 length 2$/);
  t.match(lines[7], /READ .* packet \? length 2$/);
  t.match(lines[8], /GAIN sock 00000000000000aa pid 10 \(\?\) via fork$/);
  t.match(JSON.parse(honetLines(text, true)[3]!), { kind: 'packet', packetId: '2', readBy: [{ pid: 9, tid: 12, exe: '/bin/sh' }] });
});
