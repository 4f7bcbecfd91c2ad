/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2026 The Hone authors.
 */
#ifndef _HONE_SOCKTABLE_H
#define _HONE_SOCKTABLE_H

#include <linux/rhashtable-types.h>
#include <linux/rcupdate.h>

struct sock;

/*
 * What Hone knows about one live socket, keyed by its struct sock. The
 * packet path reads records under RCU; they are freed after a grace period.
 * The [attribution] work adds last sender, last reader and holders here.
 */
struct hone_sock_rec {
	struct rhash_head node;
	const struct sock *sk;
	u64 id;				/* socket cookie */
	u64 ino;			/* inode of its struct socket */
	pid_t tgid, tid;		/* creator (or first holder, see how) */
	u32 how;			/* enum hone_attribution for its packets */
	struct hlist_node rawping;	/* raw and ping sockets: see rawping.c */
	bool rawping_linked;
	struct rcu_head rcu;
};

int hone_socktable_init(void);
void hone_socktable_uninit(void);
struct hone_sock_rec *hone_socktable_lookup(const struct sock *sk);
int hone_socktable_insert(struct hone_sock_rec *rec);
struct hone_sock_rec *hone_socktable_remove(const struct sock *sk);

#endif /* _HONE_SOCKTABLE_H */
