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

static bool proc_wanted(unsigned long action, const struct hone_proc_info *i)
{
	if (action == HONE_PROC_FORK)
		return thread_group_leader(i->task);
	if (action == HONE_PROC_EXIT)
		return i->group_dead;
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
