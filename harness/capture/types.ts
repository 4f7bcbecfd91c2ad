// Typed view of a Hone capture: PCAP-NG blocks and /dev/honet lines.
import type { Attribution } from './constants.ts';

/** A raw option as found in a block: code and value bytes (unpadded). */
export interface RawOption {
  code: number;
  value: Buffer;
}

export type ByteOrder = 'le' | 'be';

interface BlockBase {
  /** Byte offset of the block in the file. */
  offset: number;
  /** Index of the section (SHB) the block belongs to, from 0. */
  section: number;
}

export interface SectionHeader extends BlockBase {
  kind: 'section';
  byteOrder: ByteOrder;
  version: string;
  hostId?: { form: 'string'; value: string } | { form: 'guid'; value: string };
  os?: string;
  userAppl?: string;
  comment?: string;
  options: RawOption[];
}

export interface InterfaceDescription extends BlockBase {
  kind: 'interface';
  linkType: number;
  snapLen: number;
  name?: string;
  description?: string;
  options: RawOption[];
}

export type Direction = 'in' | 'out' | 'unknown';

export interface PacketBlock extends BlockBase {
  kind: 'packet';
  interfaceId: number;
  /** Microseconds since the Unix epoch. */
  timestampUs: bigint;
  capturedLength: number;
  packetLength: number;
  data: Buffer;
  direction: Direction;
  /** Socket cookie as 16 lowercase hex digits; absent when no socket was found. */
  socketId?: string;
  pid?: number;
  tid?: number;
  attribution?: Attribution | `unknown(${number})`;
  netns?: number;
  comment?: string;
  /** Option 261: unique per hone_notify load, increasing in hook order. */
  packetId?: bigint;
  /** Option 262: start time (ns since boot) of the process in `pid`. */
  startNs?: bigint;
  /** Option 263: sender runs in payload order; a payload offset belongs to the run with the greatest offset <= it. */
  senders?: Array<{ offset: number; pid: number; tid: number }>;
  /** Option 264: tgids holding the socket when the packet passed (attribution holder). */
  holders?: number[];
  options: RawOption[];
}

export type ProcessEventType = 'fork' | 'exec' | 'exit' | 'kthread' | `unknown(${number})`;

export interface ProcessBlock extends BlockBase {
  kind: 'process';
  event: ProcessEventType;
  pid: number;
  timestampUs: bigint;
  ppid?: number;
  uid?: number;
  gid?: number;
  tid?: number;
  exitStatus?: number;
  startNs?: bigint;
  nspid?: number;
  pidns?: number;
  /** Option 262 bit 0: a snapshot block (the process existed when the section began), not an event. */
  snapshot: boolean;
  exe?: string;
  argv?: string[];
  options: RawOption[];
}

export interface ConnectionBlock extends BlockBase {
  kind: 'connection';
  event: 'open' | 'close';
  /** Low 32 bits of the socket id (15.07 field). */
  connectionId: number;
  pid: number;
  timestampUs: bigint;
  /** Full socket id (option 257) as 16 lowercase hex digits, when present. */
  socketId?: string;
  tid?: number;
  family?: number;
  type?: number;
  protocol?: number;
  inode?: number;
  netns?: number;
  snapshot: boolean;
  accepted: boolean;
  options: RawOption[];
}

/** Read, gain or lose block (0x00000103): a thread read data, a process gained or lost a socket. */
export interface UseBlock extends BlockBase {
  kind: 'use';
  what: 'read' | 'gain' | 'lose' | `unknown(${number})`;
  /** Low 32 bits of the socket id (@8). */
  connectionId: number;
  /** tgid (@12). */
  pid: number;
  timestampUs: bigint;
  /** Option 257, 16 lowercase hex digits. */
  socketId?: string;
  /** Option 258. */
  tid?: number;
  /** Option 259: process start time, ns since boot. */
  startNs?: bigint;
  /** Option 260: gain 1 fork, 2 recv; lose 1 close, 2 exit. */
  via?: 'fork' | 'recv' | 'close' | 'exit' | `unknown(${number})`;
  /** Option 261 (stream reads): TCP sequence numbers [first, end) mod 2^32 of the bytes read. */
  seq?: { first: number; end: number };
  /** Option 262 (datagram reads): the packet id of the datagram read. */
  readPacketId?: bigint;
  /** Option 263: bytes read. */
  bytes?: number;
  options: RawOption[];
}

export interface InterfaceStatistics extends BlockBase {
  kind: 'stats';
  interfaceId: number;
  timestampUs: bigint;
  /** Counters by option code (all 8-byte options). */
  counters: Record<number, bigint>;
  options: RawOption[];
}

export interface UnknownBlock extends BlockBase {
  kind: 'unknown';
  type: number;
  length: number;
}

export type Block =
  SectionHeader | InterfaceDescription | PacketBlock | ProcessBlock | ConnectionBlock | UseBlock | InterfaceStatistics | UnknownBlock;

export interface Capture {
  blocks: Block[];
}

// --- /dev/honet text lines ---

interface LineBase {
  /** Line number, from 1. */
  line: number;
  /** Monotonic time since boot in ns. */
  timeNs: bigint;
  /** key=value tokens after the fixed fields. */
  extra: Record<string, string>;
}

export interface HonetHead extends LineBase {
  kind: 'head';
  bootTime: string;
  guid?: string;
}
export interface HonetTail extends LineBase {
  kind: 'tail';
}
export interface HonetProcess extends LineBase {
  kind: 'process';
  event: 'fork' | 'exec' | 'exit' | 'kthread';
  pid: number;
  ppid: number;
  uid: number;
  gid: number;
  tid?: number;
  exitStatus?: number;
  exe?: string;
  argv?: string[];
}
export interface HonetSocket extends LineBase {
  kind: 'socket';
  event: 'open' | 'close';
  pid: number;
  ppid: number;
  uid: number;
  gid: number;
  socketId: string;
  tid?: number;
  inode?: number;
  family?: number;
  type?: number;
  protocol?: number;
  netns?: number;
  snapshot: boolean;
  accepted: boolean;
}
export interface HonetPacket extends LineBase {
  kind: 'packet';
  direction: 'in' | 'out';
  /** Socket id, 16 hex digits; absent when all zeros. */
  socketId?: string;
  pid: number;
  protocol: string;
  src: string;
  dst: string;
  length: number;
  tid?: number;
  attribution?: string;
  netns?: number;
  /** id= */
  packetId?: bigint;
  /** start= */
  startNs?: bigint;
  /** senders=OFF:PID:TID,... */
  senders?: Array<{ offset: number; pid: number; tid: number }>;
  /** holders=PID,... */
  holders?: number[];
}
/** READ, GAIN and LOSE lines. */
export interface HonetUse extends LineBase {
  kind: 'use';
  what: 'read' | 'gain' | 'lose';
  socketId: string;
  pid: number;
  tid?: number;
  startNs?: bigint;
  via?: string;
  bytes?: number;
  seq?: { first: number; end: number };
  /** pkt=; `pkt=?` (unknown) leaves it undefined. */
  readPacketId?: bigint;
}
export interface HonetUnknown extends LineBase {
  kind: 'unknown';
  text: string;
}

export type HonetEvent = HonetHead | HonetTail | HonetProcess | HonetSocket | HonetPacket | HonetUse | HonetUnknown;
