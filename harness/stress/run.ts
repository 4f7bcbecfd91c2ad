// `hone stress` on one kernel: a guest with Hone's modules shipped but not
// loaded, the guest program put in, each fault run in turn with its own
// timeout, judged from its verdict line, its exit code and the kernel log it
// caused. A crash or a hang reboots the guest for the faults after it.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { KernelSource } from '../catalog/source.ts';
import { requireFetched } from '../fetch/fetch.ts';
import { prepareKernel, startGuest, type PreparedKernel } from '../guest/prepare.ts';
import type { Guest } from '../guest/guest.ts';
import { HoneError, formatError, tagKernel } from '../util/errors.ts';
import type { Logger } from '../util/log.ts';
import { repoRoot } from '../util/paths.ts';
import { run } from '../util/run.ts';
import { defaultSockets, type Fault, type FaultOptions } from './faults.ts';
import { judgeFault } from './lines.ts';
import { buildGuestProgram } from '../guest/programs.ts';
import { archOf, arches, type Arch } from '../catalog/arch.ts';
import type { FaultResult, StressKernel } from './report.ts';

export interface StressOptions extends FaultOptions {
  out: string;
  faults: Fault[];
  memoryMiB: number;
  logger: Logger;
}

const guestDir = join(repoRoot, 'harness', 'stress', 'guest');
const benchDir = join(repoRoot, 'harness', 'bench', 'guest');

export interface StressPrograms {
  stress: string;
  bench: string;
}

/** Builds the guest programs for an architecture (make: rebuilt when missing or older than their sources). */
export async function buildStressPrograms(target: Arch = arches.amd64): Promise<StressPrograms> {
  await run('sh', ['-c', 'command -v make && command -v cc'], {
    code: 'E_MISSING_TOOL',
    hint: 'apt-get install make gcc libc6-dev (or `npx hone doctor --fix`)',
  });
  return {
    stress: await buildGuestProgram(guestDir, 'hone-stress', target),
    bench: await buildGuestProgram(benchDir, 'hone-bench', target),
  };
}

export async function runStressKernel(source: KernelSource, o: StressOptions): Promise<{ kernel: StressKernel; results: FaultResult[] }> {
  const k = { id: source.kernelId };
  const dir = join(o.out, k.id);
  await mkdir(dir, { recursive: true });
  const kernel: StressKernel = { id: k.id, boots: 0 };
  const results: FaultResult[] = [];
  const infraAll = (left: readonly Fault[], why: string) => {
    for (const f of left) results.push({ kernel: k.id, fault: f.name, status: 'infra', detail: why, durationMs: 0, splats: [], notes: [] });
  };
  let prepared: PreparedKernel;
  try {
    const programs = await buildStressPrograms(archOf(source));
    prepared = await prepareKernel(await requireFetched(source), o.logger, {
      modules: true,
      autoload: false,
      imageName: 'stress-initramfs.cpio',
      extraPrograms: [
        {
          path: programs.stress,
          guestPath: '/usr/bin/hone-stress',
          dynamic: false,
          pkg: 'hone-stress (make -C harness/stress/guest)',
        },
        {
          path: programs.bench,
          guestPath: '/usr/bin/hone-bench',
          dynamic: false,
          pkg: 'hone-bench (make -C harness/bench/guest)',
        },
        {
          path: join(repoRoot, 'images', 'load-unload-soak.sh'),
          guestPath: '/usr/share/hone/load-unload-soak.sh',
          dynamic: false,
          pkg: 'images/load-unload-soak.sh',
        },
      ],
    });
  } catch (err) {
    if (err instanceof HoneError && (err.code === 'E_MISSING_TOOL' || err.code === 'E_USAGE')) throw err;
    infraAll(o.faults, firstLine(err));
    o.logger(formatError(tagKernel(err, k.id)));
    return { kernel, results };
  }
  // KASAN and lockdep kernels boot and run several times slower under TCG
  const slow = /^CONFIG_(KASAN|PROVE_LOCKING)=y$/m.test(await readFile(prepared.bundle.config, 'utf8').catch(() => ''));
  const sockets = o.sockets ?? defaultSockets(slow);
  if (slow)
    o.logger(
      `a debug kernel (KASAN or lockdep): 12 min to boot, 3x each fault's timeout, the soak's first-line wait 10 s, the sockets fault with ${sockets} sockets, its times reported but not judged`,
    );
  const scale = slow ? 3 : 1;
  kernel.release = prepared.bundle.release;
  kernel.version = prepared.bundle.version;
  kernel.accel = prepared.accel.accel;

  let guest: Guest | undefined;
  let guestIcount = false;
  const boot = async (icount: boolean): Promise<Guest> => {
    kernel.boots++;
    const consoleFile = join(dir, kernel.boots === 1 ? 'console.log' : `console-${kernel.boots}.log`);
    if (icount)
      o.logger('a guest with one vCPU and -icount shift=0 (guest time = instructions, one per ns) for the faults that judge time');
    const g = await startGuest(prepared, o.logger, {
      consoleFile,
      icount,
      icountShift: icount ? 0 : undefined,
      // one vCPU under -icount: with two, a vCPU spinning on a lock the
      // other holds spins until the round robin's next switch (a timer
      // tick of guest time), which would be counted as the spinner's work
      smp: icount ? 1 : undefined,
      memoryMiB: o.memoryMiB,
    });
    o.logger(`guest ready in ${(g.readyMs / 1000).toFixed(1)} s (console: ${consoleFile})`);
    return g;
  };
  try {
    // the faults that judge time run last, in their own -icount guest
    const order = [...o.faults.filter((f) => !f.icount), ...o.faults.filter((f) => f.icount)];
    for (const [i, f] of order.entries()) {
      if (guest && guestIcount !== Boolean(f.icount)) {
        await guest.shutdown().catch(() => undefined);
        guest = undefined;
      }
      if (!guest) {
        try {
          guestIcount = Boolean(f.icount);
          guest = await boot(guestIcount);
        } catch (err) {
          o.logger(formatError(err));
          infraAll(order.slice(i), `guest boot: ${firstLine(err)}`);
          break;
        }
      }
      o.logger(`${f.name}: ${f.what}`);
      const r = await runFault(guest, { ...f, timeoutMs: f.timeoutMs * scale }, { ...o, sockets }, dir, k.id, slow);
      results.push(r.result);
      o.logger(`${f.name}: ${r.result.status.toUpperCase()} in ${(r.result.durationMs / 1000).toFixed(0)} s: ${r.result.detail}`);
      if (r.guestLost) {
        await guest.shutdown().catch(() => undefined);
        guest = undefined;
      }
    }
  } finally {
    await guest?.shutdown().catch(() => undefined);
  }
  return { kernel, results };
}

// --- internal ---

async function runFault(
  guest: Guest,
  f: Fault,
  o: StressOptions,
  dir: string,
  kernel: string,
  slow: boolean,
): Promise<{ result: FaultResult; guestLost: boolean }> {
  const started = Date.now();
  const base = { kernel, fault: f.name, splats: [] as string[], notes: [] as string[] };
  // A debug kernel's starved vCPU can start the soak's text reader seconds
  // late (README, "The debug kernel"): its first-line wait is 10 s there.
  // and the sockets fault reports its times there without judging them (hone-stress.c, fault_sockets)
  const env = slow ? ['FIRST_LINES_WAIT=100', 'HONE_DEBUG_KERNEL=1'] : [];
  const command = [...env, 'hone-stress', f.name, ...f.args(o)].join(' ');
  let stdout = '';
  let stderr = '';
  try {
    await guest.check('dmesg -c >/dev/null', { timeoutMs: 30000 });
    const r = await guest.exec(command, {
      timeoutMs: f.timeoutMs,
      onStdout: (d) => (stdout += d.toString()),
      onStderr: (d) => (stderr += d.toString()),
    });
    const dmesg = (await guest.exec('dmesg -c', { timeoutMs: 30000 })).stdout;
    await writeFile(join(dir, `${f.name}.dmesg`), dmesg);
    await writeFile(join(dir, `${f.name}.log`), `$ ${command}\n${stdout}${stderr}exit ${r.code}\n`);
    const j = judgeFault({ fault: f.name, exitCode: r.code, stdout, dmesg });
    const notes = stderr.split('\n').filter(Boolean).slice(0, 40);
    return {
      result: { ...base, status: j.status, detail: j.detail, splats: j.splats, notes, durationMs: Date.now() - started },
      guestLost: j.status === 'crash',
    };
  } catch (err) {
    await writeFile(join(dir, `${f.name}.log`), `$ ${command}\n${stdout}${stderr}${formatError(err)}\n`);
    const durationMs = Date.now() - started;
    if (err instanceof HoneError && err.code === 'E_KERNEL_CRASH') {
      return { result: { ...base, status: 'crash', detail: err.message, splats: err.details.slice(0, 30), durationMs }, guestLost: true };
    }
    if (err instanceof HoneError && err.code === 'E_CHANNEL' && /did not finish within/.test(err.message)) {
      return {
        result: {
          ...base,
          status: 'fail',
          detail: `hung: ${err.message}`,
          notes: stderr.split('\n').filter(Boolean).slice(-20),
          durationMs,
        },
        guestLost: true,
      };
    }
    return { result: { ...base, status: 'infra', detail: firstLine(err), durationMs }, guestLost: true };
  }
}

function firstLine(err: unknown): string {
  return err instanceof HoneError ? `${err.code}: ${err.message}` : err instanceof Error ? err.message : String(err);
}
