// Faults in naming who received incoming data: the sensor must not guess
// the reader when the packet arrives (FORMAT.md, attribution 3); only the
// read blocks written when a thread reads can say it.
import type { PacketEvent, SimCapture, SimEvent } from '../events.ts';
import { copyCapture, judged, labelWith, type EventFault } from './types.ts';

const hasJudgedInbound = ({ perfect }: { perfect: SimCapture }) =>
  perfect.events.some((e) => judged(e) && e.meta.role === 'reader') ? undefined : 'no incoming data is read by the scenario';

export const readerIsCurrent: EventFault = {
  kind: 'events',
  name: 'reader-is-current',
  models:
    'A receive hook that labels incoming data with `current` when the packet arrives: on loopback the softirq runs in the sending thread, so the sender is named as the receiver (elsewhere, whatever task was interrupted); no read blocks.',
  appliesWhen:
    'incoming data is read by the scenario (its reader is never the current task when it arrives, except a socket reading its own packets)',
  notApplicable: hasJudgedInbound,
  expect: /incoming packet with tag \S+ read by .*(attributed to (pid|thread) \d+|is labelled|: no read block covers)/,
  apply: (ctx) => {
    const c = copyCapture(ctx.perfect);
    for (const e of c.events)
      if (e.kind === 'packet' && e.meta.role === 'reader' && e.meta.releaser) labelWith(e, e.meta.releaser, 'reader');
    return { ...c, events: c.events.filter((e) => e.kind !== 'use' || e.what !== 'read') };
  },
};

export const noReadBlocks: EventFault = {
  kind: 'events',
  name: 'no-read-blocks',
  models:
    'A sensor that labels incoming data reader (attribution 3, no pid) but never writes the read blocks that name the reader (the recvmsg hook missing, e.g. a kprobe that failed to register on this kernel).',
  appliesWhen: 'incoming data is read by the scenario',
  notApplicable: hasJudgedInbound,
  expect: /incoming packet with tag \S+ read by .*: no read block covers|^missing read block /,
  apply: (ctx) =>
    copyCapture(
      ctx.perfect,
      ctx.perfect.events.filter((e) => e.kind !== 'use' || e.what !== 'read'),
    ),
};

const unread = (e: SimEvent): e is PacketEvent => e.kind === 'packet' && e.meta.role === 'reader' && (e.meta.readers?.length ?? 0) === 0;

export const unreadNobodys: EventFault = {
  kind: 'events',
  name: 'unread-nobodys',
  models:
    'A receive path that attributes inbound data only when a read comes: data nobody reads (a close with unread data, a datagram left in the queue) goes out with no socket and label none.',
  appliesWhen: 'tagged data arrives that nobody reads',
  notApplicable: ({ perfect }) => (perfect.events.some(unread) ? undefined : 'every tagged byte that arrives is read'),
  expect: /incoming packet with tag \S+ \(read by nobody\) has no socket/,
  apply: (ctx) => {
    const c = copyCapture(ctx.perfect);
    for (const e of c.events) {
      if (!unread(e)) continue;
      delete e.socketId;
      e.attribution = 'none';
    }
    return c;
  },
};

const early = (e: SimEvent): e is PacketEvent => e.kind === 'packet' && e.meta.role === 'reader' && !!e.meta.beforeAccept;

export const beforeAcceptNone: EventFault = {
  kind: 'events',
  name: 'before-accept-none',
  models:
    "The sensor as the audit found it on every kernel: inbound data that reaches a connection before the server's accept() lands on a socket Hone has no record of yet and is labelled none, although a later READ of the accepting process covers those very bytes.",
  appliesWhen: 'the client sends before the server accepts (data-before-accept)',
  notApplicable: ({ perfect }) => (perfect.events.some(early) ? undefined : 'no data arrives before accept()'),
  expect: /incoming packet with tag \S+ read by .* is labelled none, expected reader/,
  apply: (ctx) => {
    const c = copyCapture(ctx.perfect);
    for (const e of c.events) if (early(e)) e.attribution = 'none';
    return c;
  },
};
