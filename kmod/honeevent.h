/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * Copyright (C) 2026 The Hone authors.
 *
 * User-space interface of /dev/hone and /dev/honet: ioctl numbers, the
 * statistics structure and the layout of the rings /dev/hone maps
 * (FORMAT.md, "Rings"). Usable from kernel and user-space C.
 */
#ifndef _UAPI_HONEEVENT_H
#define _UAPI_HONEEVENT_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/ioctl.h>
#else
#include <linux/types.h>
#include <sys/ioctl.h>
#endif

#define HEIO_TYPE		0xE0

#define HEIO_RESTART		_IO(HEIO_TYPE, 1)
#define HEIO_GET_AT_HEAD	_IO(HEIO_TYPE, 3)
#define HEIO_GET_SNAPLEN	_IOR(HEIO_TYPE, 4, int)
#define HEIO_SET_SNAPLEN	_IOW(HEIO_TYPE, 5, int)
#define HEIO_SET_FILTER_SOCK	_IOW(HEIO_TYPE, 6, int)
#define HEIO_GET_STATS		_IOR(HEIO_TYPE, 9, struct hone_stats)
#define HEIO_SET_RING_ORDER	_IOW(HEIO_TYPE, 10, int)
#define HEIO_GET_WAKEUP		_IOR(HEIO_TYPE, 11, struct hone_wakeup)
#define HEIO_SET_WAKEUP		_IOW(HEIO_TYPE, 12, struct hone_wakeup)
#define HEIO_GET_RING_INFO	_IOR(HEIO_TYPE, 13, struct hone_ring_info)
#define HEIO_RING_CONSUME	_IOW(HEIO_TYPE, 14, struct hone_ring_consume)

/*
 * 16 x u64 = 128 bytes. "global" counters are since hone_notify loaded;
 * the others are this reader's since it opened. For each kind of event,
 * what reached this reader = delivered + ring_dropped (+ filtered).
 */
struct hone_stats {
	__u64 packets_received;		/* global: packets seen by the hooks */
	__u64 packets_dropped;		/* global: packets no event was made for */
	__u64 packets_filtered;		/* this reader: HEIO_SET_FILTER_SOCK */
	__u64 packets_ring_dropped;	/* this reader: its ring was full */
	__u64 packets_delivered;	/* this reader: written into its rings */
	__u64 process_received;
	__u64 process_dropped;
	__u64 process_ring_dropped;
	__u64 process_delivered;
	__u64 socket_received;		/* socket, read, gain and lose events */
	__u64 socket_dropped;
	__u64 socket_ring_dropped;
	__u64 socket_delivered;
	__u64 probes_missed;		/* global: hook hits the kernel skipped */
	__u64 reserved[2];
};

/*
 * Wakeups: a sleeping reader (read() or poll()) is woken when one of its
 * rings holds at least watermark unread bytes, or flush_ms after the
 * first record it has not seen yet; flush_ms 0 wakes it at every record.
 * watermark 0 keeps the current value (default: a quarter of a ring).
 */
struct hone_wakeup {
	__u32 watermark;		/* bytes */
	__u32 flush_ms;
};

/*
 * mmap (/dev/hone only): one read-only mapping of nrings x stride bytes.
 * Ring i starts at i * stride: one page of struct hone_ring_meta, then its
 * size data bytes mapped twice in a row, so that no record wraps.
 */
struct hone_ring_info {
	__u32 nrings;			/* one per possible CPU */
	__u32 size;			/* data bytes per ring, a power of two */
	__u32 page_size;
	__u32 reserve;			/* bytes of each ring packets may not use */
	__u64 stride;			/* bytes from one ring's mapping to the next */
	__u64 reserved[4];
};

/* Tell the kernel that ring @ring's records before @pos are consumed. */
struct hone_ring_consume {
	__u32 ring;
	__u32 reserved;
	__u64 pos;
};

/* The first page of each mapped ring; written by the kernel only. */
struct hone_ring_meta {
	__u64 prod;			/* bytes written: the next record's position */
	__u64 cons;			/* bytes consumed (HEIO_RING_CONSUME, read()) */
	__u64 section_end;		/* with HONE_META_ENDING: where the section ends */
	__u32 flags;
	__u32 cpu;
	__u64 delivered[3];		/* records written, by class */
	__u64 dropped[3];		/* records refused (ring full), by class */
	__u64 filtered;			/* packets skipped by the socket filter */
};

#define HONE_META_ENDING	0x1	/* HEIO_RESTART: stop at section_end */

/* Event classes of the counters above and of struct hone_rec. */
#define HONE_CLASS_PACKET	0
#define HONE_CLASS_PROCESS	1
#define HONE_CLASS_SOCKET	2

/*
 * A record in a ring, at a multiple of 8 from the ring's start: this header
 * and one PCAP-NG block (whose total length is at its offset 4). Position p
 * is at data + (p & (size - 1)).
 */
struct hone_rec {
	__u32 len;			/* record bytes, header included, x8 */
	__u16 type;			/* HONE_REC_BLOCK */
	__u16 klass;			/* HONE_CLASS_*, or 3 for a loss report */
	__u64 ts;			/* monotonic ns of the event */
};

#define HONE_REC_BLOCK		1
#define HONE_CLASS_LOSS		3

#endif /* _UAPI_HONEEVENT_H */
