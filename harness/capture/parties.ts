// "Which processes is this packet about?" for every packet of a capture, the
// way the checker judges them (check/RULES.md): the sender (EPB options
// 258/8, one entry per sender run of option 263), the threads whose read
// blocks consumed an inbound packet's bytes (WhoRead, read blocks later in
// the capture), or the socket's holders (option 264) for packets no process
// wrote. Each process comes with its executable as the capture knows it at
// that point (exec and snapshot blocks; a fork inherits its parent's).
import type { Block, PacketBlock } from './types.ts';
import { WhoRead } from './who-read.ts';

export interface Party {
  pid: number;
  /** Senders and readers; holders are processes, not threads. */
  tid?: number;
  exe?: string;
  /** Sender runs: the payload offset where this writer's bytes start. */
  offset?: number;
}

export interface PacketParties {
  /** EPB option 259 ('none' when absent). */
  role: NonNullable<PacketBlock['attribution']> | 'none';
  socketId?: string;
  /** sender: one per writer run; reader: one per reading thread; holder: one per holder; none: empty. */
  parties: Party[];
}

/** The parties of every packet, by block index. */
export function packetParties(blocks: readonly Block[]): Map<number, PacketParties> {
  const exes = exeTimeline(blocks);
  const who = new WhoRead(blocks);
  const out = new Map<number, PacketParties>();
  for (const [i, b] of blocks.entries()) {
    if (b.kind !== 'packet') continue;
    const role = b.attribution ?? 'none';
    const base = { role, ...(b.socketId !== undefined ? { socketId: b.socketId } : {}) };
    let parties: Party[] = [];
    if (b.pid !== undefined) {
      parties =
        b.senders && b.senders.length > 1
          ? b.senders.map((r) => ({ pid: r.pid, tid: r.tid, exe: exes.at(r.pid, i), offset: r.offset }))
          : [{ pid: b.pid, ...(b.tid !== undefined ? { tid: b.tid } : {}), exe: exes.at(b.pid, i) }];
    } else if (role === 'reader') {
      parties = who
        .readersOfPacket(i)
        .map((r) => ({ pid: r.block.pid, ...(r.block.tid !== undefined ? { tid: r.block.tid } : {}), exe: exes.at(r.block.pid, r.index) }));
    } else if (role === 'holder') {
      parties = (b.holders ?? []).map((pid) => ({ pid, exe: exes.at(pid, i) }));
    }
    out.set(i, { ...base, parties: unique(parties) });
  }
  return out;
}

/** The pids a packet is attributed to (its sender, readers or holders). */
export function partyPids(p: PacketParties): Set<number> {
  return new Set(p.parties.map((x) => x.pid));
}

// --- internal ---

function unique(parties: Party[]): Party[] {
  const seen = new Set<string>();
  return parties.filter((p) => {
    const key = `${p.pid}/${p.tid ?? ''}/${p.offset ?? ''}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Executable paths by pid along the capture: exec and snapshot blocks name them, forks inherit. */
function exeTimeline(blocks: readonly Block[]): { at(pid: number, index: number): string | undefined } {
  const byPid = new Map<number, Array<{ index: number; exe: string }>>();
  const last = (pid: number) => byPid.get(pid)?.at(-1)?.exe;
  const set = (pid: number, index: number, exe: string) => {
    const l = byPid.get(pid);
    if (l) l.push({ index, exe });
    else byPid.set(pid, [{ index, exe }]);
  };
  for (const [i, b] of blocks.entries()) {
    if (b.kind !== 'process') continue;
    if (b.exe !== undefined) set(b.pid, i, b.exe);
    else if (b.event === 'fork' && b.ppid !== undefined && last(b.ppid) !== undefined) set(b.pid, i, last(b.ppid)!);
  }
  return {
    at(pid, index) {
      let exe: string | undefined;
      for (const e of byPid.get(pid) ?? []) {
        if (e.index > index) break;
        exe = e.exe;
      }
      return exe;
    },
  };
}
