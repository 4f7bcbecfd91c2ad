// The last two stages of the pipeline (harness/README.md): from a fetched
// kernel to a prepared guest image (Hone's modules built for it unless
// asked not to, the scenario runner, the initramfs, the accelerator), and
// from that to a booted guest, with vCPUs and memory as boot options.
// Shared by shell, matrix, repro, stress and the bench.
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { FetchedKernel } from '../fetch/fetch.ts';
import { buildModules, type ModuleBuild } from '../kbuild/modules.ts';
import type { Logger } from '../util/log.ts';
import { repoRoot } from '../util/paths.ts';
import { ensureKeys, type GuestKeys } from './keys.ts';
import { makeInitramfs, type ImageInputs } from './initramfs.ts';
import { chooseAccel, type AccelChoice } from './accel.ts';
import { bootGuest, type Guest } from './guest.ts';
import { buildGuestProgram } from './programs.ts';
import { archOf, arches, crossPrefix, hostArch, type Arch } from '../catalog/arch.ts';

export interface PreparedKernel extends FetchedKernel {
  build?: ModuleBuild;
  initrd: string;
  keys: GuestKeys;
  accel: AccelChoice;
  /** Whether the guest loads Hone's modules at boot. */
  autoload: boolean;
  /** A debug kernel (KASAN, lockdep or kmemleak): about 3x slower under TCG, so given longer to boot and to run a scenario. */
  debug: boolean;
  /** How long a boot may take. */
  bootTimeoutMs: number;
}

export const bootTimeoutMs = { normal: 240000, debug: 720000 };

/** A kernel with KASAN, lockdep or kmemleak in its .config is a debug kernel, slow to boot. */
export function isDebugConfig(config: string): boolean {
  return /^CONFIG_(KASAN|PROVE_LOCKING|DEBUG_KMEMLEAK)=y$/m.test(config);
}

export async function prepareKernel(
  fetched: FetchedKernel,
  logger: Logger,
  opts: { modules: boolean; autoload?: boolean; extraPrograms?: ImageInputs['extraPrograms']; imageName?: string },
): Promise<PreparedKernel> {
  const { source, bundle } = fetched;
  const target = archOf(source);
  const build = opts.modules ? await buildModules(fetched, logger) : undefined;
  const runner = await buildRunner(target);
  const keys = await ensureKeys();
  const initrd = await makeInitramfs({
    kernel: source.kernelId,
    bundle,
    keys,
    honeModules: build?.modules,
    runner,
    autoload: opts.autoload,
    extraPrograms: opts.extraPrograms,
    imageName: opts.imageName,
    arch: target,
    logger,
  });
  // KVM runs only the host's own architecture
  const accel: AccelChoice = crossPrefix(target)
    ? { accel: 'tcg', reason: `${target.debian} guest on a ${hostArch()?.debian ?? process.arch} host: TCG` }
    : await chooseAccel(bundle.vmlinuz, logger);
  const debug = isDebugConfig(await readFile(bundle.config, 'utf8').catch(() => ''));
  return {
    source,
    bundle,
    build,
    initrd,
    keys,
    accel,
    autoload: opts.autoload !== false,
    debug,
    bootTimeoutMs: debug ? bootTimeoutMs.debug : bootTimeoutMs.normal,
  };
}

export interface BootChoices {
  consoleFile: string;
  /** vCPUs (default: the source's, i.e. the catalog entry's "smp" or 2). */
  smp?: number;
  /** Guest memory (default 512 MiB). */
  memoryMiB?: number;
  /** Added to the kernel command line, after the source's own "cmdline". */
  append?: string;
  gdb?: boolean;
  /** Guest time from the instruction count (see QemuConfig.icount), 2^icountShift ns per instruction. */
  icount?: boolean;
  icountShift?: number;
  /** Told each line the guest prints on its console (it is in consoleFile too). */
  onConsole?: (line: string) => void;
}

export async function startGuest(p: PreparedKernel, logger: Logger, opts: BootChoices): Promise<Guest> {
  return bootGuest({
    kernel: p.source.kernelId,
    arch: archOf(p.source),
    vmlinuz: p.bundle.vmlinuz,
    initrd: p.initrd,
    accel: p.accel.accel,
    smp: opts.smp ?? p.source.smp,
    memoryMiB: opts.memoryMiB,
    cmdline: [p.source.cmdline, opts.append].filter(Boolean).join(' ') || undefined,
    consoleFile: opts.consoleFile,
    privateKey: p.keys.clientPrivate,
    logger,
    expectModules: p.build !== undefined && p.autoload,
    bootTimeoutMs: p.bootTimeoutMs,
    gdb: opts.gdb,
    icount: opts.icount,
    icountShift: opts.icountShift,
    onConsole: opts.onConsole,
  });
}

/** Builds the static scenario runner for the guest's architecture if its sources exist; returns its path. */
export async function buildRunner(target: Arch = arches.amd64): Promise<string | undefined> {
  const dir = join(repoRoot, 'harness', 'runner');
  try {
    await stat(join(dir, 'Makefile'));
  } catch {
    return undefined;
  }
  return buildGuestProgram(dir, 'hone-runner', target);
}
