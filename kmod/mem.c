// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The Hone authors.
 *
 * Memory for events and socket records.
 *
 * Tracepoint and kprobe handlers run with preemption disabled. That is fine
 * for GFP_ATOMIC slab allocations on most kernels, but on PREEMPT_RT the slab
 * allocator takes sleeping locks and must not be called there. So on RT,
 * allocations from hooks come from pools preallocated at load, guarded by
 * raw spinlocks; an empty pool drops the event (counted like any allocation
 * failure). Packets (netfilter runs preemptible on RT) and the snapshot
 * always use the slab allocator.
 */
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/mm.h>

#include "compat.h"
#include "mem.h"

enum { FROM_SLAB, FROM_SMALL, FROM_BIG };

struct pool {
	raw_spinlock_t lock;
	void **free;
	unsigned int nfree, n;
	size_t size;
	char *mem;
};

static struct pool small_pool, big_pool, rec_pool;

static int pool_init(struct pool *p, size_t size, unsigned int n)
{
	unsigned int i;

	raw_spin_lock_init(&p->lock);
	p->size = ALIGN(size, 8);
	p->mem = vzalloc(array_size(n, p->size));
	p->free = kvmalloc_array(n, sizeof(*p->free), GFP_KERNEL);
	if (!p->mem || !p->free)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		p->free[i] = p->mem + i * p->size;
	p->n = n;
	p->nfree = n;
	return 0;
}

static void pool_uninit(struct pool *p)
{
	vfree(p->mem);
	kvfree(p->free);
	memset(p, 0, sizeof(*p));
}

static void *pool_get(struct pool *p)
{
	unsigned long flags;
	void *obj = NULL;

	raw_spin_lock_irqsave(&p->lock, flags);
	if (p->nfree)
		obj = p->free[--p->nfree];
	raw_spin_unlock_irqrestore(&p->lock, flags);
	return obj;
}

static void pool_put(struct pool *p, void *obj)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&p->lock, flags);
	p->free[p->nfree++] = obj;
	raw_spin_unlock_irqrestore(&p->lock, flags);
}

static bool pool_has(const struct pool *p, const void *obj)
{
	const char *c = obj;

	return p->n && c >= p->mem && c < p->mem + (size_t)p->n * p->size;
}

int hone_mem_init(void)
{
	if (!HONE_HOOKS_CANNOT_ALLOC)
		return 0;
	if (pool_init(&small_pool, sizeof(struct hone_event), 8192) ||
	    pool_init(&big_pool, sizeof(struct hone_event) +
		      HONE_HOOK_EXTRA_MAX, 128) ||
	    pool_init(&rec_pool, sizeof(struct hone_sock_rec), 16384)) {
		hone_mem_uninit();
		return -ENOMEM;
	}
	return 0;
}

/* Every event and record has been freed; pending RCU frees run first. */
void hone_mem_uninit(void)
{
	rcu_barrier();
	pool_uninit(&rec_pool);
	pool_uninit(&big_pool);
	pool_uninit(&small_pool);
}

static struct hone_event *event_from_pool(size_t extra)
{
	struct hone_event *ev;

	if (!extra) {
		ev = pool_get(&small_pool);
		if (ev)
			ev->origin = FROM_SMALL;
		return ev;
	}
	if (extra > HONE_HOOK_EXTRA_MAX)
		return NULL;
	ev = pool_get(&big_pool);
	if (ev)
		ev->origin = FROM_BIG;
	return ev;
}

struct hone_event *hone_event_alloc(u8 type, size_t extra, gfp_t gfp)
{
	struct hone_event *ev;
	u8 origin;

	if (HONE_HOOKS_CANNOT_ALLOC && gfp == HONE_GFP_HOOK)
		ev = event_from_pool(extra);
	else
		ev = kmalloc(sizeof(*ev) + extra, gfp);
	if (unlikely(!ev))
		return NULL;
	origin = HONE_HOOKS_CANNOT_ALLOC && gfp == HONE_GFP_HOOK ?
		 ev->origin : FROM_SLAB;
	memset(ev, 0, sizeof(*ev));
	ev->origin = origin;
	refcount_set(&ev->ref, 1);
	ev->type = type;
	ev->ts = ktime_get_ns();
	INIT_LIST_HEAD(&ev->snap);
	return ev;
}

void hone_event_free(struct hone_event *ev)
{
	if (ev->origin == FROM_SMALL)
		pool_put(&small_pool, ev);
	else if (ev->origin == FROM_BIG)
		pool_put(&big_pool, ev);
	else
		kfree(ev);
}

struct hone_sock_rec *hone_rec_alloc(void)
{
	struct hone_sock_rec *rec;

	if (!HONE_HOOKS_CANNOT_ALLOC)
		return kzalloc(sizeof(*rec), HONE_GFP_HOOK);
	rec = pool_get(&rec_pool);
	if (rec)
		memset(rec, 0, sizeof(*rec));
	return rec;
}

void hone_rec_free(struct hone_sock_rec *rec)
{
	if (pool_has(&rec_pool, rec))
		pool_put(&rec_pool, rec);
	else
		kfree(rec);
}

static void rec_free_rcu(struct rcu_head *head)
{
	hone_rec_free(container_of(head, struct hone_sock_rec, rcu));
}

void hone_rec_free_rcu(struct hone_sock_rec *rec)
{
	if (HONE_HOOKS_CANNOT_ALLOC)
		call_rcu(&rec->rcu, rec_free_rcu);
	else
		kfree_rcu(rec, rcu);
}
