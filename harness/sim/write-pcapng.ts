// A simulated capture as /dev/hone writes it (kmod/FORMAT.md): SHB, IDB,
// then one block per ring event, the ISB last. EPB, connection blocks,
// read/gain/lose blocks and the ISB go through the shared PcapngWriter; process blocks are written
// here with every option of FORMAT.md in its order (the shared writer has
// no start time, nspid or pid namespace options).
import { BLOCK, PROCESS_EVENT, PROCESS_OPT } from '../capture/constants.ts';
import type { ByteOrder, RawOption } from '../capture/types.ts';
import { PcapngWriter } from '../capture/writer.ts';
import type { ProcessEvent, SimCapture } from './events.ts';

export const SIM_USERAPPL = 'Hone 0.1.0 (simulated)';
const PIDNS = 4026531836;

export function writePcapng(c: SimCapture, order: ByteOrder = 'le'): Buffer {
  const w = new PcapngWriter(order).header(c.os, SIM_USERAPPL, 0);
  const us = (ns: bigint) => c.bootUs + ns / 1000n;
  for (const e of c.events) {
    switch (e.kind) {
      case 'packet':
        w.packet({
          timestampUs: us(e.timeNs), data: e.data, direction: e.direction, attribution: e.attribution, netns: e.netns,
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
          what: e.what, socketId: e.socketId, pid: e.pid, tid: e.tid, startNs: e.startNs, timestampUs: us(e.timeNs),
          ...(e.via !== undefined ? { via: e.via } : {}),
          ...(e.seq !== undefined ? { seq: e.seq } : {}),
          ...(e.readPacketId !== undefined ? { readPacketId: e.readPacketId } : {}),
          ...(e.bytes !== undefined ? { bytes: e.bytes } : {}),
        });
        break;
      case 'socket':
        w.connection({
          event: e.event, socketId: e.socketId, pid: e.pid, tid: e.tid, timestampUs: us(e.timeNs), family: e.family, type: e.type,
          protocol: e.protocol, inode: e.inode, netns: e.netns, snapshot: e.snapshot, accepted: e.accepted,
        });
        break;
      case 'process':
        processBlock(w, e, us(e.timeNs));
        break;
      case 'stats':
        w.stats(e.counters, us(e.timeNs));
        break;
    }
  }
  return w.toBuffer();
}

function processBlock(w: PcapngWriter, e: ProcessEvent, timestampUs: bigint): void {
  const o = w.order;
  const u32 = (v: number) => {
    const b = Buffer.alloc(4);
    if (o === 'le') b.writeUInt32LE(v >>> 0);
    else b.writeUInt32BE(v >>> 0);
    return b;
  };
  const u64 = (v: bigint) => {
    const b = Buffer.alloc(8);
    if (o === 'le') b.writeBigUInt64LE(v);
    else b.writeBigUInt64BE(v);
    return b;
  };
  const body = Buffer.concat([u32(e.pid), u32(Number(timestampUs >> 32n)), u32(Number(timestampUs & 0xffffffffn))]);
  const opts: RawOption[] = [];
  const ev = { fork: PROCESS_EVENT.FORK, exit: PROCESS_EVENT.EXIT, kthread: PROCESS_EVENT.KTHD, exec: undefined }[e.event];
  if (ev !== undefined) opts.push({ code: PROCESS_OPT.EVENT, value: u32(ev) });
  opts.push({ code: PROCESS_OPT.PPID, value: u32(e.ppid) });
  opts.push({ code: PROCESS_OPT.UID, value: u32(0) });
  opts.push({ code: PROCESS_OPT.GID, value: u32(0) });
  opts.push({ code: PROCESS_OPT.TID, value: u32(e.tid) });
  if (e.exitStatus !== undefined) opts.push({ code: PROCESS_OPT.EXIT_STATUS, value: u32(e.exitStatus) });
  opts.push({ code: PROCESS_OPT.START_NS, value: u64(e.startNs) });
  opts.push({ code: PROCESS_OPT.NSPID, value: u32(e.pid) });
  opts.push({ code: PROCESS_OPT.PIDNS, value: u32(PIDNS) });
  if (e.exe !== undefined) opts.push({ code: PROCESS_OPT.EXE, value: Buffer.from(e.exe) });
  if (e.argv !== undefined) opts.push({ code: PROCESS_OPT.ARGV, value: Buffer.from(e.argv.map((a) => a + '\0').join('')) });
  w.block(BLOCK.PROCESS, body, opts);
}
