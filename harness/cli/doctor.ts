// hone doctor [--fix]: what the host needs, whether it has it, and whether
// KVM works here. With --fix (as root) it installs what is missing with apt;
// otherwise it prints the exact command.
import { access, constants } from 'node:fs/promises';
import { loadCatalog } from '../catalog/catalog.ts';
import { archOf, crossPrefix } from '../catalog/arch.ts';
import { loadBundle } from '../fetch/bundle.ts';
import { chooseAccel } from '../guest/accel.ts';
import { log } from '../util/log.ts';
import { run } from '../util/run.ts';
import { HoneError } from '../util/errors.ts';
import { defineCommand } from './args.ts';

interface Requirement {
  what: string;
  pkg: string;
  /** A shell test that succeeds when the requirement is met. */
  test: string;
}

export const requirements: Requirement[] = [
  { what: 'QEMU (qemu-system-x86_64)', pkg: 'qemu-system-x86', test: 'command -v qemu-system-x86_64' },
  {
    what: 'static busybox for the guest',
    pkg: 'busybox-static',
    test: 'file -L /bin/busybox 2>/dev/null | grep -q "statically linked" || ldd /bin/busybox 2>&1 | grep -q "not a dynamic"',
  },
  { what: 'dropbear SSH server for the guest', pkg: 'dropbear-bin', test: 'test -x /usr/sbin/dropbear && command -v dropbearkey' },
  { what: 'cpio', pkg: 'cpio', test: 'command -v cpio' },
  { what: 'debootstrap (build roots)', pkg: 'debootstrap', test: 'command -v debootstrap || command -v mmdebstrap' },
  { what: 'xz', pkg: 'xz-utils', test: 'command -v xz' },
  { what: 'zstd', pkg: 'zstd', test: 'command -v zstd' },
  { what: 'dpkg-deb', pkg: 'dpkg', test: 'command -v dpkg-deb' },
  { what: 'depmod and modinfo', pkg: 'kmod', test: 'command -v depmod && command -v modinfo' },
  { what: 'gcc', pkg: 'gcc', test: 'command -v gcc' },
  { what: 'static C library (scenario runner)', pkg: 'libc6-dev', test: 'test -f /usr/lib/x86_64-linux-gnu/libc.a' },
  { what: 'make', pkg: 'make', test: 'command -v make' },
  { what: 'file', pkg: 'file', test: 'command -v file' },
  { what: 'mkfs.ext4 (package test disk)', pkg: 'e2fsprogs', test: 'command -v mkfs.ext4' },
  { what: 'tshark (reading captures)', pkg: 'tshark', test: 'command -v tshark' },
  { what: 'tcpdump (the benchmark runs it in the guest as the peer)', pkg: 'tcpdump', test: 'test -x /usr/bin/tcpdump' },
  { what: "Debian's archive keyring", pkg: 'debian-archive-keyring', test: 'test -f /usr/share/keyrings/debian-archive-keyring.gpg' },
  { what: 'apt', pkg: 'apt', test: 'command -v apt-get' },
  // arm64 guests (catalog "arch": "arm64"): their QEMU, and the cross tools
  // that build Hone's modules (6.1; newer kernels' in build roots), the
  // runner and the stress and bench programs
  { what: 'QEMU for arm64 guests (qemu-system-aarch64)', pkg: 'qemu-system-arm', test: 'command -v qemu-system-aarch64' },
  { what: 'arm64 cross gcc (arm64 guests)', pkg: 'gcc-aarch64-linux-gnu', test: 'command -v aarch64-linux-gnu-gcc' },
  { what: 'arm64 cross binutils (arm64 guests)', pkg: 'binutils-aarch64-linux-gnu', test: 'command -v aarch64-linux-gnu-ld' },
  { what: 'arm64 static C library (arm64 guests)', pkg: 'libc6-dev-arm64-cross', test: 'test -f /usr/aarch64-linux-gnu/lib/libc.a' },
];

const spec = {
  fix: { type: 'boolean', help: 'install what is missing (needs root)' },
} as const;

export const doctorCommand = defineCommand('doctor', '[--fix]', spec, async ({ flags }) => {
  let missing = await missingRequirements();
  for (const r of requirements) log(`${missing.includes(r) ? 'MISSING' : 'ok     '} ${r.what} (${r.pkg})`);
  if (missing.length && flags.fix) {
    if (process.getuid?.() !== 0) {
      throw new HoneError('E_NEED_ROOT', 'installing packages needs root', {
        hint: `sudo apt-get install -y ${missing.map((r) => r.pkg).join(' ')}`,
      });
    }
    const pkgs = [...new Set(missing.map((r) => r.pkg))];
    log(`installing: ${pkgs.join(' ')}`);
    await run('apt-get', ['update', '-qq'], { code: 'E_MISSING_TOOL' });
    await run('apt-get', ['install', '-y', '-qq', ...pkgs], { code: 'E_MISSING_TOOL', env: { DEBIAN_FRONTEND: 'noninteractive' } });
    missing = await missingRequirements();
  }
  if (missing.length) {
    log(
      `missing: run \`${process.getuid?.() === 0 ? '' : 'sudo '}apt-get install -y ${missing.map((r) => r.pkg).join(' ')}\` or \`npx hone doctor --fix\``,
    );
  }
  await reportKvm();
  return missing.length ? 1 : 0;
});

async function missingRequirements(): Promise<Requirement[]> {
  const out: Requirement[] = [];
  for (const r of requirements) if ((await run('sh', ['-c', r.test], { allowFail: true })).exitCode !== 0) out.push(r);
  return out;
}

async function reportKvm(): Promise<void> {
  try {
    await access('/dev/kvm', constants.R_OK | constants.W_OK);
  } catch {
    log(
      'KVM: not usable (/dev/kvm missing or not accessible): guests run under TCG, about 3-5x slower; add yourself to the kvm group if the host has it',
    );
    return;
  }
  const catalog = await loadCatalog();
  for (const k of catalog) {
    // KVM runs the host's own architecture only
    if (crossPrefix(archOf(k))) continue;
    const b = await loadBundle(k.id);
    if (!b) continue;
    const c = await chooseAccel(b.vmlinuz, log);
    log(`KVM: ${c.accel === 'kvm' ? 'works' : 'does not work here'}: ${c.reason}`);
    return;
  }
  log('KVM: /dev/kvm is accessible; whether it runs guests is probed at the first boot (fetch a kernel first)');
}
