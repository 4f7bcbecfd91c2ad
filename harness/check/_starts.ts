// Start times (kmod/FORMAT.md: with the pid, one process instance across
// pid reuse): process blocks and read/gain/lose blocks carry the process's
// start (option 259), packets attributed to a sender carry it with the pid
// of option 258 (EPB option 262). For a scenario process every one must be
// there, all alike, and inside the window of the fork step that made the
// process (the truth's side of it).
import type { PacketBlock, ProcessBlock, UseBlock } from '../capture/types.ts';
import type { Ctx } from './_context.ts';
import { who, window } from './_model.ts';
import { SLACK_US } from './_time.ts';

/** Block offset -> what is wrong with its start time. */
export type StartProblems = Map<number, string>;

export function startTimeProblems(ctx: Ctx, own: (i: number) => boolean): StartProblems {
  const { m, cap } = ctx;
  const out: StartProblems = new Map();
  type Item = { b: ProcessBlock | PacketBlock | UseBlock; start: bigint };
  const items = new Map<number, Item[]>();
  const name = (b: Item['b']) => (b.kind === 'process' ? `${b.event} block` : b.kind === 'use' ? `${b.what} block` : 'packet');
  const where = (b: Item['b']) => {
    const t =
      b.tid !== undefined && b.tid !== b.pid
        ? `, ${b.kind === 'packet' ? 'with' : 'written for'} thread ${b.tid}${m.tids.get(b.tid) ? ` (${m.tids.get(b.tid)})` : ''}`
        : '';
    return `${b.kind === 'packet' ? 'EPB option 262' : 'option 259'}${t}`;
  };
  cap.blocks.forEach((b, i) => {
    if (b.kind !== 'process' && b.kind !== 'packet' && b.kind !== 'use') return;
    const pid = b.pid;
    if (pid === undefined || !m.procs.has(pid) || !own(i)) return;
    if (b.kind === 'packet' && b.attribution !== 'sender' && b.attribution !== 'creator') return;
    if (b.startNs === undefined) {
      out.set(
        b.offset,
        `no start time for ${who(m, pid)} (${b.kind === 'packet' ? 'EPB option 262, promised with option 258' : 'option 259'})`,
      );
      return;
    }
    const list = items.get(pid) ?? items.set(pid, []).get(pid)!;
    list.push({ b, start: b.startNs });
  });
  for (const [pid, list] of items) {
    const proc = m.procs.get(pid)!;
    const ref = list.find((x) => x.b.kind === 'process' && x.b.event === 'fork') ?? list[0]!;
    const w = window(m, proc.forkStep);
    const us = Number(ref.start) / 1000;
    const outsideFork = us < w.lo - SLACK_US || us > w.hi + SLACK_US;
    for (const x of list) {
      if (x.start !== ref.start) {
        out.set(
          x.b.offset,
          `start time ${x.start} for ${who(m, pid)} (${where(x.b)}), but its ${name(ref.b)} at offset ${ref.b.offset} says ${ref.start}: a different process instance`,
        );
      } else if (outsideFork) {
        out.set(
          x.b.offset,
          `start time ${x.start} for ${who(m, pid)} (${where(x.b)}) is not inside its fork (step ${proc.forkStep.step}, ${(w.lo / 1000).toFixed(3)} to ${(w.hi / 1000).toFixed(3)} ms monotonic)`,
        );
      }
    }
  }
  return out;
}
