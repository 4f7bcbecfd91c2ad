// Faults in who a packet is attributed to (or whether it gets a socket).
import type { PacketEvent, SimCapture } from '../events.ts';
import { copyCapture, judged, type EventFault, type FaultContext } from './types.ts';

const differs = (e: PacketEvent, w: { pid: number; tid: number } | undefined) => !!w && (w.pid !== e.pid || w.tid !== e.tid);

function rewrite(ctx: FaultContext, f: (e: PacketEvent, c: SimCapture) => void): SimCapture {
  const c = copyCapture(ctx.perfect);
  for (const e of c.events) if (e.kind === 'packet') f(e, c);
  return c;
}

export const creatorOnly: EventFault = {
  kind: 'events',
  name: 'creator-only',
  models: 'Hone 15.07\'s attribution (and today\'s sensor): every packet of a socket is attributed to the thread that created the socket (EPB option 259 = 1), whoever sent or read it.',
  appliesWhen: 'a judged packet is sent or read by a thread other than its socket\'s creator (fork, exec, SCM_RIGHTS, threads)',
  notApplicable: ({ perfect }) => (perfect.events.some((e) => judged(e) && differs(e, e.meta.creator)) ? undefined : 'every judged packet is sent or read by its socket\'s creator'),
  expect: /(sent|read) by pid \d+ .*attributed to (pid \d+ .*the socket's creator|thread \d+)/,
  apply: (ctx) =>
    rewrite(ctx, (e) => {
      if (!e.meta.creator || e.pid === undefined) return;
      e.pid = e.meta.creator.pid;
      e.tid = e.meta.creator.tid;
      e.attribution = 'creator';
    }),
};

export const lastUser: EventFault = {
  kind: 'events',
  name: 'last-user',
  models: 'Tracee/PKTAP-style attribution: a packet goes to the last task that made a system call on the socket before it, which for incoming data is often not the one that will read it.',
  appliesWhen: 'a judged packet is sent or read by a thread other than the last one that used its socket before the packet',
  notApplicable: ({ perfect }) => (perfect.events.some((e) => judged(e) && differs(e, e.meta.lastUser)) ? undefined : 'the last user of each socket is always the thread that sends or reads next'),
  expect: /(sent|read) by pid \d+ .*attributed to (pid|thread) \d+/,
  apply: (ctx) =>
    rewrite(ctx, (e) => {
      if (!e.meta.lastUser || e.pid === undefined) return;
      e.pid = e.meta.lastUser.pid;
      e.tid = e.meta.lastUser.tid;
      e.attribution = e.direction === 'out' ? 'sender' : 'reader';
    }),
};

export const noAnyAddressInbound: EventFault = {
  kind: 'events',
  name: 'no-any-address-inbound',
  models: 'Hone 15.07\'s inbound lookup by the packet\'s destination address: packets to sockets bound to 0.0.0.0 or :: (UDP servers, ping and raw sockets) find no socket and no process.',
  appliesWhen: 'a judged incoming packet is read on a socket bound to the any-address',
  notApplicable: ({ perfect }) =>
    perfect.events.some((e) => judged(e) && e.direction === 'in' && e.meta.anyBound) ? undefined : 'no judged incoming packet goes to a socket bound to the any-address',
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
  appliesWhen: 'a tagged send is read on another socket than the one that sent it, or not read at all (on loopback a socket that reads its own packets, like a raw socket, sees identical copies both ways)',
  notApplicable: ({ perfect }) => {
    const sockets = new Map<string, Set<string>>();
    for (const e of perfect.events) if (judged(e) && e.meta.tag) sockets.set(e.meta.tag, (sockets.get(e.meta.tag) ?? new Set()).add(`${e.socketId} ${e.tid}`));
    return [...sockets.values()].some((s) => s.size > 1) || perfect.events.some((e) => judged(e) && e.meta.role === 'sender' && !perfect.events.some((r) => judged(r) && r.meta.role === 'reader' && r.meta.tag === e.meta.tag))
      ? undefined
      : 'every tagged packet is read back by the same thread on the socket that sent it: both directions look alike';
  },
  expect: /(incoming|outgoing) packet with tag \S+ .*(attributed to socket|has no socket)|^missing packet: /,
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
    'Late resolution through a recycled pid (/proc-scanning correlators, user-space pid caches): the sensor records the thread id and resolves it to a process one step later; a process that exited in between has had its id recycled by a task of another process, and the packet is attributed to that process.',
  appliesWhen: `the thread that sends or reads a judged packet exits within ${STALE_LAG_STEPS} step of it`,
  notApplicable: ({ perfect, truth }) => (perfect.events.some((e) => judged(e) && staleAt(truth, e) !== undefined) ? undefined : 'no sender or reader exits right after its packet'),
  expect: /(sent|read) by pid \d+ .*attributed to pid \d+ \(by /,
  apply: (ctx) => {
    const other = Math.max(...ctx.truth.steps.flatMap((s) => [s.pid, s.tid, s.childPid ?? 0, s.threadTid ?? 0])) + ctx.rng.int(3, 40);
    return rewrite(ctx, (e) => {
      if (e.pid !== undefined && staleAt(ctx.truth, e) !== undefined) e.pid = other;
    });
  },
};

/** The exit step of the packet's process if it comes within the lag after the packet's step. */
function staleAt(truth: FaultContext['truth'], e: PacketEvent): number | undefined {
  if (e.pid === undefined) return undefined;
  const exit = truth.steps.find((s) => s.kind === 'exit' && s.pid === e.pid && s.step > e.meta.step);
  return exit && exit.step - e.meta.step <= STALE_LAG_STEPS ? exit.step : undefined;
}
