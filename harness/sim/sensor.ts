// The sensor as kmod/FORMAT.md (Hone 26.11) says it must write: from a
// truth.json, the events a reader of /dev/hone would get, in ring order.
// Outgoing data is attributed to the threads that wrote its bytes
// (by=sender: the first byte's thread, its start time, and sender runs when
// a segment holds several threads' bytes, e.g. MSG_MORE bytes released by
// another process's write); incoming data names no process (by=reader) and
// every read writes a read block (TCP: the sequence numbers it consumed;
// datagrams: the packet id); packets without data carry the socket's
// holders (by=holder), kept up to date by gain and lose blocks; the
// kernel's own ICMP copies no process (by=none). Everything that is not
// attribution (which packets exist, their sizes, the order of blocks, when
// sockets are reported closed) follows what the real sensor writes on
// Debian 6.1 and 7.2 guests (see README.md, "Fidelity").
import { AF, IPPROTO, ISB_OPT, SOCK_TYPE, type Attribution } from '../capture/constants.ts';
import type { Truth, TruthSocket, TruthStep } from '../check/types.ts';
import type { PacketEvent, PacketRole, ProcessEvent, SenderRun, SimCapture, SimEvent, SocketEvent, UseEvent, Who } from './events.ts';
import { makeRng } from './rng.ts';
import { RUNNER_EXE, loopbackIfAny } from './runner-model.ts';
import { encode, parseEndpoint, TCP_FLAG, type Endpoint, type Wire } from './wire.ts';

interface Proc {
  pid: number;
  ppid: number;
  startNs: bigint;
  exe?: string;
  argv?: string[];
  alive: boolean;
  /** Ran exec (the snapshot lists it as EXEC, else as FORK). */
  execed: boolean;
  fds: Map<string, string>;
  /** Handles whose descriptor has FD_CLOEXEC (the truth's socket objects say cloexec): an exec closes them. */
  cloexec?: Set<string>;
}

interface Sock {
  cookie: string;
  family: number;
  type: number;
  proto: number;
  ino: number;
  netns: number;
  creator: Who;
  lastUser: Who;
  local?: Endpoint;
  remote?: Endpoint;
  listening: boolean;
  /** Bound (explicitly or on first send): its close is reported after an RCU grace period, by the kernel. */
  hashed: boolean;
  peer?: string;
  /** Client sockets waiting in this listener's accept queue. */
  pending: string[];
  finSent: boolean;
  released: boolean;
  seq: number;
  /** Server-side sequence number chosen at SYN-ACK, before accept() makes the socket. */
  childSeq?: number;
  inflight: number;
  helper: boolean;
  /** tgids holding it (FORMAT.md: the creator, then gains; a lose swaps the last one into the gap). */
  holders: number[];
  /** Stream: sequence number of the peer's first data byte (its ISN + 1). */
  rcvBase: number;
  /** Client side: its own ISN + 1, for the accepted socket's rcvBase. */
  sndBase: number;
  /** Stream bytes delivered to it, and read from it. */
  received: number;
  consumed: number;
  /** Bytes of sends with MSG_MORE still held in the queue. */
  held: Part[];
  /** Reset (RST received): its close sends nothing. */
  reset: boolean;
  /** Its FIN left but has not reached the peer yet (ExitOrder `fin-late`). */
  finArriving?: boolean;
}

/** The bytes of one send in a segment. */
interface Part {
  tag: string;
  bytes: number;
  who: Who;
  startNs: bigint;
}

const SYSTEM_NETNS = 4026531840;

/**
 * Where an exit's effects land relative to the next step. The runner passes the turn on before it
 * calls _exit(), so an exit races the next step; in the kernel an exit is two parts, in this order:
 * the sched_process_exit tracepoint (kmod writes the EXIT block and, from hone_holders_scan, a lose
 * block for every socket the process held) and then exit_files (the last descriptors close: FINs,
 * close blocks). Each part races the next step.
 * - `after` (default, what most real runs show): both parts after the next step's effects;
 * - `blocks-first`: the EXIT and lose blocks in step order (before the next step's), the descriptors'
 *   release after the next step's (debian-7.2 fork-child-sends, first recording of 2026-11-27);
 * - `before`: both parts in step order;
 * - `fin-late`: both parts in step order, but a FIN the release sends reaches its peer (and what its
 *   arrival causes) only after the next step's effects. When the next step closes the peer, the two
 *   FINs cross: a simultaneous close (the peer's FIN does not ACK the exit's; each side then ACKs the
 *   other's FIN, both sockets go to TIME_WAIT, closed by the kernel). debian-7.2 fork-child-sends,
 *   re-recorded 2026-11-27 (b5a04ee): the child's FIN reached the server's LOCAL_IN after the
 *   server's own FIN (packet ids, and the server FIN's ack number).
 */
export type ExitOrder = 'after' | 'blocks-first' | 'before' | 'fin-late';
export const EXIT_ORDERS: readonly ExitOrder[] = ['after', 'blocks-first', 'before', 'fin-late'];

export interface SensorOptions {
  /** The resolution of the exit race (ExitOrder); default `after`. */
  exitOrder?: ExitOrder;
}

export function simulateSensor(truth: Truth, seed = 1, o: SensorOptions = {}): SimCapture {
  return new SensorModel(truth, seed, o.exitOrder ?? 'after').run();
}

class SensorModel {
  private readonly truth: Truth;
  private readonly procs = new Map<number, Proc>();
  private readonly socks = new Map<string, Sock>();
  private readonly tids = new Map<number, number>();
  private readonly readerOf = new Map<string, TruthStep[]>();
  private readonly out: SimEvent[] = [];
  private readonly deferred: string[] = [];
  private readonly rng;
  private clock = 0n;
  /** The kernel's ICMP socket (echo replies) per network namespace and family. */
  private readonly kernelIcmp = new Map<string, string>();
  private nextKernelCookie: number;
  private nextPacketId: bigint;
  /** Packet id of each datagram that reached a socket: "cookie tag" -> id. */
  private readonly datagramIds = new Map<string, bigint>();
  private live = false;
  private step = -1;
  /** `fin-late`: an exit's release is running, its FINs arrive late. */
  private finLate = false;
  /** `fin-late`: arrivals of exits' FINs waiting for the next step's effects. */
  private lateArrivals: Array<() => void> = [];

  private readonly exitOrder: ExitOrder;

  constructor(truth: Truth, seed: number, exitOrder: ExitOrder) {
    this.truth = truth;
    this.exitOrder = exitOrder;
    this.rng = makeRng(seed).fork(`sensor:${truth.scenario}:${truth.runId}`);
    for (const st of truth.steps) {
      for (const t of st.tags ?? []) this.readerOf.set(t, [...(this.readerOf.get(t) ?? []), st]);
    }
    const cookies = truth.steps.flatMap((s) => [s.socket?.cookie, s.peerSocket?.cookie, s.helper?.cookie]).filter((c): c is string => !!c);
    this.nextKernelCookie = Math.max(0x10, ...cookies.map((c) => Number.parseInt(c, 16))) + 1;
    this.nextPacketId = BigInt(this.rng.int(1_000, 900_000));
  }

  run(): SimCapture {
    const t = this.truth;
    const first = t.steps[0];
    const startStep = t.captureStartStep < 0 ? first : t.steps.find((s) => s.step === t.captureStartStep) ?? first;
    const openNs = BigInt(startStep?.monoNs ?? 5_000_000_000) - 1_500_000n;
    const runnerParent = t.steps.find((s) => s.pid === t.runnerPid)?.ppid ?? 1;
    this.procs.set(1, { pid: 1, ppid: 0, startNs: 180_000_000n, exe: '/bin/busybox', argv: ['/bin/busybox', 'sh', '/init'], alive: true, execed: true, fds: new Map() });
    this.procs.set(t.runnerPid, {
      pid: t.runnerPid, ppid: runnerParent, startNs: openNs - 20_000_000n, exe: t.runnerExe || RUNNER_EXE,
      argv: ['hone-runner', 'run', `/tmp/hone/${t.scenario}/script`, `/tmp/hone/${t.scenario}`], alive: true, execed: true, fds: new Map(),
    });
    this.tids.set(t.runnerPid, t.runnerPid);
    if (t.captureStartStep < 0) this.openSection(openNs);
    // The runner passes the turn on before _exit(): an exit's effects (its EXIT and lose blocks, the
    // FINs of the sockets it held) usually land after the next step's (ExitOrder).
    let exiting: TruthStep[] = [];
    const late = (e: TruthStep) => (this.exitOrder === 'blocks-first' ? this.releaseAt(e) : this.performAt(e));
    // fin-late: the FINs of an exit's release arrive after the next step's effects
    const arrive = () => {
      const due = this.lateArrivals;
      this.lateArrivals = [];
      for (const f of due) f();
    };
    for (const st of t.steps) {
      this.step = st.step;
      this.clock = maxBig(this.clock, BigInt(st.monoNs));
      if (st.kind === 'capture-start') {
        // an exit before the capture started belongs to the time before the snapshot
        for (const e of exiting) late(e);
        exiting = [];
        arrive();
        this.openSection(BigInt(st.monoNs));
        continue;
      }
      if (this.exitOrder === 'fin-late') {
        const due = this.lateArrivals;
        this.lateArrivals = [];
        this.perform(st);
        for (const f of due) f();
        continue;
      }
      if (st.kind === 'exit' && this.exitOrder !== 'before') {
        // blocks-first: the tracepoint's blocks now, the descriptors' release after the next step
        if (this.exitOrder === 'blocks-first') this.exitBlocks(st);
        exiting.push(st);
        continue;
      }
      this.perform(st);
      for (const e of exiting) late(e);
      exiting = [];
    }
    for (const e of exiting) late(e);
    arrive();
    // sockets whose close waits for an RCU grace period (listeners, UDP, raw, ping) are reported last
    this.clock += 5_000_000n;
    for (const c of this.deferred) this.closeEvent(this.socks.get(c)!, { pid: 0, tid: 0 });
    this.out.push(this.stats());
    return { openNs, bootUs: BigInt(t.realMinusMonoUs), os: `Linux guest ${t.kernel} #1 SMP x86_64`, events: this.out };
  }

  // --- the section head: snapshot of live processes and their sockets ---

  private openSection(at: bigint): void {
    this.live = true;
    this.clock = at;
    const system: ProcessEvent[] = [
      this.proc('exec', this.procs.get(1)!, 1, { snapshot: true, time: 180_000_000n, scenario: false }),
      { ...this.proc('kthread', { pid: 2, ppid: 0, startNs: 188_000_000n, alive: true, execed: false, fds: new Map(), exe: '[kthreadd]' }, 2, { snapshot: true, time: 188_000_000n, scenario: false }) },
    ];
    this.out.push(...system);
    const scenarioPids = new Set(this.truth.steps.map((s) => s.childPid).filter((p): p is number => p !== undefined));
    for (const p of [...this.procs.values()].filter((x) => x.alive && x.pid > 2).sort((a, b) => Number(a.startNs - b.startNs) || a.pid - b.pid)) {
      this.out.push(this.proc(p.execed ? 'exec' : 'fork', p, p.pid, { snapshot: true, time: p.startNs, scenario: scenarioPids.has(p.pid) }));
      for (const cookie of new Set(p.fds.values())) {
        const s = this.socks.get(cookie);
        if (!s || !inet(s)) continue;
        this.out.push(this.sockEvent('open', s, { pid: p.pid, tid: p.pid }, { snapshot: true, time: p.startNs }));
      }
    }
    // the runner's two capture readers, forked just before the first read
    for (const pid of [this.truth.runnerPid + 1, this.truth.runnerPid + 2]) {
      if (scenarioPids.has(pid) || this.tids.has(pid)) continue;
      const r: Proc = { pid, ppid: this.truth.runnerPid, startNs: at - 1_000_000n, alive: true, execed: false, fds: new Map(), exe: RUNNER_EXE, argv: this.procs.get(this.truth.runnerPid)!.argv! };
      this.out.push(this.proc('fork', r, pid, { snapshot: true, time: r.startNs, scenario: false }));
    }
  }

  // --- one step of the truth ---

  private performAt(st: TruthStep): void {
    const step = this.step;
    this.step = st.step;
    this.perform(st);
    this.step = step;
  }

  /** An exit's release part (blocks-first): its descriptors close, after the next step. */
  private releaseAt(st: TruthStep): void {
    const step = this.step;
    this.step = st.step;
    this.exitRelease(st);
    this.step = step;
  }

  /**
   * The first part of an exit (sched_process_exit): the EXIT block, then a lose block for every
   * socket the process holds (kmod: hone_holders_scan at the exit event). Its lose blocks name the
   * exit step's thread; the real sensor names whichever thread of the process exits last.
   */
  private exitBlocks(st: TruthStep): void {
    const proc = this.procs.get(st.pid);
    if (!proc) return;
    proc.alive = false;
    if (this.live) this.emit(this.proc('exit', proc, st.pid, { scenario: true, status: (st.code ?? 0) << 8 }));
    for (const c of new Set(proc.fds.values())) {
      const s = this.socks.get(c);
      if (s && inet(s)) this.lose(s, { pid: st.pid, tid: st.tid }, 'exit');
    }
  }

  /** The second part of an exit (exit_files): its descriptors close, the last ones release their sockets. */
  private exitRelease(st: TruthStep): void {
    const proc = this.procs.get(st.pid);
    if (!proc) return;
    const held = [...new Set(proc.fds.values())];
    proc.fds.clear();
    this.finLate = this.exitOrder === 'fin-late';
    for (const c of held) this.maybeRelease(c, { pid: st.pid, tid: st.tid });
    this.finLate = false;
  }

  private perform(st: TruthStep): void {
    const who: Who = { pid: st.pid, tid: st.tid };
    const proc = this.procs.get(st.pid);
    const use = (cookie: string | undefined) => {
      const s = cookie ? this.socks.get(cookie) : undefined;
      if (s) s.lastUser = who;
      return s;
    };
    switch (st.kind) {
      case 'fork': {
        if (st.childPid === undefined) break;
        // the child runs its parent's image (an exe and argv the snapshot would show) until it execs
        const child: Proc = { pid: st.childPid, ppid: st.pid, startNs: BigInt(st.monoNs) + 40_000n, alive: true, fds: new Map(proc?.fds ?? []), cloexec: new Set(proc?.cloexec ?? []), execed: false };
        if (proc?.exe) {
          child.exe = proc.exe;
          child.argv = proc.argv;
        }
        this.procs.set(child.pid, child);
        this.tids.set(child.pid, child.pid);
        if (this.live) this.emit(this.proc('fork', child, child.pid, { scenario: true }));
        // the child holds every socket of its descriptor table
        for (const c of new Set(child.fds.values())) {
          const s = this.socks.get(c);
          if (s && inet(s) && !s.released) this.gain(s, { pid: child.pid, tid: child.pid }, 'fork');
        }
        break;
      }
      case 'thread':
        if (st.threadTid !== undefined) this.tids.set(st.threadTid, st.pid);
        break;
      case 'exec':
        if (proc) {
          // close-on-exec (begin_new_exec: do_close_on_exec, before the exec event): a lose via close
          // when it was the process's last descriptor of the socket, its close when the last anywhere
          for (const h of [...(proc.cloexec ?? [])]) {
            const c = proc.fds.get(h);
            proc.fds.delete(h);
            const s = c ? this.socks.get(c) : undefined;
            if (c && s && inet(s) && ![...proc.fds.values()].includes(c)) this.lose(s, who, 'close');
            if (c) this.maybeRelease(c, who);
          }
          proc.cloexec?.clear();
          proc.exe = st.exe;
          proc.argv = st.argv;
          proc.execed = true;
          if (this.live) this.emit(this.proc('exec', proc, st.pid, { scenario: true }));
        }
        break;
      case 'exit':
        // the sensor drops every socket of an exiting process right after its EXIT block
        // (kmod: hone_holders_scan at the exit event); the descriptors close after that
        this.exitBlocks(st);
        this.exitRelease(st);
        break;
      case 'socket':
      case 'socketpair':
        for (const [h, so] of [[st.sock, st.socket], [st.peer, st.peerSocket]] as const) {
          if (!h || !so) continue;
          const s = this.newSock(so, st, who);
          proc?.fds.set(h, s.cookie);
          cloexecMark(proc, h, so);
          if (so.family === AF.INET || so.family === AF.INET6) {
            if (so.type === SOCK_TYPE.RAW) s.hashed = true;
            if (this.live) this.emit(this.sockEvent('open', s, who));
          }
        }
        break;
      case 'bind': {
        const s = use(st.socket?.cookie);
        if (s && st.socket?.local) {
          s.local = parseEndpoint(st.socket.local);
          s.hashed = true;
        }
        break;
      }
      case 'listen': {
        const s = use(st.socket?.cookie);
        if (s) s.listening = true;
        break;
      }
      case 'connect':
        this.connect(st, who);
        break;
      case 'accept':
        this.accept(st, who);
        break;
      case 'send':
      case 'sendto':
        this.send(st, who);
        break;
      case 'recv':
      case 'recvfrom':
        this.read(st, use(st.socket?.cookie), who);
        break;
      case 'shutdown':
        use(st.socket?.cookie);
        break;
      case 'close':
        if (proc && st.sock) {
          const c = proc.fds.get(st.sock);
          proc.fds.delete(st.sock);
          proc.cloexec?.delete(st.sock);
          const s = use(c);
          // the process loses the socket with its last descriptor of it (dup keeps it)
          if (c && s && inet(s) && ![...proc.fds.values()].includes(c)) this.lose(s, who, 'close');
          if (c) this.maybeRelease(c, who);
        }
        break;
      case 'dup':
      case 'recvfd':
        if (proc && st.as && st.socket) {
          proc.fds.set(st.as, st.socket.cookie);
          cloexecMark(proc, st.as, st.socket);
          const s = use(st.socket.cookie);
          if (s && st.kind === 'recvfd') {
            s.inflight--;
            if (inet(s)) this.gain(s, who, 'recv');
          }
        }
        break;
      case 'sendfd': {
        const s = use(st.socket?.cookie);
        if (s) s.inflight++;
        break;
      }
      case 'netns':
        if (st.helper) {
          const s = this.newSock(st.helper, st, who);
          s.helper = true;
          s.netns = st.netnsAfter ?? s.netns;
          if (this.live) this.emit(this.sockEvent('open', s, who));
          this.lose(s, who, 'close');
          if (this.live) this.closeEvent(s, who);
          s.released = true;
        }
        break;
      default:
        break;
    }
  }

  // --- holders and reads ---

  private gain(s: Sock, who: Who, via: 'fork' | 'recv'): void {
    if (s.holders.includes(who.pid)) return;
    s.holders.push(who.pid);
    this.use('gain', s, who, { via });
  }

  private lose(s: Sock, who: Who, via: 'close' | 'exit'): void {
    const i = s.holders.indexOf(who.pid);
    if (i < 0) return;
    s.holders[i] = s.holders[s.holders.length - 1]!;
    s.holders.pop();
    this.use('lose', s, who, { via });
  }

  /** A receive step: the read block of what it consumed. */
  private read(st: TruthStep, s: Sock | undefined, who: Who): void {
    if (!s || !inet(s) || st.bytes === undefined || st.bytes === 0) return;
    if (s.type === SOCK_TYPE.STREAM) {
      const first = (s.rcvBase + s.consumed) >>> 0;
      s.consumed += st.bytes;
      this.use('read', s, who, { seq: { first, end: (first + st.bytes) >>> 0 }, bytes: st.bytes, tags: st.tags ?? [] });
      return;
    }
    const id = st.tags?.[0] !== undefined ? this.datagramIds.get(`${s.cookie} ${st.tags[0]}`) : undefined;
    this.use('read', s, who, { ...(id !== undefined ? { readPacketId: id } : {}), bytes: st.bytes, tags: st.tags ?? [] });
  }

  private use(what: UseEvent['what'], s: Sock, who: Who, o: { via?: UseEvent['via']; seq?: UseEvent['seq']; readPacketId?: bigint; bytes?: number; tags?: string[] }): void {
    if (!this.live) return;
    const e: UseEvent = {
      kind: 'use', what, timeNs: this.tick(), socketId: s.cookie, pid: who.pid, tid: who.tid, startNs: this.startOf(who.pid),
      meta: { step: this.step, scenario: !s.helper },
    };
    if (o.via !== undefined) e.via = o.via;
    if (o.seq !== undefined) e.seq = o.seq;
    if (o.readPacketId !== undefined) e.readPacketId = o.readPacketId;
    if (o.bytes !== undefined) e.bytes = o.bytes;
    if (o.tags !== undefined) e.meta.tags = o.tags;
    this.out.push(e);
  }

  private startOf(pid: number): bigint {
    return this.procs.get(pid)?.startNs ?? 0n;
  }

  private newSock(so: NonNullable<TruthStep['socket']>, st: TruthStep, who: Who): Sock {
    const s: Sock = {
      cookie: so.cookie, family: so.family, type: so.type, proto: so.proto, ino: so.ino, netns: st.netns, creator: who, lastUser: who,
      listening: false, hashed: false, pending: [], finSent: false, released: false, seq: this.rng.int(1, 0x7fffffff), inflight: 0, helper: false,
      holders: inet(so) ? [who.pid] : [], rcvBase: 0, sndBase: 0, received: 0, consumed: 0, held: [], reset: false,
    };
    if (so.local) s.local = parseEndpoint(so.local);
    this.socks.set(s.cookie, s);
    return s;
  }

  // --- TCP ---

  private connect(st: TruthStep, who: Who): void {
    const c = this.socks.get(st.socket?.cookie ?? '');
    if (!c) return;
    c.lastUser = who;
    if (st.socket?.local) c.local = parseEndpoint(st.socket.local);
    if (st.socket?.remote) c.remote = parseEndpoint(st.socket.remote);
    c.hashed = true;
    if (c.type !== SOCK_TYPE.STREAM || !c.local || !c.remote) return;
    const l = [...this.socks.values()].find((s) => s.listening && !s.released && s.netns === c.netns && s.family === c.family && s.local?.port === c.remote!.port);
    if (!l) return;
    l.pending.push(c.cookie);
    const lseq = this.rng.int(1, 0x7fffffff);
    c.childSeq = lseq;
    const [a, b] = [c.local, c.remote];
    this.tcpPair(c, l, { src: a, dst: b, flags: TCP_FLAG.SYN, seq: c.seq, ack: 0 });
    c.seq++;
    c.sndBase = c.seq;
    c.rcvBase = (lseq + 1) >>> 0;
    this.tcpPair(l, c, { src: b, dst: a, flags: TCP_FLAG.SYN | TCP_FLAG.ACK, seq: lseq, ack: c.seq });
    this.tcpPair(c, l, { src: a, dst: b, flags: TCP_FLAG.ACK, seq: c.seq, ack: lseq + 1 });
  }

  private accept(st: TruthStep, who: Who): void {
    const l = this.socks.get(st.listener?.cookie ?? '');
    if (l) l.lastUser = who;
    const so = st.socket;
    if (!so || !st.as) return;
    const s = this.newSock(so, st, who);
    s.local = so.local ? parseEndpoint(so.local) : undefined;
    s.remote = so.remote ? parseEndpoint(so.remote) : undefined;
    s.hashed = true;
    const clientCookie = l?.pending.find((c) => {
      const cs = this.socks.get(c)!;
      return !!cs.local && !!s.remote && cs.local.port === s.remote.port;
    }) ?? l?.pending[0];
    if (l && clientCookie) {
      l.pending.splice(l.pending.indexOf(clientCookie), 1);
      const c = this.socks.get(clientCookie)!;
      c.peer = s.cookie;
      s.peer = c.cookie;
      s.seq = (c.childSeq ?? s.seq) + 1;
      s.sndBase = s.seq;
      s.rcvBase = c.sndBase;
    }
    this.procs.get(st.pid)?.fds.set(st.as, s.cookie);
    cloexecMark(this.procs.get(st.pid), st.as, st.socket);
    if (this.live) this.emit(this.sockEvent('open', s, who, { accepted: true }));
  }

  /** One segment from `from` to `to`: its outgoing then its incoming appearance (without data: by holder). */
  private tcpPair(from: Sock, to: Sock | undefined, seg: Omit<Extract<Wire, { kind: 'tcp' }>, 'kind' | 'payload'> & { payload?: Buffer }, data?: Data): void {
    const bytes = encode({ kind: 'tcp', payload: Buffer.alloc(0), ...seg });
    this.packet('out', bytes, from, data ? 'sender' : 'control', data ? this.senderAttr(data) : this.holder(from), data);
    if (to) this.packet('in', bytes, to, data ? 'reader' : 'control', data ? READER : this.holder(to), data);
  }

  private send(st: TruthStep, who: Who): void {
    const s = this.socks.get(st.socket?.cookie ?? '');
    if (!s || !st.tag) return;
    s.lastUser = who;
    if (st.socket?.local) {
      const loc = parseEndpoint(st.socket.local);
      if (loc.port) {
        s.local = loc;
        s.hashed = true;
      }
    }
    const part: Part = { tag: st.tag, bytes: st.bytes ?? 64, who, startNs: this.startOf(who.pid) };
    if (s.type === SOCK_TYPE.STREAM) {
      // MSG_MORE: the bytes wait in the queue; the next send without it takes them along, in one segment
      if (st.more) {
        s.held.push(part);
        return;
      }
      const parts = [...s.held, part];
      s.held = [];
      this.segment(s, parts, who);
      return;
    }
    const payload = payloadOf([part]);
    const data = this.dataOf([part], who);
    const to = parseEndpoint(st.to ?? (s.remote ? `${s.remote.addr}:${s.remote.port}` : '127.0.0.1:0'));
    const v6 = s.family === AF.INET6;
    const srcAddr = loopbackFor(to.addr, s.local?.addr);
    if (s.proto === IPPROTO.ICMP || s.proto === IPPROTO.ICMPV6) {
      const id = s.local?.port ?? 1;
      const seq = this.rng.int(1, 100);
      const src = { addr: srcAddr, port: 0 };
      const req = encode({ kind: 'icmp', src, dst: to, v6, reply: false, id, seq, payload });
      const rep = encode({ kind: 'icmp', src: to, dst: src, v6, reply: true, id, seq, payload });
      this.packet('out', req, s, 'sender', this.senderAttr(data), data);
      this.packet('in', req, undefined, 'kernel', NONE, data, s.netns);
      this.packet('out', rep, this.kernelSocket(s.netns, v6), 'kernel', NONE, data, s.netns);
      this.packet('in', rep, s, 'reader', READER, data);
      return;
    }
    if (s.type === SOCK_TYPE.RAW) {
      const bytes = encode({ kind: 'raw', src: { addr: srcAddr, port: 0 }, dst: to, protocol: s.proto, payload });
      this.packet('out', bytes, s, 'sender', this.senderAttr(data), data);
      // one incoming appearance (FORMAT.md: the kernel gives it to every matching raw socket, Hone
      // names one): the socket that reads it, else the oldest matching one
      const matching = [...this.socks.values()].filter((r) => r.type === SOCK_TYPE.RAW && r.proto === s.proto && r.netns === s.netns && !r.released && r.family === s.family);
      const readBy = (this.readerOf.get(st.tag) ?? []).map((x) => x.socket?.cookie);
      const r = matching.find((x) => readBy.includes(x.cookie)) ?? matching[0];
      if (r) this.packet('in', bytes, r, 'reader', READER, data);
      return;
    }
    const src = { addr: srcAddr, port: s.local?.port ?? 0 };
    const bytes = encode({ kind: 'udp', src, dst: to, payload });
    this.packet('out', bytes, s, 'sender', this.senderAttr(data), data);
    const readers = this.readerOf.get(st.tag) ?? [];
    const dst = this.socks.get(readers[0]?.socket?.cookie ?? '') ??
      [...this.socks.values()].find((r) => r.type === SOCK_TYPE.DGRAM && !r.released && r.netns === s.netns && r.family === s.family && r.local?.port === to.port && r !== s);
    if (dst) this.packet('in', bytes, dst, 'reader', READER, data);
  }

  /** One TCP data segment holding the bytes of `parts`, made to leave by `releaser`, and its ACK. */
  private segment(s: Sock, parts: Part[], releaser: Who): void {
    const p = this.socks.get(s.peer ?? '');
    if (!s.local || !s.remote) return;
    const payload = payloadOf(parts);
    this.tcpPair(s, p, { src: s.local, dst: s.remote, flags: TCP_FLAG.PSH | TCP_FLAG.ACK, seq: s.seq, ack: p?.seq ?? 0, payload }, this.dataOf(parts, releaser));
    s.seq += payload.length;
    if (p) {
      p.received += payload.length;
      this.tcpPair(p, s, { src: s.remote, dst: s.local, flags: TCP_FLAG.ACK, seq: p.seq, ack: s.seq });
    }
  }

  /** The last reference to a socket went away (close or exit of its last holder). */
  private maybeRelease(cookie: string, closer: Who): void {
    const s = this.socks.get(cookie);
    if (!s || s.released || s.inflight > 0) return;
    for (const p of this.procs.values()) if ([...p.fds.values()].includes(cookie)) return;
    s.released = true;
    if (!inet(s)) return;
    if (s.type === SOCK_TYPE.STREAM && s.peer && s.local && s.remote) {
      const p = this.socks.get(s.peer)!;
      // tcp_close pushes what MSG_MORE held back before its FIN
      if (s.held.length > 0 && !s.reset) this.segment(s, s.held.splice(0), closer);
      if (s.reset) {
        // the peer reset it: nothing left to send, the socket is gone at once
        this.closeEvent(s, closer);
        return;
      }
      if (s.received > s.consumed) {
        // closed with data it never read: the kernel resets the connection instead of a FIN (RFC 2525)
        this.tcpPair(s, p, { src: s.local, dst: s.remote, flags: TCP_FLAG.RST | TCP_FLAG.ACK, seq: s.seq, ack: p.seq });
        this.closeEvent(s, closer);
        p.reset = true;
        if (p.released) this.closeEvent(p, { pid: 0, tid: 0 });
        return;
      }
      if (p.finArriving) {
        // the peer's FIN is still on its way (fin-late): the FINs cross, this one ACKs none; the
        // late arrival finishes the simultaneous close (finArrives)
        this.tcpPair(s, p, { src: s.local, dst: s.remote, flags: TCP_FLAG.FIN | TCP_FLAG.ACK, seq: s.seq, ack: p.seq - 1 });
        s.seq++;
        s.finSent = true;
        return;
      }
      const fin = encode({ kind: 'tcp', src: s.local, dst: s.remote, flags: TCP_FLAG.FIN | TCP_FLAG.ACK, seq: s.seq, ack: p.seq, payload: Buffer.alloc(0) });
      this.packet('out', fin, s, 'control', this.holder(s));
      s.seq++;
      const second = p.finSent;
      s.finSent = true;
      if (!this.finLate) {
        this.finArrives(s, p, fin, second, closer);
        return;
      }
      // fin-late: an exit's FIN reaches the peer after the next step's effects
      s.finArriving = true;
      const step = this.step;
      this.lateArrivals.push(() => {
        const now = this.step;
        this.step = step;
        s.finArriving = false;
        this.finArrives(s, p, fin, second, closer);
        this.step = now;
      });
      return;
    }
    if (s.type === SOCK_TYPE.STREAM || s.hashed) {
      this.deferred.push(s.cookie);
      return;
    }
    this.closeEvent(s, closer);
  }

  /**
   * The FIN `fin` of `s` reaches its peer `p`, and what that causes. First closer (`second` false):
   * the peer's ACK waits (delayed ACK) for its own FIN, unless the peer's FIN crossed this one
   * (fin-late): then each side ACKs the other's FIN and both go to TIME_WAIT (closed by the kernel).
   * Second closer: the first closer ACKs and goes to TIME_WAIT (closed by the kernel), then this one
   * is gone.
   */
  private finArrives(s: Sock, p: Sock, fin: Buffer, second: boolean, closer: Who): void {
    this.packet('in', fin, p, 'control', this.holder(p));
    if (!s.local || !s.remote) return;
    if (!second && p.finSent) {
      this.tcpPair(p, s, { src: s.remote, dst: s.local, flags: TCP_FLAG.ACK, seq: p.seq, ack: s.seq });
      this.tcpPair(s, p, { src: s.local, dst: s.remote, flags: TCP_FLAG.ACK, seq: s.seq, ack: p.seq });
      this.closeEvent(p, { pid: 0, tid: 0 });
      this.closeEvent(s, { pid: 0, tid: 0 });
      return;
    }
    if (!second) return;
    const ack = encode({ kind: 'tcp', src: s.remote, dst: s.local, flags: TCP_FLAG.ACK, seq: p.seq, ack: s.seq, payload: Buffer.alloc(0) });
    this.packet('out', ack, p, 'control', this.holder(p));
    this.closeEvent(p, { pid: 0, tid: 0 });
    this.packet('in', ack, s, 'control', this.holder(s));
    this.closeEvent(s, closer);
  }

  private kernelSocket(netns: number, v6: boolean): Sock {
    const key = `${netns} ${v6}`;
    let c = this.kernelIcmp.get(key);
    if (!c) {
      c = (this.nextKernelCookie++).toString(16).padStart(16, '0');
      this.kernelIcmp.set(key, c);
      this.socks.set(c, {
        cookie: c, family: v6 ? AF.INET6 : AF.INET, type: SOCK_TYPE.RAW, proto: v6 ? IPPROTO.ICMPV6 : IPPROTO.ICMP, ino: 0, netns, creator: { pid: 0, tid: 0 },
        lastUser: { pid: 0, tid: 0 }, listening: false, hashed: false, pending: [], finSent: false, released: true, seq: 0, inflight: 0, helper: false,
        holders: [], rcvBase: 0, sndBase: 0, received: 0, consumed: 0, held: [], reset: false,
      });
    }
    return this.socks.get(c)!;
  }

  // --- attribution ---

  /** What a data packet carries: its tags, the byte runs of its writers, who made it leave, who read it. */
  private dataOf(parts: Part[], releaser: Who): Data {
    const runs: Data['runs'] = [];
    let offset = 0;
    for (const x of parts) {
      const last = runs[runs.length - 1];
      if (!last || last.pid !== x.who.pid || last.tid !== x.who.tid) runs.push({ offset, pid: x.who.pid, tid: x.who.tid, startNs: x.startNs });
      offset += x.bytes;
    }
    const readers = parts.flatMap((x) => this.readerOf.get(x.tag) ?? []);
    return { tags: parts.map((x) => x.tag), runs, releaser: { ...releaser, startNs: this.startOf(releaser.pid) }, readSteps: readers };
  }

  /** Outgoing data: the thread of the first byte, and the runs when several threads wrote it. */
  private senderAttr(d: Data): Attr {
    const first = d.runs[0]!;
    const a: Attr = { pid: first.pid, tid: first.tid, startNs: first.startNs, attribution: 'sender' };
    if (d.runs.length > 1) a.senders = d.runs.map(({ offset, pid, tid }) => ({ offset, pid, tid }));
    return a;
  }

  /** Packets the kernel sends or receives for a socket: its holders, no process. */
  private holder(s: Sock): Attr {
    if (s.creator.pid === 0) return NONE;
    return s.holders.length > 0 ? { attribution: 'holder', holders: [...s.holders] } : { attribution: 'holder' };
  }

  // --- events ---

  private emit(e: SimEvent): void {
    this.out.push(e);
  }

  private tick(): bigint {
    this.clock += BigInt(this.rng.int(3_000, 60_000));
    return this.clock;
  }

  private packet(direction: 'in' | 'out', bytes: Buffer, s: Sock | undefined, role: PacketRole, a: Attr, data?: Data, netns?: number): void {
    const packetId = this.nextPacketId++;
    if (data && s && direction === 'in') for (const t of data.tags) this.datagramIds.set(`${s.cookie} ${t}`, packetId);
    if (!this.live) return;
    const e: PacketEvent = {
      kind: 'packet', timeNs: this.tick(), direction, data: bytes, attribution: a.attribution, netns: s?.netns ?? netns ?? SYSTEM_NETNS, packetId,
      meta: { step: this.step, role },
    };
    if (s) {
      e.socketId = s.cookie;
      if (s.creator.pid !== 0) {
        e.meta.creator = s.creator;
        e.meta.lastUser = s.lastUser;
        e.meta.holders = [...s.holders];
      }
      e.meta.anyBound = !!s.local && (s.local.addr === '0.0.0.0' || s.local.addr === '::');
    }
    if (a.pid !== undefined && a.attribution !== 'none') {
      e.pid = a.pid;
      e.tid = a.tid;
      if (a.startNs !== undefined) e.startNs = a.startNs;
    }
    if (a.senders) e.senders = a.senders;
    if (a.holders) e.holders = a.holders;
    if (data) {
      e.meta.tag = data.tags[0]!;
      e.meta.tags = data.tags;
      e.meta.runs = data.runs;
      e.meta.releaser = data.releaser;
      if (role === 'reader' && s) e.meta.readers = data.readSteps.filter((x) => x.socket?.cookie === s.cookie).map((x) => ({ pid: x.pid, tid: x.tid }));
    }
    this.out.push(e);
  }

  private closeEvent(s: Sock, closer: Who): void {
    if (!this.live) return;
    this.out.push(this.sockEvent('close', s, closer));
  }

  private sockEvent(event: 'open' | 'close', s: Sock, who: Who, o: { snapshot?: boolean; accepted?: boolean; time?: bigint } = {}): SocketEvent {
    return {
      kind: 'socket', event, timeNs: o.time ?? this.tick(), socketId: s.cookie, pid: who.pid, ppid: who.pid ? this.procs.get(who.pid)?.ppid ?? 0 : 0, tid: who.tid,
      inode: s.ino, family: s.family, type: s.type, protocol: s.proto, netns: s.netns, snapshot: !!o.snapshot, accepted: !!o.accepted,
      meta: { step: this.step, scenario: !s.helper },
    };
  }

  private proc(event: ProcessEvent['event'], p: Proc, tid: number, o: { snapshot?: boolean; time?: bigint; scenario: boolean; status?: number }): ProcessEvent {
    const e: ProcessEvent = {
      kind: 'process', event, timeNs: o.time ?? this.tick(), pid: p.pid, ppid: p.ppid, tid, startNs: p.startNs, snapshot: !!o.snapshot,
      meta: { step: this.step, scenario: o.scenario },
    };
    if (o.status !== undefined) e.exitStatus = o.status;
    if ((event === 'exec' || (event === 'fork' && (o.snapshot || p.ppid === 1)) || event === 'kthread') && p.exe !== undefined) {
      e.exe = p.exe;
      if (event !== 'kthread' && p.argv) e.argv = p.argv;
    }
    return e;
  }

  private stats(): SimEvent {
    const n = (k: SimEvent['kind'], f?: (e: SimEvent) => boolean) => BigInt(this.out.filter((e) => e.kind === k && (!f || f(e))).length);
    const packets = n('packet');
    const procs = n('process', (e) => e.kind === 'process' && !e.snapshot);
    // read, gain and lose blocks travel with the socket events
    const socks = n('socket', (e) => e.kind === 'socket' && !e.snapshot) + n('use');
    return {
      kind: 'stats', timeNs: this.clock + 300_000_000n,
      counters: {
        [ISB_OPT.STARTTIME]: BigInt(this.truth.realMinusMonoUs) + 2_000_000n,
        [ISB_OPT.PACKETS_RECEIVED]: packets, [ISB_OPT.PACKETS_DROPPED]: 0n, [ISB_OPT.PACKETS_FILTERED]: 0n, [ISB_OPT.PACKETS_RING_DROPPED]: 0n, [ISB_OPT.PACKETS_DELIVERED]: packets,
        [ISB_OPT.PROCESS_RECEIVED]: procs, [ISB_OPT.PROCESS_DROPPED]: 0n, [ISB_OPT.PROCESS_RING_DROPPED]: 0n, [ISB_OPT.PROCESS_DELIVERED]: procs,
        [ISB_OPT.SOCKET_RECEIVED]: socks, [ISB_OPT.SOCKET_DROPPED]: 0n, [ISB_OPT.SOCKET_RING_DROPPED]: 0n, [ISB_OPT.SOCKET_DELIVERED]: socks,
      },
    };
  }
}

interface Attr {
  pid?: number;
  tid?: number;
  startNs?: bigint;
  senders?: SenderRun[];
  holders?: number[];
  attribution: Attribution;
}

const NONE: Attr = { attribution: 'none' };
/** Incoming data: no process; read blocks name the reader. */
const READER: Attr = { attribution: 'reader' };

interface Data {
  tags: string[];
  runs: Array<SenderRun & { startNs: bigint }>;
  releaser: Who & { startNs: bigint };
  /** Receive steps of the truth that read one of its tags (on any socket). */
  readSteps: TruthStep[];
}

/** The payload of consecutive sends: each starts with its tag, filler after it. */
function payloadOf(parts: Part[]): Buffer {
  return Buffer.concat(parts.map((x) => {
    const b = Buffer.alloc(x.bytes, 'x');
    b.write(x.tag, 'latin1');
    return b;
  }));
}

function maxBig(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}

function inet(s: { family: number }): boolean {
  return s.family === AF.INET || s.family === AF.INET6;
}

/** Source address of a loopback send: the socket's own address unless it is the any-address. */
function loopbackFor(dst: string, local: string | undefined): string {
  if (local && local !== '0.0.0.0' && local !== '::') return local;
  return loopbackIfAny(dst.includes(':') ? '::' : '0.0.0.0');
}

/** The handle's descriptor is close-on-exec exactly when the truth's socket object says cloexec. */
function cloexecMark(proc: Proc | undefined, handle: string, so: TruthSocket | undefined): void {
  if (!proc) return;
  if (so?.cloexec) (proc.cloexec ??= new Set()).add(handle);
  else proc.cloexec?.delete(handle);
}
