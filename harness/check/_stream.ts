// Phase 0: the capture as a stream of records, whatever they are about.
// A section head (SHB) is needed; every packet has its packet id and no
// packet id appears twice; no block is written twice; with the format's
// promise of merged per-CPU rings, live records come in non-decreasing
// timestamp order (a drop marker may stand between them). Ring drops (the
// ISB counters, a drop ISB in the middle of a section) are reported.
import { createHash } from 'node:crypto';
import type { Block } from '../capture/types.ts';
import type { Ctx } from './_context.ts';

export function judgeStream(ctx: Ctx): void {
  const { cap, tally } = ctx;
  const blocks = cap.blocks;
  if (!blocks.some((b) => b.kind === 'section')) tally.problem('the capture has no Section Header Block');
  drops(ctx);
  const ids = new Map<bigint, number>();
  const seen = new Map<string, number>();
  let lastLive: { t: bigint; offset: number } | undefined;
  const order: string[] = [];
  blocks.forEach((b, i) => {
    if (b.kind === 'section') lastLive = undefined;
    if (b.kind === 'packet') {
      if (b.packetId === undefined)
        tally.problem(`packet at offset ${b.offset} has no packet id (EPB option 261, promised on every packet)`);
      else if (ids.has(b.packetId))
        tally.problem(
          `packet id ${b.packetId} appears twice: at offset ${ids.get(b.packetId)} and at offset ${b.offset} (one packet written twice)`,
        );
      else ids.set(b.packetId, b.offset);
    }
    const key = identity(b);
    if (key !== undefined) {
      const first = seen.get(key);
      if (first !== undefined)
        tally.problem(`the ${label(b)} at offset ${b.offset} is the same block as the one at offset ${first} (a record written twice)`);
      else seen.set(key, b.offset);
    }
    if (!ctx.promises.monotonicTimestamps || cap.snapshot.has(i) || b.kind === 'stats' || !('timestampUs' in b)) return;
    if (lastLive && b.timestampUs < lastLive.t) {
      order.push(
        `the ${label(b)} at offset ${b.offset} is stamped ${b.timestampUs} µs, before the record at offset ${lastLive.offset} (${lastLive.t} µs)`,
      );
    }
    if (!lastLive || b.timestampUs >= lastLive.t) lastLive = { t: b.timestampUs, offset: b.offset };
  });
  if (order.length > 0) {
    tally.problem(
      `timestamps run backwards in ${order.length} place${order.length === 1 ? '' : 's'} (the format promises non-decreasing timestamps within a section): ${order.slice(0, 3).join('; ')}`,
    );
  }
}

// --- internal ---

/** What a block says, byte for byte (fixed fields, options, packet data); undefined for blocks repeated by design. */
function identity(b: Block): string | undefined {
  if (b.kind !== 'packet' && b.kind !== 'process' && b.kind !== 'connection' && b.kind !== 'use') return undefined;
  const h = createHash('sha1');
  h.update(`${b.kind} ${b.timestampUs} ${'pid' in b ? b.pid : ''} ${b.kind === 'connection' ? b.connectionId : ''}`);
  for (const o of b.options) {
    h.update(`|${o.code}:`);
    h.update(o.value);
  }
  if (b.kind === 'packet') h.update(b.data);
  return h.digest('hex');
}

function label(b: Block): string {
  switch (b.kind) {
    case 'packet':
      return `packet${b.packetId !== undefined ? ` (id ${b.packetId})` : ''}`;
    case 'process':
      return `${b.event} block`;
    case 'connection':
      return `${b.event} block`;
    case 'use':
      return `${b.what} block`;
    default:
      return `${b.kind} block`;
  }
}

/** ISB option 265: what the statistics block is (kmod/pcapng.h). */
const ISB_LOSS = 1n;

/**
 * ISB counters (options 7, 259, 263 of the section's totals: this reader's
 * ring was full) and drop records in the middle of a section (an ISB with
 * option 265 = 1, the loss: 266-268 events lost per class, 269 the ring).
 */
function drops(ctx: Ctx): void {
  const { cap, tally } = ctx;
  const blocks = cap.blocks;
  if (!blocks.some((b) => b.kind === 'stats'))
    tally.note('the capture has no Interface Statistics Block: the reader did not end its section cleanly');
  blocks.forEach((b, i) => {
    if (b.kind !== 'stats') return;
    const next = blocks[i + 1];
    const loss = b.counters[265] === ISB_LOSS || (next !== undefined && next.kind !== 'section');
    const d = (
      loss && b.counters[266] !== undefined
        ? [b.counters[266], b.counters[267], b.counters[268]]
        : [b.counters[7], b.counters[259], b.counters[263]]
    ).map((x) => Number(x ?? 0n));
    if (d.some((x) => x > 0) || loss) {
      tally.note(
        `${loss ? `drop record (ISB in the middle of the section) at offset ${b.offset}${b.counters[269] !== undefined ? `, ring ${b.counters[269]}` : ''}: ` : ''}the reader's ring was full: ${d[0]} packets, ${d[1]} process events, ${d[2]} socket events dropped`,
      );
    }
  });
}
