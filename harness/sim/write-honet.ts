// A simulated capture as /dev/honet writes it (kmod/FORMAT.md, "Text"):
// HEAD, one line per ring event, TAIL.
import { IPPROTO } from '../capture/constants.ts';
import { decodePacket } from '../capture/packet.ts';
import type { PacketEvent, SimCapture } from './events.ts';

const EVT = { fork: 'FORK', exec: 'EXEC', exit: 'EXIT', kthread: 'KTHD' } as const;

export function writeHonet(c: SimCapture): string {
  const lines = [`${ts(c.openNs)} HEAD ${ts(c.bootUs * 1000n)}`];
  for (const e of c.events) {
    switch (e.kind) {
      case 'process': {
        let l = `${ts(e.timeNs)} ${EVT[e.event]} ${e.pid} ${e.ppid} 0 0 tid=${e.tid} start=${e.startNs} nspid=${e.pid}`;
        if (e.exitStatus !== undefined) l += ` status=${e.exitStatus}`;
        if (e.exe !== undefined) l += e.event === 'kthread' ? ` "${e.exe}"` : ` "${e.exe}"${e.argv && e.argv.length ? ' ' + e.argv.join(' ') : ''}`;
        lines.push(l);
        break;
      }
      case 'socket':
        lines.push(
          `${ts(e.timeNs)} SOCK ${e.event === 'open' ? 'O' : 'C'} ${e.pid} ${e.ppid} 0 0 ${e.socketId} tid=${e.tid} ino=${e.inode} fam=${e.family} type=${e.type} proto=${e.protocol} netns=${e.netns}` +
            `${e.snapshot ? ' snapshot' : ''}${e.accepted ? ' accept' : ''}`,
        );
        break;
      case 'packet':
        lines.push(packetLine(e));
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
  return `${ts(e.timeNs)} PAKT ${e.direction === 'in' ? 'I' : 'O'} ${e.socketId ?? '0'.repeat(16)} ${e.pid ?? 0} ${flow} ${e.data.length} tid=${e.tid ?? 0} by=${e.attribution} netns=${e.netns}`;
}

/** SEC.NSEC of nanoseconds. */
function ts(ns: bigint): string {
  return `${ns / 1_000_000_000n}.${String(ns % 1_000_000_000n).padStart(9, '0')}`;
}
