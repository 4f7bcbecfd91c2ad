// PCAP-NG reader for Hone captures: either byte order, every block of
// kmod/FORMAT.md, unknown blocks and options skipped, damage reported with
// its offset.
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
  LOSE_VIA,
  IDB_OPT,
  OPT_END,
  PROCESS_EVENT,
  PROCESS_FLAG,
  PROCESS_OPT,
  SHB_OPT,
  USE_OPT,
  USE_WHAT,
} from './constants.ts';
import { CaptureError } from './errors.ts';
import type {
  Block,
  ByteOrder,
  Capture,
  ConnectionBlock,
  InterfaceDescription,
  InterfaceStatistics,
  PacketBlock,
  ProcessBlock,
  RawOption,
  SectionHeader,
  UseBlock,
} from './types.ts';

/** Parse a whole PCAP-NG file. Throws CaptureError naming the offset of the first damaged block. */
export function readPcapng(buf: Buffer): Capture {
  const blocks: Block[] = [];
  if (buf.length === 0) throw new CaptureError('empty capture: no Section Header Block at offset 0 (was the reader started?)', 0);
  let order: ByteOrder = 'le';
  let section = -1;
  let off = 0;
  while (off < buf.length) {
    if (buf.length - off < 12) {
      throw new CaptureError(`truncated block at offset ${off}: ${buf.length - off} bytes left, a block needs at least 12`, off);
    }
    const leType = buf.readUInt32LE(off);
    if (leType === BLOCK.SHB) {
      order = shbOrder(buf, off);
      section++;
    } else if (section < 0) {
      throw new CaptureError(
        `not a PCAP-NG file: offset 0 holds block type 0x${leType.toString(16)}, expected a Section Header Block (0x0a0d0d0a)`,
        off,
      );
    }
    const r = reader(buf, order);
    const type = r.u32(off);
    const length = r.u32(off + 4);
    if (length < 12 || length % 4 !== 0) {
      throw new CaptureError(`damaged block at offset ${off}: total length ${length} is not a multiple of 4 of at least 12`, off);
    }
    if (off + length > buf.length) {
      throw new CaptureError(
        `truncated block at offset ${off}: type 0x${type.toString(16)} says ${length} bytes, only ${buf.length - off} left`,
        off,
      );
    }
    const trailer = r.u32(off + length - 4);
    if (trailer !== length) {
      throw new CaptureError(`damaged block at offset ${off}: leading length ${length} differs from trailing length ${trailer}`, off);
    }
    blocks.push(parseBlock(r, type, off, length, section));
    off += length;
  }
  return { blocks };
}

// --- internal ---

interface Reader {
  buf: Buffer;
  order: ByteOrder;
  u16(at: number): number;
  u32(at: number): number;
  u64(at: number): bigint;
}

function reader(buf: Buffer, order: ByteOrder): Reader {
  return order === 'le'
    ? { buf, order, u16: (a) => buf.readUInt16LE(a), u32: (a) => buf.readUInt32LE(a), u64: (a) => buf.readBigUInt64LE(a) }
    : { buf, order, u16: (a) => buf.readUInt16BE(a), u32: (a) => buf.readUInt32BE(a), u64: (a) => buf.readBigUInt64BE(a) };
}

function shbOrder(buf: Buffer, off: number): ByteOrder {
  if (buf.length - off < 12) throw new CaptureError(`truncated Section Header Block at offset ${off}`, off);
  if (buf.readUInt32LE(off + 8) === BYTE_ORDER_MAGIC) return 'le';
  if (buf.readUInt32BE(off + 8) === BYTE_ORDER_MAGIC) return 'be';
  throw new CaptureError(
    `damaged Section Header Block at offset ${off}: byte-order magic is 0x${buf.readUInt32LE(off + 8).toString(16)}, expected 0x1a2b3c4d in either order`,
    off,
  );
}

function parseBlock(r: Reader, type: number, off: number, length: number, section: number): Block {
  const end = off + length - 4;
  const need = (n: number, what: string) => {
    if (off + 8 + n > end) throw new CaptureError(`damaged ${what} at offset ${off}: ${length} bytes is too short for its fixed part`, off);
  };
  switch (type) {
    case BLOCK.SHB: {
      need(16, 'Section Header Block');
      const options = parseOptions(r, off + 24, end, off);
      const b: SectionHeader = {
        kind: 'section',
        offset: off,
        section,
        byteOrder: r.order,
        version: `${r.u16(off + 12)}.${r.u16(off + 14)}`,
        options,
      };
      for (const o of options) {
        if (o.code === SHB_OPT.OS) b.os = text(o.value);
        else if (o.code === SHB_OPT.USERAPPL) b.userAppl = text(o.value);
        else if (o.code === SHB_OPT.COMMENT) b.comment = text(o.value);
        else if (o.code === SHB_OPT.HOSTID) b.hostId = hostId(o.value, r.order);
      }
      return b;
    }
    case BLOCK.IDB: {
      need(8, 'Interface Description Block');
      const options = parseOptions(r, off + 16, end, off);
      const b: InterfaceDescription = {
        kind: 'interface',
        offset: off,
        section,
        linkType: r.u16(off + 8),
        snapLen: r.u32(off + 12),
        options,
      };
      for (const o of options) {
        if (o.code === IDB_OPT.NAME) b.name = text(o.value);
        else if (o.code === IDB_OPT.DESCRIPTION) b.description = text(o.value);
      }
      return b;
    }
    case BLOCK.EPB:
      return parsePacket(r, off, end, section, length);
    case BLOCK.PROCESS:
      return parseProcess(r, off, end, section, length);
    case BLOCK.CONNECTION:
      return parseConnection(r, off, end, section, length);
    case BLOCK.USE:
      return parseUse(r, off, end, section, length);
    case BLOCK.ISB: {
      need(12, 'Interface Statistics Block');
      const options = parseOptions(r, off + 20, end, off);
      const counters: Record<number, bigint> = {};
      // 8-byte counters, and the 4-byte ones of a drop record (265 kind, 269 ring)
      for (const o of options) {
        if (o.code === 1) continue;
        if (o.value.length === 8) counters[o.code] = u64(o.value, r.order);
        else if (o.value.length === 4) counters[o.code] = BigInt(r.order === 'le' ? o.value.readUInt32LE(0) : o.value.readUInt32BE(0));
      }
      const b: InterfaceStatistics = {
        kind: 'stats',
        offset: off,
        section,
        interfaceId: r.u32(off + 8),
        timestampUs: ts(r, off + 12),
        counters,
        options,
      };
      return b;
    }
    default:
      return { kind: 'unknown', offset: off, section, type, length };
  }
}

function parsePacket(r: Reader, off: number, end: number, section: number, length: number): PacketBlock {
  if (off + 28 > end)
    throw new CaptureError(`damaged Enhanced Packet Block at offset ${off}: ${length} bytes is too short for its fixed part`, off);
  const capturedLength = r.u32(off + 20);
  const dataEnd = off + 28 + capturedLength;
  if (dataEnd > end) {
    throw new CaptureError(
      `damaged Enhanced Packet Block at offset ${off}: captured length ${capturedLength} runs past the block end`,
      off,
    );
  }
  const options = parseOptions(r, off + 28 + pad4(capturedLength), end, off);
  const b: PacketBlock = {
    kind: 'packet',
    offset: off,
    section,
    interfaceId: r.u32(off + 8),
    timestampUs: ts(r, off + 12),
    capturedLength,
    packetLength: r.u32(off + 24),
    data: r.buf.subarray(off + 28, dataEnd),
    direction: 'unknown',
    options,
  };
  for (const o of options) {
    const v = o.value;
    switch (o.code) {
      case EPB_OPT.FLAGS:
        if (v.length >= 4) {
          const d = u32(v, r.order) & 3;
          b.direction = d === DIRECTION.IN ? 'in' : d === DIRECTION.OUT ? 'out' : 'unknown';
        }
        break;
      case EPB_OPT.SOCKET_ID:
        if (v.length === 8 || v.length === 4) b.socketId = sockId(v, r.order);
        break;
      case EPB_OPT.PID:
        if (v.length === 4) b.pid = u32(v, r.order);
        break;
      case EPB_OPT.PROCESSID_THREADID:
        if (v.length === 8) {
          b.pid ??= u32(v, r.order);
          const tid = u32(v.subarray(4), r.order);
          if (tid !== 0) b.tid = tid;
        }
        break;
      case EPB_OPT.ATTRIBUTION:
        if (v.length === 4) {
          const a = u32(v, r.order);
          b.attribution = ATTRIBUTION[a] ?? `unknown(${a})`;
        }
        break;
      case EPB_OPT.NETNS:
        if (v.length === 4) b.netns = u32(v, r.order);
        break;
      case EPB_OPT.COMMENT:
        b.comment = text(v);
        break;
      case EPB_OPT.PACKET_ID:
        if (v.length === 8) b.packetId = u64(v, r.order);
        break;
      case EPB_OPT.START_NS:
        if (v.length === 8) b.startNs = u64(v, r.order);
        break;
      case EPB_OPT.SENDERS: {
        const n = entries(v, 12, o.code, off);
        b.senders = [];
        for (let i = 0; i < n; i++) {
          const e = v.subarray(i * 12);
          b.senders.push({ offset: u32(e, r.order), pid: u32(e.subarray(4), r.order), tid: u32(e.subarray(8), r.order) });
        }
        break;
      }
      case EPB_OPT.HOLDERS: {
        const n = entries(v, 4, o.code, off);
        b.holders = [];
        for (let i = 0; i < n; i++) b.holders.push(u32(v.subarray(i * 4), r.order));
        break;
      }
    }
  }
  return b;
}

function parseUse(r: Reader, off: number, end: number, section: number, length: number): UseBlock {
  if (off + 24 > end)
    throw new CaptureError(`damaged read/gain/lose block at offset ${off}: ${length} bytes is too short for its fixed part`, off);
  const options = parseOptions(r, off + 24, end, off);
  const b: UseBlock = {
    kind: 'use',
    offset: off,
    section,
    what: 'unknown(0)',
    connectionId: r.u32(off + 8),
    pid: r.u32(off + 12),
    timestampUs: ts(r, off + 16),
    options,
  };
  let via: number | undefined;
  for (const o of options) {
    const v = o.value;
    const n = v.length === 4 ? u32(v, r.order) : undefined;
    switch (o.code) {
      case USE_OPT.WHAT:
        if (n !== undefined)
          b.what = n === USE_WHAT.READ ? 'read' : n === USE_WHAT.GAIN ? 'gain' : n === USE_WHAT.LOSE ? 'lose' : `unknown(${n})`;
        break;
      case USE_OPT.SOCKET_ID:
        if (v.length === 8) b.socketId = sockId(v, r.order);
        break;
      case USE_OPT.TID:
        if (n !== undefined) b.tid = n;
        break;
      case USE_OPT.START_NS:
        if (v.length === 8) b.startNs = u64(v, r.order);
        break;
      case USE_OPT.VIA:
        if (n !== undefined) via = n;
        break;
      case USE_OPT.SEQ:
        if (v.length === 8) b.seq = { first: u32(v, r.order), end: u32(v.subarray(4), r.order) };
        break;
      case USE_OPT.READ_PACKET_ID:
        if (v.length === 8) b.readPacketId = u64(v, r.order);
        break;
      case USE_OPT.BYTES:
        if (n !== undefined) b.bytes = n;
        break;
    }
  }
  if (via !== undefined) {
    if (b.what === 'gain') b.via = via === GAIN_VIA.FORK ? 'fork' : via === GAIN_VIA.RECV ? 'recv' : `unknown(${via})`;
    else if (b.what === 'lose') b.via = via === LOSE_VIA.CLOSE ? 'close' : via === LOSE_VIA.EXIT ? 'exit' : `unknown(${via})`;
    else b.via = `unknown(${via})`;
  }
  b.socketId ??= b.connectionId.toString(16).padStart(16, '0');
  return b;
}

/** Number of fixed-size entries in a list option; a length that is not a multiple is damage. */
function entries(v: Buffer, size: number, code: number, blockOff: number): number {
  if (v.length % size !== 0) {
    throw new CaptureError(
      `damaged option ${code} in block at offset ${blockOff}: ${v.length} bytes is not a multiple of its ${size}-byte entries`,
      blockOff,
    );
  }
  return v.length / size;
}

function parseProcess(r: Reader, off: number, end: number, section: number, length: number): ProcessBlock {
  if (off + 20 > end)
    throw new CaptureError(`damaged process block at offset ${off}: ${length} bytes is too short for its fixed part`, off);
  const options = parseOptions(r, off + 20, end, off);
  const b: ProcessBlock = {
    kind: 'process',
    offset: off,
    section,
    event: 'exec',
    pid: r.u32(off + 8),
    timestampUs: ts(r, off + 12),
    snapshot: false,
    options,
  };
  for (const o of options) {
    const v = o.value;
    const n = v.length === 4 ? u32(v, r.order) : undefined;
    switch (o.code) {
      case PROCESS_OPT.EVENT:
        if (n === PROCESS_EVENT.FORK) b.event = 'fork';
        else if (n === PROCESS_EVENT.EXIT) b.event = 'exit';
        else if (n === PROCESS_EVENT.KTHD) b.event = 'kthread';
        else if (n === 0) b.event = 'exec';
        else if (n !== undefined) b.event = `unknown(${n})`;
        break;
      case PROCESS_OPT.PPID:
        if (n !== undefined) b.ppid = n;
        break;
      case PROCESS_OPT.UID:
        if (n !== undefined) b.uid = n;
        break;
      case PROCESS_OPT.GID:
        if (n !== undefined) b.gid = n;
        break;
      case PROCESS_OPT.TID:
        if (n !== undefined) b.tid = n;
        break;
      case PROCESS_OPT.EXIT_STATUS:
        if (n !== undefined) b.exitStatus = n;
        break;
      case PROCESS_OPT.NSPID:
        if (n !== undefined) b.nspid = n;
        break;
      case PROCESS_OPT.PIDNS:
        if (n !== undefined) b.pidns = n;
        break;
      case PROCESS_OPT.FLAGS:
        if (n !== undefined) b.snapshot = (n & PROCESS_FLAG.SNAPSHOT) !== 0;
        break;
      case PROCESS_OPT.START_NS:
        if (v.length === 8) b.startNs = u64(v, r.order);
        break;
      case PROCESS_OPT.EXE:
        b.exe = text(v);
        break;
      case PROCESS_OPT.ARGV:
        b.argv = splitArgv(v);
        break;
    }
  }
  return b;
}

function parseConnection(r: Reader, off: number, end: number, section: number, length: number): ConnectionBlock {
  if (off + 24 > end)
    throw new CaptureError(`damaged connection block at offset ${off}: ${length} bytes is too short for its fixed part`, off);
  const options = parseOptions(r, off + 24, end, off);
  const b: ConnectionBlock = {
    kind: 'connection',
    offset: off,
    section,
    event: 'open',
    connectionId: r.u32(off + 8),
    pid: r.u32(off + 12),
    timestampUs: ts(r, off + 16),
    snapshot: false,
    accepted: false,
    options,
  };
  for (const o of options) {
    const v = o.value;
    const n = v.length === 4 ? u32(v, r.order) : undefined;
    switch (o.code) {
      case CONNECTION_OPT.EVENT:
        if (n === CONNECTION_CLOSE) b.event = 'close';
        break;
      case CONNECTION_OPT.SOCKET_ID:
        if (v.length === 8) b.socketId = sockId(v, r.order);
        break;
      case CONNECTION_OPT.TID:
        if (n !== undefined) b.tid = n;
        break;
      case CONNECTION_OPT.FAMILY_TYPE_PROTO:
        if (v.length === 8) {
          const u16 = (i: number) => (r.order === 'le' ? v.readUInt16LE(i) : v.readUInt16BE(i));
          b.family = u16(0);
          b.type = u16(2);
          b.protocol = u16(4);
        }
        break;
      case CONNECTION_OPT.INODE:
        if (v.length === 8) b.inode = Number(u64(v, r.order));
        break;
      case CONNECTION_OPT.NETNS:
        if (n !== undefined) b.netns = n;
        break;
      case CONNECTION_OPT.FLAGS:
        if (n !== undefined) {
          b.snapshot = (n & CONNECTION_FLAG.SNAPSHOT) !== 0;
          b.accepted = (n & CONNECTION_FLAG.ACCEPTED) !== 0;
        }
        break;
    }
  }
  // 15.07 open blocks carry no option 257: the 32-bit connection id is all there is.
  b.socketId ??= b.connectionId.toString(16).padStart(16, '0');
  return b;
}

/** Options from `start` to `end` (the trailing length); stops at end-of-options. */
function parseOptions(r: Reader, start: number, end: number, blockOff: number): RawOption[] {
  const out: RawOption[] = [];
  let at = start;
  while (at + 4 <= end) {
    const code = r.u16(at);
    const len = r.u16(at + 2);
    if (code === OPT_END) break;
    if (at + 4 + len > end) {
      throw new CaptureError(
        `damaged option at offset ${at} (block at offset ${blockOff}): option ${code} says ${len} bytes, only ${end - at - 4} left in the block`,
        at,
      );
    }
    out.push({ code, value: r.buf.subarray(at + 4, at + 4 + len) });
    at += 4 + pad4(len);
  }
  return out;
}

function pad4(n: number): number {
  return (n + 3) & ~3;
}

function ts(r: Reader, at: number): bigint {
  return (BigInt(r.u32(at)) << 32n) | BigInt(r.u32(at + 4));
}

function u32(v: Buffer, order: ByteOrder): number {
  return order === 'le' ? v.readUInt32LE(0) : v.readUInt32BE(0);
}

function u64(v: Buffer, order: ByteOrder): bigint {
  return order === 'le' ? v.readBigUInt64LE(0) : v.readBigUInt64BE(0);
}

function sockId(v: Buffer, order: ByteOrder): string {
  const n = v.length === 8 ? u64(v, order) : BigInt(u32(v, order));
  return n.toString(16).padStart(16, '0');
}

function text(v: Buffer): string {
  let end = v.length;
  while (end > 0 && v[end - 1] === 0) end--;
  return v.subarray(0, end).toString('utf8');
}

function splitArgv(v: Buffer): string[] {
  const s = v.toString('utf8');
  const parts = s.split('\0');
  if (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
  return parts;
}

function hostId(v: Buffer, order: ByteOrder): SectionHeader['hostId'] {
  if (v.length === 20 && v[0] === 1) {
    const g = v.subarray(4);
    const d1 = order === 'le' ? g.readUInt32LE(0) : g.readUInt32BE(0);
    const d2 = order === 'le' ? g.readUInt16LE(4) : g.readUInt16BE(4);
    const d3 = order === 'le' ? g.readUInt16LE(6) : g.readUInt16BE(6);
    const d4 = g.subarray(8).toString('hex');
    const hex = (n: number, w: number) => n.toString(16).padStart(w, '0');
    return { form: 'guid', value: `${hex(d1, 8)}-${hex(d2, 4)}-${hex(d3, 4)}-${d4.slice(0, 4)}-${d4.slice(4)}` };
  }
  if (v.length === 16) return { form: 'guid', value: v.toString('hex') };
  return { form: 'string', value: text(v[0] === 0 ? v.subarray(1) : v) };
}
