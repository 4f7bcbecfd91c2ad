// Building kmod/ for one kernel: a fresh copy of the sources per kernel in
// the cache, its Makefile run with KVER, KSRC and SYSMAP (and W=1), on the
// host or in a build root, then the vermagic gate. The compiler's output is
// kept for the results.
import { cp, mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { HoneError } from '../util/errors.ts';
import type { Logger } from '../util/log.ts';
import { run, type RunResult } from '../util/run.ts';
import { cachePaths, repoRoot } from '../util/paths.ts';
import type { KernelBundle } from '../fetch/bundle.ts';
import type { FetchedKernel } from '../fetch/fetch.ts';
import { chooseToolchain, hostGccMajor, type Toolchain } from './toolchain.ts';
import { ensureBuildRoot, runInBuildRoot } from './buildroot.ts';
import { kernelVermagic, moduleVermagic, vermagicMismatch } from './vermagic.ts';
import { archOf, crossPrefix, elfMachineName, elfMachineOfFile, type Arch } from '../catalog/arch.ts';

export interface ModuleBuild {
  kernel: string;
  release: string;
  toolchain: Toolchain;
  /** Built modules, in load order of the stack. */
  modules: string[];
  vermagic: string;
  warnings: string[];
  logFile: string;
  durationMs: number;
}

/** The load order of Hone's module stack (each needs the ones before it). */
export const moduleStack = ['process_notify', 'socket_notify', 'packet_notify', 'hone_notify', 'honeevent'];

export async function buildModules(fetched: FetchedKernel, logger: Logger): Promise<ModuleBuild> {
  const { source, bundle } = fetched;
  const { kernelId } = source;
  const target = archOf(source);
  const cross = crossPrefix(target);
  const toolchain = chooseToolchain(bundle.ccVersionText, source.buildSuite, await hostGccMajor(cross), cross);
  logger(`toolchain: ${toolchain.reason}`);
  // a fresh folder per build: several hone processes may build the same kernel at once
  await mkdir(cachePaths().builds(kernelId), { recursive: true });
  await removeStale(cachePaths().builds(kernelId));
  const out = await mkdtemp(join(cachePaths().builds(kernelId), 'kmod-'));
  await cp(join(repoRoot, 'kmod'), out, {
    recursive: true,
    filter: (src) => !/\.(o|ko|mod|mod\.c|cmd)$|\/\.tmp|\/pkg-build(\/|$)/.test(src),
  });
  const vars = [`KVER=${bundle.release}`, `KSRC=${bundle.ksrc}`, `SYSMAP=${bundle.systemMap}`, 'W=1', ...crossVars(target, toolchain)];
  let r: RunResult;
  let started: number;
  if (toolchain.kind === 'host') {
    const extra = (await hasVmlinuxWithoutPahole(bundle.ksrc)) ? ['CONFIG_DEBUG_INFO_BTF_MODULES='] : [];
    started = Date.now();
    r = await run('make', ['-C', out, ...vars, `CC=${toolchain.gcc}`, ...extra], { allowFail: true });
  } else {
    const root = await ensureBuildRoot(toolchain.suite, toolchain.major, logger, cross ? target.gnu : undefined);
    started = Date.now();
    // a tree Hone built itself (the debug kernel) has no CC of its own, and a build root has only gcc-<major>
    const cc = cross ? [] : [`CC=gcc-${toolchain.major}`];
    r = await runInBuildRoot(root, [cachePaths().root], ['make', '-C', out, ...vars, ...cc]);
  }
  const durationMs = Date.now() - started;
  const logFile = join(out, 'build.log');
  const text = `$ make ${vars.join(' ')} (${toolchain.reason})\n${r.stdout}\n${r.stderr}\n`;
  await writeFile(logFile, text);
  // the latest build's log, where `hone build` and the matrix point users
  await writeFile(join(cachePaths().builds(kernelId), 'build.log'), text);
  const warnings = text.split('\n').filter((l) => /\bwarning:/i.test(l));
  if (r.exitCode !== 0) {
    throw new HoneError('E_MODULE_BUILD', `building kmod/ failed (make exited ${r.exitCode})`, {
      details: text
        .split('\n')
        .filter((l) => /error|warning/i.test(l))
        .slice(0, 20),
      hint: `full compiler output in ${logFile}`,
    });
  }
  const modules = await findModules(out);
  await checkElfMachine(modules, target);
  const vermagic = await checkVermagic(modules, bundle);
  return { kernel: kernelId, release: bundle.release, toolchain, modules, vermagic, warnings, logFile, durationMs };
}

/** make's variables for a module build across architectures (none natively). */
export function crossVars(target: Arch, toolchain: Toolchain): string[] {
  if (!toolchain.cross) return [];
  // the host's CC is passed for every host build; a build root's cross gcc has only its versioned name
  const cc = toolchain.kind === 'buildroot' ? [`CC=${toolchain.cross}gcc-${toolchain.major}`] : [];
  return [`ARCH=${target.kernelArch}`, `CROSS_COMPILE=${toolchain.cross}`, ...cc];
}

/** Every file is an ELF object of the target's machine: a module built for the wrong one would only fail in the guest. */
export async function checkElfMachine(files: string[], target: Arch): Promise<void> {
  for (const f of files) {
    const got = await elfMachineOfFile(f);
    if (got !== target.elfMachine) {
      throw new HoneError(
        'E_MODULE_BUILD',
        `${f.replace(/^.*\//, '')} is built for ${elfMachineName(got)}, the kernel is ${target.elfName}`,
        {
          hint: `build with ARCH=${target.kernelArch} CROSS_COMPILE=${target.gnu}- (see README, "arm64 guests")`,
        },
      );
    }
  }
}

// --- internal ---

/** Removes build folders older than a day (their processes are long gone). */
async function removeStale(dir: string): Promise<void> {
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    if (!name.startsWith('kmod')) continue;
    const age = await stat(join(dir, name)).then(
      (st) => Date.now() - st.mtimeMs,
      () => 0,
    );
    if (age > 24 * 3600 * 1000) await rm(join(dir, name), { recursive: true, force: true });
  }
}

async function findModules(dir: string): Promise<string[]> {
  const kos = (await readdir(dir, { recursive: true })).filter((f) => f.endsWith('.ko'));
  const byName = new Map(kos.map((f) => [f.replace(/^.*\//, '').replace(/\.ko$/, ''), join(dir, f)]));
  const missing = moduleStack.filter((m) => !byName.has(m));
  if (missing.length) {
    throw new HoneError('E_MODULE_BUILD', `make succeeded but did not produce ${missing.map((m) => `${m}.ko`).join(', ')}`);
  }
  return moduleStack.map((m) => byName.get(m) as string);
}

async function checkVermagic(modules: string[], bundle: KernelBundle): Promise<string> {
  const want = await kernelVermagic(bundle.modulesDir);
  for (const ko of modules) {
    const got = await moduleVermagic(ko);
    const why = vermagicMismatch(got, want);
    if (why) {
      throw new HoneError('E_VERMAGIC', `${ko.replace(/^.*\//, '')} vermagic "${got}" does not match the kernel's "${want}": ${why}`, {
        hint: 'the module was built against other headers; run `npx hone fetch` then `npx hone build` again',
      });
    }
  }
  return want;
}

async function hasVmlinuxWithoutPahole(ksrc: string): Promise<boolean> {
  const vmlinux = await run('test', ['-f', join(ksrc, 'vmlinux')], { allowFail: true });
  if (vmlinux.exitCode !== 0) return false;
  return (await run('sh', ['-c', 'command -v pahole'], { allowFail: true })).exitCode !== 0;
}
