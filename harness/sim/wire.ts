// Bytes of the packets the simulated sensor captures: bare IPv4/IPv6
// (LINKTYPE_RAW) with a TCP, UDP, ICMP echo or raw payload, sized as Linux
// sends them on loopback (TCP timestamps on every segment, MSS/SACK/window
// scale on SYNs), so that lengths match real captures.
import { IPPROTO } from '../capture/constants.ts';

/** "a.b.c.d:port" or "[v6]:port" (port may be absent for ICMP/raw). */
export interface Endpoint {
  addr: string;
  port: number;
}

export const TCP_FLAG = { FIN: 0x01, SYN: 0x02, RST: 0x04, PSH: 0x08, ACK: 0x10 } as const;

export interface TcpSegment {
  kind: 'tcp';
  src: Endpoint;
  dst: Endpoint;
  flags: number;
  seq: number;
  ack: number;
  payload: Buffer;
}
export interface UdpDatagram {
  kind: 'udp';
  src: Endpoint;
  dst: Endpoint;
  payload: Buffer;
}
export interface IcmpEcho {
  kind: 'icmp';
  src: Endpoint;
  dst: Endpoint;
  v6: boolean;
  reply: boolean;
  id: number;
  seq: number;
  payload: Buffer;
}
export interface RawDatagram {
  kind: 'raw';
  src: Endpoint;
  dst: Endpoint;
  protocol: number;
  payload: Buffer;
}
export type Wire = TcpSegment | UdpDatagram | IcmpEcho | RawDatagram;

export function isV6(e: Endpoint): boolean {
  return e.addr.includes(':');
}

/** Parse "a.b.c.d:port", "[v6]:port" or a bare address. */
export function parseEndpoint(s: string): Endpoint {
  const m6 = /^\[(.*)\]:(\d+)$/.exec(s);
  if (m6) return { addr: m6[1]!, port: Number(m6[2]) };
  const m4 = /^([^:]*):(\d+)$/.exec(s);
  if (m4) return { addr: m4[1]!, port: Number(m4[2]) };
  return { addr: s, port: 0 };
}

export function formatEndpoint(e: Endpoint): string {
  return isV6(e) ? `[${e.addr}]:${e.port}` : `${e.addr}:${e.port}`;
}

export function encode(w: Wire): Buffer {
  const v6 = isV6(w.src);
  let proto: number;
  let l4: Buffer;
  switch (w.kind) {
    case 'tcp': {
      proto = IPPROTO.TCP;
      const syn = (w.flags & TCP_FLAG.SYN) !== 0;
      // SYN: MSS(4) SACK-perm+TS(12) NOP+WS(4) = 20 option bytes; others: NOP NOP TS = 12
      const opts = Buffer.alloc(syn ? 20 : 12, 1);
      if (syn) {
        opts.set([2, 4, 0xff, 0xd7, 4, 2, 8, 10], 0);
        opts.set([1, 3, 3, 7], 16);
      } else {
        opts.set([1, 1, 8, 10], 0);
      }
      const h = Buffer.alloc(20);
      h.writeUInt16BE(w.src.port, 0);
      h.writeUInt16BE(w.dst.port, 2);
      h.writeUInt32BE(w.seq >>> 0, 4);
      h.writeUInt32BE(w.ack >>> 0, 8);
      h[12] = ((20 + opts.length) / 4) << 4;
      h[13] = w.flags;
      h.writeUInt16BE(65483, 14);
      l4 = Buffer.concat([h, opts, w.payload]);
      break;
    }
    case 'udp': {
      proto = IPPROTO.UDP;
      const h = Buffer.alloc(8);
      h.writeUInt16BE(w.src.port, 0);
      h.writeUInt16BE(w.dst.port, 2);
      h.writeUInt16BE(8 + w.payload.length, 4);
      l4 = Buffer.concat([h, w.payload]);
      break;
    }
    case 'icmp': {
      proto = w.v6 ? IPPROTO.ICMPV6 : IPPROTO.ICMP;
      const h = Buffer.alloc(8);
      h[0] = w.v6 ? (w.reply ? 129 : 128) : w.reply ? 0 : 8;
      h.writeUInt16BE(w.id, 4);
      h.writeUInt16BE(w.seq, 6);
      l4 = Buffer.concat([h, w.payload]);
      break;
    }
    case 'raw':
      proto = w.protocol;
      l4 = w.payload;
      break;
  }
  return v6 ? ipv6(w.src.addr, w.dst.addr, proto, l4) : ipv4(w.src.addr, w.dst.addr, proto, l4);
}

// --- internal ---

function ipv4(src: string, dst: string, proto: number, body: Buffer): Buffer {
  const h = Buffer.alloc(20);
  h[0] = 0x45;
  h.writeUInt16BE(20 + body.length, 2);
  h[6] = 0x40; // DF
  h[8] = 64;
  h[9] = proto;
  Buffer.from(src.split('.').map(Number)).copy(h, 12);
  Buffer.from(dst.split('.').map(Number)).copy(h, 16);
  let sum = 0;
  for (let i = 0; i < 20; i += 2) sum += h.readUInt16BE(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  h.writeUInt16BE(~sum & 0xffff, 10);
  return Buffer.concat([h, body]);
}

function ipv6(src: string, dst: string, proto: number, body: Buffer): Buffer {
  const h = Buffer.alloc(40);
  h[0] = 0x60;
  h.writeUInt16BE(body.length, 4);
  h[6] = proto;
  h[7] = 64;
  v6bytes(src).copy(h, 8);
  v6bytes(dst).copy(h, 24);
  return Buffer.concat([h, body]);
}

function v6bytes(a: string): Buffer {
  const [head, tail] = a.includes('::') ? (a.split('::') as [string, string]) : [a, ''];
  const hs = head ? head.split(':') : [];
  const ts = tail ? tail.split(':') : [];
  const groups = [...hs, ...Array<string>(8 - hs.length - ts.length).fill('0'), ...ts];
  const b = Buffer.alloc(16);
  groups.forEach((g, i) => b.writeUInt16BE(parseInt(g, 16), i * 2));
  return b;
}
