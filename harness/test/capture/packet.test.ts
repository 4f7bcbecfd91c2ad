import t from 'tap';
import { decodePacket, endpoint, formatIpv6 } from '../../capture/index.ts';
import { ipPacket } from '../fixtures/synth.ts';

t.test('IPv4 TCP, UDP, ICMP and raw', async (t) => {
  const p = decodePacket(ipPacket('10.0.0.1:1234', '10.0.0.2:80', 6, Buffer.from('data'), 0x12))!;
  t.match(p, { version: 4, protocol: 6, src: '10.0.0.1', dst: '10.0.0.2', srcPort: 1234, dstPort: 80, tcpFlags: 'S.' });
  t.equal(p.payload.toString(), 'data');
  t.match(decodePacket(ipPacket('1.1.1.1:53', '2.2.2.2:999', 17, Buffer.from('q'))), { protocol: 17, srcPort: 53, dstPort: 999 });
  const icmp = decodePacket(ipPacket('127.0.0.1:0', '127.0.0.1:0', 1, Buffer.from('ping'), 8))!;
  t.match(icmp, { protocol: 1, icmpType: 8 });
  t.equal(icmp.srcPort, undefined);
  t.equal(icmp.payload.toString(), 'ping');
  t.equal(decodePacket(ipPacket('127.0.0.1:0', '127.0.0.1:0', 253, Buffer.from('raw')))!.payload.toString(), 'raw');
});

t.test('IPv6 with an extension header', async (t) => {
  const p = ipPacket('[::1]:5000', '[fe80::1]:6000', 17, Buffer.from('v6'));
  // insert an 8-byte destination-options header (next header UDP)
  const ext = Buffer.from([17, 0, 0, 0, 0, 0, 0, 0]);
  const withExt = Buffer.concat([p.subarray(0, 40), ext, p.subarray(40)]);
  withExt[6] = 60;
  withExt.writeUInt16BE(p.length - 40 + 8, 4);
  t.match(decodePacket(withExt), { version: 6, protocol: 17, src: '::1', dst: 'fe80::1', srcPort: 5000, dstPort: 6000 });
  t.equal(decodePacket(withExt)!.payload.toString(), 'v6');
});

t.test('short or odd packets decode to undefined, never throw', async (t) => {
  t.equal(decodePacket(Buffer.alloc(0)), undefined);
  t.equal(decodePacket(Buffer.from([0x45, 0, 0])), undefined);
  t.equal(decodePacket(Buffer.from([0x75, 0, 0, 0])), undefined);
  t.equal(decodePacket(Buffer.alloc(30, 0x60)), undefined);
});

t.test('compressed IPv6 text and endpoints', async (t) => {
  const cases: Array<[string, string]> = [
    ['00000000000000000000000000000001', '::1'],
    ['00000000000000000000000000000000', '::'],
    ['fe800000000000000000000000000001', 'fe80::1'],
    ['20010db8000000010000000000000001', '2001:db8:0:1::1'],
    ['20010db8000100020003000400050006', '2001:db8:1:2:3:4:5:6'],
  ];
  for (const [hex, text] of cases) t.equal(formatIpv6(Buffer.from(hex, 'hex')), text);
  t.equal(endpoint('::1', 80), '[::1]:80');
  t.equal(endpoint('1.2.3.4', 80), '1.2.3.4:80');
  t.equal(endpoint('1.2.3.4'), '1.2.3.4');
});
