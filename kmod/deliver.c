// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The Hone authors.
 *
 * The hook side of a reader: each live event is encoded straight into the
 * reader's ring on the CPU it happened on (hone_publish() has turned
 * interrupts off), and the reader is woken only when it sleeps and has
 * enough to read (FORMAT.md, "Wakeups"). Wakeups and the flush timer go
 * through irq_work: nothing here takes a lock or sleeps.
 */
#include <linux/irq_work.h>
#include <linux/smp.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include "reader.h"
#include "pcapng.h"

static u16 class_of(const struct hone_event *ev)
{
	if (ev->type == HONE_EV_PKT)
		return HONE_CLASS_PACKET;
	return ev->type == HONE_EV_PROC ? HONE_CLASS_PROCESS
					 : HONE_CLASS_SOCKET;
}

static bool lost_some(const struct hone_ring *ring)
{
	const u64 *l = ring->loss.lost;

	return l[0] | l[1] | l[2];
}

/*
 * What the ring refused since its last record goes just before the next
 * record that fits, in the same space check: a loss report never takes
 * room its record could not have taken (packets stay out of the reserve).
 */
static void *reserve(struct hone_reader *r, struct hone_ring *ring, u32 max,
		     bool packet)
{
	u32 report = sizeof(struct hone_rec) + HONE_PCAPNG_LOSS_MAX;
	void *dst;
	u32 len;

	if (likely(!lost_some(ring)))
		return hone_ring_reserve(ring, max, packet);
	if (!hone_ring_reserve(ring, report + max, packet))
		return NULL;
	dst = hone_ring_reserve(ring, HONE_PCAPNG_LOSS_MAX, false);
	len = hone_pcapng_loss(dst, &ring->loss, r->boot_ns);
	hone_ring_commit(ring, dst, len, HONE_CLASS_LOSS, ring->loss.last_ns);
	memset(ring->loss.lost, 0, sizeof(ring->loss.lost));
	return hone_ring_reserve(ring, max, packet);
}

static void want(struct hone_reader *r, int bit)
{
	set_bit(bit, &r->wake_flags);
	irq_work_queue(&r->wake);
}

/*
 * A sleeping reader is woken at once when this ring passes the watermark
 * (or every record, flush_ms 0); otherwise the flush timer is started,
 * once, and wakes it when it expires.
 */
static void maybe_wake(struct hone_reader *r, struct hone_ring *ring)
{
	if (!wq_has_sleeper(&r->wq))
		return;
	if (!r->flush_ms || hone_ring_unread(ring) >= r->watermark)
		want(r, HONE_WF_WAKE);
	else if (!test_and_set_bit(HONE_WF_ARMED, &r->wake_flags))
		want(r, HONE_WF_ARM);
}

static bool filtered(const struct hone_reader *r, const struct hone_event *ev)
{
	return ev->type == HONE_EV_PKT && READ_ONCE(r->filter_set) &&
	       ev->pkt.has_sock && ev->pkt.sock_id == READ_ONCE(r->filter_id);
}

void hone_reader_deliver(struct hone_sink *sink, const struct hone_event *ev)
{
	struct hone_reader *r = container_of(sink, struct hone_reader, sink);
	struct hone_ring *ring = r->rings[smp_processor_id()];
	u16 klass = class_of(ev);
	u32 caplen = ring->caplen, len;
	void *dst;

	if (filtered(r, ev)) {
		ring->meta->filtered++;
		return;
	}
	dst = reserve(r, ring, hone_pcapng_event_max(ev, caplen),
		      klass == HONE_CLASS_PACKET);
	if (unlikely(!dst)) {
		hone_ring_lost(ring, klass, ev->ts);
		return;
	}
	len = hone_pcapng_event(dst, ev, caplen, r->boot_ns);
	hone_ring_commit(ring, dst, len, klass, ev->ts);
	maybe_wake(r, ring);
}

/* irq_work: the wakeup or the timer the hook asked for. */
void hone_reader_wake(struct irq_work *work)
{
	struct hone_reader *r = container_of(work, struct hone_reader, wake);

	if (test_and_clear_bit(HONE_WF_ARM, &r->wake_flags))
		schedule_delayed_work(&r->flush,
				      msecs_to_jiffies(READ_ONCE(r->flush_ms)));
	if (test_and_clear_bit(HONE_WF_WAKE, &r->wake_flags))
		wake_up_interruptible(&r->wq);
}

/* The flush timeout: whatever the reader has not seen is enough now. */
void hone_reader_flush(struct work_struct *work)
{
	struct hone_reader *r = container_of(to_delayed_work(work),
					     struct hone_reader, flush);

	set_bit(HONE_WF_FLUSH, &r->wake_flags);
	clear_bit(HONE_WF_ARMED, &r->wake_flags);
	wake_up_interruptible(&r->wq);
}
