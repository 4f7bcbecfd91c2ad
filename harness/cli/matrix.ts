// hone matrix: every catalog kernel times every scenario; reports in --out.
// The run's events (matrix/events.ts) go to the progress on stderr and to
// the report files; the summary on stdout is read from the collected report.
import { cpus } from 'node:os';
import { loadScenarios, type Scenario } from '../scenario/index.ts';
import { runMatrix } from '../matrix/run.ts';
import { namedOrDefault } from './select.ts';
import { failing, type KernelRun, type ScenarioResult } from '../matrix/types.ts';
import { reportFiles } from '../report/write.ts';
import { flakeReport, textTable } from '../report/table.ts';
import { makeProgress } from '../report/progress.ts';
import { fanOut } from '../matrix/events.ts';
import { HoneError } from '../util/errors.ts';
import { defineCommand } from './args.ts';

const spec = {
  kernel: { type: 'strings', alias: 'k', help: 'only this kernel (repeatable; default: the catalog but its opt-in kernels)' },
  'kernel-dir': { type: 'strings', help: 'also run your own kernel build (repeatable; see README)' },
  scenario: { type: 'strings', alias: 's', help: 'only this scenario (repeatable; default: all in scenarios/)' },
  jobs: { type: 'string', alias: 'j', help: 'guests at once (default: host cores, at most 2)' },
  out: { type: 'string', alias: 'o', help: 'results folder (default results/)' },
  append: { type: 'string', help: "added to each guest kernel's command line (e.g. rcu_nocbs=all: lazy RCU on Debian's 6.12)" },
  repeat: {
    type: 'string',
    alias: 'r',
    help: 'run each case N times in a row and report a flake rate per case (runs kept in <scenario>/run-<i>)',
  },
} as const;

export const matrixCommand = defineCommand(
  'matrix',
  '[--kernel K]... [--scenario S]... [--jobs N] [--repeat N] [--append PARAMS] [--out DIR]',
  spec,
  async ({ flags, positional }) => {
    if (positional.length)
      throw new HoneError('E_USAGE', `matrix: unexpected argument ${positional[0]}`, { hint: 'use --kernel and --scenario' });
    const kernels = await namedOrDefault(flags.kernel ?? [], flags['kernel-dir']);
    const scenarios = pickScenarios(await loadScenarios(), flags.scenario);
    const jobs = flags.jobs === undefined ? Math.min(2, cpus().length) : Number(flags.jobs);
    if (!Number.isInteger(jobs) || jobs < 1) throw new HoneError('E_USAGE', `matrix: --jobs takes a positive integer, got ${flags.jobs}`);
    const repeat = flags.repeat === undefined ? 1 : Number(flags.repeat);
    if (!Number.isInteger(repeat) || repeat < 1)
      throw new HoneError('E_USAGE', `matrix: --repeat takes a positive integer, got ${flags.repeat}`);
    const out = flags.out ?? 'results';
    const progress = makeProgress(process.stderr);
    const files = reportFiles(out);
    const report = await runMatrix(kernels, scenarios, {
      out,
      jobs,
      emit: fanOut(progress.on, files.on),
      repeat,
      append: flags.append,
    }).finally(progress.close);
    await files.write();
    process.stdout.write(`\n${textTable(report)}\n\n`);
    const bad = report.results.filter((r) => failing(r.status));
    for (const line of problemLines(bad)) process.stdout.write(`${line}\n`);
    const count = (s: string) => report.results.filter((r) => r.status === s).length;
    const phase = (p: keyof KernelRun['phasesMs']) => `${p} ${(report.kernels.reduce((n, k) => n + k.phasesMs[p], 0) / 1000).toFixed(0)} s`;
    process.stdout.write(
      `matrix wall time ${(report.durationMs / 1000).toFixed(0)} s (summed over kernels: ${(['fetch', 'build', 'boot', 'scenarios', 'check'] as const).map(phase).join(', ')})\n`,
    );
    for (const k of report.kernels) {
      if (k.kmemleakScans !== undefined)
        process.stdout.write(
          `kmemleak on ${k.id}: ${k.kmemleakScans} scans (each boot, each scenario, after unloading) in ${((k.kmemleakMs ?? 0) / 1000).toFixed(0)} s, ${k.kmemleakReports ?? 0} found leaks\n`,
        );
    }
    process.stdout.write(`reports: ${out}/matrix.{json,md,tap}, ${out}/junit.xml, ${out}/events.jsonl\n`);
    if (repeat > 1) for (const line of flakeReport(report)) process.stdout.write(`${line}\n`);
    process.stdout.write(`matrix: ${count('pass')} passed, ${bad.length} failed, ${count('todo')} skipped\n`);
    if (report.results.length === 0) {
      process.stdout.write('matrix: no results: nothing was judged, which is not a pass\n');
      return 1;
    }
    return bad.length ? 1 : 0;
  },
);

/** One line per problem; a kernel whose every scenario failed the same way is one line. */
function problemLines(bad: ScenarioResult[]): string[] {
  const groups = new Map<string, ScenarioResult[]>();
  for (const r of bad) {
    const key = `${r.status}\u0000${r.kernel}\u0000${r.reasons[0] ?? ''}\u0000${r.repro ?? ''}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  return [...groups.values()].flatMap((rs) => {
    const r = rs[0] as ScenarioResult;
    const which = rs.length === 1 ? r.scenario : `${rs.length} scenarios`;
    return [`${r.status.toUpperCase()} ${r.kernel} ${which}: ${r.reasons[0] ?? ''}`, `  repro: ${r.repro ?? '-'}`];
  });
}

function pickScenarios(all: Scenario[], names: string[] | undefined): Scenario[] {
  if (!names) return all;
  return names.map((n) => {
    const s = all.find((x) => x.name === n);
    if (!s) throw new HoneError('E_USAGE', `unknown scenario "${n}"`, { hint: `known: ${all.map((x) => x.name).join(', ')}` });
    return s;
  });
}
