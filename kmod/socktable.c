// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The Hone authors.
 *
 * The per-socket table: an rhashtable keyed by the struct sock pointer.
 * Records are added when a socket is created or accepted (any context),
 * removed when the struct sock is freed, and read locklessly under RCU.
 */
#include <linux/rhashtable.h>
#include <linux/slab.h>
#include <net/sock.h>

#include "socktable.h"
#include "mem.h"
#include "compat.h"

/*
 * The table grows by a work item (process context) once it is 75% full.
 * An insert into a table past 100%, its growth not done yet, allocates a
 * new table on the spot, in the hook: where hooks cannot allocate
 * (PREEMPT_RT), such an insert is refused instead (the socket gets no
 * record, counted as lost), and the table never shrinks. nelem_hint is a
 * u16: the pool's first chunk.
 */
static const struct rhashtable_params params = {
	.key_len = sizeof(const struct sock *),
	.key_offset = offsetof(struct hone_sock_rec, sk),
	.head_offset = offsetof(struct hone_sock_rec, node),
	.nelem_hint = HONE_HOOKS_CANNOT_ALLOC ? HONE_REC_CHUNK : 0,
	.automatic_shrinking = !HONE_HOOKS_CANNOT_ALLOC,
};

static struct rhashtable table;

int hone_socktable_init(void)
{
	return rhashtable_init(&table, &params);
}

static void free_rec(void *ptr, void *arg)
{
	hone_rec_free(ptr);
}

/* Callers have stopped inserting and removing; no reader is left. */
void hone_socktable_uninit(void)
{
	rhashtable_free_and_destroy(&table, free_rec, NULL);
}

/*
 * Caller holds rcu_read_lock(). A record whose socket's free was missed
 * (probes can be skipped) must not speak for the next socket allocated at
 * the same address: the record's id is its socket's cookie, which a new
 * socket does not have.
 */
struct hone_sock_rec *hone_socktable_lookup(const struct sock *sk)
{
	struct hone_sock_rec *rec = rhashtable_lookup(&table, &sk, params);

	if (rec && unlikely(rec->id != (u64)atomic64_read(&sk->sk_cookie)))
		return NULL;
	return rec;
}

/*
 * -EEXIST if the socket already has a record. A record of an earlier
 * socket at the same address (its free was missed) is taken out and
 * returned in @stale, for the caller to close and free.
 */
int hone_socktable_insert(struct hone_sock_rec *rec,
			  struct hone_sock_rec **stale)
{
	struct hone_sock_rec *old;
	int err;

	*stale = NULL;
	rcu_read_lock();
	if (HONE_HOOKS_CANNOT_ALLOC &&
	    rht_grow_above_100(&table, rht_dereference_rcu(table.tbl, &table)))
		err = -ENOSPC;
	else
		err = rhashtable_lookup_insert_fast(&table, &rec->node, params);
	if (err == -EEXIST) {
		old = rhashtable_lookup(&table, &rec->sk, params);
		if (old && old->id != rec->id &&
		    !rhashtable_remove_fast(&table, &old->node, params)) {
			*stale = old;
			err = rhashtable_lookup_insert_fast(&table, &rec->node,
							    params);
		}
	}
	rcu_read_unlock();
	return err;
}

/* The caller frees the returned record with hone_rec_free_rcu(). */
struct hone_sock_rec *hone_socktable_remove(const struct sock *sk)
{
	struct hone_sock_rec *rec;

	rcu_read_lock();
	rec = hone_socktable_lookup(sk);
	if (rec && rhashtable_remove_fast(&table, &rec->node, params))
		rec = NULL;
	rcu_read_unlock();
	return rec;
}
