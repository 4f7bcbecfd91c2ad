// The package test: build the hone-dkms deb, install it in a Debian guest
// whose root is made by debootstrap (not the busybox initramfs), and see
// DKMS build the modules for that guest's kernel and modprobe load them.
//
//   kmod/ --make deb--> hone-dkms.deb ----------------------+
//   debootstrap <suite> + dkms + gcc  (cached)               |
//   + the kernel's headers debs (dpkg -i, in a chroot)       |
//   + the kernel's modules tree  --> ext4 image <------------+
//   boot: kernel + tiny initramfs (virtio_blk, ext4) -> switch_root
//         -> /hone-dkms-test: dpkg -i, modprobe honeevent, read, modprobe -r
import { cp, mkdir, readFile, rm, writeFile, chmod } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { createWriteStream } from 'node:fs';
import { execa } from '../vendor.ts';
import type { CatalogKernel } from '../catalog/catalog.ts';
import { bundleFor } from '../fetch/bundle.ts';
import { ensureDebianRoot, runInBuildRoot } from '../build/buildroot.ts';
import { chooseAccel } from '../guest/accel.ts';
import { Files } from '../guest/initramfs.ts';
import { gzipCpio } from '../guest/cpio.ts';
import { loadModuleIndex, loadOrder, readModule } from '../guest/kernel-modules.ts';
import { qemuArgs } from '../guest/qemu-args.ts';
import { classifyLine, ConsoleTail } from '../guest/console.ts';
import { HoneError } from '../util/errors.ts';
import type { Logger } from '../util/log.ts';
import { run } from '../util/run.ts';
import { cachePaths, repoRoot } from '../util/paths.ts';
import { debianRootPackages } from '../../images/debian-root-recipe.ts';

export interface PackageTestResult {
  kernel: string;
  deb: string;
  steps: string[];
  consoleFile: string;
  durationMs: number;
}

export async function runPackageTest(k: CatalogKernel, logger: Logger, out: string): Promise<PackageTestResult> {
  const started = Date.now();
  const bundle = await bundleFor(k);
  await mkdir(out, { recursive: true });
  logger('building the hone-dkms deb (make -C kmod deb)');
  await run('make', ['-s', '-C', join(repoRoot, 'kmod'), 'deb'], { code: 'E_MODULE_BUILD', kernel: k.id });
  const version = /^PACKAGE_VERSION="(.*)"$/m.exec(await readFile(join(repoRoot, 'kmod', 'dkms.conf'), 'utf8'))?.[1] ?? '';
  const deb = join(repoRoot, 'kmod', 'pkg-build', `hone-dkms_${version}_all.deb`);

  const root = await ensureDebianRoot({ name: `${k.suite}-dkms`, suite: k.suite, packages: debianRootPackages(k.suite), what: `${k.suite} root with dkms` }, logger, k.id);
  const work = join(cachePaths().root, 'package-test', k.id);
  const staging = join(work, 'root');
  await run('rm', ['-rf', work]);
  await mkdir(work, { recursive: true });
  logger('staging the Debian root: kernel headers (dpkg -i), modules, the deb, the test');
  await run('cp', ['-a', `${root}/.`, staging], { code: 'E_IMAGE', kernel: k.id });
  const headerDebs = bundle.resolved.packages.filter((p) => /^linux-(headers|kbuild)-/.test(p.name)).map((p) => join(cachePaths().debs, basename(p.filename)));
  await mkdir(join(staging, 'tmp', 'debs'), { recursive: true });
  for (const d of headerDebs) await cp(d, join(staging, 'tmp', 'debs', basename(d)));
  const dpkg = await runInBuildRoot(staging, [], ['sh', '-c', 'dpkg -i /tmp/debs/*.deb && rm -rf /tmp/debs'], { kernel: k.id });
  if (dpkg.exitCode !== 0) {
    throw new HoneError('E_IMAGE', `installing the kernel headers in the Debian root failed`, { kernel: k.id, details: (dpkg.stdout + dpkg.stderr).split('\n').slice(-15) });
  }
  await run('cp', ['-a', bundle.modulesDir, join(staging, 'lib', 'modules', bundle.release)], { code: 'E_IMAGE', kernel: k.id });
  await cp(deb, join(staging, 'root', 'hone-dkms.deb'));
  await cp(join(repoRoot, 'images', 'dkms-test.sh'), join(staging, 'hone-dkms-test'));
  await chmod(join(staging, 'hone-dkms-test'), 0o755);
  const image = join(work, 'root.ext4');
  await run('mkfs.ext4', ['-q', '-F', '-L', 'hone-debian', '-d', staging, image, '4G'], { code: 'E_IMAGE', kernel: k.id, hint: 'apt-get install e2fsprogs' });
  await rm(staging, { recursive: true, force: true });

  const initrd = join(work, 'boot.cpio.gz');
  await writeFile(initrd, await bootInitramfs(bundle.modulesDir, k.id));
  const accel = await chooseAccel(bundle.vmlinuz, logger);
  const consoleFile = join(out, 'console.log');
  logger(`booting the Debian root (${accel.accel}); DKMS compiles inside the guest, which takes minutes under TCG`);
  const steps = await boot(k.id, { vmlinuz: bundle.vmlinuz, initrd, image, accel: accel.accel, consoleFile, logger });
  return { kernel: k.id, deb, steps, consoleFile, durationMs: Date.now() - started };
}

// --- internal ---

async function bootInitramfs(modulesDir: string, kernel: string): Promise<Buffer> {
  const files = new Files();
  for (const d of ['proc', 'sys', 'dev', 'newroot', 'etc/hone', 'bin', 'sbin', 'usr/bin', 'usr/sbin']) files.dir(d);
  files.file('bin/busybox', await readFile('/bin/busybox'), 0o755);
  files.file('init', await readFile(join(repoRoot, 'images', 'dkms-boot-init.sh')), 0o755);
  const index = await loadModuleIndex(modulesDir);
  const list: string[] = [];
  // ext4 needs crc32c through a soft dependency that modules.dep does not list
  const wanted = ['virtio_pci', 'virtio_blk', 'crc32c_generic', 'ext4'].filter((m) => index.paths.has(m) || index.builtin.has(m) || m !== 'crc32c_generic');
  for (const name of loadOrder(index, wanted, kernel)) {
    const rel = index.paths.get(name) as string;
    const guest = `/lib/modules/${rel.replace(/\.(xz|zst|gz)$/, '')}`;
    files.file(guest, await readModule(join(modulesDir, rel)));
    list.push(guest);
  }
  files.file('etc/hone/boot.load', Buffer.from(`${list.join('\n')}\n`));
  return gzipCpio(files.entries());
}

async function boot(
  kernel: string,
  o: { vmlinuz: string; initrd: string; image: string; accel: 'kvm' | 'tcg'; consoleFile: string; logger: Logger },
): Promise<string[]> {
  const args = qemuArgs({ kernel: o.vmlinuz, initrd: o.initrd, accel: o.accel, smp: 2, memoryMiB: 1024, drives: [o.image] });
  const log = createWriteStream(o.consoleFile);
  const tail = new ConsoleTail(80);
  const steps: string[] = [];
  const qemu = execa('qemu-system-x86_64', args, { reject: false, stdin: 'ignore', buffer: false, timeout: 20 * 60 * 1000 });
  let verdict: { ok: true } | { ok: false; why: string; code: 'E_KERNEL_CRASH' | 'E_MODULE_LOAD' } | undefined;
  let partial = '';
  qemu.stdout?.on('data', (chunk: Buffer) => {
    log.write(chunk);
    const lines = (partial + chunk.toString()).split('\n');
    partial = lines.pop() ?? '';
    for (const raw of lines) {
      const line = raw.replace(/\r$/, '');
      tail.push(line);
      const step = /^HONE-DKMS-STEP (.*)$/.exec(line)?.[1];
      if (step) {
        steps.push(step);
        o.logger(`guest: ${step}`);
      }
      if (line.startsWith('HONE-DKMS-OK')) verdict ??= { ok: true };
      const failed = /^HONE-DKMS-FAIL (.*)$/.exec(line)?.[1];
      if (failed) verdict ??= { ok: false, why: failed, code: 'E_MODULE_LOAD' };
      if (classifyLine(line).kind === 'splat') verdict ??= { ok: false, why: `kernel crash: ${line.trim()}`, code: 'E_KERNEL_CRASH' };
    }
  });
  const r = await qemu;
  await new Promise<void>((res) => log.end(res));
  if (verdict?.ok) return steps;
  const why = verdict ? verdict.why : r.timedOut ? 'the guest did not finish within 20 minutes' : 'the guest powered off before the test finished';
  throw new HoneError(verdict?.code ?? 'E_GUEST_BOOT', `package test: ${why}`, { kernel, details: tail.last(30), hint: `console log: ${o.consoleFile}` });
}
