// hone fetch <kernel...|--all> [--refresh]
import { fetchKernel } from '../fetch/fetch.ts';
import { prefixed, log } from '../util/log.ts';
import { withKernel } from '../util/errors.ts';
import { defineCommand } from './args.ts';
import { selectKernels } from './select.ts';

const spec = {
  all: { type: 'boolean', help: 'every catalog kernel but the opt-in ones (name those)' },
  refresh: { type: 'boolean', help: 're-resolve to the newest version in the suites (updates package lists)' },
} as const;

export const fetchCommand = defineCommand('fetch', '<kernel...|--all>', spec, async ({ flags, positional }) => {
  const kernels = await selectKernels(positional, flags.all, 'fetch');
  let total = 0;
  for (const k of kernels) {
    const started = Date.now();
    const r = await withKernel(k.kernelId, () => fetchKernel(k, prefixed(k.kernelId), { refresh: flags.refresh }));
    total += r.downloaded;
    const what = r.downloaded ? `downloaded ${r.downloaded} package(s)` : 'nothing downloaded';
    const done = r.built
      ? `, built (${r.built.cold ? 'cold' : 'incremental'}, ${r.built.buildSeconds} s)`
      : r.extracted
        ? ', extracted'
        : '';
    log(
      `${k.kernelId}: ${r.bundle.release} (${r.bundle.version}) ready; ${what}${done} in ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
  }
  log(`fetch: ${kernels.length} kernel(s), ${total} package(s) downloaded`);
  return 0;
});
