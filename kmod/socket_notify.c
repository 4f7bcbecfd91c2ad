// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The Hone authors.
 *
 * Socket event source. No tracepoint reports socket creation, accept or
 * destruction, so this uses kprobes on three LSM entry points, which run
 * whether or not an LSM is active:
 *   security_socket_post_create(sock, family, type, protocol, kern)
 *	every socket(2) and kernel socket, in the creator's context;
 *   security_sock_graft(sk, parent)
 *	an accept()ed socket joins its struct socket, in the acceptor's context;
 *   security_sk_free(sk)
 *	the last step of a struct sock's destruction, in any context.
 * and, for attribution, on exported functions each protocol calls through
 * an ops table or from another file (so never inlined away):
 *   tcp_sendmsg_locked(sk, msg, size)	a TCP send begins, socket locked;
 *   tcp_recvmsg() returning > 0		a TCP read consumed data;
 *   skb_consume_udp(sk, skb, len)	a UDP datagram read (len <= 0: peek);
 *   skb_free_datagram(sk, skb)		a raw or ping datagram read (still
 *					queued: a peek);
 *   security_file_receive(file)		a descriptor arrives (SCM_RIGHTS);
 *   filp_close(file, files)		a descriptor left a file table
 *					(close-on-exec, dup2, exit; close()
 *					before 6.8);
 *   file_close_fd() returning a file	close() from 6.8 (optional);
 *   do_tcp_sendpages(sk, ...)		sendfile() before 6.5 (optional);
 *   tcp_splice_read() returning > 0	splice() from a TCP socket (its
 *					own tcp_read_sock() call is inlined).
 * Nothing in the socket is modified and no reference is held per socket.
 * The probes on the data path (sends and reads) are armed only while a
 * reader is attached; the others always are.
 */
#include <linux/module.h>
#include <linux/kprobes.h>
#include <linux/net.h>
#include <linux/mutex.h>
#include <net/sock.h>

#include "compat.h"

#include "hone.h"

static ATOMIC_NOTIFIER_HEAD(socket_chain);

int hone_socket_notifier_register(struct notifier_block *nb)
{
	return atomic_notifier_chain_register(&socket_chain, nb);
}
EXPORT_SYMBOL_GPL(hone_socket_notifier_register);

int hone_socket_notifier_unregister(struct notifier_block *nb)
{
	return atomic_notifier_chain_unregister(&socket_chain, nb);
}
EXPORT_SYMBOL_GPL(hone_socket_notifier_unregister);

static bool is_inet(const struct sock *sk)
{
	return sk && (sk->sk_family == AF_INET || sk->sk_family == AF_INET6);
}

static void *arg(struct pt_regs *regs, unsigned int n)
{
	return (void *)regs_get_kernel_argument(regs, n);
}

static int on_post_create(struct kprobe *p, struct pt_regs *regs)
{
	struct socket *sock = arg(regs, 0);
	struct hone_sock_info info = {
		.sock = sock,
		.sk = sock ? sock->sk : NULL,
		.kern = regs_get_kernel_argument(regs, 4) != 0,
	};

	if (is_inet(info.sk))
		atomic_notifier_call_chain(&socket_chain, HONE_SOCK_CREATE,
					   &info);
	return 0;
}

static int on_graft(struct kprobe *p, struct pt_regs *regs)
{
	struct hone_sock_info info = {
		.sk = arg(regs, 0),
		.sock = arg(regs, 1),
	};

	if (is_inet(info.sk) && info.sock)
		atomic_notifier_call_chain(&socket_chain, HONE_SOCK_ACCEPT,
					   &info);
	return 0;
}

static void sk_freed(struct sock *sk)
{
	struct hone_sock_info info = { .sk = sk };

	if (is_inet(info.sk))
		atomic_notifier_call_chain(&socket_chain, HONE_SOCK_FREE,
					   &info);
}

static int on_sk_free(struct kprobe *p, struct pt_regs *regs)
{
	sk_freed(arg(regs, 0));
	return 0;
}

static void notify(unsigned long action, struct hone_sock_info *info)
{
	atomic_notifier_call_chain(&socket_chain, action, info);
}

/* The thread a read or send is done by; NULL in softirq or kthreads. */
static bool user_task(void)
{
	return in_task() && !(current->flags & PF_KTHREAD);
}

static int on_tcp_send(struct kprobe *p, struct pt_regs *regs)
{
	struct hone_sock_info info = { .sk = arg(regs, 0) };

	if (user_task() && is_inet(info.sk))
		notify(HONE_SOCK_SEND, &info);
	return 0;
}

static int on_tcp_recv_entry(struct kretprobe_instance *ri,
			     struct pt_regs *regs)
{
	*(struct sock **)ri->data = arg(regs, 0);
	return 0;
}

static int on_splice_read_entry(struct kretprobe_instance *ri,
				struct pt_regs *regs)
{
	struct socket *sock = arg(regs, 0);

	*(struct sock **)ri->data = sock ? sock->sk : NULL;
	return 0;
}

static struct kretprobe tcp_recv_probe, tcp_splice_probe;

/* Stream reads whose probe found no free instance: never seen. */
static unsigned long stream_reads_missed(void)
{
	return tcp_recv_probe.nmissed + tcp_splice_probe.nmissed;
}

static int on_tcp_recv_return(struct kretprobe_instance *ri,
			      struct pt_regs *regs)
{
	struct hone_sock_info info = {
		.sk = *(struct sock **)ri->data,
		.len = (int)regs_return_value(regs),
		.reads_missed = stream_reads_missed(),
	};

	if (info.len > 0 && user_task() && is_inet(info.sk))
		notify(HONE_SOCK_READ, &info);
	return 0;
}

static int on_udp_consume(struct kprobe *p, struct pt_regs *regs)
{
	struct hone_sock_info info = {
		.sk = arg(regs, 0),
		.skb = arg(regs, 1),
		.len = (int)regs_get_kernel_argument(regs, 2),
	};

	if (info.len > 0 && info.skb && user_task() && is_inet(info.sk))
		notify(HONE_SOCK_READ, &info);
	return 0;
}

static int on_datagram_free(struct kprobe *p, struct pt_regs *regs)
{
	struct hone_sock_info info = { .sk = arg(regs, 0), .skb = arg(regs, 1) };

	/* A dequeued skb is unlinked; a peeked one is still queued. */
	if (!info.skb || info.skb->next || !user_task() || !is_inet(info.sk))
		return 0;
	info.len = info.skb->len;
	notify(HONE_SOCK_READ, &info);
	return 0;
}

/* The inet socket of a file, filled into @info. */
static bool file_sock(struct file *file, struct hone_sock_info *info)
{
	info->file = file;
	info->sock = file ? hone_sock_from_file(file) : NULL;
	info->sk = info->sock ? info->sock->sk : NULL;
	return is_inet(info->sk);
}

static int on_file_receive(struct kprobe *p, struct pt_regs *regs)
{
	struct hone_sock_info info = {};

	if (user_task() && file_sock(arg(regs, 0), &info))
		notify(HONE_SOCK_FD_RECEIVED, &info);
	return 0;
}

static int on_filp_close(struct kprobe *p, struct pt_regs *regs)
{
	struct hone_sock_info info = { .files = arg(regs, 1) };

	if (info.files && file_sock(arg(regs, 0), &info))
		notify(HONE_SOCK_FD_CLOSED, &info);
	return 0;
}

static int on_file_close_fd_return(struct kretprobe_instance *ri,
				   struct pt_regs *regs)
{
	struct hone_sock_info info = { .files = current->files };
	struct file *file = (struct file *)regs_return_value(regs);

	if (!IS_ERR_OR_NULL(file) && info.files && file_sock(file, &info))
		notify(HONE_SOCK_FD_CLOSED, &info);
	return 0;
}

/* Always armed: they keep the socket table and the holder sets right. */
static struct kprobe lifecycle[] = {
	{ .symbol_name = "security_socket_post_create",
	  .pre_handler = on_post_create },
	{ .symbol_name = "security_sock_graft", .pre_handler = on_graft },
	{ .symbol_name = "security_file_receive",
	  .pre_handler = on_file_receive },
	{ .symbol_name = "filp_close", .pre_handler = on_filp_close },
};

/* Armed only while a reader is attached (hone_socket_data_probes()). */
static struct kprobe data[] = {
	{ .symbol_name = "tcp_sendmsg_locked", .pre_handler = on_tcp_send,
	  .flags = KPROBE_FLAG_DISABLED },
	{ .symbol_name = "skb_consume_udp", .pre_handler = on_udp_consume,
	  .flags = KPROBE_FLAG_DISABLED },
	{ .symbol_name = "skb_free_datagram",
	  .pre_handler = on_datagram_free, .flags = KPROBE_FLAG_DISABLED },
};

static struct kprobe *lifecycle_list[ARRAY_SIZE(lifecycle)];
static struct kprobe *data_list[ARRAY_SIZE(data)];

/*
 * A stream read holds an instance while it blocks: this many threads may
 * wait in recv() at once before reads go unseen (counted, and the next
 * read of a socket then reports only its own bytes).
 */
#define HONE_READS_MAXACTIVE	1024

static struct kretprobe tcp_recv_probe = {
	.kp.symbol_name = "tcp_recvmsg",
	.kp.flags = KPROBE_FLAG_DISABLED,
	.entry_handler = on_tcp_recv_entry,
	.handler = on_tcp_recv_return,
	.data_size = sizeof(struct sock *),
	.maxactive = HONE_READS_MAXACTIVE,
};

static struct kretprobe tcp_splice_probe = {
	.kp.symbol_name = "tcp_splice_read",
	.kp.flags = KPROBE_FLAG_DISABLED,
	.entry_handler = on_splice_read_entry,
	.handler = on_tcp_recv_return,
	.data_size = sizeof(struct sock *),
	.maxactive = HONE_READS_MAXACTIVE,
};

/* Only from 6.8, where close() no longer goes through filp_close(). */
static struct kretprobe close_fd_probe = {
	.kp.symbol_name = "file_close_fd",
	.handler = on_file_close_fd_return,
	.maxactive = 64,
};

/* Only before 6.5, where sendfile() had its own path into TCP. */
static struct kprobe sendpages_probe = {
	.symbol_name = "do_tcp_sendpages",
	.pre_handler = on_tcp_send,
	.flags = KPROBE_FLAG_DISABLED,
};

/*
 * A socket's end. Most frees happen in softirq (TCP leaving TIME_WAIT's
 * path, RCU callbacks for UDP), which can run inside any of the kprobe
 * handlers above; a kprobe hit while another kprobe's handler runs on the
 * CPU is skipped (only counted), and a missed free leaves a stale record.
 * fprobe's recursion guard is per context, so a softirq inside a task's
 * handler is not missed: where the kernel has fprobe, it is used here.
 * (A missed free is still caught later: see hone_socktable_insert().)
 */
static struct kprobe sk_free_kprobe = {
	.symbol_name = "security_sk_free",
	.pre_handler = on_sk_free,
};

#if IS_ENABLED(CONFIG_FPROBE)
static int on_sk_free_fprobe(struct fprobe *fp, unsigned long ip,
			     unsigned long ret_ip, HONE_FPROBE_REGS *regs,
			     void *data)
{
	sk_freed((struct sock *)hone_fprobe_arg(regs, 0));
	return 0;
}

static struct fprobe sk_free_fprobe = { .entry_handler = on_sk_free_fprobe };

/*
 * The fprobe is registered by address: given a name, ftrace would match it
 * against every traceable function's name (43,208 on debian-6.12: 0.11 s
 * of each load under TCG). The kprobe, registered disabled, resolves the
 * name (kallsyms_lookup_name(), a binary search from 6.2) and is the
 * fallback.
 */
static int register_free_probe(void)
{
	unsigned long ip;
	int err;

	sk_free_kprobe.flags = KPROBE_FLAG_DISABLED;
	err = register_kprobe(&sk_free_kprobe);
	if (err)
		return err;
	ip = (unsigned long)sk_free_kprobe.addr;
	if (!register_fprobe_ips(&sk_free_fprobe, &ip, 1))
		return 0;
	sk_free_fprobe.entry_handler = NULL;
	err = enable_kprobe(&sk_free_kprobe);
	if (err)
		unregister_kprobe(&sk_free_kprobe);
	return err;
}

static void unregister_free_probe(void)
{
	if (sk_free_fprobe.entry_handler)
		unregister_fprobe(&sk_free_fprobe);
	unregister_kprobe(&sk_free_kprobe);
}

static unsigned long free_probe_missed(void)
{
	return sk_free_fprobe.entry_handler ? sk_free_fprobe.nmissed
					    : sk_free_kprobe.nmissed;
}
#else
static int register_free_probe(void)
{
	return register_kprobe(&sk_free_kprobe);
}

static void unregister_free_probe(void)
{
	unregister_kprobe(&sk_free_kprobe);
}

static unsigned long free_probe_missed(void)
{
	return sk_free_kprobe.nmissed;
}
#endif

static bool close_fd_probed, sendpages_probed;

/*
 * Hits the kernel skipped on Hone's probes (a kprobe hit inside another
 * kprobe's handler, a kretprobe with all its instances in use): events
 * that were never seen. Readers report them (FORMAT.md, "Loss").
 */
u64 hone_socket_probes_missed(void)
{
	u64 n = free_probe_missed();
	int i;

	for (i = 0; i < ARRAY_SIZE(lifecycle); i++)
		n += lifecycle[i].nmissed;
	for (i = 0; i < ARRAY_SIZE(data); i++)
		n += data[i].nmissed;
	n += tcp_recv_probe.nmissed + tcp_recv_probe.kp.nmissed;
	n += tcp_splice_probe.nmissed + tcp_splice_probe.kp.nmissed;
	if (close_fd_probed)
		n += close_fd_probe.nmissed + close_fd_probe.kp.nmissed;
	if (sendpages_probed)
		n += sendpages_probe.nmissed;
	return n;
}
EXPORT_SYMBOL_GPL(hone_socket_probes_missed);
static DEFINE_MUTEX(data_lock);

static void set_probe(struct kprobe *kp, bool on)
{
	if (on)
		enable_kprobe(kp);
	else
		disable_kprobe(kp);
}

void hone_socket_data_probes(bool on)
{
	int i;

	mutex_lock(&data_lock);
	for (i = 0; i < ARRAY_SIZE(data); i++)
		set_probe(&data[i], on);
	set_probe(&tcp_recv_probe.kp, on);
	set_probe(&tcp_splice_probe.kp, on);
	if (sendpages_probed)
		set_probe(&sendpages_probe, on);
	mutex_unlock(&data_lock);
}
EXPORT_SYMBOL_GPL(hone_socket_data_probes);

static int register_lists(void)
{
	int i, err;

	for (i = 0; i < ARRAY_SIZE(lifecycle); i++)
		lifecycle_list[i] = &lifecycle[i];
	for (i = 0; i < ARRAY_SIZE(data); i++)
		data_list[i] = &data[i];
	err = register_kprobes(lifecycle_list, ARRAY_SIZE(lifecycle_list));
	if (err) {
		pr_err("kprobes on security_socket_post_create, security_sock_graft, security_file_receive, filp_close: error %d\n",
		       err);
		return err;
	}
	err = register_kprobes(data_list, ARRAY_SIZE(data_list));
	if (err) {
		pr_err("kprobes on tcp_sendmsg_locked, skb_consume_udp, skb_free_datagram: error %d\n",
		       err);
		unregister_kprobes(lifecycle_list, ARRAY_SIZE(lifecycle_list));
	}
	return err;
}

static void unregister_lists(void)
{
	unregister_kprobes(data_list, ARRAY_SIZE(data_list));
	unregister_kprobes(lifecycle_list, ARRAY_SIZE(lifecycle_list));
}

static int __init socket_notify_init(void)
{
	int err = register_lists();

	if (err)
		return err;
	err = register_free_probe();
	if (err) {
		pr_err("probe on security_sk_free: error %d\n", err);
		goto err_lists;
	}
	err = register_kretprobe(&tcp_recv_probe);
	if (err) {
		pr_err("kretprobe on tcp_recvmsg: error %d\n", err);
		goto err_free;
	}
	err = register_kretprobe(&tcp_splice_probe);
	if (err) {
		pr_err("kretprobe on tcp_splice_read: error %d\n", err);
		goto err_recv;
	}
	close_fd_probed = !register_kretprobe(&close_fd_probe);
	sendpages_probed = !register_kprobe(&sendpages_probe);
	return 0;

err_recv:
	unregister_kretprobe(&tcp_recv_probe);
err_free:
	unregister_free_probe();
err_lists:
	unregister_lists();
	return err;
}

static void __exit socket_notify_exit(void)
{
	if (sendpages_probed)
		unregister_kprobe(&sendpages_probe);
	if (close_fd_probed)
		unregister_kretprobe(&close_fd_probe);
	unregister_kretprobe(&tcp_splice_probe);
	unregister_kretprobe(&tcp_recv_probe);
	unregister_free_probe();
	unregister_lists();
}

module_init(socket_notify_init);
module_exit(socket_notify_exit);
MODULE_DESCRIPTION("Hone socket event source");
MODULE_AUTHOR("The Hone authors");
MODULE_LICENSE("GPL");
MODULE_VERSION(HONE_VERSION);
