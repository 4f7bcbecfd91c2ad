// What the truth says should be in the capture: the scenario's processes,
// sockets (with the step at which the last reference went away, and every
// process that ever held them), events to find (process, socket, read, gain,
// lose, expected RST) and tagged sends/receives to judge.
import { AF } from '../capture/constants.ts';
import type { Truth, TruthSocket, TruthStep } from './types.ts';

export interface ProcInfo {
  pid: number;
  actor: string;
  parent: number;
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
  openStep: number;
  /** Step at which the last descriptor went away (close, or exit of the last holder). */
  releaseStep?: number;
  /** Addresses seen over its life. */
  local?: string;
  remote?: string;
  listening: boolean;
  /** Processes holding it when the capture started (sockets opened before the reader). */
  holdersAtCapture: number[];
  /** Every process that held it at some time (creator, acceptor, fork children, SCM_RIGHTS receivers). */
  everHeld: Set<number>;
}

export type ExpectedEvent =
  | { kind: 'fork'; step: number; pid: number; ppid: number }
  | { kind: 'exec'; step: number; pid: number; exe: string; argv: string[] }
  | { kind: 'exit'; step: number; pid: number; code: number }
  | { kind: 'open'; step: number; sock: SockInfo; snapshot: boolean }
  | { kind: 'close'; step: number; sock: SockInfo }
  /** A recv/recvfrom that got data: some read block of this process and thread on the socket. */
  | { kind: 'read'; step: number; pid: number; tid: number; sock: SockInfo; bytes: number }
  /** The process now holds the socket (fork: tid is the child; recv: the receiving thread). */
  | { kind: 'gain'; step: number; pid: number; tid: number; via: 'fork' | 'recv'; sock: SockInfo }
  /** The process no longer holds it (its last descriptor closed, or it exited holding it). */
  | { kind: 'lose'; step: number; pid: number; tid: number; via: 'close' | 'exit'; sock: SockInfo }
  /** A TCP socket closed with data the peer sent and nobody read: the kernel resets the connection. */
  | { kind: 'rst'; step: number; sock: SockInfo; unread: number };

export interface SendInfo {
  tag: string;
  step: TruthStep;
  sock: TruthSocket;
}

export interface Model {
  truth: Truth;
  captureStart: number;
  procs: Map<number, ProcInfo>;
  /** tid -> actor name (threads and processes). */
  tids: Map<number, string>;
  /** pid -> its thread ids (the pid itself and the threads it started). */
  threads: Map<number, Set<number>>;
  sockets: Map<string, SockInfo>;
  /** Cookies of sockets the runner made for itself (netns helper) and unix sockets: never judged. */
  ignoredCookies: Set<string>;
  events: ExpectedEvent[];
  /** cookie -> its open, close, read, gain, lose and rst events. */
  eventsOf: Map<string, ExpectedEvent[]>;
  sends: Map<string, SendInfo>;
  /** tag -> the receive steps that read it. */
  receives: Map<string, SendInfo[]>;
}

export function buildModel(truth: Truth): Model {
  const captureStart = truth.captureStartStep < 0 ? -1 : truth.captureStartStep;
  const live = (step: number) => step > captureStart;
  const m: Model = {
    truth, captureStart, procs: new Map(), tids: new Map(), threads: new Map(), sockets: new Map(), ignoredCookies: new Set(),
    events: [], eventsOf: new Map(), sends: new Map(), receives: new Map(),
  };
  /** pid -> handle name -> cookie */
  const refs = new Map<number, Map<string, string>>();
  const inflight = new Map<string, number>();
  /** pid -> its handles with FD_CLOEXEC (an exec closes them; a dup or received copy is not close-on-exec) */
  const cloexec = new Map<number, Set<string>>();
  const markCloexec = (pid: number, handle: string, so: TruthSocket | undefined) => {
    const set = cloexec.get(pid) ?? cloexec.set(pid, new Set()).get(pid)!;
    if (so?.cloexec) set.add(handle);
    else set.delete(handle);
  };
  const held = (pid: number) => refs.get(pid) ?? refs.set(pid, new Map()).get(pid)!;
  const holds = (pid: number, cookie: string) => [...(refs.get(pid)?.values() ?? [])].includes(cookie);
  const inet = (cookie: string) => {
    const s = m.sockets.get(cookie);
    return s && isInet(s) ? s : undefined;
  };
  /** bytes each socket sent and read, with the step, for the expected RST */
  const sent = new Map<string, Array<{ step: number; bytes: number }>>();
  const read = new Map<string, Array<{ step: number; bytes: number }>>();
  const tally = (map: typeof sent, cookie: string, step: number, bytes: number) => map.set(cookie, [...(map.get(cookie) ?? []), { step, bytes }]);
  const release = (cookie: string, step: number) => {
    if ((inflight.get(cookie) ?? 0) > 0) return;
    for (const h of refs.values()) for (const c of h.values()) if (c === cookie) return;
    const s = m.sockets.get(cookie);
    if (s && s.releaseStep === undefined) {
      s.releaseStep = step;
      if (live(step) && isInet(s)) m.events.push({ kind: 'close', step, sock: s });
    }
  };
  const remember = (st: TruthStep, so: TruthSocket | undefined) => {
    if (!so) return;
    const s = m.sockets.get(so.cookie);
    if (!s) return;
    if (so.local && !/:0$/.test(so.local)) s.local = so.local;
    if (so.remote) s.remote = so.remote;
    void st;
  };
  const newSocket = (st: TruthStep, so: TruthSocket, accepted: boolean) => {
    const s: SockInfo = {
      cookie: so.cookie, family: so.family, type: so.type, proto: so.proto, ino: so.ino, netns: st.netns,
      creatorPid: st.pid, creatorTid: st.tid, accepted, openStep: st.step, listening: false, holdersAtCapture: [],
      everHeld: new Set([st.pid]),
    };
    m.sockets.set(so.cookie, s);
    remember(st, so);
    if (!isInet(s)) m.ignoredCookies.add(s.cookie);
    else if (live(st.step)) m.events.push({ kind: 'open', step: st.step, sock: s, snapshot: false });
    return s;
  };
  m.tids.set(truth.runnerPid, 'runner');

  for (const st of truth.steps) {
    if (st.step === captureStart) snapshotHolders(m, refs, st.step);
    m.tids.set(st.tid, st.actor);
    thread(m, st.pid, st.pid);
    switch (st.kind) {
      case 'fork':
        if (st.childPid !== undefined && st.child) {
          m.procs.set(st.childPid, { pid: st.childPid, actor: st.child, parent: st.pid });
          m.tids.set(st.childPid, st.child);
          thread(m, st.childPid, st.childPid);
          refs.set(st.childPid, new Map(refs.get(st.pid) ?? []));
          cloexec.set(st.childPid, new Set(cloexec.get(st.pid) ?? []));
          if (live(st.step)) m.events.push({ kind: 'fork', step: st.step, pid: st.childPid, ppid: st.pid });
          for (const c of new Set(refs.get(st.childPid)!.values())) {
            const s = inet(c);
            if (!s) continue;
            s.everHeld.add(st.childPid);
            if (live(st.step)) m.events.push({ kind: 'gain', step: st.step, pid: st.childPid, tid: st.childPid, via: 'fork', sock: s });
          }
        }
        break;
      case 'thread':
        if (st.threadTid !== undefined && st.thread) {
          m.tids.set(st.threadTid, st.thread);
          thread(m, st.pid, st.threadTid);
        }
        break;
      case 'exec': {
        // close-on-exec: the exec closes the process's FD_CLOEXEC descriptors (a lose via close when
        // that was its last descriptor of the socket; the socket's close when it was the last anywhere)
        const gone = [...(cloexec.get(st.pid) ?? [])];
        cloexec.delete(st.pid);
        for (const h of gone) {
          const c = refs.get(st.pid)?.get(h);
          refs.get(st.pid)?.delete(h);
          const s = c !== undefined ? inet(c) : undefined;
          if (s && !holds(st.pid, s.cookie) && live(st.step)) m.events.push({ kind: 'lose', step: st.step, pid: st.pid, tid: st.tid, via: 'close', sock: s });
          if (c) release(c, st.step);
        }
        if (live(st.step)) m.events.push({ kind: 'exec', step: st.step, pid: st.pid, exe: st.exe ?? '', argv: st.argv ?? [] });
        break;
      }
      case 'exit': {
        if (live(st.step)) m.events.push({ kind: 'exit', step: st.step, pid: st.pid, code: st.code ?? 0 });
        const mine = new Set(refs.get(st.pid)?.values() ?? []);
        refs.delete(st.pid);
        cloexec.delete(st.pid);
        for (const c of mine) {
          const s = inet(c);
          if (s && live(st.step)) m.events.push({ kind: 'lose', step: st.step, pid: st.pid, tid: st.tid, via: 'exit', sock: s });
        }
        for (const c of mine) release(c, st.step);
        break;
      }
      case 'socket':
        if (st.socket && st.sock) {
          newSocket(st, st.socket, false);
          held(st.pid).set(st.sock, st.socket.cookie);
          markCloexec(st.pid, st.sock, st.socket);
        }
        break;
      case 'socketpair':
        if (st.socket && st.peerSocket && st.sock && st.peer) {
          newSocket(st, st.socket, false);
          newSocket(st, st.peerSocket, false);
          held(st.pid).set(st.sock, st.socket.cookie);
          held(st.pid).set(st.peer, st.peerSocket.cookie);
        }
        break;
      case 'accept':
        remember(st, st.listener);
        if (st.listener) {
          const l = m.sockets.get(st.listener.cookie);
          if (l) l.listening = true;
        }
        if (st.socket && st.as) {
          newSocket(st, st.socket, true);
          held(st.pid).set(st.as, st.socket.cookie);
          markCloexec(st.pid, st.as, st.socket);
        }
        break;
      case 'listen':
        remember(st, st.socket);
        if (st.socket) {
          const l = m.sockets.get(st.socket.cookie);
          if (l) l.listening = true;
        }
        break;
      case 'dup':
      case 'recvfd':
        if (st.socket && st.as) {
          const s = inet(st.socket.cookie);
          if (st.kind === 'recvfd' && s && !holds(st.pid, s.cookie)) {
            s.everHeld.add(st.pid);
            if (live(st.step)) m.events.push({ kind: 'gain', step: st.step, pid: st.pid, tid: st.tid, via: 'recv', sock: s });
          }
          held(st.pid).set(st.as, st.socket.cookie);
          markCloexec(st.pid, st.as, st.socket);
          if (st.kind === 'recvfd') inflight.set(st.socket.cookie, (inflight.get(st.socket.cookie) ?? 1) - 1);
        }
        break;
      case 'sendfd':
        if (st.socket) inflight.set(st.socket.cookie, (inflight.get(st.socket.cookie) ?? 0) + 1);
        break;
      case 'close':
        if (st.sock) {
          const c = refs.get(st.pid)?.get(st.sock);
          refs.get(st.pid)?.delete(st.sock);
          cloexec.get(st.pid)?.delete(st.sock);
          const s = c !== undefined ? inet(c) : undefined;
          if (s && !holds(st.pid, s.cookie) && live(st.step)) m.events.push({ kind: 'lose', step: st.step, pid: st.pid, tid: st.tid, via: 'close', sock: s });
          if (c) release(c, st.step);
        }
        break;
      case 'netns':
        if (st.helper) m.ignoredCookies.add(st.helper.cookie);
        break;
      case 'send':
      case 'sendto':
        remember(st, st.socket);
        if (st.tag && st.socket && live(st.step)) m.sends.set(st.tag, { tag: st.tag, step: st, sock: st.socket });
        if (st.socket) tally(sent, st.socket.cookie, st.step, st.bytes ?? 0);
        break;
      case 'recv':
      case 'recvfrom':
        remember(st, st.socket);
        if (st.socket) tally(read, st.socket.cookie, st.step, st.bytes ?? 0);
        if (st.socket && live(st.step) && (st.bytes ?? 0) > 0) {
          const s = inet(st.socket.cookie);
          if (s) m.events.push({ kind: 'read', step: st.step, pid: st.pid, tid: st.tid, sock: s, bytes: st.bytes ?? 0 });
        }
        if (st.socket && live(st.step)) {
          for (const tag of st.tags ?? []) {
            const list = m.receives.get(tag) ?? [];
            list.push({ tag, step: st, sock: st.socket });
            m.receives.set(tag, list);
          }
        }
        break;
      default:
        remember(st, st.socket);
    }
  }
  expectResets(m, sent, read);
  for (const ev of m.events) {
    if ('sock' in ev) m.eventsOf.set(ev.sock.cookie, [...(m.eventsOf.get(ev.sock.cookie) ?? []), ev]);
  }
  return m;
}

export function isInet(s: { family: number }): boolean {
  return s.family === AF.INET || s.family === AF.INET6;
}

/** "actor (pid N)" for messages. */
export function who(m: Model, pid: number | undefined, tid?: number): string {
  if (pid === undefined) return 'no process';
  const actor = m.procs.get(pid)?.actor ?? (pid === m.truth.runnerPid ? 'runner' : undefined);
  const t = tid !== undefined && tid !== pid ? ` tid ${tid}${m.tids.get(tid) ? ` (${m.tids.get(tid)})` : ''}` : '';
  return `pid ${pid}${actor ? ` (${actor})` : ''}${t}`;
}

// --- internal ---

function thread(m: Model, pid: number, tid: number): void {
  const set = m.threads.get(pid);
  if (set) set.add(tid);
  else m.threads.set(pid, new Set([tid]));
}

/**
 * A connected TCP socket released (last close, or exit of its last holder)
 * after capture start while its peer had sent it more bytes than it read:
 * the kernel answers with a RST from its address (tcp_close with unread data).
 */
function expectResets(m: Model, sent: Map<string, Array<{ step: number; bytes: number }>>, read: Map<string, Array<{ step: number; bytes: number }>>): void {
  const sum = (list: Array<{ step: number; bytes: number }> | undefined, before: number) =>
    (list ?? []).filter((x) => x.step < before).reduce((a, x) => a + x.bytes, 0);
  for (const s of m.sockets.values()) {
    if (!isInet(s) || s.type !== 1 || s.releaseStep === undefined || s.releaseStep <= m.captureStart || !s.local || !s.remote) continue;
    const peer = [...m.sockets.values()].find((p) => p !== s && p.type === 1 && p.local === s.remote && p.remote === s.local);
    if (!peer) continue;
    const unread = sum(sent.get(peer.cookie), s.releaseStep) - sum(read.get(s.cookie), s.releaseStep);
    if (unread > 0) m.events.push({ kind: 'rst', step: s.releaseStep, sock: s, unread });
  }
}

/** At the capture-start step: every inet socket then held must show up in the snapshot. */
function snapshotHolders(m: Model, refs: Map<number, Map<string, string>>, step: number): void {
  for (const [pid, h] of refs) {
    for (const cookie of new Set(h.values())) {
      const s = m.sockets.get(cookie);
      if (!s || !isInet(s)) continue;
      if (s.holdersAtCapture.length === 0) m.events.push({ kind: 'open', step, sock: s, snapshot: true });
      s.holdersAtCapture.push(pid);
    }
  }
}
