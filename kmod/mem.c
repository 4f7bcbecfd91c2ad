// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The Hone authors.
 *
 * Memory for socket records (events need none: they are built on the
 * hook's stack and written straight into the readers' rings).
 *
 * Sockets are created in kprobe handlers, with preemption disabled. That
 * is fine for GFP_ATOMIC slab allocations on most kernels, but on
 * PREEMPT_RT the slab allocator takes sleeping locks and must not be
 * called there. So on RT, records come from a pool: one chunk allocated
 * at load, more added by a work item (process context) when fewer than
 * half a chunk are left, up to HONE_REC_CHUNKS chunks. Free records are a
 * list threaded through their own memory, guarded by a raw spinlock; a
 * new chunk is linked outside the lock and spliced in at once. When the
 * pool is empty (its cap, or a burst faster than the work) the socket
 * gets no record and its open event is counted as lost. The snapshot
 * (process context) always uses the slab allocator.
 */
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/mm.h>
#include <linux/workqueue.h>

#include "compat.h"
#include "mem.h"

struct pool_obj {
	struct pool_obj *next;
};

struct pool {
	raw_spinlock_t lock;
	struct pool_obj *free;
	unsigned int nfree, nchunks;
	size_t size;
	char *chunk[HONE_REC_CHUNKS];
	struct work_struct grow;
};

static struct pool rec_pool;

/* Process context; only the grow work and init add chunks. */
static int pool_add_chunk(struct pool *p)
{
	struct pool_obj *first, *last;
	unsigned long flags;
	unsigned int i;
	char *mem;

	if (p->nchunks == HONE_REC_CHUNKS)
		return -ENOSPC;
	mem = vzalloc(array_size(HONE_REC_CHUNK, p->size));
	if (!mem)
		return -ENOMEM;
	for (i = 0; i + 1 < HONE_REC_CHUNK; i++)
		((struct pool_obj *)(mem + i * p->size))->next =
			(struct pool_obj *)(mem + (i + 1) * p->size);
	first = (struct pool_obj *)mem;
	last = (struct pool_obj *)(mem + (HONE_REC_CHUNK - 1) * p->size);
	raw_spin_lock_irqsave(&p->lock, flags);
	p->chunk[p->nchunks] = mem;
	/* pool_has() reads the chunks without the lock */
	smp_store_release(&p->nchunks, p->nchunks + 1);
	last->next = p->free;
	p->free = first;
	p->nfree += HONE_REC_CHUNK;
	raw_spin_unlock_irqrestore(&p->lock, flags);
	return 0;
}

static void pool_grow(struct work_struct *work)
{
	pool_add_chunk(container_of(work, struct pool, grow));
}

static int pool_init(struct pool *p, size_t size)
{
	raw_spin_lock_init(&p->lock);
	INIT_WORK(&p->grow, pool_grow);
	p->size = ALIGN(size, 8);
	return pool_add_chunk(p);
}

static void pool_uninit(struct pool *p)
{
	unsigned int i;

	cancel_work_sync(&p->grow);
	for (i = 0; i < p->nchunks; i++)
		vfree(p->chunk[i]);
	memset(p, 0, sizeof(*p));
}

static void *pool_get(struct pool *p)
{
	struct pool_obj *obj;
	unsigned long flags;
	bool low;

	raw_spin_lock_irqsave(&p->lock, flags);
	obj = p->free;
	if (obj) {
		p->free = obj->next;
		p->nfree--;
	}
	low = p->nfree < HONE_REC_CHUNK / 2 && p->nchunks < HONE_REC_CHUNKS;
	raw_spin_unlock_irqrestore(&p->lock, flags);
	/* queue_work() takes only raw locks: fine in a hook, on RT too */
	if (low)
		queue_work(system_unbound_wq, &p->grow);
	return obj;
}

static void pool_put(struct pool *p, void *obj)
{
	struct pool_obj *o = obj;
	unsigned long flags;

	raw_spin_lock_irqsave(&p->lock, flags);
	o->next = p->free;
	p->free = o;
	p->nfree++;
	raw_spin_unlock_irqrestore(&p->lock, flags);
}

/* Chunks are only added, each the same size: no lock needed. */
static bool pool_has(const struct pool *p, const void *obj)
{
	const char *c = obj;
	unsigned int i, n;

	/* pairs with the release in pool_add_chunk(): chunk[i < n] is set */
	n = smp_load_acquire(&p->nchunks);
	for (i = 0; i < n; i++)
		if (c >= p->chunk[i] &&
		    c < p->chunk[i] + (size_t)HONE_REC_CHUNK * p->size)
			return true;
	return false;
}

int hone_mem_init(void)
{
	int err;

	if (!HONE_HOOKS_CANNOT_ALLOC)
		return 0;
	err = pool_init(&rec_pool, sizeof(struct hone_sock_rec));
	if (err)
		pool_uninit(&rec_pool);
	return err;
}

/* Every record has been freed; pending RCU frees run first. */
void hone_mem_uninit(void)
{
	rcu_barrier();
	if (HONE_HOOKS_CANNOT_ALLOC)
		pool_uninit(&rec_pool);
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
