// bootGuest(): one QEMU guest with its console watched from the first byte.
// It resolves once the guest's /init says it is ready and SSH answers. The
// SSH connection is opened as soon as /init says dropbear is up, while Hone's
// modules are still loading, so its handshake costs no time of its own; a
// kernel splat at any time fails whatever is in flight as a kernel crash,
// quoting the console, within a second or two of it appearing.
import { HoneError } from '../util/errors.ts';
import type { Logger } from '../util/log.ts';
import { SshChannel, type ExecOptions, type ExecResult } from '../channel/ssh.ts';
import { bootStep, classifyLine, ConsoleTail, type BootStep } from './console.ts';
import { freePort } from './ports.ts';
import type { Accel } from './qemu-args.ts';
import { spawnQemu, type Qemu } from './qemu.ts';
import type { Arch } from '../catalog/arch.ts';

export interface BootOptions {
  kernel: string;
  /** The guest's architecture (default amd64): QEMU binary, machine, console. */
  arch?: Arch;
  vmlinuz: string;
  initrd: string;
  accel: Accel;
  smp: number;
  memoryMiB?: number;
  /** Appended to the kernel command line (the catalog entry's "cmdline"). */
  cmdline?: string;
  /** Deterministic guest time (see QemuConfig.icount). */
  icount?: boolean;
  icountShift?: number;
  consoleFile: string;
  privateKey: string;
  logger: Logger;
  /** The guest must report its Hone modules loaded. */
  expectModules: boolean;
  bootTimeoutMs?: number;
  gdb?: boolean;
  /** Retries when the kernel crashes before /init runs (TCG boot races). */
  earlyCrashRetries?: number;
  /** Told each line the guest prints on its console (not QEMU's own lines). */
  onConsole?: (line: string) => void;
}

export interface Guest {
  kernel: string;
  accel: Accel;
  sshPort: number;
  /** Wall time from QEMU start to ready (SSH answering). */
  readyMs: number;
  /** Guest uptime when /init said ready. */
  guestUptime: number;
  /** Where the boot's time went. */
  timeline: BootTimeline;
  retries: number;
  /** QEMU's process id on the host (for footprint measurements). */
  qemuPid: number | undefined;
  exec(command: string, opts?: ExecOptions): Promise<ExecResult>;
  check(command: string, opts?: ExecOptions): Promise<ExecResult>;
  copyOut(remote: string, local: string): Promise<number>;
  writeFile(remote: string, data: Buffer | string, mode?: string): Promise<void>;
  /** An interactive shell on this terminal. */
  interactive(): Promise<void>;
  /** Rejects with E_KERNEL_CRASH if the kernel splats; never resolves otherwise. */
  crashed: Promise<never>;
  consoleTail(n?: number): string[];
  shutdown(): Promise<void>;
}

/** Where a boot's time went: guest uptime at each /init step, host time of the SSH connection. */
export interface BootTimeline {
  /** In the order /init reported them (images/guest-init.sh). */
  steps: BootStep[];
  /** Host ms from QEMU's start: dropbear reported up (the SSH connect starts), HONE-READY seen, SSH connected. */
  sshUpMs?: number;
  readyLineMs: number;
  connectedMs: number;
}

export async function bootGuest(o: BootOptions): Promise<Guest> {
  const retries = o.earlyCrashRetries ?? 1;
  for (let attempt = 0; ; attempt++) {
    try {
      const g = await bootOnce(o, attempt);
      return { ...g, retries: attempt };
    } catch (err) {
      const early = err instanceof HoneError && err.code === 'E_KERNEL_CRASH' && err.message.includes('before /init');
      if (!early || attempt >= retries) throw err;
      o.logger(`kernel crashed before /init (a known TCG boot race): retrying (${attempt + 1}/${retries})`);
    }
  }
}

// --- internal ---

async function bootOnce(o: BootOptions, attempt: number): Promise<Omit<Guest, 'retries'>> {
  const started = Date.now();
  const sshPort = await freePort();
  const qemu = spawnQemu(
    {
      arch: o.arch,
      kernel: o.vmlinuz,
      initrd: o.initrd,
      accel: o.accel,
      smp: o.smp,
      memoryMiB: o.memoryMiB ?? 512,
      sshPort,
      gdb: o.gdb,
      icount: o.icount,
      icountShift: o.icountShift,
      extraAppend: o.cmdline,
    },
    o.consoleFile,
    { append: attempt > 0 },
  );
  const tail = new ConsoleTail(200);
  const watcher = watchConsole(qemu, tail, o);
  const since = () => Date.now() - started;
  const abort = new AbortController();
  let sshUpMs: number | undefined;
  // connect once dropbear is up (at HONE-READY at the latest), while the modules load
  const connecting = watcher.sshUp.then(() => {
    sshUpMs = since();
    return SshChannel.connect({ port: sshPort, privateKey: o.privateKey, kernel: o.kernel, timeoutMs: 30000, signal: abort.signal });
  });
  connecting.catch(() => {}); // raced below
  try {
    const deadline = timeout(o.bootTimeoutMs ?? 240000, o, tail);
    const ready = await Promise.race([watcher.ready, watcher.crashed, deadline.expired]).finally(deadline.cancel);
    const readyLineMs = since();
    const ssh = await Promise.race([connecting, watcher.crashed]);
    const readyMs = since();
    const timeline: BootTimeline = {
      steps: watcher.steps,
      ...(sshUpMs === undefined ? {} : { sshUpMs }),
      readyLineMs,
      connectedMs: readyMs,
    };
    // A dying kernel usually drops the SSH connection before its splat has
    // reached the console: a channel error waits briefly for a crash report.
    const guard = async <T>(p: Promise<T>): Promise<T> => {
      try {
        return await Promise.race([p, watcher.crashed]);
      } catch (err) {
        if (err instanceof HoneError && err.code === 'E_CHANNEL') await Promise.race([watcher.crashed, sleep(4000)]);
        throw err;
      }
    };
    return {
      kernel: o.kernel,
      accel: o.accel,
      sshPort,
      qemuPid: qemu.pid,
      readyMs,
      guestUptime: ready,
      timeline,
      exec: (c, e) => guard(ssh.exec(c, e)),
      check: (c, e) => guard(ssh.check(c, e)),
      copyOut: (r, l) => guard(ssh.copyOut(r, l)),
      writeFile: (r, d, m) => guard(ssh.writeFile(r, d, m)),
      interactive: () => guard(ssh.interactive()),
      crashed: watcher.crashed,
      consoleTail: (n) => tail.last(n),
      shutdown: async () => {
        await Promise.race([ssh.exec('sync; poweroff -f').catch(() => undefined), sleep(3000)]);
        ssh.close();
        await qemu.kill(2000);
      },
    };
  } catch (err) {
    abort.abort();
    void connecting.then(
      (ssh) => ssh.close(),
      () => {},
    );
    await qemu.kill(2000);
    throw err;
  }
}

interface Watcher {
  ready: Promise<number>;
  /** dropbear is up (HONE-SSH-UP, or HONE-READY from an /init without that marker). */
  sshUp: Promise<void>;
  crashed: Promise<never>;
  steps: BootStep[];
}

function watchConsole(qemu: Qemu, tail: ConsoleTail, o: BootOptions): Watcher {
  let resolveReady: (uptime: number) => void = () => {};
  let rejectCrash: (e: HoneError) => void = () => {};
  const ready = new Promise<number>((res) => (resolveReady = res));
  let resolveSshUp: () => void = () => {};
  const sshUp = new Promise<void>((res) => (resolveSshUp = res));
  const steps: BootStep[] = [];
  const crashed = new Promise<never>((_, rej) => (rejectCrash = rej));
  crashed.catch(() => {}); // observed by whoever races it
  let sawInit = false;
  let modulesLoaded = false;
  let failing = false;
  const fail = (e: HoneError, delayMs: number) => {
    if (failing) return;
    failing = true;
    const mark = tail.mark();
    // let the rest of the splat reach the console, then quote it from its first line
    setTimeout(
      () => rejectCrash(new HoneError(e.code, e.message, { kernel: o.kernel, hint: e.hint, details: tail.excerpt(mark, 5, 45) })),
      delayMs,
    );
  };
  qemu.onLine(({ text: line, from }) => {
    if (from === 'qemu') return tail.push(`[qemu] ${line}`);
    tail.push(line);
    o.onConsole?.(line);
    const step = bootStep(line);
    if (step) steps.push(step);
    const ev = classifyLine(line);
    if (ev.kind === 'init') sawInit = true;
    else if (ev.kind === 'modules-loaded') modulesLoaded = true;
    else if (ev.kind === 'ssh-up') resolveSshUp();
    else if (ev.kind === 'ssh-fail') {
      fail(
        new HoneError('E_CHANNEL', 'dropbear (the SSH server) would not start in the guest', {
          hint: 'see the console log; its errors are in /tmp/dropbear.log in the guest',
        }),
        0,
      );
    } else if (ev.kind === 'module-fail') {
      fail(
        new HoneError('E_MODULE_LOAD', `a module would not load in the guest: ${ev.detail}`, {
          hint: 'see the console log; `npx hone shell KERNEL --no-modules` boots without them to investigate',
        }),
        500,
      );
    } else if (ev.kind === 'splat') {
      const when = sawInit ? '' : ' before /init';
      fail(new HoneError('E_KERNEL_CRASH', `kernel crash${when}: ${ev.line.trim()}`, { hint: `console log: ${o.consoleFile}` }), 1500);
    } else if (ev.kind === 'ready') {
      if (o.expectModules && !modulesLoaded) {
        fail(new HoneError('E_MODULE_LOAD', 'the guest came up without /dev/hone and /dev/honet', { hint: 'see the console log' }), 0);
      } else {
        resolveSshUp();
        resolveReady(ev.uptime);
      }
    }
  });
  void qemu.exited.then((r) => {
    const why = r.code === 0 ? 'powered off' : `exited with code ${r.code ?? r.signal}`;
    fail(new HoneError('E_GUEST_BOOT', `QEMU ${why}`, { hint: `console log: ${o.consoleFile}` }), 0);
  });
  return { ready, sshUp, crashed, steps };
}

function timeout(ms: number, o: BootOptions, tail: ConsoleTail): { expired: Promise<never>; cancel: () => void } {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(
        new HoneError('E_GUEST_BOOT', `guest was not ready after ${ms / 1000} s`, {
          kernel: o.kernel,
          details: tail.last(30),
          hint: `console log: ${o.consoleFile}`,
        }),
      );
    }, ms);
  });
  return { expired, cancel: () => clearTimeout(timer) };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
