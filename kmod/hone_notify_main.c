// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The Hone authors.
 *
 * The event core: subscribes to the three sources, keeps the per-socket
 * table, builds refcounted events and hands each to every sink (reader).
 * Events are only built while a sink exists; the socket table is kept
 * from load on, so that readers opened later know each socket's creator.
 */
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/cred.h>
#include <linux/skbuff.h>
#include <linux/slab.h>
#include <linux/sock_diag.h>
#include <linux/rculist.h>
#include <net/sock.h>
#include <net/tcp.h>
#include <net/netfilter/nf_conntrack.h>

#include "hone.h"
#include "procinfo.h"
#include "socktable.h"
#include "rawping.h"
#include "mem.h"
#include "holders.h"
#include "attribution.h"

static LIST_HEAD(sinks);
static DEFINE_MUTEX(sinks_lock);

static struct {
	atomic64_t pkt_received, pkt_dropped;
	atomic64_t proc_received, proc_dropped;
	atomic64_t sock_received, sock_dropped;
	atomic64_t pkt_ids;
	u64 start_ns;
} stats;

void hone_sink_add(struct hone_sink *sink)
{
	mutex_lock(&sinks_lock);
	list_add_tail_rcu(&sink->node, &sinks);
	mutex_unlock(&sinks_lock);
}
EXPORT_SYMBOL_GPL(hone_sink_add);

/* After this returns, deliver() is not running and will not run again. */
void hone_sink_del(struct hone_sink *sink)
{
	mutex_lock(&sinks_lock);
	list_del_rcu(&sink->node);
	mutex_unlock(&sinks_lock);
	synchronize_rcu();
}
EXPORT_SYMBOL_GPL(hone_sink_del);

void hone_event_put(struct hone_event *ev)
{
	if (!refcount_dec_and_test(&ev->ref))
		return;
	if (ev->type == HONE_EV_PKT)
		consume_skb(ev->pkt.skb);
	hone_event_free(ev);
}
EXPORT_SYMBOL_GPL(hone_event_put);

void hone_counters_read(struct hone_counters *c)
{
	c->pkt_received = atomic64_read(&stats.pkt_received);
	c->pkt_dropped = atomic64_read(&stats.pkt_dropped);
	c->proc_received = atomic64_read(&stats.proc_received);
	c->proc_dropped = atomic64_read(&stats.proc_dropped);
	c->sock_received = atomic64_read(&stats.sock_received);
	c->sock_dropped = atomic64_read(&stats.sock_dropped);
	c->start_ns = stats.start_ns;
}
EXPORT_SYMBOL_GPL(hone_counters_read);

/* The socket's SO_COOKIE, generated here if user space never asked. */
u64 hone_sock_id(struct sock *sk)
{
	u32 cookie[2];

	sock_diag_save_cookie(sk, cookie);
	return (u64)cookie[1] << 32 | cookie[0];
}
EXPORT_SYMBOL_GPL(hone_sock_id);

static bool have_sinks(void)
{
	return !list_empty_careful(&sinks);
}

/* Hands the creator's reference over; called in any context. */
static void fan_out(struct hone_event *ev)
{
	struct hone_sink *sink;

	rcu_read_lock();
	list_for_each_entry_rcu(sink, &sinks, node)
		sink->deliver(sink, ev);
	rcu_read_unlock();
	hone_event_put(ev);
}

/* --- processes --- */

static bool proc_wanted(unsigned long action, const struct hone_proc_info *i)
{
	if (action == HONE_PROC_FORK)
		return thread_group_leader(i->task);
	if (action == HONE_PROC_EXIT)
		return i->group_dead;
	return true;
}

static void sock_publish(struct hone_event *ev);
static void fork_gained(struct hone_sock_rec *rec, struct task_struct *child);
static void exit_lost(struct hone_sock_rec *rec, struct task_struct *t);

static int on_process(struct notifier_block *nb, unsigned long action,
		      void *data)
{
	struct hone_proc_info *info = data;
	struct hone_event *ev;

	if (!proc_wanted(action, info))
		return NOTIFY_DONE;
	if (have_sinks()) {
		atomic64_inc(&stats.proc_received);
		ev = hone_proc_event_live(action, info);
		if (likely(ev))
			fan_out(ev);
		else
			atomic64_inc(&stats.proc_dropped);
	}
	/*
	 * After the fork block: the child exists before it holds anything.
	 * At exit the descriptors are still there (closed later, by a path
	 * that differs between versions): they are all lost now.
	 */
	if (action == HONE_PROC_FORK)
		hone_holders_scan(info->task, fork_gained);
	else if (action == HONE_PROC_EXIT)
		hone_holders_scan(info->task, exit_lost);
	return NOTIFY_OK;
}

/* --- sockets --- */

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

static struct hone_event *sock_event(struct sock *sk, u64 id, u64 ino,
				     struct task_struct *t, gfp_t gfp)
{
	struct hone_event *ev = hone_event_alloc(HONE_EV_SOCK, 0, gfp);
	struct hone_sock_event *se;

	if (unlikely(!ev))
		return NULL;
	se = &ev->sock;
	se->id = id;
	se->ino = ino;
	se->family = sk->sk_family;
	se->type = sk->sk_type;
	se->protocol = sk->sk_protocol;
	se->netns = sock_net(sk)->ns.inum;
	if (t)
		fill_task(se, t);
	return ev;
}

static void sock_publish(struct hone_event *ev)
{
	atomic64_inc(&stats.sock_received);
	if (unlikely(!ev)) {
		atomic64_inc(&stats.sock_dropped);
		return;
	}
	fan_out(ev);
}

/* A record with @t as its first holder. */
static struct hone_sock_rec *rec_new(struct sock *sk, struct socket *sock,
				     struct task_struct *t)
{
	struct hone_sock_rec *rec = hone_rec_alloc();

	if (unlikely(!rec))
		return NULL;
	rec->sk = sk;
	rec->id = hone_sock_id(sk);
	rec->ino = SOCK_INODE(sock)->i_ino;
	raw_spin_lock_init(&rec->lock);
	rec->holders[0] = t->tgid;
	rec->nholders = 1;
	if (hone_socktable_insert(rec)) {
		hone_rec_free(rec);
		return NULL;
	}
	hone_rawping_track(rec, sk);
	return rec;
}

static void sock_opened(const struct hone_sock_info *info, u32 flags)
{
	struct hone_sock_rec *rec;
	struct hone_event *ev;

	if (info->kern || !acting_task())
		return;
	rec = rec_new(info->sk, info->sock, current);
	if (!rec || !have_sinks())
		return;
	ev = sock_event(info->sk, rec->id, rec->ino, current, HONE_GFP_HOOK);
	if (ev) {
		ev->sock.open = true;
		ev->sock.flags = flags;
	}
	sock_publish(ev);
}

static void sock_freed(struct sock *sk)
{
	struct hone_sock_rec *rec = hone_socktable_remove(sk);

	if (!rec)
		return;
	hone_rawping_untrack(rec);
	if (have_sinks())
		sock_publish(sock_event(sk, rec->id, rec->ino, acting_task(),
					HONE_GFP_HOOK));
	hone_rec_free_rcu(rec);
}

/* --- socket use: reads, gaining and losing holders --- */

static void use_fill(struct hone_use_event *use, u32 what, u64 sock_id,
		     struct task_struct *t)
{
	use->what = what;
	use->sock_id = sock_id;
	use->pid = t->tgid;
	use->tid = t->pid;
	use->start = hone_task_start(t);
}

static struct hone_event *use_event(u32 what, u64 sock_id,
				    struct task_struct *t)
{
	struct hone_event *ev = hone_event_alloc(HONE_EV_USE, 0,
						 HONE_GFP_HOOK);

	if (likely(ev))
		use_fill(&ev->use, what, sock_id, t);
	return ev;
}

static void holder_changed(struct hone_sock_rec *rec, u32 what, u32 via,
			   struct task_struct *t)
{
	struct hone_event *ev;

	if (!have_sinks())
		return;
	ev = use_event(what, rec->id, t);
	if (ev)
		ev->use.via = via;
	sock_publish(ev);
}

static void fork_gained(struct hone_sock_rec *rec, struct task_struct *child)
{
	if (hone_holders_add(rec, child->tgid))
		holder_changed(rec, HONE_USE_GAIN, HONE_VIA_FORK, child);
}

static void exit_lost(struct hone_sock_rec *rec, struct task_struct *t)
{
	if (hone_holders_del(rec, t->tgid))
		holder_changed(rec, HONE_USE_LOSE, HONE_VIA_EXIT, t);
}

/*
 * A thread consumed data. The stream position is kept even with no
 * reader, so that a reader opened later gets exact ranges.
 */
static void sock_read(struct hone_sock_rec *rec, struct hone_sock_info *info)
{
	struct hone_use_event use = {};
	struct hone_event *ev;

	if (!info->skb) {
		if (!hone_attr_read_stream(rec, info->sk, info->len, &use))
			return;
	} else if (have_sinks()) {
		hone_attr_read_dgram(rec, info->skb, info->len, &use);
	}
	if (!have_sinks())
		return;
	use_fill(&use, HONE_USE_READ, rec->id, current);
	ev = hone_event_alloc(HONE_EV_USE, 0, HONE_GFP_HOOK);
	if (likely(ev))
		ev->use = use;
	sock_publish(ev);
}

static void sock_used(unsigned long action, struct hone_sock_info *info)
{
	struct hone_sock_rec *rec;
	pid_t tgid = current->tgid;

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
		if (hone_holders_add(rec, tgid))
			holder_changed(rec, HONE_USE_GAIN, HONE_VIA_RECEIVED,
				       current);
		break;
	case HONE_SOCK_FD_CLOSED:
		if (hone_holders_has(rec, tgid) &&
		    !hone_files_hold(info->files, info->file) &&
		    hone_holders_del(rec, tgid))
			holder_changed(rec, HONE_USE_LOSE,
				       current->flags & PF_EXITING ?
				       HONE_VIA_EXIT : HONE_VIA_CLOSE,
				       current);
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
 * Snapshot of a socket held by @t; called with @t's file table locked.
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
	ev = sock_event(sk, hone_sock_id(sk), SOCK_INODE(sock)->i_ino, t,
			GFP_ATOMIC);
	if (ev) {
		ev->sock.open = true;
		ev->sock.flags = HONE_SOCK_SNAPSHOT;
		ev->ts = t->start_time;
	}
	return ev;
}
EXPORT_SYMBOL_GPL(hone_snapshot_sock_event);

/* --- packets --- */

static void pkt_owner(struct hone_pkt_event *pe, struct sock *sk,
		      const struct sk_buff *skb)
{
	struct hone_sock_rec *rec;

	pe->has_sock = true;
	rcu_read_lock();
	rec = sk_fullsock(sk) ? hone_socktable_lookup(sk) : NULL;
	if (rec) {
		pe->sock_id = rec->id;
		hone_attr_packet(pe, rec, sk, skb);
	}
	rcu_read_unlock();
	if (!rec)
		pe->sock_id = hone_sock_id(sk);
}

/* Inbound packets the netfilter lookup missed: raw and ping sockets. */
static void pkt_rawping(struct hone_pkt_event *pe,
			const struct hone_pkt_info *info)
{
	struct hone_sock_rec *rec;

	rcu_read_lock();
	rec = hone_rawping_lookup(info->net, info->skb);
	if (rec) {
		pe->has_sock = true;
		pe->sock_id = rec->id;
		hone_attr_packet(pe, rec, (struct sock *)rec->sk, info->skb);
	}
	rcu_read_unlock();
}

static struct sk_buff *pkt_clone(struct sk_buff *skb)
{
	struct sk_buff *clone = skb_clone(skb, GFP_ATOMIC);

	if (unlikely(!clone))
		return NULL;
	/* Keep nothing alive but the data: no route, device or conntrack. */
	skb_dst_drop(clone);
	nf_reset_ct(clone);
	clone->dev = NULL;
	return clone;
}

static int on_packet(struct notifier_block *nb, unsigned long action,
		     void *data)
{
	struct hone_pkt_info *info = data;
	struct hone_event *ev;

	if (!have_sinks())
		return NOTIFY_DONE;
	atomic64_inc(&stats.pkt_received);
	ev = hone_event_alloc(HONE_EV_PKT, 0, GFP_ATOMIC);
	if (likely(ev))
		ev->pkt.skb = pkt_clone(info->skb);
	if (unlikely(!ev || !ev->pkt.skb)) {
		if (ev)
			hone_event_free(ev);
		atomic64_inc(&stats.pkt_dropped);
		return NOTIFY_DONE;
	}
	ev->pkt.dir = info->dir;
	ev->pkt.netns = info->net->ns.inum;
	ev->pkt.id = atomic64_inc_return(&stats.pkt_ids);
	if (info->sk)
		pkt_owner(&ev->pkt, info->sk, info->skb);
	else if (info->dir == HONE_PKT_IN)
		pkt_rawping(&ev->pkt, info);
	fan_out(ev);
	return NOTIFY_OK;
}

static struct notifier_block socket_nb = { .notifier_call = on_socket };
static struct notifier_block process_nb = { .notifier_call = on_process };
static struct notifier_block packet_nb = { .notifier_call = on_packet };

static int __init hone_notify_init(void)
{
	int err;

	stats.start_ns = ktime_get_real_ns();
	err = hone_mem_init();
	if (err)
		goto err_out;
	err = hone_procinfo_init();
	if (err)
		goto err_mem;
	err = hone_socktable_init();
	if (err)
		goto err_procinfo;
	err = hone_socket_notifier_register(&socket_nb);
	if (err)
		goto err_socktable;
	err = hone_process_notifier_register(&process_nb);
	if (err)
		goto err_socket;
	err = hone_packet_notifier_register(&packet_nb);
	if (err)
		goto err_process;
	return 0;

err_process:
	hone_process_notifier_unregister(&process_nb);
err_socket:
	hone_socket_notifier_unregister(&socket_nb);
err_socktable:
	hone_socktable_uninit();
err_procinfo:
	hone_procinfo_uninit();
err_mem:
	hone_mem_uninit();
err_out:
	pr_err("event core: error %d\n", err);
	return err;
}

static void __exit hone_notify_exit(void)
{
	hone_packet_notifier_unregister(&packet_nb);
	hone_process_notifier_unregister(&process_nb);
	hone_socket_notifier_unregister(&socket_nb);
	hone_rawping_uninit();
	hone_socktable_uninit();
	hone_procinfo_uninit();
	hone_mem_uninit();
}

module_init(hone_notify_init);
module_exit(hone_notify_exit);
MODULE_DESCRIPTION("Hone event core: events, per-socket table, fan-out");
MODULE_AUTHOR("The Hone authors");
MODULE_LICENSE("GPL");
MODULE_VERSION(HONE_VERSION);
