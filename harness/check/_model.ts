// The expectations the checker judges a capture by, and reading them: the
// scenario's processes and sockets, who held each socket when (and when
// that changed), the events to find (process, socket, read, gain, lose),
// every tagged payload's two appearances, and the packets the kernel must
// send for the scenario's TCP connections (handshake, FIN, RST). They are
// built from truth.json alone (_expect.ts); nothing from the capture.
import { AF } from '../capture/constants.ts';
import { stepWindow, type Clock, type Window } from './_time.ts';
import type { Truth, TruthStep, TruthStepOf } from './types.ts';

export interface ProcInfo {
  pid: number;
  actor: string;
  parent: number;
  /** The fork step that made it. */
  forkStep: TruthStepOf<'fork'>;
  /** Its own pid inside a pid namespace (the runner's nspid). */
  nspid?: number;
  /** Inode of its pid namespace, when the runner recorded it. */
  pidns?: number;
  /** Exec'ed before the capture started (the snapshot describes it as EXEC). */
  execedBeforeCapture: boolean;
}

export interface HolderChange {
  pid: number;
  gained: boolean;
  step: TruthStep;
  window: Window;
}

export interface SockInfo {
  cookie: string;
  family: number;
  type: number;
  proto: number;
  ino: number;
  netns: number;
  creatorPid: number;
  creatorTid: number;
  accepted: boolean;
  openStep: TruthStep;
  /** The listener an accepted socket came from. */
  listener?: string;
  /** Step at which the last reference went away (close, exec, or exit of the last holder). */
  releaseStep?: TruthStep;
  /** The process that let go last. */
  releaser?: number;
  /** Addresses seen over its life ("a.b.c.d:port", "[v6]:port"). */
  local?: string;
  remote?: string;
  listening: boolean;
  reuseport: boolean;
  /** The connected peer (TCP), by addresses. */
  peer?: string;
  /** Processes holding it when the capture started. */
  holdersAtCapture: number[];
  /** Every process that held it at some time. */
  everHeld: Set<number>;
  /** Who held it when, in truth order (the creator's hold starts at its open step). */
  changes: HolderChange[];
}

export type ExpectedEvent =
  | { kind: 'fork'; step: TruthStepOf<'fork'>; pid: number; ppid: number }
  | { kind: 'exec'; step: TruthStepOf<'exec'>; pid: number; exe: string; argv: string[] }
  | { kind: 'exit'; step: TruthStepOf<'exit'>; pid: number; code: number }
  /** A process alive when the capture started: its snapshot process block. */
  | { kind: 'snapshot-process'; step: TruthStep; pid: number; ppid: number; execed: boolean }
  | { kind: 'open'; step: TruthStep; sock: SockInfo }
  /** A socket held when the capture started: one snapshot open block per holder. */
  | { kind: 'snapshot-open'; step: TruthStep; sock: SockInfo; pid: number }
  /**
   * The last reference went away at `step`; `releasers`: every process whose letting go may have been
   * the last in time (the truth's last, and any exit still under way when that step began).
   */
  | { kind: 'close'; step: TruthStep; sock: SockInfo; releasers: number[] }
  /**
   * A read call that got data: one read block. `calls` known: one expectation per call, `bytes` that
   * call's; otherwise (older runners) one for the whole step, whose blocks must add up to `bytes`.
   * `offset`: stream sockets, bytes read from the socket before this call.
   */
  | {
      kind: 'read';
      step: TruthStepOf<'recv' | 'recvfrom'>;
      pid: number;
      tid: number;
      sock: SockInfo;
      bytes: number;
      whole: boolean;
      offset?: number;
    }
  | { kind: 'gain'; step: TruthStep; pid: number; tid: number; via: 'fork' | 'recv'; sock: SockInfo }
  | { kind: 'lose'; step: TruthStep; pid: number; tid: number; via: 'close' | 'exit'; sock: SockInfo };

export interface SendInfo {
  tag: string;
  step: TruthStepOf<'send' | 'sendto'>;
  sock: SockInfo;
  /** Stream sockets: bytes sent on the socket before this send. */
  offset?: number;
}

export interface RecvInfo {
  tag: string;
  step: TruthStepOf<'recv' | 'recvfrom'>;
  sock: SockInfo;
}

/** Where a tagged send's bytes arrive, and who read them there. */
export interface Delivery {
  tag: string;
  send: SendInfo;
  /** The sockets the incoming copy may be reported on (one, or for raw sockets each one that gets a copy). */
  dest: string[];
  /** The receive steps that read it (empty: nobody did). */
  readers: RecvInfo[];
}

export type ControlWhat = 'SYN' | 'SYN-ACK' | 'ACK' | 'FIN' | 'RST';

/** A packet the kernel must send (out) or receive (in) for a scenario TCP connection. */
export interface ControlExpect {
  what: ControlWhat;
  direction: 'out' | 'in';
  /** Source and destination endpoints on the wire. */
  src: string;
  dst: string;
  /** The sockets it may be reported on. */
  sockets: string[];
  step: TruthStep;
  /** No earlier than lo, and (handshake packets the connect waited for) no later than hi. */
  window: Window;
  why: string;
}

export interface Model {
  truth: Truth;
  clock: Clock;
  /** -1: the capture started before step 0. */
  captureStart: number;
  procs: Map<number, ProcInfo>;
  /** tid -> actor name (threads and processes). */
  tids: Map<number, string>;
  /** pid -> its thread ids. */
  threads: Map<number, Set<number>>;
  sockets: Map<string, SockInfo>;
  /** Cookies of sockets the runner made for itself (netns, veth) and unix sockets: never judged. */
  ignoredCookies: Set<string>;
  events: ExpectedEvent[];
  sends: Map<string, SendInfo>;
  deliveries: Map<string, Delivery>;
  control: ControlExpect[];
  /** Problems of the truth itself (the runner's /proc view disagreeing with its records). */
  truthProblems: string[];
}

export function isInet(s: { family: number }): boolean {
  return s.family === AF.INET || s.family === AF.INET6;
}

/** Whether a step happened after the capture started. */
export function isLive(m: Model, st: TruthStep): boolean {
  return st.step > m.captureStart;
}

export function window(m: Model, st: TruthStep): Window {
  return stepWindow(m.truth, m.clock, st);
}

/** "pid N (actor)" for messages, with the thread when it is not the main one. */
export function who(m: Model, pid: number | undefined, tid?: number): string {
  if (pid === undefined) return 'no process';
  const actor = m.procs.get(pid)?.actor ?? (pid === m.truth.runnerPid ? 'runner' : undefined);
  const t = tid !== undefined && tid !== pid ? ` tid ${tid}${m.tids.get(tid) ? ` (${m.tids.get(tid)})` : ''}` : '';
  return `pid ${pid}${actor ? ` (${actor})` : ''}${t}`;
}

export function sockName(s: SockInfo): string {
  const fam = s.family === AF.INET6 ? 'inet6' : s.family === AF.INET ? 'inet' : `family ${s.family}`;
  const type = ({ 1: 'stream', 2: 'dgram', 3: 'raw' } as Record<number, string>)[s.type] ?? `type ${s.type}`;
  return `${fam} ${type}${s.proto ? ` proto ${s.proto}` : ''}${s.accepted ? ' accepted' : ''}`;
}

/**
 * Does the truth say `pid` holds the socket at monotonic time t (µs)? 'either'
 * while a change of its hold is under way (the time falls in that step's window).
 */
export function holdsAt(so: SockInfo, pid: number, t: number, slack: number): boolean | 'either' {
  let state = false;
  for (const c of so.changes) {
    if (c.pid !== pid) continue;
    if (c.window.hi + slack < t) state = c.gained;
    else if (c.window.lo - slack <= t) return state === c.gained ? state : 'either';
    else break;
  }
  return state;
}

/** Every process the truth says held the socket at some point of its life. */
export function holderPids(so: SockInfo): number[] {
  return [...new Set(so.changes.map((c) => c.pid))];
}

/** Is `to` an address the socket bound at `local` receives on (its own address, or any address, same port)? */
export function endpointMatches(local: string | undefined, to: string): boolean {
  if (!local) return false;
  const [la, lp] = splitEndpoint(local);
  const [ta, tp] = splitEndpoint(to);
  if (lp !== tp) return false;
  return la === ta || la === '0.0.0.0' || la === '::';
}

export function splitEndpoint(e: string): [string, string] {
  const m6 = /^\[(.*)\]:(\d+)$/.exec(e);
  if (m6) return [m6[1]!, m6[2]!];
  const m4 = /^(.*):(\d+)$/.exec(e);
  if (m4 && !m4[1]!.includes(':')) return [m4[1]!, m4[2]!];
  return [e, ''];
}
