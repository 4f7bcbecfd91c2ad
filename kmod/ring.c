// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The Hone authors.
 *
 * Per-reader, per-CPU rings of finished records (FORMAT.md, "Rings").
 *
 * Single producer, single consumer: the producer is the ring's CPU with
 * interrupts off, so two writers never meet; it publishes a record by
 * storing the new prod with release semantics, after the record's bytes.
 * The consumer reads prod with acquire semantics and gives space back by
 * storing cons with release semantics, after it is done with the bytes.
 *
 * A share of each ring (reserve) is kept for everything but packets: a
 * packet flood fills the ring up to it, and process, socket, read and
 * holder events still find room until the reserve is full too.
 *
 * Pages are allocated one by one and charged to the opener's memory
 * cgroup; the data pages are vmap()ed twice back to back, so a record of
 * at most size bytes is contiguous wherever it starts, for the writer,
 * for read() and for mmap users.
 */
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/topology.h>
#include <linux/vmalloc.h>

#include "compat.h"
#include "ring.h"

#define REC_HDR	sizeof(struct hone_rec)

static void free_pages_array(struct page **pages, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (pages[i])
			put_page(pages[i]);
}

static int map_twice(struct hone_ring *ring)
{
	unsigned int i, n = ring->npages;
	struct page **map;

	map = kvmalloc_array(2 * n, sizeof(*map), GFP_KERNEL);
	if (!map)
		return -ENOMEM;
	for (i = 0; i < 2 * n; i++)
		map[i] = ring->pages[1 + i % n];
	ring->data = vmap(map, 2 * n, VM_MAP, PAGE_KERNEL);
	kvfree(map);
	return ring->data ? 0 : -ENOMEM;
}

int hone_ring_init(struct hone_ring *ring, int cpu, unsigned int order)
{
	gfp_t gfp = GFP_KERNEL_ACCOUNT | __GFP_ZERO | __GFP_NOWARN;
	unsigned int i, n = 1U << order;
	int node = cpu_to_node(cpu);

	memset(ring, 0, sizeof(*ring));
	ring->pages = kvcalloc(n + 1, sizeof(*ring->pages), GFP_KERNEL);
	if (!ring->pages)
		return -ENOMEM;
	ring->npages = n;
	for (i = 0; i <= n; i++) {
		ring->pages[i] = alloc_pages_node(node, gfp, 0);
		if (!ring->pages[i])
			goto err_pages;
	}
	if (map_twice(ring))
		goto err_pages;
	ring->meta = page_address(ring->pages[0]);
	ring->meta->cpu = cpu;
	ring->size = n * PAGE_SIZE;
	ring->reserve = ring->size / 8;
	ring->loss.ring = cpu;
	return 0;

err_pages:
	free_pages_array(ring->pages, n + 1);
	kvfree(ring->pages);
	ring->pages = NULL;
	return -ENOMEM;
}

/* Pages still mapped by a user process live on until it unmaps them. */
void hone_ring_free(struct hone_ring *ring)
{
	if (!ring->pages)
		return;
	if (ring->data)
		vunmap(ring->data);
	free_pages_array(ring->pages, ring->npages + 1);
	kvfree(ring->pages);
	memset(ring, 0, sizeof(*ring));
}

/* --- producer --- */

/* Room for a record with a block of at most @max bytes, or NULL. */
void *hone_ring_reserve(struct hone_ring *ring, u32 max, bool packet)
{
	u64 prod = ring->meta->prod;
	/* Pairs with the consumer's release: it is done with those bytes. */
	u64 used = prod - smp_load_acquire(&ring->meta->cons);
	u64 need = REC_HDR + ALIGN(max, 8) + (packet ? ring->reserve : 0);

	if (unlikely(used + need > ring->size))
		return NULL;
	return ring->data + (prod & (ring->size - 1)) + REC_HDR;
}

void hone_ring_commit(struct hone_ring *ring, void *block, u32 len,
		      u16 klass, u64 ts)
{
	struct hone_rec *rec = block - REC_HDR;
	u32 total = REC_HDR + ALIGN(len, 8);

	rec->len = total;
	rec->type = HONE_REC_BLOCK;
	rec->klass = klass;
	rec->ts = ts;
	if (klass < ARRAY_SIZE(ring->meta->delivered))
		ring->meta->delivered[klass]++;
	/* The record's bytes before the position that publishes them. */
	smp_store_release(&ring->meta->prod, ring->meta->prod + total);
}

/* A record of @klass found no room; remembered for the next loss report. */
void hone_ring_lost(struct hone_ring *ring, u16 klass, u64 ts)
{
	struct hone_loss *loss = &ring->loss;

	ring->meta->dropped[klass]++;
	if (!loss->lost[0] && !loss->lost[1] && !loss->lost[2])
		loss->first_ns = ts;
	loss->last_ns = ts;
	loss->lost[klass]++;
}

u32 hone_ring_unread(const struct hone_ring *ring)
{
	return READ_ONCE(ring->meta->prod) - READ_ONCE(ring->meta->cons);
}

/* --- consumer --- */

/* The next record before position @end, or NULL. */
const struct hone_rec *hone_ring_peek(const struct hone_ring *ring, u64 end)
{
	u64 cons = ring->meta->cons;
	/* Pairs with hone_ring_commit(): the record is all there. */
	u64 prod = smp_load_acquire(&ring->meta->prod);

	if (cons == prod || cons >= end)
		return NULL;
	return (const struct hone_rec *)(ring->data +
					 (cons & (ring->size - 1)));
}

void hone_ring_consume(struct hone_ring *ring, const struct hone_rec *rec)
{
	/* Done with the record's bytes before the producer may reuse them. */
	smp_store_release(&ring->meta->cons, ring->meta->cons + rec->len);
}

/* mmap users: everything before @pos is consumed. */
int hone_ring_set_cons(struct hone_ring *ring, u64 pos)
{
	/* As in hone_ring_peek() and hone_ring_consume(). */
	u64 prod = smp_load_acquire(&ring->meta->prod);

	if (pos < ring->meta->cons || pos > prod)
		return -EINVAL;
	smp_store_release(&ring->meta->cons, pos);	/* idem */
	return 0;
}

/* --- mmap --- */

/* Pages of one ring's mapping: the meta page and the data twice. */
unsigned long hone_ring_map_pages(const struct hone_ring *ring)
{
	return 1 + 2UL * ring->npages;
}

int hone_ring_map(struct hone_ring *ring, struct vm_area_struct *vma,
		  unsigned long addr, unsigned long first, unsigned long n)
{
	unsigned long i, k;
	struct page *page;
	int err;

	for (i = 0; i < n; i++) {
		k = first + i;
		page = k ? ring->pages[1 + (k - 1) % ring->npages]
			 : ring->pages[0];
		err = vm_insert_page(vma, addr + i * PAGE_SIZE, page);
		if (err)
			return err;
	}
	return 0;
}
