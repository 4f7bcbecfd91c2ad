// hone package-test [kernel]: build the hone-dkms deb, install it in a Debian
// guest made by debootstrap, and check DKMS builds and modprobe loads it.
import { join } from 'node:path';
import { loadCatalog, pickKernels } from '../catalog/catalog.ts';
import { runPackageTest } from '../packaging/dkms-guest.ts';
import { log, prefixed } from '../util/log.ts';
import { defineCommand } from './args.ts';

const spec = {
  out: { type: 'string', help: 'folder for the console log (default results/package-test/<kernel>)' },
} as const;

export const packageTestCommand = defineCommand('package-test', '[kernel (default debian-6.1)]', spec, async ({ flags, positional }) => {
  const [k] = pickKernels(await loadCatalog(), [positional[0] ?? 'debian-6.1']);
  if (!k) return 2;
  const r = await runPackageTest(k, prefixed(k.id), flags.out ?? join('results', 'package-test', k.id));
  log(`package test passed on ${k.id} in ${(r.durationMs / 1000).toFixed(0)} s: ${r.steps.join(' -> ')}; console: ${r.consoleFile}`);
  return 0;
});
