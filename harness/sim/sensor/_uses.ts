// Read, gain and lose blocks (kmod/FORMAT.md 0x103): who reads a socket's
// data, and who holds the socket. Holding is per process: the creator
// from its open on, a gain at fork (every inet socket in the child's
// table) or at SCM_RIGHTS, a lose at its last descriptor's close or exit;
// a lose swaps the last holder into the gap (kmod/holders.c).
import type { TruthStepOf } from '../../check/types.ts';
import type { Who } from '../events.ts';
import { inet, type SensorState, type Sock } from './_state.ts';

export function gain(s: SensorState, so: Sock, who: Who, via: 'fork' | 'recv'): void {
  if (so.holders.includes(who.pid)) return;
  so.holders.push(who.pid);
  s.use('gain', so, who, { via });
}

export function lose(s: SensorState, so: Sock, who: Who, via: 'close' | 'exit'): void {
  const i = so.holders.indexOf(who.pid);
  if (i < 0) return;
  so.holders[i] = so.holders[so.holders.length - 1]!;
  so.holders.pop();
  s.use('lose', so, who, { via });
}

/** A receive step: one read block per read call (stream: the sequence numbers; datagrams: the packet id). */
export function read(s: SensorState, st: TruthStepOf<'recv' | 'recvfrom'>, so: Sock | undefined, who: Who): void {
  if (!so || !inet(so) || st.bytes === 0) return;
  const calls = st.reads ?? [st.bytes];
  if (so.type === 1) {
    for (const n of calls) {
      if (n <= 0) continue;
      const first = (so.rcvBase + so.consumed) >>> 0;
      so.consumed += n;
      s.use('read', so, who, { seq: { first, end: (first + n) >>> 0 }, bytes: n, tags: st.tags });
    }
    return;
  }
  const id = st.tags[0] !== undefined ? s.datagramIds.get(`${so.cookie} ${st.tags[0]}`) : undefined;
  s.use('read', so, who, { ...(id !== undefined ? { readPacketId: id } : {}), bytes: st.bytes, tags: st.tags });
}
