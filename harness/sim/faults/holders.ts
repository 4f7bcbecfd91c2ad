// Faults in the kernel's own packets and in who holds a socket: packets
// without data are the kernel acting for a socket (FORMAT.md, attribution
// 4): they list the socket's holders and name no process; gain and lose
// blocks keep the holder lists honest.
import type { SimEvent, UseEvent } from '../events.ts';
import { copyCapture, holdersFromBlocks, type EventFault } from './types.ts';

export const noHolderEvents: EventFault = {
  kind: 'events',
  name: 'no-holder-events',
  models:
    'A sensor that tracks holders only at socket creation: no gain block when a child inherits a socket at fork or receives it over SCM_RIGHTS, no lose block when a process closes its last descriptor or exits.',
  appliesWhen: 'a process gains or loses a scenario socket after the capture started (every scenario that closes a socket)',
  notApplicable: ({ perfect }) =>
    perfect.events.some((e) => e.kind === 'use' && (e.what === 'gain' || e.what === 'lose') && e.meta.scenario)
      ? undefined
      : 'no gain or lose of a scenario socket after the capture started',
  expect: /^missing (gain|lose) /,
  apply: (ctx) =>
    copyCapture(
      ctx.perfect,
      ctx.perfect.events.filter((e) => e.kind !== 'use' || e.what === 'read'),
    ),
};

export const controlAsSender: EventFault = {
  kind: 'events',
  name: 'control-as-sender',
  models:
    "A sensor that labels every outgoing packet with the socket's last user as its sender, including the ones the kernel sends on its own (handshake, ACKs, FIN, RST, window updates), and every incoming one without data too: packets no process wrote name a process.",
  appliesWhen: 'a scenario TCP socket exchanges packets without data (every TCP scenario)',
  notApplicable: ({ perfect }) =>
    perfect.events.some((e) => e.kind === 'packet' && e.meta.role === 'control' && e.meta.lastUser)
      ? undefined
      : 'no packet without data on a scenario socket',
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

/** Move `e` to just after (or before) the event at `anchor`, taking its time: the sensor wrote it there. */
function moveTo(events: SimEvent[], e: SimEvent, anchor: SimEvent, side: 'after' | 'before'): void {
  events.splice(events.indexOf(e), 1);
  const at = events.indexOf(anchor);
  events.splice(side === 'after' ? at + 1 : at, 0, e);
  if ('timeNs' in e && 'timeNs' in anchor) e.timeNs = anchor.timeNs;
}

const scenarioUse =
  (what: 'gain' | 'lose') =>
  (e: SimEvent): e is UseEvent =>
    e.kind === 'use' && e.what === what && e.meta.scenario;

export const lateGain: EventFault = {
  kind: 'events',
  name: 'late-gain',
  models:
    "A sensor that learns of a new holder lazily (when the process first touches the socket, or at its next scan): the gain block comes after the gainer's first send or read on the socket, or at the end; its holder lists agree with where it put the block.",
  appliesWhen: 'a process gains a scenario socket (fork, SCM_RIGHTS) after the capture started',
  notApplicable: ({ perfect }) => (perfect.events.some(scenarioUse('gain')) ? undefined : 'no gain after the capture started'),
  expect: /^gain \(via (fork|recv)\) of socket .*(out of its step's time|out of causal order)/,
  apply: (ctx) => {
    const c = copyCapture(ctx.perfect);
    const ev = c.events;
    for (const g of ev.filter(scenarioUse('gain'))) {
      const at = ev.indexOf(g);
      const first = ev
        .slice(at + 1)
        .find(
          (x) =>
            (x.kind === 'use' && x.what === 'read' && x.socketId === g.socketId && x.pid === g.pid) ||
            (x.kind === 'packet' &&
              x.meta.role === 'sender' &&
              x.socketId === g.socketId &&
              (x.meta.runs ?? []).some((r) => r.pid === g.pid)),
        );
      moveTo(ev, g, first ?? ev[ev.length - 1]!, first ? 'after' : 'before');
    }
    holdersFromBlocks(c);
    return c;
  },
};

export const earlyLose: EventFault = {
  kind: 'events',
  name: 'early-lose',
  models:
    "A sensor that drops a holder too soon (at the first close of one of two descriptors, or of its parent's copy before the fork): the lose block comes right after the socket's open; its holder lists agree with where it put the block.",
  appliesWhen: 'a process lets go of a scenario socket after the capture started',
  notApplicable: ({ perfect }) => (perfect.events.some(scenarioUse('lose')) ? undefined : 'no lose after the capture started'),
  expect: /^lose \(via (close|exit)\) of socket .*(out of its step's time|out of causal order)/,
  apply: (ctx) => {
    const c = copyCapture(ctx.perfect);
    const ev = c.events;
    for (const l of ev.filter(scenarioUse('lose'))) {
      const open = ev.find((x) => x.kind === 'socket' && x.event === 'open' && x.socketId === l.socketId && !x.snapshot);
      const firstLive = ev.find((x) => x.kind !== 'stats' && !('snapshot' in x && x.snapshot));
      const anchor = open ?? firstLive;
      if (anchor && ev.indexOf(anchor) < ev.indexOf(l)) moveTo(ev, l, anchor, 'after');
    }
    holdersFromBlocks(c);
    return c;
  },
};

/** Scenario sockets whose first lose comes at an earlier step than the last holder's. */
function sharedReleases(events: SimEvent[]): Array<{ cookie: string; firstLose: UseEvent; close: SimEvent }> {
  const out: Array<{ cookie: string; firstLose: UseEvent; close: SimEvent }> = [];
  const loses = events.filter(scenarioUse('lose'));
  for (const close of events) {
    if (close.kind !== 'socket' || close.event !== 'close' || !close.meta.scenario) continue;
    const mine = loses.filter((l) => l.socketId === close.socketId);
    if (mine.length >= 2 && mine[0]!.meta.step < mine[mine.length - 1]!.meta.step)
      out.push({ cookie: close.socketId, firstLose: mine[0]!, close });
  }
  return out;
}

export const earlyClose: EventFault = {
  kind: 'events',
  name: 'early-close',
  models:
    "A sensor that reports a socket closed when its first holder lets go, not its last: the close block stands right after the first lose, and the socket's later packets name nobody (label none), as the kernel's packets of a closed socket would.",
  appliesWhen: 'a scenario socket has holders that let go at different steps (fork, SCM_RIGHTS, dup)',
  notApplicable: ({ perfect }) =>
    sharedReleases(perfect.events).length > 0 ? undefined : 'no socket is let go by two holders at different steps',
  expect: /^close of socket .*(out of its step's time|out of causal order)|packet .* is labelled none, but .* held the socket then/,
  apply: (ctx) => {
    const c = copyCapture(ctx.perfect);
    const ev = c.events;
    for (const { cookie, firstLose, close } of sharedReleases(ev)) {
      moveTo(ev, close, firstLose, 'after');
      for (const x of ev.slice(ev.indexOf(close) + 1)) {
        if (x.kind !== 'packet' || x.socketId !== cookie || x.attribution !== 'holder') continue;
        x.attribution = 'none';
        delete x.holders;
      }
    }
    return c;
  },
};

export const snapshotOneHolder: EventFault = {
  kind: 'events',
  name: 'snapshot-one-holder',
  models:
    'A snapshot that walks sockets instead of file tables: a socket held by several processes when the reader opens gets one open block, for one of them; the others are not named as holders.',
  appliesWhen: 'a scenario socket is held by two processes when the capture starts',
  notApplicable: ({ perfect }) => {
    const n = new Map<string, number>();
    for (const e of perfect.events)
      if (e.kind === 'socket' && e.snapshot && e.meta.scenario) n.set(e.socketId, (n.get(e.socketId) ?? 0) + 1);
    return [...n.values()].some((x) => x > 1) ? undefined : 'no socket has two holders at capture-start';
  },
  expect: /^missing snapshot open of socket/,
  apply: (ctx) => {
    const seen = new Set<string>();
    return copyCapture(
      ctx.perfect,
      ctx.perfect.events.filter((e) => {
        if (e.kind !== 'socket' || !e.snapshot) return true;
        if (seen.has(e.socketId)) return false;
        seen.add(e.socketId);
        return true;
      }),
    );
  },
};
