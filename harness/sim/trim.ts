// Trimming a real run (truth.json, capture.pcapng, honet.txt) to what the
// scenario is about, for small fixtures: the section head, the ISB, and the
// blocks of the scenario's processes, sockets and tags are kept byte for
// byte; the rest (kernel threads, sshd, the guest's own traffic) is dropped.
import type { Block } from '../capture/types.ts';
import { readPcapng } from '../capture/pcapng.ts';
import { decodePacket } from '../capture/packet.ts';
import type { Truth } from '../check/types.ts';
import { namesOf } from './fidelity.ts';

export function trimPcapng(buf: Buffer, truth: Truth): Buffer {
  const { blocks } = readPcapng(buf);
  const keep = keeper(truth);
  const parts: Buffer[] = [];
  blocks.forEach((b, i) => {
    const end = i + 1 < blocks.length ? blocks[i + 1]!.offset : buf.length;
    if (keep(b)) parts.push(buf.subarray(b.offset, end));
  });
  return Buffer.concat(parts);
}

/** The text lines of the same events; with the run's PCAP-NG, also the PAKT lines of every packet trimPcapng keeps (the kernel's echo replies). */
export function trimHonet(text: string, truth: Truth, pcapng?: Buffer): string {
  const { procs, socks } = namesOf(truth);
  const keep = keeper(truth);
  const ids = new Set<string>();
  if (pcapng)
    for (const b of readPcapng(pcapng).blocks) if (b.kind === 'packet' && b.packetId !== undefined && keep(b)) ids.add(String(b.packetId));
  return (
    text
      .split('\n')
      .filter((l) => {
        const t = l.split(' ');
        if (t[1] === 'HEAD' || t[1] === 'TAIL') return true;
        if (['FORK', 'EXEC', 'EXIT', 'KTHD'].includes(t[1] ?? '')) return procs.has(Number(t[2]));
        if (t[1] === 'SOCK') return socks.has(t[7] ?? '');
        if (['READ', 'GAIN', 'LOSE'].includes(t[1] ?? '')) return socks.has(t[2] ?? '');
        if (t[1] === 'PAKT')
          return (
            socks.has(t[3] ?? '') ||
            ids.has(/ id=(\d+)/.exec(l)?.[1] ?? '') ||
            (t[3] === '0'.repeat(16) && /^(1|58) (127\.0\.0\.1|\[::1\]) -> /.test(t.slice(5).join(' ')))
          );
        return false;
      })
      .join('\n') + '\n'
  );
}

function keeper(truth: Truth): (b: Block) => boolean {
  const { procs, socks } = namesOf(truth);
  const tag = `<HT:${truth.runId}:`;
  return (b) => {
    switch (b.kind) {
      case 'section':
      case 'interface':
      case 'stats':
        return true;
      case 'process':
        return procs.has(b.pid);
      case 'connection':
      case 'use':
        return socks.has(b.socketId ?? '');
      case 'packet': {
        if (b.socketId !== undefined && socks.has(b.socketId)) return true;
        const p = decodePacket(b.data);
        return !!p && p.payload.toString('latin1').includes(tag);
      }
      default:
        return false;
    }
  };
}
