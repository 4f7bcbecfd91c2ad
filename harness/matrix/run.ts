// The matrix: every selected kernel times every selected scenario, kernels
// run in parallel up to --jobs guests at once. It tells what happens as a
// stream of events (events.ts): the plan, each kernel's phases and results,
// each kernel's record, the end; the report it returns is collected from
// that same stream (collect.ts).
import { cpus } from 'node:os';
import type { KernelSource } from '../catalog/source.ts';
import type { Scenario } from '../scenario/index.ts';
import { HoneError } from '../util/errors.ts';
import { collectReport } from './collect.ts';
import { fanOut, stamped, type EventSink } from './events.ts';
import { runKernel } from './run-kernel.ts';
import type { MatrixReport } from './types.ts';

export interface MatrixOptions {
  out: string;
  jobs: number;
  /** Every event of the run, in order (progress, report files). */
  emit?: EventSink;
  memoryMiB?: number;
  /** Runs per case (default 1): each scenario N times in a row on each kernel, for flake rates. */
  repeat?: number;
  /** Added to every guest kernel's command line. */
  append?: string;
}

export async function runMatrix(kernels: KernelSource[], scenarios: Scenario[], opts: MatrixOptions): Promise<MatrixReport> {
  // an empty plan would report nothing and look like success
  if (kernels.length === 0)
    throw new HoneError('E_USAGE', 'matrix: no kernel to run (the catalog is empty, or --kernel matched none)', {
      hint: 'see harness/catalog/kernels.json and `npx hone kernels`',
    });
  if (scenarios.length === 0)
    throw new HoneError('E_USAGE', 'matrix: no scenario to run (scenarios/ has none)', { hint: 'see scenarios/README.md' });
  const repeat = opts.repeat ?? 1;
  const report = collectReport();
  const emit = stamped(fanOut(report.on, opts.emit ?? (() => {})));
  emit({
    kind: 'plan',
    kernels: kernels.map((k) => k.kernelId),
    scenarios: scenarios.map((s) => s.name),
    repeat,
    jobs: opts.jobs,
    out: opts.out,
    host: { node: process.version, cores: cpus().length },
  });
  // Parallel guests share the host's cores: one vCPU each (else the catalog's default).
  const smp = opts.jobs > 1 ? 1 : undefined;
  let next = 0;
  const worker = async () => {
    while (next < kernels.length) {
      const k = kernels[next++] as KernelSource;
      const run = await runKernel(k, scenarios, { out: opts.out, smp, emit, memoryMiB: opts.memoryMiB, repeat, append: opts.append });
      emit({ kind: 'kernel', run });
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.jobs, kernels.length)) }, worker));
  emit({ kind: 'done' });
  return report.value();
}
