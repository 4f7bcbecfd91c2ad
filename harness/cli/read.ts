// `hone read FILE [--json]`: prints a capture (PCAP-NG from /dev/hone or
// text from /dev/honet) one event per line, each packet with its process,
// like tcpdump would if it knew about processes: the sender (and its runs
// when several threads' bytes share a segment), the threads whose read
// blocks consumed an inbound packet's data, or the holders of the socket
// for packets no process wrote. `--annotate OUT` writes a copy of a PCAP-NG
// capture whose packet comments say the same (capture/annotate.ts).
import { readFile, writeFile } from 'node:fs/promises';
import { annotatePcapng } from '../capture/annotate.ts';
import { BLOCK } from '../capture/constants.ts';
import { decodePacket, endpoint, protocolName } from '../capture/packet.ts';
import { parseHonet } from '../capture/honet.ts';
import { CaptureError } from '../capture/errors.ts';
import { readPcapng } from '../capture/pcapng.ts';
import type { Block, HonetEvent, HonetUse, PacketBlock } from '../capture/types.ts';
import { WhoRead, type ReadAt } from '../capture/who-read.ts';
import { HoneError } from '../util/errors.ts';
import { defineCommand } from './args.ts';

const FLAGS = {
  json: { type: 'boolean', help: 'one JSON object per event (JSON lines) instead of text' },
  annotate: {
    type: 'string',
    help: 'write OUT.pcapng: a copy whose packet comments name their sender, readers or holders (for plain Wireshark)',
  },
} as const;

export const readCommand = defineCommand(
  'read',
  'FILE  (a .pcapng capture of /dev/hone or a text capture of /dev/honet)',
  FLAGS,
  async ({ flags, positional }) => {
    if (positional.length !== 1)
      throw new HoneError('E_USAGE', 'read: give exactly one FILE', { hint: 'hone read capture.pcapng [--json]' });
    const file = positional[0]!;
    let buf: Buffer;
    try {
      buf = await readFile(file);
    } catch (e) {
      throw new HoneError('E_USAGE', `read: cannot read ${file} (${(e as Error).message})`);
    }
    if (flags.annotate !== undefined) return annotateFile(file, buf, flags.annotate);
    const lines = isPcapng(buf) ? pcapngLines(buf, Boolean(flags.json)) : honetLines(buf.toString('utf8'), Boolean(flags.json));
    process.stdout.write(lines.length > 0 ? `${lines.join('\n')}\n` : '');
    return 0;
  },
);

/** Text (or JSON) lines for a PCAP-NG capture. */
export function pcapngLines(buf: Buffer, json: boolean): string[] {
  const { blocks, error } = readUpToDamage(buf);
  const exe = new Map<number, string>();
  const who = new WhoRead(blocks);
  const out: string[] = [];
  for (const [i, b] of blocks.entries()) {
    if (b.kind === 'process' && b.exe !== undefined) exe.set(b.pid, b.exe);
    else if (b.kind === 'process' && b.event === 'fork' && b.ppid !== undefined && exe.has(b.ppid)) exe.set(b.pid, exe.get(b.ppid)!);
    const readers = b.kind === 'packet' && b.attribution === 'reader' ? who.readersOfPacket(i) : [];
    out.push(json ? JSON.stringify(blockJson(b, exe, readers), bigintReplacer) : blockText(b, exe, readers));
  }
  if (error) {
    // show what was readable, then fail with the offset of the damage
    process.stdout.write(out.length > 0 ? `${out.join('\n')}\n` : '');
    throw error;
  }
  return out;
}

/** Text (or JSON) lines for a /dev/honet capture. */
export function honetLines(text: string, json: boolean): string[] {
  const events = parseHonet(text);
  const exe = new Map<number, string>();
  return events.map((e, i) => {
    if (e.kind === 'process' && e.exe !== undefined) exe.set(e.pid, e.exe);
    else if (e.kind === 'process' && e.event === 'fork' && exe.has(e.ppid)) exe.set(e.pid, exe.get(e.ppid)!);
    // the text has no TCP sequence numbers on PAKT lines: only datagrams (pkt=) can be tied to their readers
    const readers =
      e.kind === 'packet' && e.attribution === 'reader' && e.packetId !== undefined
        ? events
            .slice(i + 1)
            .filter(
              (r): r is HonetUse => r.kind === 'use' && r.what === 'read' && r.socketId === e.socketId && r.readPacketId === e.packetId,
            )
        : [];
    if (json) {
      const extra =
        e.kind === 'packet'
          ? {
              exe: exe.get(e.pid),
              ...(readers.length > 0 ? { readBy: readers.map((r) => ({ pid: r.pid, tid: r.tid, exe: exe.get(r.pid) })) } : {}),
            }
          : {};
      return JSON.stringify({ ...e, ...extra }, bigintReplacer);
    }
    return honetText(e, exe, readers);
  });
}

// --- internal ---

async function annotateFile(file: string, buf: Buffer, out: string): Promise<number> {
  if (!isPcapng(buf)) throw new HoneError('E_USAGE', `read: --annotate needs a PCAP-NG capture (of /dev/hone); ${file} is not one`);
  const { out: annotated, packets } = annotatePcapng(buf);
  try {
    await writeFile(out, annotated);
  } catch (e) {
    throw new HoneError('E_USAGE', `read: cannot write ${out} (${(e as Error).message})`);
  }
  process.stdout.write(`${out}: ${packets} packets annotated\n`);
  return 0;
}

/** The blocks before the first damaged one, and the error naming it. */
function readUpToDamage(buf: Buffer): { blocks: Block[]; error?: CaptureError } {
  try {
    return { blocks: readPcapng(buf).blocks };
  } catch (e) {
    if (!(e instanceof CaptureError)) throw e;
    let cut = e.at;
    // an option error points inside its block: cut again at that block's start
    for (let i = 0; i < 4 && cut > 0; i++) {
      try {
        return { blocks: readPcapng(buf.subarray(0, cut)).blocks, error: e };
      } catch (e2) {
        if (!(e2 instanceof CaptureError) || e2.at >= cut) break;
        cut = e2.at;
      }
    }
    return { blocks: [], error: e };
  }
}

function isPcapng(buf: Buffer): boolean {
  return buf.length >= 4 && buf.readUInt32LE(0) === BLOCK.SHB;
}

function bigintReplacer(_k: string, v: unknown): unknown {
  return typeof v === 'bigint' ? v.toString() : v;
}

function time(us: bigint): string {
  const d = new Date(Number(us / 1000n));
  return `${d.toISOString().slice(11, 19)}.${(us % 1_000_000n).toString().padStart(6, '0')}`;
}

function proc(pid: number | undefined, tid: number | undefined, exe: Map<number, string>): string {
  if (pid === undefined) return 'pid ? (no process)';
  const t = tid !== undefined && tid !== pid ? ` tid ${tid}` : '';
  return `pid ${pid}${t} (${exe.get(pid) ?? '?'})`;
}

/** Who the packet is about: its sender (and runs), its readers, or its holders. */
function packetWho(b: PacketBlock, exe: Map<number, string>, readers: ReadAt[]): string {
  if (b.attribution === 'reader' && b.pid === undefined) {
    if (readers.length === 0) return 'read by nobody (no read block covers it)';
    return `read by ${unique(readers.map((r) => proc(r.block.pid, r.block.tid, exe))).join(', ')}`;
  }
  if (b.attribution === 'holder' && b.pid === undefined) return holdersText(b.holders, exe);
  const runs =
    b.senders && b.senders.length > 1 ? ` runs ${b.senders.map((r) => `${r.offset}:${proc(r.pid, r.tid, exe)}`).join(', ')}` : '';
  return `${proc(b.pid, b.tid, exe)}${runs}`;
}

function holdersText(holders: number[] | undefined, exe: Map<number, string>): string {
  return holders && holders.length > 0 ? `holders ${holders.map((h) => proc(h, undefined, exe)).join(', ')}` : 'holders none';
}

function unique(xs: string[]): string[] {
  return [...new Set(xs)];
}

function blockText(b: Block, exe: Map<number, string>, readers: ReadAt[] = []): string {
  switch (b.kind) {
    case 'section':
      return `-- section ${b.section} (${b.byteOrder === 'le' ? 'little' : 'big'}-endian) ${b.userAppl ?? ''} ${b.os ?? ''}`.trimEnd();
    case 'interface':
      return `-- interface ${b.name ?? '?'} linktype ${b.linkType} snaplen ${b.snapLen}`;
    case 'packet': {
      const p = decodePacket(b.data);
      const dir = b.direction === 'in' ? 'IN ' : b.direction === 'out' ? 'OUT' : '?  ';
      const flow = p
        ? `${protocolName(p)} ${endpoint(p.src, p.srcPort)} > ${endpoint(p.dst, p.dstPort)}${p.tcpFlags ? ` [${p.tcpFlags}]` : ''}${p.icmpType !== undefined ? ` type ${p.icmpType}` : ''}`
        : '? (no IP header)';
      const sock = b.socketId ? `sock ${b.socketId}` : 'sock -';
      const by = b.attribution ? ` by ${b.attribution}` : '';
      const ns = b.netns !== undefined ? ` netns ${b.netns}` : '';
      return `${time(b.timestampUs)} ${dir} ${flow} length ${b.packetLength} ${sock} ${packetWho(b, exe, readers)}${by}${ns}`;
    }
    case 'process': {
      const head = `${time(b.timestampUs)} ${b.event.toUpperCase()} pid ${b.pid}${b.ppid !== undefined ? ` ppid ${b.ppid}` : ''}${b.tid !== undefined && b.tid !== b.pid ? ` tid ${b.tid}` : ''}`;
      const status = b.exitStatus !== undefined ? ` status ${b.exitStatus}` : '';
      const cmd = b.exe !== undefined ? ` ${b.exe}${b.argv ? ` [${b.argv.join(' ')}]` : ''}` : '';
      return `${head}${status}${b.snapshot ? ' snapshot' : ''}${cmd}`;
    }
    case 'connection': {
      const what = b.family !== undefined ? ` fam ${b.family} type ${b.type} proto ${b.protocol}` : '';
      const flags = `${b.snapshot ? ' snapshot' : ''}${b.accepted ? ' accepted' : ''}`;
      return `${time(b.timestampUs)} SOCK ${b.event} ${b.socketId ?? b.connectionId.toString(16)} ${proc(b.pid, b.tid, exe)}${what}${flags}`;
    }
    case 'use': {
      const via = b.via !== undefined ? ` via ${b.via}` : '';
      const seq = b.seq !== undefined ? ` seq ${b.seq.first}-${b.seq.end}` : '';
      const pkt = b.what === 'read' && b.seq === undefined ? ` packet ${b.readPacketId ?? '?'}` : '';
      const len = b.bytes !== undefined ? ` length ${b.bytes}` : '';
      return `${time(b.timestampUs)} ${b.what.toUpperCase()} sock ${b.socketId ?? b.connectionId.toString(16)} ${proc(b.pid, b.tid, exe)}${via}${seq}${pkt}${len}`;
    }
    case 'stats':
      return `-- statistics: ${Object.entries(b.counters)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ')}`;
    case 'unknown':
      return `-- unknown block type 0x${b.type.toString(16)} (${b.length} bytes) at offset ${b.offset}, skipped`;
  }
}

function blockJson(b: Block, exe: Map<number, string>, readers: ReadAt[] = []): Record<string, unknown> {
  const { options: _options, ...rest } = b as Block & { options?: unknown };
  if (b.kind === 'use') return { ...rest, exe: exe.get(b.pid) };
  if (b.kind !== 'packet') return rest;
  const { data: _data, ...pkt } = rest as typeof b;
  const p = decodePacket(b.data);
  return {
    ...pkt,
    exe: b.pid !== undefined ? exe.get(b.pid) : undefined,
    ...(b.attribution === 'reader'
      ? { readBy: readers.map((r) => ({ pid: r.block.pid, tid: r.block.tid, exe: exe.get(r.block.pid), offset: r.block.offset })) }
      : {}),
    ...(p
      ? {
          protocol: protocolName(p),
          src: endpoint(p.src, p.srcPort),
          dst: endpoint(p.dst, p.dstPort),
          tcpFlags: p.tcpFlags,
          icmpType: p.icmpType,
          payloadLength: p.payloadLength,
        }
      : {}),
  };
}

function honetText(e: HonetEvent, exe: Map<number, string>, readers: HonetUse[] = []): string {
  const t = `${e.timeNs / 1_000_000_000n}.${(e.timeNs % 1_000_000_000n).toString().padStart(9, '0')}`;
  switch (e.kind) {
    case 'head':
      return `-- head, boot time ${e.bootTime}${e.guid ? ` host ${e.guid}` : ''}`;
    case 'tail':
      return '-- tail';
    case 'process':
      return `${t} ${e.event.toUpperCase()} pid ${e.pid} ppid ${e.ppid}${e.exitStatus !== undefined ? ` status ${e.exitStatus}` : ''}${e.exe ? ` ${e.exe}${e.argv ? ` [${e.argv.join(' ')}]` : ''}` : ''}`;
    case 'socket':
      return `${t} SOCK ${e.event} ${e.socketId} ${proc(e.pid, e.tid, exe)}${e.family !== undefined ? ` fam ${e.family} type ${e.type} proto ${e.protocol}` : ''}${e.snapshot ? ' snapshot' : ''}${e.accepted ? ' accepted' : ''}`;
    case 'packet': {
      let who: string;
      if (e.attribution === 'reader' && !e.pid) {
        who =
          readers.length > 0
            ? `read by ${unique(readers.map((r) => proc(r.pid, r.tid, exe))).join(', ')}`
            : e.packetId !== undefined
              ? 'read by ? (no READ line names its packet id)'
              : 'read by ?';
      } else if (e.attribution === 'holder' && !e.pid) {
        who = holdersText(e.holders, exe);
      } else {
        const runs =
          e.senders && e.senders.length > 1 ? ` runs ${e.senders.map((r) => `${r.offset}:${proc(r.pid, r.tid, exe)}`).join(', ')}` : '';
        who = `${proc(e.pid || undefined, e.tid, exe)}${runs}`;
      }
      return `${t} ${e.direction === 'in' ? 'IN ' : 'OUT'} ${e.protocol} ${e.src} > ${e.dst} length ${e.length} sock ${e.socketId ?? '-'} ${who}${e.attribution ? ` by ${e.attribution}` : ''}`;
    }
    case 'use': {
      const seq = e.seq !== undefined ? ` seq ${e.seq.first}-${e.seq.end}` : '';
      const pkt = e.what === 'read' && e.seq === undefined ? ` packet ${e.readPacketId ?? '?'}` : '';
      return `${t} ${e.what.toUpperCase()} sock ${e.socketId} ${proc(e.pid, e.tid, exe)}${e.via ? ` via ${e.via}` : ''}${seq}${pkt}${e.bytes !== undefined ? ` length ${e.bytes}` : ''}`;
    }
    case 'unknown':
      return `${t} ? ${e.text}`;
  }
}
