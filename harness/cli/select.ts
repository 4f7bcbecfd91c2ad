// Choosing kernels from the command line: ids, or --all (every kernel but
// the opt-in ones, which are named explicitly).
import { HoneError } from '../util/errors.ts';
import { defaultKernels, loadCatalog, pickKernels, type CatalogKernel } from '../catalog/catalog.ts';
import { kernelFromDir } from '../fetch/kernel-dir.ts';

export async function selectKernels(ids: string[], all: boolean | undefined, command: string): Promise<CatalogKernel[]> {
  const catalog = await loadCatalog();
  if (all) return defaultKernels(catalog);
  if (ids.length === 0) {
    throw new HoneError('E_USAGE', `${command}: name a kernel or use --all`, {
      hint: `known kernels: ${catalog.map((k) => k.id).join(', ')}`,
    });
  }
  return pickKernels(catalog, ids);
}

/** Kernels named by id, then by --kernel-dir; none named: the default set (every kernel but the opt-in ones). */
export async function namedOrDefault(ids: string[], dirs: string[] = []): Promise<CatalogKernel[]> {
  const catalog = await loadCatalog();
  const own = dirs.map(kernelFromDir);
  return ids.length || own.length ? [...pickKernels(catalog, ids), ...own] : defaultKernels(catalog);
}
