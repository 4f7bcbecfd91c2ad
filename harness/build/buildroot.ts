// Build roots: created once per suite (and compiler) with debootstrap, kept in
// the cache; builds run in them through a private mount namespace so nothing
// stays mounted on the host.
import { mkdir, rm, stat, writeFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { HoneError } from '../util/errors.ts';
import type { Logger } from '../util/log.ts';
import { run, type RunResult } from '../util/run.ts';
import { cachePaths } from '../util/paths.ts';
import { findMirror } from '../fetch/mirror.ts';
import { debootstrapArgs } from '../../images/buildroot-recipe.ts';

export async function ensureBuildRoot(suite: string, gccMajor: number, logger: Logger, kernel: string): Promise<string> {
  const dir = cachePaths().buildRoot(`${suite}-gcc${gccMajor}`);
  if (await exists(join(dir, '.hone-complete'))) return dir;
  if (process.getuid?.() !== 0) {
    throw new HoneError('E_NEED_ROOT', `a ${suite} build root is needed (kernel built with gcc-${gccMajor}) and making one needs root`, {
      kernel,
      hint: 'run `sudo npx hone build ...` once; the root is cached for later runs',
    });
  }
  await requireTool('debootstrap', 'apt-get install debootstrap');
  const mirror = (await findMirror()).debian;
  const tmp = `${dir}.partial`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  logger(`making a ${suite} build root with gcc-${gccMajor} (debootstrap, about a minute, once)`);
  const started = Date.now();
  await run('debootstrap', debootstrapArgs(suite, gccMajor, tmp, mirror), {
    code: 'E_BUILD_ROOT',
    kernel,
    hint: `check that ${mirror} serves ${suite}; the partial root is in ${tmp}`,
  });
  await writeFile(join(tmp, '.hone-complete'), `${new Date().toISOString()}\n`);
  await rm(dir, { recursive: true, force: true });
  await rename(tmp, dir);
  logger(`build root ready in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return dir;
}

/**
 * Runs a command inside a build root with the given host folders visible at
 * the same paths (bind mounts in a private mount namespace).
 */
export async function runInBuildRoot(root: string, binds: string[], argv: string[], opts: { kernel: string; timeoutMs?: number }): Promise<RunResult> {
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
    kernel: opts.kernel,
    timeoutMs: opts.timeoutMs,
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
