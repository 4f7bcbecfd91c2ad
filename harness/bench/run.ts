// `hone bench`: every figure measured side by side in one run, repeated,
// written to bench/results.json (raw) and bench/results.md (targets).
import { cpus, totalmem } from 'node:os';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { KernelSource } from '../catalog/source.ts';
import { requireFetched } from '../fetch/fetch.ts';
import { prepareKernel } from '../guest/prepare.ts';
import { runMatrix } from '../matrix/run.ts';
import type { MatrixReport } from '../matrix/types.ts';
import type { Scenario } from '../scenario/index.ts';
import { prefixed, type Logger } from '../util/log.ts';
import { withKernel } from '../util/errors.ts';
import { repoRoot } from '../util/paths.ts';
import { run } from '../util/run.ts';
import { measureBoot, type BootMeasure } from './boot.ts';
import { measureOverhead, type Clock, type OverheadMeasure } from './overhead.ts';
import { measureCapacity, type CapacityMeasure } from './capacity.ts';

export interface BenchOptions {
  kernels: KernelSource[];
  scenarios: Scenario[];
  quick: boolean;
  cold: boolean;
  /** Only this part: 'boot' measures only the boot comparison (minutes, not the bench's hour). */
  only?: BenchPart;
  /** Runs of each side-by-side measure (default 3). */
  runs?: number;
  out: string;
  logger: Logger;
}

export const benchParts = ['boot'] as const;
export type BenchPart = (typeof benchParts)[number];

export interface MatrixTime {
  cache: 'warm' | 'cold';
  kernels: number;
  scenarios: number;
  wallMs: number;
  phasesMs: Record<string, number>;
  passed: boolean;
}

export interface FootprintMeasure {
  kernel: string;
  /** Smallest -m tried at which the kernel's matrix still passed. */
  smallestPassingMiB: number | null;
  tried: { memoryMiB: number; passed: boolean; why?: string }[];
  qemuPeakRssMiB: number | null;
  harnessPeakRssMiB: number;
}

export interface BenchResults {
  startedAt: string;
  durationMs: number;
  quick: boolean;
  machine: { cores: number; memoryGiB: number; node: string; cpu: string };
  accel: string;
  kernels: { id: string; release: string; version: string }[];
  boot: BootMeasure[];
  overhead: OverheadMeasure[];
  capacity: CapacityMeasure[];
  matrix: MatrixTime[];
  footprint: FootprintMeasure[];
}

export async function runBench(o: BenchOptions): Promise<BenchResults> {
  const started = Date.now();
  const runs = o.runs ?? 3;
  const sizes = o.quick
    ? { bulkBytes: 64 << 20, rrCount: 2000, forks: 1000, datagrams: 50000 }
    : { bulkBytes: 128 << 20, rrCount: 3000, forks: 5000, datagrams: 50000 };
  // Deterministic guest time for every kernel; wall clock beside it on the first.
  const clocks = (first: boolean): Clock[] => (first && !o.quick ? ['icount', 'wall'] : ['icount']);
  const onlyBoot = o.only === 'boot';
  if (!onlyBoot) {
    await run('make', ['-s', '-C', join(repoRoot, 'harness', 'bench', 'guest')], { code: 'E_IMAGE' });
    await run('sh', ['-c', 'command -v tcpdump'], {
      code: 'E_MISSING_TOOL',
      hint: 'apt-get install tcpdump (the overhead comparison runs it in the guest)',
    });
  }
  const results: BenchResults = {
    startedAt: new Date(started).toISOString(),
    durationMs: 0,
    quick: o.quick,
    machine: {
      cores: cpus().length,
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      node: process.version,
      cpu: cpus()[0]?.model ?? 'unknown',
    },
    accel: 'unknown',
    kernels: [],
    boot: [],
    overhead: [],
    capacity: [],
    matrix: [],
    footprint: [],
  };
  for (const k of o.kernels) {
    // one kernel's part: an error leaving it names the kernel
    await withKernel(k.kernelId, async () => {
      const logger = prefixed(k.kernelId, o.logger);
      const fetched = await requireFetched(k);
      const ready = await prepareKernel(fetched, logger, { modules: true });
      results.accel = ready.accel.accel;
      results.kernels.push({ id: k.kernelId, release: ready.bundle.release, version: ready.bundle.version });
      logger('boot overhead');
      results.boot.push(await measureBoot(ready, { runs, out: o.out, logger }));
      if (onlyBoot) return;
      const bench = await prepareKernel(fetched, logger, {
        modules: true,
        autoload: false,
        imageName: 'bench-initramfs.cpio',
        extraPrograms: [
          {
            path: join(repoRoot, 'harness', 'bench', 'guest', 'hone-bench'),
            guestPath: '/usr/bin/hone-bench',
            dynamic: false,
            pkg: 'hone-bench (make -C harness/bench/guest)',
          },
          { path: '/usr/bin/tcpdump', dynamic: true, pkg: 'tcpdump' },
        ],
      });
      // Both in a guest with one vCPU (overhead.ts says why). Capacity is
      // measured on the first kernel only (the same code on every
      // kernel, and the slowest part).
      const first = results.capacity.length === 0;
      for (const clock of clocks(first)) {
        logger(`sensor overhead (${clock === 'icount' ? 'guest time from the instruction count' : 'wall clock'})`);
        results.overhead.push(
          await measureOverhead(bench, { runs, bulkBytes: sizes.bulkBytes, rrCount: sizes.rrCount, clock, out: o.out, logger }),
        );
      }
      if (first) {
        logger('event capacity and exact drops');
        results.capacity.push(await measureCapacity(bench, { forks: sizes.forks, datagrams: sizes.datagrams, out: o.out, logger }));
      }
    });
  }
  if (onlyBoot) {
    results.durationMs = Date.now() - started;
    return results;
  }
  o.logger('matrix wall time, warm cache');
  results.matrix.push(await matrixTime('warm', o.kernels, o.scenarios, o.out, o.logger));
  if (o.cold) {
    o.logger('matrix wall time, cold cache (a fresh HONE_CACHE: downloads, build roots, everything)');
    results.matrix.push(await coldMatrixTime(o.kernels, o.scenarios, o.out, o.logger));
  }
  const fk = o.kernels[0];
  if (fk) {
    const f = await footprint(fk, o.scenarios, o.quick ? [256, 128] : [256, 192, 128, 96, 64], o.out, o.logger);
    f.qemuPeakRssMiB = Math.max(0, ...results.overhead.map((x) => x.qemuPeakRssMiB ?? 0)) || null;
    results.footprint.push(f);
  }
  results.durationMs = Date.now() - started;
  return results;
}

// --- internal ---

function toTime(cache: 'warm' | 'cold', r: MatrixReport, scenarios: number): MatrixTime {
  const phasesMs: Record<string, number> = {};
  for (const k of r.kernels) for (const [p, ms] of Object.entries(k.phasesMs)) phasesMs[p] = (phasesMs[p] ?? 0) + ms;
  return {
    cache,
    kernels: r.kernels.length,
    scenarios,
    wallMs: r.durationMs,
    phasesMs,
    passed: r.results.every((x) => x.status === 'pass' || x.status === 'todo'),
  };
}

async function matrixTime(
  cache: 'warm' | 'cold',
  kernels: KernelSource[],
  scenarios: Scenario[],
  out: string,
  logger: Logger,
): Promise<MatrixTime> {
  const r = await runMatrix(kernels, scenarios, { out: join(out, `matrix-${cache}`), jobs: Math.min(2, cpus().length) });
  const t = toTime(cache, r, scenarios.length);
  logger(`matrix (${cache}): ${(t.wallMs / 1000).toFixed(0)} s wall`);
  return t;
}

async function coldMatrixTime(kernels: KernelSource[], scenarios: Scenario[], out: string, logger: Logger): Promise<MatrixTime> {
  const saved = process.env.HONE_CACHE;
  const fresh = await mkdtemp(join(out, 'cold-cache-'));
  process.env.HONE_CACHE = fresh;
  try {
    return await matrixTime('cold', kernels, scenarios, out, logger);
  } finally {
    if (saved === undefined) delete process.env.HONE_CACHE;
    else process.env.HONE_CACHE = saved;
    await rm(fresh, { recursive: true, force: true });
  }
}

async function footprint(k: KernelSource, scenarios: Scenario[], sizes: number[], out: string, logger: Logger): Promise<FootprintMeasure> {
  const tried: FootprintMeasure['tried'] = [];
  for (const memoryMiB of sizes) {
    const r = await runMatrix([k], scenarios, {
      out: join(out, `footprint-${memoryMiB}`),
      jobs: 1,
      memoryMiB,
    });
    const bad = r.results.find((x) => x.status !== 'pass' && x.status !== 'todo');
    const passed = bad === undefined;
    tried.push({ memoryMiB, passed, ...(bad ? { why: `${bad.scenario}: ${bad.status}: ${bad.reasons[0] ?? ''}` } : {}) });
    logger(
      `footprint: -m ${memoryMiB}: ${passed ? 'matrix passes' : `matrix fails (${bad?.scenario}: ${bad?.reasons[0] ?? bad?.status})`}`,
    );
    if (!passed) break;
  }
  const passing = tried.filter((t) => t.passed).map((t) => t.memoryMiB);
  return {
    kernel: k.kernelId,
    smallestPassingMiB: passing.length ? Math.min(...passing) : null,
    tried,
    qemuPeakRssMiB: null,
    harnessPeakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
  };
}
