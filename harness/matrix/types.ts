// What a matrix run produces: one result per kernel and scenario, classed as
// pass, fail (wrong attribution), todo (a known gap that still fails),
// crash (kernel splat), or infra (fetch, build, boot, channel, runner).

export type ResultStatus = 'pass' | 'fail' | 'todo' | 'crash' | 'infra';

export interface Counts {
  total: number;
  correct: number;
  wrong: number;
  missing: number;
}

export interface ScenarioResult {
  kernel: string;
  scenario: string;
  status: ResultStatus;
  packets: Counts;
  events: Counts;
  durationMs: number;
  /** Why it is not a pass: first mismatches, the crash line, the infra error. */
  reasons: string[];
  knownGap?: string;
  /** One command that reruns this case locally. */
  repro?: string;
  /** With --repeat N: which run of the case this is (1..N). */
  attempt?: number;
}

export interface KernelRun {
  id: string;
  /** Debian's name of the kernel's architecture (amd64, arm64). */
  arch: string;
  release: string | null;
  version: string | null;
  accel: string | null;
  accelReason: string | null;
  toolchain: string | null;
  buildWarnings: number | null;
  buildMs: number | null;
  bootMs: number | null;
  bootRetries: number;
  /** Where this kernel's time went: fetch, build (and image), boot, scenarios (in the guest), check. */
  phasesMs: Record<'fetch' | 'build' | 'boot' | 'scenarios' | 'check', number>;
  packages: { name: string; version: string; sha256: string }[];
  /** On a kernel with kmemleak: scans made (after each boot, scenario and the unload) and how many found leaks. */
  kmemleakScans?: number;
  kmemleakReports?: number;
  /** Time spent in those scans (waiting out kmemleak's 5 s minimum age, two scans, the report). */
  kmemleakMs?: number;
}

export interface MatrixReport {
  startedAt: string;
  durationMs: number;
  /** Runs per case (--repeat; 1 by default). */
  repeat?: number;
  host: { node: string; cores: number };
  kernels: KernelRun[];
  results: ScenarioResult[];
}

export const zeroCounts = (): Counts => ({ total: 0, correct: 0, wrong: 0, missing: 0 });

export const failing = (s: ResultStatus): boolean => s === 'fail' || s === 'crash' || s === 'infra';

/** One kernel and scenario, over its runs. */
export interface CaseRuns {
  kernel: string;
  scenario: string;
  runs: ScenarioResult[];
  /** Runs that did not pass (todo counts: a known gap is not a pass). */
  notPassed: number;
}

/** The results grouped by case, in report order. */
export function cases(results: ScenarioResult[]): CaseRuns[] {
  const byKey = new Map<string, CaseRuns>();
  for (const r of results) {
    const k = `${r.kernel}\u0000${r.scenario}`;
    const c = byKey.get(k) ?? byKey.set(k, { kernel: r.kernel, scenario: r.scenario, runs: [], notPassed: 0 }).get(k)!;
    c.runs.push(r);
    if (r.status !== 'pass') c.notPassed++;
  }
  return [...byKey.values()];
}
