// Phase 1: process, socket, read, gain and lose blocks. Every event the
// truth expects must be in the capture once, with the right fields, inside
// the time window of the step that caused it and in causal order; every
// block of a scenario process or socket that no expectation used is wrong
// (a second exit, a bogus exec, an extra gain, a read nobody made).
import type { Block, ConnectionBlock, ProcessBlock, UseBlock } from '../capture/types.ts';
import type { Ctx } from './_context.ts';
import { isInet, sockName, who, window, type ExpectedEvent, type Model, type SockInfo } from './_model.ts';
import { startTimeProblems, type StartProblems } from './_starts.ts';
import { outside, timeText } from './_time.ts';

type EventBlock = ProcessBlock | ConnectionBlock | UseBlock;

/** What the events phase leaves to the later phases. */
export interface EventsResult {
  /** Where each expected event's block is (capture index). */
  position: Map<ExpectedEvent, number>;
  /** Start-time problems of packets (judged with the packet). */
  starts: StartProblems;
  /** Whether a block of a scenario pid belongs to the scenario's process (not a later one with the same pid). */
  own: (i: number) => boolean;
  /** Where each socket's live open and its close block are. */
  life: Map<string, { open?: number; close?: number }>;
}

export function judgeEvents(ctx: Ctx): EventsResult {
  const { m, cap, tally } = ctx;
  const own = ownership(ctx);
  const starts = startTimeProblems(ctx, own);
  const index = indexBlocks(ctx, own);
  const consumed = new Set<number>();
  const position = new Map<ExpectedEvent, number>();
  const reasons = new Map<ExpectedEvent, string[]>();
  for (const ev of m.events) {
    const found = find(ctx, index, consumed, ev);
    if (found.length === 0) continue;
    for (const i of found) consumed.add(i);
    position.set(ev, found[0]!);
    const blocks = found.map((i) => cap.blocks[i] as EventBlock);
    const wrong = compare(m, ev, blocks);
    const late = timing(ctx, ev, found);
    if (late) wrong.push(late);
    for (const b of blocks) {
      const s = starts.get(b.offset);
      if (s !== undefined) {
        wrong.push(s);
        starts.delete(b.offset);
      }
    }
    reasons.set(ev, wrong);
  }
  for (const { ev, text } of order(ctx, position)) reasons.get(ev)?.push(text);
  for (const ev of m.events) {
    const wrong = reasons.get(ev);
    if (wrong === undefined) tally.missing('events', `missing ${describe(m, ev)}`);
    else if (wrong.length > 0) tally.wrong('events', `${describe(m, ev)}: ${wrong.join('; ')}`);
    else tally.correct('events');
  }
  extras(ctx, consumed, starts, own);
  // the rest are packets' start times, judged with them; blocks' left over here
  for (const [offset, why] of starts) {
    const b = cap.blocks[cap.indexOf(offset)]!;
    if (b.kind === 'packet') continue;
    tally.wrong(
      'events',
      `${b.kind === 'process' ? `${b.event} block` : b.kind === 'use' ? `${b.what} block` : b.kind} at offset ${offset}: ${why}`,
    );
    starts.delete(offset);
  }
  const life = new Map<string, { open?: number; close?: number }>();
  for (const [e, at] of position) {
    if (e.kind !== 'open' && e.kind !== 'close') continue;
    const l = life.get(e.sock.cookie) ?? life.set(e.sock.cookie, {}).get(e.sock.cookie)!;
    l[e.kind] = at;
  }
  return { position, starts, own, life };
}

export function describe(m: Model, ev: ExpectedEvent): string {
  switch (ev.kind) {
    case 'fork':
      return `fork of ${who(m, ev.pid)} by ${who(m, ev.ppid)} (step ${ev.step.step})`;
    case 'exec':
      return `exec of ${ev.exe} by ${who(m, ev.pid)} (step ${ev.step.step})`;
    case 'exit':
      return `exit (code ${ev.code}) of ${who(m, ev.pid)} (step ${ev.step.step})`;
    case 'snapshot-process':
      return `snapshot process block of ${who(m, ev.pid)} (alive at capture-start, step ${ev.step.step})`;
    case 'open':
      return `open of socket ${ev.sock.cookie} (${sockName(ev.sock)}) by ${who(m, ev.sock.creatorPid)} (step ${ev.step.step})`;
    case 'snapshot-open':
      return `snapshot open of socket ${ev.sock.cookie} (${sockName(ev.sock)}) for ${who(m, ev.pid)} (it held the socket at capture-start, step ${ev.step.step})`;
    case 'close':
      return `close of socket ${ev.sock.cookie} (${sockName(ev.sock)}) (its last holder let go at step ${ev.step.step})`;
    case 'read':
      return `read block of ${who(m, ev.pid, ev.tid)} on socket ${ev.sock.cookie} (${sockName(ev.sock)}) for ${ev.bytes} bytes (step ${ev.step.step})`;
    case 'gain':
      return `gain (via ${ev.via}) of socket ${ev.sock.cookie} (${sockName(ev.sock)}) by ${who(m, ev.pid, ev.tid)} (step ${ev.step.step})`;
    case 'lose':
      return `lose (via ${ev.via}) of socket ${ev.sock.cookie} (${sockName(ev.sock)}) by ${who(m, ev.pid, ev.tid)} (step ${ev.step.step})`;
  }
}

/** The low 32 bits of a cookie: the 15.07 connection id. */
export function lowHalf(cookie: string): number {
  return Number(BigInt('0x' + cookie) & 0xffffffffn);
}

// --- internal ---

/**
 * A scenario pid's blocks belong to the scenario's process from the capture's
 * start (or its fork block) up to a later fork block of the same pid: after
 * that, a reused pid names another process, whose blocks are not judged.
 */
function ownership(ctx: Ctx): (i: number) => boolean {
  const { m, cap } = ctx;
  const foreignFrom = new Map<number, number>();
  const seenFork = new Set<number>();
  cap.blocks.forEach((b, i) => {
    if (b.kind !== 'process' || b.event !== 'fork' || cap.snapshot.has(i) || !m.procs.has(b.pid) || foreignFrom.has(b.pid)) return;
    const p = m.procs.get(b.pid)!;
    const liveFork = p.forkStep.step > m.captureStart;
    if (liveFork && !seenFork.has(b.pid)) seenFork.add(b.pid);
    else foreignFrom.set(b.pid, i);
  });
  return (i: number) => {
    const b = cap.blocks[i];
    const pid = b && 'pid' in b ? b.pid : undefined;
    if (pid === undefined) return true;
    const from = foreignFrom.get(pid);
    return from === undefined || i < from;
  };
}

/** Candidate blocks by key, in capture order. */
function indexBlocks(ctx: Ctx, own: (i: number) => boolean): Map<string, number[]> {
  const { cap } = ctx;
  const index = new Map<string, number[]>();
  const add = (k: string, i: number) => (index.get(k) ?? index.set(k, []).get(k)!).push(i);
  cap.blocks.forEach((b, i) => {
    const snap = cap.snapshot.has(i);
    if (b.kind === 'process' && own(i)) add(snap ? `snapshot-process ${b.pid}` : `${b.event} ${b.pid}`, i);
    else if (b.kind === 'connection' && b.socketId !== undefined)
      add(snap ? `snapshot-open ${b.socketId} ${b.pid}` : `${b.event} ${b.socketId}`, i);
    else if (b.kind === 'use' && b.socketId !== undefined) add(`${b.what} ${b.socketId} ${b.pid}`, i);
  });
  return index;
}

function keyOf(ev: ExpectedEvent): string {
  switch (ev.kind) {
    case 'fork':
    case 'exec':
    case 'exit':
      return `${ev.kind} ${ev.pid}`;
    case 'snapshot-process':
      return `snapshot-process ${ev.pid}`;
    case 'open':
    case 'close':
      return `${ev.kind} ${ev.sock.cookie}`;
    case 'snapshot-open':
      return `snapshot-open ${ev.sock.cookie} ${ev.pid}`;
    case 'read':
    case 'gain':
    case 'lose':
      return `${ev.kind} ${ev.sock.cookie} ${ev.pid}`;
  }
}

/**
 * The block(s) for an expected event: the first unused of its key, one of the
 * right thread (and way) first. A whole-step read (a runner that did not
 * record its read calls) takes that thread's blocks in its step's window
 * until they add up to what the step read.
 */
function find(ctx: Ctx, index: Map<string, number[]>, consumed: Set<number>, ev: ExpectedEvent): number[] {
  const { cap } = ctx;
  const free = (index.get(keyOf(ev)) ?? []).filter((i) => !consumed.has(i));
  if (free.length === 0) return [];
  if (ev.kind !== 'read' && ev.kind !== 'gain' && ev.kind !== 'lose') return [free[0]!];
  const use = (i: number) => cap.blocks[i] as UseBlock;
  const right = free.filter((i) => use(i).tid === ev.tid || (ev.kind === 'lose' && ev.via === 'exit'));
  const best = right.find((i) => ev.kind === 'read' || use(i).via === ev.via) ?? right[0] ?? free[0]!;
  if (ev.kind !== 'read' || !ev.whole) return [best];
  const w = window(ctx.m, ev.step);
  const out = [best];
  let sum = use(best).bytes ?? 0;
  for (const i of right) {
    if (sum >= ev.bytes) break;
    if (i === best) continue;
    const t = cap.time(i);
    if (t !== undefined && outside(w, t)) continue;
    out.push(i);
    sum += use(i).bytes ?? 0;
  }
  return out;
}

function compare(m: Model, ev: ExpectedEvent, blocks: EventBlock[]): string[] {
  const w: string[] = [];
  const b = blocks[0]!;
  const thread = (tid: number | undefined) => `${tid}${tid !== undefined && m.tids.get(tid) ? ` (${m.tids.get(tid)})` : ''}`;
  switch (ev.kind) {
    case 'fork':
    case 'exec':
    case 'exit':
    case 'snapshot-process': {
      if (b.kind !== 'process') return w;
      const p = m.procs.get(ev.pid);
      if (ev.kind === 'fork' || ev.kind === 'snapshot-process') {
        if (b.ppid === undefined) w.push('no parent pid (option 5)');
        else if (b.ppid !== ev.ppid) w.push(`parent is ${who(m, b.ppid)}, expected ${who(m, ev.ppid)}`);
      }
      if (ev.kind === 'fork' && b.tid !== undefined && b.tid !== ev.pid) w.push(`thread id ${b.tid}, expected ${ev.pid}`);
      if (ev.kind === 'snapshot-process' && b.event !== (ev.execed ? 'exec' : 'fork'))
        w.push(`a ${b.event} block, expected ${ev.execed ? "exec (it exec'ed before the capture)" : "fork (it never exec'ed)"}`);
      if (ev.kind === 'exec') {
        if (b.exe === undefined) w.push('no exe path (option 3)');
        else if (b.exe !== ev.exe) w.push(`exe "${b.exe}", expected "${ev.exe}"`);
        if (b.argv === undefined) w.push('no argv (option 4)');
        else if (b.argv.join('\0') !== ev.argv.join('\0')) w.push(`argv ${JSON.stringify(b.argv)}, expected ${JSON.stringify(ev.argv)}`);
      }
      if (ev.kind === 'exit') {
        if (b.exitStatus === undefined) w.push('no exit status (option 258)');
        else if (b.exitStatus !== ev.code << 8) w.push(`exit status ${b.exitStatus}, expected ${ev.code << 8} (exit code ${ev.code})`);
        if (b.tid !== undefined && !(m.threads.get(ev.pid)?.has(b.tid) ?? b.tid === ev.pid))
          w.push(`thread ${b.tid}, which is not a thread of ${who(m, ev.pid)}`);
      }
      const nspid = p?.nspid ?? ev.pid;
      if (b.nspid === undefined) w.push(`no pid in its own namespace (option 260; expected ${nspid})`);
      else if (b.nspid !== nspid) w.push(`pid in its own namespace ${b.nspid} (option 260), expected ${nspid}`);
      if (p?.pidns !== undefined) {
        if (b.pidns === undefined) w.push(`no pid namespace (option 261; expected ${p.pidns})`);
        else if (b.pidns !== p.pidns) w.push(`pid namespace ${b.pidns} (option 261), expected ${p.pidns}`);
      }
      return w;
    }
    case 'open':
    case 'snapshot-open':
    case 'close': {
      if (b.kind !== 'connection') return w;
      const s = ev.sock;
      if (ev.kind === 'open') {
        if (b.snapshot) w.push('flagged snapshot although it was opened after the reader');
        if (b.pid !== s.creatorPid) w.push(`opened by ${who(m, b.pid)}, expected ${who(m, s.creatorPid)}`);
        if (b.tid === undefined) w.push('no thread id (option 258)');
        else if (b.tid !== s.creatorTid) w.push(`thread ${thread(b.tid)}, expected ${thread(s.creatorTid)}`);
        if (b.accepted !== s.accepted)
          w.push(s.accepted ? 'not flagged accepted although accept() made it' : 'flagged accepted although socket() made it');
      } else if (ev.kind === 'snapshot-open') {
        if (!b.snapshot) w.push('not flagged snapshot although the socket existed before the reader');
      } else {
        if (b.pid !== 0 && !ev.releasers.includes(b.pid))
          w.push(
            `closed by ${who(m, b.pid, b.tid)}, but ${ev.releasers.map((p) => who(m, p)).join(' or ')} let go of it last (or the kernel, pid 0)`,
          );
        if (b.tid === undefined) w.push('no thread id (option 258)');
        else if (b.pid === 0 && b.tid !== 0) w.push(`thread ${b.tid} with pid 0 (the kernel closed it: thread 0)`);
        else if (b.pid !== 0 && !(m.threads.get(b.pid)?.has(b.tid) ?? b.tid === b.pid))
          w.push(`thread ${b.tid}, which is not a thread of ${who(m, b.pid)}`);
      }
      if (b.family === undefined) w.push('no family/type/proto (option 259)');
      else if (b.family !== s.family || b.type !== s.type || b.protocol !== s.proto)
        w.push(`family/type/proto ${b.family}/${b.type}/${b.protocol}, expected ${s.family}/${s.type}/${s.proto}`);
      if (b.inode === undefined) w.push(`no inode (option 260; expected ${s.ino})`);
      else if (b.inode !== s.ino) w.push(`inode ${b.inode}, expected ${s.ino}`);
      if (b.netns === undefined) w.push(`no network namespace (option 261; expected ${s.netns})`);
      else if (b.netns !== s.netns) w.push(`netns ${b.netns}, expected ${s.netns}`);
      if (b.connectionId !== lowHalf(s.cookie)) w.push(`connection id 0x${b.connectionId.toString(16)} is not the low half of the cookie`);
      return w;
    }
    case 'read':
    case 'gain':
    case 'lose': {
      if (b.kind !== 'use') return w;
      if (b.tid === undefined) w.push('no thread id (option 258)');
      else if (ev.kind === 'lose' && ev.via === 'exit') {
        // the exiting thread is whichever thread of the process dropped the files last
        if (!(m.threads.get(ev.pid)?.has(b.tid) ?? b.tid === ev.pid)) w.push(`thread ${b.tid}, which is not a thread of ${who(m, ev.pid)}`);
      } else if (b.tid !== ev.tid) w.push(`thread ${thread(b.tid)}, expected ${thread(ev.tid)}`);
      if (ev.kind !== 'read' && b.via !== ev.via) w.push(`via ${b.via ?? 'nothing (no option 260)'}, expected ${ev.via}`);
      if (b.connectionId !== lowHalf(ev.sock.cookie))
        w.push(`connection id 0x${b.connectionId.toString(16)} is not the low half of the cookie`);
      if (ev.kind === 'read') w.push(...readFields(ev, blocks as UseBlock[]));
      return w;
    }
  }
}

/** A read block says what the runner read: its bytes (263), and a stream read the sequence range of exactly those bytes. */
function readFields(ev: Extract<ExpectedEvent, { kind: 'read' }>, blocks: UseBlock[]): string[] {
  const w: string[] = [];
  let sum = 0;
  for (const b of blocks) {
    if (b.bytes === undefined) {
      w.push('no byte count (option 263)');
      continue;
    }
    sum += b.bytes;
    if (ev.sock.type === 1) {
      if (!b.seq) w.push('no TCP sequence range (option 261)');
      else if ((b.seq.end - b.seq.first) >>> 0 !== b.bytes)
        w.push(`sequence range ${b.seq.first}-${b.seq.end} is ${(b.seq.end - b.seq.first) >>> 0} bytes, the block says ${b.bytes}`);
    } else if (b.readPacketId === undefined) {
      w.push('no packet id of the datagram read (option 262)');
    }
  }
  if (w.length === 0 && sum !== ev.bytes)
    w.push(`${sum} bytes (option 263), the runner read ${ev.bytes}${ev.whole ? ' in this step' : ' in this call'}`);
  return w;
}

/** Inside the window of the step that caused it (exits and their loses: up to when the process was seen gone; a close: after its release began). */
function timing(ctx: Ctx, ev: ExpectedEvent, found: number[]): string | undefined {
  const { m, cap } = ctx;
  if (ev.kind === 'snapshot-process' || ev.kind === 'snapshot-open') return undefined;
  let w = window(m, ev.step);
  if (ev.kind === 'close') w = { lo: w.lo, hi: m.clock.endUs };
  for (const i of found) {
    const t = cap.time(i);
    if (t === undefined) continue;
    const side = outside(w, t);
    if (side) return `out of its step's time: ${timeText(t, w)} (${side === 'before' ? 'before the step began' : 'after it ended'})`;
  }
  return undefined;
}

/**
 * Capture order, each rule from the truth's order of steps: per process
 * fork, exec, exit; per socket its open first and the close after every
 * lose; a gain after the child's fork block and before the gainer's first
 * read or send on the socket; a lose after the process's reads of earlier
 * steps and the first outgoing copy of what it sent before (read before the
 * lose's step, so surely gone; MSG_MORE bytes may leave with the close).
 */
function order(ctx: Ctx, pos: Map<ExpectedEvent, number>): Array<{ ev: ExpectedEvent; text: string }> {
  const { m } = ctx;
  const out: Array<{ ev: ExpectedEvent; text: string }> = [];
  const at = (ev: ExpectedEvent | undefined) => (ev ? pos.get(ev) : undefined);
  const before = (ev: ExpectedEvent, other: ExpectedEvent, why = '') =>
    out.push({ ev, text: `out of causal order: it comes before the ${describe(m, other)} in the capture${why}` });
  // per process
  const byPid = new Map<number, ExpectedEvent[]>();
  for (const ev of m.events)
    if (ev.kind === 'fork' || ev.kind === 'exec' || ev.kind === 'exit') (byPid.get(ev.pid) ?? byPid.set(ev.pid, []).get(ev.pid)!).push(ev);
  for (const list of byPid.values()) {
    let last: ExpectedEvent | undefined;
    for (const ev of list) {
      const i = at(ev);
      if (i === undefined) continue;
      if (last && i < at(last)!) before(ev, last);
      else last = ev;
    }
  }
  // per socket
  const bySock = new Map<string, ExpectedEvent[]>();
  for (const ev of m.events) if ('sock' in ev) (bySock.get(ev.sock.cookie) ?? bySock.set(ev.sock.cookie, []).get(ev.sock.cookie)!).push(ev);
  const fork = new Map<number, ExpectedEvent>();
  for (const ev of m.events) if (ev.kind === 'fork') fork.set(ev.pid, ev);
  const firstOut = firstOutgoing(ctx);
  const sendsBy = new Map<string, Array<[string, typeof m.sends extends Map<string, infer V> ? V : never]>>();
  for (const [tag, send] of m.sends) {
    const k = `${send.step.pid} ${send.sock.cookie}`;
    (sendsBy.get(k) ?? sendsBy.set(k, []).get(k)!).push([tag, send]);
  }
  const sendsOf = (pid: number, cookie: string) => sendsBy.get(`${pid} ${cookie}`) ?? [];
  for (const list of bySock.values()) {
    const open = list.find((e) => e.kind === 'open');
    const openAt = at(open);
    for (const ev of list) {
      const i = at(ev);
      if (i === undefined || ev === open) continue;
      if (openAt !== undefined && i < openAt && ev.kind !== 'lose') {
        before(ev, open!);
        continue;
      }
      if (ev.kind === 'close') {
        const lose = list.filter((e) => e.kind === 'lose' && (at(e) ?? -1) > i)[0];
        if (lose) before(ev, lose, ' (the close comes after the last holder let go)');
      }
      if (ev.kind === 'gain') {
        const f = ev.via === 'fork' ? fork.get(ev.pid) : undefined;
        if (f && at(f) !== undefined && i < at(f)!) {
          before(ev, f);
          continue;
        }
        const read = list.find((e) => e.kind === 'read' && e.pid === ev.pid && e.step.step > ev.step.step && (at(e) ?? Infinity) < i);
        if (read) {
          out.push({
            ev,
            text: `out of causal order: it comes after the ${describe(m, read)} in the capture (a process reads a socket only once it holds it)`,
          });
          continue;
        }
        for (const [tag, send] of sendsOf(ev.pid, ev.sock.cookie)) {
          if (send.step.step <= ev.step.step) continue;
          const o = firstOut.get(tag);
          if (o !== undefined && o < i) {
            out.push({
              ev,
              text: `out of causal order: it comes after the first outgoing packet with tag ${tag} (sent on the socket by ${who(m, send.step.pid, send.step.tid)} at step ${send.step.step}) in the capture`,
            });
            break;
          }
        }
      }
      if (ev.kind === 'lose') {
        const read = list.find((e) => e.kind === 'read' && e.pid === ev.pid && e.step.step < ev.step.step && (at(e) ?? -1) > i);
        if (read) {
          out.push({
            ev,
            text: `out of causal order: it comes before the ${describe(m, read)} in the capture (the process still held the socket then)`,
          });
          continue;
        }
        for (const [tag, send] of sendsOf(ev.pid, ev.sock.cookie)) {
          const st = send.step;
          if (st.step >= ev.step.step || (st.kind === 'send' && st.more)) continue;
          if (!(m.deliveries.get(tag)?.readers ?? []).some((r) => r.step.step < ev.step.step)) continue;
          const o = firstOut.get(tag);
          if (o !== undefined && o > i) {
            out.push({
              ev,
              text: `out of causal order: it comes before the first outgoing packet with tag ${tag} (sent on the socket by ${who(m, st.pid, st.tid)} at step ${st.step}, read before step ${ev.step.step}) in the capture (the process still held the socket then)`,
            });
            break;
          }
        }
      }
    }
  }
  return out;
}

/** tag -> capture index of its first outgoing copy. */
function firstOutgoing(ctx: Ctx): Map<string, number> {
  const { cap } = ctx;
  const out = new Map<string, number>();
  cap.blocks.forEach((b, i) => {
    if (b.kind !== 'packet' || b.direction !== 'out') return;
    for (const t of cap.tags(i)) if (!out.has(t.tag)) out.set(t.tag, i);
  });
  return out;
}

/**
 * Blocks of the scenario that no expectation used: process blocks of its
 * processes, connection and read/gain/lose blocks of its sockets, and
 * sockets the truth does not know opened by its processes. Each is wrong.
 */
function extras(ctx: Ctx, consumed: Set<number>, starts: StartProblems, own: (i: number) => boolean): void {
  const { m, cap, tally } = ctx;
  const scenarioSock = (id: string | undefined) => {
    const s = id === undefined ? undefined : m.sockets.get(id);
    return s && isInet(s) && !m.ignoredCookies.has(s.cookie) ? s : undefined;
  };
  cap.blocks.forEach((b, i) => {
    if (consumed.has(i)) return;
    const why = extraReason(m, b, scenarioSock, own(i), cap.snapshot.has(i));
    if (!why) return;
    const s = starts.get(b.offset);
    if (s !== undefined) starts.delete(b.offset);
    tally.wrong('events', `${why}${s ? `; ${s}` : ''}`);
  });
}

function extraReason(
  m: Model,
  b: Block,
  scenarioSock: (id: string | undefined) => SockInfo | undefined,
  own: boolean,
  snap: boolean,
): string | undefined {
  const at = `at offset ${b.offset}`;
  if (b.kind === 'process') {
    if (!m.procs.has(b.pid) || !own) return undefined;
    return `${snap ? 'snapshot ' : ''}${b.event} block ${at} of ${who(m, b.pid, b.tid)}, which the truth has no such event for (a second or made-up event)`;
  }
  if (b.kind === 'connection') {
    const s = scenarioSock(b.socketId);
    if (s)
      return `${snap ? 'snapshot ' : ''}${b.event} block ${at} of socket ${s.cookie} (${sockName(s)}) by ${who(m, b.pid, b.tid)}, which the truth has no such event for`;
    if (m.procs.has(b.pid) && b.socketId !== undefined && !m.ignoredCookies.has(b.socketId) && !m.sockets.has(b.socketId)) {
      return `${b.event} block ${at} of socket ${b.socketId} by ${who(m, b.pid, b.tid)}, a socket the scenario never made`;
    }
    return undefined;
  }
  if (b.kind === 'use') {
    const s = scenarioSock(b.socketId);
    if (!s) {
      if (m.procs.has(b.pid) && b.socketId !== undefined && !m.ignoredCookies.has(b.socketId) && !m.sockets.has(b.socketId))
        return `${b.what} block ${at} of ${who(m, b.pid, b.tid)} on socket ${b.socketId}, a socket the scenario never made`;
      return undefined;
    }
    const never = !s.everHeld.has(b.pid) ? ', which that process never held' : '';
    return `${b.what} block ${at} names ${who(m, b.pid, b.tid)} for socket ${s.cookie} (${sockName(s)})${never}${never ? '' : ': the truth has no such event for it'}`;
  }
  return undefined;
}
