// The fetch stage: from a KernelSource to a FetchedKernel (the source and
// its bundle). A Debian image's packages are resolved, downloaded and
// extracted into the cache here; a kernel built from source goes to
// source-bundle.ts; a user's folder is read where it is (kernel-dir.ts).
// A catalog kernel's bundle is written to bundle.json and read once.
import { readFile, writeFile, mkdir, rm } from 'node:fs/promises';
import { join, basename } from 'node:path';
import { HoneError } from '../util/errors.ts';
import type { Logger } from '../util/log.ts';
import { cachePaths } from '../util/paths.ts';
import type { CatalogKernel } from '../catalog/catalog.ts';
import type { CatalogSource, KernelSource } from '../catalog/source.ts';
import { resolveKernel, type ResolvedKernel } from '../catalog/resolve.ts';
import { IsolatedApt } from './apt.ts';
import { findMirror } from './mirror.ts';
import { ensureDebs } from './download.ts';
import { keepLockFresh, tryLock } from '../util/lock.ts';
import { archOf, hostArch } from '../catalog/arch.ts';
import { extractDebs, fixHeaders, runDepmod, findFirst, findHeadersDir } from './extract.ts';
import { bundleFormat, intact, loadBundle, readJson, requireBundle, type FetchReport, type KernelBundle } from './bundle.ts';
import { fetchSourceKernel } from './source-bundle.ts';
import { bundleFromDir } from './kernel-dir.ts';

/** Resolves, downloads and extracts (or builds) a catalog kernel; a second run downloads nothing. */
export async function fetchKernel(
  source: CatalogSource,
  logger: Logger,
  opts: { refresh?: boolean; cache?: string } = {},
): Promise<FetchReport> {
  const k = source.entry;
  // one fetcher per kernel at a time: another hone process may be extracting
  // (or building) it; a build holds the lock for an hour, so it is kept fresh
  const lock = `${cachePaths(opts.cache).kernel(k.id)}.lock`;
  while (!(await tryLock(lock))) {
    logger(`waiting for another hone process fetching ${k.id} (${lock})`);
    await new Promise((r) => setTimeout(r, 3000));
  }
  const stop = keepLockFresh(lock);
  try {
    return await fetchLocked(k, logger, opts);
  } finally {
    stop();
    await rm(lock, { recursive: true, force: true });
  }
}

async function fetchLocked(k: CatalogKernel, logger: Logger, opts: { refresh?: boolean; cache?: string }): Promise<FetchReport> {
  const paths = cachePaths(opts.cache);
  const mirror = await findMirror();
  const target = archOf(k);
  const apt = new IsolatedApt(paths.aptFor(target.debian), mirror, target.debian);
  await apt.prepare();
  // a kernel of another architecture: kbuild's tools come from the host's apt
  const host = hostArch();
  const toolsApt = host && host.debian !== target.debian ? new IsolatedApt(paths.aptFor(host.debian), mirror, host.debian) : undefined;
  await toolsApt?.prepare();
  const dir = paths.kernel(k.id);
  await mkdir(dir, { recursive: true });
  if (k.source) return fetchSourceKernel(k, apt, logger, opts);

  let resolved = opts.refresh ? undefined : await readJson<ResolvedKernel>(join(dir, 'resolved.json'));
  if (!resolved) {
    for (const a of [apt, toolsApt]) {
      if (a && (opts.refresh || !(await a.hasLists()))) {
        logger(`updating package lists (isolated apt, ${a.arch})`);
        await a.update();
      }
    }
    resolved = await resolveKernel(apt, k, toolsApt);
    logger(`resolved to ${resolved.release} (${resolved.version})`);
    await writeFile(join(dir, 'resolved.json'), `${JSON.stringify(resolved, null, 2)}\n`);
  }
  const own = resolved.packages.filter((p) => !p.arch || p.arch === apt.arch);
  const tools = resolved.packages.filter((p) => !own.includes(p));
  if (tools.length && !toolsApt) {
    throw new HoneError('E_KERNEL_FETCH', `the pinned packages name host tools (${tools.map((p) => p.name).join(', ')}) of another host`, {
      hint: `run \`npx hone fetch --refresh ${k.id}\` to resolve it for this host`,
    });
  }
  let downloaded = await ensureDebs(apt, paths.debs, own, logger);
  if (toolsApt && tools.length) downloaded += await ensureDebs(toolsApt, paths.debs, tools, logger);

  const existing = await readJson<KernelBundle & { format: number }>(join(dir, 'bundle.json'));
  if (
    existing &&
    existing.format === bundleFormat &&
    downloaded === 0 &&
    sameVersion(existing.resolved, resolved) &&
    (await intact(existing))
  ) {
    return { bundle: existing, downloaded, extracted: false };
  }
  logger(`extracting ${resolved.packages.length} packages`);
  await rm(join(dir, 'bundle.json'), { force: true });
  const root = join(dir, 'root');
  await extractDebs(
    resolved.packages.map((p) => join(paths.debs, basename(p.filename))),
    root,
  );
  const bundle = await describe(k, resolved, dir, root);
  await fixHeaders(bundle.ksrc);
  await runDepmod(root, resolved.release);
  await writeFile(join(dir, 'bundle.json'), `${JSON.stringify({ format: bundleFormat, ...bundle }, null, 2)}\n`);
  return { bundle, downloaded, extracted: true };
}

/** A kernel whose files are on disk: where it came from and its bundle (bundle.json read once). */
export interface FetchedKernel {
  source: KernelSource;
  bundle: KernelBundle;
}

/** The fetched kernel, fetching it first if the cache lacks it (the matrix, the bench). */
export async function ensureFetched(source: KernelSource, logger: Logger): Promise<FetchedKernel> {
  if (source.kind === 'dir') return { source, bundle: await bundleFromDir(source) };
  const bundle = (await loadBundle(source.kernelId)) ?? (await fetchKernel(source, logger)).bundle;
  return { source, bundle };
}

/** The fetched kernel; a kernel not fetched yet is an error that says how (shell, build, repro, package test). */
export async function requireFetched(source: KernelSource): Promise<FetchedKernel> {
  if (source.kind === 'dir') return { source, bundle: await bundleFromDir(source) };
  return { source, bundle: await requireBundle(source.kernelId) };
}

// --- internal ---

async function describe(k: CatalogKernel, r: ResolvedKernel, dir: string, root: string): Promise<KernelBundle> {
  const rel = r.release;
  const inBoot = (name: string) => [`boot/${name}-${rel}`, `usr/lib/modules/${rel}/${name}`, `lib/modules/${rel}/${name}`];
  const vmlinuz = await findFirst(root, inBoot('vmlinuz'));
  const systemMap = await findFirst(root, inBoot('System.map'));
  const config = await findFirst(root, inBoot('config'));
  if (!vmlinuz || !systemMap || !config) {
    throw new HoneError(
      'E_KERNEL_FETCH',
      `the packages of ${rel} lack ${[!vmlinuz && 'vmlinuz', !systemMap && 'System.map', !config && 'config'].filter(Boolean).join(', ')}`,
    );
  }
  const ksrc = await findHeadersDir(root, rel);
  const cc = /^CONFIG_CC_VERSION_TEXT="(.*)"$/m.exec(await readFile(config, 'utf8'))?.[1] ?? '';
  return {
    id: k.id,
    release: rel,
    version: r.version,
    dir,
    root,
    vmlinuz,
    systemMap,
    config,
    ksrc,
    modulesDir: join(root, 'lib', 'modules', rel),
    ccVersionText: cc,
    resolved: r,
  };
}

function sameVersion(a: ResolvedKernel, b: ResolvedKernel): boolean {
  return a.packages.map((p) => p.sha256).join() === b.packages.map((p) => p.sha256).join();
}
