// The vermagic gate: a module whose vermagic differs from the kernel's will
// not load, so the harness refuses to boot with it and says why.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run } from '../util/run.ts';
import { HoneError } from '../util/errors.ts';

export async function moduleVermagic(ko: string): Promise<string> {
  const r = await run('modinfo', ['-F', 'vermagic', ko], { code: 'E_VERMAGIC', hint: 'install kmod on the host (apt-get install kmod)' });
  return r.stdout.trim();
}

/** The kernel's own vermagic, read from one of its in-tree modules. */
export async function kernelVermagic(modulesDir: string): Promise<string> {
  const dep = await readFile(join(modulesDir, 'modules.dep'), 'utf8');
  const first = dep
    .split('\n')
    .find((l) => l.includes('.ko'))
    ?.split(':')[0];
  if (!first) throw new HoneError('E_VERMAGIC', `no in-tree module listed in ${modulesDir}/modules.dep to read the kernel's vermagic from`);
  return moduleVermagic(join(modulesDir, first));
}

/** Compares vermagic strings, ignoring trailing space; returns a reason when they differ. */
export function vermagicMismatch(module: string, kernel: string): string | undefined {
  const a = module.trim().split(/\s+/);
  const b = kernel.trim().split(/\s+/);
  if (a[0] !== b[0]) return `built for release ${a[0]}, kernel is ${b[0]}`;
  const missing = b.filter((t) => !a.includes(t));
  const extra = a.filter((t) => !b.includes(t));
  if (missing.length || extra.length) {
    return `flags differ (module lacks: ${missing.join(' ') || 'none'}; module adds: ${extra.join(' ') || 'none'})`;
  }
  return undefined;
}
