// The guest's userland for an architecture other than the host's: busybox
// and dropbear (and the libraries dropbear links) from Debian's own packages
// of that architecture, resolved once through its isolated apt and pinned
// with their sha256 in the cache (userland/<arch>/resolved.json), like a
// kernel's packages; `hone fetch --refresh` of a kernel of that architecture
// does not move them: delete the folder to re-resolve. On the host's own
// architecture the host's /bin/busybox and /usr/sbin/dropbear are used.
import { lstat, mkdir, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { basename, join, posix } from 'node:path';
import { HoneError } from '../util/errors.ts';
import type { Logger } from '../util/log.ts';
import { run } from '../util/run.ts';
import { cachePaths } from '../util/paths.ts';
import type { Arch } from '../catalog/arch.ts';
import { newestInSuites, parseDepends, parseStanzas, type ResolvedPackage } from '../catalog/resolve.ts';
import { IsolatedApt } from '../fetch/apt.ts';
import { findMirror } from '../fetch/mirror.ts';
import { ensureDebs } from '../fetch/download.ts';
import { extractDebs } from '../fetch/extract.ts';
import { keepLockFresh, tryLock } from '../util/lock.ts';

/** The suites the userland comes from: the host's own release. */
export const userlandSuites = ['bookworm', 'bookworm-updates', 'bookworm-security'];
const wanted = ['busybox-static', 'dropbear-bin'];

export interface Userland {
  /** The folder the packages are extracted into. */
  root: string;
  /** Guest path -> file on the host. */
  files: Map<string, string>;
}

export async function foreignUserland(target: Arch, logger: Logger): Promise<Userland> {
  const dir = join(cachePaths().root, 'userland', target.debian);
  await mkdir(dir, { recursive: true });
  const lock = `${dir}.lock`;
  while (!(await tryLock(lock))) {
    logger(`waiting for another hone process preparing the ${target.debian} userland (${lock})`);
    await new Promise((r) => setTimeout(r, 3000));
  }
  const stop = keepLockFresh(lock);
  try {
    return await prepare(target, dir, logger);
  } finally {
    stop();
    await rm(lock, { recursive: true, force: true });
  }
}

// --- internal ---

async function prepare(target: Arch, dir: string, logger: Logger): Promise<Userland> {
  const paths = cachePaths();
  const apt = new IsolatedApt(paths.aptFor(target.debian), await findMirror(), target.debian);
  const resolvedFile = join(dir, 'resolved.json');
  let pins = await readFile(resolvedFile, 'utf8')
    .then((t) => JSON.parse(t) as ResolvedPackage[])
    .catch(() => undefined);
  if (!pins) {
    await apt.prepare();
    if (!(await apt.hasLists())) {
      logger(`updating package lists (isolated apt, ${target.debian})`);
      await apt.update();
    }
    pins = await resolveClosure(apt, wanted);
    logger(`${target.debian} userland: ${pins.map((p) => `${p.name} ${p.version}`).join(', ')}`);
    await writeFile(resolvedFile, `${JSON.stringify(pins, null, 2)}\n`);
  }
  const root = join(dir, 'root');
  const stamp = join(dir, 'extracted.json');
  const key = pins.map((p) => p.sha256).join();
  const extracted = await readFile(stamp, 'utf8').catch(() => '');
  if ((await ensureDebs(apt, paths.debs, pins, logger)) > 0 || extracted !== key) {
    await extractDebs(
      pins.map((p) => join(paths.debs, basename(p.filename))),
      root,
    );
    await writeFile(stamp, key);
  }
  const files = new Map<string, string>();
  files.set('/bin/busybox', await inRoot(root, '/bin/busybox'));
  await addWithLibraries(files, root, '/usr/sbin/dropbear', target);
  return { root, files };
}

/** The packages and, recursively, their Depends and Pre-Depends, each at its newest version in the userland's suites. */
async function resolveClosure(apt: IsolatedApt, names: string[]): Promise<ResolvedPackage[]> {
  const out: ResolvedPackage[] = [];
  const seen = new Set<string>();
  const todo = [...names];
  while (todo.length) {
    const name = todo.shift() as string;
    if (seen.has(name)) continue;
    seen.add(name);
    const version = newestInSuites((await apt.aptCache(['madison', name])).stdout, userlandSuites);
    if (!version) throw new HoneError('E_IMAGE', `no ${name} for ${apt.arch} in ${userlandSuites.join(', ')}`);
    const s = parseStanzas((await apt.aptCache(['show', `${name}=${version}`])).stdout)[0];
    if (!s) throw new HoneError('E_IMAGE', `apt-cache show ${name}=${version} printed nothing`);
    out.push({ name, version, filename: s.filename ?? '', size: Number(s.size ?? 0), sha256: s.sha256 ?? '' });
    // libraries only (zlib1g's name does not start with lib): no maintainer scripts' tools
    for (const d of [...parseDepends(s['pre-depends']), ...parseDepends(s.depends)]) if (/^(lib|zlib)/.test(d.name)) todo.push(d.name);
  }
  return out;
}

/** A program of the root and every library it needs (its ELF NEEDED entries, recursively, and its interpreter). */
async function addWithLibraries(files: Map<string, string>, root: string, program: string, target: Arch): Promise<void> {
  const libDirs = [`/lib/${target.gnu}`, `/usr/lib/${target.gnu}`, '/lib', '/usr/lib'];
  const todo = [program];
  while (todo.length) {
    const path = todo.shift() as string;
    if (files.has(path)) continue;
    const host = await inRoot(root, path);
    files.set(path, host);
    const r = await run('readelf', ['-d', '-l', '-W', host], { code: 'E_IMAGE', hint: 'apt-get install binutils' });
    const interp = /Requesting program interpreter: (\S+?)\]/.exec(r.stdout)?.[1];
    if (interp) todo.push(interp);
    for (const m of r.stdout.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)) {
      const lib = m[1] as string;
      const found = await firstInRoot(
        root,
        libDirs.map((d) => posix.join(d, lib)),
      );
      if (!found) throw new HoneError('E_IMAGE', `${program} needs ${lib}, which no ${target.debian} package of the userland has`);
      todo.push(found);
    }
  }
}

async function firstInRoot(root: string, candidates: string[]): Promise<string | undefined> {
  for (const c of candidates) {
    if (await inRoot(root, c).then(Boolean, () => false)) return c;
  }
  return undefined;
}

/**
 * The host file of a path in the root, its symbolic links followed inside
 * the root (a package's absolute link, /lib/ld-linux-aarch64.so.1 ->
 * /lib/aarch64-linux-gnu/..., must not reach the host's own /lib).
 */
async function inRoot(root: string, path: string): Promise<string> {
  let p = posix.normalize(path);
  for (let hops = 0; hops < 16; hops++) {
    const file = join(root, p);
    const st = await lstat(file).catch(() => undefined);
    if (!st) break;
    if (!st.isSymbolicLink()) return file;
    const to = await readlink(file);
    p = posix.normalize(to.startsWith('/') ? to : posix.join(posix.dirname(p), to));
  }
  throw new HoneError('E_IMAGE', `${path} is missing from the extracted userland packages (${root})`, {
    hint: `remove ${root.replace(/\/root$/, '')} to resolve and extract them again`,
  });
}
