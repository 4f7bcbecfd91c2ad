// What the simulated sensor puts in a reader's ring, in ring order: the
// same events the PCAP-NG and the honet text are written from. Each event
// also carries `meta`: what the simulator knows about it from the truth
// (never written), so that faults can be modelled on it.
import type { Attribution } from '../capture/constants.ts';

export interface Who {
  pid: number;
  tid: number;
}

export interface ProcessEvent {
  kind: 'process';
  event: 'fork' | 'exec' | 'exit' | 'kthread';
  timeNs: bigint;
  pid: number;
  ppid: number;
  tid: number;
  startNs: bigint;
  /** Its pid in its own pid namespace (option 260), and that namespace's inode (261). */
  nspid: number;
  pidns: number;
  exitStatus?: number;
  exe?: string;
  argv?: string[];
  snapshot: boolean;
  meta: { step: number; scenario: boolean };
}

export interface SocketEvent {
  kind: 'socket';
  event: 'open' | 'close';
  timeNs: bigint;
  socketId: string;
  /** 0 when the kernel closed it. */
  pid: number;
  ppid: number;
  tid: number;
  inode: number;
  family: number;
  type: number;
  protocol: number;
  netns: number;
  snapshot: boolean;
  accepted: boolean;
  /** deferred: a close reported after an RCU grace period (the socket's deferred free), not at its release. */
  meta: { step: number; scenario: boolean; deferred?: boolean };
}

export interface UseEvent {
  kind: 'use';
  what: 'read' | 'gain' | 'lose';
  timeNs: bigint;
  socketId: string;
  pid: number;
  tid: number;
  /** Start time of the process `pid` (ns since boot). */
  startNs: bigint;
  /** gain: fork, recv; lose: close, exit. */
  via?: 'fork' | 'recv' | 'close' | 'exit';
  /** read, stream: TCP sequence numbers [first, end) of the bytes read (the peer's). */
  seq?: { first: number; end: number };
  /** read, datagram: the packet id of the datagram read. */
  readPacketId?: bigint;
  /** read: bytes read. */
  bytes?: number;
  meta: { step: number; scenario: boolean; tags?: string[] };
}

/** One run of a segment's payload: the bytes from `offset` on were written by this thread. */
export interface SenderRun {
  offset: number;
  pid: number;
  tid: number;
}

export type PacketRole =
  /** The appearance of a tagged send on the sending socket. */
  | 'sender'
  /** The appearance of tagged data on the socket that reads it. */
  | 'reader'
  /** Handshake, ACK, FIN: sent by the kernel for a socket. */
  | 'control'
  /** The kernel's own copies (an echo request it answers, its echo reply). */
  | 'kernel';

export interface PacketEvent {
  kind: 'packet';
  timeNs: bigint;
  direction: 'in' | 'out';
  data: Buffer;
  socketId?: string;
  pid?: number;
  tid?: number;
  attribution: Attribution;
  netns: number;
  /** Option 261: unique, increasing in the order packets reach the hooks. */
  packetId: bigint;
  /** Option 262: start time of the process in `pid` (with it). */
  startNs?: bigint;
  /** Option 263: when the payload holds bytes of more than one thread. */
  senders?: SenderRun[];
  /** Option 264 (holder): tgids holding the socket; absent when nobody does. */
  holders?: number[];
  meta: {
    step: number;
    role: PacketRole;
    /** The first tag of the payload. */
    tag?: string;
    /** Every tag of the payload (a segment can carry several sends). */
    tags?: string[];
    /** Data: who wrote each byte run (also when one thread wrote all of it), and their start times. */
    runs?: Array<SenderRun & { startNs: bigint }>;
    /** Data: the thread whose call made the packet leave (softirq's `current` on loopback delivery). */
    releaser?: Who & { startNs: bigint };
    /** Incoming data: the threads that read its tags (from the truth), empty when nobody did. */
    readers?: Who[];
    /** The socket's holders when the packet passed (also for data packets, for faults). */
    holders?: number[];
    /** The socket's creator (what 15.07-style attribution reports). */
    creator?: Who;
    /** The last task that made a syscall on the socket before this packet. */
    lastUser?: Who;
    /** The socket is bound to 0.0.0.0 or ::. */
    anyBound?: boolean;
    /** It reached an accepted socket before accept() returned it (the kernel's socket, nobody's yet). */
    beforeAccept?: boolean;
  };
}

export interface StatsEvent {
  kind: 'stats';
  timeNs: bigint;
  counters: Record<number, bigint>;
}

export type SimEvent = ProcessEvent | SocketEvent | UseEvent | PacketEvent | StatsEvent;

/** Everything written for one section: head fields, ring events (ending with the ISB). */
export interface SimCapture {
  /** Monotonic ns when the reader opened (honet HEAD/TAIL). */
  openNs: bigint;
  /** Wall-clock boot time in µs (timestamps = boot + monotonic). */
  bootUs: bigint;
  os: string;
  events: SimEvent[];
}
