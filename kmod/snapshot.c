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
#include <linux/file.h>

#include "reader.h"
#include "compat.h"

struct snap_files {
	struct file **files;
	unsigned int n, max;
};

/* Called with the task and its file table locked: count, or take refs. */
static int snap_file(const void *data, struct file *file, unsigned int fd)
{
	struct snap_files *sf = (struct snap_files *)data;

	if (!hone_sock_from_file(file))
		return 0;
	if (sf->files) {
		if (sf->n == sf->max)
			return 1;
		sf->files[sf->n] = get_file(file);
	}
	sf->n++;
	return 0;
}

static void snap_iterate(struct task_struct *t, struct snap_files *sf)
{
	task_lock(t);
	if (t->files)
		iterate_fd(t->files, 0, snap_file, sf);
	task_unlock(t);
}

/*
 * The socket files of @t, each with a reference, taken under its file
 * table's lock; the events are made after, without locks (GFP_KERNEL).
 */
static void snap_sockets(struct task_struct *t, struct list_head *list)
{
	struct snap_files sf = { };
	struct hone_event *ev;
	unsigned int i;

	snap_iterate(t, &sf);
	if (!sf.n)
		return;
	sf.files = kvmalloc_array(sf.n, sizeof(*sf.files), GFP_KERNEL);
	if (!sf.files)
		return;
	sf.max = sf.n;
	sf.n = 0;
	snap_iterate(t, &sf);
	for (i = 0; i < sf.n; i++) {
		ev = hone_snapshot_sock_event(t,
					      hone_sock_from_file(sf.files[i]));
		if (ev)
			list_add_tail(&ev->snap, list);
		fput(sf.files[i]);
	}
	kvfree(sf.files);
}

static void snap_task(struct task_struct *t, struct list_head *list)
{
	struct hone_event *ev = hone_snapshot_proc_event(t);

	if (!ev)
		return;
	list_add_tail(&ev->snap, list);
	snap_sockets(t, list);
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
