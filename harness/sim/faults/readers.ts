// Faults in naming who received incoming data: the sensor must not guess
// the reader when the packet arrives (FORMAT.md, attribution 3); only the
// read blocks written when a thread reads can say it.
import type { SimCapture } from '../events.ts';
import { copyCapture, judged, labelWith, type EventFault } from './types.ts';

const hasJudgedInbound = ({ perfect }: { perfect: SimCapture }) =>
  perfect.events.some((e) => judged(e) && e.meta.role === 'reader') ? undefined : 'no incoming data is read by the scenario';

export const readerIsCurrent: EventFault = {
  kind: 'events',
  name: 'reader-is-current',
  models: 'A receive hook that labels incoming data with `current` when the packet arrives: on loopback the softirq runs in the sending thread, so the sender is named as the receiver (elsewhere, whatever task was interrupted); no read blocks.',
  appliesWhen: 'incoming data is read by the scenario (its reader is never the current task when it arrives, except a socket reading its own packets)',
  notApplicable: hasJudgedInbound,
  expect: /incoming packet with tag \S+ read by .*(attributed to (pid|thread) \d+|is labelled|: no read block covers)/,
  apply: (ctx) => {
    const c = copyCapture(ctx.perfect);
    for (const e of c.events) if (e.kind === 'packet' && e.meta.role === 'reader' && e.meta.releaser) labelWith(e, e.meta.releaser, 'reader');
    return { ...c, events: c.events.filter((e) => e.kind !== 'use' || e.what !== 'read') };
  },
};

export const noReadBlocks: EventFault = {
  kind: 'events',
  name: 'no-read-blocks',
  models: 'A sensor that labels incoming data reader (attribution 3, no pid) but never writes the read blocks that name the reader (the recvmsg hook missing, e.g. a kprobe that failed to register on this kernel).',
  appliesWhen: 'incoming data is read by the scenario',
  notApplicable: hasJudgedInbound,
  expect: /incoming packet with tag \S+ read by .*: no read block covers|^missing read block /,
  apply: (ctx) => copyCapture(ctx.perfect, ctx.perfect.events.filter((e) => e.kind !== 'use' || e.what !== 'read')),
};
