// The capture being judged, indexed once: block positions, decoded
// packets and the tags of this run in them, the snapshot at each section's
// head, every block's time on the runner's clock, and the read blocks.
import { decodePacket, type DecodedPacket } from '../capture/packet.ts';
import type { Block, Capture, HonetEvent } from '../capture/types.ts';
import { WhoRead } from '../capture/who-read.ts';
import { stepWindow } from './_time.ts';
import type { Model } from './_model.ts';

export interface TagAt {
  tag: string;
  /** Offset of the tag in the transport payload. */
  offset: number;
}

export class CaptureView {
  readonly blocks: readonly Block[];
  readonly reads: WhoRead;
  /** Indices of the blocks of each section's initial snapshot (process blocks and snapshot opens at its head). */
  readonly snapshot = new Set<number>();
  private readonly at = new Map<number, number>();
  private readonly decoded = new Map<number, DecodedPacket | undefined>();
  private readonly tagCache = new Map<number, TagAt[]>();
  private readonly m: Model;
  private readonly tagRe: RegExp;
  /** The wall-clock boot time (µs) the PCAP-NG's timestamps are based on. */
  readonly bootUs: number;

  constructor(capture: Capture, m: Model, honet?: HonetEvent[]) {
    this.m = m;
    this.blocks = capture.blocks;
    this.bootUs = streamBoot(capture.blocks, honet) ?? m.clock.bootUs;
    this.reads = new WhoRead(capture.blocks);
    this.tagRe = new RegExp(`<HT:${m.truth.runId}:(\\d{6})>`, 'g');
    capture.blocks.forEach((b, i) => this.at.set(b.offset, i));
    this.findSnapshots();
  }

  indexOf(offset: number): number {
    return this.at.get(offset)!;
  }

  packet(i: number): DecodedPacket | undefined {
    if (!this.decoded.has(i)) {
      const b = this.blocks[i];
      this.decoded.set(i, b?.kind === 'packet' ? decodePacket(b.data) : undefined);
    }
    return this.decoded.get(i);
  }

  /** The tags of this run in a packet's transport payload. */
  tags(i: number): TagAt[] {
    let t = this.tagCache.get(i);
    if (!t) {
      const p = this.packet(i);
      t = p ? [...p.payload.toString('latin1').matchAll(this.tagRe)].map((x) => ({ tag: x[0], offset: x.index })) : [];
      this.tagCache.set(i, t);
    }
    return t;
  }

  /** The block's time on the runner's monotonic clock (µs); undefined for blocks without one. */
  time(i: number): number | undefined {
    const b = this.blocks[i];
    return b && 'timestampUs' in b ? Number(b.timestampUs) - this.bootUs : undefined;
  }

  // --- internal ---

  /**
   * A section head's snapshot: after the SHB and IDB, the process blocks
   * stamped with their process's start (before the readers opened, so before the first live step began)
   * and the connection opens flagged snapshot; the first other block ends it.
   */
  private findSnapshots(): void {
    const steps = this.m.truth.steps;
    const first = steps[this.m.captureStart < 0 ? 0 : this.m.captureStart];
    const liveFrom = first ? stepWindow(this.m.truth, this.m.clock, first).lo : Infinity;
    let head = false;
    this.blocks.forEach((b, i) => {
      if (b.kind === 'section') {
        head = true;
        return;
      }
      // blocks of unknown types are skipped (pcapng's extension rule): they do not end the head
      if (!head || b.kind === 'interface' || b.kind === 'unknown') return;
      const t = this.time(i);
      if ((b.kind === 'process' && t !== undefined && t < liveFrom) || (b.kind === 'connection' && b.event === 'open' && b.snapshot)) {
        this.snapshot.add(i);
        return;
      }
      head = false;
    });
  }
}

/**
 * The boot time the sensor based the PCAP-NG's timestamps on (FORMAT.md:
 * taken when the reader opened, so its own estimate, off the true one by a
 * few µs, once 33): read off the text stream, whose times are monotonic ns
 * of the same events (packets paired by packet id). Without the text, the
 * truth's own estimate stands in (_time.ts).
 */
function streamBoot(blocks: readonly Block[], honet: HonetEvent[] | undefined): number | undefined {
  if (!honet) return undefined;
  const ns = new Map<bigint, bigint>();
  for (const h of honet) if (h.kind === 'packet' && h.packetId !== undefined) ns.set(h.packetId, h.timeNs);
  const diffs: number[] = [];
  for (const b of blocks) {
    if (b.kind !== 'packet' || b.packetId === undefined) continue;
    const t = ns.get(b.packetId);
    if (t !== undefined) diffs.push(Number(b.timestampUs) - Number(t / 1000n));
  }
  if (diffs.length === 0) return undefined;
  diffs.sort((a, b) => a - b);
  return diffs[Math.floor(diffs.length / 2)];
}
