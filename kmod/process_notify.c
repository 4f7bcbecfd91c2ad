// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The Hone authors.
 *
 * Process event source: fork, exec and exit from the scheduler's
 * tracepoints, republished on an atomic notifier chain.
 */
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/tracepoint.h>
#include <linux/binfmts.h>

#include "hone.h"
#include "compat.h"

static ATOMIC_NOTIFIER_HEAD(process_chain);

int hone_process_notifier_register(struct notifier_block *nb)
{
	return atomic_notifier_chain_register(&process_chain, nb);
}
EXPORT_SYMBOL_GPL(hone_process_notifier_register);

int hone_process_notifier_unregister(struct notifier_block *nb)
{
	return atomic_notifier_chain_unregister(&process_chain, nb);
}
EXPORT_SYMBOL_GPL(hone_process_notifier_unregister);

static void notify(unsigned long action, struct hone_proc_info *info)
{
	atomic_notifier_call_chain(&process_chain, action, info);
}

static void probe_fork(void *data, struct task_struct *parent,
		       struct task_struct *child)
{
	struct hone_proc_info info = { .task = child };

	notify(HONE_PROC_FORK, &info);
}

static void probe_exec(void *data, struct task_struct *task, pid_t old_pid,
		       struct linux_binprm *bprm)
{
	struct hone_proc_info info = { .task = task, .bprm = bprm };

	notify(HONE_PROC_EXEC, &info);
}

static void exiting(struct task_struct *task, bool group_dead)
{
	struct hone_proc_info info = { .task = task, .group_dead = group_dead };

	notify(HONE_PROC_EXIT, &info);
}

HONE_EXIT_PROBE(probe_exit, exiting)

struct tp_hook {
	const char *name;
	void *probe;
	struct tracepoint *tp;
};

static struct tp_hook hooks[] = {
	{ .name = "sched_process_fork", .probe = probe_fork },
	{ .name = "sched_process_exec", .probe = probe_exec },
	{ .name = "sched_process_exit", .probe = probe_exit },
};

static void find_tracepoint(struct tracepoint *tp, void *priv)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(hooks); i++)
		if (!strcmp(tp->name, hooks[i].name))
			hooks[i].tp = tp;
}

static void unregister_hooks(int n)
{
	while (n--)
		tracepoint_probe_unregister(hooks[n].tp, hooks[n].probe, NULL);
	tracepoint_synchronize_unregister();
}

static int __init process_notify_init(void)
{
	int i, err;

	for_each_kernel_tracepoint(find_tracepoint, NULL);
	for (i = 0; i < ARRAY_SIZE(hooks); i++) {
		err = hooks[i].tp ? 0 : -ENOENT;
		if (!err)
			err = tracepoint_probe_register(hooks[i].tp,
							hooks[i].probe, NULL);
		if (err) {
			pr_err("tracepoint %s: error %d\n", hooks[i].name, err);
			unregister_hooks(i);
			return err;
		}
	}
	return 0;
}

static void __exit process_notify_exit(void)
{
	unregister_hooks(ARRAY_SIZE(hooks));
}

module_init(process_notify_init);
module_exit(process_notify_exit);
MODULE_DESCRIPTION("Hone process event source");
MODULE_AUTHOR("The Hone authors");
MODULE_LICENSE("GPL");
MODULE_VERSION(HONE_VERSION);
