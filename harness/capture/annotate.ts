// `hone read FILE --annotate OUT`: a copy of a capture in which every
// packet's first comment says who it is about, resolved over the whole
// file (readers from the read blocks after the packet, holders from option
// 264, senders and their runs), each process with its executable, so that
// plain Wireshark shows it in the packet comment:
//
//   hone: sender pid 171 tid 171 (/usr/bin/curl); sock 0x0000000000000014
//   hone: senders pid 171 tid 171 (/usr/bin/a) at 0, pid 172 tid 172 (/usr/bin/a) at 40; sock 0x...
//   hone: read by pid 170 tid 170 (/usr/sbin/nginx); sock 0x...
//   hone: read by nobody; sock 0x...
//   hone: holders pid 171 (/usr/bin/curl), pid 172 (?); sock 0x...
//   hone: holders none; sock 0x...
//   hone: no process; sock 0x...        hone: no socket
//
// Everything else is copied byte for byte; the sensor's own comment stays,
// after the annotation. An earlier annotation ("hone: ...") is replaced.
import { BLOCK, OPT_COMMENT, OPT_END } from './constants.ts';
import { packetParties, type PacketParties, type Party } from './parties.ts';
import { readPcapng } from './pcapng.ts';
import type { ByteOrder, PacketBlock, RawOption } from './types.ts';

export const ANNOTATION_PREFIX = 'hone: ';

/** The annotation of one packet (without a trailing newline). */
export function annotation(p: PacketParties): string {
  const sock = p.socketId !== undefined ? `; sock 0x${p.socketId}` : '';
  if (p.socketId === undefined && p.parties.length === 0) return `${ANNOTATION_PREFIX}no socket`;
  const list = (xs: Party[], at: boolean) =>
    xs.map((x) => `${partyText(x)}${at && x.offset !== undefined ? ` at ${x.offset}` : ''}`).join(', ');
  let who: string;
  if (p.role === 'reader' && p.parties.every((x) => x.offset === undefined)) {
    who = p.parties.length > 0 ? `read by ${list(p.parties, false)}` : 'read by nobody';
  } else if (p.role === 'holder') {
    who = p.parties.length > 0 ? `holders ${list(p.parties, false)}` : 'holders none';
  } else if (p.parties.length > 1) {
    who = `senders ${list(p.parties, true)}`;
  } else if (p.parties.length === 1) {
    who = `${p.role === 'creator' ? 'creator' : 'sender'} ${list(p.parties, false)}`;
  } else {
    who = 'no process';
  }
  return `${ANNOTATION_PREFIX}${who}${sock}`;
}

/** The annotated copy of a PCAP-NG capture, and how many packets it annotated. */
export function annotatePcapng(buf: Buffer): { out: Buffer; packets: number } {
  const { blocks } = readPcapng(buf);
  const parties = packetParties(blocks);
  const parts: Buffer[] = [];
  let order: ByteOrder = 'le';
  let packets = 0;
  for (const [i, b] of blocks.entries()) {
    if (b.kind === 'section') order = b.byteOrder;
    const length = order === 'le' ? buf.readUInt32LE(b.offset + 4) : buf.readUInt32BE(b.offset + 4);
    if (b.kind !== 'packet') {
      parts.push(buf.subarray(b.offset, b.offset + length));
      continue;
    }
    parts.push(rewritePacket(buf, b, order, annotation(parties.get(i)!)));
    packets++;
  }
  return { out: Buffer.concat(parts), packets };
}

// --- internal ---

function partyText(p: Party): string {
  return `pid ${p.pid}${p.tid !== undefined ? ` tid ${p.tid}` : ''} (${p.exe ?? '?'})`;
}

/** The EPB with `comment` as its first option and any earlier annotation dropped. */
function rewritePacket(buf: Buffer, b: PacketBlock, order: ByteOrder, comment: string): Buffer {
  const dataEnd = b.offset + 28 + pad4(b.capturedLength);
  const fixed = buf.subarray(b.offset + 8, dataEnd);
  const kept = b.options.filter((o) => !(o.code === OPT_COMMENT && o.value.toString('utf8').startsWith(ANNOTATION_PREFIX)));
  // an option holds at most 65535 bytes
  const value = Buffer.from(comment, 'utf8').subarray(0, 65535);
  const options = encodeOptions([{ code: OPT_COMMENT, value }, ...kept], order);
  const total = 8 + fixed.length + options.length + 4;
  const head = Buffer.alloc(8);
  const tail = Buffer.alloc(4);
  if (order === 'le') {
    head.writeUInt32LE(BLOCK.EPB, 0);
    head.writeUInt32LE(total, 4);
    tail.writeUInt32LE(total, 0);
  } else {
    head.writeUInt32BE(BLOCK.EPB, 0);
    head.writeUInt32BE(total, 4);
    tail.writeUInt32BE(total, 0);
  }
  return Buffer.concat([head, fixed, options, tail]);
}

function encodeOptions(options: RawOption[], order: ByteOrder): Buffer {
  const parts: Buffer[] = [];
  for (const o of [...options, { code: OPT_END, value: Buffer.alloc(0) }]) {
    const h = Buffer.alloc(4);
    if (order === 'le') {
      h.writeUInt16LE(o.code, 0);
      h.writeUInt16LE(o.value.length, 2);
    } else {
      h.writeUInt16BE(o.code, 0);
      h.writeUInt16BE(o.value.length, 2);
    }
    parts.push(h, o.value, Buffer.alloc(pad4(o.value.length) - o.value.length));
  }
  return Buffer.concat(parts);
}

function pad4(n: number): number {
  return (n + 3) & ~3;
}
