// What a data segment carries, shared by the UDP/raw/ICMP sends (_data.ts)
// and TCP's segments (_tcp.ts): its tags, the byte runs of its writers and
// who read them, its sender attribution, and its payload bytes.
import type { Who } from '../events.ts';
import type { Attr, Data, Part, SensorState } from './_state.ts';

/** What a data packet carries: its tags, the byte runs of its writers, who made it leave, who read it. */
export function dataOf(s: SensorState, parts: Part[], releaser: Who): Data {
  const runs: Data['runs'] = [];
  let offset = 0;
  for (const x of parts) {
    const last = runs[runs.length - 1];
    if (!last || last.pid !== x.who.pid || last.tid !== x.who.tid)
      runs.push({ offset, pid: x.who.pid, tid: x.who.tid, startNs: x.startNs });
    offset += x.bytes;
  }
  const readers = parts.flatMap((x) => s.readerOf.get(x.tag) ?? []);
  return { tags: parts.map((x) => x.tag), runs, releaser: { ...releaser, startNs: s.startOf(releaser.pid) }, readSteps: readers };
}

/** Outgoing data: the thread of the first byte, and the runs when several threads wrote it. */
export function senderAttr(d: Data): Attr {
  const first = d.runs[0]!;
  const a: Attr = { pid: first.pid, tid: first.tid, startNs: first.startNs, attribution: 'sender' };
  if (d.runs.length > 1) a.senders = d.runs.map(({ offset, pid, tid }) => ({ offset, pid, tid }));
  return a;
}

/** The payload of consecutive sends: each starts with its tag, filler after it. */
export function payloadOf(parts: Part[]): Buffer {
  return Buffer.concat(
    parts.map((x) => {
      const b = Buffer.alloc(x.bytes, 'x');
      b.write(x.tag, 'latin1');
      return b;
    }),
  );
}
