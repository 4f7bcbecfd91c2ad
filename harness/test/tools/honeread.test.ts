// honeread on the host, without the module: given a plain file as its
// device (-d), it copies it to the end and stops ("the device ended the
// capture"), through splice() and through read() (-n, -l); -a appends;
// bad options exit 64. The signal protocol needs the device: see
// honeread-guest.test.ts.
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { buildHonereadStatic } from '../../packaging/tools.ts';
import { repoRoot } from '../../util/paths.ts';
import { run } from '../../util/run.ts';

const dir = mkdtempSync(join(tmpdir(), 'hone-honeread-host-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const honeread = await buildHonereadStatic();
const input = join(dir, 'in.pcapng');
const capture = gunzipSync(
  readFileSync(join(repoRoot, 'harness', 'test', 'fixtures', 'sim', 'debian-6.1', 'fork-shared-turns', 'capture.pcapng.gz')),
);
writeFileSync(input, capture);

t.test('copies a file through each backend', async (t) => {
  for (const [how, flags] of [
    ['splice', []],
    ['read', ['-n']],
    ['read, 100-byte transfers', ['-l', '100']],
  ] as const) {
    const out = join(dir, `out-${flags.join('')}.pcapng`);
    const r = await run(honeread, ['-v', ...flags, '-d', input, out]);
    t.ok(readFileSync(out).equals(capture), `${how}: byte for byte`);
    t.match(r.stderr, new RegExp(`using ${how.split(',')[0]}\\(\\)`), `${how}: says which transfer it uses`);
    t.match(r.stderr, /ended the capture/);
    t.match(r.stderr, new RegExp(`stopped: .* 1 section\\(s\\) in 1 file\\(s\\), ${capture.length} bytes`));
  }
  const piped = await run('sh', ['-c', `${honeread} -q -d ${input} | cat > ${join(dir, 'piped.pcapng')}`]);
  t.equal(piped.stderr, '', '-q: nothing on stderr');
  t.ok(readFileSync(join(dir, 'piped.pcapng')).equals(capture), 'to stdout (a pipe)');
});

t.test('-a appends, without -a the file is replaced', async (t) => {
  const out = join(dir, 'append.pcapng');
  await run(honeread, ['-q', '-d', input, out]);
  await run(honeread, ['-q', '-a', '-d', input, out]);
  t.ok(readFileSync(out).equals(Buffer.concat([capture, capture])), 'two sections');
  await run(honeread, ['-q', '-d', input, out]);
  t.ok(readFileSync(out).equals(capture), 'truncated');
});

t.test('errors', async (t) => {
  t.equal((await run(honeread, ['-s', 'x'], { allowFail: true })).exitCode, 64, 'bad snaplen');
  t.equal((await run(honeread, ['a', 'b'], { allowFail: true })).exitCode, 64, 'two outputs');
  const missing = await run(honeread, ['-d', join(dir, 'nope')], { allowFail: true });
  t.equal(missing.exitCode, 1);
  t.match(missing.stderr, /cannot open .*nope: No such file or directory \(is the module loaded\? modprobe hone\)/);
  const snap = await run(honeread, ['-s', '96', '-d', input, join(dir, 'x')], { allowFail: true });
  t.match(snap.stderr, /cannot set the snaplen/, 'a plain file has no snaplen');
});
