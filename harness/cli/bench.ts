// hone bench [--quick] [--cold]: benchmarks, written to bench/results.{json,md}.
import { join } from 'node:path';
import { requireAmd64 } from '../catalog/arch.ts';
import { loadScenarios } from '../scenario/index.ts';
import { runBench } from '../bench/run.ts';
import { benchMarkdown, writeBenchResults } from '../bench/report.ts';
import { log } from '../util/log.ts';
import { repoRoot } from '../util/paths.ts';
import { defineCommand } from './args.ts';
import { namedOrDefault } from './select.ts';

const spec = {
  quick: { type: 'boolean', help: 'one kernel (debian-6.1), smaller workloads: a few minutes' },
  cold: { type: 'boolean', help: 'also time the matrix from an empty cache (downloads everything again, ~10 min)' },
  kernel: { type: 'strings', alias: 'k', help: 'only this kernel (repeatable)' },
  out: { type: 'string', help: 'where results.json and results.md go (default bench/)' },
} as const;

export const benchCommand = defineCommand('bench', '[--quick] [--cold] [--kernel K]...', spec, async ({ flags }) => {
  // --quick: one kernel unless named
  const kernels = await namedOrDefault(flags.kernel ?? (flags.quick ? ['debian-6.1'] : []));
  for (const k of kernels) requireAmd64(k, 'bench', "its guest programs and the bare boot's busybox are the host's");
  const out = flags.out ?? join(repoRoot, 'bench');
  const results = await runBench({
    kernels,
    scenarios: await loadScenarios(),
    quick: !!flags.quick,
    cold: !!flags.cold,
    out: join(out, 'raw'),
    logger: log,
  });
  await writeBenchResults(results, out);
  process.stdout.write(benchMarkdown(results));
  log(`wrote ${join(out, 'results.json')} and ${join(out, 'results.md')}`);
  return 0;
});
