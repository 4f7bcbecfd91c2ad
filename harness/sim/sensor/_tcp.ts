// TCP as the real sensor sees it on loopback (and over a veth pair): each
// segment appears O on the sending socket then I on the receiving one;
// SYN, SYN-ACK, ACK on connect (the server side on the listener); the
// accepted socket exists from the handshake on (bytes sent before accept()
// land on it) but is nobody's until accept; each data segment is ACKed at
// once; the first closer sends FIN, the peer's ACK waits for its own FIN,
// TIME_WAIT closes are reported by the kernel; a close with unread data
// sends a RST instead (RFC 2525).
import type { TruthStep, TruthStepOf } from '../../check/types.ts';
import type { Who } from '../events.ts';
import { encode, parseEndpoint, TCP_FLAG, type Endpoint, type Wire } from '../wire.ts';
import { dataOf, senderAttr, payloadOf } from './_payload.ts';
import { inet, READER, type Data, type Part, type SensorState, type Sock } from './_state.ts';

/** connect(): the handshake, and the server's end of the connection made now (accept() gives it out later). */
export function connect(s: SensorState, st: TruthStepOf<'connect'>, who: Who): void {
  const c = s.socks.get(st.socket.cookie);
  if (!c) return;
  c.lastUser = who;
  if (st.socket.local) c.local = parseEndpoint(st.socket.local);
  if (st.socket.remote) c.remote = parseEndpoint(st.socket.remote);
  c.hashed = true;
  if (c.type !== 1 || !c.local || !c.remote) return;
  const listeners = [...s.socks.values()].filter(
    (x) => x.listening && !x.released && x.family === c.family && x.local?.port === c.remote!.port && receivesAt(x.local, c.remote!),
  );
  const l = (st.toCookie ? s.socks.get(st.toCookie) : undefined) ?? listeners.find((x) => x.netns === c.netns) ?? listeners[0];
  if (!l) return;
  const lseq = s.rng.int(1, 0x7fffffff);
  const accept = acceptOf(s, l, c);
  const server = accept ? embryo(s, accept, l) : undefined;
  l.pending.push(server?.cookie ?? c.cookie);
  const [a, b] = [c.local, c.remote];
  pair(s, c, l, { src: a, dst: b, flags: TCP_FLAG.SYN, seq: c.seq, ack: 0 });
  c.seq++;
  c.sndBase = c.seq;
  c.rcvBase = (lseq + 1) >>> 0;
  pair(s, l, c, { src: b, dst: a, flags: TCP_FLAG.SYN | TCP_FLAG.ACK, seq: lseq, ack: c.seq });
  pair(s, c, l, { src: a, dst: b, flags: TCP_FLAG.ACK, seq: c.seq, ack: lseq + 1 });
  if (server) {
    c.peer = server.cookie;
    server.peer = c.cookie;
    server.seq = lseq + 1;
    server.sndBase = server.seq;
    server.rcvBase = c.sndBase;
  }
}

/** accept(): the server's end becomes the acceptor's (its open block, flagged accepted). */
export function accept(s: SensorState, st: TruthStepOf<'accept'>, who: Who): void {
  const l = s.socks.get(st.listener.cookie);
  if (l) l.lastUser = who;
  let so = s.socks.get(st.socket.cookie);
  if (so?.embryo) {
    so.embryo = false;
    so.creator = who;
    so.lastUser = who;
    so.holders = [who.pid];
    so.netns = st.netns;
    l?.pending.splice(l.pending.indexOf(so.cookie), 1);
  } else {
    so = s.newSock(st.socket, st, who);
    so.local = st.socket.local ? parseEndpoint(st.socket.local) : undefined;
    so.remote = st.socket.remote ? parseEndpoint(st.socket.remote) : undefined;
    const clientCookie =
      l?.pending.find((c) => {
        const cs = s.socks.get(c)!;
        return !!cs.local && !!so!.remote && cs.local.port === so!.remote.port;
      }) ?? l?.pending[0];
    if (l && clientCookie) {
      l.pending.splice(l.pending.indexOf(clientCookie), 1);
      const c = s.socks.get(clientCookie)!;
      c.peer = so.cookie;
      so.peer = c.cookie;
      so.seq = c.rcvBase;
      so.sndBase = so.seq;
      so.rcvBase = c.sndBase;
    }
  }
  so.hashed = true;
  s.fds.open(st.pid, st.as, so.cookie, !!st.socket.cloexec);
  if (s.live) s.emit(s.sockEvent('open', so, who, { accepted: true }));
}

/** One segment from `from` to `to`: its outgoing then its incoming appearance (without data: by holder). */
export function pair(
  s: SensorState,
  from: Sock,
  to: Sock | undefined,
  seg: Omit<Extract<Wire, { kind: 'tcp' }>, 'kind' | 'payload'> & { payload?: Buffer },
  data?: Data,
): void {
  const bytes = encode({ kind: 'tcp', payload: Buffer.alloc(0), ...seg });
  s.packet('out', bytes, from, data ? 'sender' : 'control', data ? senderAttr(data) : s.holder(from), data);
  if (to) s.packet('in', bytes, to, data ? 'reader' : 'control', data ? READER : s.holder(to), data);
}

/** One TCP data segment holding the bytes of `parts`, made to leave by `releaser`, and its ACK. */
export function segment(s: SensorState, so: Sock, parts: Part[], releaser: Who): void {
  const p = s.socks.get(so.peer ?? '');
  if (!so.local || !so.remote) return;
  const payload = payloadOf(parts);
  pair(
    s,
    so,
    p,
    { src: so.local, dst: so.remote, flags: TCP_FLAG.PSH | TCP_FLAG.ACK, seq: so.seq, ack: p?.seq ?? 0, payload },
    dataOf(s, parts, releaser),
  );
  so.seq += payload.length;
  if (p) {
    p.received += payload.length;
    pair(s, p, so, { src: so.remote, dst: so.local, flags: TCP_FLAG.ACK, seq: p.seq, ack: so.seq });
  }
}

/** The last reference to a socket went away (close, exec or exit of its last holder). */
export function release(s: SensorState, cookie: string, closer: Who): void {
  const so = s.socks.get(cookie);
  if (!so || so.released || !s.fds.released(cookie)) return;
  so.released = true;
  if (!inet(so)) return;
  if (so.type === 1 && so.peer && so.local && so.remote) {
    const p = s.socks.get(so.peer)!;
    // tcp_close pushes what MSG_MORE held back before its FIN
    if (so.held.length > 0 && !so.reset) segment(s, so, so.held.splice(0), closer);
    if (so.reset) {
      // the peer reset it: nothing left to send, the socket is gone at once
      s.closeEvent(so, closer);
      return;
    }
    if (so.received > so.consumed) {
      // closed with data it never read: the kernel resets the connection instead of a FIN (RFC 2525)
      pair(s, so, p, { src: so.local, dst: so.remote, flags: TCP_FLAG.RST | TCP_FLAG.ACK, seq: so.seq, ack: p.seq });
      s.closeEvent(so, closer);
      p.reset = true;
      if (p.released) s.closeEvent(p, { pid: 0, tid: 0 });
      return;
    }
    if (p.finArriving) {
      // the peer's FIN is still on its way (fin-late): the FINs cross, this one ACKs none; the
      // late arrival finishes the simultaneous close (finArrives)
      pair(s, so, p, { src: so.local, dst: so.remote, flags: TCP_FLAG.FIN | TCP_FLAG.ACK, seq: so.seq, ack: p.seq - 1 });
      so.seq++;
      so.finSent = true;
      return;
    }
    const fin = encode({
      kind: 'tcp',
      src: so.local,
      dst: so.remote,
      flags: TCP_FLAG.FIN | TCP_FLAG.ACK,
      seq: so.seq,
      ack: p.seq,
      payload: Buffer.alloc(0),
    });
    s.packet('out', fin, so, 'control', s.holder(so));
    so.seq++;
    const second = p.finSent;
    so.finSent = true;
    if (!s.finLate) {
      finArrives(s, so, p, fin, second, closer);
      return;
    }
    // fin-late: an exit's FIN reaches the peer after the next step's effects
    so.finArriving = true;
    const step = s.step;
    s.lateArrivals.push(() => {
      const now = s.step;
      s.step = step;
      so.finArriving = false;
      finArrives(s, so, p, fin, second, closer);
      s.step = now;
    });
    return;
  }
  if (so.type === 1 || so.hashed) {
    s.deferred.push(so.cookie);
    return;
  }
  s.closeEvent(so, closer);
}

// --- internal ---

/**
 * The FIN `fin` of `so` reaches its peer `p`, and what that causes. First closer (`second` false):
 * the peer's ACK waits (delayed ACK) for its own FIN, unless the peer's FIN crossed this one
 * (fin-late): then each side ACKs the other's FIN and both go to TIME_WAIT (closed by the kernel).
 * Second closer: the first closer ACKs and goes to TIME_WAIT (closed by the kernel), then this one
 * is gone.
 */
function finArrives(s: SensorState, so: Sock, p: Sock, fin: Buffer, second: boolean, closer: Who): void {
  s.packet('in', fin, p, 'control', s.holder(p));
  if (!so.local || !so.remote) return;
  if (!second && p.finSent) {
    pair(s, p, so, { src: so.remote, dst: so.local, flags: TCP_FLAG.ACK, seq: p.seq, ack: so.seq });
    pair(s, so, p, { src: so.local, dst: so.remote, flags: TCP_FLAG.ACK, seq: so.seq, ack: p.seq });
    s.closeEvent(p, { pid: 0, tid: 0 });
    s.closeEvent(so, { pid: 0, tid: 0 });
    return;
  }
  if (!second) return;
  const ack = encode({
    kind: 'tcp',
    src: so.remote,
    dst: so.local,
    flags: TCP_FLAG.ACK,
    seq: p.seq,
    ack: so.seq,
    payload: Buffer.alloc(0),
  });
  s.packet('out', ack, p, 'control', s.holder(p));
  s.closeEvent(p, { pid: 0, tid: 0 });
  s.packet('in', ack, so, 'control', s.holder(so));
  s.closeEvent(so, closer);
}

/** Does a socket bound at `local` receive what is sent to `to` (its address, or the any-address)? */
function receivesAt(local: Endpoint | undefined, to: Endpoint): boolean {
  return (
    !!local &&
    (local.addr === to.addr || local.addr === '0.0.0.0' || local.addr === '::' || (to.addr === '127.0.0.1' && local.addr === '0.0.0.0'))
  );
}

/** The truth's accept of this connection (its socket's remote is the client's address). */
function acceptOf(s: SensorState, l: Sock, c: Sock): TruthStepOf<'accept'> | undefined {
  const local = c.local ? `${c.local.addr.includes(':') ? `[${c.local.addr}]` : c.local.addr}:${c.local.port}` : undefined;
  return s.truth.steps.find(
    (x): x is TruthStepOf<'accept'> => x.kind === 'accept' && x.listener.cookie === l.cookie && x.socket.remote === local,
  );
}

/** The server's end of a connection before accept(): the kernel's socket, nobody's yet. */
function embryo(s: SensorState, st: TruthStepOf<'accept'>, l: Sock): Sock {
  const so = s.newSock(st.socket, st as TruthStep, { pid: 0, tid: 0 });
  so.embryo = true;
  so.holders = [];
  so.netns = l.netns;
  so.hashed = true;
  so.local = st.socket.local ? parseEndpoint(st.socket.local) : undefined;
  so.remote = st.socket.remote ? parseEndpoint(st.socket.remote) : undefined;
  return so;
}
