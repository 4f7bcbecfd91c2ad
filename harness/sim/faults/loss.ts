// Faults where events never reach the capture: a fraction of process and
// socket events, or of packets, is lost, with the loss counted in the ISB
// (ring full: options 7, 259, 263) or not counted at all.
import { ISB_OPT } from '../../capture/constants.ts';
import type { SimCapture, SimEvent } from '../events.ts';
import { copyCapture, judged, required, type EventFault, type FaultContext } from './types.ts';

/** Fraction of the events of the kind that is lost. */
export const DROP_FRACTION = 0.2;

type Target = 'events' | 'packets';

function drop(ctx: FaultContext, target: Target, counted: boolean): SimCapture {
  const isTarget = (e: SimEvent) =>
    target === 'packets' ? e.kind === 'packet' : e.kind === 'use' || ((e.kind === 'process' || e.kind === 'socket') && !e.snapshot);
  // everything of the scenario is judged now; only the kernel's pure ACKs are not required to exist
  const matters = (e: SimEvent) => isTarget(e) && required(e);
  const candidates = ctx.perfect.events.filter(isTarget);
  const lost = new Set(candidates.filter(() => ctx.rng.next() < DROP_FRACTION));
  // A loss that only hits pure ACKs (which the kernel sends when it likes) is invisible by design; make sure one other record is lost.
  if (![...lost].some(matters)) {
    const m = candidates.filter(matters);
    if (m.length > 0) lost.add(m[ctx.rng.int(0, m.length - 1)]!);
  }
  const c = copyCapture(
    ctx.perfect,
    ctx.perfect.events.filter((e) => !lost.has(e)),
  );
  if (counted) {
    const isb = c.events.find((e) => e.kind === 'stats');
    if (isb && isb.kind === 'stats') {
      const n = (k: SimEvent['kind']) => BigInt([...lost].filter((e) => e.kind === k).length);
      const add = (code: number, v: bigint) => (isb.counters[code] = (isb.counters[code] ?? 0n) + v);
      add(ISB_OPT.PACKETS_RING_DROPPED, n('packet'));
      add(ISB_OPT.PACKETS_DELIVERED, -n('packet'));
      add(ISB_OPT.PROCESS_RING_DROPPED, n('process'));
      add(ISB_OPT.PROCESS_DELIVERED, -n('process'));
      // read, gain and lose blocks are counted with the socket events
      add(ISB_OPT.SOCKET_RING_DROPPED, n('socket') + n('use'));
      add(ISB_OPT.SOCKET_DELIVERED, -(n('socket') + n('use')));
    }
  }
  return c;
}

const hasEvents = ({ perfect }: Pick<FaultContext, 'perfect'>) =>
  perfect.events.some((e) => (e.kind === 'use' || ((e.kind === 'process' || e.kind === 'socket') && !e.snapshot)) && e.meta.scenario)
    ? undefined
    : 'no process or socket event after the capture started';
const hasPackets = ({ perfect }: Pick<FaultContext, 'perfect'>) => (perfect.events.some(judged) ? undefined : 'no judged packet');

const EVENTS = /^missing (fork|exec|exit|(snapshot )?open|close|read block|gain|lose) /;
const PACKETS = /^missing (packet: |(incoming|outgoing) TCP )/;

export const dropEvents: EventFault = {
  kind: 'events',
  name: 'drop-events',
  models: `The reader's ring overflows: ${DROP_FRACTION * 100}% of process and socket events (with read, gain and lose blocks) are lost, and the ISB counts them (options 259, 263).`,
  appliesWhen: 'the scenario has process or socket events after the capture started',
  notApplicable: hasEvents,
  expect: EVENTS,
  apply: (ctx) => drop(ctx, 'events', true),
};

export const dropEventsUncounted: EventFault = {
  kind: 'events',
  name: 'drop-events-uncounted',
  models: `Process and socket events lost silently (${DROP_FRACTION * 100}%, e.g. an allocation failure that is not counted): the ISB says nothing was dropped.`,
  appliesWhen: 'the scenario has process or socket events after the capture started',
  notApplicable: hasEvents,
  expect: EVENTS,
  apply: (ctx) => drop(ctx, 'events', false),
};

export const dropPackets: EventFault = {
  kind: 'events',
  name: 'drop-packets',
  models: `The reader's ring overflows: ${DROP_FRACTION * 100}% of packets are lost, and the ISB counts them (option 7).`,
  appliesWhen: 'the scenario has judged packets',
  notApplicable: hasPackets,
  expect: PACKETS,
  apply: (ctx) => drop(ctx, 'packets', true),
};

export const dropPacketsUncounted: EventFault = {
  kind: 'events',
  name: 'drop-packets-uncounted',
  models: `Packets lost silently (${DROP_FRACTION * 100}%): the ISB says every packet was delivered.`,
  appliesWhen: 'the scenario has judged packets',
  notApplicable: hasPackets,
  expect: PACKETS,
  apply: (ctx) => drop(ctx, 'packets', false),
};

const deferredClose = (e: SimEvent) =>
  e.kind === 'socket' && e.event === 'close' && e.meta.scenario && e.pid === 0 && e.meta.deferred === true;

export const closeAfterCapture: EventFault = {
  kind: 'events',
  name: 'close-after-capture',
  models:
    "A close reported from the socket's deferred free (security_sk_free after an RCU grace period) instead of its last release: for listeners and bound UDP, raw and ping sockets it can come after the reader's section ended, so the capture lacks it (the flake of debian-7.3 udp-any-v6).",
  appliesWhen: 'a scenario socket whose close waits for an RCU grace period',
  notApplicable: ({ perfect }) => (perfect.events.some(deferredClose) ? undefined : 'no close waits for a grace period'),
  expect: /^missing close of socket/,
  apply: (ctx) =>
    copyCapture(
      ctx.perfect,
      ctx.perfect.events.filter((e) => !deferredClose(e)),
    ),
};

export const dropOne: EventFault = {
  kind: 'events',
  name: 'drop-one',
  models:
    'One record lost, any record of the scenario (a control packet, an unread datagram, a close, a snapshot open), chosen by the seed among everything the truth says must be there: nothing is chosen for being judged.',
  appliesWhen: 'always',
  notApplicable: ({ perfect }) => (perfect.events.some(required) ? undefined : 'nothing required'),
  expect: /^missing |has no honet line|no read block covers|comes before|out of causal order/,
  apply: (ctx) => {
    const candidates = ctx.perfect.events.filter(required);
    const lost = candidates[ctx.rng.int(0, candidates.length - 1)];
    return copyCapture(
      ctx.perfect,
      ctx.perfect.events.filter((e) => e !== lost),
    );
  },
};
