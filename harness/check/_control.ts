// Phase 4: the packets the kernel sends and receives for the scenario's
// sockets (handshake, ACKs, window updates, FIN, RST). The runner's truth
// says which must exist: each connect's SYN, SYN-ACK and ACK, the FIN (or,
// with unread data, the RST) of each TCP socket's release or shutdown, both
// their outgoing and incoming copies. Every such packet in the capture,
// expected or not (pure ACKs come when the kernel likes), is on the socket
// of its addresses, names no process, and is labelled holder with the
// processes the truth says held that socket when the packet passed (none,
// or holder with an empty list, only when nobody held it then).
import { IPPROTO } from '../capture/constants.ts';
import { endpoint, type DecodedPacket } from '../capture/packet.ts';
import type { PacketBlock } from '../capture/types.ts';
import type { Ctx } from './_context.ts';
import { netnsProblem } from './_appearance.ts';
import { endpointMatches, holdsAt, holderPids, sockName, who, type ControlExpect, type ControlWhat, type SockInfo } from './_model.ts';
import { SLACK_US, outside } from './_time.ts';

export function judgeControl(ctx: Ctx): void {
  const { m, cap, tally } = ctx;
  const flows = flowIndex(ctx);
  const found = new Set<ControlExpect>();
  const byFlow = new Map<string, ControlExpect[]>();
  for (const x of m.control) {
    const k = `${x.direction} ${x.src} ${x.dst}`;
    (byFlow.get(k) ?? byFlow.set(k, []).get(k)!).push(x);
  }
  cap.blocks.forEach((b, i) => {
    if (b.kind !== 'packet' || cap.tags(i).length > 0) return;
    const p = cap.packet(i);
    if (!p || p.protocol !== IPPROTO.TCP || p.srcPort === undefined || p.dstPort === undefined) return;
    const src = endpoint(p.src, p.srcPort);
    const dst = endpoint(p.dst, p.dstPort);
    const [local, remote] = b.direction === 'in' ? [dst, src] : [src, dst];
    const allowed = flows(local, remote);
    if (allowed.length === 0) return; // not a scenario flow
    const what = `${b.direction === 'in' ? 'incoming' : 'outgoing'} TCP [${p.tcpFlags ?? ''}] packet ${src} -> ${dst} at offset ${b.offset}`;
    const t = cap.time(i);
    for (const x of byFlow.get(`${b.direction} ${src} ${dst}`) ?? []) {
      if (found.has(x) || !isA(p, x.what)) continue;
      if (t !== undefined && outside(x.window, t)) continue;
      found.add(x);
      break;
    }
    const why = judgePacket(ctx, b, i, p, allowed, what);
    if (why) tally.wrong('control', why);
    else tally.correct('control');
  });
  for (const x of m.control) {
    if (found.has(x)) continue;
    tally.missing(
      'control',
      `missing ${x.direction === 'in' ? 'incoming' : 'outgoing'} TCP ${x.what} ${x.src} -> ${x.dst} on socket ${x.sockets.join(' or ')} (${x.why})`,
    );
  }
}

// --- internal ---

/** The kind of control packet a TCP segment is. */
function isA(p: DecodedPacket, what: ControlWhat): boolean {
  const f = p.tcpFlags ?? '';
  switch (what) {
    case 'SYN':
      return f.includes('S') && !f.includes('.');
    case 'SYN-ACK':
      return f.includes('S') && f.includes('.');
    case 'ACK':
      return f.includes('.') && !/[SFR]/.test(f) && p.payload.length === 0;
    case 'FIN':
      return f.includes('F');
    case 'RST':
      return f.includes('R');
  }
}

/** The scenario sockets a TCP packet with these local and remote endpoints may be on: the connected socket, or the listener (handshake, before accept). */
function flowIndex(ctx: Ctx): (local: string, remote: string) => string[] {
  const { m } = ctx;
  const connected = new Map<string, string[]>();
  const listeners: SockInfo[] = [];
  for (const s of m.sockets.values()) {
    if (s.type !== 1 || m.ignoredCookies.has(s.cookie) || !s.local) continue;
    if (s.listening) listeners.push(s);
    if (s.remote) {
      const k = `${s.local} ${s.remote}`;
      connected.set(k, [...(connected.get(k) ?? []), s.cookie]);
    }
  }
  return (local, remote) => [
    ...(connected.get(`${local} ${remote}`) ?? []),
    ...listeners.filter((l) => endpointMatches(l.local, local)).map((l) => l.cookie),
  ];
}

function judgePacket(ctx: Ctx, b: PacketBlock, i: number, p: DecodedPacket, allowed: string[], what: string): string | undefined {
  const { m } = ctx;
  if (b.socketId === undefined) return `${what} has no socket, expected ${allowed.join(' or ')}`;
  if (!allowed.includes(b.socketId)) {
    const other = m.sockets.get(b.socketId);
    return `${what} attributed to socket ${b.socketId}${other ? ` (${sockName(other)})` : ' (not a scenario socket)'}, expected ${allowed.join(' or ')}`;
  }
  const so = m.sockets.get(b.socketId)!;
  if (p.payload.length > 0) {
    // a segment of a send without its tag (the rest of a long send): data, whoever wrote it
    const want = b.direction === 'in' ? 'reader' : 'sender';
    if (b.attribution !== want)
      return `${what} carries ${p.payload.length} bytes of data without a tag, labelled ${b.attribution ?? 'nothing (no EPB option 259)'}, expected ${want}`;
    return netnsProblem(b, so, what);
  }
  if (b.pid !== undefined)
    return `${what} on socket ${b.socketId} names ${who(m, b.pid, b.tid)} (EPB option 258/8), but a packet no process wrote names none`;
  const t = ctx.cap.time(i);
  const label = b.attribution ?? 'nothing (no EPB option 259)';
  if (t === undefined) return `${what} has no timestamp`;
  // who held the socket when it passed, by the truth's steps
  const must: number[] = [];
  const may: number[] = [];
  for (const pid of holderPids(so)) {
    const h = holdsAt(so, pid, t, SLACK_US);
    if (h === true) must.push(pid);
    else if (h === 'either') may.push(pid);
  }
  const listed = b.holders ?? [];
  if (b.attribution === 'none' || (b.attribution === 'holder' && listed.length === 0)) {
    if (must.length === 0) return netnsProblem(b, so, what);
    return `${what} on socket ${b.socketId} is labelled ${b.attribution === 'none' ? 'none' : 'holder with no holders'}, but ${setText(m, must)} held the socket then (by the truth's steps)`;
  }
  if (b.attribution !== 'holder') return `${what} on socket ${b.socketId} is labelled ${label}, expected holder: no process wrote it`;
  const missing = must.filter((x) => !listed.includes(x));
  const extra = listed.filter((x) => !must.includes(x) && !may.includes(x));
  if (missing.length > 0 || extra.length > 0) {
    const never = extra.filter((x) => !so.everHeld.has(x));
    const diff = [
      missing.length > 0 ? `missing ${setText(m, missing)}` : '',
      extra.length > 0 ? `extra ${setText(m, extra)}${never.length > 0 ? ` (${setText(m, never)} never held it)` : ''}` : '',
    ]
      .filter(Boolean)
      .join('; ');
    return `${what} on socket ${b.socketId} lists holders ${setText(m, listed)} (option 264), but by the truth's steps ${setText(m, must)} held it then${may.length > 0 ? ` (and ${setText(m, may)} was gaining or losing it)` : ''}: ${diff}`;
  }
  return netnsProblem(b, so, what);
}

function setText(m: Ctx['m'], s: number[]): string {
  return s.length === 0
    ? 'nobody'
    : [...s]
        .sort((x, y) => x - y)
        .map((p) => who(m, p))
        .join(', ');
}
