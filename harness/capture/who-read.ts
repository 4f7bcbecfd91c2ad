// "Which thread read this inbound packet's bytes?" (kmod/FORMAT.md, EPB
// attribution 3 and the read block). An inbound data packet names no
// process; the read blocks written later, on the same socket, do: a stream
// read names the TCP sequence numbers [first, end) it consumed, a datagram
// read the packet id of the datagram. The answer is every read block on the
// packet's socket, after the packet in capture order, that covers the byte.
import { IPPROTO } from './constants.ts';
import { decodePacket } from './packet.ts';
import type { Block, PacketBlock, UseBlock } from './types.ts';

/** A read block and where it is in the capture. */
export interface ReadAt {
  index: number;
  block: UseBlock;
}

/** Read blocks of a capture by socket, for answering many packets at once. */
export class WhoRead {
  private readonly blocks: readonly Block[];
  private readonly bySocket = new Map<string, ReadAt[]>();

  constructor(blocks: readonly Block[]) {
    this.blocks = blocks;
    for (const [index, b] of blocks.entries()) {
      if (b.kind !== 'use' || b.what !== 'read' || b.socketId === undefined) continue;
      const list = this.bySocket.get(b.socketId);
      if (list) list.push({ index, block: b });
      else this.bySocket.set(b.socketId, [{ index, block: b }]);
    }
  }

  /**
   * The read blocks that consumed the byte at `offset` of the transport
   * payload of the packet at `blocks[packetIndex]`, in capture order. Empty
   * when the block is not an inbound packet with a socket, or nobody read the
   * byte (yet). TCP: by sequence number, modulo 2^32; other protocols: by the
   * packet id (EPB option 261), whatever the offset.
   */
  readersOf(packetIndex: number, offset = 0): ReadAt[] {
    return this.covering(packetIndex, offset, 'after');
  }

  /**
   * Read blocks BEFORE the packet that already consumed that byte: an inbound
   * segment whose bytes were read before it arrived is a duplicate (a TCP
   * retransmission the kernel drops), not data anybody reads.
   */
  readBefore(packetIndex: number, offset = 0): ReadAt[] {
    return this.covering(packetIndex, offset, 'before');
  }

  private covering(packetIndex: number, offset: number, when: 'before' | 'after'): ReadAt[] {
    const b = this.blocks[packetIndex];
    if (b?.kind !== 'packet' || b.direction !== 'in' || b.socketId === undefined) return [];
    const later = (this.bySocket.get(b.socketId) ?? []).filter((r) => (when === 'after' ? r.index > packetIndex : r.index < packetIndex));
    if (later.length === 0) return [];
    const seq = byteSeq(b, offset);
    if (seq !== undefined) return later.filter((r) => r.block.seq !== undefined && seqCovers(r.block.seq, seq));
    if (b.packetId === undefined) return [];
    return later.filter((r) => r.block.readPacketId === b.packetId);
  }

  /**
   * The read blocks that consumed any byte of the packet at
   * `blocks[packetIndex]` (TCP: whose range meets the segment's payload
   * range; datagrams: by packet id), in capture order.
   */
  readersOfPacket(packetIndex: number): ReadAt[] {
    const b = this.blocks[packetIndex];
    if (b?.kind !== 'packet' || b.direction !== 'in' || b.socketId === undefined) return [];
    const later = (this.bySocket.get(b.socketId) ?? []).filter((r) => r.index > packetIndex);
    const first = byteSeq(b, 0);
    if (first === undefined) return b.packetId === undefined ? [] : later.filter((r) => r.block.readPacketId === b.packetId);
    const len = decodePacket(b.data)?.payloadLength ?? 0;
    if (len === 0) return [];
    const seg = { first, end: (first + len) >>> 0 };
    return later.filter((r) => r.block.seq !== undefined && (seqCovers(r.block.seq, first) || seqCovers(seg, r.block.seq.first)));
  }
}

/** One-off form of WhoRead#readersOf. */
export function whoRead(blocks: readonly Block[], packetIndex: number, offset = 0): ReadAt[] {
  return new WhoRead(blocks).readersOf(packetIndex, offset);
}

/** Does [first, end) modulo 2^32 contain seq? (first === end: nothing.) */
export function seqCovers(range: { first: number; end: number }, seq: number): boolean {
  const len = (range.end - range.first) >>> 0;
  return (seq - range.first) >>> 0 < len;
}

/**
 * TCP sequence number of payload byte `offset` of a TCP packet, modulo 2^32
 * (a SYN takes one number before the data); undefined for other protocols.
 */
export function byteSeq(b: PacketBlock, offset: number): number | undefined {
  const p = decodePacket(b.data);
  if (p?.protocol !== IPPROTO.TCP || p.tcpSeq === undefined) return undefined;
  const syn = p.tcpFlags?.includes('S') ? 1 : 0;
  return (p.tcpSeq + syn + offset) >>> 0;
}
