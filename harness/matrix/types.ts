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
}

export interface KernelRun {
  id: string;
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
}

export interface MatrixReport {
  startedAt: string;
  durationMs: number;
  host: { node: string; cores: number };
  kernels: KernelRun[];
  results: ScenarioResult[];
}

export const zeroCounts = (): Counts => ({ total: 0, correct: 0, wrong: 0, missing: 0 });

export const failing = (s: ResultStatus): boolean => s === 'fail' || s === 'crash' || s === 'infra';
