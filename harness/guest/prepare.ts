// From a catalog kernel to a bootable guest: the fetched bundle, Hone's
// modules built for it (unless asked not to), the scenario runner, the
// initramfs, the accelerator. Shared by shell, matrix and repro.
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { CatalogKernel } from '../catalog/catalog.ts';
import type { KernelBundle } from '../fetch/bundle.ts';
import { bundleFor } from '../fetch/fetch.ts';
import { buildModules, type ModuleBuild } from '../kbuild/modules.ts';
import type { Logger } from '../util/log.ts';
import { repoRoot } from '../util/paths.ts';
import { ensureKeys, type GuestKeys } from './keys.ts';
import { makeInitramfs, type ImageInputs } from './initramfs.ts';
import { chooseAccel, type AccelChoice } from './accel.ts';
import { bootGuest, type Guest } from './guest.ts';
import { buildGuestProgram } from './programs.ts';
import { archOf, arches, crossPrefix, hostArch, type Arch } from '../catalog/arch.ts';

export interface PreparedKernel {
  kernel: CatalogKernel;
  bundle: KernelBundle;
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
  k: CatalogKernel,
  logger: Logger,
  opts: { modules: boolean; autoload?: boolean; extraPrograms?: ImageInputs['extraPrograms']; imageName?: string },
): Promise<PreparedKernel> {
  const bundle = await bundleFor(k);
  const build = opts.modules ? await buildModules(k, bundle, logger) : undefined;
  const runner = await buildRunner(archOf(k));
  const keys = await ensureKeys();
  const initrd = await makeInitramfs({
    kernel: k.id,
    bundle,
    keys,
    honeModules: build?.modules,
    runner,
    autoload: opts.autoload,
    extraPrograms: opts.extraPrograms,
    imageName: opts.imageName,
    arch: archOf(k),
    logger,
  });
  const target = archOf(k);
  // KVM runs only the host's own architecture
  const accel: AccelChoice = crossPrefix(target)
    ? { accel: 'tcg', reason: `${target.debian} guest on a ${hostArch()?.debian ?? process.arch} host: TCG` }
    : await chooseAccel(bundle.vmlinuz, logger);
  const debug = isDebugConfig(await readFile(bundle.config, 'utf8').catch(() => ''));
  return {
    kernel: k,
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

export async function startGuest(
  p: PreparedKernel,
  logger: Logger,
  opts: { consoleFile: string; gdb?: boolean; memoryMiB?: number; icount?: boolean },
): Promise<Guest> {
  return bootGuest({
    kernel: p.kernel.id,
    arch: archOf(p.kernel),
    vmlinuz: p.bundle.vmlinuz,
    initrd: p.initrd,
    accel: p.accel.accel,
    smp: p.kernel.smp ?? 2,
    memoryMiB: opts.memoryMiB,
    cmdline: p.kernel.cmdline,
    consoleFile: opts.consoleFile,
    privateKey: p.keys.clientPrivate,
    logger,
    expectModules: p.build !== undefined && p.autoload,
    bootTimeoutMs: p.bootTimeoutMs,
    gdb: opts.gdb,
    icount: opts.icount,
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
