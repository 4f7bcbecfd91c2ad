/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2026 The Hone authors.
 *
 * Interfaces between Hone's modules: the three event sources
 * (process_notify, socket_notify, packet_notify), the event core
 * (hone_notify) and the devices (honeevent).
 */
#ifndef _HONE_H
#define _HONE_H

#include <linux/types.h>
#include <linux/list.h>
#include <linux/notifier.h>
#include <linux/percpu-defs.h>
#include <linux/atomic.h>

#define HONE_VERSION "26.11"

struct sk_buff;
struct sock;
struct socket;
struct net;
struct task_struct;
struct linux_binprm;
struct file;
struct files_struct;

/* --- event sources --- */

enum hone_proc_action {
	HONE_PROC_FORK,
	HONE_PROC_EXEC,
	HONE_PROC_EXIT,
};

struct hone_proc_info {
	struct task_struct *task;	/* child, exec'ing or exiting task */
	const struct linux_binprm *bprm;	/* exec only */
	bool group_dead;		/* exit only */
};

int hone_process_notifier_register(struct notifier_block *nb);
int hone_process_notifier_unregister(struct notifier_block *nb);

enum hone_sock_action {
	HONE_SOCK_CREATE,
	HONE_SOCK_ACCEPT,
	HONE_SOCK_FREE,
	HONE_SOCK_SEND,			/* a TCP send begins, socket locked */
	HONE_SOCK_READ,			/* a thread consumed data */
	HONE_SOCK_FD_RECEIVED,		/* a descriptor arrives (SCM_RIGHTS) */
	HONE_SOCK_FD_CLOSED,		/* a descriptor left a file table */
};

struct hone_sock_info {
	struct sock *sk;
	struct socket *sock;		/* NULL on free, send and read */
	bool kern;			/* created by the kernel for itself */
	struct sk_buff *skb;		/* read: the datagram (NULL: stream) */
	int len;			/* read: bytes consumed */
	struct file *file;		/* fd events: the socket's file */
	struct files_struct *files;	/* fd closed: the table it left */
};

int hone_socket_notifier_register(struct notifier_block *nb);
int hone_socket_notifier_unregister(struct notifier_block *nb);

/*
 * Sends and reads (HONE_SOCK_SEND, HONE_SOCK_READ) are only reported while
 * a reader is attached: the probes on the data path are armed by the
 * first and disarmed after the last (process context).
 */
void hone_socket_data_probes(bool on);
u64 hone_socket_probes_missed(void);

enum hone_pkt_dir {
	HONE_PKT_IN = 1,
	HONE_PKT_OUT = 2,
};

struct hone_pkt_info {
	struct sk_buff *skb;		/* data starts at the network header */
	struct sock *sk;		/* full socket, timewait socket or NULL */
	struct net *net;
	int dir;
};

/* Registered only while a reader is attached: the hooks idle otherwise. */
int hone_packet_notifier_register(struct notifier_block *nb);
int hone_packet_notifier_unregister(struct notifier_block *nb);

/* --- events (hone_notify) --- */

enum hone_event_type {
	HONE_EV_PROC = 1,
	HONE_EV_SOCK,
	HONE_EV_PKT,
	HONE_EV_USE,			/* read, gain, lose (block 0x103) */
};

/* Values of the use block's options 2 and 260. */
#define HONE_USE_READ		1
#define HONE_USE_GAIN		2
#define HONE_USE_LOSE		3
#define HONE_VIA_FORK		1	/* gain */
#define HONE_VIA_RECEIVED	2	/* gain */
#define HONE_VIA_CLOSE		1	/* lose */
#define HONE_VIA_EXIT		2	/* lose */

#define HONE_HOLDERS_MAX	16	/* holders tracked per socket */
#define HONE_RUNS_MAX		4	/* sender runs listed per packet */

/* Values of the process block's option 2 (absent = exec). */
#define HONE_PROC_EV_EXEC	0
#define HONE_PROC_EV_FORK	1
#define HONE_PROC_EV_KTHD	2
#define HONE_PROC_EV_EXIT	0xFFFFFFFFu

/* Values of EPB option 259. */
enum hone_attribution {
	HONE_BY_NONE,
	HONE_BY_CREATOR,
	HONE_BY_SENDER,
	HONE_BY_READER,
	HONE_BY_HOLDER,
};

#define HONE_PROC_SNAPSHOT	0x1	/* process block option 262 */
#define HONE_SOCK_SNAPSHOT	0x1
#define HONE_SOCK_ACCEPTED	0x2
#define HONE_SOCK_LATE		0x4	/* close: its free was missed, seen later */

struct hone_proc_event {
	u32 event;			/* HONE_PROC_EV_* */
	pid_t pid, tid, ppid, nspid;
	u32 uid, gid, pidns;
	u32 status;			/* exit only: wait status */
	bool has_status;
	u32 flags;			/* HONE_PROC_SNAPSHOT */
	u64 start;			/* start_boottime, ns */
	u32 path_len;			/* 0: no path */
	u32 argv_len;			/* 0: no argv */
	char *path;			/* both point into the event's tail */
	char *argv;
};

struct hone_sock_event {
	bool open;
	u64 id;				/* socket cookie */
	pid_t pid, tid, ppid;
	u32 uid, gid;
	u64 ino;
	u16 family, type, protocol;
	u32 netns;
	u32 flags;			/* HONE_SOCK_* */
};

struct hone_run {
	u32 offset;			/* into the transport payload */
	pid_t pid, tid;
};

struct hone_pkt_event {
	const struct sk_buff *skb;	/* borrowed: data at the IP header */
	bool has_sock;
	u64 sock_id;
	u64 id;				/* packet id */
	pid_t pid, tid;			/* sender only, else 0 */
	u64 start;			/* sender's process start time */
	u32 how;			/* enum hone_attribution */
	u32 netns;
	int dir;
	u8 nruns;			/* > 1: several senders' bytes */
	u8 nholders;			/* holder only */
	struct hone_run runs[HONE_RUNS_MAX];
	pid_t holders[HONE_HOLDERS_MAX];
};

struct hone_use_event {
	u32 what;			/* HONE_USE_* */
	u32 via;			/* gain and lose: HONE_VIA_* */
	u64 sock_id;
	pid_t pid, tid;
	u64 start;
	u32 bytes;			/* read */
	bool has_seq, has_pkt;		/* read: stream, datagram */
	u32 seq_first, seq_end;
	u64 pkt_id;
};

/*
 * An event on its way to the readers. Live events live on the hook's
 * stack and borrow their packet and strings; snapshot events are
 * allocated (hone_snapshot_*) and freed with hone_event_free().
 */
struct hone_event {
	u8 type;			/* enum hone_event_type */
	u64 ts;				/* monotonic ns, set by hone_publish() */
	struct list_head snap;		/* snapshot list */
	union {
		struct hone_proc_event proc;
		struct hone_sock_event sock;
		struct hone_pkt_event pkt;
		struct hone_use_event use;
	};
};

/*
 * A receiver of live events (a reader). deliver() runs with interrupts
 * off on the CPU the event happened on, in any context; it must not
 * sleep, and it owns nothing of the event after it returns.
 */
struct hone_sink {
	struct list_head node;
	void (*deliver)(struct hone_sink *sink, const struct hone_event *ev);
};

struct hone_counters {
	u64 pkt_received, pkt_dropped;
	u64 proc_received, proc_dropped;
	u64 sock_received, sock_dropped;
	u64 missed;			/* probe hits the kernel skipped */
	u64 start_ns;			/* wall clock, when hone_notify loaded */
};

/*
 * Per CPU: 0, or the timestamp of the event being handed to the sinks on
 * that CPU (1 while it is being taken). A reader merging per-CPU rings
 * by timestamp waits for a CPU whose ring is empty but busy with an
 * older event (FORMAT.md, "Order").
 */
DECLARE_PER_CPU(u64, hone_cpu_busy);

int hone_sink_add(struct hone_sink *sink);
void hone_sink_del(struct hone_sink *sink);
void hone_event_free(struct hone_event *ev);

void hone_counters_read(struct hone_counters *c);
u64 hone_sock_id(struct sock *sk);

/* Snapshot events, process context; free them with hone_event_free(). */
struct hone_event *hone_snapshot_proc_event(struct task_struct *task);
struct hone_event *hone_snapshot_sock_event(struct task_struct *task,
					    struct socket *sock);

#endif /* _HONE_H */
