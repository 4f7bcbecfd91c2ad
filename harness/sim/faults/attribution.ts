// Faults in who a packet is attributed to (or whether it gets a socket).
import type { PacketEvent, SimCapture } from '../events.ts';
import { copyCapture, dueTo, judged, labelWith, withoutUseBlocks, type EventFault, type FaultContext } from './types.ts';

/** Is a judged packet due to some thread other than `w`? */
const differs = (e: PacketEvent, w: { pid: number; tid: number } | undefined) =>
  !!w && dueTo(e).some((d) => d.pid !== w.pid || d.tid !== w.tid);

function rewrite(ctx: FaultContext, f: (e: PacketEvent, c: SimCapture) => void): SimCapture {
  const c = copyCapture(ctx.perfect);
  for (const e of c.events) if (e.kind === 'packet') f(e, c);
  return c;
}

export const creatorOnly: EventFault = {
  kind: 'events',
  name: 'creator-only',
  models:
    "Hone 15.07's attribution (and the sensor before the [attribution] work): every packet of a socket carries the pid and tid of the thread that created the socket (EPB option 259 = 1), whoever sent or read it; no read, gain or lose blocks, no holder lists.",
  appliesWhen: "a judged packet is sent or read by a thread other than its socket's creator (fork, exec, SCM_RIGHTS, threads)",
  notApplicable: ({ perfect }) =>
    perfect.events.some((e) => judged(e) && differs(e, e.meta.creator))
      ? undefined
      : "every judged packet is sent or read by its socket's creator",
  expect: /(sent|read) by pid \d+ .*attributed to (pid \d+ .*the socket's creator|thread \d+)/,
  apply: (ctx) =>
    withoutUseBlocks(
      rewrite(ctx, (e) => {
        if (e.meta.creator) labelWith(e, e.meta.creator, 'creator');
      }),
    ),
};

export const lastUser: EventFault = {
  kind: 'events',
  name: 'last-user',
  models:
    'Tracee/PKTAP-style attribution: a data packet carries the pid and tid of the last task that made a system call on the socket before it, which for incoming data is often not the one that will read it; no read blocks.',
  appliesWhen: 'a judged packet is sent or read by a thread other than the last one that used its socket before the packet',
  notApplicable: ({ perfect }) =>
    perfect.events.some((e) => judged(e) && differs(e, e.meta.lastUser))
      ? undefined
      : 'the last user of each socket is always the thread that sends or reads next',
  expect: /(sent|read) by pid \d+ .*attributed to (pid|thread) \d+/,
  apply: (ctx) => {
    const c = rewrite(ctx, (e) => {
      if (!e.meta.lastUser || (e.meta.role !== 'sender' && e.meta.role !== 'reader')) return;
      labelWith(e, e.meta.lastUser, e.direction === 'out' ? 'sender' : 'reader');
    });
    return { ...c, events: c.events.filter((e) => e.kind !== 'use' || e.what !== 'read') };
  },
};

export const singleSender: EventFault = {
  kind: 'events',
  name: 'single-sender',
  models:
    "A sender hook that labels a segment with the thread whose call made it leave (`current` in tcp_write_xmit): bytes held back by MSG_MORE (or cork, Nagle) and released by another thread's write are attributed to the releasing thread; no sender runs (option 263).",
  appliesWhen: 'an outgoing segment holds bytes of several threads (cork-released-by-later-write)',
  notApplicable: ({ perfect }) =>
    perfect.events.some((e) => e.kind === 'packet' && (e.senders?.length ?? 0) > 1)
      ? undefined
      : "no segment holds more than one thread's bytes",
  expect: /outgoing packet with tag \S+ sent by pid \d+ .*attributed to (pid|thread) \d+/,
  apply: (ctx) =>
    rewrite(ctx, (e) => {
      if (e.meta.role === 'sender' && e.meta.releaser && (e.senders?.length ?? 0) > 1) labelWith(e, e.meta.releaser, 'sender');
    }),
};

export const noAnyAddressInbound: EventFault = {
  kind: 'events',
  name: 'no-any-address-inbound',
  models:
    "Hone 15.07's inbound lookup by the packet's destination address: packets to sockets bound to 0.0.0.0 or :: (UDP servers, ping and raw sockets) find no socket and no process.",
  appliesWhen: 'a judged incoming packet is read on a socket bound to the any-address',
  notApplicable: ({ perfect }) =>
    perfect.events.some((e) => judged(e) && e.direction === 'in' && e.meta.anyBound)
      ? undefined
      : 'no judged incoming packet goes to a socket bound to the any-address',
  expect: /incoming packet with tag \S+ read by .* has no socket/,
  apply: (ctx) =>
    rewrite(ctx, (e) => {
      if (e.direction !== 'in' || !e.meta.anyBound) return;
      delete e.socketId;
      delete e.pid;
      delete e.tid;
      e.attribution = 'none';
    }),
};

export const wrongDirection: EventFault = {
  kind: 'events',
  name: 'wrong-direction',
  models: 'A sensor that mixes up its hooks (or epb_flags bits): every outgoing packet is marked incoming and every incoming one outgoing.',
  appliesWhen:
    'the scenario has judged packets: the outgoing copy names its sender, the incoming one names nobody (its reader is in the read blocks), so swapped copies show even where both copies are on one socket (a raw socket reading its own packets)',
  notApplicable: ({ perfect }) => (perfect.events.some(judged) ? undefined : 'no judged packet'),
  expect:
    /(incoming|outgoing) packet with tag \S+ .*(attributed to socket|has no socket|has no process \(by reader\)|is labelled (sender|reader))|^missing packet: /,
  apply: (ctx) =>
    rewrite(ctx, (e) => {
      e.direction = e.direction === 'in' ? 'out' : 'in';
    }),
};

/** How many steps after a packet the stale-pid model resolves its process. */
export const STALE_LAG_STEPS = 1;

export const stalePidReuse: EventFault = {
  kind: 'events',
  name: 'stale-pid-reuse',
  models:
    'Late resolution through a recycled pid (/proc-scanning correlators, user-space pid caches): the sensor records the thread id and resolves it to a process one step later; a process that exited in between has had its id recycled by a task of another process, and the packet (or read block) is attributed to that process.',
  appliesWhen: `the thread that sends a judged packet (or reads one) exits within ${STALE_LAG_STEPS} step of it`,
  notApplicable: ({ perfect, truth }) =>
    perfect.events.some((e) => (judged(e) || (e.kind === 'use' && e.what === 'read' && e.meta.scenario)) && staleAt(truth, e) !== undefined)
      ? undefined
      : 'no sender or reader exits right after its packet',
  expect: /(sent|read) by pid \d+ .*(attributed to pid \d+ \(by |the read block at offset \d+ that covers it names pid \d+)/,
  apply: (ctx) => {
    const other =
      Math.max(
        ...ctx.truth.steps.flatMap((s) => [s.pid, s.tid, s.kind === 'fork' ? s.childPid : 0, s.kind === 'thread' ? s.threadTid : 0]),
      ) + ctx.rng.int(3, 40);
    const c = copyCapture(ctx.perfect);
    for (const e of c.events) {
      if (e.kind !== 'packet' && !(e.kind === 'use' && e.what === 'read')) continue;
      if (staleAt(ctx.truth, e) === undefined) continue;
      if (e.kind === 'packet' && e.senders) e.senders = e.senders.map((r) => (r.pid === e.pid ? { ...r, pid: other } : r));
      e.pid = other;
    }
    return c;
  },
};

/** The exit step of the event's process if it comes within the lag after the event's step. */
function staleAt(truth: FaultContext['truth'], e: { pid?: number; meta: { step: number } }): number | undefined {
  if (e.pid === undefined) return undefined;
  const exit = truth.steps.find((s) => s.kind === 'exit' && s.pid === e.pid && s.step > e.meta.step);
  return exit && exit.step - e.meta.step <= STALE_LAG_STEPS ? exit.step : undefined;
}
