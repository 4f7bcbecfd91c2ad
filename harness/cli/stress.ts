// hone stress [kernel...]: the fault and abuse suite, one guest per kernel
// (one at a time), every fault or those named with --fault; results in --out
// (stress.json, stress.md). Exit 0 only when every fault passed everywhere.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { namedOrDefault } from './select.ts';
import { faults, pickFaults, UnknownFault } from '../stress/faults.ts';
import { buildStressPrograms, runStressKernel } from '../stress/run.ts';
import { stressMarkdown, stressPassed, stressSummary, stressTable, type StressReport } from '../stress/report.ts';
import { HoneError } from '../util/errors.ts';
import { log, prefixed } from '../util/log.ts';
import { defineCommand } from './args.ts';

const spec = {
  'kernel-dir': { type: 'strings', help: 'also run your own kernel build (repeatable; see README, "Bring your own kernel")' },
  fault: { type: 'strings', alias: 'f', help: `only this fault (repeatable): ${faults.map((f) => f.name).join(', ')}` },
  out: { type: 'string', alias: 'o', help: 'results folder (default results/stress)' },
  'soak-cycles': { type: 'string', help: 'load/unload cycles of the soak fault (default 100)' },
  memory: { type: 'string', help: 'guest memory in MiB (default 1536: 100,000 sockets need it)' },
  sockets: {
    type: 'string',
    help: 'sockets of the sockets fault (default 100000; 10000 on a debug kernel, where 100,000 take over 90 min under TCG)',
  },
} as const;

export const stressCommand = defineCommand(
  'stress',
  '[kernel...] [--kernel-dir DIR]... [--fault NAME]... [--out DIR]',
  spec,
  async ({ flags, positional }) => {
    const kernels = await namedOrDefault(positional, flags['kernel-dir']);
    let chosen;
    try {
      chosen = pickFaults(flags.fault);
    } catch (err) {
      if (err instanceof UnknownFault)
        throw new HoneError('E_USAGE', `stress: ${err.message}`, { hint: `faults: ${faults.map((f) => f.name).join(', ')}` });
      throw err;
    }
    const soakCycles = positiveInt(flags['soak-cycles'], 100, '--soak-cycles');
    const memoryMiB = positiveInt(flags.memory, 1536, '--memory');
    const sockets = flags.sockets === undefined ? undefined : positiveInt(flags.sockets, 100_000, '--sockets');
    const out = flags.out ?? join('results', 'stress');
    await mkdir(out, { recursive: true });
    await buildStressPrograms();
    log(`stress: ${chosen.length} fault(s) x ${kernels.length} kernel(s), one guest at a time, results in ${out}/`);
    const started = Date.now();
    const report: StressReport = {
      startedAt: new Date(started).toISOString(),
      durationMs: 0,
      faults: chosen.map((f) => ({ name: f.name, what: f.what })),
      kernels: [],
      results: [],
    };
    const save = async () => {
      report.durationMs = Date.now() - started;
      await writeFile(join(out, 'stress.json'), `${JSON.stringify(report, null, 2)}\n`);
      await writeFile(join(out, 'stress.md'), `${stressMarkdown(report)}\n`);
    };
    for (const k of kernels) {
      const r = await runStressKernel(k, { out, faults: chosen, soakCycles, sockets, memoryMiB, logger: prefixed(k.kernelId) });
      report.kernels.push(r.kernel);
      report.results.push(...r.results);
      await save();
    }
    await save();
    process.stdout.write(`\n${stressTable(report)}\n\n`);
    for (const line of stressSummary(report)) process.stdout.write(`${line}\n`);
    process.stdout.write(`reports: ${out}/stress.json, ${out}/stress.md (wall time ${(report.durationMs / 1000).toFixed(0)} s)\n`);
    return stressPassed(report) ? 0 : 1;
  },
);

function positiveInt(v: string | undefined, dflt: number, flag: string): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new HoneError('E_USAGE', `stress: ${flag} takes a positive integer, got ${v}`);
  return n;
}
