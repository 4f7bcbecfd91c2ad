// The package test: build the hone-dkms and hone-tools debs, install them in
// a Debian guest whose root is made by debootstrap (not the busybox
// initramfs) and boots systemd; see DKMS build the modules for that guest's
// kernel and modprobe load them, then run the recorder as an operator would:
// hone.service, traffic, three rotations by logrotate, stop. Then, on the
// host, out of the disk image: every rotated file opens in tshark, the files
// together hold every event of the traffic exactly once (against a second,
// never rotated recording of the same time), and the drop counters are 0.
//
//   kmod/ --make deb--> hone-dkms.deb ----------------------------+
//   debootstrap <suite> + dkms + gcc + systemd + logrotate (cached) |
//   + the kernel's headers debs (dpkg -i, in a chroot)             |
//   + make -C kmod tools-deb (in that chroot) --> hone-tools.deb --+
//   + the kernel's modules tree, hone-traffic --> ext4 image <-----+
//   boot: kernel + tiny initramfs (virtio_blk, ext4) -> switch_root systemd
//         -> hone-package-test.service (images/package-test.sh)
//   host: debugfs rdump /var/log/hone, /root/ref.pcapng -> checkRecording, tshark
import { cp, mkdir, readFile, readdir, rm, stat, symlink, writeFile, chmod } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { basename, join } from 'node:path';
import type { CatalogSource } from '../catalog/source.ts';
import { requireFetched } from '../fetch/fetch.ts';
import { ensureDebianRoot, runInBuildRoot } from '../kbuild/buildroot.ts';
import { chooseAccel } from '../guest/accel.ts';
import { Files } from '../guest/initramfs.ts';
import { gzipCpio } from '../guest/cpio.ts';
import { loadModuleIndex, loadOrder, readModule } from '../guest/kernel-modules.ts';
import { spawnQemu } from '../guest/qemu.ts';
import { classifyLine, ConsoleTail } from '../guest/console.ts';
import { HoneError } from '../util/errors.ts';
import type { Logger } from '../util/log.ts';
import { run } from '../util/run.ts';
import { cachePaths, repoRoot } from '../util/paths.ts';
import { checkRecording, type RecordingFile, type RecordingVerdict } from '../capture/recording.ts';
import { tsharkFields } from '../capture/tshark.ts';
import { debianRootPackages } from '../../images/debian-root-recipe.ts';
import { buildTrafficStatic } from './tools.ts';

export interface PackageTestResult {
  kernel: string;
  deb: string;
  toolsDeb: string;
  steps: string[];
  consoleFile: string;
  durationMs: number;
  /** The guest's part: boot to power-off. */
  guestMs: number;
  /** Guest uptime (s) at each step, and at "done" (the verdict). */
  stepTimes: Array<{ step: string; uptime: number }>;
  /** `stat` in the guest of /var/log/hone and its files: path -> "mode owner:group". */
  guestModes: Record<string, string>;
  /** The recorder's files, oldest first, each as tshark read it. */
  files: Array<{ name: string; bytes: number; frames: number; mode: string }>;
  recording: RecordingVerdict;
}

export async function runPackageTest(source: CatalogSource, logger: Logger, out: string): Promise<PackageTestResult> {
  const started = Date.now();
  const k = source.entry;
  const { bundle } = await requireFetched(source);
  await mkdir(out, { recursive: true });
  logger('building the hone-dkms deb (make -C kmod deb)');
  await run('make', ['-s', '-C', join(repoRoot, 'kmod'), 'deb'], { code: 'E_MODULE_BUILD', kernel: k.id });
  const version = /^PACKAGE_VERSION="(.*)"$/m.exec(await readFile(join(repoRoot, 'kmod', 'dkms.conf'), 'utf8'))?.[1] ?? '';
  const deb = join(repoRoot, 'kmod', 'pkg-build', `hone-dkms_${version}_all.deb`);

  const root = await ensureDebianRoot(
    { name: `${k.suite}-dkms`, suite: k.suite, packages: debianRootPackages(k.suite), what: `${k.suite} root with dkms` },
    logger,
  );
  const work = join(cachePaths().root, 'package-test', k.id);
  const staging = join(work, 'root');
  await run('rm', ['-rf', work]);
  await mkdir(work, { recursive: true });
  logger('staging the Debian root: kernel headers (dpkg -i), modules, the deb, the test');
  await run('cp', ['-a', `${root}/.`, staging], { code: 'E_IMAGE', kernel: k.id });
  const headerDebs = bundle.resolved.packages
    .filter((p) => /^linux-(headers|kbuild)-/.test(p.name))
    .map((p) => join(cachePaths().debs, basename(p.filename)));
  await mkdir(join(staging, 'tmp', 'debs'), { recursive: true });
  for (const d of headerDebs) await cp(d, join(staging, 'tmp', 'debs', basename(d)));
  const dpkg = await runInBuildRoot(staging, [], ['sh', '-c', 'dpkg -i /tmp/debs/*.deb && rm -rf /tmp/debs']);
  if (dpkg.exitCode !== 0) {
    throw new HoneError('E_IMAGE', `installing the kernel headers in the Debian root failed`, {
      kernel: k.id,
      details: (dpkg.stdout + dpkg.stderr).split('\n').slice(-15),
    });
  }
  await run('cp', ['-a', bundle.modulesDir, join(staging, 'lib', 'modules', bundle.release)], { code: 'E_IMAGE', kernel: k.id });
  await cp(deb, join(staging, 'root', 'hone-dkms.deb'));
  const toolsDeb = await buildToolsDeb(staging, version, k.id);
  await cp(toolsDeb, join(staging, 'root', 'hone-tools.deb'));
  await cp(await buildTrafficStatic(work), join(staging, 'root', 'hone-traffic'));
  await installTestUnit(staging);
  const image = join(work, 'root.ext4');
  await run('mkfs.ext4', ['-q', '-F', '-L', 'hone-debian', '-d', staging, image, '4G'], {
    code: 'E_IMAGE',
    kernel: k.id,
    hint: 'apt-get install e2fsprogs',
  });
  await rm(staging, { recursive: true, force: true });

  const initrd = join(work, 'boot.cpio.gz');
  await writeFile(initrd, await bootInitramfs(bundle.modulesDir, k.id));
  const accel = await chooseAccel(bundle.vmlinuz, logger);
  const consoleFile = join(out, 'console.log');
  logger(`booting the Debian root (${accel.accel}); DKMS compiles inside the guest, which takes minutes under TCG`);
  const booted = Date.now();
  const { steps, guestModes, stepTimes } = await boot(k.id, {
    vmlinuz: bundle.vmlinuz,
    initrd,
    image,
    accel: accel.accel,
    consoleFile,
    logger,
  });
  const guestMs = Date.now() - booted;
  logger("reading the recorder's files out of the disk image (debugfs)");
  const { files, recording } = await checkRecorder(image, join(out, 'recording'), k.id);
  return {
    kernel: k.id,
    deb,
    toolsDeb,
    steps,
    stepTimes,
    guestModes,
    consoleFile,
    durationMs: Date.now() - started,
    guestMs,
    files,
    recording,
  };
}

// --- internal ---

/** hone-tools built in the guest's own root (its libc), as an operator of that release would. */
async function buildToolsDeb(staging: string, version: string, kernel: string): Promise<string> {
  const out = '/tmp/hone-tools-build';
  const r = await runInBuildRoot(staging, [repoRoot], ['make', '-s', '-C', join(repoRoot, 'kmod'), 'tools-deb', `PKG_OUT=${out}`]);
  if (r.exitCode !== 0)
    throw new HoneError('E_IMAGE', 'make -C kmod tools-deb failed in the Debian root', {
      kernel,
      details: (r.stdout + r.stderr).split('\n').slice(-15),
    });
  const arch = (await runInBuildRoot(staging, [], ['dpkg', '--print-architecture'])).stdout.trim();
  const deb = join(staging, out, `hone-tools_${version}_${arch}.deb`);
  const kept = join(staging, '..', basename(deb));
  await cp(deb, kept);
  await rm(join(staging, out), { recursive: true, force: true });
  return kept;
}

/** The test as a systemd unit of the root, enabled; no login prompt on the serial console. */
async function installTestUnit(staging: string): Promise<void> {
  await cp(join(repoRoot, 'images', 'package-test.sh'), join(staging, 'hone-package-test'));
  await chmod(join(staging, 'hone-package-test'), 0o755);
  const units = join(staging, 'etc', 'systemd', 'system');
  await mkdir(join(units, 'multi-user.target.wants'), { recursive: true });
  await cp(join(repoRoot, 'images', 'hone-package-test.service'), join(units, 'hone-package-test.service'));
  await symlink('/etc/systemd/system/hone-package-test.service', join(units, 'multi-user.target.wants', 'hone-package-test.service'));
  await symlink('/dev/null', join(units, 'serial-getty@ttyS0.service'));
  await writeFile(join(staging, 'etc', 'hostname'), 'hone-debian\n');
}

/**
 * The recorder's files and the reference out of the powered-off guest's
 * disk: each rotated file through tshark (with Hone's plugin), all of them
 * through checkRecording.
 */
async function checkRecorder(
  image: string,
  dir: string,
  kernel: string,
): Promise<{ files: PackageTestResult['files']; recording: RecordingVerdict }> {
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  await run('debugfs', ['-R', `rdump /var/log/hone ${dir}`, image], { code: 'E_CAPTURE', kernel, hint: 'apt-get install e2fsprogs' });
  await run('debugfs', ['-R', `dump /root/ref.pcapng ${join(dir, 'ref.pcapng')}`, image], { code: 'E_CAPTURE', kernel });
  const names = (await readdir(join(dir, 'hone'))).filter((n) => /^hone\.pcapng(\.\d+)?(\.gz)?$/.test(n));
  // logrotate's numbering: the highest number is the oldest, the bare name the newest
  const age = (n: string) => Number(/\.pcapng\.(\d+)/.exec(n)?.[1] ?? 0);
  names.sort((a, b) => age(b) - age(a));
  if (names.length === 0) throw new HoneError('E_CAPTURE', 'the recorder left no file in /var/log/hone', { kernel });
  const files: PackageTestResult['files'] = [];
  const recorded: RecordingFile[] = [];
  for (const name of names) {
    const path = join(dir, 'hone', name);
    const raw = await readFile(path);
    const st = await stat(path);
    const frames = (await tsharkFields(path, ['frame.number', 'hone.role'], { plugin: true })).length;
    files.push({ name, bytes: raw.length, frames, mode: (st.mode & 0o777).toString(8) });
    recorded.push({ name, buf: name.endsWith('.gz') ? gunzipSync(raw) : raw });
  }
  const recording = checkRecording(recorded, { reference: { name: 'ref.pcapng', buf: await readFile(join(dir, 'ref.pcapng')) } });
  return { files, recording };
}

async function bootInitramfs(modulesDir: string, kernel: string): Promise<Buffer> {
  const files = new Files();
  for (const d of ['proc', 'sys', 'dev', 'newroot', 'etc/hone', 'bin', 'sbin', 'usr/bin', 'usr/sbin']) files.dir(d);
  files.file('bin/busybox', await readFile('/bin/busybox'), 0o755);
  files.file('init', await readFile(join(repoRoot, 'images', 'dkms-boot-init.sh')), 0o755);
  const index = await loadModuleIndex(modulesDir);
  const list: string[] = [];
  // ext4 needs crc32c through a soft dependency that modules.dep does not list
  const wanted = ['virtio_pci', 'virtio_blk', 'crc32c_generic', 'ext4'].filter(
    (m) => index.paths.has(m) || index.builtin.has(m) || m !== 'crc32c_generic',
  );
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
): Promise<{ steps: string[]; guestModes: Record<string, string>; stepTimes: PackageTestResult['stepTimes'] }> {
  const guestModes: Record<string, string> = {};
  const stepTimes: PackageTestResult['stepTimes'] = [];
  const qemu = spawnQemu(
    { kernel: o.vmlinuz, initrd: o.initrd, accel: o.accel, smp: 2, memoryMiB: 1024, drives: [o.image] },
    o.consoleFile,
    { timeoutMs: 20 * 60 * 1000 },
  );
  const tail = new ConsoleTail(80);
  const steps: string[] = [];
  let verdict: { ok: true } | { ok: false; why: string; code: 'E_KERNEL_CRASH' | 'E_MODULE_LOAD' } | undefined;
  qemu.onLine(({ text: line, from }) => {
    if (from === 'qemu') return tail.push(`[qemu] ${line}`);
    tail.push(line);
    const step = /^HONE-DKMS-STEP ([\d.]+) (.*)$/.exec(line);
    if (step) {
      steps.push(step[2]!);
      stepTimes.push({ uptime: Number(step[1]), step: step[2]! });
      o.logger(`guest: ${step[2]} (uptime ${step[1]} s)`);
    }
    const file = /^HONE-DKMS-FILE (\S+) (\d+ \S+)$/.exec(line);
    if (file) guestModes[file[1]!] = file[2]!;
    const ok = /^HONE-DKMS-OK ([\d.]+)/.exec(line);
    if (ok) {
      stepTimes.push({ uptime: Number(ok[1]), step: 'done' });
      verdict ??= { ok: true };
    }
    const failed = /^HONE-DKMS-FAIL (.*)$/.exec(line)?.[1];
    if (failed) verdict ??= { ok: false, why: failed, code: 'E_MODULE_LOAD' };
    if (classifyLine(line).kind === 'splat') verdict ??= { ok: false, why: `kernel crash: ${line.trim()}`, code: 'E_KERNEL_CRASH' };
  });
  const r = await qemu.exited;
  if (verdict?.ok) return { steps, guestModes, stepTimes };
  const why = verdict
    ? verdict.why
    : r.timedOut
      ? 'the guest did not finish within 20 minutes'
      : 'the guest powered off before the test finished';
  throw new HoneError(verdict?.code ?? 'E_GUEST_BOOT', `package test: ${why}`, {
    kernel,
    details: tail.last(30),
    hint: `console log: ${o.consoleFile}`,
  });
}
