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
 * called there. So on RT, records come from a pool preallocated at load,
 * guarded by a raw spinlock; when it is empty the socket gets no record
 * and its open event is counted as lost. The snapshot (process context)
 * always uses the slab allocator.
 */
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/mm.h>

#include "compat.h"
#include "mem.h"

struct pool {
	raw_spinlock_t lock;
	void **free;
	unsigned int nfree, n;
	size_t size;
	char *mem;
};

static struct pool rec_pool;

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
	int err;

	if (!HONE_HOOKS_CANNOT_ALLOC)
		return 0;
	err = pool_init(&rec_pool, sizeof(struct hone_sock_rec),
			HONE_REC_POOL_SIZE);
	if (err)
		pool_uninit(&rec_pool);
	return err;
}

/* Every record has been freed; pending RCU frees run first. */
void hone_mem_uninit(void)
{
	rcu_barrier();
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
