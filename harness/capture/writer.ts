// PCAP-NG writer for Hone's blocks, in either byte order. Used by the tests
// to hand-make captures (good and broken) and by the capture simulator.
import {
  ATTRIBUTION,
  BLOCK,
  BYTE_ORDER_MAGIC,
  CONNECTION_CLOSE,
  CONNECTION_FLAG,
  CONNECTION_OPT,
  DIRECTION,
  EPB_OPT,
  GAIN_VIA,
  IDB_OPT,
  LOSE_VIA,
  LINKTYPE_RAW,
  PROCESS_EVENT,
  PROCESS_FLAG,
  PROCESS_OPT,
  SHB_OPT,
  USE_OPT,
  USE_WHAT,
  type Attribution,
} from './constants.ts';
import type { ByteOrder, RawOption } from './types.ts';

export interface PacketSpec {
  timestampUs?: bigint;
  data: Buffer;
  packetLength?: number;
  direction: 'in' | 'out';
  socketId?: string;
  pid?: number;
  tid?: number;
  attribution?: Attribution;
  netns?: number;
  /** Option 261. */
  packetId?: bigint;
  /** Option 262 (the sensor writes it with 258). */
  startNs?: bigint;
  /** Option 263: sender runs. */
  senders?: Array<{ offset: number; pid: number; tid: number }>;
  /** Option 264: holder tgids. */
  holders?: number[];
  /** Options appended before the end marker (e.g. unknown ones). */
  extraOptions?: RawOption[];
}

export interface UseSpec {
  what: 'read' | 'gain' | 'lose';
  socketId: string;
  pid: number;
  timestampUs?: bigint;
  tid?: number;
  startNs?: bigint;
  via?: 'fork' | 'recv' | 'close' | 'exit';
  seq?: { first: number; end: number };
  readPacketId?: bigint;
  bytes?: number;
  extraOptions?: RawOption[];
}

export interface ProcessSpec {
  event: 'fork' | 'exec' | 'exit' | 'kthread';
  pid: number;
  timestampUs?: bigint;
  ppid?: number;
  uid?: number;
  gid?: number;
  tid?: number;
  exitStatus?: number;
  /** Option 259: process start time, ns since boot. */
  startNs?: bigint;
  /** Option 260: its pid in its own pid namespace. */
  nspid?: number;
  /** Option 261: inode of its pid namespace. */
  pidns?: number;
  /** Option 262 bit 0: a snapshot block. */
  snapshot?: boolean;
  exe?: string;
  argv?: string[];
  extraOptions?: RawOption[];
}

export interface ConnectionSpec {
  event: 'open' | 'close';
  socketId: string;
  pid: number;
  timestampUs?: bigint;
  tid?: number;
  family?: number;
  type?: number;
  protocol?: number;
  inode?: number;
  netns?: number;
  snapshot?: boolean;
  accepted?: boolean;
  extraOptions?: RawOption[];
}

export class PcapngWriter {
  readonly order: ByteOrder;
  private readonly parts: Buffer[] = [];

  constructor(order: ByteOrder = 'le') {
    this.order = order;
  }

  /** SHB + IDB, as Hone starts every section. */
  header(os = 'Linux guest 6.1.0 #1 SMP x86_64', appl = 'Hone 0.1.0', snapLen = 0): this {
    const shb = Buffer.alloc(16);
    this.w32(shb, 0, BYTE_ORDER_MAGIC);
    this.w16(shb, 4, 1);
    this.w16(shb, 6, 0);
    shb.writeBigInt64LE(-1n, 8);
    this.block(BLOCK.SHB, shb, [
      { code: SHB_OPT.OS, value: Buffer.from(os) },
      { code: SHB_OPT.USERAPPL, value: Buffer.from(appl) },
    ]);
    const idb = Buffer.alloc(8);
    this.w16(idb, 0, LINKTYPE_RAW);
    this.w32(idb, 4, snapLen);
    return this.block(BLOCK.IDB, idb, [
      { code: IDB_OPT.NAME, value: Buffer.from('hone') },
      { code: IDB_OPT.DESCRIPTION, value: Buffer.from('Hone Capture Pseudo-device') },
    ]);
  }

  packet(p: PacketSpec): this {
    const fixed = Buffer.alloc(20 + pad4(p.data.length));
    this.w32(fixed, 0, 0);
    this.ts(fixed, 4, p.timestampUs ?? 0n);
    this.w32(fixed, 12, p.data.length);
    this.w32(fixed, 16, p.packetLength ?? p.data.length);
    p.data.copy(fixed, 20);
    const opts: RawOption[] = [];
    if (p.socketId !== undefined) opts.push({ code: EPB_OPT.SOCKET_ID, value: this.u64(BigInt('0x' + p.socketId)) });
    if (p.pid !== undefined) opts.push({ code: EPB_OPT.PID, value: this.u32(p.pid) });
    opts.push({ code: EPB_OPT.FLAGS, value: this.u32(p.direction === 'in' ? DIRECTION.IN : DIRECTION.OUT) });
    if (p.pid !== undefined) {
      const v = Buffer.alloc(8);
      this.w32(v, 0, p.pid);
      this.w32(v, 4, p.tid ?? 0);
      opts.push({ code: EPB_OPT.PROCESSID_THREADID, value: v });
    }
    if (p.attribution !== undefined) opts.push({ code: EPB_OPT.ATTRIBUTION, value: this.u32(ATTRIBUTION.indexOf(p.attribution)) });
    if (p.netns !== undefined) opts.push({ code: EPB_OPT.NETNS, value: this.u32(p.netns) });
    if (p.packetId !== undefined) opts.push({ code: EPB_OPT.PACKET_ID, value: this.u64(p.packetId) });
    if (p.startNs !== undefined) opts.push({ code: EPB_OPT.START_NS, value: this.u64(p.startNs) });
    if (p.senders !== undefined && p.senders.length > 0) {
      const v = Buffer.alloc(12 * p.senders.length);
      p.senders.forEach((r, i) => {
        this.w32(v, i * 12, r.offset);
        this.w32(v, i * 12 + 4, r.pid);
        this.w32(v, i * 12 + 8, r.tid);
      });
      opts.push({ code: EPB_OPT.SENDERS, value: v });
    }
    if (p.holders !== undefined && p.holders.length > 0) {
      const v = Buffer.alloc(4 * p.holders.length);
      p.holders.forEach((h, i) => this.w32(v, i * 4, h));
      opts.push({ code: EPB_OPT.HOLDERS, value: v });
    }
    if (p.pid !== undefined || p.socketId !== undefined) {
      opts.push({
        code: EPB_OPT.COMMENT,
        value: Buffer.from(`pid ${p.pid ?? 0} tid ${p.tid ?? 0} sock 0x${p.socketId ?? '0'.repeat(16)}`),
      });
    }
    opts.push(...(p.extraOptions ?? []));
    return this.block(BLOCK.EPB, fixed, opts);
  }

  process(p: ProcessSpec): this {
    const fixed = Buffer.alloc(12);
    this.w32(fixed, 0, p.pid);
    this.ts(fixed, 4, p.timestampUs ?? 0n);
    const opts: RawOption[] = [];
    const ev = { fork: PROCESS_EVENT.FORK, exit: PROCESS_EVENT.EXIT, kthread: PROCESS_EVENT.KTHD, exec: undefined }[p.event];
    if (ev !== undefined) opts.push({ code: PROCESS_OPT.EVENT, value: this.u32(ev) });
    if (p.ppid !== undefined) opts.push({ code: PROCESS_OPT.PPID, value: this.u32(p.ppid) });
    opts.push({ code: PROCESS_OPT.UID, value: this.u32(p.uid ?? 0) });
    opts.push({ code: PROCESS_OPT.GID, value: this.u32(p.gid ?? 0) });
    opts.push({ code: PROCESS_OPT.TID, value: this.u32(p.tid ?? p.pid) });
    if (p.exitStatus !== undefined) opts.push({ code: PROCESS_OPT.EXIT_STATUS, value: this.u32(p.exitStatus) });
    if (p.startNs !== undefined) opts.push({ code: PROCESS_OPT.START_NS, value: this.u64(p.startNs) });
    if (p.nspid !== undefined) opts.push({ code: PROCESS_OPT.NSPID, value: this.u32(p.nspid) });
    if (p.pidns !== undefined) opts.push({ code: PROCESS_OPT.PIDNS, value: this.u32(p.pidns) });
    if (p.snapshot) opts.push({ code: PROCESS_OPT.FLAGS, value: this.u32(PROCESS_FLAG.SNAPSHOT) });
    if (p.exe !== undefined) opts.push({ code: PROCESS_OPT.EXE, value: Buffer.from(p.exe) });
    if (p.argv !== undefined) opts.push({ code: PROCESS_OPT.ARGV, value: Buffer.from(p.argv.map((a) => a + '\0').join('')) });
    opts.push(...(p.extraOptions ?? []));
    return this.block(BLOCK.PROCESS, fixed, opts);
  }

  connection(c: ConnectionSpec): this {
    const fixed = Buffer.alloc(16);
    const id = BigInt('0x' + c.socketId);
    this.w32(fixed, 0, Number(id & 0xffffffffn));
    this.w32(fixed, 4, c.pid);
    this.ts(fixed, 8, c.timestampUs ?? 0n);
    const opts: RawOption[] = [];
    if (c.event === 'close') opts.push({ code: CONNECTION_OPT.EVENT, value: this.u32(CONNECTION_CLOSE) });
    opts.push({ code: CONNECTION_OPT.SOCKET_ID, value: this.u64(id) });
    opts.push({ code: CONNECTION_OPT.TID, value: this.u32(c.tid ?? c.pid) });
    if (c.family !== undefined) {
      const v = Buffer.alloc(8);
      this.w16(v, 0, c.family);
      this.w16(v, 2, c.type ?? 0);
      this.w16(v, 4, c.protocol ?? 0);
      opts.push({ code: CONNECTION_OPT.FAMILY_TYPE_PROTO, value: v });
    }
    if (c.inode !== undefined) opts.push({ code: CONNECTION_OPT.INODE, value: this.u64(BigInt(c.inode)) });
    if (c.netns !== undefined) opts.push({ code: CONNECTION_OPT.NETNS, value: this.u32(c.netns) });
    const flags = (c.snapshot ? CONNECTION_FLAG.SNAPSHOT : 0) | (c.accepted ? CONNECTION_FLAG.ACCEPTED : 0);
    if (c.event === 'open') opts.push({ code: CONNECTION_OPT.FLAGS, value: this.u32(flags) });
    opts.push(...(c.extraOptions ?? []));
    return this.block(BLOCK.CONNECTION, fixed, opts);
  }

  /** Read, gain or lose block (0x00000103), options in FORMAT.md's order. */
  use(u: UseSpec): this {
    const fixed = Buffer.alloc(16);
    const id = BigInt('0x' + u.socketId);
    this.w32(fixed, 0, Number(id & 0xffffffffn));
    this.w32(fixed, 4, u.pid);
    this.ts(fixed, 8, u.timestampUs ?? 0n);
    const what = { read: USE_WHAT.READ, gain: USE_WHAT.GAIN, lose: USE_WHAT.LOSE }[u.what];
    const opts: RawOption[] = [
      { code: USE_OPT.WHAT, value: this.u32(what) },
      { code: USE_OPT.SOCKET_ID, value: this.u64(id) },
    ];
    opts.push({ code: USE_OPT.TID, value: this.u32(u.tid ?? u.pid) });
    if (u.startNs !== undefined) opts.push({ code: USE_OPT.START_NS, value: this.u64(u.startNs) });
    if (u.via !== undefined) {
      const via = { fork: GAIN_VIA.FORK, recv: GAIN_VIA.RECV, close: LOSE_VIA.CLOSE, exit: LOSE_VIA.EXIT }[u.via];
      opts.push({ code: USE_OPT.VIA, value: this.u32(via) });
    }
    if (u.seq !== undefined) {
      const v = Buffer.alloc(8);
      this.w32(v, 0, u.seq.first);
      this.w32(v, 4, u.seq.end);
      opts.push({ code: USE_OPT.SEQ, value: v });
    }
    if (u.readPacketId !== undefined) opts.push({ code: USE_OPT.READ_PACKET_ID, value: this.u64(u.readPacketId) });
    if (u.bytes !== undefined) opts.push({ code: USE_OPT.BYTES, value: this.u32(u.bytes) });
    opts.push(...(u.extraOptions ?? []));
    return this.block(BLOCK.USE, fixed, opts);
  }

  /** ISB with the given counters (option code → value). */
  stats(counters: Record<number, bigint> = {}, timestampUs = 0n): this {
    const fixed = Buffer.alloc(12);
    this.ts(fixed, 4, timestampUs);
    const opts = Object.entries(counters).map(([code, v]) => ({ code: Number(code), value: this.u64(v) }));
    return this.block(BLOCK.ISB, fixed, opts);
  }

  /** Any block: type, fixed body (padded to 4) and options (end marker added when there are options). */
  block(type: number, body: Buffer, options: RawOption[] = []): this {
    const optBufs: Buffer[] = [];
    for (const o of options) {
      const h = Buffer.alloc(4);
      this.w16(h, 0, o.code);
      this.w16(h, 2, o.value.length);
      optBufs.push(h, o.value, Buffer.alloc(pad4(o.value.length) - o.value.length));
    }
    if (options.length > 0) optBufs.push(Buffer.alloc(4));
    const padded = Buffer.concat([body, Buffer.alloc(pad4(body.length) - body.length)]);
    const opts = Buffer.concat(optBufs);
    const total = 12 + padded.length + opts.length;
    const head = Buffer.alloc(8);
    this.w32(head, 0, type);
    this.w32(head, 4, total);
    const tail = Buffer.alloc(4);
    this.w32(tail, 0, total);
    this.parts.push(head, padded, opts, tail);
    return this;
  }

  toBuffer(): Buffer {
    return Buffer.concat(this.parts);
  }

  // --- internal ---

  private w16(b: Buffer, at: number, v: number): void {
    if (this.order === 'le') b.writeUInt16LE(v, at);
    else b.writeUInt16BE(v, at);
  }
  private w32(b: Buffer, at: number, v: number): void {
    if (this.order === 'le') b.writeUInt32LE(v >>> 0, at);
    else b.writeUInt32BE(v >>> 0, at);
  }
  private u32(v: number): Buffer {
    const b = Buffer.alloc(4);
    this.w32(b, 0, v);
    return b;
  }
  private u64(v: bigint): Buffer {
    const b = Buffer.alloc(8);
    if (this.order === 'le') b.writeBigUInt64LE(v);
    else b.writeBigUInt64BE(v);
    return b;
  }
  private ts(b: Buffer, at: number, us: bigint): void {
    this.w32(b, at, Number(us >> 32n));
    this.w32(b, at + 4, Number(us & 0xffffffffn));
  }
}

function pad4(n: number): number {
  return (n + 3) & ~3;
}
