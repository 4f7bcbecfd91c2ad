// Faults in the kernel's own packets and in who holds a socket: packets
// without data are the kernel acting for a socket (FORMAT.md, attribution
// 4): they list the socket's holders and name no process; gain and lose
// blocks keep the holder lists honest.
import { copyCapture, type EventFault } from './types.ts';

export const noHolderEvents: EventFault = {
  kind: 'events',
  name: 'no-holder-events',
  models: 'A sensor that tracks holders only at socket creation: no gain block when a child inherits a socket at fork or receives it over SCM_RIGHTS, no lose block when a process closes its last descriptor or exits.',
  appliesWhen: 'a process gains or loses a scenario socket after the capture started (every scenario that closes a socket)',
  notApplicable: ({ perfect }) =>
    perfect.events.some((e) => e.kind === 'use' && (e.what === 'gain' || e.what === 'lose') && e.meta.scenario) ? undefined : 'no gain or lose of a scenario socket after the capture started',
  expect: /^missing (gain|lose) /,
  apply: (ctx) => copyCapture(ctx.perfect, ctx.perfect.events.filter((e) => e.kind !== 'use' || e.what === 'read')),
};

export const controlAsSender: EventFault = {
  kind: 'events',
  name: 'control-as-sender',
  models: 'A sensor that labels every outgoing packet with the socket\'s last user as its sender, including the ones the kernel sends on its own (handshake, ACKs, FIN, RST, window updates), and every incoming one without data too: packets no process wrote name a process.',
  appliesWhen: 'a scenario TCP socket exchanges packets without data (every TCP scenario)',
  notApplicable: ({ perfect }) => (perfect.events.some((e) => e.kind === 'packet' && e.meta.role === 'control' && e.meta.lastUser) ? undefined : 'no packet without data on a scenario socket'),
  expect: /packet \S+ -> \S+ at offset \d+ (on socket [0-9a-f]+ is labelled sender, expected holder|on socket [0-9a-f]+ names pid \d+)/,
  apply: (ctx) => {
    const c = copyCapture(ctx.perfect);
    for (const e of c.events) {
      if (e.kind !== 'packet' || e.meta.role !== 'control' || !e.meta.lastUser) continue;
      e.pid = e.meta.lastUser.pid;
      e.tid = e.meta.lastUser.tid;
      delete e.holders;
      e.attribution = 'sender';
    }
    return c;
  },
};
