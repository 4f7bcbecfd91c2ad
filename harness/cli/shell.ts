// hone shell <kernel>: boot the kernel with Hone's modules loaded and open a
// shell in it; leaving the shell powers the guest off. With --command, run
// one command instead and exit with its code. On a kernel with kmemleak,
// a command is followed by a scan: leaks fail it as a kernel crash.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { KernelSource } from '../catalog/source.ts';
import { requireFetched } from '../fetch/fetch.ts';
import { prepareKernel, startGuest } from '../guest/prepare.ts';
import { HoneError, withKernel } from '../util/errors.ts';
import { hasKmemleak, leakCrash, scanKmemleak } from '../guest/kmemleak.ts';
import { log, prefixed } from '../util/log.ts';
import { defineCommand, type Parsed } from './args.ts';
import { oneKernel } from './select.ts';

const spec = {
  'kernel-dir': { type: 'string', help: 'boot your own kernel build instead of a catalog id (see README)' },
  'no-modules': { type: 'boolean', help: 'boot without Hone (to investigate a module that will not load)' },
  'no-load': { type: 'boolean', help: 'ship the modules in the guest (/lib/modules/*/extra/hone) but do not load them' },
  put: { type: 'strings', help: 'LOCAL:REMOTE copy a host file into the guest before the command (repeatable)' },
  get: { type: 'strings', help: 'REMOTE:LOCAL copy a guest file out after the command (repeatable)' },
  command: { type: 'string', alias: 'c', help: 'run this command in the guest instead of a shell, then power off' },
  gdb: { type: 'boolean', help: "start QEMU's gdb stub on localhost:1234" },
  smp: { type: 'string', help: "vCPUs (default: the catalog entry's, else 2)" },
  icount: { type: 'boolean', help: 'guest time from the instruction count (deterministic, TCG): as the bench measures' },
  out: { type: 'string', help: 'folder for the console log (default results/shell/<kernel>)' },
  'no-kmemleak': { type: 'boolean', help: 'on a kernel with kmemleak, skip the leak scan after --command' },
} as const;

export const shellCommand = defineCommand('shell', '<kernel> | --kernel-dir DIR', spec, async ({ flags, positional }) => {
  const source = await oneKernel(positional, flags['kernel-dir'], 'shell');
  return withKernel(source.kernelId, () => shell(source, flags));
});

async function shell(source: KernelSource, flags: Parsed<typeof spec>['flags']): Promise<number> {
  const kernelId = source.kernelId;
  const logger = prefixed(kernelId);
  const out = flags.out ?? join('results', 'shell', kernelId);
  await mkdir(out, { recursive: true });
  const fetched = await requireFetched(source);
  const prepared = await prepareKernel(fetched, logger, { modules: !flags['no-modules'], autoload: !flags['no-load'] });
  logger(`accelerator: ${prepared.accel.accel} (${prepared.accel.reason})`);
  const consoleFile = join(out, 'console.log');
  const smp = flags.smp === undefined ? undefined : Number(flags.smp);
  if (smp !== undefined && !(Number.isInteger(smp) && smp >= 1 && smp <= 64))
    throw new HoneError('E_USAGE', `shell: --smp takes 1-64, got ${flags.smp}`);
  const guest = await startGuest(prepared, logger, { consoleFile, smp, gdb: flags.gdb, icount: flags.icount });
  logger(`ready in ${(guest.readyMs / 1000).toFixed(1)} s (guest uptime ${guest.guestUptime.toFixed(1)} s); console log: ${consoleFile}`);
  if (flags.gdb) logger(`gdb: gdb -ex 'target remote localhost:1234' (symbols: a vmlinux with debug info for ${prepared.bundle.release})`);
  try {
    for (const spec of flags.put ?? []) {
      const [local, remote] = splitPair(spec, '--put');
      await guest.writeFile(remote, await readFile(local), '0755');
    }
    if (flags.command !== undefined) {
      const r = await guest.exec(flags.command, { onStdout: (d) => process.stdout.write(d), onStderr: (d) => process.stderr.write(d) });
      logger(`command exited with ${r.code}`);
      for (const spec of flags.get ?? []) {
        const [remote, local] = splitPair(spec, '--get');
        logger(`copied ${remote} to ${local} (${await guest.copyOut(remote, local)} bytes)`);
      }
      if (!flags['no-kmemleak'] && (await hasKmemleak(guest))) {
        logger('kmemleak: scanning (what the command allocated must be 5 s old first)');
        const report = await scanKmemleak(guest, { kernel: kernelId, sinceMs: Date.now() });
        const file = join(out, 'kmemleak.txt');
        await writeFile(file, report ? `${report}\n` : '');
        const crash = leakCrash(report, { kernel: kernelId, when: 'since boot (after the command)', file });
        if (crash) throw crash;
        logger('kmemleak: no unreferenced objects');
      }
      return r.code;
    }
    await guest.interactive();
    return 0;
  } finally {
    await guest.shutdown();
    logger('guest powered off');
  }
}

function splitPair(spec: string, flag: string): [string, string] {
  const i = spec.indexOf(':');
  if (i <= 0 || i === spec.length - 1) throw new HoneError('E_USAGE', `shell: ${flag} takes FROM:TO, got "${spec}"`);
  return [spec.slice(0, i), spec.slice(i + 1)];
}
