// Ground truth written by the runner (truth.json) and the checker's verdict.

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
}

/** One performed step (harness/runner/README.md lists the fields per kind). */
export interface TruthStep {
  step: number;
  actor: string;
  kind: string;
  pid: number;
  tid: number;
  ppid: number;
  monoNs: number;
  realUs: number;
  netns: number;
  sock?: string;
  socket?: TruthSocket;
  listener?: TruthSocket;
  peerSocket?: TruthSocket;
  helper?: TruthSocket;
  child?: string;
  childPid?: number;
  thread?: string;
  threadTid?: number;
  exe?: string;
  argv?: string[];
  code?: number;
  bytes?: number;
  tag?: string;
  tags?: string[];
  to?: string;
  from?: string;
  as?: string;
  via?: string;
  peer?: string;
  netnsBefore?: number;
  /** send: sent with MSG_MORE. */
  more?: boolean;
  /** socket, accept: made with SOCK_CLOEXEC (also in the socket object of every step naming that descriptor). */
  cloexec?: boolean;
  netnsAfter?: number;
}

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
  /** Packets without data (handshake, ACK, FIN, RST) of scenario flows: socket, holder label, no process, holder list = the capture's running holder set. */
  control: { total: number; correct: number; wrong: number };
  /** Captured events of scenario pids/sockets that match nothing, and scenario packets with no socket. */
  unmatched: number;
  /** First mismatches, in plain words. */
  mismatches: string[];
  /** How many mismatches there were in all (mismatches holds the first ones). */
  mismatchCount: number;
  /** Observations that do not change the status (ring drops, honet differences, unmatched details). */
  notes: string[];
  knownGap?: string;
}
