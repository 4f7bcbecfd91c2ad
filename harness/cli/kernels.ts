// hone kernels [--json]: the catalog, each kernel's architecture, resolved
// version and whether it is in the cache.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadCatalog } from '../catalog/catalog.ts';
import type { ResolvedKernel } from '../catalog/resolve.ts';
import { loadBundle } from '../fetch/bundle.ts';
import { cachePaths } from '../util/paths.ts';
import { log } from '../util/log.ts';
import { defineCommand } from './args.ts';

const spec = {
  json: { type: 'boolean', help: 'print JSON on stdout' },
} as const;

export const kernelsCommand = defineCommand('kernels', '', spec, async ({ flags }) => {
  const rows = [];
  for (const k of await loadCatalog()) {
    const resolved = await readFile(join(cachePaths().kernel(k.id), 'resolved.json'), 'utf8')
      .then((t) => JSON.parse(t) as ResolvedKernel)
      .catch(() => undefined);
    const bundle = await loadBundle(k.id);
    rows.push({
      id: k.id,
      suite: k.suite,
      arch: k.arch ?? 'amd64',
      flavour: k.flavour,
      kind: k.source ? 'source' : 'image',
      source: k.source ? { package: k.source.package, fragment: k.source.fragment, gcc: k.source.gcc } : null,
      optIn: k.optIn === true,
      cmdline: k.cmdline ?? null,
      built: resolved?.built
        ? { key: resolved.built.key, buildSeconds: resolved.built.buildSeconds, cold: resolved.built.cold, builtAt: resolved.built.builtAt }
        : null,
      release: resolved?.release ?? null,
      version: resolved?.version ?? null,
      cached: bundle !== undefined,
      compiler: bundle?.ccVersionText ?? null,
    });
  }
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    return 0;
  }
  const line = (c: string[]) =>
    `${c[0]?.padEnd(19)}${c[1]?.padEnd(7)}${c[2]?.padEnd(14)}${c[3]?.padEnd(28)}${c[4]?.padEnd(18)}${c[5]?.padEnd(13)}${c[6]}`;
  process.stdout.write(`${line(['KERNEL', 'ARCH', 'SUITE', 'RELEASE', 'VERSION', 'CACHE', 'NOTES'])}\n`);
  for (const r of rows) {
    const notes = [
      r.source ? `built from ${r.source.package} + ${r.source.fragment}` : '',
      r.optIn ? 'opt-in: not in --all or a matrix without --kernel' : '',
    ]
      .filter(Boolean)
      .join('; ');
    process.stdout.write(
      `${line([r.id, r.arch, r.suite, r.release ?? '(unresolved)', r.version ?? '-', r.cached ? (r.source ? 'built' : 'fetched') : r.source ? 'not built' : 'not fetched', notes])}\n`,
    );
  }
  return 0;
});
