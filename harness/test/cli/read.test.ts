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
  .packet({ direction: 'out', data: ipPacket('127.0.0.1:5000', '127.0.0.1:80', 6, Buffer.from('GET'), 0x18), socketId: '00000000000000aa', pid: 101, tid: 102, attribution: 'sender', timestampUs: 1_700_000_000_000_002n })
  .packet({ direction: 'in', data: ipPacket('[::1]:53', '[::1]:4000', 17, Buffer.from('x')) })
  .block(0x7777, Buffer.alloc(4))
  .stats({ 4: 2n })
  .toBuffer();

t.test('pcapng: one line per block, packets with their process', async (t) => {
  const lines = pcapngLines(capture, false);
  t.match(lines[2], /EXEC pid 100 ppid 1 \/usr\/bin\/curl \[curl x\]/);
  t.match(lines[4], /^22:13:20\.000002 OUT TCPv4 127\.0\.0\.1:5000 > 127\.0\.0\.1:80 \[P\.\] length 43 sock 00000000000000aa pid 101 tid 102 \(\/usr\/bin\/curl\) by sender$/);
  t.match(lines[5], /IN  UDPv6 \[::1\]:53 > \[::1\]:4000 length 49 sock - pid \? \(no process\)/);
  t.match(lines[6], /unknown block type 0x7777/);
  const json = pcapngLines(capture, true).map((l) => JSON.parse(l));
  t.match(json[4], { kind: 'packet', pid: 101, exe: '/usr/bin/curl', src: '127.0.0.1:5000', protocol: 'TCPv4', timestampUs: '1700000000000002' });
});

t.test('honet text', async (t) => {
  const text = '1.0 HEAD 2.0\n2.0 EXEC 9 1 0 0 tid=9 "/bin/sh" sh -c x \n3.0 PAKT O 00000000000000aa 9 UDPv4 1.1.1.1:1 -> 2.2.2.2:2 30 tid=9 by=creator netns=1\n';
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
