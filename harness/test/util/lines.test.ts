// The console line splitter and the one QEMU launcher, with a stand-in
// program for QEMU (it prints what a guest would, then exits or hangs).
import t from 'tap';
import { mkdtemp, readFile, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { LineSplitter, eachLine } from '../../util/lines.ts';
import { spawnQemu } from '../../guest/qemu.ts';
import { run } from '../../util/run.ts';

t.test('lines split across chunks, \\r\\n line ends, a UTF-8 character split in two, the unterminated rest at the end', async (t) => {
  const s = new LineSplitter();
  t.same(s.push('HONE-IN'), []);
  t.same(s.push('IT\r\nHONE-READY 4.5\r\npart'), ['HONE-INIT', 'HONE-READY 4.5']);
  const euro = Buffer.from('€\n');
  t.same(s.push(euro.subarray(0, 2)), []);
  t.same(s.push(euro.subarray(2)), ['part€']);
  t.same(s.push('tail'), []);
  t.same(s.end(), ['tail']);
  t.same(s.end(), [], 'nothing twice');
  const stream = new PassThrough();
  const seen: string[] = [];
  const done = eachLine(stream, (l) => seen.push(l));
  stream.write('a\nb');
  stream.end('c\n\nd');
  await done;
  t.same(seen, ['a', 'bc', '', 'd']);
});

t.test("run()'s onLine sees every line of stdout and stderr", async (t) => {
  const seen: string[] = [];
  await run('sh', ['-c', 'printf "one\\ntwo"; printf "err\\n" >&2'], { onLine: (l) => seen.push(l) });
  t.same(seen.sort(), ['err', 'one', 'two']);
});

async function standIn(script: string): Promise<{ binary: string; dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'hone-qemu-'));
  const binary = join(dir, 'fake-qemu');
  await writeFile(binary, `#!/bin/sh\n${script}\n`);
  await chmod(binary, 0o755);
  return { binary, dir };
}

const config = { kernel: '/boot/vmlinuz', accel: 'tcg' as const, smp: 1, memoryMiB: 256 };

t.test('spawnQemu: console and QEMU lines, a marker waited for, the exit, everything in the console file', async (t) => {
  const { binary, dir } = await standIn('echo "Linux version 6.1"; echo "oops" >&2; printf "HONE-READY 2.5\\r\\n"; exit 3');
  const consoleFile = join(dir, 'console.log');
  const q = spawnQemu(config, consoleFile, { binary });
  const lines: string[] = [];
  q.onLine((l) => lines.push(`${l.from}: ${l.text}`));
  const ready = await q.waitFor((l) => l.text.startsWith('HONE-READY'));
  t.same(ready, { text: 'HONE-READY 2.5', from: 'console' });
  const exit = await q.exited;
  t.same(exit, { code: 3, signal: undefined, timedOut: false });
  t.same(lines.sort(), ['console: HONE-READY 2.5', 'console: Linux version 6.1', 'qemu: oops']);
  const log = await readFile(consoleFile, 'utf8');
  t.match(log, new RegExp(`^# ${binary} -accel tcg,thread=single .*-kernel /boot/vmlinuz`));
  t.match(log, /Linux version 6\.1/);
  t.equal(await q.waitFor(() => true), undefined, 'waiting after the exit: undefined');
});

t.test('spawnQemu: kill after a grace time, and a timeout', async (t) => {
  const { binary, dir } = await standIn('echo up; exec sleep 30');
  const q = spawnQemu(config, join(dir, 'a.log'), { binary });
  await q.waitFor((l) => l.text === 'up');
  const t0 = Date.now();
  const exit = await q.kill(300);
  t.equal(exit.signal, 'SIGKILL');
  t.ok(Date.now() - t0 >= 250 && Date.now() - t0 < 5000, 'waited the grace time, then killed');
  const slow = spawnQemu(config, join(dir, 'c.log'), { binary, timeoutMs: 300 });
  t.equal((await slow.exited).timedOut, true);
  // each run waits for its own 'up' before it is killed: under load the stand-in may print late
  for (const append of [false, true]) {
    const run = spawnQemu(config, join(dir, 'b.log'), { binary, append });
    await run.waitFor((l) => l.text === 'up');
    await run.kill();
  }
  t.equal((await readFile(join(dir, 'b.log'), 'utf8')).split('\n').filter((l) => l === 'up').length, 2, 'append keeps the first run');
});
