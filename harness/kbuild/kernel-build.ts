// Building a kernel from Debian's linux-source package in a kernel build
// root: extract the tarball, allnoconfig with KCONFIG_ALLCONFIG =
// kvm_guest.config + the fragment, check that kconfig kept every option of
// the fragment, then bzImage, modules and modules_install, under nice, with
// a progress line every 30 s and the whole output kept in tree/build.log.
//
// The tree lives in <kernel dir>/tree and says what state it is in:
//   .hone-source.json  the source is fully extracted (which package, which compiler)
//   .hone-built.json   the build finished (written last; removed first when building again)
// so an interrupted build is never taken for a finished one, and
// `hone fetch` run again continues it (make is incremental). A tree of the
// same source and compiler is reused when only the fragment changed.
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { HoneError } from '../util/errors.ts';
import type { Logger } from '../util/log.ts';
import { run, type RunResult } from '../util/run.ts';
import { runInBuildRoot } from './buildroot.ts';
import { checkFragmentKept, composeAllconfig } from './kernel-config.ts';
import type { BuiltKernel, KernelBuildInputs } from './kernel-key.ts';

export interface SourceBuildPlan {
  /** <kernel dir>/tree */
  tree: string;
  /** The linux-source .deb in the cache. */
  deb: string;
  fragment: { name: string; text: string };
  /** The kernel build root. */
  root: string;
  /** Its compiler's command, e.g. gcc-14 (the root has no plain gcc): CC and HOSTCC of every make. */
  cc: string;
  /** Folders the build root must see (the cache). */
  binds: string[];
  inputs: KernelBuildInputs;
  key: string;
  jobs: number;
  /** kbuild steps of the last build of this kernel, to show progress against. */
  lastSteps?: number;
  /** Milliseconds between progress lines (default 30 s). */
  progressMs?: number;
}

export const treeFiles = {
  source: '.hone-source.json',
  built: '.hone-built.json',
  log: 'build.log',
  allconfig: 'allconfig',
} as const;

interface SourceMarker {
  package: string;
  version: string;
  sha256: string;
  compiler: string;
}

/** The finished build recorded in a tree, if its build finished. */
export async function readBuiltMarker(tree: string): Promise<BuiltKernel | undefined> {
  try {
    return JSON.parse(await readFile(join(tree, treeFiles.built), 'utf8')) as BuiltKernel;
  } catch {
    return undefined;
  }
}

export async function buildSourceKernel(plan: SourceBuildPlan, logger: Logger): Promise<BuiltKernel> {
  const started = Date.now();
  const src = join(plan.tree, 'src');
  await rm(join(plan.tree, treeFiles.built), { force: true });
  const cold = !(await sameSource(plan));
  if (cold) {
    await rm(plan.tree, { recursive: true, force: true });
    await mkdir(src, { recursive: true });
  }
  const log = createWriteStream(join(plan.tree, treeFiles.log), { flags: cold ? 'w' : 'a' });
  try {
    log.write(`# ${new Date().toISOString()} building key ${plan.key}: ${JSON.stringify(plan.inputs)}\n`);
    if (cold) await extract(plan, src, log, logger);
    else
      logger(
        `reusing the extracted ${plan.inputs.source.name} ${plan.inputs.source.version} in ${plan.tree} (same source and compiler: an incremental build)`,
      );

    const kvmGuest = await readFile(join(src, 'kernel', 'configs', 'kvm_guest.config'), 'utf8').catch(() => {
      throw new HoneError('E_KERNEL_BUILD', `${plan.inputs.source.name} has no kernel/configs/kvm_guest.config`, {
        hint: 'this source is too old for a source kernel entry (kvm_guest.config came in Linux 5.10)',
      });
    });
    const allconfig = join(plan.tree, treeFiles.allconfig);
    await writeFile(allconfig, composeAllconfig(kvmGuest, plan.fragment.text));

    logger(`configuring: allnoconfig + kvm_guest.config + ${plan.fragment.name}`);
    await make(plan, log, logger, [`KCONFIG_ALLCONFIG=${allconfig}`, 'allnoconfig'], 'configuring');
    const configFile = join(src, '.config');
    checkFragmentKept(plan.fragment.text, await readFile(configFile, 'utf8'), {
      fragmentName: plan.fragment.name,
      configFile,
    });

    const steps = await make(plan, log, logger, [`-j${plan.jobs}`, 'all'], 'compiling', plan.lastSteps);

    const modRoot = join(plan.tree, 'root');
    await rm(modRoot, { recursive: true, force: true });
    await make(plan, log, logger, [`INSTALL_MOD_PATH=${modRoot}`, 'modules_install'], 'installing modules');

    const release = (await readFile(join(src, 'include', 'config', 'kernel.release'), 'utf8')).trim();
    const image = join(src, 'arch', 'x86', 'boot', 'bzImage');
    const imageBytes = (await stat(image).catch(() => undefined))?.size;
    const modulesDep = await stat(join(modRoot, 'lib', 'modules', release, 'modules.dep')).catch(() => undefined);
    if (!imageBytes || !modulesDep) {
      throw new HoneError(
        'E_KERNEL_BUILD',
        `make finished but ${!imageBytes ? 'arch/x86/boot/bzImage' : `lib/modules/${release}/modules.dep`} is missing`,
        { hint: `see ${join(plan.tree, treeFiles.log)}` },
      );
    }
    const ccVersionText = /^CONFIG_CC_VERSION_TEXT="(.*)"$/m.exec(await readFile(configFile, 'utf8'))?.[1] ?? '';
    const built: BuiltKernel = {
      key: plan.key,
      inputs: plan.inputs,
      release,
      ccVersionText,
      kvmGuestConfigSha256: createHash('sha256').update(kvmGuest).digest('hex'),
      buildSeconds: Math.round((Date.now() - started) / 1000),
      cold,
      steps,
      imageBytes,
      builtAt: new Date().toISOString(),
    };
    await writeFile(join(plan.tree, treeFiles.built), `${JSON.stringify(built, null, 2)}\n`);
    log.write(`# ${built.builtAt} finished in ${built.buildSeconds} s (${cold ? 'cold' : 'incremental'})\n`);
    return built;
  } finally {
    await new Promise<void>((res) => log.end(res));
  }
}

/** "1h02m03s", "4m05s", "12s". */
export function elapsed(ms: number): string {
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const two = (n: number) => String(n).padStart(2, '0');
  return h ? `${h}h${two(m)}m${two(sec)}s` : m ? `${m}m${two(sec)}s` : `${sec}s`;
}

/** A kbuild progress line ("  CC      net/ipv4/tcp.o"), as make prints it without V=1. */
export function kbuildStep(line: string): string | undefined {
  const m = /^ {2}([A-Z][A-Z0-9_]*(?: \[[A-Z]\])?)\s+(\S.*)$/.exec(line);
  return m ? `${m[1]} ${m[2]}` : undefined;
}

// --- internal ---

async function sameSource(plan: SourceBuildPlan): Promise<boolean> {
  try {
    const m = JSON.parse(await readFile(join(plan.tree, treeFiles.source), 'utf8')) as SourceMarker;
    await stat(join(plan.tree, 'src', 'Makefile'));
    return m.sha256 === plan.inputs.source.sha256 && m.compiler === plan.inputs.compiler;
  } catch {
    return false;
  }
}

async function extract(plan: SourceBuildPlan, src: string, log: WriteStream, logger: Logger): Promise<void> {
  const { name, version, sha256 } = plan.inputs.source;
  const tarball = `./usr/src/${name}.tar.xz`;
  logger(`extracting ${name} ${version} into ${src} (about 1.5 GB)`);
  const t0 = Date.now();
  const q = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;
  const ticker = setInterval(() => logger(`  extracting: ${elapsed(Date.now() - t0)}`), plan.progressMs ?? 30000);
  let r: RunResult;
  try {
    r = await run(
      'bash',
      [
        '-c',
        `set -o pipefail; dpkg-deb --fsys-tarfile ${q(plan.deb)} | tar -xO ${q(tarball)} | nice -n 19 tar -xJ --strip-components=1 -C ${q(src)}`,
      ],
      { allowFail: true },
    );
  } finally {
    clearInterval(ticker);
  }
  log.write(`$ extract ${tarball} from ${plan.deb}\n${r.stdout}${r.stderr}\n`);
  if (r.exitCode !== 0 || !(await stat(join(src, 'Makefile')).catch(() => undefined))) {
    throw new HoneError('E_KERNEL_BUILD', `extracting ${tarball} from ${plan.deb} failed`, {
      details: (r.stderr || r.stdout).split('\n').slice(-10),
      hint: "the package may be damaged (delete it from the cache's debs/ and fetch again) or the disk full",
    });
  }
  const marker: SourceMarker = { package: name, version, sha256, compiler: plan.inputs.compiler };
  await writeFile(join(plan.tree, treeFiles.source), `${JSON.stringify(marker)}\n`);
  logger(`extracted in ${elapsed(Date.now() - t0)}`);
}

/** Runs make in the tree inside the build root under nice; returns the kbuild steps it printed. */
async function make(
  plan: SourceBuildPlan,
  log: WriteStream,
  logger: Logger,
  args: string[],
  what: string,
  lastSteps?: number,
): Promise<number> {
  const src = join(plan.tree, 'src');
  const argv = ['nice', '-n', '19', 'make', '-C', src, `CC=${plan.cc}`, `HOSTCC=${plan.cc}`, ...args];
  log.write(`\n$ ${argv.join(' ')}\n`);
  const t0 = Date.now();
  let steps = 0;
  let last = '';
  const ticker = setInterval(() => {
    const of = lastSteps ? ` (about ${Math.min(99, Math.round((100 * steps) / lastSteps))}% of the last build's ${lastSteps})` : '';
    logger(`  ${what}: ${elapsed(Date.now() - t0)} elapsed, ${steps} steps${of}${last ? `, last: ${last}` : ''}`);
  }, plan.progressMs ?? 30000);
  let r: RunResult;
  try {
    r = await runInBuildRoot(plan.root, plan.binds, argv, {
      onLine: (line) => {
        log.write(`${line}\n`);
        const step = kbuildStep(line);
        if (step) {
          steps++;
          last = step;
        }
      },
    });
  } finally {
    clearInterval(ticker);
  }
  if (r.exitCode !== 0) {
    const text = `${r.stdout}\n${r.stderr}`.split('\n');
    const errors = text.filter((l) => /\berror\b|Error \d|\*\*\*/i.test(l));
    throw new HoneError(
      'E_KERNEL_BUILD',
      `${what} failed: \`make ${args.join(' ')}\` exited ${r.exitCode} after ${elapsed(Date.now() - t0)}`,
      {
        details: (errors.length ? errors : text).slice(-20),
        hint: `full output in ${join(plan.tree, treeFiles.log)}; the tree is kept, so fetching again continues the build`,
      },
    );
  }
  logger(`${what}: done in ${elapsed(Date.now() - t0)}${steps ? ` (${steps} steps)` : ''}`);
  return steps;
}
