/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2026 The Hone authors.
 */
#ifndef _HONE_SOCKTABLE_H
#define _HONE_SOCKTABLE_H

#include <linux/types.h>
#include <linux/rcupdate.h>
#include <linux/spinlock_types.h>

#include "hone.h"

struct sock;

#define HONE_SENDS_MAX		8	/* TCP sends remembered per socket */
#define HONE_ARRIVALS_MAX	8	/* unread datagrams remembered */

/* A TCP send: its bytes run from seq to the next send's seq. */
struct hone_send {
	u32 seq;
	pid_t tgid, tid;
	u64 start;			/* process start time */
};

/* An inbound datagram, known by its data buffer until it is read. */
struct hone_arrival {
	const void *head;
	u64 id;				/* packet id */
};

/*
 * What Hone knows about one live socket, keyed by its struct sock. The
 * packet path reads records under RCU; they are freed after a grace period.
 * Everything below lock changes while the socket lives and is read and
 * written under it (any context, interrupts off: a few loads and stores).
 */
struct hone_sock_rec {
	struct hlist_node node;		/* in its table bucket */
	const struct sock *sk;
	u64 id;				/* socket cookie */
	u64 ino;			/* inode of its struct socket */
	u16 family, type, protocol;	/* for a close written after its free */
	u32 netns;
	struct hlist_node rawping;	/* raw and ping sockets: see rawping.c */
	bool rawping_linked;
	u16 ping_ident;			/* a ping socket's echo identifier */
	struct rcu_head rcu;

	raw_spinlock_t lock;
	u32 gen;			/* sends, reads, arrivals: hone_data_gen() */
	u8 nholders;
	u8 nsends, send_next;		/* ring of sends, oldest overwritten */
	u8 narrivals, arrival_next;	/* ring of datagram arrivals */
	bool read_valid;		/* read_end is the next unread byte */
	u32 read_end;
	unsigned long reads_missed;	/* stream reads unseen at read_end */
	pid_t holders[HONE_HOLDERS_MAX];	/* tgids */
	struct hone_send sends[HONE_SENDS_MAX];
	struct hone_arrival arrivals[HONE_ARRIVALS_MAX];
};

int hone_socktable_init(void);
void hone_socktable_uninit(void);
struct hone_sock_rec *hone_socktable_lookup(const struct sock *sk);
int hone_socktable_insert(struct hone_sock_rec *rec,
			  struct hone_sock_rec **stale);
struct hone_sock_rec *hone_socktable_remove(const struct sock *sk);

#endif /* _HONE_SOCKTABLE_H */
