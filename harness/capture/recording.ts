// Checks a recording that honeread split into several files (SIGHUP,
// logrotate): each file a valid PCAP-NG file on its own (whole sections:
// SHB, IDB, ..., ISB), every packet in exactly one file (packet ids, EPB
// option 261, unique and without a gap), no event dropped (the ISBs' drop
// counters), and, against a reference recording of the same time by a
// second reader that was never rotated, every live event between two
// marker processes in the files exactly as often as in the reference.
//
// Snapshot blocks repeat state at the start of every section by design and
// are not events: they carry a snapshot flag (option 262 bit 0, on
// connection and on process blocks, kmod/FORMAT.md), and every block
// without it is a live event: counted, so a process event lost or
// repeated at a rotation shows. Sections from modules older than the
// process flag (no process block of the section has it): the process
// blocks of the run of snapshot blocks after the section's headers may be
// snapshot or live; they may make up a live event the reference has and
// the files lack, never count as a duplicate (so a process event lost at a
// rotation whose snapshot lists the same process, or repeated right after
// that snapshot, goes unseen there; packets and socket events do not).
import { BLOCK, ISB_OPT } from './constants.ts';
import { CaptureError } from './errors.ts';
import { readPcapng } from './pcapng.ts';
import type { Block, ByteOrder } from './types.ts';

export interface RecordingFile {
  name: string;
  buf: Buffer;
}

export interface RecordingVerdict {
  ok: boolean;
  problems: string[];
  files: number;
  sections: number;
  packets: number;
  /** First and last packet id. */
  packetIds?: { first: bigint; last: bigint };
  /** Compared with the reference between the markers (when given). */
  window?: { reference: number; recorded: number; snapshotOrLive: number };
  /** The drop counters of the recording: the largest of the files' last ISBs (the counters only grow, from the module's load or the reader's open, across sections). */
  drops: Record<string, bigint>;
}

export interface RecordingOptions {
  /** A second reader's recording of the same time, never rotated. */
  reference?: RecordingFile;
  /** Exec blocks whose argv contains these strings bound the compared window. */
  markers?: { begin: string; end: string };
}

const DROP_COUNTERS: Record<string, number> = {
  'packets dropped': ISB_OPT.PACKETS_DROPPED,
  'packets ring-dropped': ISB_OPT.PACKETS_RING_DROPPED,
  'process events dropped': ISB_OPT.PROCESS_DROPPED,
  'process events ring-dropped': ISB_OPT.PROCESS_RING_DROPPED,
  'socket events dropped': ISB_OPT.SOCKET_DROPPED,
  'socket events ring-dropped': ISB_OPT.SOCKET_RING_DROPPED,
};

export function checkRecording(files: RecordingFile[], o: RecordingOptions = {}): RecordingVerdict {
  const problems: string[] = [];
  const v: RecordingVerdict = { ok: false, problems, files: files.length, sections: 0, packets: 0, drops: {} };
  for (const k of Object.keys(DROP_COUNTERS)) v.drops[k] = 0n;
  const parsed: Array<{ name: string; buf: Buffer; blocks: Block[] }> = [];
  for (const f of files) {
    const blocks = parseWhole(f, problems);
    if (!blocks) continue;
    parsed.push({ ...f, blocks });
    v.sections += sectionProblems(f.name, blocks, problems);
    const stats = blocks.filter((b) => b.kind === 'stats');
    const last = stats.at(-1);
    if (!last) continue;
    for (const [k, code] of Object.entries(DROP_COUNTERS)) {
      const n = last.counters[code] ?? 0n;
      if (n > v.drops[k]!) v.drops[k] = n;
    }
  }
  for (const [k, n] of Object.entries(v.drops)) if (n > 0n) problems.push(`${n} ${k} (ISB counters)`);

  // packet ids: each once, none missing between the first and the last
  const where = new Map<bigint, string>();
  for (const f of parsed) {
    for (const b of f.blocks) {
      if (b.kind !== 'packet') continue;
      v.packets++;
      if (b.packetId === undefined) {
        problems.push(`${f.name}: packet at offset ${b.offset} has no packet id (EPB option 261)`);
        continue;
      }
      const seen = where.get(b.packetId);
      if (seen !== undefined) problems.push(`packet id ${b.packetId} is in ${seen} and again in ${f.name} (offset ${b.offset})`);
      else where.set(b.packetId, `${f.name}`);
    }
  }
  const ids = [...where.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (ids.length > 0) v.packetIds = { first: ids[0]!, last: ids.at(-1)! };
  for (let i = 1; i < ids.length; i++) {
    const gap = ids[i]! - ids[i - 1]! - 1n;
    if (gap > 0n)
      problems.push(
        `${gap} packet id(s) missing: ${ids[i - 1]! + 1n}..${ids[i]! - 1n} (the last before is in ${where.get(ids[i - 1]!)}, the next in ${where.get(ids[i]!)})`,
      );
  }

  if (o.reference) compareWithReference(parsed, o.reference, o.markers ?? { begin: 'HONE-MARK-BEGIN', end: 'HONE-MARK-END' }, v);
  v.ok = problems.length === 0;
  return v;
}

// --- internal ---

function parseWhole(f: RecordingFile, problems: string[]): Block[] | undefined {
  try {
    return readPcapng(f.buf).blocks;
  } catch (e) {
    if (!(e instanceof CaptureError)) throw e;
    problems.push(`${f.name}: not a valid PCAP-NG file: ${e.message}`);
    return undefined;
  }
}

/** Whole sections only: SHB, IDB first; an ISB before every later SHB and at the end. Returns the number of sections. */
function sectionProblems(name: string, blocks: Block[], problems: string[]): number {
  let sections = 0;
  for (const [i, b] of blocks.entries()) {
    if (b.kind !== 'section') continue;
    sections++;
    if (blocks[i + 1]?.kind !== 'interface') problems.push(`${name}: the section at offset ${b.offset} has no IDB after its SHB`);
    if (i > 0 && blocks[i - 1]?.kind !== 'stats') problems.push(`${name}: the section before offset ${b.offset} does not end with an ISB`);
  }
  if (blocks.at(-1)?.kind !== 'stats') problems.push(`${name}: does not end with an ISB (its last section is cut)`);
  return sections;
}

interface Keyed {
  key: string;
  /** Unflagged sections only: in the run of snapshot blocks after a section's headers (process blocks there may be snapshot or live). */
  maybeSnapshot: boolean;
  snapshot: boolean;
  execArgv?: string;
}

/** Event blocks in order with their keys: packets by id, other blocks by their bytes without the timestamp. */
function keyed(f: { buf: Buffer; blocks: Block[] }): Keyed[] {
  const out: Keyed[] = [];
  let order: ByteOrder = 'le';
  let inSnapshot = false;
  const flagged = new Set(f.blocks.filter((b) => b.kind === 'process' && b.snapshot).map((b) => b.section));
  for (const b of f.blocks) {
    if (b.kind === 'section') order = b.byteOrder;
    if (b.kind === 'interface') inSnapshot = true;
    if (b.kind === 'section' || b.kind === 'interface' || b.kind === 'stats') continue;
    const snapshotOpen = b.kind === 'connection' && b.snapshot;
    const snapshot = snapshotOpen || (b.kind === 'process' && b.snapshot);
    if (!(b.kind === 'process' && b.event !== 'exit') && !snapshotOpen) inSnapshot = false;
    const u32 = (at: number) => (order === 'le' ? f.buf.readUInt32LE(at) : f.buf.readUInt32BE(at));
    let key: string;
    if (b.kind === 'packet') {
      key = `packet ${b.packetId ?? `? ${b.socketId} ${b.pid} ${b.attribution}`}`;
    } else {
      const raw = Buffer.from(f.buf.subarray(b.offset, b.offset + u32(b.offset + 4)));
      const ts = u32(b.offset) === BLOCK.PROCESS ? 12 : u32(b.offset) === BLOCK.CONNECTION || u32(b.offset) === BLOCK.USE ? 16 : -1;
      if (ts > 0) raw.fill(0, ts, ts + 8);
      key = `${b.kind} ${raw.toString('hex')}`;
    }
    out.push({
      key,
      maybeSnapshot: inSnapshot && b.kind === 'process' && !flagged.has(b.section),
      snapshot,
      ...(b.kind === 'process' && b.event === 'exec' && !snapshot ? { execArgv: (b.argv ?? []).join(' ') } : {}),
    });
  }
  return out;
}

/** The events strictly between the first exec naming `begin` and the next naming `end`. */
function window(events: Keyed[], m: { begin: string; end: string }): Keyed[] | undefined {
  const b = events.findIndex((e) => e.execArgv?.includes(m.begin));
  const e = events.findIndex((x, i) => i > b && x.execArgv?.includes(m.end));
  if (b < 0 || e < 0) return undefined;
  return events.slice(b + 1, e);
}

function compareWithReference(
  parsed: Array<{ name: string; buf: Buffer; blocks: Block[] }>,
  ref: RecordingFile,
  m: { begin: string; end: string },
  v: RecordingVerdict,
): void {
  const refBlocks = parseWhole(ref, v.problems);
  if (!refBlocks) return;
  const want = window(keyed({ buf: ref.buf, blocks: refBlocks }), m);
  const got = window(
    parsed.flatMap((f) => keyed(f)),
    m,
  );
  if (!want || !got) {
    v.problems.push(`the marker processes (${m.begin}, ${m.end}) are missing from the ${!want ? 'reference' : 'recording'}`);
    return;
  }
  const count = (xs: Keyed[]) => {
    const c = new Map<string, number>();
    for (const x of xs) c.set(x.key, (c.get(x.key) ?? 0) + 1);
    return c;
  };
  const live = want.filter((x) => !x.snapshot);
  const wantCount = count(live);
  const sure = count(got.filter((x) => !x.snapshot && !x.maybeSnapshot));
  const maybe = count(got.filter((x) => x.maybeSnapshot));
  v.window = {
    reference: live.length,
    recorded: [...sure.values()].reduce((a, b) => a + b, 0),
    snapshotOrLive: [...maybe.values()].reduce((a, b) => a + b, 0),
  };
  const missing: string[] = [];
  const extra: string[] = [];
  for (const k of new Set([...wantCount.keys(), ...sure.keys()])) {
    const w = wantCount.get(k) ?? 0;
    const s = sure.get(k) ?? 0;
    if (s > w) extra.push(`${k.slice(0, 60)} x${s - w}`);
    else if (s + (maybe.get(k) ?? 0) < w) missing.push(`${k.slice(0, 60)} x${w - s - (maybe.get(k) ?? 0)}`);
  }
  if (extra.length > 0)
    v.problems.push(`${extra.length} event(s) recorded more often than the reference saw them: ${extra.slice(0, 5).join('; ')}`);
  if (missing.length > 0)
    v.problems.push(`${missing.length} event(s) of the reference missing from the recording: ${missing.slice(0, 5).join('; ')}`);
}
