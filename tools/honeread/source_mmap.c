// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The Hone authors.
 *
 * The mmap backend: records come out of the reader's per-CPU rings, mapped
 * read-only (honeevent.h: struct hone_ring_info, hone_ring_meta,
 * hone_rec), and go to the output with writev() straight from the
 * mapping; their space goes back with HEIO_RING_CONSUME once written.
 * Only the section's head, snapshot and tail (ISB) come from read().
 *
 * A section, as the device gives it to a reader that has mapped its rings:
 *
 *   PART   read() until 0: SHB, IDB, the snapshot
 *   RINGS  records from the rings, oldest first across them
 *          ... HEIO_RESTART (honeread's, or the module's at unload) marks
 *          each ring's end of the section (section_end, HONE_META_ENDING);
 *          the records before the marks are drained, the later ones stay
 *          for the next section
 *   TAIL   read() until 0: the ISB; this pump returns 0 (end of section)
 *
 * and the next read() starts the next section (PART again). A read() that
 * returns 0 after PART's blocks means "now the rings", except when the
 * section ended during the snapshot (HEIO_RESTART before the snapshot was
 * read through, or an unload): then the last block read() gave is the ISB.
 * So the backend follows the block boundaries of what read() gives and
 * looks at the type of the last block.
 *
 * Order: each ring is in time order; across rings a record is taken when
 * it is the oldest head and, if some ring is empty, older than HOLD_NS (a
 * CPU may be writing an older one right now). Draining to the marks takes
 * everything (the records before a mark are all written).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "honeevent.h"
#include "source.h"

#define HOLD_NS		1000000ULL	/* 1 ms */
#define BATCH_IOV	1024		/* records per writev() */
#define BLOCK_ISB	5
#define REC_MIN		(sizeof(struct hone_rec) + 12)

enum mm_state { MM_PART, MM_RINGS, MM_TAIL };

struct hr_mmap {
	struct hone_ring_info info;
	uint8_t *base;
	size_t len;
	uint64_t *cons;		/* where honeread is, per ring */
	uint64_t *told;		/* what HEIO_RING_CONSUME last said */
	uint64_t *end;		/* the section's end per ring (ending) */
	bool ending;
	uint64_t held_until;	/* a record is held back until then (0: none) */
	enum mm_state state;
	/* the blocks read() gave in this part of the section */
	bool any;
	uint32_t last_type;
	uint64_t left;		/* bytes of the current block still to come */
	uint8_t hdr[8];
	unsigned int hdr_have;
	char *buf;
	struct iovec iov[BATCH_IOV];
};

static volatile struct hone_ring_meta *meta(const struct hr_mmap *m,
					    unsigned int ring)
{
	return (volatile struct hone_ring_meta *)(m->base +
						  ring * m->info.stride);
}

static const uint8_t *data(const struct hr_mmap *m, unsigned int ring)
{
	return m->base + ring * m->info.stride + m->info.page_size;
}

static uint64_t prod(const struct hr_mmap *m, unsigned int ring)
{
	/* Pairs with the kernel's release: the records before prod are whole. */
	return __atomic_load_n(&meta(m, ring)->prod, __ATOMIC_ACQUIRE);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + ts.tv_nsec;
}

static void mm_free(struct hr_mmap *m)
{
	if (m->base)
		munmap(m->base, m->len);
	free(m->cons);
	free(m->told);
	free(m->end);
	free(m->buf);
	free(m);
}

static int mm_open(struct hr_source *src)
{
	struct hr_mmap *m = calloc(1, sizeof(*m));
	unsigned int i;
	int err;

	if (!m)
		return -ENOMEM;
	/* ENOTTY: not Hone's device; ENODEV: /dev/honet (text, no rings) */
	if (ioctl(src->fd, HEIO_GET_RING_INFO, &m->info)) {
		err = -errno;
		goto fail;
	}
	err = -EINVAL;
	if (!m->info.nrings || !m->info.size ||
	    (m->info.size & (m->info.size - 1)) || !m->info.page_size ||
	    m->info.stride < m->info.page_size + 2ULL * m->info.size)
		goto fail;
	err = -ENOMEM;
	m->cons = calloc(m->info.nrings, sizeof(*m->cons));
	m->told = calloc(m->info.nrings, sizeof(*m->told));
	m->end = calloc(m->info.nrings, sizeof(*m->end));
	m->buf = malloc(src->buflen);
	if (!m->cons || !m->told || !m->end || !m->buf)
		goto fail;
	/*
	 * One mapping of all rings. It fails (EINVAL) where some CPU below
	 * nrings is not possible; then the stream backends take over, and
	 * the device's read() is unchanged (it changes once mapped).
	 */
	m->len = (size_t)m->info.nrings * m->info.stride;
	m->base = mmap(NULL, m->len, PROT_READ, MAP_SHARED, src->fd, 0);
	if (m->base == MAP_FAILED) {
		err = -errno;
		m->base = NULL;
		goto fail;
	}
	for (i = 0; i < m->info.nrings; i++)
		m->cons[i] = m->told[i] = meta(m, i)->cons;
	m->state = MM_PART;
	src->priv = m;
	return 0;
fail:
	mm_free(m);
	return err;
}

static void mm_close(struct hr_source *src)
{
	if (src->priv)
		mm_free(src->priv);
	src->priv = NULL;
}

/* --- the read() parts: head and snapshot, or the tail --- */

static uint32_t u32_at(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* Follows the block boundaries in what read() gave (host byte order). */
static int track_blocks(struct hr_mmap *m, const uint8_t *p, size_t n)
{
	while (n > 0) {
		size_t k;

		if (m->left == 0) {
			k = sizeof(m->hdr) - m->hdr_have;
			if (k > n)
				k = n;
			memcpy(m->hdr + m->hdr_have, p, k);
			m->hdr_have += k;
			p += k;
			n -= k;
			if (m->hdr_have < sizeof(m->hdr))
				return 0;
			m->hdr_have = 0;
			m->last_type = u32_at(m->hdr);
			m->left = u32_at(m->hdr + 4);
			if (m->left < 12 || m->left % 4)
				return -EPROTO;
			m->left -= sizeof(m->hdr);
			continue;
		}
		k = m->left < n ? m->left : n;
		m->left -= k;
		p += k;
		n -= k;
	}
	return 0;
}

/*
 * One read(): > 0 bytes written, 0 when read() returned 0 (the part is
 * over), -errno.
 */
static ssize_t read_part(struct hr_source *src, struct hr_mmap *m, int out)
{
	ssize_t n = read(src->fd, m->buf, src->buflen);
	int err;

	if (n < 0)
		return -errno;
	if (n == 0)
		return 0;
	err = track_blocks(m, (const uint8_t *)m->buf, n);
	if (!err)
		err = hr_write_all(out, m->buf, n);
	m->any = true;
	return err ? err : n;
}

/* --- the rings --- */

/* The ring's next record (checked), NULL if none (or -EIO in *err). */
static const struct hone_rec *head(const struct hr_mmap *m,
				   unsigned int ring, int *err)
{
	uint64_t cons = m->cons[ring];
	const struct hone_rec *rec;

	if (cons == prod(m, ring))
		return NULL;
	if (m->ending && cons >= m->end[ring])
		return NULL;
	rec = (const struct hone_rec *)(data(m, ring) +
					(cons & (m->info.size - 1)));
	if (rec->len < REC_MIN || rec->len % 8 || rec->len > m->info.size ||
	    (rec->type == HONE_REC_BLOCK &&
	     u32_at((const uint8_t *)(rec + 1) + 4) >
	     rec->len - sizeof(*rec))) {
		*err = -EIO;
		return NULL;
	}
	return rec;
}

/* The oldest record that may be taken now and its ring, or NULL. */
static const struct hone_rec *next_rec(struct hr_mmap *m,
				       unsigned int *ring, int *err)
{
	const struct hone_rec *best = NULL, *rec;
	unsigned int i;
	bool empty = false;

	for (i = 0; i < m->info.nrings; i++) {
		rec = head(m, i, err);
		if (*err)
			return NULL;
		if (!rec) {
			empty = true;
			continue;
		}
		if (!best || rec->ts < best->ts) {
			best = rec;
			*ring = i;
		}
	}
	if (best && empty && !m->ending && best->ts + HOLD_NS > now_ns()) {
		m->held_until = best->ts + HOLD_NS;
		return NULL;
	}
	return best;
}

static int commit(struct hr_source *src, struct hr_mmap *m)
{
	unsigned int i;

	for (i = 0; i < m->info.nrings; i++) {
		struct hone_ring_consume c = { .ring = i, .pos = m->cons[i] };

		if (m->cons[i] == m->told[i])
			continue;
		if (ioctl(src->fd, HEIO_RING_CONSUME, &c))
			return -errno;
		m->told[i] = m->cons[i];
	}
	return 0;
}

static int writev_all(int fd, struct iovec *iov, int cnt)
{
	while (cnt > 0) {
		ssize_t n = writev(fd, iov, cnt);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		while (cnt > 0 && (size_t)n >= iov->iov_len) {
			n -= iov->iov_len;
			iov++;
			cnt--;
		}
		if (cnt > 0) {
			iov->iov_base = (char *)iov->iov_base + n;
			iov->iov_len -= n;
		}
	}
	return 0;
}

/* One batch of records to out: bytes written (0: none ready), -errno. */
static ssize_t drain(struct hr_source *src, struct hr_mmap *m, int out)
{
	const struct hone_rec *rec;
	unsigned int ring = 0;
	size_t bytes = 0;
	int cnt = 0, err = 0;

	m->held_until = 0;
	while (cnt < BATCH_IOV && bytes < src->buflen &&
	       (rec = next_rec(m, &ring, &err))) {
		m->cons[ring] += rec->len;
		if (rec->type != HONE_REC_BLOCK)
			continue;	/* a kind this honeread does not know */
		m->iov[cnt].iov_base = (void *)(rec + 1);
		m->iov[cnt].iov_len = u32_at((const uint8_t *)(rec + 1) + 4);
		bytes += m->iov[cnt].iov_len;
		cnt++;
	}
	if (err)
		return err;
	err = writev_all(out, m->iov, cnt);
	if (!err)
		err = commit(src, m);
	return err ? err : (ssize_t)bytes;
}

static bool any_ending(const struct hr_mmap *m)
{
	unsigned int i;

	for (i = 0; i < m->info.nrings; i++)
		if (meta(m, i)->flags & HONE_META_ENDING)
			return true;
	return false;
}

/*
 * The section is ending: take each ring's mark. HEIO_RESTART again (it
 * does nothing while a restart mark is set) so that an unload's marks are
 * all in place; a ring without HONE_META_ENDING (its CPU offline at the
 * mark) ends where it is, since no CPU writes it.
 */
static int take_marks(struct hr_source *src, struct hr_mmap *m)
{
	unsigned int i;

	if (ioctl(src->fd, HEIO_RESTART))
		return -errno;
	for (i = 0; i < m->info.nrings; i++) {
		volatile struct hone_ring_meta *mt = meta(m, i);

		m->end[i] = (mt->flags & HONE_META_ENDING) ? mt->section_end :
							      prod(m, i);
	}
	m->ending = true;
	return 0;
}

static bool drained(const struct hr_mmap *m)
{
	unsigned int i;

	for (i = 0; i < m->info.nrings; i++)
		if (m->cons[i] < m->end[i])
			return false;
	return true;
}

static void next_section(struct hr_mmap *m)
{
	m->state = MM_PART;
	m->ending = false;
	m->any = false;
	m->last_type = 0;
	m->left = 0;
	m->hdr_have = 0;
}

/*
 * A record is held back for the order (another ring is empty): sleep until
 * it may go. poll() would not wait: the device is readable while its rings
 * hold anything. At most HOLD_NS; a signal ends the sleep early.
 */
static void wait_held(const struct hr_mmap *m)
{
	uint64_t now = now_ns(), left;
	struct timespec ts;

	if (m->held_until <= now)
		return;
	left = m->held_until - now;
	if (left > HOLD_NS)
		left = HOLD_NS;
	ts.tv_sec = 0;
	ts.tv_nsec = (long)left;
	nanosleep(&ts, NULL);
}

static ssize_t mm_pump(struct hr_source *src, int out)
{
	struct hr_mmap *m = src->priv;
	ssize_t n;
	int err;

	for (;;) {
		switch (m->state) {
		case MM_PART:
		case MM_TAIL:
			n = read_part(src, m, out);
			if (n != 0)
				return n;
			if (m->left || m->hdr_have)
				return -EPROTO;	/* read() ended mid-block */
			/* nothing at all (unload), or the tail: section over */
			if (m->state == MM_TAIL || !m->any ||
			    m->last_type == BLOCK_ISB) {
				next_section(m);
				return 0;
			}
			m->state = MM_RINGS;
			break;
		case MM_RINGS:
			if (!m->ending && any_ending(m)) {
				err = take_marks(src, m);
				if (err)
					return err;
			}
			n = drain(src, m, out);
			if (n != 0)
				return n;
			if (!m->ending && m->held_until) {
				wait_held(m);
				return -EINTR;	/* look at signals, pump again */
			}
			if (!m->ending)
				return -EAGAIN;
			if (!drained(m))
				continue;	/* records past the batch limits */
			m->state = MM_TAIL;
			m->any = false;
			break;
		}
	}
}

/*
 * HEIO_RESTART only once the rings are being read: a restart during the
 * head or the snapshot would end the section in read() at once, before
 * the ring records of the section (they would open the next one, older
 * than its snapshot).
 */
static bool mm_can_end(struct hr_source *src)
{
	const struct hr_mmap *m = src->priv;

	return m->state == MM_RINGS;
}

const struct hr_backend hr_mmap_backend = {
	.name = "mmap",
	.open = mm_open,
	.pump = mm_pump,
	.can_end = mm_can_end,
	.close = mm_close,
};
