// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The Hone authors.
 *
 * Process events: fork, exec and exit of processes (threads are not
 * processes), and the holder changes they cause: a forked child holds
 * every socket in its descriptor table, an exiting process loses them all.
 */
#include <linux/sched.h>
#include <linux/sched/signal.h>

#include "hone.h"
#include "notify.h"
#include "procinfo.h"
#include "holders.h"

/*
 * The processes whose EXIT was just written, by pid and start time. Where
 * the exit tracepoint has no group_dead (before 7.x), compat.h derives it
 * from signal->live, which every thread of a group exiting together can
 * read as zero: the first one writes the EXIT, the others are recognised
 * here. Such threads exit within microseconds of each other.
 */
#define EXITS_KEPT	64

static struct {
	raw_spinlock_t lock;
	unsigned int next;
	struct { pid_t tgid; u64 start; } seen[EXITS_KEPT];
} exits = { .lock = __RAW_SPIN_LOCK_UNLOCKED(exits.lock) };

/* True the first time a process instance exits. */
static bool first_exit(struct task_struct *t)
{
	u64 start = t->group_leader->start_boottime;
	unsigned long flags;
	bool first = true;
	int i;

	raw_spin_lock_irqsave(&exits.lock, flags);
	for (i = 0; i < EXITS_KEPT && first; i++)
		first = exits.seen[i].tgid != t->tgid ||
			exits.seen[i].start != start;
	if (first) {
		exits.seen[exits.next].tgid = t->tgid;
		exits.seen[exits.next].start = start;
		exits.next = (exits.next + 1) % EXITS_KEPT;
	}
	raw_spin_unlock_irqrestore(&exits.lock, flags);
	return first;
}

static bool proc_wanted(unsigned long action, const struct hone_proc_info *i)
{
	if (action == HONE_PROC_FORK)
		return thread_group_leader(i->task);
	if (action == HONE_PROC_EXIT)
		return i->group_dead && first_exit(i->task);
	return true;
}

/* Tracepoint context: preemption is off, interrupts on. */
static int on_process(struct notifier_block *nb, unsigned long action,
		      void *data)
{
	struct hone_proc_info *info = data;
	struct hone_event ev;

	if (!proc_wanted(action, info))
		return NOTIFY_DONE;
	if (hone_have_sinks() && hone_proc_event_live(&ev, action, info))
		hone_publish(&ev);
	/*
	 * After the fork block: the child exists before it holds anything.
	 * At exit the descriptors are still there (closed later, by a path
	 * that differs between versions): they are all lost now.
	 */
	if (action == HONE_PROC_FORK)
		hone_holders_scan(info->task, hone_fork_gained);
	else if (action == HONE_PROC_EXIT)
		hone_holders_scan(info->task, hone_exit_lost);
	return NOTIFY_OK;
}

static struct notifier_block process_nb = { .notifier_call = on_process };

int hone_proc_events_init(void)
{
	int err = hone_procinfo_init();

	if (err)
		return err;
	err = hone_process_notifier_register(&process_nb);
	if (err)
		hone_procinfo_uninit();
	return err;
}

void hone_proc_events_uninit(void)
{
	hone_process_notifier_unregister(&process_nb);
	hone_procinfo_uninit();
}
