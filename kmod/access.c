// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The Hone authors.
 *
 * Who may open the devices. A reader sees every process's command line
 * and every packet's payload, so by default only a task with CAP_NET_ADMIN
 * in the initial user namespace (root has it) may open them. The nodes
 * are 0444 so that such a task without CAP_DAC_OVERRIDE (a service given
 * only CAP_NET_ADMIN) reaches this check at all; the check, not the mode,
 * is the policy.
 *
 * A group is given read access only on purpose: a udev rule the user
 * installs (kmod/60-hone.rules) sets the node's group and a mode that
 * grants that group read; members of a group other than root then pass.
 *
 * Events are not scoped by network namespace (process events belong to
 * none), so an opener outside the initial network namespace is refused
 * whatever its capabilities.
 */
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/fs.h>
#include <linux/nsproxy.h>
#include <linux/sched.h>
#include <net/net_namespace.h>

#include "reader.h"

static bool group_granted(const struct inode *inode)
{
	return !gid_eq(inode->i_gid, GLOBAL_ROOT_GID) &&
	       (inode->i_mode & 0040) && in_group_p(inode->i_gid);
}

static int refuse(const char *why)
{
	pr_info_ratelimited("open by %s[%d] refused: %s\n", current->comm,
			    task_tgid_nr(current), why);
	return -EPERM;
}

int hone_may_open(const struct inode *inode)
{
	if (!net_eq(current->nsproxy->net_ns, &init_net))
		return refuse("not in the initial network namespace");
	if (group_granted(inode) || capable(CAP_NET_ADMIN))
		return 0;
	return refuse("needs CAP_NET_ADMIN or the device's group (udev rule)");
}
