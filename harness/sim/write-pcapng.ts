// A simulated capture as /dev/hone writes it (kmod/FORMAT.md): SHB, IDB,
// then one block per ring event, the ISB last, all through the shared
// PcapngWriter. A negative start time, netns or inode (set by a fault)
// leaves that option out.
import type { ByteOrder } from '../capture/types.ts';
import { PcapngWriter } from '../capture/writer.ts';
import type { SimCapture } from './events.ts';

export const SIM_USERAPPL = 'Hone 0.1.0 (simulated)';

export function writePcapng(c: SimCapture, order: ByteOrder = 'le'): Buffer {
  const w = new PcapngWriter(order).header(c.os, SIM_USERAPPL, 0);
  const us = (ns: bigint) => c.bootUs + ns / 1000n;
  for (const e of c.events) {
    switch (e.kind) {
      case 'packet':
        w.packet({
          timestampUs: us(e.timeNs),
          data: e.data,
          direction: e.direction,
          attribution: e.attribution,
          // a negative value: the fault left the option out
          ...(e.netns >= 0 ? { netns: e.netns } : {}),
          ...(e.socketId !== undefined ? { socketId: e.socketId } : {}),
          ...(e.pid !== undefined ? { pid: e.pid, tid: e.tid ?? 0 } : {}),
          packetId: e.packetId,
          ...(e.startNs !== undefined ? { startNs: e.startNs } : {}),
          ...(e.senders !== undefined ? { senders: e.senders } : {}),
          ...(e.holders !== undefined ? { holders: e.holders } : {}),
        });
        break;
      case 'use':
        w.use({
          what: e.what,
          socketId: e.socketId,
          pid: e.pid,
          tid: e.tid,
          timestampUs: us(e.timeNs),
          ...(e.startNs >= 0n ? { startNs: e.startNs } : {}),
          ...(e.via !== undefined ? { via: e.via } : {}),
          ...(e.seq !== undefined ? { seq: e.seq } : {}),
          ...(e.readPacketId !== undefined ? { readPacketId: e.readPacketId } : {}),
          ...(e.bytes !== undefined ? { bytes: e.bytes } : {}),
        });
        break;
      case 'socket':
        w.connection({
          event: e.event,
          socketId: e.socketId,
          pid: e.pid,
          tid: e.tid,
          timestampUs: us(e.timeNs),
          family: e.family,
          type: e.type,
          protocol: e.protocol,
          snapshot: e.snapshot,
          accepted: e.accepted,
          ...(e.inode >= 0 ? { inode: e.inode } : {}),
          ...(e.netns >= 0 ? { netns: e.netns } : {}),
        });
        break;
      case 'process':
        w.process({
          event: e.event,
          pid: e.pid,
          timestampUs: us(e.timeNs),
          ppid: e.ppid,
          uid: 0,
          gid: 0,
          tid: e.tid,
          nspid: e.nspid,
          pidns: e.pidns,
          ...(e.exitStatus !== undefined ? { exitStatus: e.exitStatus } : {}),
          ...(e.startNs >= 0n ? { startNs: e.startNs } : {}),
          ...(e.exe !== undefined ? { exe: e.exe } : {}),
          ...(e.argv !== undefined ? { argv: e.argv } : {}),
        });
        break;
      case 'stats':
        w.stats(e.counters, us(e.timeNs));
        break;
    }
  }
  return w.toBuffer();
}
