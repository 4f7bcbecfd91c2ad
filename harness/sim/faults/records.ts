// Faults in records as records: written twice, stamped wrong, with fields
// left out or made up, events the scenario never caused. Each is a way a
// capture can look plausible and still not be what happened.
import type { ProcessEvent, SimCapture, SimEvent } from '../events.ts';
import { copyCapture, type EventFault } from './types.ts';

const always = ({ perfect }: { perfect: SimCapture }) => (perfect.events.some((e) => e.kind === 'packet') ? undefined : 'no packets');

/** Live events, in capture order. */
const live = (c: SimCapture) => c.events.filter((e) => e.kind !== 'stats' && !('snapshot' in e && e.snapshot));

export const duplicatePackets: EventFault = {
  kind: 'events',
  name: 'duplicate-packets',
  models:
    'A sensor that hooks a path twice (two netfilter hooks, a kprobe and a tracepoint) and writes every packet twice, the same packet id and all.',
  appliesWhen: 'the capture has packets',
  notApplicable: always,
  expect: /packet id \d+ appears twice/,
  apply: (ctx) =>
    copyCapture(
      ctx.perfect,
      ctx.perfect.events.flatMap((e): SimEvent[] => (e.kind === 'packet' ? [e, { ...e, meta: { ...e.meta } }] : [e])),
    ),
};

export const zeroTimestamps: EventFault = {
  kind: 'events',
  name: 'zero-timestamps',
  models:
    'A sensor that never fills in the time: every live record is stamped 0 on the monotonic clock (the boot moment, once the PCAP-NG adds the boot time).',
  appliesWhen: 'the capture has live records',
  notApplicable: always,
  expect: /out of its step's time|comes before its send|comes before .* began/,
  apply: (ctx) => {
    const c = copyCapture(ctx.perfect);
    for (const e of live(c)) e.timeNs = 0n;
    return c;
  },
};

export const backwardsTimestamps: EventFault = {
  kind: 'events',
  name: 'backwards-timestamps',
  models:
    "Timestamps taken from a clock running the wrong way (a sign error in a per-CPU offset): every live record's time mirrored about the middle of the section, so later records carry earlier times.",
  appliesWhen: 'the capture has live records',
  notApplicable: always,
  expect: /out of its step's time|comes (before|after) .* (began|ended)/,
  apply: (ctx) => {
    const c = copyCapture(ctx.perfect);
    const ev = live(c);
    const lo = ev.reduce((a, e) => (e.timeNs < a ? e.timeNs : a), ev[0]!.timeNs);
    const hi = ev.reduce((a, e) => (e.timeNs > a ? e.timeNs : a), ev[0]!.timeNs);
    for (const e of ev) e.timeNs = hi - (e.timeNs - lo);
    return c;
  },
};

export const widenedReads: EventFault = {
  kind: 'events',
  name: 'widened-reads',
  models:
    'A read hook that reports what was queued instead of what was read: the sequence range of every stream read block widened to 2 GiB and its byte count wrong (1), so any read block "covers" any byte.',
  appliesWhen: 'a stream socket is read after the capture started',
  notApplicable: ({ perfect }) =>
    perfect.events.some((e) => e.kind === 'use' && e.what === 'read' && e.seq) ? undefined : 'no stream reads',
  expect: /^read block of .*(bytes \(option 263\), the runner read|sequence range)/,
  apply: (ctx) => {
    const c = copyCapture(ctx.perfect);
    for (const e of c.events) {
      if (e.kind !== 'use' || e.what !== 'read' || !e.seq) continue;
      e.seq = { first: (e.seq.first - 0x40000000) >>> 0, end: (e.seq.first + 0x40000000) >>> 0 };
      e.bytes = 1;
    }
    return c;
  },
};

export const noStartTimes: EventFault = {
  kind: 'events',
  name: 'no-start-times',
  models:
    'A sensor that leaves out the process start times (process option 259, EPB option 262, read/gain/lose option 259), so a pid no longer names one process across pid reuse.',
  appliesWhen: 'the capture has events of scenario processes',
  notApplicable: always,
  expect: /no start time/,
  apply: (ctx) => {
    const c = copyCapture(ctx.perfect);
    for (const e of c.events) {
      // 0 is what the writers leave out (write-pcapng writes the option from startNs)
      if (e.kind === 'packet') delete e.startNs;
      else if (e.kind === 'use') e.startNs = -1n;
      else if (e.kind === 'process') e.startNs = -1n;
    }
    return c;
  },
};

export const noNetns: EventFault = {
  kind: 'events',
  name: 'no-netns',
  models:
    'A sensor that leaves out the network namespace of packets and sockets (EPB option 260, connection option 261): a packet in another namespace looks like loopback traffic of this one.',
  appliesWhen: 'the capture has packets',
  notApplicable: always,
  expect: /no network namespace/,
  apply: (ctx) => {
    const c = copyCapture(ctx.perfect);
    for (const e of c.events) if (e.kind === 'packet' || e.kind === 'socket') e.netns = -1;
    return c;
  },
};

export const noInode: EventFault = {
  kind: 'events',
  name: 'no-inode',
  models: 'A sensor that leaves out the socket inode (connection option 260), the one id of a socket that user space sees in /proc/PID/fd.',
  appliesWhen: 'a scenario socket is opened or closed',
  notApplicable: ({ perfect }) =>
    perfect.events.some((e) => e.kind === 'socket' && e.meta.scenario) ? undefined : 'no scenario socket events',
  expect: /no inode \(option 260/,
  apply: (ctx) => {
    const c = copyCapture(ctx.perfect);
    for (const e of c.events) if (e.kind === 'socket') e.inode = -1;
    return c;
  },
};

export const wrongCloseFields: EventFault = {
  kind: 'events',
  name: 'wrong-close-fields',
  models:
    'A close hook that reads a socket being torn down: the close block carries a stale family/type/protocol and names the first process that ever held the socket as its closer, whoever let go last.',
  appliesWhen: 'a scenario socket is closed after the capture started',
  notApplicable: ({ perfect }) =>
    perfect.events.some((e) => e.kind === 'socket' && e.event === 'close' && e.meta.scenario) ? undefined : 'no close',
  expect: /^close of socket .*: .*(family\/type\/proto|closed by)/,
  apply: (ctx) => {
    const c = copyCapture(ctx.perfect);
    for (const e of c.events) {
      if (e.kind !== 'socket' || e.event !== 'close' || !e.meta.scenario) continue;
      e.protocol = 255;
    }
    return c;
  },
};

/** The first scenario process with a live exit. */
function someExit(c: SimCapture): ProcessEvent | undefined {
  return c.events.find((e): e is ProcessEvent => e.kind === 'process' && e.event === 'exit' && e.meta.scenario && !e.snapshot);
}

export const bogusExec: EventFault = {
  kind: 'events',
  name: 'bogus-exec',
  models:
    "An exec hook that fires on a failed execve (or on a script interpreter's second pass): an EXEC block for a scenario process that never exec'ed there.",
  appliesWhen: 'a scenario process exits after the capture started',
  notApplicable: ({ perfect }) => (someExit(perfect) ? undefined : 'no exit'),
  expect: /exec block at offset \d+ of pid \d+ .*no such event/,
  apply: (ctx) => {
    const c = copyCapture(ctx.perfect);
    const exit = someExit(c)!;
    const bogus: ProcessEvent = { ...exit, event: 'exec', exe: '/bin/true', argv: ['/bin/true'], meta: { ...exit.meta } };
    delete bogus.exitStatus;
    c.events.splice(c.events.indexOf(exit), 0, bogus);
    return c;
  },
};

export const secondExit: EventFault = {
  kind: 'events',
  name: 'second-exit',
  models: 'An exit hook on a per-thread path (do_exit of each thread): a process that exits writes its EXIT block twice.',
  appliesWhen: 'a scenario process exits after the capture started',
  notApplicable: ({ perfect }) => (someExit(perfect) ? undefined : 'no exit'),
  expect: /exit block at offset \d+ of pid \d+ .*no such event/,
  apply: (ctx) => {
    const c = copyCapture(ctx.perfect);
    const exit = someExit(c)!;
    c.events.splice(c.events.indexOf(exit) + 1, 0, { ...exit, timeNs: exit.timeNs + 1000n, meta: { ...exit.meta } });
    return c;
  },
};
