// Where Hone keeps things. Downloads, extracted kernels, build roots and keys
// live in the cache (outside the clone, shared by every checkout); results of
// a run go where the user says (default ./results).
import { homedir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.HONE_CACHE) return resolve(env.HONE_CACHE);
  const xdg = env.XDG_CACHE_HOME;
  return join(xdg && xdg.startsWith('/') ? xdg : join(homedir(), '.cache'), 'hone');
}

export const cachePaths = (root = cacheRoot()) => ({
  root,
  apt: join(root, 'apt'),
  /** The isolated apt of one Debian architecture (amd64 keeps the original folder). */
  aptFor: (arch: string) => join(root, arch === 'amd64' ? 'apt' : `apt-${arch}`),
  debs: join(root, 'debs'),
  kernels: join(root, 'kernels'),
  kernel: (id: string) => join(root, 'kernels', id),
  buildRoots: join(root, 'buildroots'),
  buildRoot: (suite: string) => join(root, 'buildroots', suite),
  builds: (id: string) => join(root, 'builds', id),
  keys: join(root, 'keys'),
  images: (id: string) => join(root, 'images', id),
});
