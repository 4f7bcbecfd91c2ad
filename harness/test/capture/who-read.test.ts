import t from 'tap';
import { PcapngWriter, readPcapng } from '../../capture/index.ts';
import { byteSeq, seqCovers, whoRead, WhoRead } from '../../capture/who-read.ts';
import { ipPacket } from '../fixtures/synth.ts';

const A = '00000000000000aa';
const B = '00000000000000bb';
const seg = (seq: number, payload: string, flags = 0x18) =>
  ipPacket('127.0.0.1:1000', '127.0.0.1:2000', 6, Buffer.from(payload), flags, seq);

t.test('seqCovers is [first, end) modulo 2^32', async (t) => {
  t.ok(seqCovers({ first: 10, end: 20 }, 10));
  t.ok(seqCovers({ first: 10, end: 20 }, 19));
  t.notOk(seqCovers({ first: 10, end: 20 }, 20));
  t.notOk(seqCovers({ first: 10, end: 20 }, 9));
  t.notOk(seqCovers({ first: 10, end: 10 }, 10), 'an empty range covers nothing');
  t.ok(seqCovers({ first: 0xfffffff0, end: 0x10 }, 0xffffffff), 'across the wrap, before it');
  t.ok(seqCovers({ first: 0xfffffff0, end: 0x10 }, 0), 'across the wrap, at 0');
  t.ok(seqCovers({ first: 0xfffffff0, end: 0x10 }, 0xf));
  t.notOk(seqCovers({ first: 0xfffffff0, end: 0x10 }, 0x10));
  t.notOk(seqCovers({ first: 0xfffffff0, end: 0x10 }, 0xffffffef));
});

t.test('TCP: the read block whose sequence range holds the byte, on the same socket, after the packet', async (t) => {
  const w = new PcapngWriter('le')
    .header()
    .use({ what: 'read', socketId: A, pid: 9, tid: 9, seq: { first: 1000, end: 1010 } }) // 2: before the packet: never
    .packet({ direction: 'in', data: seg(1000, 'aaaaaaaaaabbbbbbbbbb'), socketId: A, attribution: 'reader', packetId: 1n }) // 3
    .packet({ direction: 'out', data: seg(1000, 'aaaaaaaaaabbbbbbbbbb'), socketId: A, pid: 5, tid: 5, attribution: 'sender' }) // 4
    .use({ what: 'read', socketId: B, pid: 8, tid: 8, seq: { first: 1000, end: 1020 } }) // 5: other socket
    .use({ what: 'gain', socketId: A, pid: 7, tid: 7, via: 'fork' }) // 6: not a read
    .use({ what: 'read', socketId: A, pid: 5, tid: 6, seq: { first: 1000, end: 1010 }, bytes: 10 }) // 7
    .use({ what: 'read', socketId: A, pid: 7, tid: 7, seq: { first: 1010, end: 1020 }, bytes: 10 }); // 8
  const blocks = readPcapng(w.toBuffer()).blocks;
  const idx = new WhoRead(blocks);
  t.same(
    idx.readersOf(3, 0).map((r) => r.index),
    [7],
    'first byte: read by tid 6',
  );
  t.same(
    idx.readersOf(3, 9).map((r) => r.index),
    [7],
  );
  t.same(
    idx.readersOf(3, 10).map((r) => r.index),
    [8],
    'byte 10: read by the other process',
  );
  t.same(
    idx.readersOf(3, 19).map((r) => r.index),
    [8],
  );
  t.same(idx.readersOf(3, 20), [], 'past the data: nobody');
  t.same(idx.readersOf(4, 0), [], 'an outbound packet has no readers');
  t.match(whoRead(blocks, 3, 12)[0]?.block, { pid: 7, tid: 7 });
  t.same(idx.readersOf(2), [], 'not a packet');
  t.same(idx.readersOf(99), [], 'out of range');
});

t.test('TCP: sequence numbers that wrap at 2^32', async (t) => {
  const w = new PcapngWriter('be')
    .header()
    .packet({ direction: 'in', data: seg(0xfffffffa, '0123456789abcdef'), socketId: A, attribution: 'reader' }) // 2
    .use({ what: 'read', socketId: A, pid: 5, tid: 5, seq: { first: 0xfffffffa, end: 0xfffffffe } }) // 3
    .use({ what: 'read', socketId: A, pid: 6, tid: 6, seq: { first: 0xfffffffe, end: 4 } }) // 4: straddles 0
    .use({ what: 'read', socketId: A, pid: 7, tid: 7, seq: { first: 4, end: 10 } }); // 5
  const blocks = readPcapng(w.toBuffer()).blocks;
  const idx = new WhoRead(blocks);
  t.equal(byteSeq(blocks[2] as Parameters<typeof byteSeq>[0], 6), 0, 'byte 6 has sequence number 0');
  t.same(
    idx.readersOf(2, 0).map((r) => r.block.pid),
    [5],
  );
  t.same(
    idx.readersOf(2, 4).map((r) => r.block.pid),
    [6],
    'last number before the wrap',
  );
  t.same(
    idx.readersOf(2, 6).map((r) => r.block.pid),
    [6],
    'sequence number 0',
  );
  t.same(
    idx.readersOf(2, 9).map((r) => r.block.pid),
    [6],
  );
  t.same(
    idx.readersOf(2, 10).map((r) => r.block.pid),
    [7],
    'after the wrap',
  );
  t.same(
    idx.readersOf(2, 15).map((r) => r.block.pid),
    [7],
  );
});

t.test('TCP: a SYN takes one sequence number before its data', async (t) => {
  const w = new PcapngWriter('le')
    .header()
    .packet({ direction: 'in', data: seg(99, 'fastopen', 0x02), socketId: A, attribution: 'reader' })
    .use({ what: 'read', socketId: A, pid: 5, tid: 5, seq: { first: 100, end: 108 } });
  t.same(
    whoRead(readPcapng(w.toBuffer()).blocks, 2, 0).map((r) => r.block.pid),
    [5],
  );
});

t.test('datagrams: by packet id, whatever the offset', async (t) => {
  const dgram = ipPacket('127.0.0.1:1000', '127.0.0.1:2000', 17, Buffer.from('hello'));
  const w = new PcapngWriter('le')
    .header()
    .packet({ direction: 'in', data: dgram, socketId: A, attribution: 'reader', packetId: 41n }) // 2
    .packet({ direction: 'in', data: dgram, socketId: A, attribution: 'reader', packetId: 42n }) // 3
    .packet({ direction: 'in', data: dgram, socketId: A, attribution: 'reader' }) // 4: no packet id
    .use({ what: 'read', socketId: A, pid: 5, tid: 5, readPacketId: 42n }) // 5
    .use({ what: 'read', socketId: B, pid: 6, tid: 6, readPacketId: 41n }) // 6: other socket
    .use({ what: 'read', socketId: A, pid: 7, tid: 7 }); // 7: pkt=? (unknown)
  const idx = new WhoRead(readPcapng(w.toBuffer()).blocks);
  t.same(
    idx.readersOf(3, 3).map((r) => r.index),
    [5],
  );
  t.same(idx.readersOf(2), [], 'read on another socket does not count');
  t.same(idx.readersOf(4), [], 'a packet without id has no provable reader');
});

t.test('readersOfPacket: every read block that took any byte of the segment', async (t) => {
  const w = new PcapngWriter('le')
    .header()
    .packet({ direction: 'in', data: seg(0xfffffff8, '0123456789abcdef'), socketId: A, attribution: 'reader' }) // 2: [2^32-8, 8)
    .use({ what: 'read', socketId: A, pid: 4, tid: 4, seq: { first: 0xfffffff0, end: 0xfffffff8 } }) // 3: before it
    .use({ what: 'read', socketId: A, pid: 5, tid: 5, seq: { first: 0xfffffff0, end: 0xfffffffa } }) // 4: overlaps its start
    .use({ what: 'read', socketId: A, pid: 6, tid: 6, seq: { first: 0xfffffffa, end: 2 } }) // 5: inside, across 0
    .use({ what: 'read', socketId: A, pid: 7, tid: 7, seq: { first: 6, end: 100 } }) // 6: overlaps its end
    .use({ what: 'read', socketId: A, pid: 8, tid: 8, seq: { first: 8, end: 100 } }); // 7: after it
  const idx = new WhoRead(readPcapng(w.toBuffer()).blocks);
  t.same(
    idx.readersOfPacket(2).map((r) => r.block.pid),
    [5, 6, 7],
  );
  t.same(idx.readersOfPacket(3), [], 'not a packet');
});
