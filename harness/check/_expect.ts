// Building the expectations (_model.ts) from truth.json alone: a walk over
// the runner's step records in order, with the shared descriptor model
// (fork copies, exec closes close-on-exec, in-flight references, the last
// close releases), the bytes each socket sent and read, and the holder
// changes with their time windows.
import { IPPROTO } from '../capture/constants.ts';
import { Descriptors } from '../scenario/descriptors.ts';
import { makeClock } from './_time.ts';
import {
  endpointMatches,
  isInet,
  who,
  window,
  type ControlWhat,
  type ExpectedEvent,
  type Model,
  type RecvInfo,
  type SockInfo,
} from './_model.ts';
import type { Window } from './_time.ts';
import type { Truth, TruthSocket, TruthStep, TruthStepOf } from './types.ts';

export function buildModel(truth: Truth): Model {
  return new ModelBuilder(truth).build();
}

// --- internal ---

class ModelBuilder {
  private readonly m: Model;
  private readonly fds = new Descriptors<string>();
  /** Stream bytes sent and read per socket so far, with the step, for offsets and unread data. */
  private readonly sent = new Map<string, Array<{ step: number; bytes: number }>>();
  private readonly read = new Map<string, Array<{ step: number; bytes: number }>>();
  private readonly receives = new Map<string, RecvInfo[]>();
  /** TCP sockets that sent their FIN (shutdown) or were reset. */
  private readonly finSent = new Set<string>();
  private readonly reset = new Set<string>();

  constructor(truth: Truth) {
    this.m = {
      truth,
      clock: makeClock(truth),
      captureStart: truth.captureStartStep < 0 ? -1 : truth.captureStartStep,
      procs: new Map(),
      tids: new Map(),
      threads: new Map(),
      sockets: new Map(),
      ignoredCookies: new Set(),
      events: [],
      sends: new Map(),
      deliveries: new Map(),
      control: [],
      truthProblems: [],
    };
    this.m.tids.set(truth.runnerPid, 'runner');
  }

  build(): Model {
    const { m } = this;
    for (const st of m.truth.steps) {
      m.tids.set(st.tid, st.actor);
      this.thread(st.pid, st.pid);
      const p = m.procs.get(st.pid);
      if (p) {
        if (st.nspid !== undefined) p.nspid ??= st.nspid;
        if (st.pidns !== undefined) p.pidns ??= st.pidns;
      }
      this.step(st);
    }
    this.deliver();
    this.connections();
    return m;
  }

  private live(st: TruthStep): boolean {
    return st.step > this.m.captureStart;
  }

  private push(ev: ExpectedEvent): void {
    if (this.live(ev.step)) this.m.events.push(ev);
  }

  private change(so: SockInfo, pid: number, gained: boolean, st: TruthStep): void {
    so.changes.push({ pid, gained, step: st, window: window(this.m, st) });
    if (gained) so.everHeld.add(pid);
  }

  private inet(cookie: string | undefined): SockInfo | undefined {
    const s = cookie === undefined ? undefined : this.m.sockets.get(cookie);
    return s && isInet(s) && !this.m.ignoredCookies.has(s.cookie) ? s : undefined;
  }

  private step(st: TruthStep): void {
    const { m, fds } = this;
    switch (st.kind) {
      case 'fork': {
        m.procs.set(st.childPid, {
          pid: st.childPid,
          actor: st.child,
          parent: st.pid,
          forkStep: st,
          execedBeforeCapture: false,
          ...(st.childNspid !== undefined ? { nspid: st.childNspid } : {}),
        });
        m.tids.set(st.childPid, st.child);
        this.thread(st.childPid, st.childPid);
        this.push({ kind: 'fork', step: st, pid: st.childPid, ppid: st.pid });
        for (const c of fds.fork(st.pid, st.childPid)) {
          const s = this.inet(c);
          if (!s) continue;
          this.change(s, st.childPid, true, st);
          this.push({ kind: 'gain', step: st, pid: st.childPid, tid: st.childPid, via: 'fork', sock: s });
        }
        break;
      }
      case 'thread':
        m.tids.set(st.threadTid, st.thread);
        this.thread(st.pid, st.threadTid);
        break;
      case 'exec': {
        // close-on-exec: a lose via close where that was the process's last descriptor of the socket
        for (const d of fds.exec(st.pid)) this.dropped(st, d.sock, d.lost, 'close');
        const p = m.procs.get(st.pid);
        if (p && !this.live(st)) p.execedBeforeCapture = true;
        this.push({ kind: 'exec', step: st, pid: st.pid, exe: st.exe, argv: st.argv });
        break;
      }
      case 'exit': {
        this.push({ kind: 'exit', step: st, pid: st.pid, code: st.code });
        const held = fds.exit(st.pid);
        for (const c of held) {
          const s = this.inet(c);
          if (!s) continue;
          this.change(s, st.pid, false, st);
          this.push({ kind: 'lose', step: st, pid: st.pid, tid: st.tid, via: 'exit', sock: s });
        }
        for (const c of held) this.release(c, st);
        break;
      }
      case 'socket':
        this.newSocket(st, st.socket, false);
        fds.open(st.pid, st.sock, st.socket.cookie, !!st.socket.cloexec);
        break;
      case 'socketpair':
        this.newSocket(st, st.socket, false);
        this.newSocket(st, st.peerSocket, false);
        fds.open(st.pid, st.sock, st.socket.cookie);
        fds.open(st.pid, st.peer, st.peerSocket.cookie);
        break;
      case 'accept': {
        this.remember(st.listener);
        const l = m.sockets.get(st.listener.cookie);
        if (l) l.listening = true;
        const s = this.newSocket(st, st.socket, true);
        s.listener = st.listener.cookie;
        fds.open(st.pid, st.as, st.socket.cookie, !!st.socket.cloexec);
        break;
      }
      case 'listen': {
        this.remember(st.socket);
        const l = m.sockets.get(st.socket.cookie);
        if (l) l.listening = true;
        break;
      }
      case 'dup':
        fds.open(st.pid, st.as, st.socket.cookie, false);
        break;
      case 'recvfd': {
        const { already } = fds.receive(st.pid, st.as, st.socket.cookie);
        const s = this.inet(st.socket.cookie);
        if (s && !already) {
          this.change(s, st.pid, true, st);
          this.push({ kind: 'gain', step: st, pid: st.pid, tid: st.tid, via: 'recv', sock: s });
        }
        break;
      }
      case 'sendfd':
        fds.send(st.socket.cookie);
        break;
      case 'close': {
        const d = fds.close(st.pid, st.sock);
        if (d) this.dropped(st, d.sock, d.lost, 'close');
        break;
      }
      case 'shutdown':
        this.remember(st.socket);
        if (st.socket.type === 1 && st.socket.remote && this.m.sockets.get(st.socket.cookie)) this.shutdown(st);
        break;
      case 'netns':
        m.ignoredCookies.add(st.helper.cookie);
        break;
      case 'veth':
        m.ignoredCookies.add(st.helper.cookie);
        m.ignoredCookies.add(st.peerHelper.cookie);
        break;
      case 'send':
      case 'sendto': {
        this.remember(st.socket);
        const s = this.inet(st.socket.cookie);
        if (!s) break;
        const offset = s.type === 1 ? total(this.sent.get(s.cookie)) : undefined;
        tally(this.sent, s.cookie, st.step, st.bytes);
        if (this.live(st)) m.sends.set(st.tag, { tag: st.tag, step: st, sock: s, ...(offset !== undefined ? { offset } : {}) });
        break;
      }
      case 'recv':
      case 'recvfrom':
        this.recv(st);
        break;
      case 'capture-start':
        this.snapshot(st);
        break;
      case 'bind':
      case 'connect':
        this.remember(st.socket);
        if (st.kind === 'bind' && st.reuseportIndex !== undefined) {
          const s = m.sockets.get(st.socket.cookie);
          if (s) s.reuseport = true;
        }
        break;
      case 'pidns':
      case 'sleep':
        break;
    }
  }

  /** A close (or close-on-exec) dropped a descriptor: a lose when it was the last of the process, a release when the last anywhere. */
  private dropped(st: TruthStep, cookie: string, lost: boolean, via: 'close'): void {
    const s = this.inet(cookie);
    if (s && lost) {
      this.change(s, st.pid, false, st);
      this.push({ kind: 'lose', step: st, pid: st.pid, tid: st.tid, via, sock: s });
    }
    this.release(cookie, st);
  }

  private release(cookie: string, st: TruthStep): void {
    const s = this.m.sockets.get(cookie);
    if (!s || s.releaseStep !== undefined || !this.fds.released(cookie)) return;
    s.releaseStep = st;
    s.releaser = st.pid;
    if (!isInet(s) || this.m.ignoredCookies.has(s.cookie)) return;
    const lo = window(this.m, st).lo;
    const releasers = [...new Set([st.pid, ...s.changes.filter((c) => !c.gained && c.window.hi >= lo).map((c) => c.pid)])];
    this.push({ kind: 'close', step: st, sock: s, releasers });
    if (s.type === 1 && this.live(st)) this.closing(s, st);
  }

  private newSocket(st: TruthStep, so: TruthSocket, accepted: boolean): SockInfo {
    const s: SockInfo = {
      cookie: so.cookie,
      family: so.family,
      type: so.type,
      proto: so.proto,
      ino: so.ino,
      netns: st.netns,
      creatorPid: st.pid,
      creatorTid: st.tid,
      accepted,
      openStep: st,
      listening: false,
      reuseport: !!so.reuseport,
      holdersAtCapture: [],
      everHeld: new Set(),
      changes: [],
    };
    this.m.sockets.set(so.cookie, s);
    this.remember(so);
    if (!isInet(s)) {
      this.m.ignoredCookies.add(s.cookie);
      return s;
    }
    this.change(s, st.pid, true, st);
    this.push({ kind: 'open', step: st, sock: s });
    return s;
  }

  private remember(so: TruthSocket | undefined): void {
    const s = so && this.m.sockets.get(so.cookie);
    if (!s || !so) return;
    if (so.local && !/:0$/.test(so.local)) s.local = so.local;
    if (so.remote) s.remote = so.remote;
  }

  private thread(pid: number, tid: number): void {
    const set = this.m.threads.get(pid);
    if (set) set.add(tid);
    else this.m.threads.set(pid, new Set([tid]));
  }

  /** A receive step: its read calls (one read block each) and the tags it read. */
  private recv(st: TruthStepOf<'recv' | 'recvfrom'>): void {
    this.remember(st.socket);
    const s = this.inet(st.socket.cookie);
    if (!s) return;
    const before = total(this.read.get(s.cookie));
    tally(this.read, s.cookie, st.step, st.bytes);
    for (const tag of st.tags) {
      const list = this.receives.get(tag) ?? this.receives.set(tag, []).get(tag)!;
      list.push({ tag, step: st, sock: s });
    }
    if (st.bytes <= 0) return;
    const stream = s.type === 1;
    if (st.reads === undefined) {
      this.push({
        kind: 'read',
        step: st,
        pid: st.pid,
        tid: st.tid,
        sock: s,
        bytes: st.bytes,
        whole: true,
        ...(stream ? { offset: before } : {}),
      });
      return;
    }
    let offset = before;
    for (const n of st.reads) {
      if (n <= 0) continue;
      this.push({ kind: 'read', step: st, pid: st.pid, tid: st.tid, sock: s, bytes: n, whole: false, ...(stream ? { offset } : {}) });
      offset += n;
    }
  }

  /**
   * capture-start: every inet socket then held shows up in the snapshot, one
   * open block per holder, and every scenario process alive then has its
   * snapshot process block. The holders are the runner's own view of each
   * process's descriptor table (/proc/PID/fd) when it recorded one, checked
   * against its records.
   */
  private snapshot(st: TruthStepOf<'capture-start'>): void {
    const { m, fds } = this;
    const byRecords = new Map<string, number[]>();
    for (const pid of fds.pids()) {
      if (!m.procs.has(pid)) continue;
      for (const c of fds.sockets(pid)) {
        const s = this.inet(c);
        if (s) byRecords.set(c, [...(byRecords.get(c) ?? []), pid]);
      }
    }
    let holders = byRecords;
    if (st.fdView) {
      const byIno = new Map([...m.sockets.values()].filter((s) => this.inet(s.cookie)).map((s) => [s.ino, s.cookie]));
      const byProc = new Map<string, number[]>();
      for (const v of st.fdView) {
        for (const ino of new Set(v.inos)) {
          const c = byIno.get(ino);
          if (c) byProc.set(c, [...(byProc.get(c) ?? []), v.pid]);
        }
      }
      for (const c of new Set([...byRecords.keys(), ...byProc.keys()])) {
        const a = [...(byRecords.get(c) ?? [])].sort().join(',');
        const b = [...(byProc.get(c) ?? [])].sort().join(',');
        if (a !== b)
          m.truthProblems.push(
            `the runner's /proc/PID/fd view at capture-start (step ${st.step}) says socket ${c} is held by [${b}], its step records say [${a}]`,
          );
      }
      holders = byProc;
    }
    for (const [c, pids] of holders) {
      const s = m.sockets.get(c)!;
      s.holdersAtCapture = pids;
      for (const pid of pids) m.events.push({ kind: 'snapshot-open', step: st, sock: s, pid });
    }
    for (const pid of fds.pids()) {
      const p = m.procs.get(pid);
      if (p) m.events.push({ kind: 'snapshot-process', step: st, pid, ppid: p.parent, execed: p.execedBeforeCapture });
    }
  }

  /** Each tagged send's incoming copy: the socket it arrives on and who read it there. */
  private deliver(): void {
    const { m } = this;
    for (const [tag, send] of m.sends) {
      const readers = this.receives.get(tag) ?? [];
      const s = send.sock;
      let dest: string[] = [];
      if (s.proto === IPPROTO.ICMP || s.proto === IPPROTO.ICMPV6) {
        dest = [s.cookie]; // the echo reply comes back to the ping socket
      } else if (s.type === 3) {
        // the kernel gives a raw datagram to every raw socket of its protocol; Hone names one
        dest = [...m.sockets.values()]
          .filter((r) => r.type === 3 && r.proto === s.proto && r.family === s.family && this.alive(r, send.step))
          .map((r) => r.cookie);
      } else if (s.type === 1) {
        const p = this.peerOf(s);
        if (p) dest = [p.cookie];
      } else {
        const st = send.step;
        const to = st.kind === 'sendto' ? st.to : s.remote;
        const target = st.kind === 'sendto' && st.toCookie ? m.sockets.get(st.toCookie) : undefined;
        const bound = target
          ? [target]
          : [...m.sockets.values()].filter(
              (r) =>
                r !== s && r.type === 2 && r.family === s.family && to !== undefined && endpointMatches(r.local, to) && this.alive(r, st),
            );
        dest = bound.map((r) => r.cookie);
      }
      // whoever read it says where it arrived
      for (const r of readers) if (!dest.includes(r.sock.cookie)) dest = [...dest, r.sock.cookie];
      m.deliveries.set(tag, { tag, send, dest, readers });
    }
  }

  /** Opened at or before the step and not released before it. */
  private alive(s: SockInfo, st: TruthStep): boolean {
    return s.openStep.step <= st.step && (s.releaseStep === undefined || s.releaseStep.step >= st.step);
  }

  /** The other end of a TCP connection: the socket whose addresses are this one's, swapped. */
  private peerOf(s: SockInfo): SockInfo | undefined {
    if (s.peer) return this.m.sockets.get(s.peer);
    if (!s.local || !s.remote) return undefined;
    const found = [...this.m.sockets.values()].filter((p) => p !== s && p.type === 1 && p.local === s.remote && p.remote === s.local);
    const p = found.find((x) => x.netns === s.netns) ?? found[0];
    if (p) {
      s.peer = p.cookie;
      p.peer = s.cookie;
    }
    return p;
  }

  /** The handshake of every connect after the capture started. */
  private connections(): void {
    const { m } = this;
    for (const st of m.truth.steps) {
      if (st.kind !== 'connect' || !this.live(st) || st.socket.type !== 1) continue;
      const c = m.sockets.get(st.socket.cookie);
      if (!c || !c.local || !c.remote) continue;
      const a = this.peerOf(c);
      const l =
        (st.toCookie ? m.sockets.get(st.toCookie) : undefined) ??
        (a?.listener ? m.sockets.get(a.listener) : undefined) ??
        [...m.sockets.values()].find((x) => x.listening && x.family === c.family && endpointMatches(x.local, c.remote!));
      const server = [...(l ? [l.cookie] : []), ...(a ? [a.cookie] : [])];
      const w = window(m, st);
      const during = { lo: w.lo, hi: w.hi };
      const after = { lo: w.lo, hi: Infinity };
      const x = (what: ControlWhat, direction: 'out' | 'in', src: string, dst: string, sockets: string[], win: Window) =>
        m.control.push({
          what,
          direction,
          src,
          dst,
          sockets,
          step: st,
          window: win,
          why: `the handshake of ${who(m, st.pid, st.tid)}'s connect (step ${st.step})`,
        });
      x('SYN', 'out', c.local, c.remote, [c.cookie], during);
      x('SYN', 'in', c.local, c.remote, server, during);
      x('SYN-ACK', 'out', c.remote, c.local, server, during);
      x('SYN-ACK', 'in', c.remote, c.local, [c.cookie], during);
      x('ACK', 'out', c.local, c.remote, [c.cookie], after);
      x('ACK', 'in', c.local, c.remote, server, after);
    }
  }

  /** shutdown(SHUT_WR or RDWR) of a connected TCP socket: its FIN leaves now. */
  private shutdown(st: TruthStepOf<'shutdown'>): void {
    const step = this.m.truth.steps.find((x) => x === st);
    if (!step || st.how === 'rd') return;
    const s = this.m.sockets.get(st.socket.cookie)!;
    if (this.finSent.has(s.cookie) || this.reset.has(s.cookie)) return;
    this.finSent.add(s.cookie);
    if (this.live(st)) this.fin(s, st, 'FIN', `${who(this.m, st.pid, st.tid)}'s shutdown (step ${st.step})`);
  }

  /**
   * The last reference to a connected TCP socket went away: a FIN, or a RST
   * when the peer had sent it bytes it never read (tcp_close with unread
   * data, RFC 2525); after a RST from the peer, nothing.
   */
  private closing(s: SockInfo, st: TruthStep): void {
    const p = this.peerOf(s);
    if (!p || this.reset.has(s.cookie)) return;
    const unread = before(this.sent.get(p.cookie), st.step) - before(this.read.get(s.cookie), st.step);
    if (unread > 0) {
      this.reset.add(p.cookie);
      this.fin(s, st, 'RST', `the release of the socket with ${unread} bytes the peer sent unread (step ${st.step})`);
      return;
    }
    if (this.finSent.has(s.cookie)) return;
    this.finSent.add(s.cookie);
    this.fin(s, st, 'FIN', `the release of the socket (step ${st.step})`);
  }

  private fin(s: SockInfo, st: TruthStep, what: 'FIN' | 'RST', why: string): void {
    const p = this.peerOf(s);
    if (!s.local || !s.remote) return;
    const w = { lo: window(this.m, st).lo, hi: Infinity };
    this.m.control.push({ what, direction: 'out', src: s.local, dst: s.remote, sockets: [s.cookie], step: st, window: w, why });
    if (p) this.m.control.push({ what, direction: 'in', src: s.local, dst: s.remote, sockets: [p.cookie], step: st, window: w, why });
  }
}

function tally(map: Map<string, Array<{ step: number; bytes: number }>>, cookie: string, step: number, bytes: number): void {
  const list = map.get(cookie) ?? map.set(cookie, []).get(cookie)!;
  list.push({ step, bytes });
}

function total(list: Array<{ bytes: number }> | undefined): number {
  return (list ?? []).reduce((a, x) => a + x.bytes, 0);
}

function before(list: Array<{ step: number; bytes: number }> | undefined, step: number): number {
  return (list ?? []).filter((x) => x.step < step).reduce((a, x) => a + x.bytes, 0);
}
