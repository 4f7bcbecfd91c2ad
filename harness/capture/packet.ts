// Decoding of the bare IP packets Hone captures (LINKTYPE_RAW): addresses,
// ports, ICMP type and the transport payload, for the checker and `hone read`.
import { IPPROTO } from './constants.ts';

export interface DecodedPacket {
  version: 4 | 6;
  protocol: number;
  src: string;
  dst: string;
  srcPort?: number;
  dstPort?: number;
  /** ICMP / ICMPv6 type. */
  icmpType?: number;
  /** TCP flags as letters (S, F, R, P, .) like tcpdump. */
  tcpFlags?: string;
  /** TCP sequence number of the segment (the first byte of its payload, or of the SYN). */
  tcpSeq?: number;
  /** TCP acknowledgment number. */
  tcpAck?: number;
  /** Transport payload (after the TCP/UDP/ICMP header; raw protocols: all after IP), as captured. */
  payload: Buffer;
  /**
   * Length of the payload on the wire, from the IP header's length: more
   * than payload.length when a snaplen cut the packet.
   */
  payloadLength: number;
}

/** Decode an IPv4/IPv6 packet; undefined when no IP header can be read. */
export function decodePacket(data: Buffer): DecodedPacket | undefined {
  if (data.length < 1) return undefined;
  const version = data[0]! >> 4;
  if (version === 4) return decodeV4(data);
  if (version === 6) return decodeV6(data);
  return undefined;
}

/** "addr:port", "[v6]:port", or the bare address when there is no port. */
export function endpoint(addr: string, port?: number): string {
  if (port === undefined) return addr;
  return addr.includes(':') ? `[${addr}]:${port}` : `${addr}:${port}`;
}

/** Protocol name as the honet text device prints it. */
export function protocolName(p: DecodedPacket): string {
  if (p.protocol === IPPROTO.TCP) return `TCPv${p.version}`;
  if (p.protocol === IPPROTO.UDP) return `UDPv${p.version}`;
  if (p.protocol === IPPROTO.ICMP) return 'ICMP';
  if (p.protocol === IPPROTO.ICMPV6) return 'ICMPv6';
  return String(p.protocol);
}

/** Compressed IPv6 text form (RFC 5952). */
export function formatIpv6(b: Buffer): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(b.readUInt16BE(i));
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (g: number[]) => g.map((x) => x.toString(16)).join(':');
  if (bestStart < 0) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLen))}`;
}

// --- internal ---

function decodeV4(d: Buffer): DecodedPacket | undefined {
  if (d.length < 20) return undefined;
  const ihl = (d[0]! & 0xf) * 4;
  if (ihl < 20 || d.length < ihl) return undefined;
  const totalLen = d.readUInt16BE(2);
  const end = totalLen >= ihl && totalLen <= d.length ? totalLen : d.length;
  const wire = totalLen >= ihl ? totalLen - ihl : end - ihl;
  const fragOffset = d.readUInt16BE(6) & 0x1fff;
  const protocol = d[9]!;
  const src = [...d.subarray(12, 16)].join('.');
  const dst = [...d.subarray(16, 20)].join('.');
  const base = { version: 4 as const, protocol, src, dst };
  if (fragOffset !== 0) return { ...base, payload: d.subarray(ihl, end), payloadLength: wire };
  return transport(base, d.subarray(ihl, end), wire);
}

function decodeV6(d: Buffer): DecodedPacket | undefined {
  if (d.length < 40) return undefined;
  const payloadLen = d.readUInt16BE(4);
  const end = 40 + payloadLen <= d.length && payloadLen > 0 ? 40 + payloadLen : d.length;
  const wireEnd = payloadLen > 0 ? 40 + payloadLen : d.length;
  let next = d[6]!;
  let at = 40;
  const src = formatIpv6(d.subarray(8, 24));
  const dst = formatIpv6(d.subarray(24, 40));
  // Skip extension headers: hop-by-hop 0, routing 43, fragment 44, destination options 60.
  while ((next === 0 || next === 43 || next === 44 || next === 60) && at + 8 <= end) {
    const len = next === 44 ? 8 : (d[at + 1]! + 1) * 8;
    next = d[at]!;
    at += len;
  }
  if (at > end) return undefined;
  return transport({ version: 6, protocol: next, src, dst }, d.subarray(at, end), wireEnd - at);
}

/** `wire`: the transport segment's length by the IP header (at least t.length unless the header lies). */
function transport(base: Omit<DecodedPacket, 'payload' | 'payloadLength'>, t: Buffer, wire: number): DecodedPacket {
  const rest = (header: number) => Math.max(Math.max(wire, t.length) - header, 0);
  if (base.protocol === IPPROTO.TCP && t.length >= 20) {
    const off = (t[12]! >> 4) * 4;
    const f = t[13]!;
    const flags = (f & 2 ? 'S' : '') + (f & 1 ? 'F' : '') + (f & 4 ? 'R' : '') + (f & 8 ? 'P' : '') + (f & 16 ? '.' : '');
    return {
      ...base,
      srcPort: t.readUInt16BE(0),
      dstPort: t.readUInt16BE(2),
      tcpFlags: flags,
      tcpSeq: t.readUInt32BE(4),
      tcpAck: t.readUInt32BE(8),
      payload: t.subarray(Math.min(off, t.length)),
      payloadLength: rest(off),
    };
  }
  if (base.protocol === IPPROTO.UDP && t.length >= 8) {
    return { ...base, srcPort: t.readUInt16BE(0), dstPort: t.readUInt16BE(2), payload: t.subarray(8), payloadLength: rest(8) };
  }
  if ((base.protocol === IPPROTO.ICMP || base.protocol === IPPROTO.ICMPV6) && t.length >= 8) {
    return { ...base, icmpType: t[0]!, payload: t.subarray(8), payloadLength: rest(8) };
  }
  return { ...base, payload: t, payloadLength: rest(0) };
}
