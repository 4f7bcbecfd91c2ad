// hone check DIR: the matrix's verdict on run folders made anywhere, exit 0
// only when every run passes.
import t from 'tap';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkCommand } from '../../cli/check.ts';

const here = dirname(fileURLToPath(import.meta.url));
const real = join(here, '..', 'fixtures', 'real', 'debian-6.1');

async function run(argv: string[]): Promise<{ code: number; out: string }> {
  const write = process.stdout.write.bind(process.stdout);
  let out = '';
  process.stdout.write = ((c: string | Uint8Array) => ((out += String(c)), true)) as typeof process.stdout.write;
  try {
    return { code: await checkCommand(argv), out };
  } finally {
    process.stdout.write = write;
  }
}

t.test('a good run folder passes; a folder of run folders is each of them', async (t) => {
  const one = await run([join(real, 'tcp-loopback-v4')]);
  t.equal(one.code, 0);
  t.match(one.out, /^PASS tcp-loopback-v4 \(.*\): packets 4\/4, events 15\/15, control 16\/16, honet \d+\/\d+\n/);
  t.match(one.out, /check: 1 passed, 0 not passed \(of 1\)\n$/);
  const all = await run([real]);
  t.equal(all.code, 0);
  t.match(all.out, /check: 4 passed, 0 not passed \(of 4\)/);
  const json = await run([join(real, 'udp-any-v6'), '--json']);
  t.equal(JSON.parse(json.out).status, 'pass');
});

t.test('a run whose text disagrees, or a folder without the files, does not pass', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hone-check-'));
  cpSync(join(real, 'tcp-loopback-v4'), dir, { recursive: true });
  const text = readFileSync(join(dir, 'honet.txt'), 'utf8');
  writeFileSync(join(dir, 'honet.txt'), text.replace(/by=sender/, 'by=holder'));
  const bad = await run([dir]);
  t.equal(bad.code, 1, 'exit 1');
  t.match(bad.out, /^FAIL tcp-loopback-v4 .*\n  honet text and PCAP-NG disagree: /);
  await t.rejects(checkCommand([tmpdir() + '/nonexistent-hone-run']), /is not a folder|holds no truth.json/);
  await t.rejects(checkCommand([]), /give a run folder/);
});
