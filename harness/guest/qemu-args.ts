// The QEMU command line of a test guest. Networking is user-mode only, with
// one host port forwarded to the guest's SSH, bound to 127.0.0.1. What
// differs per architecture (machine, CPU, console) comes from its Arch.
import { arches, type Arch } from '../catalog/arch.ts';

export type Accel = 'kvm' | 'tcg';

export interface QemuConfig {
  /** The guest's architecture (default amd64). */
  arch?: Arch;
  kernel: string;
  initrd?: string;
  accel: Accel;
  smp: number;
  memoryMiB: number;
  sshPort?: number;
  /** The whole kernel command line (default: defaultAppend). */
  append?: string;
  /** Parameters added after the command line (a catalog entry's "cmdline"). */
  extraAppend?: string;
  gdb?: boolean;
  /** TCG threading: one host thread per vCPU (default) or one for all. */
  tcgThread?: 'multi' | 'single';
  /** Raw disk images, attached as virtio block devices (vda, vdb, ...). */
  drives?: string[];
  /**
   * Guest time from the instruction count (8 ns each, idle skipped): runs
   * are deterministic, for comparing code paths (the bench). TCG only,
   * one thread for all vCPUs.
   */
  icount?: boolean;
  /** With icount: 2^shift ns of guest time per instruction (default 3, the bench's 8 ns; 0 reads a duration as instructions). */
  icountShift?: number;
}

/**
 * TCG threading. Multi-threaded TCG races with the kernel's live text
 * patching (int3-based, for kprobes, static keys and tracepoints): seen as
 * `Oops: int3` at boot on 6.12-rt and 7.x and in module load/unload loops on
 * 6.12, never with one host thread for all vCPUs. So single is the default;
 * HONE_TCG_THREAD=multi brings the faster, racy mode back.
 */
export function tcgThreadMode(env: NodeJS.ProcessEnv = process.env): 'single' | 'multi' {
  return env.HONE_TCG_THREAD === 'multi' ? 'multi' : 'single';
}

/** The test guests' kernel command line on an architecture: serial console, and any oops ends the guest at once. */
export function appendFor(a: Arch): string {
  return `console=${a.console} panic=-1 loglevel=5 oops=panic`;
}

/** The amd64 guests' command line. */
export const defaultAppend = appendFor(arches.amd64);

/** The QEMU program that runs a config (one per guest architecture; x86-64 only so far). */
export function qemuBinary(c: QemuConfig): string {
  return (c.arch ?? arches.amd64).qemu;
}

export function qemuArgs(c: QemuConfig): string[] {
  const a = c.arch ?? arches.amd64;
  const tcg = c.icount || (c.tcgThread ?? tcgThreadMode()) === 'single' ? 'tcg,thread=single' : 'tcg';
  const accel = c.accel === 'kvm' ? ['-accel', 'kvm', '-cpu', 'host'] : ['-accel', tcg, '-cpu', a.tcgCpu];
  const net =
    c.sshPort === undefined ? [] : ['-netdev', `user,id=n0,hostfwd=tcp:127.0.0.1:${c.sshPort}-:22`, '-device', 'virtio-net-pci,netdev=n0'];
  return [
    ...a.machine,
    ...accel,
    '-smp',
    String(c.smp),
    '-m',
    String(c.memoryMiB),
    '-nodefaults',
    '-display',
    'none',
    '-no-reboot',
    '-serial',
    'stdio',
    '-kernel',
    c.kernel,
    ...(c.initrd ? ['-initrd', c.initrd] : []),
    '-append',
    [c.append ?? appendFor(a), c.extraAppend].filter(Boolean).join(' '),
    ...net,
    ...(c.drives ?? []).flatMap((d) => ['-drive', `file=${d},format=raw,if=virtio`]),
    ...(c.gdb ? ['-s'] : []),
    ...(c.icount && c.accel === 'tcg' ? ['-icount', `shift=${c.icountShift ?? 3},sleep=off`] : []),
  ];
}
