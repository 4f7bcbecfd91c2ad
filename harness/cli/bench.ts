// hone bench [--quick] [--cold] [--only boot]: benchmarks, written to
// bench/results.{json,md}; --only boot merges its figures into them.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { requireAmd64 } from '../catalog/arch.ts';
import { loadScenarios } from '../scenario/index.ts';
import { benchParts, runBench, type BenchPart, type BenchResults } from '../bench/run.ts';
import { benchMarkdown, mergeBoot, replaceBootRows, writeBenchResults } from '../bench/report.ts';
import { HoneError } from '../util/errors.ts';
import { log } from '../util/log.ts';
import { repoRoot } from '../util/paths.ts';
import { defineCommand } from './args.ts';
import { namedOrDefault } from './select.ts';

const spec = {
  quick: { type: 'boolean', help: 'one kernel (debian-6.1), smaller workloads: a few minutes' },
  cold: { type: 'boolean', help: 'also time the matrix from an empty cache (downloads everything again, ~10 min)' },
  kernel: { type: 'strings', alias: 'k', help: 'only this kernel (repeatable)' },
  only: { type: 'string', help: `only this part: ${benchParts.join(', ')} (its rows replace theirs in the results)` },
  runs: { type: 'string', help: 'runs of each side-by-side measure (default 3)' },
  out: { type: 'string', help: 'where results.json and results.md go (default bench/)' },
} as const;

export const benchCommand = defineCommand(
  'bench',
  '[--quick] [--cold] [--only boot] [--runs N] [--kernel K]...',
  spec,
  async ({ flags }) => {
    const only = flags.only === undefined ? undefined : benchPart(flags.only);
    const runs = flags.runs === undefined ? undefined : Number(flags.runs);
    if (runs !== undefined && !(Number.isInteger(runs) && runs >= 1 && runs <= 50))
      throw new HoneError('E_USAGE', `bench: --runs takes 1-50, got ${flags.runs}`);
    // --quick: one kernel unless named
    const kernels = await namedOrDefault(flags.kernel ?? (flags.quick ? ['debian-6.1'] : []));
    for (const k of kernels) requireAmd64(k, 'bench', "its guest programs and the bare boot's busybox are the host's");
    const out = flags.out ?? join(repoRoot, 'bench');
    const results = await runBench({
      kernels,
      scenarios: await loadScenarios(),
      quick: !!flags.quick,
      cold: !!flags.cold,
      only,
      runs,
      out: join(out, 'raw'),
      logger: log,
    });
    if (only === 'boot') {
      await writeBootResults(results, out);
      return 0;
    }
    await writeBenchResults(results, out);
    process.stdout.write(benchMarkdown(results));
    log(`wrote ${join(out, 'results.json')} and ${join(out, 'results.md')}`);
    return 0;
  },
);

// --- internal ---

function benchPart(s: string): BenchPart {
  const part = benchParts.find((p) => p === s);
  if (!part) throw new HoneError('E_USAGE', `bench: --only takes ${benchParts.join(', ')}, got ${s}`);
  return part;
}

/** The boot rows into the earlier results (results.md's other rows and notes stay). */
async function writeBootResults(now: BenchResults, out: string): Promise<void> {
  const jsonFile = join(out, 'results.json');
  const mdFile = join(out, 'results.md');
  const earlier = await readFile(jsonFile, 'utf8').then(
    (t) => JSON.parse(t) as BenchResults,
    () => undefined,
  );
  const merged = mergeBoot(earlier, now);
  const md = await readFile(mdFile, 'utf8').then(
    (t) => replaceBootRows(t, now),
    () => undefined,
  );
  if (earlier && md === undefined) log(`${mdFile}: no boot rows to replace: written afresh from the merged results`);
  await writeFile(jsonFile, `${JSON.stringify(merged, null, 2)}\n`);
  await writeFile(mdFile, md ?? benchMarkdown(merged));
  process.stdout.write(benchMarkdown(now));
  log(`boot rows of ${now.boot.map((b) => b.kernel).join(', ')} written into ${jsonFile} and ${mdFile}`);
}
