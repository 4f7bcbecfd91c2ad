// Phase 3: incoming data. Every tagged send must arrive in the capture on
// the socket the truth says it reached (the TCP peer; the UDP socket it was
// sent to; for raw sockets one that gets a copy), labelled reader, naming no
// process or the reader; the read block after it that covers the tag's
// first byte must name the thread that read it, and nobody's when nobody
// read it. It arrives after its send began and, when read, before that
// read ended. The kernel's own incoming ICMP (echo requests) names no process.
import type { PacketBlock } from '../capture/types.ts';
import { byteSeq } from '../capture/who-read.ts';
import type { Ctx } from './_context.ts';
import type { EventsResult } from './_events.ts';
import { kernelIcmp, lifetimeProblem, netnsProblem, newSlot, settle, socketProblem, timeProblem, type Slot } from './_appearance.ts';
import { who, window, type Delivery, type RecvInfo } from './_model.ts';

export function judgeIncoming(ctx: Ctx, ev: EventsResult): void {
  const { m, cap, tally } = ctx;
  const slots = new Map<string, Slot>();
  for (const tag of m.deliveries.keys()) slots.set(tag, newSlot());
  cap.blocks.forEach((b, i) => {
    if (b.kind !== 'packet' || b.direction !== 'in') return;
    const tags = cap.tags(i);
    if (tags.length === 0) return;
    if (kernelIcmp(ctx, i)) {
      if (b.pid !== undefined || (b.attribution !== 'none' && b.attribution !== undefined)) {
        tally.wrong(
          'packets',
          `the echo request at offset ${b.offset}, which the kernel answers, names ${b.pid !== undefined ? who(m, b.pid, b.tid) : 'nobody'} labelled ${b.attribution}: expected none`,
        );
      }
      return;
    }
    for (const { tag, offset } of tags) {
      const d = m.deliveries.get(tag);
      const slot = slots.get(tag);
      if (!d || !slot) continue; // outgoing phase notes tags of no send
      const reader = d.readers.find((r) => r.sock.cookie === b.socketId) ?? d.readers[0];
      const covered = cap.reads.readersOf(i, offset);
      const earlier = covered.length === 0 ? cap.reads.readBefore(i, offset)[0] : undefined;
      if (reader && earlier && b.socketId === reader.sock.cookie) {
        // a retransmission of bytes already read: judged only if no other copy is
        slot.duplicates.push(
          `incoming packet with tag ${tag} read by ${who(m, reader.step.pid, reader.step.tid)}: no read block covers it after the packet (offset ${b.offset}); the read block at offset ${earlier.block.offset} before it does`,
        );
        continue;
      }
      slot.judged.push(i);
      const why =
        judgeReceiver(ctx, b, i, d, reader, tag, offset, covered) ??
        timeProblem(
          ctx,
          i,
          { lo: window(m, d.send.step).lo, hi: reader ? window(m, reader.step).hi : Infinity },
          `incoming packet with tag ${tag} at offset ${b.offset}`,
          reader
            ? `its send (step ${d.send.step.step}) or after the read of it (step ${reader.step.step})`
            : `its send (step ${d.send.step.step})`,
        ) ??
        lifetimeCheck(ctx, ev, d, b, i, tag);
      if (why) slot.wrong.push(why);
    }
  });
  settle(ctx, slots, (tag) => {
    const d = m.deliveries.get(tag)!;
    const r = d.readers[0];
    return r
      ? `incoming packet with tag ${tag} read by ${who(m, r.step.pid, r.step.tid)} on socket ${r.sock.cookie} (step ${r.step.step}) is not in the capture`
      : `incoming packet with tag ${tag} (sent at step ${d.send.step.step}, read by nobody) on socket ${d.dest.join(' or ') || '(none known)'} is not in the capture`;
  });
}

// --- internal ---

function judgeReceiver(
  ctx: Ctx,
  b: PacketBlock,
  i: number,
  d: Delivery,
  reader: RecvInfo | undefined,
  tag: string,
  offset: number,
  covered: ReturnType<Ctx['cap']['reads']['readersOf']>,
): string | undefined {
  const { m } = ctx;
  const st = reader?.step;
  const head = st
    ? `incoming packet with tag ${tag} read by ${who(m, st.pid, st.tid)}`
    : `incoming packet with tag ${tag} (read by nobody)`;
  const how = b.attribution ? ` (by ${b.attribution})` : '';
  const wrong = socketProblem(ctx, b, head, d.dest);
  if (wrong) return wrong;
  const so = m.sockets.get(b.socketId!);
  const creator = so && b.pid === so.creatorPid ? ", the socket's creator" : '';
  if (b.pid !== undefined && (!st || b.pid !== st.pid)) return `${head} attributed to ${who(m, b.pid)}${creator}${how}`;
  if (st && b.tid !== undefined && b.pid !== undefined && b.tid !== st.tid)
    return `${head} attributed to thread ${b.tid}${m.tids.get(b.tid) ? ` (${m.tids.get(b.tid)})` : ''}${how}`;
  if (b.attribution !== 'reader') return `${head} is labelled ${b.attribution ?? 'nothing (no EPB option 259)'}, expected reader (259 = 3)`;
  const r = covered[0];
  if (!st) {
    if (r)
      return `${head}: the read block at offset ${r.block.offset} of ${who(m, r.block.pid, r.block.tid)} covers it, but the truth has no read of it`;
    return netnsProblem(b, so, head);
  }
  if (!r) {
    const seq = byteSeq(b, offset);
    const what =
      seq !== undefined
        ? `TCP sequence number ${seq}`
        : b.packetId !== undefined
          ? `packet id ${b.packetId}`
          : 'it (the packet has no packet id, EPB option 261)';
    return `${head}: no read block covers ${what} on socket ${b.socketId} after the packet (offset ${b.offset}, block ${i})`;
  }
  if (r.block.pid !== st.pid)
    return `${head}: the read block at offset ${r.block.offset} that covers it names ${who(m, r.block.pid, r.block.tid)}`;
  if (r.block.tid !== st.tid)
    return `${head}: the read block at offset ${r.block.offset} that covers it names thread ${r.block.tid ?? '? (no option 258)'}${r.block.tid !== undefined && m.tids.get(r.block.tid) ? ` (${m.tids.get(r.block.tid)})` : ''}`;
  return netnsProblem(b, so, head);
}

/** Bytes that arrived before the server accepted the connection come before the accepted socket's open block. */
function lifetimeCheck(ctx: Ctx, ev: EventsResult, d: Delivery, b: PacketBlock, i: number, tag: string): string | undefined {
  const so = b.socketId === undefined ? undefined : ctx.m.sockets.get(b.socketId);
  if (!so) return undefined;
  const early = so.accepted && d.send.step.step < so.openStep.step;
  return lifetimeProblem(ctx, ev, so, i, tag, early);
}
