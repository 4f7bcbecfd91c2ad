// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The Hone authors.
 *
 * Sinks (the readers) and the hand-over of every live event to them.
 *
 * An event is built on the hook's stack and given to each sink in one
 * section with interrupts off, in which it also gets its timestamp: on a
 * CPU, events reach the sinks in timestamp order and never interleave
 * (a packet's softirq cannot cut into the write of another event). While
 * no sink exists, the packet hooks and the send and read probes idle:
 * the first sink arms them, the last one's removal disarms them.
 */
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/rculist.h>
#include <linux/slab.h>
#include <linux/sock_diag.h>
#include <linux/timekeeping.h>

#include "hone.h"
#include "notify.h"

static LIST_HEAD(sinks);
static DEFINE_MUTEX(sinks_lock);

DEFINE_PER_CPU(u64, hone_cpu_busy);
EXPORT_PER_CPU_SYMBOL_GPL(hone_cpu_busy);

static struct {
	atomic64_t received[3], lost[3];
	u64 start_ns;
} stats;

static atomic_t data_gen = ATOMIC_INIT(1);

static int class_of(u8 type)
{
	if (type == HONE_EV_PKT)
		return 0;
	return type == HONE_EV_PROC ? 1 : 2;
}

void hone_sinks_init(void)
{
	stats.start_ns = ktime_get_real_ns();
}

bool hone_have_sinks(void)
{
	return !list_empty_careful(&sinks);
}

u32 hone_data_gen(void)
{
	return atomic_read(&data_gen);
}

/* The first sink: arm the data path. Sends and reads seen before are stale. */
static int data_path_start(void)
{
	int err = hone_pkt_events_start();

	if (err)
		return err;
	atomic_inc(&data_gen);
	hone_socket_data_probes(true);
	return 0;
}

static void data_path_stop(void)
{
	hone_socket_data_probes(false);
	hone_pkt_events_stop();
}

int hone_sink_add(struct hone_sink *sink)
{
	int err = 0;

	mutex_lock(&sinks_lock);
	if (list_empty(&sinks))
		err = data_path_start();
	if (!err)
		list_add_tail_rcu(&sink->node, &sinks);
	mutex_unlock(&sinks_lock);
	return err;
}
EXPORT_SYMBOL_GPL(hone_sink_add);

/* After this returns, deliver() is not running and will not run again. */
void hone_sink_del(struct hone_sink *sink)
{
	mutex_lock(&sinks_lock);
	list_del_rcu(&sink->node);
	if (list_empty(&sinks))
		data_path_stop();
	mutex_unlock(&sinks_lock);
	synchronize_rcu();
}
EXPORT_SYMBOL_GPL(hone_sink_del);

/*
 * Any context. The busy word tells readers merging the per-CPU rings
 * that an event with this timestamp is on its way (see hone.h): it is
 * set before the clock is read, with a full barrier in between, so that
 * a reader that finds it clear knows any later event here is newer than
 * what it has already seen.
 */
void hone_publish(struct hone_event *ev)
{
	u64 *busy;
	struct hone_sink *sink;
	unsigned long flags;

	atomic64_inc(&stats.received[class_of(ev->type)]);
	local_irq_save(flags);
	busy = this_cpu_ptr(&hone_cpu_busy);
	WRITE_ONCE(*busy, 1);
	smp_mb();	/* busy before the clock: pairs with oldest() (stream.c) */
	ev->ts = ktime_get_ns();
	WRITE_ONCE(*busy, ev->ts);
	rcu_read_lock();
	list_for_each_entry_rcu(sink, &sinks, node)
		sink->deliver(sink, ev);
	rcu_read_unlock();
	smp_store_release(busy, 0);	/* after the rings' prod updates */
	local_irq_restore(flags);
}

/* An event that was due but could not be made (no memory for its record). */
void hone_count_lost(u8 type)
{
	atomic64_inc(&stats.received[class_of(type)]);
	atomic64_inc(&stats.lost[class_of(type)]);
}

void hone_counters_read(struct hone_counters *c)
{
	c->pkt_received = atomic64_read(&stats.received[0]);
	c->pkt_dropped = atomic64_read(&stats.lost[0]);
	c->proc_received = atomic64_read(&stats.received[1]);
	c->proc_dropped = atomic64_read(&stats.lost[1]);
	c->sock_received = atomic64_read(&stats.received[2]);
	c->sock_dropped = atomic64_read(&stats.lost[2]);
	c->missed = hone_socket_probes_missed();
	c->start_ns = stats.start_ns;
}
EXPORT_SYMBOL_GPL(hone_counters_read);

void hone_event_free(struct hone_event *ev)
{
	kfree(ev);
}
EXPORT_SYMBOL_GPL(hone_event_free);

/* The socket's SO_COOKIE, generated here if user space never asked. */
u64 hone_sock_id(struct sock *sk)
{
	u32 cookie[2];

	sock_diag_save_cookie(sk, cookie);
	return (u64)cookie[1] << 32 | cookie[0];
}
EXPORT_SYMBOL_GPL(hone_sock_id);
