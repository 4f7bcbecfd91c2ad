// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The Hone authors.
 *
 * The initial snapshot of a section: every live process, oldest first,
 * each followed by the inet sockets in its file table.
 */
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/fdtable.h>
#include <linux/slab.h>
#include <linux/mm.h>

#include "reader.h"
#include "compat.h"

struct snap_ctx {
	struct task_struct *task;
	struct list_head *list;
};

/* Called with the task and its file table locked. */
static int snap_file(const void *data, struct file *file, unsigned int fd)
{
	const struct snap_ctx *ctx = data;
	struct socket *sock = hone_sock_from_file(file);
	struct hone_event *ev;

	if (!sock)
		return 0;
	ev = hone_snapshot_sock_event(ctx->task, sock);
	if (ev)
		list_add_tail(&ev->snap, ctx->list);
	return 0;
}

static void snap_task(struct task_struct *t, struct list_head *list)
{
	struct snap_ctx ctx = { .task = t, .list = list };
	struct hone_event *ev = hone_snapshot_proc_event(t);

	if (!ev)
		return;
	list_add_tail(&ev->snap, list);
	task_lock(t);
	if (t->files)
		iterate_fd(t->files, 0, snap_file, &ctx);
	task_unlock(t);
}

/* References to the live processes, in creation order. */
static struct task_struct **collect(unsigned int *count)
{
	struct task_struct **tasks, *p;
	unsigned int n = 0, i = 0;

	rcu_read_lock();
	for_each_process(p)
		n++;
	rcu_read_unlock();
	n += 64;
	tasks = kvmalloc_array(n, sizeof(*tasks), GFP_KERNEL);
	if (!tasks)
		return NULL;
	rcu_read_lock();
	for_each_process(p) {
		if (i == n)
			break;
		if (p->flags & PF_EXITING)
			continue;
		get_task_struct(p);
		tasks[i++] = p;
	}
	rcu_read_unlock();
	*count = i;
	return tasks;
}

int hone_snapshot_build(struct list_head *list)
{
	struct task_struct **tasks;
	unsigned int i, n;

	tasks = collect(&n);
	if (!tasks)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		snap_task(tasks[i], list);
		put_task_struct(tasks[i]);
	}
	kvfree(tasks);
	return 0;
}
