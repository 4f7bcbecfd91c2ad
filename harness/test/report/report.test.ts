import t from 'tap';
import type { MatrixReport, ScenarioResult } from '../../matrix/types.ts';
import { replay, type MatrixEvent } from '../../matrix/events.ts';
import { tapFormatter } from '../../report/tap.ts';
import { junitFormatter } from '../../report/junit.ts';
import { flakeReport, textTable, markdownTable } from '../../report/table.ts';
import { matrixMarkdown } from '../../report/write.ts';

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
  durationMs: 1200,
  reasons: status === 'pass' ? [] : [`why ${scenario} <&>`],
  ...extra,
});
const kernel = (id: string, arch = 'amd64') => ({
  id,
  arch,
  release: `${id}-rel`,
  version: '1',
  accel: 'tcg',
  accelReason: 'test',
  toolchain: 'host gcc-12',
  buildWarnings: 0,
  buildMs: 3000,
  bootMs: 5000,
  bootRetries: 0,
  packages: [],
  phasesMs: { fetch: 0, build: 3000, boot: 5000, scenarios: 9000, check: 100 },
});
const report: MatrixReport = {
  startedAt: '2026-11-27T00:00:00.000Z',
  durationMs: 60000,
  host: { node: 'v20', cores: 2 },
  kernels: [kernel('k1'), kernel('k2', 'arm64')],
  results: [
    result('k1', 'tcp', 'pass'),
    result('k1', 'fork', 'todo', { knownGap: 'creator attribution' }),
    result('k2', 'tcp', 'fail', { repro: 'npx hone repro k2 tcp' }),
    result('k2', 'fork', 'crash'),
  ],
};

/** The events a run with this report would have emitted, results first (as they come before their kernel's record). */
const events = (r: MatrixReport): MatrixEvent[] => {
  const at = Date.parse(r.startedAt);
  return [
    {
      kind: 'plan',
      at,
      kernels: r.kernels.map((k) => k.id),
      scenarios: [...new Set(r.results.map((x) => x.scenario))],
      repeat: 1,
      jobs: 1,
      out: 'results',
      host: r.host,
    },
    ...r.kernels.flatMap((k): MatrixEvent[] => [
      ...r.results.filter((x) => x.kernel === k.id).map((result): MatrixEvent => ({ kind: 'result', at, result })),
      { kind: 'kernel', at, run: k },
    ]),
    { kind: 'done', at: at + r.durationMs },
  ];
};
const matrixTap = (r: MatrixReport) => replay(tapFormatter(), events(r));
const matrixJunit = (r: MatrixReport) => replay(junitFormatter(), events(r));

t.test('TAP: pass is ok, a known gap is TODO, failures carry reasons and repro', async (t) => {
  const tap = matrixTap(report);
  t.match(tap, /^TAP version 14\n1\.\.4\n/);
  t.match(tap, /\nok 1 - k1 tcp \[pass\]\n/);
  t.match(tap, /\nnot ok 2 - k1 fork \[todo\] # TODO creator attribution\n/);
  t.match(tap, /\nnot ok 3 - k2 tcp \[fail\]\n/);
  t.match(tap, /repro: "npx hone repro k2 tcp"/);
  t.notMatch(tap, /not ok 3 .*# TODO/, 'a real failure is never a TODO');
});

t.test('JUnit: failures, crashes as errors, known gaps skipped, XML escaped', async (t) => {
  const x = matrixJunit(report);
  t.match(x, /<testsuite name="k1" tests="2" failures="0" errors="0" skipped="1">/);
  t.match(x, /<testsuite name="k2" tests="2" failures="1" errors="1" skipped="0">/);
  t.match(x, /why tcp &lt;&amp;&gt;/);
  t.match(x, /<error type="kernel-crash"/);
});

t.test('tables: scenarios down, kernels across (with their architecture), with accuracy', async (t) => {
  const text = textTable(report);
  t.match(text, /^scenario\s+k1\s+k2\n\(arch\)\s+amd64\s+arm64\n/);
  t.match(text, /tcp\s+pass 100%\s+FAIL 50%/);
  t.match(text, /fork\s+todo 50%\s+CRASH/);
  t.match(markdownTable(report), /\| --- \| --- \| --- \|/);
  t.match(matrixMarkdown(report), /\| k2 \| arm64 \| k2-rel \|/);
  t.match(matrixMarkdown(report), /## Not passing[\s\S]*k2 tcp\*\* \(fail\)[\s\S]*repro: `npx hone repro k2 tcp`/);
});

t.test('repeated runs: a case cell counts its passes, the flake report names each case that did not pass every run', async (t) => {
  const runs = (kernelId: string, scenario: string, statuses: Array<ScenarioResult['status']>) =>
    statuses.map((s, i) => result(kernelId, scenario, s, { attempt: i + 1 }));
  const repeated: MatrixReport = {
    ...report,
    repeat: 3,
    results: [
      ...runs('k1', 'tcp', ['pass', 'pass', 'pass']),
      ...runs('k1', 'udp', ['pass', 'fail', 'pass']),
      ...runs('k2', 'tcp', ['pass', 'pass', 'pass']),
      ...runs('k2', 'udp', ['crash', 'pass', 'pass']),
    ],
  };
  const text = textTable(repeated);
  t.match(text, /tcp\s+pass 3\/3\s+pass 3\/3/);
  t.match(text, /udp\s+FAIL 2\/3\s+CRASH 2\/3/);
  const flakes = flakeReport(repeated);
  t.equal(
    flakes[0],
    'repeat: 4 cases x 3 runs = 12 results: 10 passed, 2 not passed; 2 cases with a non-pass (flake rate over all runs 16.7%)',
  );
  t.match(flakes[1], /^  k1 udp: 1 of 3 runs not passed \(33%\), first: fail why udp/);
  t.match(flakes[2], /^  k2 udp: 1 of 3 runs not passed \(33%\), first: crash/);
  const clean = flakeReport({ ...repeated, results: repeated.results.map((r) => ({ ...r, status: 'pass' as const })) });
  t.same(clean, [
    'repeat: 4 cases x 3 runs = 12 results: 12 passed, 0 not passed; 0 cases with a non-pass (flake rate over all runs 0.0%)',
  ]);
});
