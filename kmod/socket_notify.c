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
 * Nothing in the socket is modified and no reference is held per socket.
 */
#include <linux/module.h>
#include <linux/kprobes.h>
#include <linux/net.h>
#include <net/sock.h>

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

static int on_sk_free(struct kprobe *p, struct pt_regs *regs)
{
	struct hone_sock_info info = { .sk = arg(regs, 0) };

	if (is_inet(info.sk))
		atomic_notifier_call_chain(&socket_chain, HONE_SOCK_FREE,
					   &info);
	return 0;
}

static struct kprobe probes[] = {
	{ .symbol_name = "security_socket_post_create",
	  .pre_handler = on_post_create },
	{ .symbol_name = "security_sock_graft", .pre_handler = on_graft },
	{ .symbol_name = "security_sk_free", .pre_handler = on_sk_free },
};

static struct kprobe *probe_list[ARRAY_SIZE(probes)];

static int __init socket_notify_init(void)
{
	int i, err;

	for (i = 0; i < ARRAY_SIZE(probes); i++)
		probe_list[i] = &probes[i];
	err = register_kprobes(probe_list, ARRAY_SIZE(probe_list));
	if (err)
		pr_err("kprobes on security_socket_post_create, security_sock_graft, security_sk_free: error %d\n",
		       err);
	return err;
}

static void __exit socket_notify_exit(void)
{
	unregister_kprobes(probe_list, ARRAY_SIZE(probe_list));
}

module_init(socket_notify_init);
module_exit(socket_notify_exit);
MODULE_DESCRIPTION("Hone socket event source");
MODULE_AUTHOR("The Hone authors");
MODULE_LICENSE("GPL");
MODULE_VERSION(HONE_VERSION);
