// Choosing kernels from the command line: ids, or --all (every kernel but
// the opt-in ones, which are named explicitly), or a user's own build
// (--kernel-dir). Each is a KernelSource, the first stage of the pipeline.
import { HoneError } from '../util/errors.ts';
import { defaultKernels, loadCatalog, pickKernels } from '../catalog/catalog.ts';
import { catalogSource, dirSource, type CatalogSource, type KernelSource } from '../catalog/source.ts';

export async function selectKernels(ids: string[], all: boolean | undefined, command: string): Promise<CatalogSource[]> {
  const catalog = await loadCatalog();
  if (all) return defaultKernels(catalog).map(catalogSource);
  if (ids.length === 0) {
    throw new HoneError('E_USAGE', `${command}: name a kernel or use --all`, {
      hint: `known kernels: ${catalog.map((k) => k.id).join(', ')}`,
    });
  }
  return pickKernels(catalog, ids).map(catalogSource);
}

/** --kernel-dir DIR alone, else as selectKernels (ids or --all). */
export async function dirOrSelected(
  ids: string[],
  all: boolean | undefined,
  dir: string | undefined,
  command: string,
): Promise<KernelSource[]> {
  return dir ? [dirSource(dir)] : selectKernels(ids, all, command);
}

/** Kernels named by id, then by --kernel-dir; none named: the default set (every kernel but the opt-in ones). */
export async function namedOrDefault(ids: string[], dirs: string[] = []): Promise<KernelSource[]> {
  const catalog = await loadCatalog();
  const own = dirs.map(dirSource);
  return ids.length || own.length ? [...pickKernels(catalog, ids).map(catalogSource), ...own] : defaultKernels(catalog).map(catalogSource);
}

/** Exactly one kernel: a catalog id, or --kernel-dir DIR. */
export async function oneKernel(ids: string[], dir: string | undefined, command: string): Promise<KernelSource> {
  if (ids.length !== (dir ? 0 : 1)) {
    throw new HoneError('E_USAGE', `${command}: name exactly one kernel (or --kernel-dir DIR)`, { hint: `see \`hone ${command} --help\`` });
  }
  if (dir) return dirSource(dir);
  const [k] = pickKernels(await loadCatalog(), ids);
  return catalogSource(k!);
}
