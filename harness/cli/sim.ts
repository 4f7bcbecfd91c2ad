// `hone sim`: the capture simulator (harness/sim/README.md). Without a VM,
// turns a scenario's ground truth into the PCAP-NG and /dev/honet text a
// correct sensor would write, or a sensor with a named fault; and prints the
// table of scenarios by faults that the checker catches.
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { parseTruth } from '../check/truth.ts';
import { loadScenario, loadScenarios } from '../scenario/load.ts';
import type { Scenario } from '../scenario/types.ts';
import { FAULTS } from '../sim/faults/index.ts';
import { judge, renderTable, runMutations } from '../sim/mutation.ts';
import { verdictCounts } from '../check/index.ts';
import { deriveTruth } from '../sim/runner-model.ts';
import { DEFAULT_SEED, simulate } from '../sim/simulate.ts';
import { trimHonet, trimPcapng } from '../sim/trim.ts';
import { HoneError } from '../util/errors.ts';
import { parseArgs, usage } from './args.ts';

const FLAGS = {
  fault: { type: 'string', help: 'write the capture of a sensor with this fault (see --list-faults)' },
  seed: { type: 'string', help: `seed for the derived truth and the faults (default ${DEFAULT_SEED})` },
  out: {
    type: 'string',
    help: 'write the PCAP-NG to FILE, the text to FILE.honet.txt (FILE minus .pcapng), a derived truth to FILE.truth.json',
  },
  truth: { type: 'string', help: 'use a truth.json recorded in a guest instead of deriving one' },
  order: { type: 'string', help: 'byte order of the PCAP-NG: le (default) or be' },
  check: { type: 'boolean', help: "print the checker's verdict on the simulated capture" },
  'faults-table': {
    type: 'boolean',
    help: 'print the table of scenarios by faults; exit 1 if an applicable fault is not caught, a perfect capture fails, or (all scenarios) a fault is caught by none',
  },
  scenario: { type: 'strings', help: 'with --faults-table: only these scenarios (default: all)' },
  truths: {
    type: 'string',
    help: 'with --faults-table: use recorded truths, DIR/<scenario>/truth.json (a matrix results/<kernel> folder) or DIR/<scenario>.json',
  },
  'list-faults': { type: 'boolean', help: 'list the faults and what each models' },
  trim: {
    type: 'string',
    help: 'trim a real run directory (truth.json, capture.pcapng, honet.txt) to its scenario, into --out DIR (fixtures)',
  },
  help: { type: 'boolean', alias: 'h', help: 'show this help' },
} as const;

export async function simCommand(argv: string[]): Promise<number> {
  const { flags, positional } = parseArgs(argv, FLAGS, 'sim');
  if (flags.help) {
    process.stdout.write(
      `${usage('sim', '<scenario> [--fault NAME] [--seed N] [--out FILE] | --faults-table | --list-faults', FLAGS)}\n  without --out the /dev/honet text is printed\n`,
    );
    return 0;
  }
  const seed = flags.seed === undefined ? DEFAULT_SEED : Number(flags.seed);
  if (!Number.isInteger(seed) || seed < 0)
    throw new HoneError('E_USAGE', `sim: --seed must be a non-negative integer, not "${flags.seed}"`);
  if (flags['list-faults']) {
    for (const f of FAULTS) process.stdout.write(`${f.name}\n  models: ${f.models}\n  applies when: ${f.appliesWhen}\n`);
    return 0;
  }
  if (flags.trim !== undefined) {
    if (!flags.out) throw new HoneError('E_USAGE', 'sim: --trim needs --out DIR');
    const truthText = await readText(join(flags.trim, 'truth.json'));
    const truth = parseTruth(truthText, join(flags.trim, 'truth.json'));
    await mkdir(flags.out, { recursive: true });
    await writeFile(join(flags.out, 'truth.json'), truthText);
    const pcapng = await readFile(join(flags.trim, 'capture.pcapng'));
    await writeFile(join(flags.out, 'capture.pcapng'), trimPcapng(pcapng, truth));
    await writeFile(join(flags.out, 'honet.txt'), trimHonet(await readText(join(flags.trim, 'honet.txt')), truth, pcapng));
    process.stderr.write(`sim: trimmed ${flags.trim} into ${flags.out}\n`);
    return 0;
  }
  if (flags['faults-table']) {
    let scenarios = await loadScenarios();
    if (flags.scenario?.length) {
      const unknown = flags.scenario.filter((n) => !scenarios.some((s) => s.name === n));
      if (unknown.length)
        throw new HoneError('E_USAGE', `sim: unknown scenario ${unknown.join(', ')}`, {
          hint: `scenarios: ${scenarios.map((s) => s.name).join(', ')}`,
        });
      scenarios = scenarios.filter((s) => flags.scenario!.includes(s.name));
    }
    const inputs = [];
    for (const s of scenarios) {
      if (flags.truths === undefined) {
        inputs.push({ scenario: s, truth: deriveTruth(s, seed) });
        continue;
      }
      const file = [join(flags.truths, s.name, 'truth.json'), join(flags.truths, `${s.name}.json`)].find((f) => existsSync(f));
      if (file) inputs.push({ scenario: s, truth: parseTruth(await readText(file), file) });
      else process.stderr.write(`sim: no recorded truth for ${s.name} in ${flags.truths}, skipped\n`);
    }
    if (inputs.length === 0) throw new HoneError('E_USAGE', `sim: no truth for any scenario in ${flags.truths}`);
    const report = runMutations(inputs, seed);
    process.stdout.write(`${renderTable(report)}\n`);
    // with every scenario, a fault that none catches is a failure too (a subset may lack the one that does)
    const subset = Boolean(flags.scenario?.length) || inputs.length < scenarios.length;
    return report.ok && (subset || report.uncaughtFaults.length === 0) ? 0 : 1;
  }
  if (positional.length !== 1)
    throw new HoneError('E_USAGE', 'sim: give exactly one scenario (a name in scenarios/ or a file)', {
      hint: 'hone sim tcp-loopback-v4 --fault creator-only --out /tmp/c.pcapng',
    });
  const scenario = await findScenario(positional[0]!);
  const order = flags.order ?? 'le';
  if (order !== 'le' && order !== 'be') throw new HoneError('E_USAGE', `sim: --order is le or be, not "${order}"`);
  const truth = flags.truth === undefined ? undefined : parseTruth(await readText(flags.truth), flags.truth);
  const r = simulate({ scenario, seed, order, ...(truth ? { truth } : {}), ...(flags.fault ? { fault: flags.fault } : {}) });
  if (flags.out) {
    const base = flags.out.replace(/\.pcapng$/, '');
    await writeFile(flags.out, r.pcapng);
    await writeFile(`${base}.honet.txt`, r.honet);
    const written = [flags.out, `${base}.honet.txt`];
    if (r.derived) {
      await writeFile(`${base}.truth.json`, `${JSON.stringify(r.truth, null, 1)}\n`);
      written.push(`${base}.truth.json`);
    }
    process.stderr.write(
      `sim: ${scenario.name}${r.fault ? ` with fault ${r.fault.name}` : ' (perfect sensor)'}, seed ${seed}: wrote ${written.join(', ')}\n`,
    );
  } else {
    process.stdout.write(r.honet);
  }
  if (flags.check) {
    const v = judge(scenario, r.truth, r.pcapng, r.honet);
    const out = flags.out ? process.stdout : process.stderr;
    out.write(`check: ${v.status} (${verdictCounts(v)})\n`);
    for (const m of v.mismatches.slice(0, 10)) out.write(`  ${m}\n`);
  }
  return 0;
}

async function findScenario(arg: string): Promise<Scenario> {
  if (/[/.]/.test(arg)) return loadScenario(arg);
  const all = await loadScenarios();
  const s = all.find((x) => x.name === arg);
  if (!s) throw new HoneError('E_USAGE', `sim: no scenario "${arg}"`, { hint: `scenarios: ${all.map((x) => x.name).join(', ')}` });
  return s;
}

async function readText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    throw new HoneError('E_USAGE', `sim: cannot read ${file} (${(e as Error).message})`, {
      hint: `${basename(dirname(join(file)))}: give the truth.json of a run`,
    });
  }
}
