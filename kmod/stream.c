// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The Hone authors.
 *
 * What read() returns. A section is: head (SHB and IDB, or the HEAD
 * line), the snapshot, live records from the per-CPU rings merged in
 * timestamp order, and when HEIO_RESTART's mark is reached in every ring,
 * the tail (ISB, or TAIL); then one read() returns 0. /dev/hone copies
 * each ring record's PCAP-NG block as it is; /dev/honet makes a text line
 * of it.
 *
 * Merging: each ring is in timestamp order (its CPU writes it with
 * interrupts off). The oldest head among the rings is only taken when no
 * CPU with an empty ring is still writing an older event (hone_cpu_busy),
 * so live timestamps never go backwards in the stream.
 */
#include <linux/delay.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "reader.h"
#include "pcapng.h"

#define BUSY_SPINS	10
#define BUSY_WAIT_US	50
#define BUSY_GIVE_UP	200		/* waits, then the order is not kept */

int hone_buf_reserve(struct hone_buf *b, size_t n)
{
	if (n <= b->cap)
		return 0;
	kvfree(b->data);
	b->cap = 0;
	b->data = kvmalloc(n, GFP_KERNEL);
	if (!b->data)
		return -ENOMEM;
	b->cap = n;
	return 0;
}

void hone_reader_stats(struct hone_reader *r, struct hone_stats *st)
{
	struct hone_totals t;

	hone_reader_totals(r, &t);
	memset(st, 0, sizeof(*st));
	st->packets_received = t.received[HONE_CLASS_PACKET];
	st->packets_dropped = t.dropped[HONE_CLASS_PACKET];
	st->packets_filtered = t.filtered;
	st->packets_ring_dropped = t.ring_dropped[HONE_CLASS_PACKET];
	st->packets_delivered = t.delivered[HONE_CLASS_PACKET];
	st->process_received = t.received[HONE_CLASS_PROCESS];
	st->process_dropped = t.dropped[HONE_CLASS_PROCESS];
	st->process_ring_dropped = t.ring_dropped[HONE_CLASS_PROCESS];
	st->process_delivered = t.delivered[HONE_CLASS_PROCESS];
	st->socket_received = t.received[HONE_CLASS_SOCKET];
	st->socket_dropped = t.dropped[HONE_CLASS_SOCKET];
	st->socket_ring_dropped = t.ring_dropped[HONE_CLASS_SOCKET];
	st->socket_delivered = t.delivered[HONE_CLASS_SOCKET];
	st->probes_missed = t.missed;
}

void hone_reader_totals(struct hone_reader *r, struct hone_totals *t)
{
	struct hone_counters c;
	int cpu, k;

	memset(t, 0, sizeof(*t));
	hone_counters_read(&c);
	t->received[0] = c.pkt_received;
	t->dropped[0] = c.pkt_dropped;
	t->received[1] = c.proc_received;
	t->dropped[1] = c.proc_dropped;
	t->received[2] = c.sock_received;
	t->dropped[2] = c.sock_dropped;
	t->start_ns = c.start_ns;
	t->missed = c.missed;
	for_each_possible_cpu(cpu) {
		const struct hone_ring_meta *m = r->rings[cpu]->meta;

		for (k = 0; k < 3; k++) {
			t->delivered[k] += READ_ONCE(m->delivered[k]);
			t->ring_dropped[k] += READ_ONCE(m->dropped[k]);
		}
		t->filtered += READ_ONCE(m->filtered);
	}
}

/* --- readiness --- */

static u64 mark_of(const struct hone_reader *r, int cpu)
{
	return r->mark ? r->mark_pos[cpu] : U64_MAX;
}

/*
 * True when a sleeping reader should wake: something that is not ring
 * data, or a ring past the watermark, or any ring data once the flush
 * timeout expired (or at once, flush_ms 0).
 */
bool hone_stream_ready(struct hone_reader *r)
{
	bool any = false;
	u32 unread;
	int cpu;

	if (READ_ONCE(r->out.pos) < READ_ONCE(r->out.len) ||
	    READ_ONCE(r->state) != HONE_RS_LIVE || READ_ONCE(r->mark))
		return true;
	for_each_possible_cpu(cpu) {
		unread = hone_ring_unread(r->rings[cpu]);
		if (unread >= READ_ONCE(r->watermark))
			return true;
		any |= unread > 0;
	}
	return any && (!READ_ONCE(r->flush_ms) ||
		       test_bit(HONE_WF_FLUSH, &r->wake_flags));
}

static bool rings_empty(struct hone_reader *r)
{
	int cpu;

	for_each_possible_cpu(cpu)
		if (hone_ring_unread(r->rings[cpu]))
			return false;
	return true;
}

/* Data is waiting below the watermark: make sure the timer will come. */
void hone_stream_arm_flush(struct hone_reader *r)
{
	if (!rings_empty(r) &&
	    !test_and_set_bit(HONE_WF_ARMED, &r->wake_flags))
		schedule_delayed_work(&r->flush,
				      msecs_to_jiffies(READ_ONCE(r->flush_ms)));
}

static bool wait_ready(struct hone_reader *r)
{
	if (hone_stream_ready(r))
		return true;
	hone_stream_arm_flush(r);
	return false;
}

/* --- merging the rings --- */

/* A CPU with nothing in its ring may be writing an event older than @ts. */
static bool cpu_behind(int cpu, u64 ts)
{
	/* Pairs with the release in hone_publish(): its records are there. */
	u64 busy = smp_load_acquire(per_cpu_ptr(&hone_cpu_busy, cpu));

	return busy && busy < ts;
}

/*
 * The CPU whose ring holds the oldest record, in @out; -ENODATA when no
 * ring has one; -EBUSY (if @strict) while another CPU may still add an
 * older one.
 */
static int oldest(struct hone_reader *r, const struct hone_rec **out,
		  bool strict)
{
	const struct hone_rec *best, *rec;
	int cpu, at;

again:
	best = NULL;
	at = -ENODATA;
	for_each_possible_cpu(cpu) {
		rec = hone_ring_peek(r->rings[cpu], mark_of(r, cpu));
		if (rec && (!best || rec->ts < best->ts)) {
			best = rec;
			at = cpu;
		}
	}
	if (!best || !strict || r->mark)
		goto out;
	smp_mb();	/* best->ts was read before any busy word below */
	for_each_possible_cpu(cpu) {
		bool behind;

		if (cpu == at)
			continue;
		behind = cpu_behind(cpu, best->ts);
		rec = hone_ring_peek(r->rings[cpu], mark_of(r, cpu));
		if (rec && rec->ts < best->ts)
			goto again;	/* it was empty, and has just written */
		if (!rec && behind)
			return -EBUSY;
	}
out:
	*out = best;
	return at;
}

/*
 * Waits out a CPU that is writing an older record (it has interrupts off:
 * microseconds). Past BUSY_GIVE_UP waits, order gives way to progress.
 */
static int oldest_waiting(struct hone_reader *r, const struct hone_rec **out)
{
	int i, at;

	for (i = 0; i < BUSY_GIVE_UP; i++) {
		at = oldest(r, out, true);
		if (at != -EBUSY)
			return at;
		if (i < BUSY_SPINS)
			cpu_relax();
		else
			usleep_range(BUSY_WAIT_US, 2 * BUSY_WAIT_US);
	}
	return oldest(r, out, false);
}

/* --- records --- */

static int copy_out(struct hone_reader *r, char __user *buf, size_t count,
		    size_t *done)
{
	size_t n = min(count - *done, r->out.len - r->out.pos);

	if (copy_to_user(buf + *done, r->out.data + r->out.pos, n))
		return -EFAULT;
	r->out.pos += n;
	*done += n;
	return 0;
}

static int stage(struct hone_buf *b, const void *p, size_t n)
{
	int err = hone_buf_reserve(b, n);

	if (err)
		return err;
	memcpy(b->data, p, n);
	b->len = n;
	return 0;
}

/*
 * One ring record to the reader: a PCAP-NG block straight into the user's
 * buffer when it fits, else through r->out; a text line through r->out.
 */
static int emit_record(struct hone_reader *r, const struct hone_rec *rec,
		       char __user *buf, size_t count, size_t *done)
{
	const void *block = rec + 1;
	u32 blen = *(const u32 *)(block + 4);

	if (r->text)
		return hone_text_block(&r->out, block, rec->ts);
	if (blen > count - *done)
		return stage(&r->out, block, blen);
	if (copy_to_user(buf + *done, block, blen))
		return -EFAULT;
	*done += blen;
	return 0;
}

/* An event of the snapshot, encoded as a live one would be. */
static int emit_event(struct hone_reader *r, const struct hone_event *ev)
{
	u32 caplen = r->text ? HONE_TEXT_CAPLEN : U32_MAX;
	struct hone_buf *b = r->text ? &r->enc : &r->out;
	int err = hone_buf_reserve(b, hone_pcapng_event_max(ev, caplen));

	if (err)
		return err;
	b->len = hone_pcapng_event(b->data, ev, caplen, r->boot_ns);
	if (r->text)
		return hone_text_block(&r->out, b->data, ev->ts);
	return 0;
}

void hone_snapshot_drop(struct hone_reader *r)
{
	struct hone_event *ev, *next;

	list_for_each_entry_safe(ev, next, &r->snap, snap) {
		list_del(&ev->snap);
		hone_event_free(ev);
	}
}

static int next_snapshot(struct hone_reader *r)
{
	struct hone_event *ev;
	int err;

	ev = list_first_entry_or_null(&r->snap, struct hone_event, snap);
	if (!ev) {
		r->state = HONE_RS_LIVE;
		return 0;
	}
	list_del(&ev->snap);
	err = emit_event(r, ev);
	hone_event_free(ev);
	return err;
}

/* --- section boundaries --- */

static int write_head(struct hone_reader *r)
{
	int err;

	if (r->text)
		return hone_text_head(r, &r->out);
	err = hone_buf_reserve(&r->out, hone_pcapng_head_max());
	if (err)
		return err;
	r->out.len = hone_pcapng_head(r->out.data, r->snaplen);
	return 0;
}

static int write_tail(struct hone_reader *r)
{
	struct hone_totals t;
	int err;

	hone_reader_totals(r, &t);
	r->state = HONE_RS_TAIL;
	if (r->text)
		return hone_text_tail(r, &r->out, &t);
	err = hone_buf_reserve(&r->out, HONE_PCAPNG_TOTALS_MAX);
	if (err)
		return err;
	r->out.len = hone_pcapng_totals(r->out.data, &t, ktime_get_ns(),
					r->boot_ns);
	return 0;
}

/*
 * Live events start just before the first snapshot: a socket opened
 * meanwhile may be listed twice, but nothing falls between the two.
 */
static int start_section(struct hone_reader *r)
{
	int err;

	if (!r->attached) {
		err = hone_sink_add(&r->sink);
		if (err)
			return err;
		r->attached = true;
	}
	err = write_head(r);
	if (err)
		return err;
	r->state = HONE_RS_SNAP;
	hone_snapshot_build(&r->snap);
	return 0;
}

static void clear_mark(struct hone_reader *r)
{
	int cpu;

	WRITE_ONCE(r->mark, HONE_MARK_NONE);
	for_each_possible_cpu(cpu)
		r->rings[cpu]->meta->flags &= ~HONE_META_ENDING;
}

/* Every ring has been read up to the mark: what the mark was for. */
static int at_mark(struct hone_reader *r)
{
	int mark = r->mark;

	clear_mark(r);
	if (mark == HONE_MARK_RESTART) {
		hone_snapshot_drop(r);
		return write_tail(r);
	}
	r->snaplen = r->next_snaplen;
	return write_head(r);
}

/* 1: nothing more for now (-EAGAIN in read mode), 0: progress. */
static int next_live(struct hone_reader *r, char __user *buf, size_t count,
		     size_t *done)
{
	const struct hone_rec *rec;
	int cpu, err;

	if (READ_ONCE(r->mmapped))
		return r->mark ? at_mark(r) : 1;
	cpu = oldest_waiting(r, &rec);
	if (cpu == -ENODATA)
		return r->mark ? at_mark(r) : -EAGAIN;
	err = emit_record(r, rec, buf, count, done);
	if (!err)
		hone_ring_consume(r->rings[cpu], rec);
	return err;
}

/* Makes progress: fills r->out or copies to @buf; -EAGAIN if nothing. */
static int next(struct hone_reader *r, char __user *buf, size_t count,
		size_t *done)
{
	r->out.len = 0;
	r->out.pos = 0;
	switch (r->state) {
	case HONE_RS_HEAD:
		return start_section(r);
	case HONE_RS_SNAP:
		return next_snapshot(r);
	case HONE_RS_LIVE:
		return next_live(r, buf, count, done);
	}
	return 1;
}

/* Returns 0 with the lock held, or an error without it. */
static int wait_record(struct hone_reader *r, struct file *file)
{
	int err;

	mutex_unlock(&r->lock);
	if (file->f_flags & O_NONBLOCK)
		return -EAGAIN;
	err = wait_event_interruptible(r->wq, wait_ready(r));
	if (err)
		return err;
	return mutex_lock_interruptible(&r->lock);
}

/*
 * A blocking read that has copied nothing yet gives way to a pending
 * signal, even with records waiting (they stay queued). Otherwise a signal
 * that comes with an event ends the wait as a wake-up, the read returns
 * the event and a caller looping on read() blocks again, its handler run.
 */
static bool interrupted(struct file *file, size_t done)
{
	return !done && !(file->f_flags & O_NONBLOCK) &&
	       signal_pending(current);
}

/*
 * Called with r->lock held; returns with it released. A read of a
 * megabyte encodes thousands of records: it offers the CPU between them,
 * or on a kernel with voluntary preemption a real-time task waits for
 * the whole read (milliseconds, stress fault sockets).
 */
ssize_t hone_stream_read(struct hone_reader *r, struct file *file,
			 char __user *buf, size_t count)
{
	size_t done = 0;
	int err = 0;

	while (done < count) {
		cond_resched();
		if (interrupted(file, done)) {
			err = -ERESTARTSYS;
			break;
		}
		if (r->out.pos < r->out.len) {
			err = copy_out(r, buf, count, &done);
			if (err)
				break;
			if (r->out.pos == r->out.len &&
			    r->state == HONE_RS_TAIL) {
				r->state = HONE_RS_EOF;
				break;
			}
			continue;
		}
		err = next(r, buf, count, &done);
		if (err == -EAGAIN && !done) {
			err = wait_record(r, file);
			if (err)
				return err;	/* the lock is not held */
			continue;
		}
		if (err)
			break;
	}
	if (rings_empty(r))
		clear_bit(HONE_WF_FLUSH, &r->wake_flags);
	mutex_unlock(&r->lock);
	if (err == 1)
		err = 0;
	return done ? done : err;
}
