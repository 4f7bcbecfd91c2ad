// Ground truth written by the runner (truth.json) and the checker's verdict.
import type { StepKind } from '../scenario/types.ts';

/** A socket as the runner saw it at a step (getsockopt/getsockname/getpeername). */
export interface TruthSocket {
  /** SO_COOKIE as 16 lowercase hex digits. */
  cookie: string;
  fd: number;
  ino: number;
  family: number;
  type: number;
  proto: number;
  /** "a.b.c.d:port" or "[v6]:port". */
  local?: string;
  remote?: string;
  /** The descriptor has FD_CLOEXEC (made with SOCK_CLOEXEC): an exec closes it. Absent: it survives an exec. */
  cloexec?: boolean;
  /** SO_REUSEPORT is set. */
  reuseport?: boolean;
}

/** What every step record has (harness/runner/README.md). */
export interface TruthStepBase {
  step: number;
  actor: string;
  /** Global process id (as the sensor names it), also inside a pid namespace. */
  pid: number;
  tid: number;
  ppid: number;
  /** The pid in the process's own pid namespace, when that is not the initial one. */
  nspid?: number;
  /** CLOCK_MONOTONIC when the step began (exec: before execve). */
  monoNs: number;
  /** CLOCK_MONOTONIC when its system calls were done, before the turn passed on (runners since the proof work). */
  endMonoNs?: number;
  realUs: number;
  netns: number;
  /** Inode of the thread's pid namespace. */
  pidns?: number;
}

/** What the runner adds for each kind of step. */
interface TruthFieldsByKind {
  fork: { child: string; childPid: number; childNspid?: number };
  thread: { thread: string; threadTid: number };
  exec: { exe: string; argv: string[] };
  /** goneMonoNs: the controller saw the process gone (an upper bound for the exit's effects). */
  exit: { code: number; goneMonoNs?: number };
  socket: { sock: string; socket: TruthSocket; cloexec?: boolean };
  socketpair: { sock: string; peer: string; socket: TruthSocket; peerSocket: TruthSocket };
  bind: { sock: string; socket: TruthSocket; reuseportIndex?: number };
  listen: { sock: string; socket: TruthSocket };
  connect: { sock: string; socket: TruthSocket; toCookie?: string };
  accept: { sock: string; as: string; listener: TruthSocket; socket: TruthSocket; cloexec?: boolean };
  send: { sock: string; socket: TruthSocket; bytes: number; tag: string; more?: boolean; via?: string };
  /** reads: the bytes of each read()/recv()/splice() call, in order (runners since the proof work). */
  recv: { sock: string; socket: TruthSocket; bytes: number; tags: string[]; reads?: number[]; via?: string };
  sendto: { sock: string; socket: TruthSocket; bytes: number; tag: string; to: string; toCookie?: string };
  recvfrom: { sock: string; socket: TruthSocket; bytes: number; tags: string[]; reads?: number[]; from?: string };
  shutdown: { sock: string; socket: TruthSocket; how?: string };
  close: { sock: string; socket: TruthSocket };
  dup: { sock: string; as: string; socket: TruthSocket };
  sendfd: { sock: string; via: string; socket: TruthSocket };
  recvfd: { via: string; as: string; socket: TruthSocket };
  netns: { netnsBefore: number; netnsAfter: number; helper: TruthSocket };
  pidns: { pidnsBefore: number };
  veth: {
    peer: string;
    peerPid: number;
    ifname: string;
    peerIfname: string;
    addr: string;
    peerAddr: string;
    helper: TruthSocket;
    peerHelper: TruthSocket;
    peerNetns: number;
  };
  sleep: Record<never, never>;
  /** fdView: each scenario process's socket inodes, from its /proc/PID/fd, when the readers had taken their snapshot. */
  'capture-start': { fdView?: Array<{ pid: number; inos: number[] }> };
}

/** Every kind of scenario step has its fields here (a kind without them fails to compile). */
type TruthFields = { [K in StepKind]: TruthFieldsByKind[K] };

/** One performed step: a union on `kind`, one member per scenario step kind. */
export type TruthStep = { [K in StepKind]: TruthStepBase & { kind: K } & TruthFields[K] }[StepKind];

/** The record of one kind of step. */
export type TruthStepOf<K extends StepKind> = Extract<TruthStep, { kind: K }>;

export interface Truth {
  version: number;
  scenario: string;
  runId: string;
  ok: boolean;
  error?: string;
  failedStep?: number;
  runnerPid: number;
  runnerExe: string;
  kernel: string;
  capture: boolean;
  /** -1: capture started before step 0; otherwise the capture-start step. */
  captureStartStep: number;
  realMinusMonoUs: number;
  /** CLOCK_MONOTONIC when the runner began to stop the readers: both were reading until then. */
  settledMonoNs?: number;
  /** CLOCK_MONOTONIC after the capture readers stopped: every captured event happened before it. */
  captureStopMonoNs?: number;
  stepCount: number;
  steps: TruthStep[];
}

export interface Counts {
  total: number;
  correct: number;
  wrong: number;
  missing: number;
}

export interface Verdict {
  scenario: string;
  status: 'pass' | 'fail' | 'todo';
  /** Appearances of tagged payload that must be attributed (see RULES.md). */
  packets: Counts;
  /** fork, exec, exit, socket open and close, read, gain, lose and expected RST of the scenario. */
  events: Counts;
  /** Packets without data (handshake, ACK, FIN, RST) of scenario TCP flows: the ones the truth requires, and every one captured (socket, label, no process, the truth's holders). */
  control: Counts;
  /** Blocks of the PCAP-NG stream compared with their /dev/honet lines (when the run has honet.txt). */
  honet?: Counts;
  /** Tagged packets of no send of the scenario (other runs' tags). */
  unmatched: number;
  /** First mismatches, in plain words. */
  mismatches: string[];
  /** How many mismatches there were in all (mismatches holds the first ones). */
  mismatchCount: number;
  /** Observations that do not change the status (ring drops, honet differences, unmatched details). */
  notes: string[];
  knownGap?: string;
}
