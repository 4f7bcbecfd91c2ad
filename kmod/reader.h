/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2026 The Hone authors.
 *
 * honeevent's internals: configuration, readers and the two formats.
 */
#ifndef _HONE_READER_H
#define _HONE_READER_H

#include <linux/mutex.h>
#include <linux/wait.h>
#include <linux/irq_work.h>
#include <linux/fs.h>

#include "hone.h"
#include "honeevent.h"
#include "ring.h"

/* Module parameters, validated and decoded at load. */
struct hone_config {
	const char *hostid;		/* "" = none */
	bool hostid_is_guid;
	u8 guid[16];			/* SHB byte order (data1-3 host order) */
	char *comment;			/* decoded, "" = none */
};

extern struct hone_config hone_config;
extern unsigned int hone_pageorder;	/* read at each open */
extern int hone_snaplen;

#define HONE_MAX_PAGEORDER 10

/* A growable output buffer holding one formatted record. */
struct hone_buf {
	char *data;
	size_t len, pos, cap;
};

int hone_buf_reserve(struct hone_buf *b, size_t n);

struct hone_reader;

struct hone_format {
	int (*head)(struct hone_reader *r, struct hone_buf *b);
	int (*event)(struct hone_reader *r, struct hone_buf *b,
		     const struct hone_event *ev);
	int (*tail)(struct hone_reader *r, struct hone_buf *b);
};

extern const struct hone_format hone_pcapng_format;
extern const struct hone_format hone_text_format;
const char *hone_how_name(u32 how);

enum hone_reader_state {
	HONE_RS_HEAD,			/* next record: SHB + IDB (HEAD line) */
	HONE_RS_SNAP,			/* snapshot list */
	HONE_RS_LIVE,			/* ring */
	HONE_RS_TAIL,			/* ISB (TAIL) being read */
	HONE_RS_EOF,			/* next read returns 0 */
};

/* Bits of hone_reader.flags */
#define HONE_RF_RESTART	0		/* end the section */
#define HONE_RF_HEADERS	1		/* new SHB + IDB (snaplen changed) */
#define HONE_RF_DYING	2		/* module unloading */

struct hone_reader {
	struct hone_sink sink;
	struct list_head node;		/* all readers, for unload */
	const struct hone_format *fmt;
	struct hone_ring ring;
	struct mutex lock;		/* read, ioctl and state */
	wait_queue_head_t wq;
	struct irq_work wake;		/* wake-ups from hook context */
	struct hone_buf out;
	struct list_head snap;
	int state;
	unsigned long flags;
	int snaplen;
	bool attached;			/* sink added (at the first read) */
	bool filter_set;
	u64 filter_id;
	u64 open_ns;			/* monotonic */
	u64 boot_ns;			/* wall clock of monotonic zero */
	atomic64_t pkt_filtered, pkt_ring_dropped, pkt_delivered;
	atomic64_t proc_ring_dropped, proc_delivered;
	atomic64_t sock_ring_dropped, sock_delivered;
};

void hone_reader_stats(struct hone_reader *r, struct hone_stats *st);
int hone_snapshot_build(struct list_head *list);

int hone_readers_init(const char *devname, int *major);
void hone_readers_uninit(void);

#endif /* _HONE_READER_H */
