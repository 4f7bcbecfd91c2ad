// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The Hone authors.
 *
 * The per-socket table: a hash table keyed by the struct sock pointer.
 * Records are added when a socket is created or accepted (any context),
 * removed when the struct sock is freed, and read locklessly under RCU.
 *
 * The table has a fixed number of buckets, allocated at load, and never
 * resizes: a resizable table (rhashtable) allocated and initialized a
 * bigger bucket array in a work item with no resched point, about 5 ms of
 * CPU on a voluntary-preemption kernel at 100,000 sockets (a SCHED_FIFO
 * task woke that late), and would allocate in a hook when its resize fell
 * behind, which PREEMPT_RT forbids. Chains stay short up to about a
 * million sockets (16 per bucket on average). Writers take one of
 * HONE_SOCK_LOCKS raw spinlocks, chosen by bucket: hooks run with
 * preemption off, on RT too.
 */
#include <linux/hash.h>
#include <linux/rculist.h>
#include <linux/overflow.h>
#include <linux/vmalloc.h>
#include <net/sock.h>

#include "socktable.h"
#include "mem.h"

#define HONE_SOCK_HASH_BITS	16
#define HONE_SOCK_LOCK_BITS	10

static struct hlist_head *buckets;
static raw_spinlock_t locks[1 << HONE_SOCK_LOCK_BITS];

static unsigned int bucket_of(const struct sock *sk)
{
	return hash_ptr(sk, HONE_SOCK_HASH_BITS);
}

static raw_spinlock_t *lock_of(unsigned int bucket)
{
	return &locks[bucket & ((1 << HONE_SOCK_LOCK_BITS) - 1)];
}

int hone_socktable_init(void)
{
	unsigned int i;

	buckets = vmalloc(array_size(1 << HONE_SOCK_HASH_BITS, sizeof(*buckets)));
	if (!buckets)
		return -ENOMEM;
	for (i = 0; i < 1 << HONE_SOCK_HASH_BITS; i++)
		INIT_HLIST_HEAD(&buckets[i]);
	for (i = 0; i < ARRAY_SIZE(locks); i++)
		raw_spin_lock_init(&locks[i]);
	return 0;
}

/* Callers have stopped inserting and removing; no reader is left. */
void hone_socktable_uninit(void)
{
	struct hone_sock_rec *rec;
	struct hlist_node *tmp;
	unsigned int i;

	for (i = 0; i < 1 << HONE_SOCK_HASH_BITS; i++) {
		hlist_for_each_entry_safe(rec, tmp, &buckets[i], node)
			hone_rec_free(rec);
		cond_resched();
	}
	vfree(buckets);
	buckets = NULL;
}

/* Any record for @sk's address, live or stale. Under RCU or the lock. */
static struct hone_sock_rec *find(const struct sock *sk, unsigned int bucket)
{
	struct hone_sock_rec *rec;

	hlist_for_each_entry_rcu(rec, &buckets[bucket], node,
				 lockdep_is_held(lock_of(bucket)))
		if (rec->sk == sk)
			return rec;
	return NULL;
}

/*
 * Caller holds rcu_read_lock(). A record whose socket's free was missed
 * (probes can be skipped) must not speak for the next socket allocated at
 * the same address: the record's id is its socket's cookie, which a new
 * socket does not have.
 */
struct hone_sock_rec *hone_socktable_lookup(const struct sock *sk)
{
	struct hone_sock_rec *rec = find(sk, bucket_of(sk));

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
	unsigned int bucket = bucket_of(rec->sk);
	struct hone_sock_rec *old;
	unsigned long flags;
	int err = 0;

	*stale = NULL;
	raw_spin_lock_irqsave(lock_of(bucket), flags);
	old = find(rec->sk, bucket);
	if (old && old->id == rec->id) {
		err = -EEXIST;
	} else {
		if (old) {
			hlist_del_rcu(&old->node);
			*stale = old;
		}
		hlist_add_head_rcu(&rec->node, &buckets[bucket]);
	}
	raw_spin_unlock_irqrestore(lock_of(bucket), flags);
	return err;
}

/* The caller frees the returned record with hone_rec_free_rcu(). */
struct hone_sock_rec *hone_socktable_remove(const struct sock *sk)
{
	unsigned int bucket = bucket_of(sk);
	struct hone_sock_rec *rec;
	unsigned long flags;

	raw_spin_lock_irqsave(lock_of(bucket), flags);
	rec = find(sk, bucket);
	if (rec && rec->id == (u64)atomic64_read(&sk->sk_cookie))
		hlist_del_rcu(&rec->node);
	else
		rec = NULL;
	raw_spin_unlock_irqrestore(lock_of(bucket), flags);
	return rec;
}
