// hone repro <kernel> <scenario> [--gdb]: rerun one matrix case locally with
// the same resolved kernel version, print its verdict, keep the guest alive
// and open a shell in it (leaving the shell powers it off).
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { KernelSource } from '../catalog/source.ts';
import { requireFetched } from '../fetch/fetch.ts';
import type { ResolvedKernel } from '../catalog/resolve.ts';
import { prepareKernel, startGuest } from '../guest/prepare.ts';
import { runScenario } from '../matrix/run-kernel.ts';
import { loadScenarios, type Scenario } from '../scenario/index.ts';
import { HoneError, withKernel } from '../util/errors.ts';
import { log, prefixed } from '../util/log.ts';
import { defineCommand, type Parsed } from './args.ts';
import { oneKernel } from './select.ts';

const spec = {
  gdb: { type: 'boolean', help: "start QEMU's gdb stub (localhost:1234) and print the gdb command" },
  'no-shell': { type: 'boolean', help: 'power off after the verdict instead of opening a shell' },
  results: { type: 'string', help: 'results folder of the run being reproduced (default results/)' },
  out: { type: 'string', help: 'where this rerun keeps its artefacts (default results/repro/)' },
} as const;

export const reproCommand = defineCommand('repro', '<kernel> <scenario>', spec, async ({ flags, positional }) => {
  if (positional.length !== 2) {
    throw new HoneError('E_USAGE', 'repro: name a kernel and a scenario, as the matrix printed them', { hint: 'see `hone repro --help`' });
  }
  const [kernelId, scenarioName] = positional as [string, string];
  const source = await oneKernel([kernelId], undefined, 'repro');
  const scenario = (await loadScenarios()).find((s) => s.name === scenarioName);
  if (!scenario) throw new HoneError('E_USAGE', `unknown scenario "${scenarioName}"`, { hint: 'see the files in scenarios/' });
  return withKernel(kernelId, () => repro(source, scenario, flags));
});

async function repro(source: KernelSource, scenario: Scenario, flags: Parsed<typeof spec>['flags']): Promise<number> {
  const k = { id: source.kernelId };
  const logger = prefixed(k.id);
  const prepared = await prepareKernel(await requireFetched(source), logger, { modules: true });
  await warnIfVersionDiffers(join(flags.results ?? 'results', k.id, 'manifest.json'), prepared.bundle.resolved, logger);
  const out = flags.out ?? join('results', 'repro');
  await mkdir(join(out, k.id), { recursive: true });
  const guest = await startGuest(prepared, logger, { consoleFile: join(out, k.id, 'console.log'), gdb: flags.gdb });
  try {
    logger(`guest ready (${prepared.accel.accel}); running ${scenario.name}`);
    if (flags.gdb) {
      logger(`gdb stub on localhost:1234: gdb -ex 'target remote localhost:1234' vmlinux`);
      logger(
        `debug symbols: apt-get download linux-image-${prepared.bundle.release}-dbg=${prepared.bundle.version} (isolated apt in ~/.cache/hone/apt) and use its vmlinux; add nokaslr to the kernel command line for stable addresses`,
      );
    }
    const r = await runScenario(guest, k.id, scenario, join(out, k.id), logger, 180000);
    log(`${k.id} ${scenario.name}: ${r.status}; packets ${JSON.stringify(r.packets)}; events ${JSON.stringify(r.events)}`);
    for (const reason of r.reasons) log(`  ${reason}`);
    log(
      `artefacts: ${join(out, k.id, scenario.name)}/ (truth.json, capture.pcapng, honet.txt, verdict.json); in the guest: /tmp/hone/${scenario.name}/`,
    );
    if (!flags['no-shell']) {
      log('opening a shell in the guest; leave it to power off');
      await guest.interactive();
    }
    return r.status === 'pass' || r.status === 'todo' ? 0 : 1;
  } finally {
    await guest.shutdown();
  }
}

async function warnIfVersionDiffers(manifest: string, current: ResolvedKernel, logger: (l: string) => void): Promise<void> {
  const text = await readFile(manifest, 'utf8').catch(() => undefined);
  if (!text) return;
  const then = JSON.parse(text) as ResolvedKernel;
  if (then.version !== current.version) {
    logger(
      `warning: the run being reproduced used ${then.release} (${then.version}); the cache now has ${current.release} (${current.version}). Pin it back by copying ${manifest} to ~/.cache/hone/kernels/${current.id}/resolved.json and running \`npx hone fetch ${current.id}\``,
    );
  }
}
