// Fetching a catalog kernel built from source: resolve the newest
// linux-source package in its suites (pinned in resolved.json like any
// kernel), download it through the isolated apt, make the kernel build
// root, compute the build's content key, and build only when the cached
// tree was made from other inputs. The result is an ordinary bundle
// (bundle.json), so build, shell and matrix use it like a Debian image.
import { readFile, rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { HoneError } from '../util/errors.ts';
import type { Logger } from '../util/log.ts';
import { cachePaths } from '../util/paths.ts';
import { keepLockFresh, tryLock } from '../util/lock.ts';
import type { CatalogKernel } from '../catalog/catalog.ts';
import { resolveSourceKernel, type ResolvedKernel } from '../catalog/resolve.ts';
import { ensureDebianRoot, installedVersion, kernelBuildRootSpec } from '../kbuild/buildroot.ts';
import { buildSourceKernel, elapsed, readBuiltMarker } from '../kbuild/kernel-build.ts';
import { changedInputs, kernelBuildKey, kernelRecipeVersion, type KernelBuildInputs } from '../kbuild/kernel-key.ts';
import { parseConfig } from '../kbuild/kernel-config.ts';
import type { IsolatedApt } from './apt.ts';
import { ensureDebs } from './download.ts';
import { bundleFormat, intact, readJson, type FetchReport, type KernelBundle } from './bundle.ts';

export async function fetchSourceKernel(
  k: CatalogKernel,
  apt: IsolatedApt,
  logger: Logger,
  opts: { refresh?: boolean; cache?: string },
): Promise<FetchReport> {
  const src = k.source;
  if (!src) throw new HoneError('E_KERNEL_FETCH', 'not a kernel built from source');
  const paths = cachePaths(opts.cache);
  const dir = paths.kernel(k.id);
  const fragmentText = await readFile(src.fragmentFile, 'utf8').catch(() => {
    throw new HoneError('E_CATALOG', `the config fragment ${src.fragmentFile} is missing`, {
      hint: `"fragment" names a file next to harness/catalog/kernels.json`,
    });
  });

  let resolved = opts.refresh ? undefined : await readJson<ResolvedKernel>(join(dir, 'resolved.json'));
  if (resolved && resolved.packages[0]?.name !== src.package) resolved = undefined; // the catalog names another source now
  if (!resolved) {
    if (opts.refresh || !(await apt.hasLists())) {
      logger('updating package lists (isolated apt)');
      await apt.update();
    }
    resolved = await resolveSourceKernel(apt, k, localVersion(fragmentText));
    logger(`resolved to ${src.package} ${resolved.version}`);
    await writeFile(join(dir, 'resolved.json'), `${JSON.stringify(resolved, null, 2)}\n`);
  }
  const downloaded = await ensureDebs(apt, paths.debs, resolved.packages, logger);
  const pkg = resolved.packages[0];
  if (!pkg)
    throw new HoneError('E_KERNEL_FETCH', `resolved.json of ${k.id} pins no package`, {
      hint: `run \`npx hone fetch ${k.id} --refresh\``,
    });

  const spec = kernelBuildRootSpec(k.buildSuite, src.gcc);
  const root = await ensureDebianRoot(spec, logger);
  const gccVersion = await installedVersion(root, `gcc-${src.gcc}`);
  if (!gccVersion) {
    throw new HoneError('E_BUILD_ROOT', `the ${spec.what} has no gcc-${src.gcc} installed`, {
      hint: `delete ${root} and fetch again to make it anew`,
    });
  }
  const inputs: KernelBuildInputs = {
    source: { name: pkg.name, version: pkg.version, sha256: pkg.sha256 },
    fragment: { name: src.fragment, sha256: createHash('sha256').update(fragmentText).digest('hex') },
    compiler: `gcc-${src.gcc} ${gccVersion}`,
    recipe: kernelRecipeVersion,
    buildRoot: spec.packages,
  };
  const key = kernelBuildKey(inputs);
  const tree = join(dir, 'tree');
  const built = await readBuiltMarker(tree);
  const existing = await readJson<KernelBundle & { format: number }>(join(dir, 'bundle.json'));
  if (
    existing &&
    existing.format === bundleFormat &&
    built?.key === key &&
    existing.resolved.built?.key === key &&
    (await intact(existing))
  ) {
    // a --refresh that resolved to the same package keeps the build's record
    if (resolved.built?.key !== key)
      await writeFile(
        join(dir, 'resolved.json'),
        `${JSON.stringify({ ...resolved, release: existing.release, built: existing.resolved.built }, null, 2)}\n`,
      );
    return { bundle: existing, downloaded, extracted: false };
  }

  logger(`building the kernel (key ${key}): ${changedInputs(built?.inputs, inputs).join('; ')}`);
  await rm(join(dir, 'bundle.json'), { force: true });
  const result = await oneBuilderAtATime(paths.kernels, logger, () =>
    buildSourceKernel(
      {
        tree,
        deb: join(paths.debs, basename(pkg.filename)),
        fragment: { name: src.fragment, text: fragmentText },
        root,
        cc: `gcc-${src.gcc}`,
        binds: [paths.root],
        inputs,
        key,
        jobs: availableParallelism(),
        lastSteps: built?.steps ?? resolved?.built?.steps,
      },
      logger,
    ),
  );
  logger(
    `built ${result.release} in ${elapsed(result.buildSeconds * 1000)} (${result.cold ? 'cold: fresh extraction' : 'incremental'}, ${result.steps} steps), log: ${join(tree, 'build.log')}`,
  );
  const done = { ...resolved, release: result.release, built: result };
  await writeFile(join(dir, 'resolved.json'), `${JSON.stringify(done, null, 2)}\n`);
  const bundle = describeSourceBundle(k, done, dir);
  await writeFile(join(dir, 'bundle.json'), `${JSON.stringify({ format: bundleFormat, ...bundle }, null, 2)}\n`);
  return { bundle, downloaded, extracted: true, built: result };
}

/** CONFIG_LOCALVERSION of a fragment ("" when it sets none). */
export function localVersion(fragment: string): string {
  const v = parseConfig(fragment).get('CONFIG_LOCALVERSION');
  return v ? v.replace(/^"|"$/g, '') : '';
}

/** Where a built tree keeps what a bundle names. */
export function describeSourceBundle(
  k: CatalogKernel,
  r: ResolvedKernel & { built: NonNullable<ResolvedKernel['built']> },
  dir: string,
): KernelBundle {
  const tree = join(dir, 'tree');
  const src = join(tree, 'src');
  const root = join(tree, 'root');
  return {
    id: k.id,
    release: r.built.release,
    version: r.version,
    dir,
    root,
    vmlinuz: join(src, 'arch', 'x86', 'boot', 'bzImage'),
    systemMap: join(src, 'System.map'),
    config: join(src, '.config'),
    ksrc: src,
    modulesDir: join(root, 'lib', 'modules', r.built.release),
    ccVersionText: r.built.ccVersionText,
    resolved: r,
  };
}

// --- internal ---

/** One kernel build at a time across hone processes (two would share two cores). */
async function oneBuilderAtATime<T>(kernelsDir: string, logger: Logger, f: () => Promise<T>): Promise<T> {
  const lock = join(kernelsDir, '.kernel-build.lock');
  while (!(await tryLock(lock))) {
    logger(`waiting for another hone process building a kernel (${lock})`);
    await new Promise((r) => setTimeout(r, 30000));
  }
  const stop = keepLockFresh(lock);
  try {
    return await f();
  } finally {
    stop();
    await rm(lock, { recursive: true, force: true });
  }
}
