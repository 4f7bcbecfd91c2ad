// Numbers of the Hone capture formats (kmod/FORMAT.md), in one place so the
// reader, the checker and the capture simulator agree on them.

/** PCAP-NG block types. */
export const BLOCK = {
  SHB: 0x0a0d0d0a,
  IDB: 0x00000001,
  ISB: 0x00000005,
  EPB: 0x00000006,
  PROCESS: 0x00000101,
  CONNECTION: 0x00000102,
  /** Read, gain and lose blocks (Hone 26.11). */
  USE: 0x00000103,
} as const;

/** SHB byte-order magic, as written in host order. */
export const BYTE_ORDER_MAGIC = 0x1a2b3c4d;

/** Option code that ends every option list. */
export const OPT_END = 0;
/** opt_comment, valid in every block. */
export const OPT_COMMENT = 1;

export const SHB_OPT = { COMMENT: 1, OS: 3, USERAPPL: 4, HOSTID: 257 } as const;
export const IDB_OPT = { NAME: 2, DESCRIPTION: 3 } as const;

export const EPB_OPT = {
  COMMENT: 1,
  FLAGS: 2,
  PROCESSID_THREADID: 8,
  SOCKET_ID: 257,
  PID: 258,
  ATTRIBUTION: 259,
  NETNS: 260,
  PACKET_ID: 261,
  START_NS: 262,
  SENDERS: 263,
  HOLDERS: 264,
} as const;

/** epb_flags bits 0-1. */
export const DIRECTION = { UNKNOWN: 0, IN: 1, OUT: 2 } as const;

/** EPB option 259 values. */
export const ATTRIBUTION = ['none', 'creator', 'sender', 'reader', 'holder'] as const;
export type Attribution = (typeof ATTRIBUTION)[number];

export const PROCESS_OPT = {
  EVENT: 2,
  EXE: 3,
  ARGV: 4,
  PPID: 5,
  UID: 6,
  GID: 7,
  TID: 257,
  EXIT_STATUS: 258,
  START_NS: 259,
  NSPID: 260,
  PIDNS: 261,
  FLAGS: 262,
} as const;

/** Process option 262 bits (absent on live blocks). */
export const PROCESS_FLAG = { SNAPSHOT: 1 } as const;

/** Process option 2 values; absent means exec. */
export const PROCESS_EVENT = { FORK: 1, KTHD: 2, EXIT: 0xffffffff } as const;

export const CONNECTION_OPT = {
  EVENT: 2,
  SOCKET_ID: 257,
  TID: 258,
  FAMILY_TYPE_PROTO: 259,
  INODE: 260,
  NETNS: 261,
  FLAGS: 262,
} as const;

/** Connection option 2 value for close; absent means open. */
export const CONNECTION_CLOSE = 0xffffffff;
/** Connection option 262 bits. */
export const CONNECTION_FLAG = { SNAPSHOT: 1, ACCEPTED: 2 } as const;

/** Options of the read/gain/lose block (0x00000103). */
export const USE_OPT = {
  WHAT: 2,
  SOCKET_ID: 257,
  TID: 258,
  START_NS: 259,
  VIA: 260,
  SEQ: 261,
  READ_PACKET_ID: 262,
  BYTES: 263,
} as const;

/** Use block option 2 values. */
export const USE_WHAT = { READ: 1, GAIN: 2, LOSE: 3 } as const;
/** Use block option 260 values: gain 1 fork, 2 recv; lose 1 close, 2 exit. */
export const GAIN_VIA = { FORK: 1, RECV: 2 } as const;
export const LOSE_VIA = { CLOSE: 1, EXIT: 2 } as const;

export const ISB_OPT = {
  STARTTIME: 2,
  PACKETS_RECEIVED: 4,
  PACKETS_DROPPED: 5,
  PACKETS_FILTERED: 6,
  PACKETS_RING_DROPPED: 7,
  PACKETS_DELIVERED: 8,
  PROCESS_RECEIVED: 257,
  PROCESS_DROPPED: 258,
  PROCESS_RING_DROPPED: 259,
  PROCESS_DELIVERED: 260,
  SOCKET_RECEIVED: 261,
  SOCKET_DROPPED: 262,
  SOCKET_RING_DROPPED: 263,
  SOCKET_DELIVERED: 264,
} as const;

/** IDB link type Hone writes: bare IPv4/IPv6 packets. */
export const LINKTYPE_RAW = 101;

/** Address families and socket types as Linux numbers them. */
export const AF = { UNIX: 1, INET: 2, INET6: 10 } as const;
export const SOCK_TYPE = { STREAM: 1, DGRAM: 2, RAW: 3, SEQPACKET: 5 } as const;
export const IPPROTO = { ICMP: 1, TCP: 6, UDP: 17, ICMPV6: 58, RAW: 255 } as const;

/** ioctls on /dev/hone and /dev/honet (x86 numbers). */
export const HEIO = {
  RESTART: 0xe001,
  GET_AT_HEAD: 0xe003,
  GET_SNAPLEN: 0x8004e004,
  SET_SNAPLEN: 0x4004e005,
  SET_FILTER_SOCK: 0x4004e006,
  GET_STATS: 0x8080e009,
} as const;
