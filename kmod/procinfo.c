// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The Hone authors.
 *
 * Process events: identity of a task, and its exe path and argv for exec,
 * for forks whose parent is pid 1, and for the snapshot.
 *
 * Live events are built in tracepoint context (atomic): the exe comes from
 * the binprm or an RCU-counted mm->exe_file, argv is copied from the
 * current mm without faulting. Snapshot events are built in read() and
 * may sleep, so they read another task's argv with access_process_vm().
 */
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/binfmts.h>
#include <linux/cred.h>
#include <linux/pid_namespace.h>
#include <linux/uaccess.h>
#include <linux/slab.h>
#include <linux/mm.h>

#include "hone.h"
#include "compat.h"
#include "procinfo.h"

#define ARGV_MAX	4096
#define SCRATCH_SIZE	(PATH_MAX + ARGV_MAX)

struct proc_strings {
	char *scratch;			/* PATH_MAX for the path, then argv */
	const char *path;
	u32 path_len, argv_len;
};

static void fill_ids(struct hone_proc_event *pe, struct task_struct *t)
{
	const struct cred *cred;
	struct pid_namespace *ns;

	pe->pid = t->tgid;
	pe->tid = t->pid;
	pe->start = t->group_leader->start_boottime;	/* the process, not the thread */
	rcu_read_lock();
	pe->ppid = pid_alive(t) ? rcu_dereference(t->real_parent)->tgid : 0;
	cred = __task_cred(t);
	pe->uid = from_kuid_munged(&init_user_ns, cred->euid);
	pe->gid = from_kgid_munged(&init_user_ns, cred->egid);
	ns = task_active_pid_ns(t);
	if (ns) {
		pe->nspid = __task_pid_nr_ns(t, PIDTYPE_TGID, ns);
		pe->pidns = ns->ns.inum;
	}
	rcu_read_unlock();
}

static void proc_fill(struct hone_event *ev, struct task_struct *t,
		      u32 event, const struct proc_strings *s)
{
	struct hone_proc_event *pe = &ev->proc;

	memset(ev, 0, sizeof(*ev));
	ev->type = HONE_EV_PROC;
	pe->event = event;
	fill_ids(pe, t);
	pe->path = (char *)s->path;
	pe->path_len = s->path_len;
	pe->argv = s->scratch + PATH_MAX;
	pe->argv_len = s->argv_len;
}

static void set_path(struct proc_strings *s, const struct path *path)
{
	char *p = d_path(path, s->scratch, PATH_MAX);

	if (IS_ERR(p))
		return;
	s->path = p;
	s->path_len = strlen(p);
}

static void set_file_path(struct proc_strings *s, struct mm_struct *mm)
{
	struct file *exe = hone_mm_exe_file(mm);

	if (exe) {
		set_path(s, &exe->f_path);
		fput(exe);
	}
}

static void set_comm_path(struct proc_strings *s, struct task_struct *t)
{
	char comm[TASK_COMM_LEN];

	get_task_comm(comm, t);
	s->path_len = scnprintf(s->scratch, PATH_MAX, "[%s]", comm);
	s->path = s->scratch;
}

/* argv as NUL-separated bytes, the last byte forced to NUL. */
static void argv_bounds(struct mm_struct *mm, unsigned long *start, u32 *len)
{
	unsigned long a = READ_ONCE(mm->arg_start), b = READ_ONCE(mm->arg_end);

	*start = a;
	*len = b > a ? min_t(unsigned long, b - a, ARGV_MAX) : 0;
}

static void finish_argv(struct proc_strings *s, u32 len)
{
	s->argv_len = len;
	if (len)
		s->scratch[PATH_MAX + len - 1] = '\0';
}

/* Atomic context: only the current mm, and only resident pages. */
static void set_current_argv(struct proc_strings *s, struct mm_struct *mm)
{
	unsigned long start;
	u32 len;

	argv_bounds(mm, &start, &len);
	if (len && copy_from_user_nofault(s->scratch + PATH_MAX,
					  (const void __user *)start, len))
		len = 0;
	finish_argv(s, len);
}

static void live_exec(struct hone_event *ev,
		      const struct hone_proc_info *info, struct proc_strings *s)
{
	if (info->bprm && info->bprm->file)
		set_path(s, &info->bprm->file->f_path);
	if (current->mm)
		set_current_argv(s, current->mm);
	proc_fill(ev, info->task, HONE_PROC_EV_EXEC, s);
}

/* A fork whose parent is pid 1 describes the process without its exec. */
static void live_fork(struct hone_event *ev,
		      const struct hone_proc_info *info, struct proc_strings *s)
{
	struct task_struct *t = info->task;
	bool init_child;

	if (t->flags & PF_KTHREAD) {
		set_comm_path(s, t);
		proc_fill(ev, t, HONE_PROC_EV_KTHD, s);
		return;
	}
	rcu_read_lock();
	init_child = rcu_dereference(t->real_parent)->tgid == 1;
	rcu_read_unlock();
	if (init_child && t->mm && current->mm) {
		set_file_path(s, t->mm);
		set_current_argv(s, current->mm);
	}
	proc_fill(ev, t, HONE_PROC_EV_FORK, s);
}

static void live_exit(struct hone_event *ev,
		      const struct hone_proc_info *info, struct proc_strings *s)
{
	proc_fill(ev, info->task, HONE_PROC_EV_EXIT, s);
	ev->proc.status = info->task->exit_code;
	ev->proc.has_status = true;
}

/*
 * One scratch buffer per CPU for live events: the scheduler's tracepoints
 * run with preemption disabled and never nest on a CPU, and this keeps an
 * 8 KiB allocation out of that context.
 */
static char **scratch;

int hone_procinfo_init(void)
{
	int cpu;

	scratch = kcalloc(nr_cpu_ids, sizeof(*scratch), GFP_KERNEL);
	if (!scratch)
		return -ENOMEM;
	for_each_possible_cpu(cpu) {
		scratch[cpu] = kmalloc(SCRATCH_SIZE, GFP_KERNEL);
		if (!scratch[cpu]) {
			hone_procinfo_uninit();
			return -ENOMEM;
		}
	}
	return 0;
}

void hone_procinfo_uninit(void)
{
	int cpu;

	for_each_possible_cpu(cpu)
		kfree(scratch[cpu]);
	kfree(scratch);
}

/*
 * Tracepoint context: preemption is disabled. @ev borrows this CPU's
 * scratch buffer until the handler returns.
 */
bool hone_proc_event_live(struct hone_event *ev, unsigned long action,
			  const struct hone_proc_info *info)
{
	struct proc_strings s = { .scratch = scratch[smp_processor_id()] };

	if (action == HONE_PROC_FORK)
		live_fork(ev, info, &s);
	else if (action == HONE_PROC_EXEC)
		live_exec(ev, info, &s);
	else if (action == HONE_PROC_EXIT)
		live_exit(ev, info, &s);
	else
		return false;
	return true;
}

/* A copy of the event with its strings in its own tail. */
static struct hone_event *snapshot_event(struct task_struct *t, u32 event,
					 const struct proc_strings *s)
{
	struct hone_event *ev;
	char *tail;

	ev = kmalloc(sizeof(*ev) + s->path_len + s->argv_len, GFP_KERNEL);
	if (!ev)
		return NULL;
	proc_fill(ev, t, event, s);
	tail = (char *)(ev + 1);
	if (s->path_len)
		memcpy(tail, s->path, s->path_len);
	if (s->argv_len)
		memcpy(tail + s->path_len, s->scratch + PATH_MAX, s->argv_len);
	ev->proc.path = tail;
	ev->proc.argv = tail + s->path_len;
	ev->ts = t->start_time;
	ev->proc.flags = HONE_PROC_SNAPSHOT;
	INIT_LIST_HEAD(&ev->snap);
	return ev;
}

static void set_task_argv(struct proc_strings *s, struct task_struct *t,
			  struct mm_struct *mm)
{
	unsigned long start;
	u32 len;
	int n = 0;

	argv_bounds(mm, &start, &len);
	if (len)
		n = access_process_vm(t, start, s->scratch + PATH_MAX, len,
				      FOLL_FORCE);
	finish_argv(s, n > 0 ? n : 0);
}

/* Process context. The block carries the process start time. */
struct hone_event *hone_snapshot_proc_event(struct task_struct *t)
{
	struct proc_strings s = { };
	struct hone_event *ev;
	struct mm_struct *mm;
	u32 event = HONE_PROC_EV_KTHD;

	s.scratch = kmalloc(SCRATCH_SIZE, GFP_KERNEL);
	if (!s.scratch)
		return NULL;
	if (t->flags & PF_KTHREAD) {
		set_comm_path(&s, t);
	} else {
		event = (t->flags & PF_FORKNOEXEC) ? HONE_PROC_EV_FORK
						   : HONE_PROC_EV_EXEC;
		mm = get_task_mm(t);
		if (mm) {
			set_file_path(&s, mm);
			set_task_argv(&s, t, mm);
			mmput(mm);
		}
	}
	ev = snapshot_event(t, event, &s);
	kfree(s.scratch);
	return ev;
}
EXPORT_SYMBOL_GPL(hone_snapshot_proc_event);
