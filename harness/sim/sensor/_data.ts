// Tagged data: a send step's packets and who they name. Outgoing data
// names the thread that wrote its first byte (by=sender, with its start
// time) and sender runs when several threads' bytes share a segment (a
// MSG_MORE send waits for the next send without it); incoming data names no
// process (by=reader; read blocks say who read it). UDP goes to the socket
// the truth sent it to; raw datagrams to the raw socket that reads them
// (FORMAT.md: Hone names one of the sockets that get a copy); a ping's
// echo request is the kernel's (no socket) and so is its echo reply.
import { AF, IPPROTO } from '../../capture/constants.ts';
import type { TruthStepOf } from '../../check/types.ts';
import type { Who } from '../events.ts';
import { loopbackIfAny } from '../runner-model.ts';
import { encode, parseEndpoint } from '../wire.ts';
import { dataOf, payloadOf, senderAttr } from './_payload.ts';
import { segment } from './_tcp.ts';
import { NONE, READER, type Part, type SensorState, type Sock } from './_state.ts';

export function send(s: SensorState, st: TruthStepOf<'send' | 'sendto'>, who: Who): void {
  const so = s.socks.get(st.socket.cookie);
  if (!so) return;
  so.lastUser = who;
  if (st.socket.local) {
    const loc = parseEndpoint(st.socket.local);
    if (loc.port) {
      so.local = loc;
      so.hashed = true;
    }
  }
  const part: Part = { tag: st.tag, bytes: st.bytes, who, startNs: s.startOf(who.pid) };
  if (so.type === 1) {
    // MSG_MORE: the bytes wait in the queue; the next send without it takes them along, in one segment
    if (st.kind === 'send' && st.more) {
      so.held.push(part);
      return;
    }
    const parts = [...so.held, part];
    so.held = [];
    segment(s, so, parts, who);
    return;
  }
  const payload = payloadOf([part]);
  const data = dataOf(s, [part], who);
  const to = parseEndpoint(st.kind === 'sendto' ? st.to : so.remote ? `${so.remote.addr}:${so.remote.port}` : '127.0.0.1:0');
  const v6 = so.family === AF.INET6;
  const srcAddr = loopbackFor(to.addr, so.local?.addr);
  if (so.proto === IPPROTO.ICMP || so.proto === IPPROTO.ICMPV6) {
    const id = so.local?.port ?? 1;
    const seq = s.rng.int(1, 100);
    const src = { addr: srcAddr, port: 0 };
    const req = encode({ kind: 'icmp', src, dst: to, v6, reply: false, id, seq, payload });
    const rep = encode({ kind: 'icmp', src: to, dst: src, v6, reply: true, id, seq, payload });
    s.packet('out', req, so, 'sender', senderAttr(data), data);
    s.packet('in', req, undefined, 'kernel', NONE, data, so.netns);
    s.packet('out', rep, kernelSocket(s, so.netns, v6), 'kernel', NONE, data, so.netns);
    s.packet('in', rep, so, 'reader', READER, data);
    return;
  }
  if (so.type === 3) {
    const bytes = encode({ kind: 'raw', src: { addr: srcAddr, port: 0 }, dst: to, protocol: so.proto, payload });
    s.packet('out', bytes, so, 'sender', senderAttr(data), data);
    // one incoming appearance (FORMAT.md: the kernel gives it to every matching raw socket, Hone
    // names one): the socket that reads it, else the oldest matching one
    const matching = [...s.socks.values()].filter(
      (r) => r.type === 3 && r.proto === so.proto && r.netns === so.netns && !r.released && r.family === so.family,
    );
    const readBy = (s.readerOf.get(st.tag) ?? []).map((x) => ('socket' in x ? x.socket.cookie : ''));
    const r = matching.find((x) => readBy.includes(x.cookie)) ?? matching[0];
    if (r) s.packet('in', bytes, r, 'reader', READER, data);
    return;
  }
  const src = { addr: srcAddr, port: so.local?.port ?? 0 };
  const bytes = encode({ kind: 'udp', src, dst: to, payload });
  s.packet('out', bytes, so, 'sender', senderAttr(data), data);
  const readers = s.readerOf.get(st.tag) ?? [];
  const readSock = readers[0] && 'socket' in readers[0] ? readers[0].socket.cookie : '';
  const dst =
    s.socks.get(readSock) ??
    (st.kind === 'sendto' && st.toCookie ? s.socks.get(st.toCookie) : undefined) ??
    [...s.socks.values()].find(
      (r) => r.type === 2 && !r.released && r.netns === so.netns && r.family === so.family && r.local?.port === to.port && r !== so,
    );
  if (dst) s.packet('in', bytes, dst, 'reader', READER, data);
}

// --- internal ---

/** The kernel's ICMP socket of a namespace (it sends the echo replies). */
function kernelSocket(s: SensorState, netns: number, v6: boolean): Sock {
  const key = `${netns} ${v6}`;
  let c = s.kernelIcmp.get(key);
  if (!c) {
    c = (s.nextKernelCookie++).toString(16).padStart(16, '0');
    s.kernelIcmp.set(key, c);
    s.socks.set(c, {
      cookie: c,
      family: v6 ? AF.INET6 : AF.INET,
      type: 3,
      proto: v6 ? IPPROTO.ICMPV6 : IPPROTO.ICMP,
      ino: 0,
      netns,
      creator: { pid: 0, tid: 0 },
      lastUser: { pid: 0, tid: 0 },
      listening: false,
      hashed: false,
      pending: [],
      finSent: false,
      released: true,
      embryo: false,
      seq: 0,
      inflight: 0,
      helper: false,
      holders: [],
      rcvBase: 0,
      sndBase: 0,
      received: 0,
      consumed: 0,
      held: [],
      reset: false,
    });
  }
  return s.socks.get(c)!;
}

/** Source address of a loopback send: the socket's own address unless it is the any-address. */
function loopbackFor(dst: string, local: string | undefined): string {
  if (local && local !== '0.0.0.0' && local !== '::') return local;
  return loopbackIfAny(dst.includes(':') ? '::' : '0.0.0.0');
}
