/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2026 The Hone authors.
 */
#ifndef _HONE_RING_H
#define _HONE_RING_H

#include <linux/spinlock.h>

/* A bounded FIFO of pointers: many producers in any context, one reader. */
struct hone_ring {
	raw_spinlock_t lock;
	unsigned int head, tail, mask;
	void **slot;
};

int hone_ring_init(struct hone_ring *ring, unsigned int pageorder);
void hone_ring_free(struct hone_ring *ring);
bool hone_ring_push(struct hone_ring *ring, void *item);
void *hone_ring_pop(struct hone_ring *ring);
bool hone_ring_empty(struct hone_ring *ring);

#endif /* _HONE_RING_H */
