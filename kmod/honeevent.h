/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * Copyright (C) 2026 The Hone authors.
 *
 * User-space interface of /dev/hone and /dev/honet: ioctl numbers and
 * the statistics structure. Usable from kernel and user-space C.
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

/* 16 x u64 = 128 bytes; "global" counters are since hone_notify loaded. */
struct hone_stats {
	__u64 packets_received;		/* global */
	__u64 packets_dropped;		/* global: allocation failures */
	__u64 packets_filtered;		/* this reader: HEIO_SET_FILTER_SOCK */
	__u64 packets_ring_dropped;	/* this reader: ring full */
	__u64 packets_delivered;	/* this reader */
	__u64 process_received;
	__u64 process_dropped;
	__u64 process_ring_dropped;
	__u64 process_delivered;
	__u64 socket_received;
	__u64 socket_dropped;
	__u64 socket_ring_dropped;
	__u64 socket_delivered;
	__u64 reserved[3];
};

#endif /* _UAPI_HONEEVENT_H */
