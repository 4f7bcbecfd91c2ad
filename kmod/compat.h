/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2026 The Hone authors.
 *
 * Every kernel-version difference Hone deals with, in one place. The
 * HONE_HAVE_* and HONE_COMPAT_* macros come from Kbuild, which greps the
 * target kernel's headers; nothing here tests a version number.
 */
#ifndef _HONE_COMPAT_H
#define _HONE_COMPAT_H

#include <linux/fs.h>
#include <linux/file.h>
#include <linux/net.h>
#include <linux/device.h>
#include <linux/mm.h>
#include <linux/rcupdate.h>
#include <linux/module.h>
#include <net/inet_hashtables.h>
#include <net/inet6_hashtables.h>
#include <net/udp.h>

/*
 * sched_process_exit gained "bool group_dead" (7.x). Before, the group is
 * dead when signal->live, decremented earlier in do_exit(), reached zero.
 */
#ifdef HONE_HAVE_EXIT_GROUP_DEAD
#define HONE_EXIT_PROBE(name, handler)					\
static void name(void *data, struct task_struct *t, bool group_dead)	\
{									\
	handler(t, group_dead);						\
}
#else
#define HONE_EXIT_PROBE(name, handler)					\
static void name(void *data, struct task_struct *t)			\
{									\
	handler(t, atomic_read(&t->signal->live) == 0);			\
}
#endif

/* class_create() lost its owner argument (6.4). */
#ifdef HONE_HAVE_CLASS_CREATE_NAME_ONLY
#define hone_class_create(name)	class_create(name)
#else
#define hone_class_create(name)	class_create(THIS_MODULE, name)
#endif

/* struct class's devnode() takes a const device (6.2). */
#ifdef HONE_HAVE_DEVNODE_CONST
#define HONE_DEVNODE_CONST const
#else
#define HONE_DEVNODE_CONST
#endif

/* sock_from_file() lost its error argument (5.12). */
#ifdef HONE_HAVE_SOCK_FROM_FILE_ERR
static inline struct socket *hone_sock_from_file(struct file *file)
{
	int err;

	return sock_from_file(file, &err);
}
#else
#define hone_sock_from_file(file)	sock_from_file(file)
#endif

/*
 * A counted reference to mm->exe_file; get_mm_exe_file() is not exported
 * after 5.10. get_file_rcu() takes the __rcu pointer's address from 6.7.
 */
static inline struct file *hone_mm_exe_file(struct mm_struct *mm)
{
	struct file *file;

	rcu_read_lock();
#ifdef HONE_HAVE_GET_FILE_RCU_PP
	file = get_file_rcu(&mm->exe_file);
#else
	file = rcu_dereference(mm->exe_file);
	if (file && !get_file_rcu(file))
		file = NULL;
#endif
	rcu_read_unlock();
	return file;
}

/*
 * PREEMPT_RT: the slab allocator takes sleeping locks, so tracepoint and
 * kprobe handlers (preemption disabled) must not allocate.
 */
#define HONE_HOOKS_CANNOT_ALLOC	IS_ENABLED(CONFIG_PREEMPT_RT)

/*
 * The socket a TCP reply sent by the kernel speaks for: the timewait
 * socket whose ACK of the peer's FIN or RST it is, or the listener that
 * answered a segment of no connection (a late ACK after both ends closed)
 * with a RST. Before 6.13 these leave through a control socket (IPv4:
 * skb->sk is that kernel socket; IPv6: skb->sk is NULL) and the socket has
 * to be looked up by the reply's addresses, remote end first: in the
 * established table, which holds timewait sockets, then among the
 * listeners. From 6.13 ip_send_unicast_reply() takes the original socket
 * and skb->sk is that socket: nothing to do.
 * Returns a reference (sock_gen_put()) or NULL.
 */
#ifdef HONE_HAVE_REPLY_ORIG_SK
static inline struct sock *hone_tcp_reply_sk4(struct net *net, __be32 raddr,
					       __be16 rport, __be32 laddr,
					       __be16 lport, int dif)
{
	return NULL;
}

static inline struct sock *
hone_tcp_reply_sk6(struct net *net, const struct in6_addr *raddr,
		   __be16 rport, const struct in6_addr *laddr, __be16 lport,
		   int dif)
{
	return NULL;
}
#else
/* A listener is found without a reference (it is freed after RCU): take one. */
static inline struct sock *hone_listener_ref(struct sock *sk)
{
	if (sk && !refcount_inc_not_zero(&sk->sk_refcnt))
		return NULL;
	return sk;
}

static inline struct sock *hone_tcp_reply_sk4(struct net *net, __be32 raddr,
					       __be16 rport, __be32 laddr,
					       __be16 lport, int dif)
{
	struct inet_hashinfo *h = net->ipv4.tcp_death_row.hashinfo;
	struct sock *sk;

	sk = __inet_lookup_established(net, h, raddr, rport, laddr,
				       ntohs(lport), dif, 0);
	if (sk)
		return sk;
	return hone_listener_ref(__inet_lookup_listener(net, h, NULL, 0,
							raddr, rport, laddr,
							ntohs(lport), dif, 0));
}

static inline struct sock *
hone_tcp_reply_sk6(struct net *net, const struct in6_addr *raddr,
		   __be16 rport, const struct in6_addr *laddr, __be16 lport,
		   int dif)
{
#if IS_ENABLED(CONFIG_IPV6)
	struct inet_hashinfo *h = net->ipv4.tcp_death_row.hashinfo;
	struct sock *sk;

	sk = __inet6_lookup_established(net, h, raddr, rport, laddr,
					ntohs(lport), dif, 0);
	if (sk)
		return sk;
	return hone_listener_ref(inet6_lookup_listener(net, h, NULL, 0, raddr,
						       rport, laddr,
						       ntohs(lport), dif, 0));
#else
	return NULL;
#endif
}
#endif

/*
 * The kernel's own UDP socket lookup, with the packet (a SO_REUSEPORT
 * group's BPF program chooses by it). It lost its table argument in 7.x;
 * before, the table is per network namespace from 6.2, global earlier.
 */
#ifdef HONE_HAVE_UDP_LOOKUP_NO_TABLE
#define hone_udp4_lookup(net, sa, sp, da, dp, dif, sdif, skb)		\
	__udp4_lib_lookup(net, sa, sp, da, dp, dif, sdif, skb)
#define hone_udp6_lookup(net, sa, sp, da, dp, dif, sdif, skb)		\
	__udp6_lib_lookup(net, sa, sp, da, dp, dif, sdif, skb)
#else
static inline struct udp_table *hone_udp_table(const struct net *net)
{
#ifdef HONE_HAVE_NETNS_UDP_TABLE
	return net->ipv4.udp_table;
#else
	return &udp_table;
#endif
}
#define hone_udp4_lookup(net, sa, sp, da, dp, dif, sdif, skb)		\
	__udp4_lib_lookup(net, sa, sp, da, dp, dif, sdif,		\
			  hone_udp_table(net), skb)
#define hone_udp6_lookup(net, sa, sp, da, dp, dif, sdif, skb)		\
	__udp6_lib_lookup(net, sa, sp, da, dp, dif, sdif,		\
			  hone_udp_table(net), skb)
#endif

/* fprobe (its header exists only where the kernel has it). */
#if IS_ENABLED(CONFIG_FPROBE)
#include <linux/fprobe.h>
#endif

/* fprobe handlers get ftrace_regs from 6.15, pt_regs before. */
#ifdef HONE_HAVE_FPROBE_FTRACE_REGS
#define HONE_FPROBE_REGS		struct ftrace_regs
#define hone_fprobe_arg(regs, n)	ftrace_regs_get_argument(regs, n)
#else
#define HONE_FPROBE_REGS		struct pt_regs
#define hone_fprobe_arg(regs, n)	regs_get_kernel_argument(regs, n)
#endif

/* vm_flags became read-only outside helpers (6.3). */
#ifdef HONE_HAVE_VM_FLAGS_CLEAR
#define hone_vma_no_write(vma)	vm_flags_clear(vma, VM_MAYWRITE)
#else
#define hone_vma_no_write(vma)	((vma)->vm_flags &= ~VM_MAYWRITE)
#endif

#endif /* _HONE_COMPAT_H */
