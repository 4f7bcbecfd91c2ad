// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The Hone authors.
 *
 * Process events: fork, exec and exit of processes (threads are not
 * processes), and the holder changes they cause: a forked child holds
 * every socket in its descriptor table, an exiting process loses them all.
 */
#include <linux/fdtable.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/bitmap.h>
#include <linux/task_work.h>
#include <linux/wait.h>

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

/*
 * The hooks run with preemption off, so a descriptor table is scanned
 * there only up to HONE_SCAN_INLINE descriptors. A fork's child with more
 * gets the rest scanned by a task work of its own: in its context,
 * preemptible, HONE_SCAN_CHUNK at a time, before it first returns to user
 * space (or at its exit), so its gain blocks still come before anything
 * it does with them. 1,024 in the hook took 14 ms of -icount guest time
 * with 100,000 sockets (stress fault sockets), the longest hook call. A
 * chunk is one RCU read section with no resched point: on a kernel with
 * voluntary preemption, 1,024 held a SCHED_FIFO task off the CPU for
 * about 1.5 ms (a million and a half instructions), so chunks are as
 * small as the hook's share.
 */
#define HONE_SCAN_INLINE	128
#define HONE_SCAN_CHUNK		128

/*
 * A task work lives until the child runs it, and a hook must not allocate
 * on PREEMPT_RT: the works come from a fixed set of slots, each taken with
 * one atomic bit. Forks of processes with more than HONE_SCAN_INLINE
 * descriptors are rare; with every slot busy, the hook scans the rest
 * itself. On RT, where that was the only way, it took 39 ms with 100,000
 * sockets.
 */
#define FORK_SCAN_SLOTS		64

static struct fork_scan {
	struct callback_head work;
	unsigned int next;
} fork_scans[FORK_SCAN_SLOTS];

static DECLARE_BITMAP(fork_scans_busy, FORK_SCAN_SLOTS);
static DECLARE_WAIT_QUEUE_HEAD(fork_scans_done);

static struct fork_scan *fork_scan_get(void)
{
	unsigned int i;

	for_each_clear_bit(i, fork_scans_busy, FORK_SCAN_SLOTS)
		if (!test_and_set_bit_lock(i, fork_scans_busy))
			return &fork_scans[i];
	return NULL;
}

static void fork_scan_put(struct fork_scan *fs)
{
	clear_bit_unlock(fs - fork_scans, fork_scans_busy);
}

static void fork_scan_work(struct callback_head *head)
{
	struct fork_scan *fs = container_of(head, struct fork_scan, work);

	while (!hone_holders_scan_range(current, &fs->next, HONE_SCAN_CHUNK,
					hone_fork_gained))
		cond_resched();
	fork_scan_put(fs);
	wake_up(&fork_scans_done);
}

static void fork_scan(struct task_struct *child)
{
	struct fork_scan *fs = NULL;
	unsigned int next = 0;

	if (hone_holders_scan_range(child, &next, HONE_SCAN_INLINE,
				    hone_fork_gained))
		return;
	if (!(child->flags & PF_KTHREAD))
		fs = fork_scan_get();
	if (fs) {
		fs->next = next;
		init_task_work(&fs->work, fork_scan_work);
		if (!task_work_add(child, &fs->work, TWA_RESUME))
			return;
		fork_scan_put(fs);
	}
	hone_holders_scan_range(child, &next, UINT_MAX, hone_fork_gained);
}

/*
 * At exit, a descriptor table nobody else uses is closed right after this
 * hook, one descriptor at a time (close_files(), which reschedules between
 * them), and each close of a socket this process holds writes its lose
 * block (via exit): no scan. A table shared with another task (its other
 * threads still exiting, or CLONE_FILES) may outlive this exit: scanned.
 */
static bool exit_needs_scan(struct task_struct *t)
{
	return t->files && atomic_read(&t->files->count) > 1;
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
		fork_scan(info->task);
	else if (action == HONE_PROC_EXIT && exit_needs_scan(info->task))
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
	/* no new scan is queued now; a child's pending one runs this module's code */
	wait_event(fork_scans_done,
		   bitmap_empty(fork_scans_busy, FORK_SCAN_SLOTS));
	hone_procinfo_uninit();
}
