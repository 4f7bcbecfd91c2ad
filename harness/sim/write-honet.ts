// A simulated capture as /dev/honet writes it (kmod/FORMAT.md, "Text"):
// HEAD, one line per ring event (process, socket, packet, read, gain,
// lose), TAIL.
import { IPPROTO } from '../capture/constants.ts';
import { decodePacket } from '../capture/packet.ts';
import type { PacketEvent, SimCapture, UseEvent } from './events.ts';

const EVT = { fork: 'FORK', exec: 'EXEC', exit: 'EXIT', kthread: 'KTHD' } as const;

export function writeHonet(c: SimCapture): string {
  const lines = [`${ts(c.openNs)} HEAD ${ts(c.bootUs * 1000n)}`];
  for (const e of c.events) {
    switch (e.kind) {
      case 'process': {
        let l = `${ts(e.timeNs)} ${EVT[e.event]} ${e.pid} ${e.ppid} 0 0 tid=${e.tid}${e.startNs >= 0n ? ` start=${e.startNs}` : ''} nspid=${e.nspid}`;
        if (e.exitStatus !== undefined) l += ` status=${e.exitStatus}`;
        if (e.exe !== undefined)
          l += e.event === 'kthread' ? ` "${e.exe}"` : ` "${e.exe}"${e.argv && e.argv.length ? ' ' + e.argv.join(' ') : ''}`;
        lines.push(l);
        break;
      }
      case 'socket':
        lines.push(
          `${ts(e.timeNs)} SOCK ${e.event === 'open' ? 'O' : 'C'} ${e.pid} ${e.ppid} 0 0 ${e.socketId} tid=${e.tid}${e.inode >= 0 ? ` ino=${e.inode}` : ''} fam=${e.family} type=${e.type} proto=${e.protocol}${e.netns >= 0 ? ` netns=${e.netns}` : ''}` +
            `${e.snapshot ? ' snapshot' : ''}${e.accepted ? ' accept' : ''}`,
        );
        break;
      case 'packet':
        lines.push(packetLine(e));
        break;
      case 'use':
        lines.push(useLine(e));
        break;
      case 'stats':
        break;
    }
  }
  lines.push(`${ts(c.openNs)} TAIL`, '');
  return lines.join('\n');
}

function packetLine(e: PacketEvent): string {
  const p = decodePacket(e.data);
  let flow = '? ? -> ?';
  if (p) {
    const addr = (a: string) => (p.version === 6 ? `[${a}]` : a);
    const end = (a: string, port?: number) => (port === undefined ? addr(a) : `${addr(a)}:${port}`);
    const named = p.protocol === IPPROTO.TCP ? `TCPv${p.version}` : p.protocol === IPPROTO.UDP ? `UDPv${p.version}` : String(p.protocol);
    flow = `${named} ${end(p.src, p.srcPort)} -> ${end(p.dst, p.dstPort)}`;
  }
  let l = `${ts(e.timeNs)} PAKT ${e.direction === 'in' ? 'I' : 'O'} ${e.socketId ?? '0'.repeat(16)} ${e.pid ?? 0} ${flow} ${e.data.length} tid=${e.tid ?? 0} by=${e.attribution}${e.netns >= 0 ? ` netns=${e.netns}` : ''} id=${e.packetId}`;
  if (e.startNs !== undefined) l += ` start=${e.startNs}`;
  if (e.senders !== undefined && e.senders.length > 0) l += ` senders=${e.senders.map((r) => `${r.offset}:${r.pid}:${r.tid}`).join(',')}`;
  if (e.holders !== undefined && e.holders.length > 0) l += ` holders=${e.holders.join(',')}`;
  return l;
}

/** READ, GAIN and LOSE lines (FORMAT.md "Text"). */
function useLine(e: UseEvent): string {
  const head = `${ts(e.timeNs)} ${e.what.toUpperCase()} ${e.socketId} ${e.pid} tid=${e.tid}${e.startNs >= 0n ? ` start=${e.startNs}` : ''}`;
  if (e.what !== 'read') return `${head} via=${e.via}`;
  if (e.seq !== undefined) return `${head} len=${e.bytes ?? 0} seq=${e.seq.first}-${e.seq.end}`;
  return `${head} len=${e.bytes ?? 0} pkt=${e.readPacketId ?? '?'}`;
}

/** SEC.NSEC of nanoseconds. */
function ts(ns: bigint): string {
  return `${ns / 1_000_000_000n}.${String(ns % 1_000_000_000n).padStart(9, '0')}`;
}
