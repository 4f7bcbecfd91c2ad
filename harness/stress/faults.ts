// The faults of `hone stress`: each is one subcommand of the guest program
// (harness/stress/guest/hone-stress.c), which does the abuse, judges itself
// and prints one `stress: NAME PASS|FAIL ...` line. Timeouts are for TCG on
// a shared 2-core host, with room: a fault that hangs is a failure.

export interface Fault {
  name: string;
  /** What it does, for the report. */
  what: string;
  /** Arguments after the fault's name. */
  args: (o: FaultOptions) => string[];
  timeoutMs: number;
  /**
   * Runs in a guest booted with -icount (guest time from the instruction
   * count, 8 ns each): its timing judgements count the guest's own work,
   * not the stalls of a TCG vCPU on a shared host.
   */
  icount?: boolean;
}

export interface FaultOptions {
  soakCycles: number;
  /** Sockets of the sockets fault; undefined: 100,000, or 10,000 on a debug kernel (see stress/run.ts). */
  sockets?: number;
}

/** The sockets fault's count where none was asked for: a debug kernel runs it about ten times slower. */
export function defaultSockets(debugKernel: boolean): number {
  return debugKernel ? 10_000 : 100_000;
}

const s = 1000;
const none = (): string[] => [];

export const faults: readonly Fault[] = [
  {
    name: 'readers',
    what: '8 concurrent readers, snaplens 0-65535, under traffic: valid streams, cut to their snaplen, a ninth refused',
    args: () => ['8'],
    timeoutMs: 180 * s,
  },
  {
    name: 'kill',
    what: 'SIGKILL in a blocking read and after part of a record; another reader goes on; unload after',
    args: none,
    timeoutMs: 180 * s,
  },
  {
    name: 'readsizes',
    what: 'read sizes 1 B-1 MiB at random on both devices: the stream parses (PCAP-NG blocks, text lines)',
    args: () => ['10'],
    timeoutMs: 180 * s,
  },
  {
    name: 'ioctl',
    what: 'every ioctl number, bad pointers (NULL, kernel, unmapped, page edge), wrong sizes, bad values, both devices',
    args: none,
    timeoutMs: 600 * s,
  },
  {
    name: 'params',
    what: 'invalid module parameters at load (refused, logged) and through /sys (refused, kept, logged)',
    args: none,
    timeoutMs: 300 * s,
  },
  {
    name: 'rmmod',
    what: 'rmmod with a reader open (read, text, mmap): refused at once, module works, unloads after close',
    args: none,
    timeoutMs: 180 * s,
  },
  {
    name: 'soak',
    what: 'load/unload cycles under traffic with readers open (images/load-unload-soak.sh)',
    args: (o) => [String(o.soakCycles)],
    timeoutMs: 3600 * s,
  },
  {
    name: 'sockets',
    what: "100,000 UDP sockets (10,000 on a debug kernel) in one process, fork, child and parent exit, in an -icount guest (1 ns per instruction): Hone's longest hook call (function_graph; preemption is off in every hook) judged < 1 ms; where the kernel has the preemptoff tracer, its longest stretch with Hone judged < the kernel's own without Hone + 1 ms; on a debug kernel the times are reported, not judged",
    args: (o) => [String(o.sockets ?? defaultSockets(false))],
    timeoutMs: 1800 * s,
    icount: true,
  },
  {
    name: 'blocked',
    what: '200 threads blocked in recv on TCP at once, then data for all: every read reported, probes_missed',
    args: () => ['200'],
    timeoutMs: 600 * s,
  },
  {
    name: 'wrap4g',
    what: 'one loopback TCP connection past 4 GiB: sender attribution after the sequence wrap and after 4 GiB',
    args: () => [String(4096 + 256)],
    timeoutMs: 1800 * s,
  },
  {
    name: 'threads-exit',
    what: '20 processes of 64 threads all calling exit_group at once: exactly one EXIT each',
    args: () => ['64'],
    timeoutMs: 300 * s,
  },
  {
    name: 'access',
    what: 'non-root refused, node group with g+r allowed, root group and no g+r refused, new netns refused, O_RDWR refused',
    args: none,
    timeoutMs: 180 * s,
  },
  {
    name: 'names',
    what: 'an exe path and argv with quotes, backslashes, newlines and a forged event line: one EXEC line, the path one quoted field',
    args: none,
    timeoutMs: 180 * s,
  },
];

export function pickFaults(names: string[] | undefined): Fault[] {
  if (!names?.length) return [...faults];
  return names.map((n) => {
    const f = faults.find((x) => x.name === n);
    if (!f) throw new UnknownFault(n);
    return f;
  });
}

export class UnknownFault extends Error {
  constructor(readonly fault: string) {
    super(`unknown fault "${fault}"`);
  }
}
