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

#include "socktable.h"
#include "mem.h"

static const struct rhashtable_params params = {
	.key_len = sizeof(const struct sock *),
	.key_offset = offsetof(struct hone_sock_rec, sk),
	.head_offset = offsetof(struct hone_sock_rec, node),
	.automatic_shrinking = true,
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

/* Caller holds rcu_read_lock(). */
struct hone_sock_rec *hone_socktable_lookup(const struct sock *sk)
{
	return rhashtable_lookup(&table, &sk, params);
}

/* -EEXIST if the socket already has a record. */
int hone_socktable_insert(struct hone_sock_rec *rec)
{
	return rhashtable_lookup_insert_fast(&table, &rec->node, params);
}

/* The caller frees the returned record with hone_rec_free_rcu(). */
struct hone_sock_rec *hone_socktable_remove(const struct sock *sk)
{
	struct hone_sock_rec *rec;

	rcu_read_lock();
	rec = rhashtable_lookup(&table, &sk, params);
	if (rec && rhashtable_remove_fast(&table, &rec->node, params))
		rec = NULL;
	rcu_read_unlock();
	return rec;
}
