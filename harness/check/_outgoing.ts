// Phase 2: outgoing data. Every tagged send must leave in the capture on
// the sending socket, labelled sender, naming the thread that wrote the
// tag's bytes (the sender run of option 263 that holds the tag, or options
// 258/8), no earlier than the send step began. The kernel's own outgoing
// ICMP (echo replies) names no process.
import type { PacketBlock } from '../capture/types.ts';
import type { Ctx } from './_context.ts';
import type { EventsResult } from './_events.ts';
import { kernelIcmp, lifetimeProblem, netnsProblem, newSlot, runAt, settle, socketProblem, timeProblem, type Slot } from './_appearance.ts';
import { who, window, type SendInfo } from './_model.ts';

export function judgeOutgoing(ctx: Ctx, ev: EventsResult): void {
  const { m, cap, tally } = ctx;
  const slots = new Map<string, Slot>();
  for (const tag of m.sends.keys()) slots.set(tag, newSlot());
  cap.blocks.forEach((b, i) => {
    if (b.kind !== 'packet' || b.direction !== 'out') return;
    const tags = cap.tags(i);
    if (tags.length === 0) return;
    if (kernelIcmp(ctx, i)) {
      if (b.pid !== undefined || (b.attribution !== 'none' && b.attribution !== undefined)) {
        tally.wrong(
          'packets',
          `the kernel's echo reply at offset ${b.offset} names ${b.pid !== undefined ? who(m, b.pid, b.tid) : 'nobody'} labelled ${b.attribution}: the kernel sent it, no process did (expected none)`,
        );
      }
      return;
    }
    for (const { tag, offset } of tags) {
      const send = m.sends.get(tag);
      const slot = slots.get(tag);
      if (!send || !slot) {
        tally.unmatched++;
        tally.note(`packet at offset ${b.offset} with tag ${tag} matches no send of the scenario after the capture started`);
        continue;
      }
      slot.judged.push(i);
      const start = ev.starts.get(b.offset);
      const why =
        judgeSender(ctx, b, send, tag, offset) ??
        timeProblem(
          ctx,
          i,
          { lo: window(m, send.step).lo, hi: Infinity },
          `outgoing packet with tag ${tag} at offset ${b.offset}`,
          `its send (step ${send.step.step})`,
        ) ??
        lifetimeProblem(ctx, ev, send.sock, i, tag, false) ??
        (start !== undefined ? `outgoing packet with tag ${tag} at offset ${b.offset}: ${start}` : undefined);
      if (why) slot.wrong.push(why);
    }
    ev.starts.delete(b.offset);
  });
  settle(ctx, slots, (tag) => {
    const send = m.sends.get(tag)!;
    return `outgoing packet with tag ${tag} sent by ${who(m, send.step.pid, send.step.tid)} on socket ${send.sock.cookie} (step ${send.step.step}) is not in the capture`;
  });
}

// --- internal ---

function judgeSender(ctx: Ctx, b: PacketBlock, send: SendInfo, tag: string, offset: number): string | undefined {
  const { m } = ctx;
  const st = send.step;
  const head = `outgoing packet with tag ${tag} sent by ${who(m, st.pid, st.tid)}`;
  const how = b.attribution ? ` (by ${b.attribution})` : '';
  const wrong = socketProblem(ctx, b, head, [send.sock.cookie]);
  if (wrong) return wrong;
  const run = runAt(b, offset);
  const inRun = run ? ` in the sender run at payload offset ${run.offset} (option 263)` : '';
  const pid = run ? run.pid : b.pid;
  const tid = run ? run.tid : b.tid;
  if (pid === undefined) return `${head} has no process${how}`;
  const creator = pid === send.sock.creatorPid ? ", the socket's creator" : '';
  if (pid !== st.pid) return `${head} attributed to ${who(m, pid)}${creator}${how}${inRun}`;
  if (tid === undefined || tid === 0) return `${head} has no thread id (EPB option 8)${how}`;
  if (tid !== st.tid) return `${head} attributed to thread ${tid}${m.tids.get(tid) ? ` (${m.tids.get(tid)})` : ''}${how}${inRun}`;
  if (b.attribution !== 'sender') return `${head} is labelled ${b.attribution ?? 'nothing (no EPB option 259)'}, expected sender (259 = 2)`;
  return netnsProblem(b, send.sock, head);
}
