// Downloading pinned packages into the cache's debs/ folder. A file already
// there is trusted only if its sha256 matches the signed index; a truncated
// or corrupted one is said to be so, removed and fetched again.
import { mkdir, rename, rm, stat, readdir, mkdtemp } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { HoneError } from '../util/errors.ts';
import type { Logger } from '../util/log.ts';
import type { IsolatedApt } from './apt.ts';
import { sha256File } from './checksum.ts';
import type { ResolvedPackage } from '../catalog/resolve.ts';

export type DebState = 'cached' | 'missing' | 'corrupt';

export async function debState(debsDir: string, p: ResolvedPackage): Promise<DebState> {
  const file = join(debsDir, basename(p.filename));
  try {
    await stat(file);
  } catch {
    return 'missing';
  }
  return (await sha256File(file)) === p.sha256 ? 'cached' : 'corrupt';
}

/** Makes sure every package is in debsDir and intact; returns how many were downloaded. */
export async function ensureDebs(apt: IsolatedApt, debsDir: string, packages: ResolvedPackage[], logger: Logger): Promise<number> {
  await mkdir(debsDir, { recursive: true });
  const todo: ResolvedPackage[] = [];
  for (const p of packages) {
    const state = await debState(debsDir, p);
    if (state === 'corrupt') {
      logger(`cache entry ${basename(p.filename)} is corrupt or truncated (sha256 differs from the archive's): fetching it again`);
      await rm(join(debsDir, basename(p.filename)), { force: true });
    }
    if (state !== 'cached') todo.push(p);
  }
  if (todo.length === 0) return 0;
  if (!(await apt.hasLists())) await apt.update();
  const total = todo.reduce((n, p) => n + p.size, 0);
  logger(`downloading ${todo.length} package(s), ${mib(total)}: ${todo.map((p) => p.name).join(', ')}`);
  const tmp = await mkdtemp(join(debsDir, '.download-'));
  const started = Date.now();
  const progress = setInterval(() => {
    void dirSize(tmp).then((n) => logger(`  ${mib(n)} of ${mib(total)} (${Math.round((100 * n) / Math.max(total, 1))}%)`));
  }, 5000);
  try {
    await apt.aptGet(['download', ...todo.map((p) => `${p.name}=${p.version}`)], { cwd: tmp });
  } finally {
    clearInterval(progress);
  }
  for (const p of todo) {
    const got = join(tmp, downloadedName(p));
    const sum = await sha256File(got).catch(() => '');
    if (sum !== p.sha256) {
      throw new HoneError('E_KERNEL_FETCH', `downloaded ${p.name} ${p.version} does not match its sha256`, {
        hint: 'the mirror may be mid-sync; retry later or set HONE_MIRROR',
      });
    }
    await rename(got, join(debsDir, basename(p.filename)));
  }
  await rm(tmp, { recursive: true, force: true });
  logger(`downloaded ${mib(total)} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return todo.length;
}

/** The name `apt-get download` gives a package's file: the pool's, with the version's epoch (1:) quoted in (1%3a). */
export function downloadedName(p: ResolvedPackage): string {
  const file = basename(p.filename);
  const epoch = /^(\d+):/.exec(p.version)?.[1];
  return epoch ? file.replace(`${p.name}_`, `${p.name}_${epoch}%3a`) : file;
}

// --- internal ---

function mib(n: number): string {
  return `${(n / 1048576).toFixed(1)} MiB`;
}

async function dirSize(dir: string): Promise<number> {
  let n = 0;
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => [])) {
    if (e.isFile()) n += (await stat(join(e.parentPath, e.name)).catch(() => ({ size: 0 }))).size;
  }
  return n;
}
