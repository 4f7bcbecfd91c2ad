export * from './constants.ts';
export type * from './types.ts';
export { CaptureError } from './errors.ts';
export { readPcapng } from './pcapng.ts';
export { parseHonet } from './honet.ts';
export { decodePacket, endpoint, formatIpv6, protocolName, type DecodedPacket } from './packet.ts';
export { PcapngWriter, type ConnectionSpec, type PacketSpec, type ProcessSpec, type UseSpec } from './writer.ts';
export { WhoRead, whoRead, seqCovers, byteSeq, type ReadAt } from './who-read.ts';
