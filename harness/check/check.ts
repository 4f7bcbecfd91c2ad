// The checker: joins the runner's ground truth with a capture and says, in
// plain words, what the sensor got right, wrong or not at all. The rules are
// in RULES.md next to this file; every rule there is enforced here.
import { IPPROTO } from '../capture/constants.ts';
import { decodePacket, endpoint, type DecodedPacket } from '../capture/packet.ts';
import type { Capture, ConnectionBlock, HonetEvent, HonetPacket, HonetUse, PacketBlock, ProcessBlock, UseBlock } from '../capture/types.ts';
import { byteSeq, WhoRead } from '../capture/who-read.ts';
import type { Scenario } from '../scenario/types.ts';
import { buildModel, isInet, who, type ExpectedEvent, type Model, type SendInfo, type SockInfo } from './_model.ts';
import type { Counts, Truth, Verdict } from './types.ts';

export interface CheckInput {
  scenario: Scenario;
  truth: Truth;
  capture: Capture;
  honet?: HonetEvent[];
  /** How many mismatches to keep in the verdict (default 20). */
  maxMismatches?: number;
}

export function checkScenario(input: CheckInput): Verdict {
  const { scenario, truth, capture } = input;
  const max = input.maxMismatches ?? 20;
  const problems: string[] = [];
  const notes: string[] = [];
  const events: Counts = { total: 0, correct: 0, wrong: 0, missing: 0 };
  const packets: Counts = { total: 0, correct: 0, wrong: 0, missing: 0 };
  const control = { total: 0, correct: 0, wrong: 0 };
  let unmatched = 0;

  const finish = (): Verdict => {
    const failed = events.wrong + events.missing + packets.wrong + packets.missing + control.wrong > 0 || problems.length > 0;
    const status: Verdict['status'] = !failed ? 'pass' : scenario.knownGap && truth.ok ? 'todo' : 'fail';
    const v: Verdict = {
      scenario: scenario.name, status, packets, events, control, unmatched,
      mismatches: problems.slice(0, max), mismatchCount: problems.length, notes,
    };
    if (scenario.knownGap) v.knownGap = scenario.knownGap;
    return v;
  };

  if (truth.scenario !== scenario.name) problems.push(`truth.json is for scenario "${truth.scenario}", not "${scenario.name}"`);
  if (!truth.ok) {
    problems.push(`the runner did not complete the scenario: ${truth.error ?? 'no reason given'} (infrastructure or scenario error, not a sensor verdict)`);
    return finish();
  }
  const m = buildModel(truth);
  const blocks = capture.blocks;
  if (!blocks.some((b) => b.kind === 'section')) problems.push('the capture has no Section Header Block');
  if (!blocks.some((b) => b.kind === 'stats')) notes.push('the capture has no Interface Statistics Block: the reader did not end its section cleanly');
  for (const b of blocks) {
    if (b.kind !== 'stats') continue;
    const drops = [b.counters[7], b.counters[259], b.counters[263]].map((x) => Number(x ?? 0n));
    if (drops.some((d) => d > 0)) notes.push(`the reader's ring was full: ${drops[0]} packets, ${drops[1]} process events, ${drops[2]} socket events dropped`);
  }

  // ---- events ----
  const consumed = new Set<number>();
  const position = new Map<ExpectedEvent, number>();
  const reasons = new Map<ExpectedEvent, string[]>();
  const index = indexEvents(blocks);
  const at = new Map(blocks.map((b, i) => [b.offset, i]));
  // start times that are not their process instance's, by block offset; each is used once below
  const starts = startTimeProblems(m, blocks);
  for (const ev of m.events) {
    const found = ev.kind === 'rst' ? findReset(blocks, consumed, ev.sock) : findEvent(index, consumed, ev);
    if (!found) continue;
    consumed.add(found.offset);
    position.set(ev, at.get(found.offset)!);
    const wrong = found.kind === 'packet' ? compareReset(found) : compareEvent(m, ev, found);
    const start = starts.get(found.offset);
    if (start !== undefined) {
      wrong.push(start);
      starts.delete(found.offset);
    }
    reasons.set(ev, wrong);
  }
  // causal order within a process and within a socket: the later one in truth is wrong
  for (const { ev, text } of causalOrder(m, position)) reasons.get(ev)?.push(text);
  for (const { ev, text } of loseOrder(m, blocks, position)) reasons.get(ev)?.push(text);
  for (const ev of m.events) {
    events.total++;
    const wrong = reasons.get(ev);
    if (wrong === undefined) {
      events.missing++;
      problems.push(`missing ${describe(m, ev)}`);
    } else if (wrong.length > 0) {
      events.wrong++;
      problems.push(`${describe(m, ev)}: ${wrong.join('; ')}`);
    } else {
      events.correct++;
    }
  }
  // gain, read and lose blocks naming a scenario process that never held the socket
  const scenarioPids = new Set(m.procs.keys());
  for (const b of blocks) {
    if (b.kind !== 'use' || consumed.has(b.offset) || !scenarioPids.has(b.pid)) continue;
    const so = m.sockets.get(b.socketId ?? '');
    if (!so || !isInet(so) || so.everHeld.has(b.pid) || (b.what !== 'gain' && b.what !== 'read' && b.what !== 'lose')) continue;
    consumed.add(b.offset);
    events.total++;
    events.wrong++;
    const start = starts.get(b.offset);
    starts.delete(b.offset);
    problems.push(`${b.what} block at offset ${b.offset} names ${who(m, b.pid, b.tid)} for socket ${so.cookie} (${sockName(so)}), which that process never held${start ? `; ${start}` : ''}`);
  }

  // ---- packets ----
  const readers = new WhoRead(blocks);
  const closedAt = closeIndex(blocks);
  /** judged appearances, their faults, and inbound duplicates (bytes read before the packet came) */
  const expected = new Map<string, { judged: string[]; wrong: string[]; duplicates: string[] }>();
  for (const [tag, s] of m.sends) {
    expected.set(`${tag} out`, { judged: [], wrong: [], duplicates: [] });
    for (const r of m.receives.get(tag) ?? []) if (s) expected.set(`${tag} in ${r.step.step}`, { judged: [], wrong: [], duplicates: [] });
  }
  const tagRe = new RegExp(`<HT:${m.truth.runId}:(\\d{6})>`, 'g');
  const flows = flowIndex(m);
  const holdersAt = holderSets(blocks);
  /** packets whose start time was judged with their tagged appearance */
  const startJudged = new Set<number>();
  for (const [index, b] of blocks.entries()) {
    if (b.kind !== 'packet') continue;
    const p = decodePacket(b.data);
    if (!p) continue;
    const tags = [...p.payload.toString('latin1').matchAll(tagRe)].map((x) => ({ tag: x[0], offset: x.index }));
    if (tags.length === 0) {
      const closed = b.socketId !== undefined && (closedAt.get(b.socketId) ?? Infinity) < index;
      judgeControl(m, b, p, flows, closed, holdersAt.get(index), control, problems, notes, () => unmatched++);
      continue;
    }
    for (const { tag, offset } of tags) {
      const send = m.sends.get(tag);
      if (!send) {
        unmatched++;
        notes.push(`packet with tag ${tag} matches no send of the scenario`);
        continue;
      }
      const role = roleOf(b, p, tag, m);
      if (role.kind === 'incidental') continue;
      const slot = expected.get(role.key);
      if (!slot) continue;
      const so = m.sockets.get(role.expect.sock.cookie);
      const covered = role.kind === 'receiver' ? readers.readersOf(index, offset) : [];
      const before = role.kind === 'receiver' && covered.length === 0 ? readers.readBefore(index, offset)[0] : undefined;
      if (before && b.socketId === role.expect.sock.cookie) {
        // a retransmission of bytes already read: judged only if no other appearance is
        slot.duplicates.push(
          `incoming packet with tag ${tag} read by ${who(m, role.expect.step.pid, role.expect.step.tid)}: no read block covers it after the packet (offset ${b.offset}); the read block at offset ${before.block.offset} before it does`,
        );
        continue;
      }
      const start = starts.get(b.offset);
      const wrong =
        (role.kind === 'sender'
          ? judgeSender(m, b, role.expect, tag, offset)
          : judgeReceiver(m, b, role.expect, tag, offset, covered, index)) ??
        (so && lifetimeProblem(m, so, index, position, tag)) ??
        (start !== undefined ? `${role.kind === 'sender' ? 'outgoing' : 'incoming'} packet with tag ${tag} at offset ${b.offset}: ${start}` : undefined);
      slot.judged.push(String(index));
      startJudged.add(b.offset);
      if (wrong) slot.wrong.push(wrong);
    }
  }
  // a start time that is not its process instance's, on a block or packet no expectation judged
  for (const [offset, why] of starts) {
    const b = blocks[at.get(offset)!]!;
    if (b.kind === 'packet') {
      if (startJudged.has(offset)) continue;
      packets.total++;
      packets.wrong++;
      problems.push(`${b.direction === 'in' ? 'incoming' : 'outgoing'} packet at offset ${offset}${b.socketId ? ` on socket ${b.socketId}` : ''}: ${why}`);
    } else {
      events.total++;
      events.wrong++;
      problems.push(`${b.kind === 'process' ? b.event : b.kind === 'use' ? b.what : b.kind} block at offset ${offset}: ${why}`);
    }
  }
  for (const [key, slot] of expected) {
    packets.total++;
    if (slot.judged.length === 0 && slot.duplicates.length > 0) {
      packets.wrong++;
      problems.push(slot.duplicates[0]!);
    } else if (slot.judged.length === 0) {
      packets.missing++;
      problems.push(`missing packet: ${describeSlot(m, key)}`);
    } else if (slot.wrong.length > 0) {
      packets.wrong++;
      problems.push(slot.wrong[0]!);
    } else {
      packets.correct++;
    }
  }

  // ---- captured events that match nothing ----
  const alive = aliveAtCapture(m);
  for (const b of blocks) {
    if (consumed.has(b.offset)) continue;
    if (b.kind === 'process' && scenarioPids.has(b.pid)) {
      if (alive.has(b.pid) && (b.event === 'exec' || b.event === 'fork')) continue; // snapshot of a live process
      unmatched++;
      notes.push(`unmatched ${b.event} event of ${who(m, b.pid)} at offset ${b.offset}`);
    } else if (b.kind === 'connection') {
      const id = b.socketId ?? '';
      if (m.ignoredCookies.has(id) || b.snapshot) continue;
      if (m.sockets.has(id) || scenarioPids.has(b.pid)) {
        unmatched++;
        notes.push(`unmatched socket ${b.event} of ${id} by ${who(m, b.pid)} at offset ${b.offset}`);
      }
    } else if (b.kind === 'use' && b.what !== 'read') {
      // extra reads of a holder are normal (a recv step may take several read() calls)
      const so = m.sockets.get(b.socketId ?? '');
      if (so && isInet(so)) {
        unmatched++;
        notes.push(`unmatched ${b.what} of ${so.cookie} by ${who(m, b.pid, b.tid)} at offset ${b.offset}`);
      }
    }
  }
  if (input.honet) honetNotes(m, input.honet, blocks, notes);
  if (events.total + packets.total === 0) problems.push('nothing to judge: the truth has no events or tagged packets after the capture started');
  if (notes.length > 50) notes.splice(50, notes.length - 50, `… and more notes`);
  return finish();
}

// --- internal ---

type EventBlock = ProcessBlock | ConnectionBlock | UseBlock;

/** Process, connection and use blocks by "event pid" / "event socket id" / "what socket id pid", in capture order. */
function indexEvents(blocks: Capture['blocks']): Map<string, EventBlock[]> {
  const index = new Map<string, EventBlock[]>();
  const add = (k: string, b: EventBlock) => {
    const list = index.get(k);
    if (list) list.push(b);
    else index.set(k, [b]);
  };
  for (const b of blocks) {
    if (b.kind === 'process') add(`${b.event} ${b.pid}`, b);
    else if (b.kind === 'connection') add(`${b.event} ${b.socketId}`, b);
    else if (b.kind === 'use') add(`${b.what} ${b.socketId} ${b.pid}`, b);
  }
  return index;
}

function findEvent(index: Map<string, EventBlock[]>, consumed: Set<number>, ev: ExpectedEvent): EventBlock | undefined {
  const free = (k: string) => (index.get(k) ?? []).filter((b) => !consumed.has(b.offset));
  if (ev.kind === 'open') {
    const opens = free(`open ${ev.sock.cookie}`) as ConnectionBlock[];
    // An open with the wrong snapshot flag is still the open, judged wrong.
    return opens.find((b) => b.snapshot === ev.snapshot) ?? opens[0];
  }
  if (ev.kind === 'close') return free(`close ${ev.sock.cookie}`)[0];
  if (ev.kind === 'read' || ev.kind === 'gain' || ev.kind === 'lose') {
    const uses = free(`${ev.kind} ${ev.sock.cookie} ${ev.pid}`) as UseBlock[];
    // A block of the right thread (and way) first; else the first one, judged wrong.
    return uses.find((b) => b.tid === ev.tid && (ev.kind === 'read' || b.via === ev.via)) ?? uses.find((b) => b.tid === ev.tid) ?? uses[0];
  }
  if (ev.kind === 'rst') return undefined;
  return free(`${ev.kind} ${ev.pid}`)[0];
}

/** The first outbound TCP RST from the socket's address to its peer not yet used. */
function findReset(blocks: Capture['blocks'], consumed: Set<number>, s: SockInfo): PacketBlock | undefined {
  for (const b of blocks) {
    if (b.kind !== 'packet' || b.direction !== 'out' || consumed.has(b.offset)) continue;
    const p = decodePacket(b.data);
    if (p?.protocol !== IPPROTO.TCP || !p.tcpFlags?.includes('R')) continue;
    if (endpoint(p.src, p.srcPort) === s.local && endpoint(p.dst, p.dstPort) === s.remote) return b;
  }
  return undefined;
}

function compareReset(b: PacketBlock): string[] {
  if (b.attribution === 'holder' || b.attribution === 'none') return [];
  return [`the RST at offset ${b.offset} is labelled ${b.attribution ?? 'nothing (no EPB option 259)'}, expected holder or none: the kernel sent it, no process did`];
}

/** Offset-ordered index of each socket's first close block. */
function closeIndex(blocks: Capture['blocks']): Map<string, number> {
  const out = new Map<string, number>();
  for (const [i, b] of blocks.entries()) if (b.kind === 'connection' && b.event === 'close' && b.socketId && !out.has(b.socketId)) out.set(b.socketId, i);
  return out;
}

function compareEvent(m: Model, ev: ExpectedEvent, b: EventBlock): string[] {
  const w: string[] = [];
  if (b.kind === 'use') {
    if (ev.kind !== 'read' && ev.kind !== 'gain' && ev.kind !== 'lose') return w;
    if (b.tid === undefined) w.push('no thread id (option 258)');
    else if (ev.kind === 'lose' && ev.via === 'exit') {
      // the exiting thread is whichever thread of the process dropped the files last
      if (!(m.threads.get(ev.pid)?.has(b.tid) ?? b.tid === ev.pid)) w.push(`thread ${b.tid}, which is not a thread of ${who(m, ev.pid)}`);
    } else if (b.tid !== ev.tid) w.push(`thread ${b.tid}${m.tids.get(b.tid) ? ` (${m.tids.get(b.tid)})` : ''}, expected ${ev.tid}${m.tids.get(ev.tid) ? ` (${m.tids.get(ev.tid)})` : ''}`);
    if (ev.kind !== 'read' && b.via !== ev.via) w.push(`via ${b.via ?? 'nothing (no option 260)'}, expected ${ev.via}`);
    if (b.connectionId !== Number(BigInt('0x' + ev.sock.cookie) & 0xffffffffn)) w.push(`connection id 0x${b.connectionId.toString(16)} is not the low half of the cookie`);
    return w;
  }
  if (b.kind === 'process') {
    if (ev.kind === 'fork') {
      if (b.ppid !== undefined && b.ppid !== ev.ppid) w.push(`parent is ${who(m, b.ppid)}, expected ${who(m, ev.ppid)}`);
      if (b.ppid === undefined) w.push('no parent pid (option 5)');
      if (b.tid !== undefined && b.tid !== ev.pid) w.push(`thread id ${b.tid}, expected ${ev.pid}`);
    } else if (ev.kind === 'exec') {
      if (b.exe === undefined) w.push('no exe path (option 3)');
      else if (b.exe !== ev.exe) w.push(`exe "${b.exe}", expected "${ev.exe}"`);
      if (b.argv === undefined) w.push('no argv (option 4)');
      else if (b.argv.join('\0') !== ev.argv.join('\0')) w.push(`argv ${JSON.stringify(b.argv)}, expected ${JSON.stringify(ev.argv)}`);
    } else if (ev.kind === 'exit') {
      if (b.exitStatus === undefined) w.push('no exit status (option 258)');
      else if (b.exitStatus !== ev.code << 8) w.push(`exit status ${b.exitStatus}, expected ${ev.code << 8} (exit code ${ev.code})`);
    }
    return w;
  }
  if (ev.kind === 'open') {
    const s = ev.sock;
    if (ev.snapshot) {
      if (!b.snapshot) w.push('not flagged snapshot although the socket existed before the reader');
      if (!s.holdersAtCapture.includes(b.pid)) w.push(`listed for ${who(m, b.pid)}, which did not hold it`);
    } else {
      if (b.snapshot) w.push('flagged snapshot although it was opened after the reader');
      if (b.pid !== s.creatorPid) w.push(`opened by ${who(m, b.pid)}, expected ${who(m, s.creatorPid)}`);
      if (b.tid === undefined) w.push('no thread id (option 258)');
      else if (b.tid !== s.creatorTid) w.push(`thread ${b.tid}, expected ${s.creatorTid}`);
      if (b.accepted !== s.accepted) w.push(s.accepted ? 'not flagged accepted although accept() made it' : 'flagged accepted although socket() made it');
    }
    if (b.family === undefined) w.push('no family/type/proto (option 259)');
    else if (b.family !== s.family || b.type !== s.type || b.protocol !== s.proto) {
      w.push(`family/type/proto ${b.family}/${b.type}/${b.protocol}, expected ${s.family}/${s.type}/${s.proto}`);
    }
    if (b.inode !== undefined && b.inode !== 0 && b.inode !== s.ino) w.push(`inode ${b.inode}, expected ${s.ino}`);
    if (b.netns !== undefined && s.netns !== 0 && b.netns !== s.netns) w.push(`netns ${b.netns}, expected ${s.netns}`);
    if (b.connectionId !== Number(BigInt('0x' + s.cookie) & 0xffffffffn)) w.push(`connection id 0x${b.connectionId.toString(16)} is not the low half of the cookie`);
  }
  return w;
}

function describe(m: Model, ev: ExpectedEvent): string {
  switch (ev.kind) {
    case 'fork': return `fork of ${who(m, ev.pid)} by ${who(m, ev.ppid)} (step ${ev.step})`;
    case 'exec': return `exec of ${ev.exe} by ${who(m, ev.pid)} (step ${ev.step})`;
    case 'exit': return `exit (code ${ev.code}) of ${who(m, ev.pid)} (step ${ev.step})`;
    case 'open': return `${ev.snapshot ? 'snapshot ' : ''}open of socket ${ev.sock.cookie} (${sockName(ev.sock)}) by ${who(m, ev.sock.creatorPid)} (step ${ev.step})`;
    case 'close': return `close of socket ${ev.sock.cookie} (${sockName(ev.sock)}) (step ${ev.step})`;
    case 'read': return `read block of ${who(m, ev.pid, ev.tid)} on socket ${ev.sock.cookie} (${sockName(ev.sock)}) for ${ev.bytes} bytes (step ${ev.step})`;
    case 'gain': return `gain (via ${ev.via}) of socket ${ev.sock.cookie} (${sockName(ev.sock)}) by ${who(m, ev.pid, ev.tid)} (step ${ev.step})`;
    case 'lose': return `lose (via ${ev.via}) of socket ${ev.sock.cookie} (${sockName(ev.sock)}) by ${who(m, ev.pid, ev.tid)} (step ${ev.step})`;
    case 'rst': return `RST from socket ${ev.sock.cookie} ${ev.sock.local} -> ${ev.sock.remote}, closed with ${ev.unread} bytes the peer sent unread (step ${ev.step})`;
  }
}

function sockName(s: SockInfo): string {
  const fam = s.family === 10 ? 'inet6' : s.family === 2 ? 'inet' : `family ${s.family}`;
  const type = ({ 1: 'stream', 2: 'dgram', 3: 'raw' } as Record<number, string>)[s.type] ?? `type ${s.type}`;
  return `${fam} ${type}${s.proto ? ` proto ${s.proto}` : ''}${s.accepted ? ' accepted' : ''}`;
}

/**
 * fork before exec before exit per process; open before close per socket;
 * a socket's gain and read blocks after its open (capture order). A lose
 * may come before or after the close block (that one waits for the kernel
 * to free the socket), and the RST is a packet: neither is ordered.
 */
function causalOrder(m: Model, pos: Map<ExpectedEvent, number>): Array<{ ev: ExpectedEvent; text: string }> {
  const out: Array<{ ev: ExpectedEvent; text: string }> = [];
  const groups = new Map<string, ExpectedEvent[]>();
  for (const ev of m.events) {
    if (ev.kind === 'read' || ev.kind === 'gain' || ev.kind === 'lose' || ev.kind === 'rst') continue;
    const k = ev.kind === 'open' || ev.kind === 'close' ? `s ${ev.sock.cookie}` : `p ${ev.pid}`;
    groups.set(k, [...(groups.get(k) ?? []), ev]);
  }
  for (const ev of m.events) {
    if (ev.kind !== 'read' && ev.kind !== 'gain') continue;
    const at = pos.get(ev);
    const open = (m.eventsOf.get(ev.sock.cookie) ?? []).find((o) => o.kind === 'open');
    const openAt = open && pos.get(open);
    if (at !== undefined && openAt !== undefined && at < openAt) out.push({ ev, text: `out of causal order: it comes before the ${describe(m, open!)} in the capture` });
  }
  for (const list of groups.values()) {
    let last: { ev: ExpectedEvent; at: number } | undefined;
    for (const ev of list) {
      const at = pos.get(ev);
      if (at === undefined) continue;
      if (last && at < last.at) out.push({ ev, text: `out of causal order: it comes before the ${describe(m, last.ev)} in the capture` });
      if (!last || at > last.at) last = { ev, at };
    }
  }
  return out;
}

/**
 * A lose block comes after what the process did with the socket while it
 * still held it: its read blocks of earlier steps, and the first outgoing
 * copy of each tag it sent on the socket at an earlier step that was read
 * (by anyone) before the lose's step (so those bytes surely left first;
 * `more: true` sends are left out: their bytes may leave with the last
 * close). A lose block matched out of its place (e.g. written at the close of
 * one of two dup'd descriptors and taken for the later last close) is wrong.
 */
function loseOrder(m: Model, blocks: Capture['blocks'], pos: Map<ExpectedEvent, number>): Array<{ ev: ExpectedEvent; text: string }> {
  const out: Array<{ ev: ExpectedEvent; text: string }> = [];
  const loses = m.events.filter((ev): ev is Extract<ExpectedEvent, { kind: 'lose' }> => ev.kind === 'lose' && pos.has(ev));
  if (loses.length === 0) return out;
  /** tag -> index of its first outgoing copy */
  let firstOut: Map<string, number> | undefined;
  const outgoing = () => {
    if (firstOut) return firstOut;
    firstOut = new Map();
    const tagRe = new RegExp(`<HT:${m.truth.runId}:(\\d{6})>`, 'g');
    for (const [i, b] of blocks.entries()) {
      if (b.kind !== 'packet' || b.direction !== 'out') continue;
      const p = decodePacket(b.data);
      if (!p) continue;
      for (const x of p.payload.toString('latin1').matchAll(tagRe)) if (!firstOut.has(x[0])) firstOut.set(x[0], i);
    }
    return firstOut;
  };
  for (const ev of loses) {
    const at = pos.get(ev)!;
    const reads = m.events.filter((r) => r.kind === 'read' && r.pid === ev.pid && r.sock === ev.sock && r.step < ev.step && (pos.get(r) ?? -1) > at);
    if (reads.length > 0) {
      out.push({ ev, text: `out of causal order: it comes before the ${describe(m, reads[0]!)} in the capture (the process still held the socket then)` });
      continue;
    }
    for (const [tag, send] of m.sends) {
      const st = send.step;
      if (st.pid !== ev.pid || send.sock.cookie !== ev.sock.cookie || st.step >= ev.step || st.more) continue;
      if (!(m.receives.get(tag) ?? []).some((r) => r.step.step < ev.step)) continue;
      const o = outgoing().get(tag);
      if (o !== undefined && o > at) {
        out.push({ ev, text: `out of causal order: it comes before the first outgoing packet with tag ${tag} (sent on the socket by ${who(m, st.pid, st.tid)} at step ${st.step}, read before step ${ev.step}) in the capture (the process still held the socket then)` });
        break;
      }
    }
  }
  return out;
}

function lifetimeProblem(m: Model, so: SockInfo, index: number, pos: Map<ExpectedEvent, number>, tag: string): string | undefined {
  for (const ev of m.eventsOf.get(so.cookie) ?? []) {
    if ((ev.kind !== 'open' && ev.kind !== 'close') || ev.sock !== so) continue;
    const at = pos.get(ev);
    if (at === undefined) continue;
    if (ev.kind === 'open' && !ev.snapshot && at > index) return `out of causal order: packet with tag ${tag} comes before the open of its socket ${so.cookie}`;
    if (ev.kind === 'close' && at < index) return `out of causal order: packet with tag ${tag} comes after the close of its socket ${so.cookie}`;
  }
  return undefined;
}

type Role =
  | { kind: 'incidental' }
  | { kind: 'sender' | 'receiver'; key: string; expect: SendInfo };

/** Which appearance of a tag a packet is: the sender's (O), a reader's (I), or neither (kernel's ICMP). */
function roleOf(b: PacketBlock, p: DecodedPacket, tag: string, m: Model): Role {
  const send = m.sends.get(tag)!;
  const icmp = p.protocol === IPPROTO.ICMP || p.protocol === IPPROTO.ICMPV6;
  const request = p.icmpType === 8 || p.icmpType === 128;
  if (b.direction === 'out') {
    if (icmp && !request) return { kind: 'incidental' }; // the kernel's echo reply
    return { kind: 'sender', key: `${tag} out`, expect: send };
  }
  if (b.direction === 'in') {
    if (icmp && request) return { kind: 'incidental' }; // the request, consumed by the kernel
    const readers = m.receives.get(tag) ?? [];
    const dst = endpoint(p.dst, p.dstPort);
    const r = readers.find((x) => addrMatches(x.sock.local, dst, p.dstPort !== undefined)) ?? readers[0];
    if (!r) return { kind: 'incidental' }; // never read: no reader to attribute to
    return { kind: 'receiver', key: `${tag} in ${r.step.step}`, expect: r };
  }
  return { kind: 'sender', key: `${tag} out`, expect: send };
}

/** Outgoing tagged packet: the sender's socket, labelled sender, the run holding the tag names the sending thread. */
function judgeSender(m: Model, b: PacketBlock, send: SendInfo, tag: string, offset: number): string | undefined {
  const st = send.step;
  const head = `outgoing packet with tag ${tag} sent by ${who(m, st.pid, st.tid)}`;
  const how = b.attribution ? ` (by ${b.attribution})` : '';
  const wrong = socketProblem(m, b, head, send.sock.cookie);
  if (wrong) return wrong;
  const so = m.sockets.get(send.sock.cookie);
  const run = runAt(b, offset);
  const inRun = run ? ` in the sender run at payload offset ${run.offset} (option 263)` : '';
  const pid = run ? run.pid : b.pid;
  const tid = run ? run.tid : b.tid;
  if (pid === undefined) return `${head} has no process${how}`;
  const creator = so && pid === so.creatorPid ? ', the socket\'s creator' : '';
  if (pid !== st.pid) return `${head} attributed to ${who(m, pid)}${creator}${how}${inRun}`;
  if (tid === undefined || tid === 0) return `${head} has no thread id (EPB option 8)${how}`;
  if (tid !== st.tid) return `${head} attributed to thread ${tid}${m.tids.get(tid) ? ` (${m.tids.get(tid)})` : ''}${how}${inRun}`;
  if (b.attribution !== 'sender') return `${head} is labelled ${b.attribution ?? 'nothing (no EPB option 259)'}, expected sender (259 = 2)`;
  return netnsProblem(b, so, head);
}

/**
 * Incoming tagged packet: the receiving socket, labelled reader, no process
 * or the reader; the read block covering the tag's first byte names the
 * reading thread.
 */
function judgeReceiver(m: Model, b: PacketBlock, recv: SendInfo, tag: string, offset: number, reads: Array<{ index: number; block: UseBlock }>, index: number): string | undefined {
  const st = recv.step;
  const head = `incoming packet with tag ${tag} read by ${who(m, st.pid, st.tid)}`;
  const how = b.attribution ? ` (by ${b.attribution})` : '';
  const wrong = socketProblem(m, b, head, recv.sock.cookie);
  if (wrong) return wrong;
  const so = m.sockets.get(recv.sock.cookie);
  const creator = so && b.pid === so.creatorPid ? ', the socket\'s creator' : '';
  if (b.pid !== undefined && b.pid !== st.pid) return `${head} attributed to ${who(m, b.pid)}${creator}${how}`;
  if (b.tid !== undefined && b.pid !== undefined && b.tid !== st.tid) return `${head} attributed to thread ${b.tid}${m.tids.get(b.tid) ? ` (${m.tids.get(b.tid)})` : ''}${how}`;
  if (b.attribution !== 'reader') return `${head} is labelled ${b.attribution ?? 'nothing (no EPB option 259)'}, expected reader (259 = 3)`;
  const r = reads[0];
  if (!r) {
    const seq = byteSeq(b, offset);
    const what = seq !== undefined ? `TCP sequence number ${seq}` : b.packetId !== undefined ? `packet id ${b.packetId}` : 'it (the packet has no packet id, EPB option 261)';
    return `${head}: no read block covers ${what} on socket ${recv.sock.cookie} after the packet (offset ${b.offset}, block ${index})`;
  }
  if (r.block.pid !== st.pid) return `${head}: the read block at offset ${r.block.offset} that covers it names ${who(m, r.block.pid, r.block.tid)}`;
  if (r.block.tid !== st.tid) return `${head}: the read block at offset ${r.block.offset} that covers it names thread ${r.block.tid ?? '? (no option 258)'}${r.block.tid !== undefined && m.tids.get(r.block.tid) ? ` (${m.tids.get(r.block.tid)})` : ''}`;
  return netnsProblem(b, so, head);
}

/** The sender run (option 263) holding payload byte `offset`: the one with the greatest offset <= it. */
function runAt(b: PacketBlock, offset: number): { offset: number; pid: number; tid: number } | undefined {
  let best: { offset: number; pid: number; tid: number } | undefined;
  for (const r of b.senders ?? []) if (r.offset <= offset && (!best || r.offset >= best.offset)) best = r;
  return best;
}

function socketProblem(m: Model, b: PacketBlock, head: string, cookie: string): string | undefined {
  if (b.direction === 'unknown') return `${head.replace(/ (sent|read) by .*/, '')} has no direction in epb_flags`;
  if (b.socketId === undefined) return `${head} has no socket (expected ${cookie})`;
  if (b.socketId !== cookie) {
    const other = m.sockets.get(b.socketId);
    return `${head} attributed to socket ${b.socketId}${other ? ` (${sockName(other)} of ${who(m, other.creatorPid)})` : ' (not a scenario socket)'}, expected socket ${cookie}`;
  }
  return undefined;
}

function netnsProblem(b: PacketBlock, so: SockInfo | undefined, head: string): string | undefined {
  if (b.netns !== undefined && so && so.netns !== 0 && b.netns !== so.netns) return `${head} is in network namespace ${b.netns}, its socket in ${so.netns}`;
  return undefined;
}

function describeSlot(m: Model, key: string): string {
  const [tag, dir, stepText] = key.split(' ') as [string, string, string | undefined];
  const send = m.sends.get(tag)!;
  if (dir === 'out') return `outgoing packet with tag ${tag} sent by ${who(m, send.step.pid, send.step.tid)} on socket ${send.sock.cookie} (step ${send.step.step}) is not in the capture`;
  const r = (m.receives.get(tag) ?? []).find((x) => String(x.step.step) === stepText);
  return `incoming packet with tag ${tag} read by ${who(m, r?.step.pid, r?.step.tid)} on socket ${r?.sock.cookie} (step ${stepText}) is not in the capture`;
}

function addrMatches(local: string | undefined, packetEnd: string, withPort: boolean): boolean {
  if (!local) return false;
  const [la, lp] = splitEnd(local);
  const [pa, pp] = splitEnd(packetEnd);
  if (withPort && lp !== pp) return false;
  return la === pa || la === '0.0.0.0' || la === '::';
}

function splitEnd(e: string): [string, string] {
  const m6 = /^\[(.*)\]:(\d+)$/.exec(e);
  if (m6) return [m6[1]!, m6[2]!];
  const m4 = /^(.*):(\d+)$/.exec(e);
  if (m4 && !m4[1]!.includes(':')) return [m4[1]!, m4[2]!];
  return [e, ''];
}

interface Flows {
  /** "proto local remote" -> cookies of connected sockets. */
  connected: Map<string, string[]>;
  /** "proto local" -> cookies of listeners. */
  listeners: Map<string, string[]>;
  /** cookie -> socket, for messages */
}

function flowIndex(m: Model): Flows {
  const connected = new Map<string, string[]>();
  const listeners = new Map<string, string[]>();
  const add = (map: Map<string, string[]>, k: string, c: string) => map.set(k, [...(map.get(k) ?? []), c]);
  for (const s of m.sockets.values()) {
    if (!isInet(s) || !s.local) continue;
    const proto = s.type === 1 ? IPPROTO.TCP : s.type === 2 && (s.proto === 0 || s.proto === IPPROTO.UDP) ? IPPROTO.UDP : -1;
    if (proto < 0) continue;
    if (s.listening) add(listeners, `${proto} ${s.local}`, s.cookie);
    if (s.remote) add(connected, `${proto} ${s.local} ${s.remote}`, s.cookie);
  }
  return { connected, listeners };
}

/** The holders of a packet's socket by the capture's own blocks, at the packet. */
interface HolderView {
  /** Open (creator or acceptor), snapshot opens, gains and losses of the socket before the packet. */
  now: Set<number>;
  /**
   * The race with an adjacent holder change (RULES.md): the set on the other
   * side of the live open, gain or lose block of the same socket that is next
   * to the packet among that socket's blocks ('after': the block follows the
   * packet; 'before': it precedes it).
   */
  race: Array<{ set: Set<number>; block: ConnectionBlock | UseBlock; side: 'before' | 'after' }>;
}

/**
 * For every packet with a socket id (by block index): the running holder set
 * of its socket in capture order. Each section starts empty (its snapshot
 * lists the holders again): a live open adds the creator, a snapshot open its
 * holder, a gain adds, a lose removes.
 */
function holderSets(blocks: Capture['blocks']): Map<number, HolderView> {
  const out = new Map<number, HolderView>();
  type Last = { kind: 'packet'; index: number } | { kind: 'change'; block: ConnectionBlock | UseBlock; before: Set<number> } | { kind: 'other' };
  let state = new Map<string, { set: Set<number>; last: Last }>();
  const of = (id: string) => state.get(id) ?? state.set(id, { set: new Set(), last: { kind: 'other' } }).get(id)!;
  for (const [index, b] of blocks.entries()) {
    if (b.kind === 'section') {
      state = new Map();
      continue;
    }
    if ((b.kind !== 'packet' && b.kind !== 'connection' && b.kind !== 'use') || b.socketId === undefined) continue;
    const s = of(b.socketId);
    if (b.kind === 'packet') {
      const view: HolderView = { now: new Set(s.set), race: [] };
      if (s.last.kind === 'change') view.race.push({ set: s.last.before, block: s.last.block, side: 'before' });
      out.set(index, view);
      s.last = { kind: 'packet', index };
      continue;
    }
    const before = new Set(s.set);
    if (b.kind === 'connection' && b.event === 'open') s.set.add(b.pid);
    else if (b.kind === 'use' && b.what === 'gain') s.set.add(b.pid);
    else if (b.kind === 'use' && b.what === 'lose') s.set.delete(b.pid);
    // snapshot opens list the holders the section starts with: no live change to race
    const change = (b.kind === 'connection' && b.event === 'open' && !b.snapshot) || (b.kind === 'use' && (b.what === 'gain' || b.what === 'lose'));
    if (!change) {
      s.last = { kind: 'other' };
      continue;
    }
    if (s.last.kind === 'packet') out.get(s.last.index)!.race.push({ set: new Set(s.set), block: b, side: 'after' });
    s.last = { kind: 'change', block: b, before };
  }
  return out;
}

const sameSet = (a: Set<number>, b: Set<number>) => a.size === b.size && [...a].every((x) => b.has(x));
const setText = (m: Model, s: Set<number>) => (s.size === 0 ? 'nobody' : [...s].sort((x, y) => x - y).map((p) => who(m, p)).join(', '));

/**
 * Untagged packets of scenario flows (handshake, ACK, FIN, RST): the socket
 * must be right; the kernel sent them, so they name no process: labelled
 * holder (none when there is no socket or its close block came before);
 * every listed holder held the socket at some time, and a holder-labelled
 * packet lists exactly the holders the capture's open, gain and lose blocks
 * give its socket at that point (or, racing an adjacent gain or lose, the set
 * on the block's other side).
 */
function judgeControl(
  m: Model, b: PacketBlock, p: DecodedPacket, flows: Flows, closed: boolean, view: HolderView | undefined,
  control: Verdict['control'], problems: string[], notes: string[], unmatched: () => void,
): void {
  if (p.srcPort === undefined || p.dstPort === undefined) return;
  const src = endpoint(p.src, p.srcPort);
  const dst = endpoint(p.dst, p.dstPort);
  const [local, remote] = b.direction === 'in' ? [dst, src] : [src, dst];
  const allowed = [...(flows.connected.get(`${p.protocol} ${local} ${remote}`) ?? []), ...(flows.listeners.get(`${p.protocol} ${local}`) ?? [])];
  if (allowed.length === 0) return; // not a scenario flow
  control.total++;
  const what = `${b.direction === 'in' ? 'incoming' : 'outgoing'} ${p.tcpFlags ? `TCP [${p.tcpFlags}] ` : ''}packet ${src} -> ${dst} at offset ${b.offset}`;
  const wrong = (why: string) => {
    control.wrong++;
    problems.push(`${what} ${why}`);
  };
  if (b.socketId === undefined) {
    unmatched();
    if (b.attribution !== undefined && b.attribution !== 'none') return wrong(`has no socket but is labelled ${b.attribution}, expected none`);
    control.correct++;
    return;
  }
  if (!allowed.includes(b.socketId)) {
    const other = m.sockets.get(b.socketId);
    return wrong(`attributed to socket ${b.socketId}${other ? ` (${sockName(other)})` : ' (not a scenario socket)'}, expected ${allowed.join(' or ')}`);
  }
  const label = b.attribution ?? 'nothing (no EPB option 259)';
  // a RST may leave after the last holder closed it, before the close block (tcp_close with unread data)
  const noneOk = closed || Boolean(p.tcpFlags?.includes('R'));
  if (b.attribution !== 'holder' && !(noneOk && b.attribution === 'none')) {
    return wrong(`on socket ${b.socketId} is labelled ${label}, expected holder${noneOk ? ` or none (${closed ? 'its socket was closed' : 'a RST'})` : ''}: no process wrote it`);
  }
  if (b.pid !== undefined) return wrong(`on socket ${b.socketId} names ${who(m, b.pid, b.tid)} (EPB option 258/8), but a packet no process wrote names none`);
  const so = m.sockets.get(b.socketId);
  const strangers = (b.holders ?? []).filter((h) => !so?.everHeld.has(h));
  if (strangers.length > 0) return wrong(`on socket ${b.socketId} lists holder ${strangers.map((h) => who(m, h)).join(', ')} (option 264), which never held it`);
  if (b.attribution === 'holder' && view) {
    const listed = new Set(b.holders ?? []);
    if (!sameSet(listed, view.now)) {
      const race = view.race.find((r) => sameSet(listed, r.set));
      if (!race) {
        const missing = [...view.now].filter((h) => !listed.has(h));
        const extra = [...listed].filter((h) => !view.now.has(h));
        const diff = [
          missing.length > 0 ? `missing ${setText(m, new Set(missing))}` : '',
          extra.length > 0 ? `extra ${setText(m, new Set(extra))}` : '',
        ].filter(Boolean).join('; ');
        return wrong(`on socket ${b.socketId} lists holders ${setText(m, listed)} (option 264), but the capture's open, gain and lose blocks before it make the holders ${setText(m, view.now)}: ${diff}`);
      }
      const rb = race.block;
      const what = rb.kind === 'connection' ? 'open' : rb.what;
      notes.push(`packet at offset ${b.offset} on socket ${b.socketId} lists the holders from ${race.side === 'after' ? 'after' : 'before'} the ${what} block of ${who(m, rb.pid)} at offset ${rb.offset} ${race.side === 'after' ? 'that follows it' : 'that precedes it'} (the hook copied the list while the change was being queued)`);
    }
  }
  control.correct++;
}

/** Scenario pids alive when the capture started (their snapshot blocks are not unmatched). */
function aliveAtCapture(m: Model): Set<number> {
  const out = new Set<number>();
  if (m.captureStart < 0) return out;
  for (const st of m.truth.steps) {
    if (st.step >= m.captureStart) break;
    if (st.kind === 'fork' && st.childPid !== undefined) out.add(st.childPid);
    if (st.kind === 'exit') out.delete(st.pid);
  }
  return out;
}

/**
 * Start times of scenario processes (RULES.md): process blocks (fork, exec,
 * exit, also the snapshot's) option 259, packets' EPB option 262 (with the
 * pid of 258), read/gain/lose blocks' option 259. A pid's instance starts at
 * each of its fork blocks (and at each section start: the snapshot describes
 * the processes afresh) and runs through its exit block to its next fork
 * block: the lose blocks of its exit and data it wrote that leaves later
 * follow the exit block. Within an instance every start time is the one of
 * its fork block (without one: of its first fork or exec block, else the
 * first given). Returns block offset -> reason for each one that is not.
 * Absent start times are not judged.
 */
function startTimeProblems(m: Model, blocks: Capture['blocks']): Map<number, string> {
  type Item = { b: ProcessBlock | PacketBlock | UseBlock; start: bigint };
  const out = new Map<number, string>();
  const name = (b: Item['b']) => (b.kind === 'process' ? `${b.event} block` : b.kind === 'use' ? `${b.what} block` : 'packet');
  const where = (b: Item['b']) =>
    b.kind === 'packet'
      ? `EPB option 262${b.tid !== undefined && b.tid !== b.pid ? `, with thread ${b.tid}${m.tids.get(b.tid) ? ` (${m.tids.get(b.tid)})` : ''}` : ''}`
      : `option 259${b.tid !== undefined && b.tid !== b.pid ? `, written for thread ${b.tid}${m.tids.get(b.tid) ? ` (${m.tids.get(b.tid)})` : ''}` : ''}`;
  const judge = (pid: number, items: Item[]) => {
    const ref =
      items.find((x) => x.b.kind === 'process' && x.b.event === 'fork') ??
      items.find((x) => x.b.kind === 'process' && (x.b.event === 'exec' || x.b.event === 'fork')) ??
      items[0];
    if (!ref) return;
    for (const x of items) {
      if (x.start === ref.start) continue;
      out.set(x.b.offset, `start time ${x.start} for ${who(m, pid)} (${where(x.b)}), but its ${name(ref.b)} at offset ${ref.b.offset} says ${ref.start}: a different process instance`);
    }
  };
  let open = new Map<number, Item[]>();
  const flush = () => {
    for (const [pid, items] of open) judge(pid, items);
    open = new Map();
  };
  for (const b of blocks) {
    if (b.kind === 'section') flush();
    if (b.kind !== 'process' && b.kind !== 'packet' && b.kind !== 'use') continue;
    const pid = b.pid;
    if (pid === undefined || !m.procs.has(pid)) continue;
    if (b.kind === 'process' && b.event === 'fork') {
      judge(pid, open.get(pid) ?? []);
      open.set(pid, []);
    }
    if (b.startNs === undefined) continue;
    const items = open.get(pid) ?? open.set(pid, []).get(pid)!;
    items.push({ b, start: b.startNs });
  }
  flush();
  return out;
}

/**
 * What the honet text (a second reader of the same run) lacks or says
 * otherwise than the pcapng: expected events without a line, read/gain/lose
 * blocks of scenario sockets without a READ/GAIN/LOSE line, packets of
 * scenario sockets without a PAKT line, and PAKT lines whose by= (and, for
 * by=sender, pid) or id= disagree with the pcapng's packet. Notes only.
 */
function honetNotes(m: Model, honet: HonetEvent[], blocks: Capture['blocks'], notes: string[]): void {
  // one key per line, so that a capture of thousands of events is compared in linear time
  const lineKeys = new Set<string>();
  for (const h of honet) {
    if (h.kind === 'socket') lineKeys.add(`${h.event} ${h.socketId}`);
    else if (h.kind === 'use') lineKeys.add(`${h.what} ${h.socketId} ${h.pid}`);
    else if (h.kind === 'process') lineKeys.add(`${h.event} ${h.pid}`);
  }
  let missing = 0;
  for (const ev of m.events) {
    if (ev.kind === 'rst') continue;
    const key = ev.kind === 'open' || ev.kind === 'close' ? `${ev.kind} ${ev.sock.cookie}`
      : ev.kind === 'read' || ev.kind === 'gain' || ev.kind === 'lose' ? `${ev.kind} ${ev.sock.cookie} ${ev.pid}`
      : `${ev.kind} ${ev.pid}`;
    if (!lineKeys.has(key)) missing++;
  }
  const judged = m.events.filter((e) => e.kind !== 'rst').length;
  if (missing > 0) notes.push(`honet text lacks ${missing} of the ${judged} expected events`);
  const tagged = honet.filter((h) => h.kind === 'packet').length;
  if (m.sends.size > 0 && tagged === 0) notes.push('honet text has no packet lines');

  const scenarioSocket = (id: string | undefined) => id !== undefined && m.sockets.has(id) && !m.ignoredCookies.has(id);
  const some = (list: string[]) => `${list.slice(0, 3).join('; ')}${list.length > 3 ? `; and ${list.length - 3} more` : ''}`;

  // READ, GAIN and LOSE lines for the pcapng's read, gain and lose blocks (one line per block)
  const useLines = new Map<string, HonetUse[]>();
  for (const h of honet) {
    if (h.kind !== 'use') continue;
    const k = `${h.what} ${h.socketId} ${h.pid}`;
    const list = useLines.get(k);
    if (list) list.push(h);
    else useLines.set(k, [h]);
  }
  const usedUse = new Set<HonetUse>();
  const lackUse: string[] = [];
  let uses = 0;
  for (const b of blocks) {
    if (b.kind !== 'use' || !scenarioSocket(b.socketId)) continue;
    uses++;
    const line = (useLines.get(`${b.what} ${b.socketId} ${b.pid}`) ?? []).find((h) =>
      !usedUse.has(h) &&
      (b.tid === undefined || h.tid === undefined || h.tid === b.tid) &&
      (b.via === undefined || h.via === undefined || h.via === b.via) &&
      (b.bytes === undefined || h.bytes === undefined || h.bytes === b.bytes) &&
      (b.seq === undefined || (h.seq?.first === b.seq.first && h.seq.end === b.seq.end)) &&
      (b.readPacketId === undefined || h.readPacketId === b.readPacketId));
    if (line) usedUse.add(line);
    else lackUse.push(`${b.what} block at offset ${b.offset} of ${who(m, b.pid, b.tid)} on socket ${b.socketId}`);
  }
  if (lackUse.length > 0) notes.push(`honet text lacks a ${lackUse.map((x) => x.split(' ')[0]!.toUpperCase()).filter((x, i, a) => a.indexOf(x) === i).join('/')} line for ${lackUse.length} of the ${uses} read/gain/lose blocks of scenario sockets in the pcapng: ${some(lackUse)}`);

  // PAKT lines for the pcapng's packets of scenario sockets: by packet id first, else by direction, socket, addresses and length
  const paktLines = honet.filter((h): h is HonetPacket => h.kind === 'packet');
  const byId = new Map<bigint, HonetPacket[]>();
  for (const h of paktLines) {
    if (h.packetId === undefined) continue;
    const list = byId.get(h.packetId);
    if (list) list.push(h);
    else byId.set(h.packetId, [h]);
  }
  const usedPakt = new Set<HonetPacket>();
  const pairs: Array<{ b: PacketBlock; h: HonetPacket }> = [];
  const unpaired: PacketBlock[] = [];
  for (const b of blocks) {
    if (b.kind !== 'packet' || !scenarioSocket(b.socketId)) continue;
    const h = b.packetId !== undefined ? (byId.get(b.packetId) ?? []).find((x) => !usedPakt.has(x)) : undefined;
    if (h) {
      usedPakt.add(h);
      pairs.push({ b, h });
    } else unpaired.push(b);
  }
  const plain = (e: string) => e.replace(/[[\]]/g, '');
  const lackPakt: string[] = [];
  const idWrong: string[] = [];
  const shapeOf = (dir: string, sock: string | undefined, len: number, src: string | undefined, dst: string | undefined) => `${dir} ${sock} ${len} ${src} ${dst}`;
  const byShape = new Map<string, HonetPacket[]>();
  if (unpaired.length > 0) {
    for (const x of paktLines) {
      if (usedPakt.has(x)) continue;
      const k = shapeOf(x.direction, x.socketId, x.length, plain(x.src), plain(x.dst));
      const list = byShape.get(k);
      if (list) list.push(x);
      else byShape.set(k, [x]);
    }
  }
  for (const b of unpaired) {
    const p = decodePacket(b.data);
    const src = p ? plain(endpoint(p.src, p.srcPort)) : undefined;
    const dst = p ? plain(endpoint(p.dst, p.dstPort)) : undefined;
    const h = (byShape.get(shapeOf(b.direction, b.socketId, b.packetLength, src, dst)) ?? []).find((x) => !usedPakt.has(x));
    if (!h) {
      lackPakt.push(`packet at offset ${b.offset}${b.packetId !== undefined ? ` (id ${b.packetId})` : ''}`);
      continue;
    }
    usedPakt.add(h);
    pairs.push({ b, h });
    idWrong.push(`the PAKT line ${h.line} has ${h.packetId !== undefined ? `id=${h.packetId}` : 'no id='}, the pcapng's packet at offset ${b.offset} (the same direction, socket, addresses and length) ${b.packetId !== undefined ? `has packet id ${b.packetId}` : 'has no packet id (EPB option 261)'}`);
  }
  if (lackPakt.length > 0) notes.push(`honet text lacks a PAKT line for ${lackPakt.length} of the ${pairs.length + lackPakt.length} packets of scenario sockets in the pcapng: ${some(lackPakt)}`);
  const disagree = (n: number) => `${n} honet PAKT ${n === 1 ? 'line disagrees' : 'lines disagree'} with the pcapng`;
  if (idWrong.length > 0) notes.push(`${disagree(idWrong.length)} on the packet id: ${some(idWrong)}`);
  const byWrong: string[] = [];
  for (const { b, h } of pairs) {
    const pcap = b.attribution ?? 'nothing (no EPB option 259)';
    if (h.attribution !== b.attribution) {
      byWrong.push(`the PAKT line ${h.line} says by=${h.attribution ?? '(none)'}, the pcapng's packet at offset ${b.offset} is labelled ${pcap}`);
    } else if (b.attribution === 'sender' && (h.pid !== (b.pid ?? 0) || (b.tid !== undefined && h.tid !== undefined && h.tid !== b.tid))) {
      byWrong.push(`the PAKT line ${h.line} says by=sender pid ${h.pid} tid=${h.tid ?? '?'}, the pcapng's packet at offset ${b.offset} names ${who(m, b.pid, b.tid)}`);
    }
  }
  if (byWrong.length > 0) notes.push(`${disagree(byWrong.length)} on the attribution (by=): ${some(byWrong)}`);
}
