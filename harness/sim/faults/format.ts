// Faults in the bytes of the PCAP-NG file. A correct reader must reject a
// damaged file naming the offset (never judge half a capture), and must
// skip blocks of types it does not know (pcapng's extension rule).
import { BLOCK } from '../../capture/constants.ts';
import type { ByteOrder } from '../../capture/types.ts';
import type { Rng } from '../rng.ts';
import type { BytesFault } from './types.ts';

interface BlockAt {
  offset: number;
  type: number;
  length: number;
}

function blocks(buf: Buffer, order: ByteOrder): BlockAt[] {
  const out: BlockAt[] = [];
  const u32 = (at: number) => (order === 'le' ? buf.readUInt32LE(at) : buf.readUInt32BE(at));
  for (let off = 0; off + 12 <= buf.length;) {
    const length = u32(off + 4);
    out.push({ offset: off, type: u32(off), length });
    off += length;
  }
  return out;
}

/** A block after the section head, chosen by the seed. */
function someBlock(buf: Buffer, order: ByteOrder, rng: Rng, type?: number): BlockAt {
  const all = blocks(buf, order).filter((b) => b.type !== BLOCK.SHB && b.type !== BLOCK.IDB && (type === undefined || b.type === type));
  return all[rng.int(0, all.length - 1)]!;
}

const always = () => undefined;

export const truncatedBlock: BytesFault = {
  kind: 'bytes',
  name: 'truncated-block',
  models: 'A capture cut short (the reader killed, the disk full): the file ends in the middle of a block.',
  appliesWhen: 'always',
  notApplicable: always,
  mustPass: false,
  expect: /truncated block at offset \d+/,
  apply: (buf, order, rng) => {
    const b = someBlock(buf, order, rng);
    return Buffer.from(buf.subarray(0, b.offset + Math.max(12, Math.floor(b.length / 2))));
  },
};

export const wrongTrailingLength: BytesFault = {
  kind: 'bytes',
  name: 'wrong-trailing-length',
  models:
    'A writer that fills in the block length before the options are final: the trailing length of one block differs from its leading length.',
  appliesWhen: 'always',
  notApplicable: always,
  mustPass: false,
  expect: /damaged block at offset \d+: leading length \d+ differs from trailing length \d+/,
  apply: (buf, order, rng) => {
    const b = someBlock(buf, order, rng, BLOCK.EPB);
    const out = Buffer.from(buf);
    const at = b.offset + b.length - 4;
    if (order === 'le') out.writeUInt32LE(b.length - 4, at);
    else out.writeUInt32BE(b.length - 4, at);
    return out;
  },
};

export const wrongByteOrderMarker: BytesFault = {
  kind: 'bytes',
  name: 'wrong-byte-order-marker',
  models:
    'A section header whose byte-order magic is wrong (a writer that stores it through the wrong field or converts it twice), so no reader can tell the byte order.',
  appliesWhen: 'always',
  notApplicable: always,
  mustPass: false,
  expect: /damaged Section Header Block at offset 0: byte-order magic is 0x[0-9a-f]+, expected 0x1a2b3c4d/,
  apply: (buf) => {
    const out = Buffer.from(buf);
    // neither 0x1a2b3c4d nor its byte swap: the low byte of the magic is off by one
    out[8] = out[8]! ^ 0x01;
    return out;
  },
};

/** Block types no Hone reader knows: a local-use type, a future Hone type (0x103 is the read/gain/lose block now), an unassigned one. */
export const UNKNOWN_TYPES = [0x80000001, 0x00000104, 0x00000bad];

export const unknownBlocks: BytesFault = {
  kind: 'bytes',
  name: 'unknown-blocks',
  models:
    'A newer sensor (or another tool) writing block types this reader does not know (local-use 0x80000001, a future Hone 0x104, 0xbad), between known ones: they must be skipped, and the capture judged as if they were not there.',
  appliesWhen: 'always',
  notApplicable: always,
  mustPass: true,
  apply: (buf, order, rng) => {
    const bs = blocks(buf, order).filter((b) => b.type !== BLOCK.SHB);
    const parts: Buffer[] = [];
    let last = 0;
    const at = new Set([bs[0]!.offset + bs[0]!.length, ...bs.filter(() => rng.next() < 0.1).map((b) => b.offset)]);
    for (const off of [...at].sort((a, b) => a - b)) {
      parts.push(buf.subarray(last, off), unknownBlock(UNKNOWN_TYPES[rng.int(0, UNKNOWN_TYPES.length - 1)]!, rng.int(0, 40), order));
      last = off;
    }
    parts.push(buf.subarray(last));
    return Buffer.concat(parts);
  },
};

function unknownBlock(type: number, bodyLength: number, order: ByteOrder): Buffer {
  const body = (bodyLength + 3) & ~3;
  const b = Buffer.alloc(12 + body, 0x5a);
  const w = (v: number, at: number) => (order === 'le' ? b.writeUInt32LE(v, at) : b.writeUInt32BE(v, at));
  w(type, 0);
  w(b.length, 4);
  w(b.length, b.length - 4);
  return b;
}
