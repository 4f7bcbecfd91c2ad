// What the simulated sensor knows while it walks a truth: processes,
// sockets, descriptors, the clock, the packet ids, and the events written
// so far; and the primitives that write one event (with its `meta`, what
// the simulator knows about it from the truth and faults use).
import { AF, ISB_OPT, type Attribution } from '../../capture/constants.ts';
import type { Truth, TruthSocket, TruthStep } from '../../check/types.ts';
import { Descriptors } from '../../scenario/descriptors.ts';
import type { PacketEvent, PacketRole, ProcessEvent, SenderRun, SimEvent, SocketEvent, UseEvent, Who } from '../events.ts';
import { makeRng, type Rng } from '../rng.ts';
import { INIT_PIDNS } from '../runner-model.ts';
import { parseEndpoint, type Endpoint } from '../wire.ts';

export const SYSTEM_NETNS = 4026531840;

export interface Proc {
  pid: number;
  ppid: number;
  startNs: bigint;
  nspid: number;
  pidns: number;
  exe?: string;
  argv?: string[];
  alive: boolean;
  /** Ran exec (the snapshot lists it as EXEC, else as FORK). */
  execed: boolean;
}

export interface Sock {
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
  /** An accepted socket before accept() returns it: the kernel's, not yet anybody's (no open block yet). */
  embryo: boolean;
  seq: number;
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
export interface Part {
  tag: string;
  bytes: number;
  who: Who;
  startNs: bigint;
}

/** How a packet is labelled: attribution and the process options that go with it. */
export interface Attr {
  pid?: number;
  tid?: number;
  startNs?: bigint;
  senders?: SenderRun[];
  holders?: number[];
  attribution: Attribution;
}

export const NONE: Attr = { attribution: 'none' };
/** Incoming data: no process; read blocks name the reader. */
export const READER: Attr = { attribution: 'reader' };

/** What a data packet carries: its tags, the byte runs of its writers, who made it leave, who read it. */
export interface Data {
  tags: string[];
  runs: Array<SenderRun & { startNs: bigint }>;
  releaser: Who & { startNs: bigint };
  /** Receive steps of the truth that read one of its tags (on any socket). */
  readSteps: TruthStep[];
}

export class SensorState {
  readonly truth: Truth;
  readonly procs = new Map<number, Proc>();
  readonly socks = new Map<string, Sock>();
  readonly fds = new Descriptors<string>();
  readonly tids = new Map<number, number>();
  /** tag -> the receive steps that read it. */
  readonly readerOf = new Map<string, TruthStep[]>();
  readonly out: SimEvent[] = [];
  /** Sockets whose close waits for an RCU grace period (listeners, bound UDP, raw, ping): reported last. */
  readonly deferred: string[] = [];
  readonly rng: Rng;
  clock = 0n;
  /** The kernel's ICMP socket (echo replies) per network namespace and family. */
  readonly kernelIcmp = new Map<string, string>();
  nextKernelCookie: number;
  nextPacketId: bigint;
  /** Packet id of each datagram that reached a socket: "cookie tag" -> id. */
  readonly datagramIds = new Map<string, bigint>();
  live = false;
  step = -1;
  /** `fin-late`: an exit's release is running, its FINs arrive late. */
  finLate = false;
  /** `fin-late`: arrivals of exits' FINs waiting for the next step's effects. */
  lateArrivals: Array<() => void> = [];

  constructor(truth: Truth, seed: number) {
    this.truth = truth;
    this.rng = makeRng(seed).fork(`sensor:${truth.scenario}:${truth.runId}`);
    for (const st of truth.steps) {
      if (st.kind === 'recv' || st.kind === 'recvfrom')
        for (const t of st.tags) this.readerOf.set(t, [...(this.readerOf.get(t) ?? []), st]);
    }
    const cookies = truth.steps.flatMap((s) =>
      [...Object.values(s)].filter((v): v is TruthSocket => typeof v === 'object' && v !== null && 'cookie' in v).map((v) => v.cookie),
    );
    this.nextKernelCookie = Math.max(0x10, ...cookies.map((c) => Number.parseInt(c, 16))) + 1;
    this.nextPacketId = BigInt(this.rng.int(1_000, 900_000));
  }

  // --- time ---

  /** The next event's time: a few µs after the last, so that a step's events stay inside its window. */
  tick(): bigint {
    this.clock += BigInt(this.rng.int(1_000, 5_000));
    return this.clock;
  }

  startOf(pid: number): bigint {
    return this.procs.get(pid)?.startNs ?? 0n;
  }

  // --- writing events ---

  emit(e: SimEvent): void {
    this.out.push(e);
  }

  use(
    what: UseEvent['what'],
    s: Sock,
    who: Who,
    o: { via?: UseEvent['via']; seq?: UseEvent['seq']; readPacketId?: bigint; bytes?: number; tags?: string[] },
  ): void {
    if (!this.live) return;
    const e: UseEvent = {
      kind: 'use',
      what,
      timeNs: this.tick(),
      socketId: s.cookie,
      pid: who.pid,
      tid: who.tid,
      startNs: this.startOf(who.pid),
      meta: { step: this.step, scenario: !s.helper },
    };
    if (o.via !== undefined) e.via = o.via;
    if (o.seq !== undefined) e.seq = o.seq;
    if (o.readPacketId !== undefined) e.readPacketId = o.readPacketId;
    if (o.bytes !== undefined) e.bytes = o.bytes;
    if (o.tags !== undefined) e.meta.tags = o.tags;
    this.out.push(e);
  }

  packet(direction: 'in' | 'out', bytes: Buffer, s: Sock | undefined, role: PacketRole, a: Attr, data?: Data, netns?: number): void {
    const packetId = this.nextPacketId++;
    if (data && s && direction === 'in') for (const t of data.tags) this.datagramIds.set(`${s.cookie} ${t}`, packetId);
    if (!this.live) return;
    const e: PacketEvent = {
      kind: 'packet',
      timeNs: this.tick(),
      direction,
      data: bytes,
      attribution: a.attribution,
      netns: s?.netns ?? netns ?? SYSTEM_NETNS,
      packetId,
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
      if (s.embryo) e.meta.beforeAccept = true;
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
      if (role === 'reader' && s)
        e.meta.readers = data.readSteps
          .filter((x) => 'socket' in x && x.socket.cookie === s.cookie)
          .map((x) => ({ pid: x.pid, tid: x.tid }));
    }
    this.out.push(e);
  }

  closeEvent(s: Sock, closer: Who): void {
    if (!this.live) return;
    this.out.push(this.sockEvent('close', s, closer));
  }

  sockEvent(event: 'open' | 'close', s: Sock, who: Who, o: { snapshot?: boolean; accepted?: boolean; time?: bigint } = {}): SocketEvent {
    return {
      kind: 'socket',
      event,
      timeNs: o.time ?? this.tick(),
      socketId: s.cookie,
      pid: who.pid,
      ppid: who.pid ? (this.procs.get(who.pid)?.ppid ?? 0) : 0,
      tid: who.tid,
      inode: s.ino,
      family: s.family,
      type: s.type,
      protocol: s.proto,
      netns: s.netns,
      snapshot: !!o.snapshot,
      accepted: !!o.accepted,
      meta: { step: this.step, scenario: !s.helper },
    };
  }

  proc(
    event: ProcessEvent['event'],
    p: Proc,
    tid: number,
    o: { snapshot?: boolean; time?: bigint; scenario: boolean; status?: number },
  ): ProcessEvent {
    const e: ProcessEvent = {
      kind: 'process',
      event,
      timeNs: o.time ?? this.tick(),
      pid: p.pid,
      ppid: p.ppid,
      tid,
      startNs: p.startNs,
      nspid: p.nspid,
      pidns: p.pidns,
      snapshot: !!o.snapshot,
      meta: { step: this.step, scenario: o.scenario },
    };
    if (o.status !== undefined) e.exitStatus = o.status;
    if ((event === 'exec' || (event === 'fork' && (o.snapshot || p.ppid === 1)) || event === 'kthread') && p.exe !== undefined) {
      e.exe = p.exe;
      if (event !== 'kthread' && p.argv) e.argv = p.argv;
    }
    return e;
  }

  stats(): SimEvent {
    const n = (k: SimEvent['kind'], f?: (e: SimEvent) => boolean) => BigInt(this.out.filter((e) => e.kind === k && (!f || f(e))).length);
    const packets = n('packet');
    const procs = n('process', (e) => e.kind === 'process' && !e.snapshot);
    // read, gain and lose blocks travel with the socket events
    const socks = n('socket', (e) => e.kind === 'socket' && !e.snapshot) + n('use');
    return {
      kind: 'stats',
      timeNs: this.clock + 300_000_000n,
      counters: {
        [ISB_OPT.STARTTIME]: BigInt(this.truth.realMinusMonoUs) + 2_000_000n,
        [ISB_OPT.PACKETS_RECEIVED]: packets,
        [ISB_OPT.PACKETS_DROPPED]: 0n,
        [ISB_OPT.PACKETS_FILTERED]: 0n,
        [ISB_OPT.PACKETS_RING_DROPPED]: 0n,
        [ISB_OPT.PACKETS_DELIVERED]: packets,
        [ISB_OPT.PROCESS_RECEIVED]: procs,
        [ISB_OPT.PROCESS_DROPPED]: 0n,
        [ISB_OPT.PROCESS_RING_DROPPED]: 0n,
        [ISB_OPT.PROCESS_DELIVERED]: procs,
        [ISB_OPT.SOCKET_RECEIVED]: socks,
        [ISB_OPT.SOCKET_DROPPED]: 0n,
        [ISB_OPT.SOCKET_RING_DROPPED]: 0n,
        [ISB_OPT.SOCKET_DELIVERED]: socks,
      },
    };
  }

  // --- sockets ---

  newSock(so: TruthSocket, st: TruthStep, who: Who): Sock {
    const s: Sock = {
      cookie: so.cookie,
      family: so.family,
      type: so.type,
      proto: so.proto,
      ino: so.ino,
      netns: st.netns,
      creator: who,
      lastUser: who,
      listening: false,
      hashed: false,
      pending: [],
      finSent: false,
      released: false,
      embryo: false,
      seq: this.rng.int(1, 0x7fffffff),
      inflight: 0,
      helper: false,
      holders: inet(so) ? [who.pid] : [],
      rcvBase: 0,
      sndBase: 0,
      received: 0,
      consumed: 0,
      held: [],
      reset: false,
    };
    if (so.local) s.local = parseEndpoint(so.local);
    this.socks.set(s.cookie, s);
    return s;
  }

  /** Sockets the process holds a descriptor of. */
  held(pid: number): string[] {
    return this.fds.sockets(pid);
  }

  /** Packets the kernel sends or receives for a socket: its holders, no process. */
  holder(s: Sock): Attr {
    if (s.creator.pid === 0 && !s.embryo) return NONE;
    return s.holders.length > 0 ? { attribution: 'holder', holders: [...s.holders] } : { attribution: 'holder' };
  }
}

export function inet(s: { family: number }): boolean {
  return s.family === AF.INET || s.family === AF.INET6;
}

/** Initial pid namespace inode (the runner's, when the truth does not say). */
export const DEFAULT_PIDNS = INIT_PIDNS;
