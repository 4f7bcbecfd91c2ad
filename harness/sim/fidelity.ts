// Fidelity: does the simulator write what the real sensor writes? Both
// captures are projected onto the scenario (its processes, its sockets, the
// packets of its sockets and of its tags) with every id replaced by a name
// from the truth (pid -> actor, tid -> thread, cookie -> "actor:handle#n",
// tag -> step), then compared chain by chain: each process's events, each
// socket's blocks and packets, each tag's appearances, in capture order.
// Read, gain and lose blocks join their socket's chain (with attribution).
// Timestamps, ids, ports, sequence numbers, the interleaving of unrelated
// chains and which thread of a process a lose by exit names are not
// compared; the exit race is resolved each way (README.md, "Fidelity").
import { IPPROTO } from '../capture/constants.ts';
import { decodePacket } from '../capture/packet.ts';
import type { Block } from '../capture/types.ts';
import type { Truth } from '../check/types.ts';
import { EXIT_ORDERS, type ExitOrder } from './sensor/index.ts';

export interface ProjectOptions {
  /** Compare who packets are attributed to (pid, tid, EPB option 259). Default true. */
  attribution?: boolean;
}

/** chain name -> items in capture order. */
export type Trace = Map<string, string[]>;

export function project(blocks: Block[], truth: Truth, o: ProjectOptions = {}): Trace {
  const names = namesOf(truth);
  const withAttr = o.attribution ?? true;
  const trace: Trace = new Map();
  const add = (chain: string, item: string) => {
    const list = trace.get(chain);
    if (list) list.push(item);
    else trace.set(chain, [item]);
  };
  const actor = (pid: number | undefined) =>
    pid === undefined || pid === 0 ? 'kernel' : (names.procs.get(pid) ?? (pid === truth.runnerPid ? 'runner' : 'other'));
  const thread = (tid: number | undefined) => (tid === undefined || tid === 0 ? '-' : (names.tids.get(tid) ?? 'other'));
  const tagRe = new RegExp(`<HT:${truth.runId}:(\\d{6})>`, 'g');
  for (const b of blocks) {
    if (b.kind === 'process') {
      const a = names.procs.get(b.pid);
      if (!a) continue;
      const detail =
        b.event === 'fork'
          ? `parent=${actor(b.ppid)}${b.exe !== undefined ? ' exe' : ''}`
          : b.event === 'exec'
            ? `exe=${b.exe ?? '-'} argc=${b.argv?.length ?? '-'}`
            : b.event === 'exit'
              ? `status=${b.exitStatus ?? '-'}`
              : '';
      add(`process ${a}`, `${b.event} ${detail}`.trim());
    } else if (b.kind === 'connection') {
      const s = names.socks.get(b.socketId ?? '');
      if (!s) continue;
      const flags = `${b.snapshot ? ' snapshot' : ''}${b.accepted ? ' accepted' : ''}`;
      // who closed is not compared: the same close is reported from a process or from softirq (pid 0) by timing
      const by = b.event === 'open' ? ` by=${actor(b.pid)} tid=${thread(b.tid)}` : '';
      add(`socket ${s}`, `${b.event} ${b.family}/${b.type}/${b.protocol}${by}${flags}`);
    } else if (b.kind === 'use') {
      // read, gain and lose blocks name processes: they are attribution
      const s = names.socks.get(b.socketId ?? '');
      if (!s || !withAttr) continue;
      const detail =
        b.what === 'read'
          ? `len=${b.bytes ?? '-'}${b.seq ? ' seq' : ''}${b.readPacketId !== undefined ? ' pkt' : ''}`
          : `via=${b.via ?? '-'}`;
      // lose by exit: the thread is whichever of the process's threads exits last (kmod scans the
      // file table at the sched_process_exit of the group's last thread), so any thread of that
      // process is the same item; a thread of another process (or none) still differs
      const tid =
        b.what === 'lose' && b.via === 'exit' && b.tid !== undefined && b.tid !== 0 && names.procOf.get(b.tid) === b.pid
          ? '(any of its threads)'
          : thread(b.tid);
      add(`socket ${s}`, `${b.what} by=${actor(b.pid)} tid=${tid} ${detail}`);
    } else if (b.kind === 'packet') {
      const p = decodePacket(b.data);
      const tags = p ? [...p.payload.toString('latin1').matchAll(tagRe)].map((m) => Number(m[1])) : [];
      const sock = b.socketId === undefined ? 'none' : (names.socks.get(b.socketId) ?? 'kernel');
      if (sock === 'kernel' && tags.length === 0) continue;
      if (sock === 'none' && tags.length === 0) continue;
      const what = !p
        ? '?'
        : p.protocol === IPPROTO.TCP
          ? `tcp [${p.tcpFlags ?? ''}]`
          : p.protocol === IPPROTO.UDP
            ? 'udp'
            : p.icmpType !== undefined && (p.protocol === IPPROTO.ICMP || p.protocol === IPPROTO.ICMPV6)
              ? `icmp type ${p.icmpType}`
              : `proto ${p.protocol}`;
      let who = withAttr ? ` pid=${actor(b.pid)} tid=${thread(b.tid)} by=${b.attribution ?? '-'}` : '';
      // sender runs and holders by name; holders as a set (the sensor swaps the last holder into a gap)
      if (withAttr && b.senders) who += ` senders=${b.senders.map((r) => `${r.offset}:${actor(r.pid)}/${thread(r.tid)}`).join(',')}`;
      if (withAttr && b.holders) who += ` holders=${b.holders.map(actor).sort().join(',')}`;
      const item = `${b.direction} ${what} len=${b.packetLength}${tags.length ? ` tag=${tags.join(',')}` : ''}${who}`;
      if (sock !== 'none' && sock !== 'kernel') add(`socket ${sock}`, item);
      for (const t of tags) add(`tag ${t}`, `${item} socket=${sock}`);
    }
  }
  return trace;
}

export interface ChainDifference {
  chain: string;
  /** Index of the first differing item. */
  at: number;
  real?: string;
  sim?: string;
}

/** Chains that differ between a real and a simulated trace: the first differing item of each. */
export function compareTraces(real: Trace, sim: Trace): ChainDifference[] {
  const out: ChainDifference[] = [];
  for (const chain of [...new Set([...real.keys(), ...sim.keys()])].sort()) {
    const a = real.get(chain) ?? [];
    const b = sim.get(chain) ?? [];
    const n = Math.max(a.length, b.length);
    for (let i = 0; i < n; i++) {
      if (a[i] !== b[i]) {
        const d: ChainDifference = { chain, at: i };
        if (a[i] !== undefined) d.real = a[i]!;
        if (b[i] !== undefined) d.sim = b[i]!;
        out.push(d);
        break;
      }
    }
  }
  return out;
}

export function describeDifference(d: ChainDifference): string {
  return `${d.chain} item ${d.at}: real ${d.real === undefined ? '(nothing)' : `"${d.real}"`}, simulated ${d.sim === undefined ? '(nothing)' : `"${d.sim}"`}`;
}

interface Names {
  procs: Map<number, string>;
  tids: Map<number, string>;
  /** tid -> the pid of its process (scenario processes and their threads). */
  procOf: Map<number, number>;
  socks: Map<string, string>;
}

/** Names for the ids of a run: actors for pids and tids, "actor:handle#n" for socket cookies. */
export function namesOf(truth: Truth): Names {
  const procs = new Map<number, string>();
  const tids = new Map<number, string>();
  const procOf = new Map<number, number>();
  const socks = new Map<string, string>();
  const seen = new Map<string, number>();
  const name = (cookie: string, base: string) => {
    if (socks.has(cookie)) return;
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    socks.set(cookie, `${base}#${n}`);
  };
  tids.set(truth.runnerPid, 'runner');
  for (const st of truth.steps) {
    if (st.kind === 'fork' && st.childPid !== undefined && st.child) {
      procs.set(st.childPid, st.child);
      tids.set(st.childPid, st.child);
      procOf.set(st.childPid, st.childPid);
    }
    if (st.kind === 'thread' && st.threadTid !== undefined && st.thread) {
      tids.set(st.threadTid, st.thread);
      procOf.set(st.threadTid, st.pid);
    }
    if (st.kind === 'socket' && st.socket && st.sock) name(st.socket.cookie, `${st.actor}:${st.sock}`);
    if (st.kind === 'accept' && st.socket && st.as) name(st.socket.cookie, `${st.actor}:${st.as}`);
    if (st.kind === 'netns' && st.helper) name(st.helper.cookie, `${st.actor}:netns-helper`);
  }
  return { procs, tids, procOf, socks };
}

export interface FidelityResult {
  /** Chains compared (the real capture's and the simulation's, together). */
  chains: number;
  items: number;
  differences: ChainDifference[];
  /** The resolution of the exit race the real capture matched best (SensorOptions). */
  exitOrder: ExitOrder;
}

/**
 * Which simulated sensor to compare a real capture with: the one that attributes like it. A
 * capture with sender or reader attribution (EPB option 259 = 2 or 3) comes from a sensor with
 * the [attribution] work: the perfect model; otherwise (creator, holder, none) the creator-only
 * fault, which is what the sensor before it did.
 */
export function sensorModelOf(blocks: Block[]): 'creator-only' | undefined {
  return blocks.some((b) => b.kind === 'packet' && (b.attribution === 'sender' || b.attribution === 'reader')) ? undefined : 'creator-only';
}

/** A capture and the truth its ids come from. */
export interface Run {
  blocks: Block[];
  truth: Truth;
}

/**
 * Compare a real capture with a simulated one (usually of the same truth; a truth the simulator
 * derived itself works too, since everything is compared by name). Pass attribution false to
 * compare structure only. The exit race is the one race the comparison tolerates: the simulation
 * is made with each resolution of it (ExitOrder: `after`, `blocks-first`, `before`, `fin-late`) and the closest
 * is reported; the first without difference wins.
 */
export function fidelity(real: Run, simulated: (exitOrder: ExitOrder) => Run, o: ProjectOptions = {}): FidelityResult {
  const r = project(real.blocks, real.truth, o);
  let best: FidelityResult | undefined;
  for (const order of EXIT_ORDERS) {
    const sim = simulated(order);
    const s = project(sim.blocks, sim.truth, o);
    const differences = compareTraces(r, s);
    const items = [...r.values()].reduce((n, l) => n + l.length, 0);
    const result = { chains: new Set([...r.keys(), ...s.keys()]).size, items, differences, exitOrder: order };
    if (!best || result.differences.length < best.differences.length) best = result;
    if (differences.length === 0) break;
  }
  return best!;
}

/** The shape of a /dev/honet line: its words and keys with every number, id and address replaced. */
export function lineShape(line: string): string {
  return line
    .replace(/"[^"]*"( .*)?$/, '"EXE" ARGV')
    .replace(/\[[0-9a-f:.]*\](:\d+)?/g, (m) => (m.includes(']:') ? '[A]:P' : '[A]'))
    .replace(/\b\d+\.\d+\.\d+\.\d+(:\d+)?/g, (m) => (m.includes(':') ? 'A:P' : 'A'))
    .replace(/\b[0-9a-f]{16}\b/g, 'ID')
    .replace(/=\d+/g, '=N')
    .replace(/\b\d+(\.\d+)?\b/g, 'N');
}

/**
 * Was this capture written by the sensor of the [attribution] work (FORMAT.md, Hone 26.11)? Its
 * packets carry packet ids (EPB option 261); the older sensor's do not, and the simulator does not
 * write that format, so such a capture cannot be a fixture (re-record it).
 */
export function hasPacketIds(blocks: Block[]): boolean {
  return blocks.some((b) => b.kind === 'packet' && b.packetId !== undefined);
}
