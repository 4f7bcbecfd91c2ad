// A kernel bundle: everything the harness needs for one catalog kernel,
// extracted in the cache (vmlinuz, KSRC, System.map, config, modules) plus a
// manifest of the exact packages and their sha256, copied into every run's
// results so a run can be told apart and repeated.
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { HoneError } from '../util/errors.ts';
import { cachePaths } from '../util/paths.ts';
import type { ResolvedKernel } from '../catalog/resolve.ts';
import type { BuiltKernel } from '../kbuild/kernel-key.ts';

export interface KernelBundle {
  id: string;
  release: string;
  version: string;
  dir: string;
  root: string;
  vmlinuz: string;
  systemMap: string;
  config: string;
  ksrc: string;
  modulesDir: string;
  /** CONFIG_CC_VERSION_TEXT, e.g. "gcc-12 (Debian 12.2.0-14+deb12u1) 12.2.0". */
  ccVersionText: string;
  resolved: ResolvedKernel;
}

export interface FetchReport {
  bundle: KernelBundle;
  downloaded: number;
  extracted: boolean;
  /** A kernel built from source that was (re)built by this fetch. */
  built?: BuiltKernel;
}

export const bundleFormat = 1;

/** The bundle of a fetched kernel, or undefined if it was never fetched. */
export async function loadBundle(id: string, cache?: string): Promise<KernelBundle | undefined> {
  const b = await readJson<KernelBundle & { format: number }>(join(cachePaths(cache).kernel(id), 'bundle.json'));
  return b && b.format === bundleFormat && (await intact(b)) ? b : undefined;
}

export async function requireBundle(id: string, cache?: string): Promise<KernelBundle> {
  const b = await loadBundle(id, cache);
  if (!b) throw new HoneError('E_KERNEL_FETCH', 'kernel is not fetched yet', { kernel: id, hint: `run \`npx hone fetch ${id}\`` });
  return b;
}

export function ccMajor(ccVersionText: string): number | undefined {
  const m = /^gcc\S*\s.*?\s(\d+)\.\d+\.\d+\s*$/.exec(ccVersionText) ?? /gcc-(\d+)/.exec(ccVersionText);
  return m?.[1] ? Number(m[1]) : undefined;
}

/** Every file the bundle names is there (and a built kernel's build finished with the recorded key). */
export async function intact(b: KernelBundle): Promise<boolean> {
  try {
    await Promise.all([b.vmlinuz, b.systemMap, b.config, join(b.ksrc, 'Makefile'), join(b.modulesDir, 'modules.dep')].map((f) => stat(f)));
  } catch {
    return false;
  }
  if (!b.resolved.built) return true;
  const marker = await readJson<BuiltKernel>(join(b.dir, 'tree', '.hone-built.json'));
  return marker?.key === b.resolved.built.key;
}

export async function readJson<T>(file: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}
