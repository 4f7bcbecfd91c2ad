// Build roots: created once per suite (and compiler) with debootstrap, kept in
// the cache; builds run in them through a private mount namespace so nothing
// stays mounted on the host.
import { mkdir, readFile, rm, stat, writeFile, rename } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { HoneError } from '../util/errors.ts';
import type { Logger } from '../util/log.ts';
import { run, type RunResult } from '../util/run.ts';
import { cachePaths } from '../util/paths.ts';
import { findMirror } from '../fetch/mirror.ts';
import { buildRootPackages, debootstrapArgs, kernelBuildRootPackages } from '../../images/buildroot-recipe.ts';
import { createHash } from 'node:crypto';
import { tryLock } from '../util/lock.ts';

/** The build root of `suite` with gcc-<gccMajor>; `crossGnu` adds that gcc's cross compiler for it (e.g. aarch64-linux-gnu). */
export async function ensureBuildRoot(suite: string, gccMajor: number, logger: Logger, crossGnu?: string): Promise<string> {
  return ensureDebianRoot(
    {
      name: `${suite}-gcc${gccMajor}${crossGnu ? `-${crossGnu}` : ''}`,
      suite,
      packages: buildRootPackages(suite, gccMajor, crossGnu),
      what: `${suite} build root with gcc-${gccMajor}${crossGnu ? ` and gcc-${gccMajor}-${crossGnu}` : ''}`,
    },
    logger,
  );
}

/** The root that compiles a whole kernel (a catalog kernel built from source). */
export function kernelBuildRootSpec(suite: string, gccMajor: number): DebianRootSpec {
  return {
    name: `${suite}-kbuild-gcc${gccMajor}`,
    suite,
    packages: kernelBuildRootPackages(suite, gccMajor),
    what: `${suite} kernel build root with gcc-${gccMajor}`,
  };
}

/** The Debian version of a package installed in a root (read from its dpkg database; no root needed). */
export async function installedVersion(root: string, pkg: string): Promise<string | undefined> {
  const status = await readFile(join(root, 'var', 'lib', 'dpkg', 'status'), 'utf8').catch(() => '');
  for (const stanza of status.split(/\n\n+/)) {
    if (!new RegExp(`^Package: ${pkg.replace(/[.+]/g, '\\$&')}$`, 'm').test(stanza)) continue;
    if (!/^Status: install ok installed$/m.test(stanza)) continue;
    return /^Version: (\S+)$/m.exec(stanza)?.[1];
  }
  return undefined;
}

export interface DebianRootSpec {
  /** Folder name prefix under the cache's buildroots/. */
  name: string;
  suite: string;
  packages: string[];
  /** For messages, e.g. "trixie build root with gcc-14". */
  what: string;
}

/**
 * A minimal Debian root made once with debootstrap and cached, named after
 * its recipe (so a changed recipe makes a new root), one maker at a time.
 */
export async function ensureDebianRoot(spec: DebianRootSpec, logger: Logger): Promise<string> {
  const recipe = createHash('sha256').update(spec.packages.join(',')).digest('hex').slice(0, 8);
  const dir = cachePaths().buildRoot(`${spec.name}-${recipe}`);
  if (await exists(join(dir, '.hone-complete'))) return dir;
  if (process.getuid?.() !== 0) {
    throw new HoneError('E_NEED_ROOT', `a ${spec.what} is needed and making one needs root`, {
      hint: 'run the command once as root (sudo); the root is cached for later runs',
    });
  }
  await requireTool('debootstrap', 'apt-get install debootstrap');
  // one maker per root: another hone process may be making it right now
  const lock = `${dir}.lock`;
  while (!(await tryLock(lock))) {
    if (await exists(join(dir, '.hone-complete'))) return dir;
    logger(`waiting for another hone process to finish the ${spec.what} (${lock})`);
    await new Promise((r) => setTimeout(r, 5000));
  }
  try {
    if (await exists(join(dir, '.hone-complete'))) return dir;
    return await makeRoot(spec, dir, logger);
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
}

async function makeRoot(spec: DebianRootSpec, dir: string, logger: Logger): Promise<string> {
  const mirror = (await findMirror()).debian;
  const tmp = `${dir}.partial`;
  // a debootstrap that died mid-way can leave its /proc mounted in the partial root
  await run('umount', ['-l', `${tmp}/proc`], { allowFail: true });
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  logger(`making a ${spec.what} (debootstrap, about a minute, once)`);
  const started = Date.now();
  await run('debootstrap', debootstrapArgs(spec.suite, spec.packages, tmp, mirror), {
    code: 'E_BUILD_ROOT',
    hint: `check that ${mirror} serves ${spec.suite}; the partial root is in ${tmp}`,
  });
  await writeFile(join(tmp, '.hone-complete'), `${new Date().toISOString()}\n`);
  await rm(dir, { recursive: true, force: true });
  await rename(tmp, dir);
  logger(`${spec.what} ready in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return dir;
}

/**
 * Runs a command inside a build root with the given host folders visible at
 * the same paths (bind mounts in a private mount namespace).
 */
export async function runInBuildRoot(
  root: string,
  binds: string[],
  argv: string[],
  opts: { timeoutMs?: number; onLine?: (line: string) => void } = {},
): Promise<RunResult> {
  const q = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;
  const mounts = binds.map((b) => `mkdir -p ${q(root + b)} && mount --bind ${q(b)} ${q(root + b)}`);
  const script = [
    'set -e',
    ...mounts,
    `mount -t proc proc ${q(`${root}/proc`)}`,
    `exec chroot ${q(root)} env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C ${argv.map(q).join(' ')}`,
  ].join('\n');
  return run('unshare', ['--mount', '--propagation', 'private', '--', 'sh', '-c', script], {
    allowFail: true,
    timeoutMs: opts.timeoutMs,
    onLine: opts.onLine,
  });
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}

export async function requireTool(tool: string, install: string): Promise<void> {
  const r = await run('sh', ['-c', `command -v ${tool}`], { allowFail: true });
  if (r.exitCode !== 0) {
    throw new HoneError('E_MISSING_TOOL', `${tool} is not installed`, { hint: `${install} (or run \`npx hone doctor --fix\`)` });
  }
}
