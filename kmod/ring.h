/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2026 The Hone authors.
 */
#ifndef _HONE_RING_H
#define _HONE_RING_H

#include <linux/types.h>

#include "honeevent.h"
#include "pcapng.h"

struct page;
struct vm_area_struct;

/*
 * One reader's ring on one CPU: finished records (struct hone_rec and a
 * PCAP-NG block), written in place by that CPU with interrupts off (the
 * only producer) and consumed by the reader (the only consumer). The
 * data pages are mapped twice in a row, so that a record never wraps.
 * Positions only grow; the meta page, which mmap users see, holds them.
 */
struct hone_ring {
	struct hone_ring_meta *meta;
	u8 *data;
	u32 size;			/* a power of two */
	u32 reserve;			/* bytes packets may not take */
	struct page **pages;		/* meta page, then the data pages */
	unsigned int npages;		/* data pages */
	struct hone_loss loss;		/* producer: lost since its last record */
	u32 caplen;			/* producer: packet bytes it keeps */
};

int hone_ring_init(struct hone_ring *ring, int cpu, unsigned int order);
void hone_ring_free(struct hone_ring *ring);

/* Producer: the CPU the ring belongs to, interrupts off. */
void *hone_ring_reserve(struct hone_ring *ring, u32 max, bool packet);
void hone_ring_commit(struct hone_ring *ring, void *block, u32 len,
		      u16 klass, u64 ts);
void hone_ring_lost(struct hone_ring *ring, u16 klass, u64 ts);
u32 hone_ring_unread(const struct hone_ring *ring);

/* Consumer. */
const struct hone_rec *hone_ring_peek(const struct hone_ring *ring, u64 end);
void hone_ring_consume(struct hone_ring *ring, const struct hone_rec *rec);
int hone_ring_set_cons(struct hone_ring *ring, u64 pos);

/* mmap: the ring's pages from @first (0 = meta) into @vma at @addr. */
int hone_ring_map(struct hone_ring *ring, struct vm_area_struct *vma,
		  unsigned long addr, unsigned long first, unsigned long n);
unsigned long hone_ring_map_pages(const struct hone_ring *ring);

#endif /* _HONE_RING_H */
