// Bring your own kernel: a folder holding a kernel image (bzImage or
// vmlinuz), its build tree or headers (KSRC: configured and prepared),
// System.map, and lib/modules/<release>/ with the modules it needs. It is
// used in place of a catalog entry (`--kernel-dir DIR`): its bundle is read
// from the folder each time, nothing is copied into the cache.
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { HoneError } from '../util/errors.ts';
import type { DirSource } from '../catalog/source.ts';
import type { KernelBundle } from './bundle.ts';
import { runDepmod } from './extract.ts';

export async function bundleFromDir(source: DirSource): Promise<KernelBundle> {
  const { dir, kernelId } = source;
  const need = (what: string, found: string | undefined, looked: string[]): string => {
    if (found) return found;
    throw new HoneError('E_KERNEL_FETCH', `--kernel-dir ${dir} has no ${what} (looked for ${looked.join(', ')})`, {
      hint: 'see README.md, "Bring your own kernel", for the expected layout',
    });
  };
  const releases = await readdir(join(dir, 'lib', 'modules')).catch(() => [] as string[]);
  const release = need('lib/modules/<release>/ folder', releases[0], ['lib/modules/*']);
  const ksrcCandidates = ['KSRC', 'build', `lib/modules/${release}/build`, '.'];
  const ksrc = need(
    'configured kernel tree or headers (KSRC)',
    await first(dir, ksrcCandidates, async (p) => (await isFile(join(p, 'Makefile'))) && (await isFile(join(p, '.config')))),
    ksrcCandidates,
  );
  const images = ['bzImage', 'vmlinuz', `vmlinuz-${release}`, `boot/vmlinuz-${release}`, 'arch/x86/boot/bzImage'];
  const vmlinuz = need('kernel image', await first(dir, images, isFile), images);
  const maps = ['System.map', `boot/System.map-${release}`, join(ksrc, 'System.map')];
  const systemMap = need('System.map', await first(dir, maps, isFile), maps);
  const configs = ['config', `boot/config-${release}`, join(ksrc, '.config')];
  const config = need('kernel config', await first(dir, configs, isFile), configs);
  const modulesDir = join(dir, 'lib', 'modules', release);
  if (!(await isFile(join(modulesDir, 'modules.dep')))) await runDepmod(dir, release);
  const cc = /^CONFIG_CC_VERSION_TEXT="(.*)"$/m.exec(await readFile(config, 'utf8'))?.[1] ?? '';
  return {
    id: kernelId,
    release,
    version: 'local',
    dir,
    root: dir,
    vmlinuz,
    systemMap,
    config,
    ksrc,
    modulesDir,
    ccVersionText: cc,
    resolved: { id: kernelId, version: 'local', release, packages: [], resolvedAt: new Date().toISOString() },
  };
}

// --- internal ---

async function first(dir: string, candidates: string[], ok: (p: string) => Promise<boolean>): Promise<string | undefined> {
  for (const c of candidates) {
    const p = c.startsWith('/') ? c : join(dir, c);
    if (await ok(p)) return p;
  }
  return undefined;
}

async function isFile(p: string): Promise<boolean> {
  return stat(p).then(
    (s) => s.isFile(),
    () => false,
  );
}
