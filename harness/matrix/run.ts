// The matrix: every selected kernel times every selected scenario, kernels
// run in parallel up to --jobs guests at once.
import { cpus } from 'node:os';
import type { KernelSource } from '../catalog/source.ts';
import type { Scenario } from '../scenario/index.ts';
import { HoneError } from '../util/errors.ts';
import { prefixed, type Logger } from '../util/log.ts';
import { runKernel } from './run-kernel.ts';
import type { KernelRun, MatrixReport, ScenarioResult } from './types.ts';

export interface MatrixOptions {
  out: string;
  jobs: number;
  logger: Logger;
  /** Told what each kernel is doing and each result, for live progress. */
  onStep?: (kernel: string, what: string | undefined) => void;
  onResult?: (r: ScenarioResult) => void;
  memoryMiB?: number;
  /** Runs per case (default 1): each scenario N times in a row on each kernel, for flake rates. */
  repeat?: number;
}

export async function runMatrix(kernels: KernelSource[], scenarios: Scenario[], opts: MatrixOptions): Promise<MatrixReport> {
  // an empty plan would report nothing and look like success
  if (kernels.length === 0)
    throw new HoneError('E_USAGE', 'matrix: no kernel to run (the catalog is empty, or --kernel matched none)', {
      hint: 'see harness/catalog/kernels.json and `npx hone kernels`',
    });
  if (scenarios.length === 0)
    throw new HoneError('E_USAGE', 'matrix: no scenario to run (scenarios/ has none)', { hint: 'see scenarios/README.md' });
  const started = Date.now();
  const runs: { kernel: KernelRun; results: ScenarioResult[] }[] = new Array(kernels.length);
  // Parallel guests share the host's cores: one vCPU each (else the catalog's default).
  const smp = opts.jobs > 1 ? 1 : undefined;
  let next = 0;
  const worker = async () => {
    while (next < kernels.length) {
      const i = next++;
      const k = kernels[i] as KernelSource;
      runs[i] = await runKernel(k, scenarios, prefixed(k.kernelId, opts.logger), {
        out: opts.out,
        smp,
        onStep: (what) => opts.onStep?.(k.kernelId, what),
        onResult: opts.onResult,
        memoryMiB: opts.memoryMiB,
        repeat: opts.repeat ?? 1,
      });
      opts.onStep?.(k.kernelId, undefined);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.jobs, kernels.length)) }, worker));
  return {
    startedAt: new Date(started).toISOString(),
    durationMs: Date.now() - started,
    repeat: opts.repeat ?? 1,
    host: { node: process.version, cores: cpus().length },
    kernels: runs.map((r) => r.kernel),
    results: runs.flatMap((r) => r.results),
  };
}
