// hone build <kernel...|--all>: compile kmod/ for each kernel, print the
// toolchain, the warnings and the vermagic check.
import type { ModuleBuild } from '../kbuild/modules.ts';
import { buildModules } from '../kbuild/modules.ts';
import { requireFetched } from '../fetch/fetch.ts';
import { log, prefixed } from '../util/log.ts';
import { formatError, withKernel } from '../util/errors.ts';
import { defineCommand } from './args.ts';
import { dirOrSelected } from './select.ts';

const spec = {
  all: { type: 'boolean', help: 'every catalog kernel but the opt-in ones (name those)' },
  'kernel-dir': { type: 'string', help: 'your own kernel build instead of a catalog id (see README)' },
  json: { type: 'boolean', help: 'print the results as JSON on stdout' },
} as const;

export const buildCommand = defineCommand('build', '<kernel...|--all>', spec, async ({ flags, positional }) => {
  const kernels = await dirOrSelected(positional, flags.all, flags['kernel-dir'], 'build');
  const results: ModuleBuild[] = [];
  let failed = 0;
  for (const k of kernels) {
    const logger = prefixed(k.kernelId);
    try {
      const b = await withKernel(k.kernelId, async () => buildModules(await requireFetched(k), logger));
      results.push(b);
      for (const w of b.warnings) logger(`warning: ${w}`);
      logger(
        `built ${b.modules.length} modules in ${(b.durationMs / 1000).toFixed(1)} s with ${b.toolchain.kind === 'host' ? `host gcc-${b.toolchain.major}` : `${b.toolchain.suite} build root (gcc-${b.toolchain.major})`}; ${b.warnings.length} warning(s); vermagic OK: ${b.vermagic.trim()}`,
      );
    } catch (err) {
      failed++;
      log(formatError(err));
    }
  }
  if (flags.json) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
  log(`build: ${results.length} ok, ${failed} failed`);
  return failed ? 1 : 0;
});
