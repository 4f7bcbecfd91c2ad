// The guest image: a small initramfs per kernel with busybox, an SSH server
// (dropbear and the host libraries it links), the kernel's own virtio-net
// module closure, Hone's modules and their dependencies, the scenario runner,
// and /init from images/guest-init.sh.
//
// Hone's modules and the runner go in without their debug information
// (objcopy --strip-debug; symbols stay, so traces still name functions): it
// is half the image, and the kernel unpacking a larger initramfs and insmod
// reading larger modules were most of the boot's time over a bare boot
// (bench/results.md). The debug information stays in the build on the host.
//
// The image is not compressed: QEMU copies it into guest memory at host
// speed, while inflating it is guest work (under -icount on debian-6.12, /init
// started 1.4-2.3 s of guest time earlier without gzip, of 14.7-15.4 s).
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { HoneError } from '../util/errors.ts';
import { run } from '../util/run.ts';
import { cachePaths, repoRoot } from '../util/paths.ts';
import type { KernelBundle } from '../fetch/bundle.ts';
import { writeCpio, type CpioEntry } from './cpio.ts';
import type { GuestKeys } from './keys.ts';
import { loadModuleIndex, loadOrder, moduleDepends, moduleName, readModule } from './kernel-modules.ts';
import { arches, crossPrefix, type Arch } from '../catalog/arch.ts';
import type { Logger } from '../util/log.ts';
import { foreignUserland } from './userland.ts';

export interface ImageInputs {
  kernel: string;
  bundle: KernelBundle;
  keys: GuestKeys;
  /** Hone's modules in load order; none = a guest without the sensor. */
  honeModules?: string[];
  /** Static scenario runner to install as /usr/bin/hone-runner. */
  runner?: string;
  /** Load Hone's modules at boot (default); false ships them unloaded. */
  autoload?: boolean;
  /** More host programs to install at the same path: static ones, or dynamic ones with their libraries. */
  extraPrograms?: { path: string; dynamic: boolean; pkg: string; guestPath?: string }[];
  /** File name of the image in the cache (default initramfs.cpio). */
  imageName?: string;
  /** The guest's architecture (default amd64); another than the host's takes busybox and dropbear from its Debian packages. */
  arch?: Arch;
  logger?: Logger;
}

// veth: the veth-two-namespaces scenario makes a pair between two network namespaces
export const netModules = ['virtio_pci', 'virtio_net', 'veth'];

export async function makeInitramfs(inputs: ImageInputs): Promise<string> {
  const { bundle, kernel } = inputs;
  const files = new Files();
  for (const d of ['bin', 'sbin', 'usr/bin', 'usr/sbin', 'etc/hone', 'etc/dropbear', 'proc', 'sys', 'dev', 'tmp', 'run', 'var/run'])
    files.dir(d);
  files.dir('root', 0o700);
  files.dir('root/.ssh', 0o700);
  const target = inputs.arch ?? arches.amd64;
  const foreign = crossPrefix(target) !== '';
  const userland = foreign ? await foreignUserland(target, inputs.logger ?? (() => {})) : undefined;
  if (userland) for (const [guestPath, file] of userland.files) files.file(guestPath, await readFile(file), 0o755);
  else files.file('bin/busybox', await hostFile('/bin/busybox', 'busybox-static'), 0o755);
  files.file('init', await readFile(join(repoRoot, 'images', 'guest-init.sh')), 0o755);
  files.file('etc/passwd', Buffer.from('root:x:0:0:root:/root:/bin/sh\n'));
  files.file('etc/group', Buffer.from('root:x:0:\nhone:x:100:\n'));
  files.file('etc/shells', Buffer.from('/bin/sh\n'));
  files.file('root/.ssh/authorized_keys', Buffer.from(`${inputs.keys.clientPublic.trim()}\n`), 0o600);
  files.file('etc/dropbear/host_key', await readFile(inputs.keys.hostKeyFile), 0o600);
  if (!userland) await addDynamicProgram(files, '/usr/sbin/dropbear', 'dropbear-bin');

  const index = await loadModuleIndex(bundle.modulesDir);
  const rel = `lib/modules/${bundle.release}`;
  const guestPath = (relPath: string) => `/${rel}/${relPath.replace(/\.(xz|zst|gz)$/, '')}`;
  const addKernelModules = async (names: string[]): Promise<string[]> => {
    const out: string[] = [];
    for (const name of loadOrder(index, names, kernel)) {
      const relPath = index.paths.get(name) as string;
      files.file(guestPath(relPath), await readModule(join(bundle.modulesDir, relPath)));
      out.push(guestPath(relPath));
    }
    return out;
  };
  files.file('etc/hone/net.load', Buffer.from(`${(await addKernelModules(netModules)).join('\n')}\n`));

  if (inputs.honeModules?.length) {
    const own = new Set(inputs.honeModules.map(moduleName));
    const needed = new Set<string>();
    for (const ko of inputs.honeModules) for (const d of await moduleDepends(ko)) if (!own.has(d.replaceAll('-', '_'))) needed.add(d);
    const list = await addKernelModules([...needed]);
    for (const ko of inputs.honeModules) {
      const p = `/${rel}/extra/hone/${moduleName(ko)}.ko`;
      files.file(p, await withoutDebugInfo(ko, target));
      list.push(p);
    }
    files.file('etc/hone/hone.load', Buffer.from(`${list.join('\n')}\n`));
    if (inputs.autoload !== false) files.file('etc/hone/autoload', Buffer.from('1\n'));
  }
  if (inputs.runner) files.file('usr/bin/hone-runner', await withoutDebugInfo(inputs.runner, target), 0o755);
  for (const p of inputs.extraPrograms ?? []) {
    if (p.dynamic && foreign) {
      throw new HoneError('E_ARCH', `${p.path} is a host program (${p.pkg}): a ${target.debian} guest cannot run it`, {
        kernel,
        hint: `only static programs built for ${target.debian} go into its guests`,
      });
    }
    if (p.dynamic) await addDynamicProgram(files, p.path, p.pkg);
    else files.file(p.guestPath ?? p.path, await hostFile(p.path, p.pkg), 0o755);
  }

  const dir = cachePaths().images(kernel);
  await mkdir(dir, { recursive: true });
  for (const name of await readdir(dir)) {
    const age = await stat(join(dir, name)).then(
      (st) => Date.now() - st.mtimeMs,
      () => 0,
    );
    if (age > 24 * 3600 * 1000) await rm(join(dir, name), { force: true });
  }
  // one image per process: several hone processes may boot the same kernel at once
  const out = join(dir, `${process.pid}-${inputs.imageName ?? 'initramfs.cpio'}`);
  await writeFile(out, writeCpio(files.entries()));
  return out;
}

// --- internal ---

/** An ELF file's bytes without its debug sections (the target's objcopy). */
async function withoutDebugInfo(file: string, target: Arch): Promise<Buffer> {
  const dir = await mkdtemp(join(tmpdir(), 'hone-strip-'));
  try {
    const out = join(dir, 'stripped');
    const objcopy = `${crossPrefix(target)}objcopy`;
    await run(objcopy, ['--strip-debug', file, out], {
      code: 'E_IMAGE',
      hint: `${objcopy} comes with binutils${crossPrefix(target) ? `-${target.gnu}` : ''} (\`npx hone doctor --fix\`)`,
    });
    return await readFile(out);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export class Files {
  private readonly map = new Map<string, CpioEntry>();

  dir(path: string, mode = 0o755): void {
    const clean = path.replace(/^\/+/, '');
    const parent = dirname(clean);
    if (parent !== '.' && !this.map.has(parent)) this.dir(parent);
    if (!this.map.has(clean)) this.map.set(clean, { kind: 'dir', path: clean, mode });
  }

  file(path: string, data: Buffer, mode = 0o644): void {
    const clean = path.replace(/^\/+/, '');
    const parent = dirname(clean);
    if (parent !== '.') this.dir(parent);
    this.map.set(clean, { kind: 'file', path: clean, data, mode });
  }

  entries(): CpioEntry[] {
    return [...this.map.values()];
  }
}

async function hostFile(path: string, pkg: string): Promise<Buffer> {
  try {
    await stat(path);
  } catch {
    throw new HoneError('E_MISSING_TOOL', `${path} is missing on the host`, {
      hint: `apt-get install ${pkg} (or \`npx hone doctor --fix\`)`,
    });
  }
  return readFile(path);
}

/** Copies a host program and every shared library ldd says it needs. */
async function addDynamicProgram(files: Files, program: string, pkg: string): Promise<void> {
  files.file(program, await hostFile(program, pkg), 0o755);
  const ldd = await run('ldd', [program], { code: 'E_IMAGE' });
  for (const line of ldd.stdout.split('\n')) {
    const m = /(?:=>\s*)?(\/\S+)\s+\(0x/.exec(line);
    if (!m?.[1]) continue;
    const lib = m[1];
    const data = await readFile(lib);
    files.file(lib.startsWith('/lib64/') ? lib : `/lib/x86_64-linux-gnu/${lib.replace(/^.*\//, '')}`, data, 0o755);
  }
}
