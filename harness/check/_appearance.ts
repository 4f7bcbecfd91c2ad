// What the outgoing and incoming phases share: one slot per expected
// appearance of a tag (its sender's copy, its receiver's copy), filled by
// every packet that carries the tag in that direction (TCP retransmits: all
// copies are judged), and the rules every tagged copy obeys whichever way it
// goes: the socket, the network namespace, its socket's lifetime, time.
import type { PacketBlock } from '../capture/types.ts';
import type { Ctx } from './_context.ts';
import type { EventsResult } from './_events.ts';
import { sockName, who, type SockInfo } from './_model.ts';
import { outside, timeText, type Window } from './_time.ts';

export interface Slot {
  /** Capture indices of the copies judged. */
  judged: number[];
  /** What was wrong with them (the first is reported). */
  wrong: string[];
  /** Copies that are duplicates (a retransmission of bytes already read), reported only when nothing else was judged. */
  duplicates: string[];
}

export const newSlot = (): Slot => ({ judged: [], wrong: [], duplicates: [] });

/** Tally one slot per expected appearance: correct, wrong (its first reason), or missing. */
export function settle(ctx: Ctx, slots: Map<string, Slot>, missing: (key: string) => string): void {
  const { tally } = ctx;
  for (const [key, slot] of slots) {
    if (slot.judged.length === 0 && slot.duplicates.length > 0) tally.wrong('packets', slot.duplicates[0]!);
    else if (slot.judged.length === 0) tally.missing('packets', `missing packet: ${missing(key)}`);
    else if (slot.wrong.length > 0) tally.wrong('packets', slot.wrong[0]!);
    else tally.correct('packets');
  }
}

/** The packet is on `cookies` (one of them), with a direction. */
export function socketProblem(ctx: Ctx, b: PacketBlock, head: string, cookies: string[]): string | undefined {
  const { m } = ctx;
  const expected = cookies.length === 0 ? 'a socket the truth cannot name' : `socket ${cookies.join(' or ')}`;
  if (b.direction === 'unknown') return `${head} has no direction in epb_flags`;
  if (b.socketId === undefined) return `${head} has no socket (expected ${expected})`;
  if (!cookies.includes(b.socketId)) {
    const other = m.sockets.get(b.socketId);
    return `${head} attributed to socket ${b.socketId}${other ? ` (${sockName(other)} of ${who(m, other.creatorPid)})` : ' (not a scenario socket)'}, expected ${expected}`;
  }
  return undefined;
}

/** EPB option 260 is promised on every packet: the namespace of the socket it belongs to. */
export function netnsProblem(b: PacketBlock, so: SockInfo | undefined, head: string): string | undefined {
  if (b.netns === undefined) return `${head} has no network namespace (EPB option 260)`;
  if (so && b.netns !== so.netns) return `${head} is in network namespace ${b.netns}, its socket in ${so.netns}`;
  return undefined;
}

/** Not before `w.lo`, not after `w.hi`. */
export function timeProblem(ctx: Ctx, i: number, w: Window, head: string, what: string): string | undefined {
  const t = ctx.cap.time(i);
  if (t === undefined) return undefined;
  const side = outside(w, t);
  if (!side) return undefined;
  return `${head} ${side === 'before' ? `comes before ${what} began` : `comes after ${what} ended`}: ${timeText(t, w)}`;
}

/**
 * A tagged copy lies within its socket's life in the capture: after the
 * socket's live open block (unless the truth says the bytes arrived before
 * the socket was accepted) and before its close block.
 */
export function lifetimeProblem(ctx: Ctx, ev: EventsResult, so: SockInfo, i: number, tag: string, earlyOk: boolean): string | undefined {
  const life = ev.life.get(so.cookie);
  if (life?.open !== undefined && life.open > i && !earlyOk)
    return `out of causal order: packet with tag ${tag} comes before the open of its socket ${so.cookie}`;
  if (life?.close !== undefined && life.close < i)
    return `out of causal order: packet with tag ${tag} comes after the close of its socket ${so.cookie}`;
  return undefined;
}

/** The sender run (option 263) holding payload byte `offset`: the one with the greatest offset <= it. */
export function runAt(b: PacketBlock, offset: number): { offset: number; pid: number; tid: number } | undefined {
  let best: { offset: number; pid: number; tid: number } | undefined;
  for (const r of b.senders ?? []) if (r.offset <= offset && (!best || r.offset >= best.offset)) best = r;
  return best;
}

/** Is this ICMP packet the kernel's own copy (the echo request it answers, its echo reply)? */
export function kernelIcmp(ctx: Ctx, i: number): boolean {
  const b = ctx.cap.blocks[i] as PacketBlock;
  const p = ctx.cap.packet(i);
  if (!p || (p.protocol !== 1 && p.protocol !== 58)) return false;
  const request = p.icmpType === 8 || p.icmpType === 128;
  return b.direction === 'in' ? request : !request;
}
