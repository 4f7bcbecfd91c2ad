// The Wireshark plugin (tools/wireshark/hone.lua) with the host's tshark, on
// the matrix captures of harness/test/fixtures/sim (real sensor output from
// Debian 6.1 and 7.2 guests). Each capture first passes the checker against
// its scenario's truth, so its senders, readers (read blocks) and holders
// (option 264) are the ones the checker accepted; `hone.pid == P` must then
// select exactly the packets those attribute to P (capture/parties.ts, the
// checker's reading), on the raw capture (the plugin reads the file itself)
// and on the `hone read --annotate` copy (the plugin reads only comments,
// and plain tshark can filter on the comment). The plugin without its file
// pass, or given another capture, must not match: the comparison can fail.
// fixtures/sensor-holders: captures of the sensor that lists holders in its
// comments (` holders A,B`, Debian 6.1 guest): holder packets take their
// holders from the comment, with or without the file.
import t from 'tap';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { annotatePcapng, packetParties, partyPids, readPcapng } from '../../capture/index.ts';
import { honeLuaPlugin, tsharkFields } from '../../capture/tshark.ts';
import { run } from '../../util/run.ts';
import type { Block } from '../../capture/types.ts';
import { checkScenario, parseTruth } from '../../check/index.ts';
import { loadScenarios } from '../../scenario/index.ts';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', 'fixtures', 'sim');
const holdersRoot = join(here, '..', 'fixtures', 'sensor-holders');
const scenarios = new Map((await loadScenarios()).map((s) => [s.name, s]));
const work = mkdtempSync(join(tmpdir(), 'hone-lua-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));

interface Fixture {
  id: string;
  file: string;
  blocks: Block[];
  /** Per frame (1-based, index 0 unused): the role and the attributed pids. */
  frames: Array<{ role: string; pids: Set<number> }>;
}

function load(kernel: string, name: string, from = root): Fixture {
  const dir = join(from, kernel, name);
  const gz = (f: string) => gunzipSync(readFileSync(join(dir, `${f}.gz`)));
  const buf = gz('capture.pcapng');
  const blocks = readPcapng(buf).blocks;
  const verdict = checkScenario({
    scenario: scenarios.get(name)!,
    truth: parseTruth(gz('truth.json').toString('utf8')),
    capture: { blocks },
  });
  if (verdict.status !== 'pass') throw new Error(`${kernel}/${name} does not pass the checker: ${verdict.mismatches.join('; ')}`);
  const file = join(work, `${from === root ? '' : 'holders-'}${kernel}-${name}.pcapng`);
  writeFileSync(file, buf);
  const parties = packetParties(blocks);
  const frames: Fixture['frames'] = [{ role: '', pids: new Set() }];
  for (const [i, b] of blocks.entries())
    if (b.kind === 'packet') frames.push({ role: parties.get(i)!.role, pids: partyPids(parties.get(i)!) });
  return { id: `${kernel}/${name}`, file, blocks, frames };
}

const loadAll = (from: string): Fixture[] =>
  readdirSync(from)
    .sort()
    .flatMap((k) =>
      readdirSync(join(from, k))
        .sort()
        .map((n) => load(k, n, from)),
    );
const fixtures = loadAll(root);
const holderFixtures = loadAll(holdersRoot);

/** Differences between the plugin's fields (frame, role, pids, source) and the checker's attribution. */
function compare(f: Fixture, rows: string[][][], source: string | ((frame: number) => string)): string[] {
  const diffs: string[] = [];
  if (rows.length !== f.frames.length - 1) diffs.push(`${rows.length} frames, the capture has ${f.frames.length - 1}`);
  for (const [frame, role, pids, src, luaError] of rows) {
    const n = Number(frame![0]);
    const want = f.frames[n];
    const got = new Set((pids ?? []).map(Number));
    if (!want) continue;
    if (luaError && luaError.length > 0) diffs.push(`frame ${n}: Lua error`);
    if ((role ?? [])[0] !== want.role) diffs.push(`frame ${n}: role ${role?.[0]}, expected ${want.role}`);
    if (got.size !== want.pids.size || [...got].some((p) => !want.pids.has(p)))
      diffs.push(`frame ${n}: pids ${[...got].join(',') || '-'}, expected ${[...want.pids].join(',') || '-'}`);
    const wantSource = typeof source === 'string' ? source : source(n);
    if ((src ?? [])[0] !== wantSource) diffs.push(`frame ${n}: source ${src?.[0]}, expected ${wantSource}`);
  }
  return diffs;
}

/** fn over items, at most `limit` at once (tshark runs), results in order. */
async function mapLimit<T, R>(items: T[], limit: number, fn: (x: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

const FIELDS = ['frame.number', 'hone.role', 'hone.pid', 'hone.source', '_ws.lua.error'];

t.test('the fixtures hold every role', async (t) => {
  const roles = new Set(
    fixtures.flatMap((f) =>
      f.frames
        .slice(1)
        .filter((x) => x.pids.size > 0)
        .map((x) => x.role),
    ),
  );
  t.same([...roles].sort(), ['holder', 'reader', 'sender'], `${fixtures.length} captures; attributed roles: ${[...roles].join(', ')}`);
});

t.test('raw captures: the plugin reads the file and attributes every frame as the checker does', async (t) => {
  const rows = await mapLimit(fixtures, 2, (f) => tsharkFields(f.file, FIELDS, { plugin: true }));
  for (const [i, f] of fixtures.entries()) t.same(compare(f, rows[i]!, 'file'), [], f.id);
});

t.test("-Y 'hone.pid == P' lists exactly P's packets (sender, reader or holder)", async (t) => {
  const picked = fixtures.filter((f) =>
    /fork-shared-turns|udp-shared-two-receivers|scm-rights-passed|reply-read-by-forked-worker|two-threads-one-socket/.test(f.id),
  );
  t.ok(picked.length >= 5, `${picked.length} captures`);
  const cases = picked.flatMap((f) => [...new Set(f.frames.flatMap((x) => [...x.pids]))].sort((a, b) => a - b).map((p) => ({ f, p })));
  const got = await mapLimit(cases, 2, ({ f, p }) => tsharkFields(f.file, ['frame.number'], { plugin: true, filter: `hone.pid == ${p}` }));
  for (const [i, { f, p }] of cases.entries()) {
    const want = f.frames.flatMap((x, n) => (x.pids.has(p) ? [n] : []));
    t.same(
      got[i]!.map((r) => Number(r[0]![0])),
      want,
      `${f.id}: pid ${p}: frames ${want.join(',')}`,
    );
  }
});

t.test('annotated copies: the plugin reads the comments; plain tshark filters on them', async (t) => {
  const files = fixtures.map((f) => {
    const file = f.file.replace(/\.pcapng$/, '.annotated.pcapng');
    const { out, packets } = annotatePcapng(readFileSync(f.file));
    writeFileSync(file, out);
    t.equal(packets, f.frames.length - 1, `${f.id}: every packet annotated`);
    return file;
  });
  const rows = await mapLimit(files, 2, (file) => tsharkFields(file, FIELDS, { plugin: true, prefs: { 'hone.file_pass': 'FALSE' } }));
  for (const [i, f] of fixtures.entries()) {
    const file = files[i]!;
    t.same(compare(f, rows[i]!, 'annotation'), [], `${f.id}: annotation`);
    if (!/fork-shared-turns|udp-shared-two-receivers/.test(f.id)) continue;
    for (const p of new Set(f.frames.flatMap((x) => [...x.pids]))) {
      const want = f.frames.flatMap((x, n) => (x.pids.has(p) ? [n] : []));
      const got = (await tsharkFields(file, ['frame.number'], { filter: `frame.comment contains "pid ${p} "` })).map((r) =>
        Number(r[0]![0]),
      );
      t.same(got, want, `${f.id}: plain tshark, comment names pid ${p}`);
    }
  }
});

t.test('without -r the plugin finds the capture file it has open; a pipe it cannot read', async (t) => {
  const f = fixtures.find((x) => x.id.endsWith('/udp-shared-two-receivers'))!;
  const fields = FIELDS.flatMap((x) => ['-e', x]);
  const tshark = (input: string) =>
    run('sh', [
      '-c',
      `${input} | tshark -X lua_script:${honeLuaPlugin} -r - -T fields -E occurrence=a -E aggregator='|' ${fields.join(' ')}`,
    ]);
  const parse = (out: string) =>
    out
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split('\t').map((v) => (v === '' ? [] : v.split('|'))));
  // stdin redirected from the file: found through /proc/self/fd (as Wireshark's GUI, which opens files without -r)
  const redirected = await run('sh', [
    '-c',
    `tshark -X lua_script:${honeLuaPlugin} -r - -T fields -E occurrence=a -E aggregator='|' ${fields.join(' ')} < ${f.file}`,
  ]);
  t.same(compare(f, parse(redirected.stdout), 'file'), [], 'stdin redirected from the capture: source file, every frame right');
  const piped = parse((await tshark(`cat ${f.file}`)).stdout);
  t.ok(piped.length > 0 && piped.every((r) => r[3]?.[0] === 'comment'), "piped: only the sensor's comment (a documented limit)");
});

t.test('the comparison fails when the plugin cannot resolve readers and holders', async (t) => {
  const f = fixtures.find((x) => x.id.endsWith('/fork-shared-turns'))!;
  const noFile = compare(f, await tsharkFields(f.file, FIELDS, { plugin: true, prefs: { 'hone.file_pass': 'FALSE' } }), 'comment');
  t.ok(
    noFile.some((d) => /pids -, expected/.test(d)),
    `without the file pass, readers and holders are missing (${noFile.length} differences)`,
  );
  const other = fixtures.find((x) => x.id.endsWith('/udp-any-v4'))!;
  const wrong = await tsharkFields(f.file, FIELDS, {
    plugin: true,
    prefs: { 'hone.capture_file': other.file },
    env: { HONE_CAPTURE: other.file },
  });
  t.same(compare(f, wrong, 'file'), [], 'another capture named first is skipped (its frames do not match these), the -r file is used');
});

t.test('a sensor that lists holders in its comments: holder packets resolved from the comment', async (t) => {
  const holderFrames = (f: Fixture) => f.frames.flatMap((x, n) => (x.role === 'holder' && x.pids.size > 0 ? [n] : []));
  t.ok(
    holderFixtures.length >= 4 && holderFixtures.every((f) => holderFrames(f).length > 0 || f.id.endsWith('udp-shared-two-receivers')),
    `${holderFixtures.length} captures with holder packets`,
  );
  const comments = (f: Fixture) => f.blocks.flatMap((b) => (b.kind === 'packet' ? [b.comment ?? ''] : []));
  for (const f of holderFixtures) {
    for (const n of holderFrames(f)) {
      const want = [...f.frames[n]!.pids].sort((a, b) => a - b).join(',');
      t.match(
        comments(f)[n - 1],
        new RegExp(` by holder holders ${want}$`),
        `${f.id}: frame ${n}: the sensor's comment lists holders ${want}`,
      );
    }
  }
  // with the file: holders from the comment, everything else from the file; every frame as the checker says
  const rows = await mapLimit(holderFixtures, 2, (f) => tsharkFields(f.file, FIELDS, { plugin: true }));
  for (const [i, f] of holderFixtures.entries()) {
    const listed = new Set(holderFrames(f));
    t.same(
      compare(f, rows[i]!, (n) => (listed.has(n) ? 'comment' : 'file')),
      [],
      `${f.id}: file pass`,
    );
  }
  // without the file: every holder packet that had holders is still resolved (readers are not: they are in read blocks)
  const bare = await mapLimit(holderFixtures, 2, (f) =>
    tsharkFields(f.file, FIELDS, { plugin: true, prefs: { 'hone.file_pass': 'FALSE' } }),
  );
  for (const [i, f] of holderFixtures.entries()) {
    const byFrame = new Map(bare[i]!.map((r) => [Number(r[0]![0]), r]));
    const wrong = holderFrames(f).filter((n) => {
      const r = byFrame.get(n);
      const got = new Set((r?.[2] ?? []).map(Number));
      return r?.[3]?.[0] !== 'comment' || got.size !== f.frames[n]!.pids.size || [...got].some((p) => !f.frames[n]!.pids.has(p));
    });
    t.same(wrong, [], `${f.id}: no file pass, ${holderFrames(f).length} holder frames from the comment`);
  }
  // -Y 'hone.pid == P' lists P's packets, holder packets included
  const f = holderFixtures.find((x) => x.id.endsWith('/fork-shared-turns'))!;
  for (const p of new Set(f.frames.flatMap((x) => [...x.pids]))) {
    const want = f.frames.flatMap((x, n) => (x.pids.has(p) ? [n] : []));
    const got = (await tsharkFields(f.file, ['frame.number'], { plugin: true, filter: `hone.pid == ${p}` })).map((r) => Number(r[0]![0]));
    t.same(got, want, `${f.id}: pid ${p}: frames ${want.join(',')}`);
  }
});
