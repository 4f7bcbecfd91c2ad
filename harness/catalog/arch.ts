// Architectures: everything that differs between an x86_64 and an arm64
// guest, in one descriptor per architecture, so the rest of the harness asks
// `archOf(kernel)` instead of testing names. A catalog entry's "arch" is a
// Debian architecture name (default amd64).
import { open } from 'node:fs/promises';
import { HoneError } from '../util/errors.ts';

export type ArchName = 'amd64' | 'arm64';

export interface Arch {
  /** Debian's name: apt's architecture, .deb file names, catalog "arch". */
  debian: ArchName;
  /** The kernel's ARCH= (kbuild's name). */
  kernelArch: string;
  /** What the kernel build makes to boot, under arch/<kernelArch>/boot/. */
  kernelImage: string;
  /** GNU triplet: cross tools' prefix and the multiarch library folder. */
  gnu: string;
  /** ELF e_machine of its binaries and modules (EM_X86_64, EM_AARCH64). */
  elfMachine: number;
  /** The name `file` and readelf give that machine, for messages. */
  elfName: string;
  /** Node's process.arch on a host of this architecture. */
  nodeArch: string;
  qemu: string;
  /** Host package that has `qemu`. */
  qemuPackage: string;
  /** Machine options before everything else (none: QEMU's default PC). */
  machine: string[];
  /** -cpu under TCG. */
  tcgCpu: string;
  /** Serial console device in the guest. */
  console: string;
}

export const arches: Record<ArchName, Arch> = {
  amd64: {
    debian: 'amd64',
    kernelArch: 'x86',
    kernelImage: 'bzImage',
    gnu: 'x86_64-linux-gnu',
    elfMachine: 62,
    elfName: 'x86-64',
    nodeArch: 'x64',
    qemu: 'qemu-system-x86_64',
    qemuPackage: 'qemu-system-x86',
    machine: [],
    tcgCpu: 'max',
    console: 'ttyS0',
  },
  arm64: {
    debian: 'arm64',
    kernelArch: 'arm64',
    kernelImage: 'Image',
    gnu: 'aarch64-linux-gnu',
    elfMachine: 183,
    elfName: 'AArch64',
    nodeArch: 'arm64',
    qemu: 'qemu-system-aarch64',
    qemuPackage: 'qemu-system-arm',
    // GICv3: the virt board's default GICv2 caps the guest at 8 vCPUs and is the older path
    machine: ['-M', 'virt,gic-version=3'],
    // pointer authentication with QEMU's own cheap hash instead of the
    // architected QARMA: under TCG the architected one costs much of the boot
    tcgCpu: 'max,pauth-impdef=on',
    console: 'ttyAMA0',
  },
};

export const archNames = Object.keys(arches) as ArchName[];

export function isArchName(name: string): name is ArchName {
  return Object.hasOwn(arches, name);
}

export function arch(name: string): Arch {
  if (!isArchName(name)) {
    throw new HoneError('E_ARCH', `unknown architecture "${name}"`, { hint: `known: ${archNames.join(', ')} (Debian's names)` });
  }
  return arches[name];
}

/** The architecture of a kernel (a catalog entry or a --kernel-dir one): its "arch", amd64 by default. */
export function archOf(k: { arch?: ArchName }): Arch {
  return arches[k.arch ?? 'amd64'];
}

/** The host's architecture, or undefined on one Hone has no descriptor for. */
export function hostArch(nodeArch: string = process.arch): Arch | undefined {
  return Object.values(arches).find((a) => a.nodeArch === nodeArch);
}

/** The tool prefix that builds for `target` on this host: none natively, the GNU triplet across. */
export function crossPrefix(target: Arch, host: Arch | undefined = hostArch()): string {
  return host?.debian === target.debian ? '' : `${target.gnu}-`;
}

/** An ELF file's e_machine (0 if it is not ELF). */
export function elfMachineOf(head: Buffer): number {
  if (head.length < 20 || head.readUInt32BE(0) !== 0x7f454c46) return 0;
  // EI_DATA: 1 little-endian, 2 big-endian
  return head[5] === 2 ? head.readUInt16BE(18) : head.readUInt16LE(18);
}

/** A file's ELF e_machine (0 if it is not ELF). */
export async function elfMachineOfFile(file: string): Promise<number> {
  const head = Buffer.alloc(20);
  const fh = await open(file, 'r');
  try {
    await fh.read(head, 0, 20, 0);
  } finally {
    await fh.close();
  }
  return elfMachineOf(head);
}

/** The name of an ELF machine number, for messages. */
export function elfMachineName(machine: number): string {
  return Object.values(arches).find((a) => a.elfMachine === machine)?.elfName ?? (machine ? `machine ${machine}` : 'not ELF');
}
