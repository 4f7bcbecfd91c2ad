// The matrix's outputs as consumers of one event stream (matrix/events.ts):
// each formatter on a fixed list of events, against its golden output.
import t from 'tap';
import { replay, type MatrixEvent } from '../../matrix/events.ts';
import { collectReport } from '../../matrix/collect.ts';
import type { KernelRun, ScenarioResult } from '../../matrix/types.ts';
import { makeProgress, plainLines, progressMode } from '../../report/progress.ts';
import { tapFormatter } from '../../report/tap.ts';
import { junitFormatter } from '../../report/junit.ts';

const T0 = Date.parse('2026-12-06T20:00:00.000Z');
const counts = (total: number, correct: number) => ({ total, correct, wrong: total - correct, missing: 0 });
const result = (
  kernel: string,
  scenario: string,
  status: ScenarioResult['status'],
  extra: Partial<ScenarioResult> = {},
): ScenarioResult => ({
  kernel,
  scenario,
  status,
  packets: counts(4, status === 'pass' ? 4 : 2),
  events: counts(3, 3),
  durationMs: 12300,
  reasons: status === 'pass' ? [] : [`why ${scenario} <&>`],
  ...extra,
});
const run = (id: string): KernelRun => ({
  id,
  arch: 'amd64',
  release: `${id}-rel`,
  version: '1',
  accel: 'tcg',
  accelReason: 'no /dev/kvm',
  toolchain: 'host gcc-12',
  buildWarnings: 0,
  buildMs: 3000,
  bootMs: 41000,
  bootRetries: 0,
  packages: [],
  phasesMs: { fetch: 100, build: 3000, boot: 41000, scenarios: 20000, check: 600 },
});
const s = (sec: number) => T0 + sec * 1000;

/** Two kernels on two guests: k2 fails to build, k1 boots and runs two scenarios. */
export const fixture: MatrixEvent[] = [
  {
    kind: 'plan',
    at: s(0),
    kernels: ['k1', 'k2'],
    scenarios: ['tcp', 'fork'],
    repeat: 1,
    jobs: 2,
    out: 'results',
    host: { node: 'v22', cores: 2 },
  },
  { kind: 'phase-start', at: s(0), kernel: 'k1', phase: 'fetch' },
  { kind: 'phase-start', at: s(0), kernel: 'k2', phase: 'fetch' },
  { kind: 'phase-end', at: s(0.1), kernel: 'k1', phase: 'fetch', ms: 100 },
  { kind: 'phase-end', at: s(0.1), kernel: 'k2', phase: 'fetch', ms: 100 },
  { kind: 'phase-start', at: s(0.1), kernel: 'k1', phase: 'build' },
  { kind: 'phase-start', at: s(0.1), kernel: 'k2', phase: 'build' },
  { kind: 'info', at: s(1), kernel: 'k1', text: 'toolchain: host gcc-12' },
  { kind: 'phase-end', at: s(2), kernel: 'k2', phase: 'build', ms: 1900 },
  { kind: 'result', at: s(2), result: result('k2', 'tcp', 'infra', { durationMs: 0, repro: 'npx hone build k2' }) },
  { kind: 'result', at: s(2), result: result('k2', 'fork', 'infra', { durationMs: 0, repro: 'npx hone build k2' }) },
  {
    kind: 'kernel',
    at: s(2),
    run: { ...run('k2'), release: null, bootMs: null, phasesMs: { fetch: 100, build: 1900, boot: 0, scenarios: 0, check: 0 } },
  },
  { kind: 'phase-end', at: s(3.1), kernel: 'k1', phase: 'build', ms: 3000 },
  { kind: 'warning', at: s(3.1), kernel: 'k1', text: 'the modules built with 1 warning(s)' },
  { kind: 'phase-start', at: s(3.1), kernel: 'k1', phase: 'boot' },
  { kind: 'console', at: s(10), kernel: 'k1', line: '[    1.000000] Linux version 6.1' },
  { kind: 'console', at: s(44), kernel: 'k1', line: 'HONE-READY 40.2' },
  { kind: 'phase-end', at: s(44.1), kernel: 'k1', phase: 'boot', ms: 41000 },
  { kind: 'info', at: s(44.1), kernel: 'k1', text: 'guest ready in 41.0 s (tcg)' },
  { kind: 'phase-start', at: s(44.1), kernel: 'k1', phase: 'scenario', scenario: 'tcp', n: 1, of: 2 },
  { kind: 'console', at: s(50), kernel: 'k1', line: 'hone: a line outside a boot' },
  { kind: 'phase-end', at: s(56.4), kernel: 'k1', phase: 'scenario', ms: 12300 },
  { kind: 'result', at: s(56.4), result: result('k1', 'tcp', 'pass') },
  { kind: 'phase-start', at: s(56.4), kernel: 'k1', phase: 'scenario', scenario: 'fork', n: 2, of: 2 },
  { kind: 'phase-end', at: s(68.7), kernel: 'k1', phase: 'scenario', ms: 12300 },
  { kind: 'result', at: s(68.7), result: result('k1', 'fork', 'todo', { knownGap: 'creator attribution' }) },
  { kind: 'kernel', at: s(69), run: run('k1') },
  { kind: 'done', at: s(69.5) },
];

/** A stream that keeps what is written, a terminal or not. */
const sink = (isTTY: boolean) => {
  const out: string[] = [];
  return { out, stream: { isTTY, columns: 100, write: (x: string) => out.push(x) > 0 } as unknown as NodeJS.WriteStream };
};

const plainGolden = `[0:00] matrix: 2 kernel(s) x 2 scenario(s), 2 guest(s) at once, results in results/
[0:00] [k1] fetch
[0:00] [k2] fetch
[0:00] [k1] fetch done in 0.1 s
[0:00] [k2] fetch done in 0.1 s
[0:00] [k1] build
[0:00] [k2] build
[0:01] [k1] toolchain: host gcc-12
[0:02] [k2] build done in 1.9 s
[0:02] [k2] tcp: infra in 0.0 s: why tcp <&> (1 of 4 done)
[0:02] [k2] fork: infra in 0.0 s: why fork <&> (2 of 4 done)
[0:02] [k2] done: fetch 0.1 s, build 1.9 s, boot 0.0 s, scenarios 0.0 s, check 0.0 s
[0:03] [k1] build done in 3.0 s
[0:03] [k1] warning: the modules built with 1 warning(s)
[0:03] [k1] boot
[0:44] [k1] boot done in 41.0 s
[0:44] [k1] guest ready in 41.0 s (tcg)
[0:44] [k1] scenario 1/2 tcp
[0:56] [k1] tcp: pass in 12.3 s (3 of 4 done)
[0:56] [k1] scenario 2/2 fork
[1:08] [k1] fork: todo in 12.3 s: why fork <&> (4 of 4 done)
[1:09] [k1] done: fetch 0.1 s, build 3.0 s, boot 41.0 s, scenarios 20.0 s, check 0.6 s
[1:09] matrix: done: 1 pass, 1 todo, 2 failing
`;

t.test('plain progress: a line per event worth one, with the elapsed time; no console lines', async (t) => {
  const { out, stream } = sink(false);
  const p = makeProgress(stream, 'plain');
  for (const e of fixture) p.on(e);
  p.close();
  t.equal(out.join(''), plainGolden);
});

/** What a terminal shows: \r ESC[2K clears the line being drawn, \n keeps it. */
function screen(writes: string[]): { kept: string[]; drawn: string[]; last: string } {
  const kept: string[] = [];
  const drawn: string[] = [];
  let current = '';
  for (const w of writes) {
    if (w === '\r\x1b[2K') {
      if (current && drawn.at(-1) !== current) drawn.push(current);
      current = '';
    } else if (w.endsWith('\n')) (kept.push(current + w.slice(0, -1)), (current = ''));
    else current += w;
  }
  return { kept, drawn, last: current };
}

t.test('live progress: lines scroll, one status line stays at the bottom and is gone at the end', async (t) => {
  const { out, stream } = sink(true);
  let now = T0;
  const p = makeProgress(stream, 'live', () => now);
  for (const e of fixture) {
    now = e.at;
    p.on(e);
  }
  p.close();
  const { kept, drawn, last } = screen(out);
  t.same(
    kept,
    plainGolden
      .trimEnd()
      .split('\n')
      .filter((l) => !/\] \[k\d\] (fetch|build|boot|scenario \d\/\d \w+)$|(fetch|build|boot) done in/.test(l)),
    'the plain lines but the phases, which the status line shows',
  );
  t.same(drawn, [
    '[matrix 0/4 0:00] 0 pass, 0 todo, 0 failing',
    '[matrix 0/4 0:00] 0 pass, 0 todo, 0 failing | k1 fetch 0:00',
    '[matrix 0/4 0:00] 0 pass, 0 todo, 0 failing | k1 fetch 0:00 | k2 fetch 0:00',
    '[matrix 0/4 0:00] 0 pass, 0 todo, 0 failing | k1 build 0:00 | k2 fetch 0:00',
    '[matrix 0/4 0:00] 0 pass, 0 todo, 0 failing | k1 build 0:00 | k2 build 0:00',
    '[matrix 0/4 0:01] 0 pass, 0 todo, 0 failing | k1 build 0:00 | k2 build 0:00',
    '[matrix 0/4 0:02] 0 pass, 0 todo, 0 failing | k1 build 0:01 | k2 build 0:01',
    '[matrix 1/4 0:02] 0 pass, 0 todo, 1 failing | k1 build 0:01 | k2 build 0:01',
    '[matrix 2/4 0:02] 0 pass, 0 todo, 2 failing | k1 build 0:01 | k2 build 0:01',
    '[matrix 2/4 0:02] 0 pass, 0 todo, 2 failing | k1 build 0:01',
    '[matrix 2/4 0:03] 0 pass, 0 todo, 2 failing | k1 build 0:03',
    '[matrix 2/4 0:03] 0 pass, 0 todo, 2 failing | k1 boot 0:00',
    '[matrix 2/4 0:10] 0 pass, 0 todo, 2 failing | k1 boot 0:06 [ 1.000000] Linux version 6.1',
    '[matrix 2/4 0:44] 0 pass, 0 todo, 2 failing | k1 boot 0:40 HONE-READY 40.2',
    '[matrix 2/4 0:44] 0 pass, 0 todo, 2 failing | k1 boot 0:41 HONE-READY 40.2',
    '[matrix 2/4 0:44] 0 pass, 0 todo, 2 failing | k1 scenario 1/2 tcp 0:00',
    '[matrix 2/4 0:56] 0 pass, 0 todo, 2 failing | k1 scenario 1/2 tcp 0:12',
    '[matrix 3/4 0:56] 1 pass, 0 todo, 2 failing | k1 scenario 1/2 tcp 0:12',
    '[matrix 3/4 0:56] 1 pass, 0 todo, 2 failing | k1 scenario 2/2 fork 0:00',
    '[matrix 3/4 1:08] 1 pass, 0 todo, 2 failing | k1 scenario 2/2 fork 0:12',
    '[matrix 4/4 1:08] 1 pass, 1 todo, 2 failing | k1 scenario 2/2 fork 0:12',
    '[matrix 4/4 1:09] 1 pass, 1 todo, 2 failing',
  ]);
  t.equal(last, '', 'nothing left drawn after the end');
});

t.test('live or plain: a terminal is live unless CI is set', async (t) => {
  t.equal(progressMode({ isTTY: true }, {}), 'live');
  t.equal(progressMode({ isTTY: false }, {}), 'plain');
  t.equal(progressMode({}, {}), 'plain', 'a pipe or file has no isTTY');
  t.equal(progressMode({ isTTY: true }, { CI: 'true' }), 'plain');
  t.equal(progressMode({ isTTY: true }, { CI: '1' }), 'plain');
  t.equal(progressMode({ isTTY: true }, { CI: 'false' }), 'live');
  t.equal(progressMode({ isTTY: true }, { CI: '' }), 'live');
});

t.test("TAP from the events: in the plan's kernel order, whichever finished first", async (t) => {
  t.equal(
    replay(tapFormatter(), fixture),
    `TAP version 14
1..4
ok 1 - k1 tcp [pass]
not ok 2 - k1 fork [todo] # TODO creator attribution
  ---
  status: todo
  packets: {"total":4,"correct":2,"wrong":2,"missing":0}
  events: {"total":3,"correct":3,"wrong":0,"missing":0}
  reasons:
    - "why fork <&>"
  ...
not ok 3 - k2 tcp [infra]
  ---
  status: infra
  packets: {"total":4,"correct":2,"wrong":2,"missing":0}
  events: {"total":3,"correct":3,"wrong":0,"missing":0}
  repro: "npx hone build k2"
  reasons:
    - "why tcp <&>"
  ...
not ok 4 - k2 fork [infra]
  ---
  status: infra
  packets: {"total":4,"correct":2,"wrong":2,"missing":0}
  events: {"total":3,"correct":3,"wrong":0,"missing":0}
  repro: "npx hone build k2"
  reasons:
    - "why fork <&>"
  ...
`,
  );
});

t.test("JUnit from the events: a suite per kernel, the run's time from plan to done", async (t) => {
  t.equal(
    replay(junitFormatter(), fixture),
    `<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="hone-matrix" time="69.500">
  <testsuite name="k1" tests="2" failures="0" errors="0" skipped="1">
    <testcase classname="k1" name="tcp" time="12.300">
    </testcase>
    <testcase classname="k1" name="fork" time="12.300">
      <skipped message="known gap: creator attribution"/>
    </testcase>
  </testsuite>
  <testsuite name="k2" tests="2" failures="0" errors="2" skipped="0">
    <testcase classname="k2" name="tcp" time="0.000">
      <error type="infrastructure" message="why tcp &lt;&amp;&gt;">why tcp &lt;&amp;&gt;</error>
    </testcase>
    <testcase classname="k2" name="fork" time="0.000">
      <error type="infrastructure" message="why fork &lt;&amp;&gt;">why fork &lt;&amp;&gt;</error>
    </testcase>
  </testsuite>
</testsuites>
`,
  );
});

t.test('the report (matrix.json) from the events', async (t) => {
  const r = replay(collectReport(), fixture);
  t.same(
    { startedAt: r.startedAt, durationMs: r.durationMs, repeat: r.repeat, host: r.host },
    { startedAt: '2026-12-06T20:00:00.000Z', durationMs: 69500, repeat: 1, host: { node: 'v22', cores: 2 } },
  );
  t.same(
    r.kernels.map((k) => k.id),
    ['k1', 'k2'],
    'kernels in the plan order, though k2 finished first',
  );
  t.same(
    r.results.map((x) => `${x.kernel} ${x.scenario} ${x.status}`),
    ['k1 tcp pass', 'k1 fork todo', 'k2 tcp infra', 'k2 fork infra'],
  );
  t.same(r.results[0], result('k1', 'tcp', 'pass'), 'each result as emitted');
});
