// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The Hone authors.
 *
 * Which processes hold a socket: the tgids with a descriptor for it.
 * The creator (or acceptor) holds it from the start; fork gives it to the
 * child, receiving a descriptor to the receiver; a process loses it when
 * its last descriptor for the socket leaves its file table (close,
 * close-on-exec, dup2 over it) and when it exits (all of them, at the
 * exit tracepoint, while its table is still there). File tables are read locklessly
 * under RCU, as the kernel's own fd lookups do, because the callers run
 * in kprobe and tracepoint handlers.
 */
#include <linux/fdtable.h>
#include <linux/sched.h>
#include <linux/net.h>
#include <linux/spinlock.h>
#include <net/sock.h>

#include "hone.h"
#include "compat.h"
#include "holders.h"
#include "socktable.h"

static int find(const struct hone_sock_rec *rec, pid_t tgid)
{
	int i;

	for (i = 0; i < rec->nholders; i++)
		if (rec->holders[i] == tgid)
			return i;
	return -1;
}

/* True if @tgid was not a holder and now is (false when full). */
bool hone_holders_add(struct hone_sock_rec *rec, pid_t tgid)
{
	unsigned long flags;
	bool added = false;

	raw_spin_lock_irqsave(&rec->lock, flags);
	if (find(rec, tgid) < 0 && rec->nholders < HONE_HOLDERS_MAX) {
		rec->holders[rec->nholders++] = tgid;
		added = true;
	}
	raw_spin_unlock_irqrestore(&rec->lock, flags);
	return added;
}

/* True if @tgid was a holder and no longer is. */
bool hone_holders_del(struct hone_sock_rec *rec, pid_t tgid)
{
	unsigned long flags;
	int i;

	raw_spin_lock_irqsave(&rec->lock, flags);
	i = find(rec, tgid);
	if (i >= 0)
		rec->holders[i] = rec->holders[--rec->nholders];
	raw_spin_unlock_irqrestore(&rec->lock, flags);
	return i >= 0;
}

bool hone_holders_has(struct hone_sock_rec *rec, pid_t tgid)
{
	unsigned long flags;
	bool has;

	raw_spin_lock_irqsave(&rec->lock, flags);
	has = find(rec, tgid) >= 0;
	raw_spin_unlock_irqrestore(&rec->lock, flags);
	return has;
}

void hone_holders_copy(struct hone_sock_rec *rec, struct hone_pkt_event *pe)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&rec->lock, flags);
	pe->nholders = rec->nholders;
	memcpy(pe->holders, rec->holders, rec->nholders * sizeof(pid_t));
	raw_spin_unlock_irqrestore(&rec->lock, flags);
}

/*
 * Does any descriptor of @files still refer to @file, whose descriptor is
 * being closed? Every descriptor holds a reference: when the closing one
 * is the only reference left, no other descriptor anywhere can, and the
 * table is not scanned (the common close, and every close at exit). Any
 * other reference (a dup, a fork's copy, a call in flight on another
 * thread) means a scan of the open descriptors.
 */
bool hone_files_hold(struct files_struct *files, struct file *file)
{
	struct fdtable *fdt;
	unsigned int i;
	bool found = false;

	if (!files || file_count(file) <= 1)
		return false;
	rcu_read_lock();
	fdt = files_fdtable(files);
	for (i = find_first_bit(fdt->open_fds, fdt->max_fds);
	     i < fdt->max_fds && !found;
	     i = find_next_bit(fdt->open_fds, fdt->max_fds, i + 1))
		found = rcu_access_pointer(fdt->fd[i]) == file;
	rcu_read_unlock();
	return found;
}

/*
 * Calls @fn for every socket with a record in @t's file table, from
 * descriptor *@next on, at most @budget descriptors; *@next is where to go
 * on. True when the table is done. Each call is one RCU read section, so a
 * caller that can sleep may cond_resched() between calls.
 */
bool hone_holders_scan_range(struct task_struct *t, unsigned int *next,
			     unsigned int budget,
			     void (*fn)(struct hone_sock_rec *rec,
					struct task_struct *t))
{
	struct files_struct *files = t->files;
	struct hone_sock_rec *rec;
	struct fdtable *fdt;
	struct socket *sock;
	struct file *file;
	unsigned int i;
	bool done = true;

	if (!files)
		return true;
	rcu_read_lock();
	fdt = files_fdtable(files);
	for (i = find_next_bit(fdt->open_fds, fdt->max_fds, *next);
	     i < fdt->max_fds;
	     i = find_next_bit(fdt->open_fds, fdt->max_fds, i + 1)) {
		if (!budget--) {
			done = false;
			break;
		}
		file = rcu_dereference_raw(fdt->fd[i]);
		sock = file ? hone_sock_from_file(file) : NULL;
		if (!sock || !sock->sk)
			continue;
		rec = hone_socktable_lookup(sock->sk);
		if (rec)
			fn(rec, t);
	}
	*next = i;
	rcu_read_unlock();
	return done;
}

/* Calls @fn for every socket with a record in @t's file table. */
void hone_holders_scan(struct task_struct *t,
		       void (*fn)(struct hone_sock_rec *rec,
				  struct task_struct *t))
{
	unsigned int next = 0;

	hone_holders_scan_range(t, &next, UINT_MAX, fn);
}
