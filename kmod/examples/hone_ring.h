/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * Copyright (C) 2026 The Hone authors.
 *
 * A small consumer of /dev/hone's mmap interface (FORMAT.md, "Rings"),
 * header-only so that readers can copy it: map every ring, take records
 * oldest first across the rings, hand consumed space back with one ioctl
 * per ring and batch.
 *
 *	struct hone_mmap m;
 *	hone_mmap_open(&m, fd);		after open(), before or after read()
 *	while ((rec = hone_mmap_next(&m, &ring, hold_ns))) {
 *		use(hone_rec_block(rec), hone_rec_block_len(rec));
 *		hone_mmap_done(&m, ring, rec);
 *	}
 *	hone_mmap_commit(&m);		gives the space back
 *
 * Order: each ring is in time order. Across rings, a record is only taken
 * when every other ring either holds a later record or is empty and the
 * record is older than hold_ns (a CPU may be writing an older one right
 * now: microseconds); pass 0 at the end of a capture to take everything.
 */
#ifndef HONE_RING_H
#define HONE_RING_H

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>

#include "../honeevent.h"

#define HONE_MMAP_MAX_RINGS 1024

struct hone_mmap {
	int fd;
	struct hone_ring_info info;
	uint8_t *base;
	size_t len;
	uint64_t cons[HONE_MMAP_MAX_RINGS];	/* where this reader is */
	uint64_t told[HONE_MMAP_MAX_RINGS];	/* what the kernel knows */
};

static inline volatile struct hone_ring_meta *hone_mmap_meta(const struct hone_mmap *m,
							     unsigned int ring)
{
	return (volatile struct hone_ring_meta *)(m->base + ring * m->info.stride);
}

static inline const uint8_t *hone_mmap_data(const struct hone_mmap *m, unsigned int ring)
{
	return m->base + ring * m->info.stride + m->info.page_size;
}

/* 0, or -1 with errno set. */
static inline int hone_mmap_open(struct hone_mmap *m, int fd)
{
	unsigned int i;

	memset(m, 0, sizeof(*m));
	m->fd = fd;
	if (ioctl(fd, HEIO_GET_RING_INFO, &m->info))
		return -1;
	if (m->info.nrings > HONE_MMAP_MAX_RINGS) {
		errno = ERANGE;
		return -1;
	}
	m->len = m->info.nrings * m->info.stride;
	m->base = mmap(NULL, m->len, PROT_READ, MAP_SHARED, fd, 0);
	if (m->base == MAP_FAILED) {
		/* rings of CPUs that are not possible cannot be mapped */
		m->base = NULL;
		return -1;
	}
	for (i = 0; i < m->info.nrings; i++)
		m->cons[i] = m->told[i] = hone_mmap_meta(m, i)->cons;
	return 0;
}

static inline void hone_mmap_close(struct hone_mmap *m)
{
	if (m->base)
		munmap(m->base, m->len);
	m->base = NULL;
}

static inline uint64_t hone_mmap_prod(const struct hone_mmap *m, unsigned int ring)
{
	/* Pairs with the kernel's release: the records before prod are whole. */
	return __atomic_load_n(&hone_mmap_meta(m, ring)->prod, __ATOMIC_ACQUIRE);
}

/* The ring's next record; none past the end of an ending section. */
static inline const struct hone_rec *hone_mmap_head(const struct hone_mmap *m,
						    unsigned int ring)
{
	volatile struct hone_ring_meta *meta = hone_mmap_meta(m, ring);
	uint64_t cons = m->cons[ring];

	if (cons == hone_mmap_prod(m, ring))
		return NULL;
	if ((meta->flags & HONE_META_ENDING) && cons >= meta->section_end)
		return NULL;
	return (const struct hone_rec *)(hone_mmap_data(m, ring) +
					 (cons & (m->info.size - 1)));
}

static inline uint64_t hone_mmap_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + ts.tv_nsec;
}

/* The oldest record that can be taken now, and its ring; NULL if none. */
static inline const struct hone_rec *hone_mmap_next(struct hone_mmap *m, unsigned int *ring,
						    uint64_t hold_ns)
{
	const struct hone_rec *best = NULL, *rec;
	unsigned int i, empty = 0;

	for (i = 0; i < m->info.nrings; i++) {
		rec = hone_mmap_head(m, i);
		if (!rec) {
			empty++;
			continue;
		}
		if (!best || rec->ts < best->ts) {
			best = rec;
			*ring = i;
		}
	}
	if (best && empty && hold_ns && best->ts + hold_ns > hone_mmap_now())
		return NULL;
	return best;
}

static inline const void *hone_rec_block(const struct hone_rec *rec)
{
	return rec + 1;
}

static inline uint32_t hone_rec_block_len(const struct hone_rec *rec)
{
	return *(const uint32_t *)((const uint8_t *)(rec + 1) + 4);
}

static inline void hone_mmap_done(struct hone_mmap *m, unsigned int ring,
				  const struct hone_rec *rec)
{
	m->cons[ring] += rec->len;
}

/* Records of the ending section (HEIO_RESTART) stop at section_end. */
static inline int hone_mmap_section_ended(const struct hone_mmap *m)
{
	unsigned int i;

	for (i = 0; i < m->info.nrings; i++) {
		volatile struct hone_ring_meta *meta = hone_mmap_meta(m, i);

		if (!(meta->flags & HONE_META_ENDING) || m->cons[i] < meta->section_end)
			return 0;
	}
	return 1;
}

/* Gives the space of the records marked done back to the kernel. */
static inline int hone_mmap_commit(struct hone_mmap *m)
{
	unsigned int i;

	for (i = 0; i < m->info.nrings; i++) {
		struct hone_ring_consume c = { .ring = i, .pos = m->cons[i] };

		if (m->cons[i] == m->told[i])
			continue;
		if (ioctl(m->fd, HEIO_RING_CONSUME, &c))
			return -1;
		m->told[i] = m->cons[i];
	}
	return 0;
}

#endif /* HONE_RING_H */
