// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The Hone authors.
 *
 * Socket events: open and close of inet sockets, and their use: sends
 * (remembered for attribution), reads, and holders gained and lost. The
 * socket table is kept from load on, so that readers opened later know
 * each socket's holders.
 */
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/cred.h>
#include <linux/rcupdate.h>
#include <net/sock.h>

#include "hone.h"
#include "notify.h"
#include "socktable.h"
#include "rawping.h"
#include "mem.h"
#include "holders.h"
#include "attribution.h"

static void fill_task(struct hone_sock_event *se, struct task_struct *t)
{
	const struct cred *cred;

	se->pid = t->tgid;
	se->tid = t->pid;
	rcu_read_lock();
	se->ppid = pid_alive(t) ? rcu_dereference(t->real_parent)->tgid : 0;
	cred = __task_cred(t);
	se->uid = from_kuid_munged(&init_user_ns, cred->euid);
	se->gid = from_kgid_munged(&init_user_ns, cred->egid);
	rcu_read_unlock();
}

/* The task a socket event is about, or NULL when the kernel acts alone. */
static struct task_struct *acting_task(void)
{
	if (!in_task() || (current->flags & PF_KTHREAD))
		return NULL;
	return current;
}

static void sock_fill(struct hone_event *ev, struct sock *sk, u64 id,
		      u64 ino, struct task_struct *t)
{
	struct hone_sock_event *se = &ev->sock;

	memset(ev, 0, sizeof(*ev));
	ev->type = HONE_EV_SOCK;
	se->id = id;
	se->ino = ino;
	se->family = sk->sk_family;
	se->type = sk->sk_type;
	se->protocol = sk->sk_protocol;
	se->netns = sock_net(sk)->ns.inum;
	if (t)
		fill_task(se, t);
}

/*
 * A close is written from the record alone: at the free, the socket's
 * network namespace may already be gone (__sk_destruct drops its
 * reference before the security hook runs).
 */
static void closed(struct hone_sock_rec *rec, struct task_struct *t,
		   u32 flags)
{
	struct hone_event ev;

	hone_rawping_untrack(rec);
	if (hone_have_sinks()) {
		memset(&ev, 0, sizeof(ev));
		ev.type = HONE_EV_SOCK;
		ev.sock.id = rec->id;
		ev.sock.ino = rec->ino;
		ev.sock.family = rec->family;
		ev.sock.type = rec->type;
		ev.sock.protocol = rec->protocol;
		ev.sock.netns = rec->netns;
		ev.sock.flags = flags;
		if (t)
			fill_task(&ev.sock, t);
		hone_publish(&ev);
	}
	hone_rec_free_rcu(rec);
}

/* A record with @t as its first holder. */
static struct hone_sock_rec *rec_new(struct sock *sk, struct socket *sock,
				     struct task_struct *t)
{
	struct hone_sock_rec *rec = hone_rec_alloc(), *stale;

	if (unlikely(!rec))
		return NULL;
	rec->sk = sk;
	rec->id = hone_sock_id(sk);
	rec->ino = SOCK_INODE(sock)->i_ino;
	rec->family = sk->sk_family;
	rec->type = sk->sk_type;
	rec->protocol = sk->sk_protocol;
	rec->netns = sock_net(sk)->ns.inum;
	raw_spin_lock_init(&rec->lock);
	rec->holders[0] = t->tgid;
	rec->nholders = 1;
	if (hone_socktable_insert(rec, &stale)) {
		hone_rec_free(rec);
		rec = NULL;
	} else {
		hone_rawping_track(rec, sk);
	}
	/* A socket whose free was missed: closed late, by the kernel. */
	if (stale)
		closed(stale, NULL, HONE_SOCK_LATE);
	return rec;
}

static void sock_opened(const struct hone_sock_info *info, u32 flags)
{
	struct hone_sock_rec *rec;
	struct hone_event ev;

	if (info->kern || !acting_task())
		return;
	rec = rec_new(info->sk, info->sock, current);
	if (!hone_have_sinks())
		return;
	if (unlikely(!rec)) {
		hone_count_lost(HONE_EV_SOCK);
		return;
	}
	sock_fill(&ev, info->sk, rec->id, rec->ino, current);
	ev.sock.open = true;
	ev.sock.flags = flags;
	hone_publish(&ev);
}

static void sock_freed(struct sock *sk)
{
	struct hone_sock_rec *rec = hone_socktable_remove(sk);

	if (rec)
		closed(rec, acting_task(), 0);
}

/* --- socket use: reads, gaining and losing holders --- */

static void use_fill(struct hone_event *ev, u32 what, u64 sock_id,
		     struct task_struct *t)
{
	struct hone_use_event *use = &ev->use;

	ev->type = HONE_EV_USE;
	use->what = what;
	use->sock_id = sock_id;
	use->pid = t->tgid;
	use->tid = t->pid;
	use->start = hone_task_start(t);
}

static void holder_changed(struct hone_sock_rec *rec, u32 what, u32 via,
			   struct task_struct *t)
{
	struct hone_event ev;

	if (!hone_have_sinks())
		return;
	memset(&ev, 0, sizeof(ev));
	use_fill(&ev, what, rec->id, t);
	ev.use.via = via;
	hone_publish(&ev);
}

void hone_fork_gained(struct hone_sock_rec *rec, struct task_struct *child)
{
	if (hone_holders_add(rec, child->tgid))
		holder_changed(rec, HONE_USE_GAIN, HONE_VIA_FORK, child);
}

void hone_exit_lost(struct hone_sock_rec *rec, struct task_struct *t)
{
	if (hone_holders_del(rec, t->tgid))
		holder_changed(rec, HONE_USE_LOSE, HONE_VIA_EXIT, t);
}

/* A thread consumed data (only reported while a reader is attached). */
static void sock_read(struct hone_sock_rec *rec, struct hone_sock_info *info)
{
	struct hone_event ev;

	memset(&ev, 0, sizeof(ev));
	if (!info->skb) {
		if (!hone_attr_read_stream(rec, info->sk, info->len,
					   info->reads_missed, &ev.use))
			return;
	} else {
		hone_attr_read_dgram(rec, info->skb, info->len, &ev.use);
	}
	if (!hone_have_sinks())
		return;
	use_fill(&ev, HONE_USE_READ, rec->id, current);
	hone_publish(&ev);
}

static void fd_closed(struct hone_sock_rec *rec, struct hone_sock_info *info)
{
	pid_t tgid = current->tgid;

	/*
	 * At exit the whole table is being closed (close_files()): the first
	 * close of a socket is this process's last hold of it; no scan, which
	 * would cost the table's size per close.
	 */
	if (hone_holders_has(rec, tgid) &&
	    ((current->flags & PF_EXITING) ||
	     !hone_files_hold(info->files, info->file)) &&
	    hone_holders_del(rec, tgid))
		holder_changed(rec, HONE_USE_LOSE,
			       current->flags & PF_EXITING ? HONE_VIA_EXIT
							   : HONE_VIA_CLOSE,
			       current);
}

static void sock_used(unsigned long action, struct hone_sock_info *info)
{
	struct hone_sock_rec *rec;

	rcu_read_lock();
	rec = hone_socktable_lookup(info->sk);
	if (!rec)
		goto out;
	switch (action) {
	case HONE_SOCK_SEND:
		hone_attr_send(rec, info->sk, current);
		break;
	case HONE_SOCK_READ:
		sock_read(rec, info);
		break;
	case HONE_SOCK_FD_RECEIVED:
		if (hone_holders_add(rec, current->tgid))
			holder_changed(rec, HONE_USE_GAIN, HONE_VIA_RECEIVED,
				       current);
		break;
	case HONE_SOCK_FD_CLOSED:
		fd_closed(rec, info);
		break;
	}
out:
	rcu_read_unlock();
}

static int on_socket(struct notifier_block *nb, unsigned long action,
		     void *data)
{
	struct hone_sock_info *info = data;

	if (action == HONE_SOCK_CREATE)
		sock_opened(info, 0);
	else if (action == HONE_SOCK_ACCEPT)
		sock_opened(info, HONE_SOCK_ACCEPTED);
	else if (action == HONE_SOCK_FREE)
		sock_freed(info->sk);
	else
		sock_used(action, info);
	return NOTIFY_OK;
}

/*
 * Snapshot of a socket held by @t (process context, no locks held).
 * A socket Hone has no record of (it predates hone_notify) is adopted
 * with this process as its holder; a known one learns of this holder.
 */
struct hone_event *hone_snapshot_sock_event(struct task_struct *t,
					    struct socket *sock)
{
	struct sock *sk = sock->sk;
	struct hone_event *ev;

	if (!sk || (sk->sk_family != AF_INET && sk->sk_family != AF_INET6))
		return NULL;
	if (!rec_new(sk, sock, t)) {
		struct hone_sock_rec *rec;

		rcu_read_lock();
		rec = hone_socktable_lookup(sk);
		if (rec)
			hone_holders_add(rec, t->tgid);
		rcu_read_unlock();
	}
	ev = kmalloc(sizeof(*ev), GFP_KERNEL);
	if (!ev)
		return NULL;
	sock_fill(ev, sk, hone_sock_id(sk), SOCK_INODE(sock)->i_ino, t);
	INIT_LIST_HEAD(&ev->snap);
	ev->sock.open = true;
	ev->sock.flags = HONE_SOCK_SNAPSHOT;
	ev->ts = t->start_time;
	return ev;
}
EXPORT_SYMBOL_GPL(hone_snapshot_sock_event);

static struct notifier_block socket_nb = { .notifier_call = on_socket };

int hone_sock_events_init(void)
{
	return hone_socket_notifier_register(&socket_nb);
}

void hone_sock_events_uninit(void)
{
	hone_socket_notifier_unregister(&socket_nb);
	hone_rawping_uninit();
}
