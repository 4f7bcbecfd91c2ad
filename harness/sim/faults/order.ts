// Faults in the order and identity of process events: events written out
// of causal order (per-CPU buffers merged without ordering), and fork
// events that name the parent as the new process.
import type { SimEvent } from '../events.ts';
import { copyCapture, judged, type EventFault, type FaultContext } from './types.ts';

interface Pair {
  /** Index of the event that must come first, and of the one that must follow it. */
  first: number;
  later: number;
}

/** Causal pairs in the perfect capture that the checker's rules cover (RULES.md "Causal order"). */
function causalPairs(events: SimEvent[]): Pair[] {
  const pairs: Pair[] = [];
  const live = (e: SimEvent) => (e.kind === 'process' || e.kind === 'socket') && !e.snapshot && e.meta.scenario;
  const procs = new Map<number, number[]>();
  const opens = new Map<string, number>();
  const closes = new Map<string, number>();
  const packets = new Map<string, number[]>();
  events.forEach((e, i) => {
    if (e.kind === 'process' && live(e)) procs.set(e.pid, [...(procs.get(e.pid) ?? []), i]);
    if (e.kind === 'socket' && live(e)) (e.event === 'open' ? opens : closes).set(e.socketId, i);
    if (judged(e) && e.socketId) packets.set(e.socketId, [...(packets.get(e.socketId) ?? []), i]);
  });
  for (const list of procs.values()) for (let k = 1; k < list.length; k++) pairs.push({ first: list[k - 1]!, later: list[k]! });
  for (const id of new Set([...opens.keys(), ...closes.keys()])) {
    const open = opens.get(id);
    const close = closes.get(id);
    const ps = packets.get(id) ?? [];
    if (open !== undefined && close !== undefined) pairs.push({ first: open, later: close });
    if (open !== undefined && ps.length > 0) pairs.push({ first: open, later: ps[0]! });
    if (close !== undefined && ps.length > 0) pairs.push({ first: ps[ps.length - 1]!, later: close });
  }
  return pairs;
}

export const reorder: EventFault = {
  kind: 'events',
  name: 'reorder',
  models:
    "Events written out of causal order, as when per-CPU buffers are merged by arrival instead of by time: one event (an exit, a close, a packet) is written before the event it follows from (a fork or exec, an open, the socket's last packet).",
  appliesWhen: 'the capture has two causally ordered events of one process or one socket (fork/exec/exit, open/packet/close)',
  notApplicable: ({ perfect }) => (causalPairs(perfect.events).length > 0 ? undefined : 'no causally ordered pair of events'),
  expect: /out of causal order/,
  apply: (ctx: FaultContext) => {
    const pairs = causalPairs(ctx.perfect.events);
    const { first, later } = pairs[ctx.rng.int(0, pairs.length - 1)]!;
    const ev = [...ctx.perfect.events];
    const [moved] = ev.splice(later, 1);
    ev.splice(first, 0, moved!);
    return copyCapture(ctx.perfect, ev);
  },
};

export const swapParentChild: EventFault = {
  kind: 'events',
  name: 'swap-parent-child',
  models:
    'A fork hook that reads the wrong task (`current` is the parent in sched_process_fork): the fork block names the parent as the new process and the child as its parent.',
  appliesWhen: 'a fork happens after the capture started',
  notApplicable: ({ perfect }) =>
    perfect.events.some((e) => e.kind === 'process' && e.event === 'fork' && !e.snapshot && e.meta.scenario)
      ? undefined
      : 'no fork after the capture started',
  expect: /^missing fork of pid \d+ .* by pid \d+|fork of pid \d+ .*: parent is/,
  apply: (ctx) => {
    const c = copyCapture(ctx.perfect);
    for (const e of c.events) {
      if (e.kind !== 'process' || e.event !== 'fork' || e.snapshot || !e.meta.scenario) continue;
      [e.pid, e.ppid] = [e.ppid, e.pid];
      e.tid = e.pid;
    }
    return c;
  },
};
