// spawnQemu(): the one place a QEMU process starts. A QemuConfig and a
// console file go in; out come the console's lines as they arrive (the
// serial port, and QEMU's own complaints on stderr), its exit, and a kill.
// Everything QEMU prints lands in the console file, after a first line with
// the command. Boot (guest.ts), the accelerator probe (accel.ts), the bench's
// bare boot and the package test differ only in the lines they wait for.
import { createWriteStream } from 'node:fs';
import { execa } from '../vendor.ts';
import { eachLine } from '../util/lines.ts';
import { qemuArgs, qemuBinary, type QemuConfig } from './qemu-args.ts';

export interface ConsoleLine {
  /** The line, without its line end. */
  text: string;
  /** The guest's serial console (QEMU's stdout) or QEMU itself (stderr). */
  from: 'console' | 'qemu';
}

export interface QemuExit {
  /** QEMU's exit code; undefined when a signal ended it. */
  code: number | undefined;
  signal: string | undefined;
  /** Ended by spawnQemu's timeoutMs. */
  timedOut: boolean;
}

export interface Qemu {
  pid: number | undefined;
  /** QEMU's arguments (after the binary). */
  args: string[];
  /** Calls the listener with every line from now on (listeners added right after spawnQemu see every line). */
  onLine(listener: (line: ConsoleLine) => void): void;
  /** The first console line (from now on) that matches, or undefined if QEMU exits first. */
  waitFor(match: (line: ConsoleLine) => boolean): Promise<ConsoleLine | undefined>;
  /** Resolves once QEMU has exited, every line was delivered and the console file is closed. */
  exited: Promise<QemuExit>;
  /** Gives QEMU graceMs to exit by itself (a guest powering off), then SIGKILL; resolves as `exited`. */
  kill(graceMs?: number): Promise<QemuExit>;
}

export interface SpawnOptions {
  /** Append to the console file instead of starting it anew (a retried boot). */
  append?: boolean;
  /** SIGKILL QEMU after this long (exit: timedOut). */
  timeoutMs?: number;
  /** The program to run instead of the config's QEMU binary (tests use a stand-in). */
  binary?: string;
}

export function spawnQemu(config: QemuConfig, consoleFile: string, opts: SpawnOptions = {}): Qemu {
  const binary = opts.binary ?? qemuBinary(config);
  const args = qemuArgs(config);
  const log = createWriteStream(consoleFile, { flags: opts.append ? 'a' : 'w' });
  log.write(`# ${binary} ${args.join(' ')}\n`);
  const child = execa(binary, args, { reject: false, stdin: 'ignore', buffer: false });
  child.stdout?.on('data', (chunk: Buffer) => log.write(chunk));
  child.stderr?.on('data', (chunk: Buffer) => log.write(chunk));

  const listeners: Array<(line: ConsoleLine) => void> = [];
  const emit = (line: ConsoleLine) => {
    for (const l of [...listeners]) l(line);
  };
  const streams = Promise.all([
    eachLine(child.stdout, (text) => emit({ text, from: 'console' })),
    eachLine(child.stderr, (text) => text && emit({ text, from: 'qemu' })),
  ]);
  let timedOut = false;
  const timer =
    opts.timeoutMs === undefined
      ? undefined
      : setTimeout(() => {
          timedOut = true;
          child.kill('SIGKILL');
        }, opts.timeoutMs);
  let running = true;
  const exited: Promise<QemuExit> = child.then(async (r) => {
    running = false;
    clearTimeout(timer);
    await streams;
    await new Promise<void>((res) => log.end(res));
    return { code: typeof r.exitCode === 'number' ? r.exitCode : undefined, signal: r.signal ?? undefined, timedOut };
  });

  return {
    pid: child.pid,
    args,
    onLine: (listener) => void listeners.push(listener),
    waitFor: (match) =>
      new Promise((resolve) => {
        const listener = (line: ConsoleLine) => {
          if (!match(line)) return;
          listeners.splice(listeners.indexOf(listener), 1);
          resolve(line);
        };
        listeners.push(listener);
        void exited.then(() => resolve(undefined));
      }),
    exited,
    kill: async (graceMs = 0) => {
      if (running && graceMs > 0) await Promise.race([exited, new Promise((r) => setTimeout(r, graceMs))]);
      if (running) child.kill('SIGKILL');
      return exited;
    },
  };
}
