// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The Hone authors.
 *
 * Per-reader event ring: (PAGE_SIZE << pageorder) / 8 slots. A raw
 * spinlock keeps it usable from every context the hooks run in, PREEMPT_RT
 * included; a full ring refuses the new item and the caller counts it.
 */
#include <linux/slab.h>
#include <linux/mm.h>

#include "ring.h"

int hone_ring_init(struct hone_ring *ring, unsigned int pageorder)
{
	unsigned int n = (PAGE_SIZE << pageorder) / 8;

	raw_spin_lock_init(&ring->lock);
	ring->head = 0;
	ring->tail = 0;
	ring->mask = n - 1;
	ring->slot = kvcalloc(n, sizeof(*ring->slot), GFP_KERNEL);
	return ring->slot ? 0 : -ENOMEM;
}

void hone_ring_free(struct hone_ring *ring)
{
	kvfree(ring->slot);
	ring->slot = NULL;
}

bool hone_ring_push(struct hone_ring *ring, void *item)
{
	unsigned long flags;
	bool ok;

	raw_spin_lock_irqsave(&ring->lock, flags);
	ok = ring->head - ring->tail <= ring->mask;
	if (ok)
		ring->slot[ring->head++ & ring->mask] = item;
	raw_spin_unlock_irqrestore(&ring->lock, flags);
	return ok;
}

void *hone_ring_pop(struct hone_ring *ring)
{
	unsigned long flags;
	void *item = NULL;

	raw_spin_lock_irqsave(&ring->lock, flags);
	if (ring->tail != ring->head)
		item = ring->slot[ring->tail++ & ring->mask];
	raw_spin_unlock_irqrestore(&ring->lock, flags);
	return item;
}

bool hone_ring_empty(struct hone_ring *ring)
{
	return READ_ONCE(ring->head) == READ_ONCE(ring->tail);
}
