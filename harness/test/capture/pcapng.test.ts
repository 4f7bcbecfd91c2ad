import t from 'tap';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { BLOCK, CaptureError, PcapngWriter, readPcapng, type ByteOrder } from '../../capture/index.ts';
import { ipPacket } from '../fixtures/synth.ts';

const tcp = ipPacket('127.0.0.1:40000', '127.0.0.1:80', 6, Buffer.from('<HT:00000000:000001>hello'), 0x18);

function full(order: ByteOrder): Buffer {
  return new PcapngWriter(order)
    .header('Linux guest 6.1.0-47-amd64 #1 SMP x86_64', 'Hone 0.1.0', 96)
    .process({
      event: 'exec',
      pid: 100,
      ppid: 1,
      uid: 0,
      gid: 0,
      tid: 100,
      exe: '/bin/busybox',
      argv: ['sh', '-c', 'true'],
      timestampUs: 1_700_000_000_123_456n,
    })
    .process({ event: 'fork', pid: 101, ppid: 100, snapshot: true })
    .connection({
      event: 'open',
      socketId: 'ffeeddcc00112233',
      pid: 101,
      tid: 102,
      family: 2,
      type: 1,
      protocol: 6,
      inode: 4242,
      netns: 4026531993,
      accepted: true,
    })
    .packet({
      direction: 'out',
      data: tcp,
      packetLength: 200,
      socketId: 'ffeeddcc00112233',
      pid: 101,
      tid: 102,
      attribution: 'sender',
      netns: 4026531993,
    })
    .packet({ direction: 'in', data: tcp })
    .connection({ event: 'close', socketId: 'ffeeddcc00112233', pid: 101, tid: 0 })
    .process({ event: 'exit', pid: 101, ppid: 100, exitStatus: 3 << 8 })
    .stats({ 2: 5n, 4: 10n, 7: 1n, 263: 2n })
    .toBuffer();
}

for (const order of ['le', 'be'] as const) {
  t.test(`every block and option, ${order === 'le' ? 'little' : 'big'}-endian`, async (t) => {
    const { blocks } = readPcapng(full(order));
    t.same(
      blocks.map((b) => b.kind),
      ['section', 'interface', 'process', 'process', 'connection', 'packet', 'packet', 'connection', 'process', 'stats'],
    );
    const [shb, idb, exec, fork, open, out, inn, close, exit, isb] = blocks;
    t.match(shb, {
      kind: 'section',
      byteOrder: order,
      version: '1.0',
      os: 'Linux guest 6.1.0-47-amd64 #1 SMP x86_64',
      userAppl: 'Hone 0.1.0',
    });
    t.match(idb, { kind: 'interface', linkType: 101, snapLen: 96, name: 'hone', description: 'Hone Capture Pseudo-device' });
    t.match(exec, {
      kind: 'process',
      event: 'exec',
      pid: 100,
      ppid: 1,
      tid: 100,
      exe: '/bin/busybox',
      argv: ['sh', '-c', 'true'],
      timestampUs: 1_700_000_000_123_456n,
      snapshot: false,
    });
    t.match(fork, { event: 'fork', pid: 101, ppid: 100, snapshot: true });
    t.match(open, {
      kind: 'connection',
      event: 'open',
      socketId: 'ffeeddcc00112233',
      connectionId: 0x00112233,
      pid: 101,
      tid: 102,
      family: 2,
      type: 1,
      protocol: 6,
      inode: 4242,
      netns: 4026531993,
      accepted: true,
      snapshot: false,
    });
    t.match(out, {
      kind: 'packet',
      direction: 'out',
      socketId: 'ffeeddcc00112233',
      pid: 101,
      tid: 102,
      attribution: 'sender',
      netns: 4026531993,
      packetLength: 200,
      capturedLength: tcp.length,
      comment: 'pid 101 tid 102 sock 0xffeeddcc00112233',
    });
    t.ok(out?.kind === 'packet' && out.data.equals(tcp), 'packet bytes intact');
    t.match(inn, { direction: 'in' });
    t.equal(inn?.kind === 'packet' && inn.socketId, undefined, 'no socket option: no socket id');
    t.equal(inn?.kind === 'packet' && inn.pid, undefined);
    t.match(close, { event: 'close', socketId: 'ffeeddcc00112233' });
    t.match(exit, { event: 'exit', exitStatus: 768 });
    t.match(isb, { kind: 'stats', counters: { 2: 5n, 4: 10n, 7: 1n, 263: 2n } });
  });
}

t.test('unknown blocks and unknown options are skipped, not fatal', async (t) => {
  const w = new PcapngWriter('le').header();
  w.block(0x0bad0001, Buffer.from('some future block'), [{ code: 999, value: Buffer.from('x') }]);
  w.packet({ direction: 'out', data: tcp, pid: 7, extraOptions: [{ code: 4000, value: Buffer.from('future option') }] });
  w.process({ event: 'exec', pid: 7, exe: '/x', extraOptions: [{ code: 300, value: Buffer.alloc(12) }] });
  const { blocks } = readPcapng(w.toBuffer());
  t.same(
    blocks.map((b) => b.kind),
    ['section', 'interface', 'unknown', 'packet', 'process'],
  );
  t.match(blocks[2], { kind: 'unknown', type: 0x0bad0001 });
  t.match(blocks[3], { pid: 7, direction: 'out' });
  t.match(blocks[4], { exe: '/x' });
});

t.test('15.07 blocks: 4-byte socket id, open block without options', async (t) => {
  const w = new PcapngWriter('le').header();
  const conn = Buffer.alloc(16);
  conn.writeUInt32LE(0xdeadbeef, 0);
  conn.writeUInt32LE(55, 4);
  w.block(BLOCK.CONNECTION, conn); // no options, no end marker (15.07 open)
  const epb = Buffer.alloc(20 + tcp.length);
  epb.writeUInt32LE(tcp.length, 12);
  epb.writeUInt32LE(tcp.length, 16);
  tcp.copy(epb, 20);
  const id = Buffer.alloc(4);
  id.writeUInt32LE(0xdeadbeef);
  const pid = Buffer.alloc(4);
  pid.writeUInt32LE(55);
  const flags = Buffer.alloc(4);
  flags.writeUInt32LE(2);
  w.block(BLOCK.EPB, epb, [
    { code: 257, value: id },
    { code: 258, value: pid },
    { code: 2, value: flags },
  ]);
  const { blocks } = readPcapng(w.toBuffer());
  t.match(blocks[2], { kind: 'connection', event: 'open', socketId: '00000000deadbeef', pid: 55 });
  t.match(blocks[3], { kind: 'packet', socketId: '00000000deadbeef', pid: 55, direction: 'out' });
});

t.test('two sections in one file (after HEIO_RESTART), different byte orders', async (t) => {
  const buf = Buffer.concat([full('le'), full('be')]);
  const { blocks } = readPcapng(buf);
  t.equal(blocks.filter((b) => b.kind === 'section').length, 2);
  t.equal(blocks.at(-1)?.section, 1);
  t.match(blocks.at(-2), { kind: 'process', event: 'exit', exitStatus: 768 });
});

t.test('damaged and truncated files name the offset', async (t) => {
  const good = full('le');
  const err = (buf: Buffer) => {
    try {
      readPcapng(buf);
    } catch (e) {
      return e as CaptureError;
    }
    return undefined;
  };
  const cut = err(good.subarray(0, good.length - 10));
  t.ok(cut instanceof CaptureError, 'truncated file throws CaptureError');
  t.match(cut?.message, /truncated block at offset \d+/);
  t.equal(cut?.code, 'E_CAPTURE');
  const shbLen = good.readUInt32LE(4);
  const idbLen = good.readUInt32LE(shbLen + 4);
  const at = shbLen + idbLen; // first process block
  const badTrailer = Buffer.from(good);
  const len = badTrailer.readUInt32LE(at + 4);
  badTrailer.writeUInt32LE(len + 4, at + len - 4);
  t.match(
    err(badTrailer)?.message,
    new RegExp(`damaged block at offset ${at}: leading length ${len} differs from trailing length ${len + 4}`),
  );
  t.equal(err(badTrailer)?.at, at);
  const oddLen = Buffer.from(good);
  oddLen.writeUInt32LE(13, at + 4);
  t.match(err(oddLen)?.message, new RegExp(`damaged block at offset ${at}: total length 13`));
  const badOpt = Buffer.from(good);
  badOpt.writeUInt16LE(0xffff, at + 20 + 2); // first option of the exec block claims 65535 bytes
  t.match(err(badOpt)?.message, /damaged option at offset \d+ \(block at offset \d+\)/);
  const badMagic = Buffer.from(good);
  badMagic.writeUInt32LE(0x12345678, 8);
  t.match(err(badMagic)?.message, /damaged Section Header Block at offset 0: byte-order magic/);
  t.match(err(Buffer.from('1.000 HEAD 2.000\n'))?.message, /not a PCAP-NG file/);
  t.match(err(Buffer.alloc(0))?.message, /empty capture/);
  t.match(err(good.subarray(0, 6))?.message, /truncated block at offset 0/);
});

function attribution(order: ByteOrder): Buffer {
  return new PcapngWriter(order)
    .header()
    .packet({
      direction: 'out',
      data: tcp,
      socketId: '00000000000000aa',
      pid: 200,
      tid: 201,
      attribution: 'sender',
      netns: 7,
      packetId: 0x1_0000_0005n,
      startNs: 123_456_789_012n,
      senders: [
        { offset: 0, pid: 200, tid: 201 },
        { offset: 20, pid: 300, tid: 302 },
      ],
    })
    .packet({ direction: 'in', data: tcp, socketId: '00000000000000bb', attribution: 'reader', packetId: 6n })
    .packet({
      direction: 'out',
      data: tcp,
      socketId: '00000000000000aa',
      attribution: 'holder',
      packetId: 7n,
      holders: [200, 300, 0xfffffffe],
    })
    .use({
      what: 'read',
      socketId: 'ffeeddcc000000bb',
      pid: 400,
      tid: 401,
      startNs: 99n,
      seq: { first: 0xfffffff0, end: 0x10 },
      bytes: 32,
      timestampUs: 5n,
    })
    .use({ what: 'read', socketId: '00000000000000cc', pid: 400, tid: 400, startNs: 99n, readPacketId: 6n, bytes: 64 })
    .use({ what: 'gain', socketId: '00000000000000aa', pid: 300, tid: 300, startNs: 100n, via: 'fork' })
    .use({ what: 'gain', socketId: '00000000000000aa', pid: 301, tid: 303, via: 'recv' })
    .use({ what: 'lose', socketId: '00000000000000aa', pid: 300, tid: 302, via: 'close' })
    .use({ what: 'lose', socketId: '00000000000000aa', pid: 200, tid: 201, via: 'exit' })
    .toBuffer();
}

for (const order of ['le', 'be'] as const) {
  t.test(`attribution options 261-264 and read/gain/lose blocks round-trip, ${order}`, async (t) => {
    const { blocks } = readPcapng(attribution(order));
    t.same(
      blocks.map((b) => b.kind),
      ['section', 'interface', 'packet', 'packet', 'packet', 'use', 'use', 'use', 'use', 'use', 'use'],
    );
    const [, , out, inn, holder, rs, rd, gf, gr, lc, le] = blocks;
    t.match(out, {
      kind: 'packet',
      pid: 200,
      tid: 201,
      attribution: 'sender',
      netns: 7,
      packetId: 0x1_0000_0005n,
      startNs: 123_456_789_012n,
      senders: [
        { offset: 0, pid: 200, tid: 201 },
        { offset: 20, pid: 300, tid: 302 },
      ],
    });
    t.equal(out?.kind === 'packet' && out.holders, undefined);
    t.match(inn, { kind: 'packet', direction: 'in', attribution: 'reader', packetId: 6n, socketId: '00000000000000bb' });
    t.equal(inn?.kind === 'packet' && inn.pid, undefined, 'reader packets carry no pid');
    t.match(holder, { attribution: 'holder', holders: [200, 300, 0xfffffffe], packetId: 7n });
    t.match(rs, {
      kind: 'use',
      what: 'read',
      connectionId: 0xbb,
      socketId: 'ffeeddcc000000bb',
      pid: 400,
      tid: 401,
      startNs: 99n,
      seq: { first: 0xfffffff0, end: 0x10 },
      bytes: 32,
      timestampUs: 5n,
    });
    t.equal(rs?.kind === 'use' && rs.via, undefined);
    t.match(rd, { what: 'read', readPacketId: 6n, bytes: 64 });
    t.equal(rd?.kind === 'use' && rd.seq, undefined);
    t.match(gf, { what: 'gain', via: 'fork', pid: 300, startNs: 100n });
    t.match(gr, { what: 'gain', via: 'recv', pid: 301, tid: 303 });
    t.match(lc, { what: 'lose', via: 'close', tid: 302 });
    t.match(le, { what: 'lose', via: 'exit', pid: 200 });
  });
}

t.test('damaged read block and list options name their offset', async (t) => {
  const err = (buf: Buffer) => {
    try {
      readPcapng(buf);
    } catch (e) {
      return e as CaptureError;
    }
    return undefined;
  };
  const w = new PcapngWriter('le').header();
  const at = w.toBuffer().length;
  w.block(BLOCK.USE, Buffer.alloc(8));
  t.match(err(w.toBuffer())?.message, new RegExp(`damaged read/gain/lose block at offset ${at}: 20 bytes is too short`));
  t.equal(err(w.toBuffer())?.at, at);
  const w2 = new PcapngWriter('be').header();
  const at2 = w2.toBuffer().length;
  w2.packet({ direction: 'out', data: tcp, extraOptions: [{ code: 263, value: Buffer.alloc(13) }] });
  t.match(
    err(w2.toBuffer())?.message,
    new RegExp(`damaged option 263 in block at offset ${at2}: 13 bytes is not a multiple of its 12-byte entries`),
  );
  const w3 = new PcapngWriter('le').header();
  w3.packet({ direction: 'out', data: tcp, extraOptions: [{ code: 264, value: Buffer.alloc(6) }] });
  t.match(err(w3.toBuffer())?.message, /damaged option 264 .* 6 bytes is not a multiple of its 4-byte entries/);
  const w4 = new PcapngWriter('le').header();
  w4.block(BLOCK.USE, Buffer.alloc(16), [
    { code: 2, value: Buffer.from([9, 0, 0, 0]) },
    { code: 260, value: Buffer.from([1, 0, 0, 0]) },
  ]);
  t.match(readPcapng(w4.toBuffer()).blocks[2], { kind: 'use', what: 'unknown(9)', via: 'unknown(1)' }, 'unknown what is kept, not fatal');
});

t.test('a capture of the current sensor: its snapshot process blocks carry the flag (option 262), live ones do not', async (t) => {
  const file = new URL('../fixtures/sensor-holders/debian-6.1/fork-shared-turns/capture.pcapng.gz', import.meta.url);
  const blocks = readPcapng(gunzipSync(readFileSync(file))).blocks;
  const procs = blocks.flatMap((b, i) => (b.kind === 'process' ? [{ i, snapshot: b.snapshot }] : []));
  const firstLive = blocks.findIndex(
    (b) =>
      !(b.kind === 'section' || b.kind === 'interface' || (b.kind === 'process' && b.snapshot) || (b.kind === 'connection' && b.snapshot)),
  );
  t.ok(procs.filter((p) => p.snapshot).length > 10, `${procs.filter((p) => p.snapshot).length} snapshot process blocks`);
  t.ok(
    procs.some((p) => !p.snapshot),
    `${procs.filter((p) => !p.snapshot).length} live process blocks`,
  );
  t.same(
    procs.filter((p) => p.snapshot !== p.i < firstLive),
    [],
    'flagged exactly at the head of the section',
  );
});
