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
#include <linux/workqueue.h>
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
extern unsigned int hone_flush_ms;
extern unsigned int hone_max_readers;

#define HONE_MIN_PAGEORDER	4	/* 64 KiB rings with 4 KiB pages */
#define HONE_MAX_PAGEORDER	12	/* 16 MiB */
#define HONE_MAX_FLUSH_MS	60000
#define HONE_MAX_READERS	64

/* Bytes of a packet a text reader keeps: its IP and transport headers. */
#define HONE_TEXT_CAPLEN	128

/* A growable buffer holding records on their way to user space. */
struct hone_buf {
	char *data;
	size_t len, pos, cap;
};

int hone_buf_reserve(struct hone_buf *b, size_t n);

enum hone_reader_state {
	HONE_RS_HEAD,			/* next: SHB + IDB (HEAD line) */
	HONE_RS_SNAP,			/* snapshot list */
	HONE_RS_LIVE,			/* rings */
	HONE_RS_TAIL,			/* ISB (TAIL) being read */
	HONE_RS_EOF,			/* next read returns 0 */
};

/* What happens when read() reaches a mark in every ring (section end). */
enum hone_mark {
	HONE_MARK_NONE,
	HONE_MARK_RESTART,		/* end the section */
	HONE_MARK_HEADERS,		/* new SHB + IDB (snaplen changed) */
};

/* Bits of hone_reader.wake_flags */
#define HONE_WF_WAKE	0		/* irq_work: wake the reader */
#define HONE_WF_ARM	1		/* irq_work: start the flush timer */
#define HONE_WF_ARMED	2		/* the flush timer is running */
#define HONE_WF_FLUSH	3		/* it expired: any data is enough */

struct hone_reader {
	struct hone_sink sink;
	bool text;			/* /dev/honet */
	struct mutex lock;		/* read, ioctl and state */
	/*
	 * The ring set and mmapped: mmap() and the ring-size ioctl. mmap()
	 * runs under the caller's mmap_lock, and read() holds lock across
	 * copy_to_user() and access_process_vm() (mmap_lock): mmap() taking
	 * lock would invert that order. Order: lock, then map_lock.
	 */
	struct mutex map_lock;
	wait_queue_head_t wq;
	struct irq_work wake;		/* wakeups from hook context */
	struct delayed_work flush;	/* the flush timeout */
	unsigned long wake_flags;
	u32 watermark, flush_ms;
	struct hone_ring **rings;	/* by CPU; NULL if not possible */
	unsigned int order;
	u64 *mark_pos;			/* by CPU: where the mark is */
	int mark;			/* enum hone_mark */
	bool mmapped;
	struct hone_buf out;		/* the record being read */
	struct hone_buf enc;		/* text: the block a line is made of */
	struct list_head snap;
	int state;
	int snaplen;
	int next_snaplen;		/* after a HEADERS mark */
	bool attached;			/* sink added (at the first read) */
	bool filter_set;
	u64 filter_id;
	u64 open_ns;			/* monotonic */
	u64 boot_ns;			/* wall clock of monotonic zero */
};

/* stream.c: what read() returns and what makes a reader ready. */
ssize_t hone_stream_read(struct hone_reader *r, struct file *file,
			 char __user *buf, size_t count);
bool hone_stream_ready(struct hone_reader *r);
void hone_stream_arm_flush(struct hone_reader *r);
void hone_reader_totals(struct hone_reader *r, struct hone_totals *t);
void hone_reader_stats(struct hone_reader *r, struct hone_stats *st);
void hone_snapshot_drop(struct hone_reader *r);

/* access.c */
int hone_may_open(const struct inode *inode);

/* deliver.c: a live event into the reader's ring on this CPU. */
void hone_reader_deliver(struct hone_sink *sink, const struct hone_event *ev);
void hone_reader_wake(struct irq_work *work);
void hone_reader_flush(struct work_struct *work);

/* text.c */
int hone_text_head(struct hone_reader *r, struct hone_buf *b);
int hone_text_tail(struct hone_reader *r, struct hone_buf *b,
		   const struct hone_totals *t);
int hone_text_block(struct hone_buf *b, const void *block, u64 ts);
const char *hone_how_name(u32 how);

int hone_snapshot_build(struct list_head *list);

/* reader.c and device.c */
extern const struct file_operations hone_fops;
int hone_devices_init(const char *devname, int *major);
void hone_devices_remove(void);
void hone_devices_uninit(void);

#endif /* _HONE_READER_H */
