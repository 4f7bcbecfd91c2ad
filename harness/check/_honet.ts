// Phase 5: /dev/honet against /dev/hone. Both are readers of the same
// events (kmod/FORMAT.md: the text is one line per event), so while both
// read (from the scenario's first step to the runner's settle, by the
// truth's clock) every block of the PCAP-NG stream must have its line with
// the same fields and time, and every line its block. A disagreement fails
// the capture: one of the two streams says something that did not happen.
// (Outside that span they differ by design: each reader opens, takes its
// snapshot and stops at its own moment.)
import { IPPROTO } from '../capture/constants.ts';
import { decodePacket } from '../capture/packet.ts';
import type { Block, HonetEvent } from '../capture/types.ts';
import type { Ctx } from './_context.ts';
import { window } from './_model.ts';
import { SLACK_US } from './_time.ts';

/**
 * Timestamps of one event in the two streams: µs (PCAP-NG) against ns + the
 * HEAD's boot time (text). Each reader takes the wall-clock boot time when it
 * opens (FORMAT.md), so the streams may differ by a constant of a few µs
 * (measured: up to 6); around that constant each pair agrees to TIME_SLACK_US.
 */
const TIME_SLACK_US = 2;
const BOOT_SLACK_US = 1000;

export function judgeHonet(ctx: Ctx, honet: HonetEvent[]): void {
  const { cap, tally } = ctx;
  const head = honet.find((h) => h.kind === 'head');
  const bootNs = head?.kind === 'head' ? parseBoot(head.bootTime) : undefined;
  if (bootNs === undefined) tally.problem('honet text has no HEAD line with the boot time');
  const lines = new Map<string, Record[]>();
  const count = new Map<string, number>();
  const key = (k: string) => {
    const n = count.get(k) ?? 0;
    count.set(k, n + 1);
    return `${k} #${n}`;
  };
  for (const h of honet) {
    const r = fromLine(h, bootNs);
    if (!r) continue;
    const k = key(r.key);
    (lines.get(k) ?? lines.set(k, []).get(k)!).push(r);
  }
  count.clear();
  const span = bothReading(ctx);
  const disagree: string[] = [];
  let total = 0;
  const pairs: Array<{ r: Record; line: Record; offset: number }> = [];
  const used = new Set<Record>();
  cap.blocks.forEach((b, i) => {
    const r = fromBlock(b);
    if (!r) return;
    const t = cap.time(i);
    const k = key(r.key);
    if (t === undefined || t < span.lo || t > span.hi) {
      // outside the common span: its line, if any, is not asked for
      const line = lines.get(k)?.shift();
      if (line) used.add(line);
      return;
    }
    total++;
    const line = lines.get(k)?.shift();
    if (!line) {
      disagree.push(`the ${r.what} at offset ${b.offset} has no honet line`);
      return;
    }
    pairs.push({ r, line, offset: b.offset });
  });
  const shifts = pairs
    .map((p) => p.line.timeUs - p.r.timeUs)
    .filter((x) => Number.isFinite(x))
    .sort((a, b) => a - b);
  const shift = shifts[Math.floor(shifts.length / 2)] ?? 0;
  if (Math.abs(shift) > BOOT_SLACK_US)
    disagree.push(`the text's times are ${shift} µs off the PCAP-NG's (the HEAD line's boot time is not the PCAP-NG's)`);
  for (const { r, line, offset } of pairs) {
    const diff: string[] = [];
    for (const [f, v] of Object.entries(r.fields)) {
      // what the PCAP-NG leaves out, the text prints as 0 or leaves out too
      if (v === undefined) continue;
      const t = line.fields[f];
      if (v !== t) diff.push(`${f}=${t ?? '(absent)'} in the text, ${v} in the PCAP-NG`);
    }
    if (Math.abs(line.timeUs - r.timeUs - shift) > TIME_SLACK_US)
      diff.push(`time ${line.timeUs - shift} µs in the text, ${r.timeUs} µs in the PCAP-NG`);
    if (diff.length > 0) disagree.push(`the honet line ${line.line} and the ${r.what} at offset ${offset} disagree: ${diff.join(', ')}`);
  }
  for (const rest of lines.values()) {
    for (const r of rest) {
      // the line's time on the truth's clock (its wall-clock µs, less the streams' shift and the boot time)
      const t = r.timeUs - shift - ctx.m.clock.bootUs;
      if (used.has(r) || t < span.lo + 1000 || t > span.hi - 1000) continue;
      disagree.push(`the honet line ${r.line} (${r.what}) has no block in the PCAP-NG`);
    }
  }
  const dropLines = honet.filter((h) => h.kind === 'unknown' && / DROP /.test(h.text));
  if (dropLines.length > 0)
    tally.note(
      `honet text reports drops: ${dropLines
        .slice(0, 3)
        .map((h) => (h.kind === 'unknown' ? h.text : ''))
        .join('; ')}`,
    );
  tally.counts.honet.total += total;
  tally.counts.honet.correct += Math.max(0, total - disagree.length);
  for (const d of disagree) {
    tally.counts.honet.wrong++;
    tally.problem(`honet text and PCAP-NG disagree: ${d}`);
  }
}

// --- internal ---

/**
 * From the first step after the capture started to the runner's settle
 * (older runners: 250 ms of its 300 ms settle after the last step), on the
 * truth's monotonic clock, in µs.
 */
function bothReading(ctx: Ctx): { lo: number; hi: number } {
  const { m } = ctx;
  const steps = m.truth.steps;
  const first = steps[m.captureStart + 1] ?? steps[0];
  const last = steps[steps.length - 1];
  const lo = first ? window(m, first).lo - SLACK_US : -Infinity;
  const hi = m.truth.settledMonoNs !== undefined ? m.truth.settledMonoNs / 1000 : last ? last.monoNs / 1000 + 250_000 : Infinity;
  return { lo, hi };
}

interface Record {
  key: string;
  what: string;
  line?: number;
  timeUs: number;
  fields: { [k: string]: string | undefined };
}

function parseBoot(text: string): bigint | undefined {
  const m = /^(\d+)\.(\d{1,9})$/.exec(text);
  return m ? BigInt(m[1]!) * 1_000_000_000n + BigInt(m[2]!.padEnd(9, '0')) : undefined;
}

const s = (v: unknown) => (v === undefined ? undefined : String(v));

function fromBlock(b: Block): Record | undefined {
  switch (b.kind) {
    case 'process':
      return {
        key: `P ${b.event} ${b.pid}`,
        what: `${b.event} block`,
        timeUs: Number(b.timestampUs),
        fields: {
          tid: s(b.tid),
          ppid: s(b.ppid),
          uid: s(b.uid),
          gid: s(b.gid),
          start: s(b.startNs),
          nspid: s(b.nspid),
          status: s(b.exitStatus),
          exe: b.exe,
          argv: b.argv?.join(' '),
        },
      };
    case 'connection':
      return {
        key: `S ${b.event} ${b.socketId ?? '-'} ${b.pid} ${b.snapshot}`,
        what: `${b.event} block`,
        timeUs: Number(b.timestampUs),
        fields: {
          tid: s(b.tid),
          ino: s(b.inode),
          fam: s(b.family),
          type: s(b.type),
          proto: s(b.protocol),
          netns: s(b.netns),
          accept: s(b.accepted),
        },
      };
    case 'use':
      return {
        key: `U ${b.what} ${b.socketId ?? '-'} ${b.pid}`,
        what: `${b.what} block`,
        timeUs: Number(b.timestampUs),
        fields: {
          tid: s(b.tid),
          start: s(b.startNs),
          via: s(b.via),
          len: s(b.bytes),
          seq: b.seq ? `${b.seq.first}-${b.seq.end}` : undefined,
          pkt: s(b.readPacketId),
        },
      };
    case 'packet': {
      return {
        key: `K ${b.packetId ?? `@${b.offset}`}`,
        what: `packet (id ${b.packetId ?? '?'})`,
        timeUs: Number(b.timestampUs),
        fields: {
          dir: b.direction,
          sock: b.socketId ?? '-',
          pid: String(b.pid ?? 0),
          flow: flowOf(b.data),
          len: String(b.packetLength),
          tid: String(b.tid ?? 0),
          by: b.attribution,
          netns: s(b.netns),
          start: s(b.startNs),
          senders: b.senders?.map((r) => `${r.offset}:${r.pid}:${r.tid}`).join(','),
          holders: b.holders && b.holders.length > 0 ? b.holders.join(',') : undefined,
        },
      };
    }
    default:
      return undefined;
  }
}

function fromLine(h: HonetEvent, bootNs: bigint | undefined): Record | undefined {
  const timeUs = bootNs === undefined ? Number.NaN : Number((bootNs + h.timeNs) / 1000n);
  const base = { line: h.line, timeUs };
  switch (h.kind) {
    case 'process':
      return {
        ...base,
        key: `P ${h.event} ${h.pid}`,
        what: `${h.event} line`,
        fields: {
          tid: s(h.tid),
          ppid: s(h.ppid),
          uid: s(h.uid),
          gid: s(h.gid),
          start: h.extra.start,
          nspid: h.extra.nspid,
          status: s(h.exitStatus),
          exe: h.exe,
          argv: h.argv?.join(' '),
        },
      };
    case 'socket':
      return {
        ...base,
        key: `S ${h.event} ${h.socketId} ${h.pid} ${h.snapshot}`,
        what: `${h.event} line`,
        fields: {
          tid: s(h.tid),
          ino: s(h.inode),
          fam: s(h.family),
          type: s(h.type),
          proto: s(h.protocol),
          netns: s(h.netns),
          accept: s(h.accepted),
        },
      };
    case 'use':
      return {
        ...base,
        key: `U ${h.what} ${h.socketId} ${h.pid}`,
        what: `${h.what} line`,
        fields: {
          tid: s(h.tid),
          start: s(h.startNs),
          via: h.via,
          len: s(h.bytes),
          seq: h.seq ? `${h.seq.first}-${h.seq.end}` : undefined,
          pkt: s(h.readPacketId),
        },
      };
    case 'packet':
      return {
        ...base,
        key: `K ${h.packetId ?? `line ${h.line}`}`,
        what: `PAKT line`,
        fields: {
          dir: h.direction,
          sock: h.socketId ?? '-',
          pid: String(h.pid),
          flow: `${h.protocol} ${h.src} -> ${h.dst}`,
          len: String(h.length),
          tid: String(h.tid ?? 0),
          by: h.attribution,
          netns: s(h.netns),
          start: s(h.startNs),
          senders: h.senders?.map((r) => `${r.offset}:${r.pid}:${r.tid}`).join(','),
          holders: h.holders && h.holders.length > 0 ? h.holders.join(',') : undefined,
        },
      };
    default:
      return undefined;
  }
}

/** "TCPv4 a.b.c.d:p -> e.f.g.h:q" as the text prints a packet (FORMAT.md): the transport protocol after IPv6 extension headers, IPv6 compressed in brackets. */
function flowOf(data: Buffer): string {
  const p = decodePacket(data);
  if (!p) return '? ? -> ?';
  const addr = (a: string) => (p.version === 6 ? `[${a}]` : a);
  const end = (a: string, port?: number) => (port === undefined ? addr(a) : `${addr(a)}:${port}`);
  const named = p.protocol === IPPROTO.TCP ? `TCPv${p.version}` : p.protocol === IPPROTO.UDP ? `UDPv${p.version}` : String(p.protocol);
  return `${named} ${end(p.src, p.srcPort)} -> ${end(p.dst, p.dstPort)}`;
}
