import t from 'tap';
import { annotatePcapng, annotation, packetParties, readPcapng, PcapngWriter, IPPROTO, OPT_COMMENT } from '../../capture/index.ts';
import type { ByteOrder, PacketBlock } from '../../capture/types.ts';
import { ipPacket } from '../fixtures/synth.ts';

const TCP = IPPROTO.TCP;
const UDP = IPPROTO.UDP;

/** A capture with every kind of packet; the reader's segment is cut by a snaplen of 60. */
function capture(order: ByteOrder): Buffer {
  const data = Buffer.alloc(100, 0x61);
  const inbound = ipPacket('127.0.0.1:5000', '127.0.0.1:80', TCP, data, 0x18, 1000);
  return (
    new PcapngWriter(order)
      .header()
      .process({ event: 'exec', pid: 100, ppid: 1, exe: '/usr/bin/curl', argv: ['curl'] })
      .process({ event: 'fork', pid: 101, ppid: 100 })
      .process({ event: 'exec', pid: 200, ppid: 1, exe: '/usr/sbin/nginx', argv: ['nginx'] })
      .packet({
        direction: 'out',
        data: ipPacket('127.0.0.1:5000', '127.0.0.1:80', TCP, data, 0x18, 1000),
        socketId: '00000000000000aa',
        pid: 101,
        tid: 102,
        attribution: 'sender',
        packetId: 1n,
      })
      .packet({
        direction: 'in',
        data: inbound.subarray(0, 60),
        packetLength: inbound.length,
        socketId: '00000000000000bb',
        attribution: 'reader',
        packetId: 2n,
      })
      .packet({
        direction: 'out',
        data: ipPacket('127.0.0.1:80', '127.0.0.1:5000', TCP, Buffer.alloc(0), 0x10, 7),
        socketId: '00000000000000bb',
        attribution: 'holder',
        holders: [200, 100],
        packetId: 3n,
      })
      .packet({
        direction: 'out',
        data: ipPacket('127.0.0.1:5000', '127.0.0.1:80', TCP, data, 0x18, 1100),
        socketId: '00000000000000aa',
        pid: 100,
        tid: 100,
        attribution: 'sender',
        senders: [
          { offset: 0, pid: 100, tid: 100 },
          { offset: 40, pid: 101, tid: 102 },
        ],
        packetId: 4n,
      })
      .packet({
        direction: 'in',
        data: ipPacket('[::1]:53', '[::1]:4000', UDP, Buffer.from('x')),
        socketId: '00000000000000cc',
        attribution: 'reader',
        packetId: 5n,
      })
      .packet({ direction: 'in', data: ipPacket('[::1]:53', '[::1]:4001', UDP, Buffer.from('y')), packetId: 6n })
      .packet({
        direction: 'out',
        data: ipPacket('127.0.0.1:80', '127.0.0.1:5000', TCP, Buffer.alloc(0), 0x11, 8),
        socketId: '00000000000000bb',
        attribution: 'holder',
        packetId: 7n,
      })
      // bytes 1090..1100 of the reader's segment: beyond the 60 captured bytes
      .use({ what: 'read', socketId: '00000000000000bb', pid: 200, tid: 201, seq: { first: 1090, end: 1100 }, bytes: 10 })
      .use({ what: 'read', socketId: '00000000000000cc', pid: 100, tid: 100, readPacketId: 5n, bytes: 1 })
      .stats({ 4: 7n })
      .toBuffer()
  );
}

const expected = [
  'hone: sender pid 101 tid 102 (/usr/bin/curl); sock 0x00000000000000aa',
  'hone: read by pid 200 tid 201 (/usr/sbin/nginx); sock 0x00000000000000bb',
  'hone: holders pid 200 (/usr/sbin/nginx), pid 100 (/usr/bin/curl); sock 0x00000000000000bb',
  'hone: senders pid 100 tid 100 (/usr/bin/curl) at 0, pid 101 tid 102 (/usr/bin/curl) at 40; sock 0x00000000000000aa',
  'hone: read by pid 100 tid 100 (/usr/bin/curl); sock 0x00000000000000cc',
  'hone: no socket',
  'hone: holders none; sock 0x00000000000000bb',
];

for (const order of ['le', 'be'] as const) {
  t.test(`annotate (${order})`, async (t) => {
    const buf = capture(order);
    const before = readPcapng(buf).blocks;
    const { out, packets } = annotatePcapng(buf);
    t.equal(packets, 7);
    const after = readPcapng(out).blocks;
    t.equal(after.length, before.length, 'same blocks');
    const pk = (bs: typeof before) => bs.filter((b): b is PacketBlock => b.kind === 'packet');
    t.same(
      pk(after).map((b) => b.options.find((o) => o.code === OPT_COMMENT)?.value.toString('utf8')),
      expected,
      'each packet names its processes, in its first comment',
    );
    for (const [i, b] of pk(after).entries()) {
      const old = pk(before)[i]!;
      t.same(
        b.options.slice(1).map((o) => [o.code, o.value.toString('hex')]),
        old.options.map((o) => [o.code, o.value.toString('hex')]),
        `packet ${i}: the other options are kept, after the annotation`,
      );
      t.equal(b.data.toString('hex'), old.data.toString('hex'), `packet ${i}: same data`);
      t.equal(b.options[0]!.code, OPT_COMMENT);
    }
    for (const [i, b] of after.entries()) {
      if (b.kind !== 'packet') t.same(b, { ...before[i]!, offset: b.offset }, `${b.kind} block unchanged`);
    }
    t.same(annotatePcapng(out).out, out, 'annotating again replaces the annotation');
  });
}

t.test('a reader whose bytes are past the snaplen is still found (payload length from the IP header)', async (t) => {
  const blocks = readPcapng(capture('le')).blocks;
  const parties = packetParties(blocks);
  const reader = [...parties.values()][1]!;
  t.same(
    reader.parties.map((p) => p.pid),
    [200],
  );
  t.equal(annotation({ role: 'reader', socketId: '0000000000000001', parties: [] }), 'hone: read by nobody; sock 0x0000000000000001');
  t.equal(annotation({ role: 'none', socketId: '0000000000000001', parties: [] }), 'hone: no process; sock 0x0000000000000001');
});
