// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The Hone authors.
 *
 * Packet event source: netfilter LOCAL_IN and LOCAL_OUT, IPv4 and IPv6,
 * in every network namespace, each packet with the socket it belongs to.
 *
 * Which socket, in order of preference:
 *   1. skb->sk: outbound packets, and inbound ones that early demux
 *      already matched; request sockets stand for their listener,
 *      timewait sockets for themselves;
 *   2. the netfilter socket lookup (the one xt_socket uses): established,
 *      then listening TCP, UDP, including sockets bound to the
 *      any-address, and for ICMP errors the socket of the quoted packet;
 *   3. outbound TCP replies the kernel sends through a control socket:
 *      for a timewait socket (its last ACK, a RST) that timewait socket,
 *      whose cookie is its full socket's; a listener's RST to a segment
 *      of no connection (a late ACK after both ends closed), the
 *      listener (see compat.h); any other (a RST to a port nobody
 *      listens on), no socket: a control socket is the kernel's, held
 *      by no process and described by no socket event.
 * The hook never changes the verdict and runs last.
 */
#include <linux/module.h>
#include <linux/netfilter.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <net/ip.h>
#include <net/ipv6.h>
#include <net/udp.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>
#include <net/inet_sock.h>
#include <net/tcp_states.h>
#include <net/netfilter/nf_socket.h>

#include "hone.h"
#include "compat.h"

static ATOMIC_NOTIFIER_HEAD(packet_chain);

int hone_packet_notifier_register(struct notifier_block *nb)
{
	return atomic_notifier_chain_register(&packet_chain, nb);
}
EXPORT_SYMBOL_GPL(hone_packet_notifier_register);

int hone_packet_notifier_unregister(struct notifier_block *nb)
{
	return atomic_notifier_chain_unregister(&packet_chain, nb);
}
EXPORT_SYMBOL_GPL(hone_packet_notifier_unregister);

/* The UDP socket the kernel will give @skb to; data at the UDP header. */
static struct sock *udp_choice(struct sk_buff *skb,
			       const struct nf_hook_state *state,
			       const struct udphdr *uh)
{
	if (state->pf == NFPROTO_IPV4) {
		const struct iphdr *iph = ip_hdr(skb);

		return hone_udp4_lookup(state->net, iph->saddr, uh->source,
					iph->daddr, uh->dest, inet_iif(skb),
					inet_sdif(skb), skb);
	}
#if IS_ENABLED(CONFIG_IPV6)
	return hone_udp6_lookup(state->net, &ipv6_hdr(skb)->saddr, uh->source,
				&ipv6_hdr(skb)->daddr, uh->dest,
				inet6_iif(skb), inet6_sdif(skb), skb);
#else
	return NULL;
#endif
}

static int transport_offset(struct sk_buff *skb, int pf)
{
	u8 proto;
	__be16 frag = 0;

	if (pf == NFPROTO_IPV4)
		return ip_hdrlen(skb);
	proto = ipv6_hdr(skb)->nexthdr;
	return ipv6_skip_exthdr(skb, sizeof(struct ipv6hdr), &proto, &frag);
}

/*
 * A member of a SO_REUSEPORT group came back: the netfilter lookup asks
 * without the packet, so a group's BPF program (which chooses by the
 * payload) is not run and the member may not be the one the kernel will
 * deliver to. Ask the kernel's own lookup, with the packet seen from its
 * UDP header as the UDP layer will see it (the pull is undone at once).
 */
static struct sock *reuseport_member(struct sk_buff *skb,
				     const struct nf_hook_state *state,
				     struct sock *sk)
{
	int off = transport_offset(skb, state->pf);
	struct udphdr _uh;
	const struct udphdr *uh;
	struct sock *real;

	if (off <= 0 || off + sizeof(_uh) > skb_headlen(skb))
		return sk;
	uh = skb_header_pointer(skb, off, sizeof(_uh), &_uh);
	if (!uh)
		return sk;
	_uh = *uh;
	__skb_pull(skb, off);
	real = udp_choice(skb, state, &_uh);
	__skb_push(skb, off);
	if (!real || real == sk || !refcount_inc_not_zero(&real->sk_refcnt))
		return sk;
	sock_gen_put(sk);
	return real;
}

static struct sock *lookup(struct sk_buff *skb,
			   const struct nf_hook_state *state)
{
	struct sock *sk;

	if (state->pf == NFPROTO_IPV4)
		sk = nf_sk_lookup_slow_v4(state->net, skb, state->in);
#if IS_ENABLED(CONFIG_IPV6)
	else
		sk = nf_sk_lookup_slow_v6(state->net, skb, state->in);
#else
	else
		sk = NULL;
#endif
	if (sk && sk_fullsock(sk) && sk->sk_protocol == IPPROTO_UDP &&
	    rcu_access_pointer(sk->sk_reuseport_cb))
		sk = reuseport_member(skb, state, sk);
	return sk;
}

/* The kernel's own TCP socket that sends replies for other sockets. */
static bool tcp_ctl_sock(const struct sock *sk)
{
	return sk_fullsock(sk) && sk->sk_kern_sock &&
	       sk->sk_type == SOCK_RAW && sk->sk_protocol == IPPROTO_TCP;
}

/* The timewait socket or listener an outbound TCP reply speaks for, with a reference. */
static struct sock *reply_owner(struct sk_buff *skb,
				const struct nf_hook_state *state)
{
	int dif = state->out ? state->out->ifindex : 0;
	int off = skb_network_offset(skb);
	const struct tcphdr *th;
	struct sock *sk = NULL;
	struct tcphdr _th;

	if (state->pf == NFPROTO_IPV4) {
		const struct iphdr *iph = ip_hdr(skb);

		if (iph->protocol != IPPROTO_TCP)
			return NULL;
		th = skb_header_pointer(skb, off + ip_hdrlen(skb), sizeof(_th),
					&_th);
		if (th)
			sk = hone_tcp_reply_sk4(state->net, iph->daddr,
						th->dest, iph->saddr,
						th->source, dif);
	} else {
		const struct ipv6hdr *ip6h = ipv6_hdr(skb);

		if (ip6h->nexthdr != IPPROTO_TCP)
			return NULL;
		th = skb_header_pointer(skb, off + sizeof(*ip6h), sizeof(_th),
					&_th);
		if (th)
			sk = hone_tcp_reply_sk6(state->net, &ip6h->daddr,
						th->dest, &ip6h->saddr,
						th->source, dif);
	}
	if (sk && sk->sk_state != TCP_TIME_WAIT && sk->sk_state != TCP_LISTEN) {
		sock_gen_put(sk);
		sk = NULL;
	}
	return sk;
}

static unsigned int hook(void *priv, struct sk_buff *skb,
			 const struct nf_hook_state *state)
{
	struct hone_pkt_info info = {
		.skb = skb,
		.net = state->net,
		.dir = state->hook == NF_INET_LOCAL_IN ? HONE_PKT_IN
						       : HONE_PKT_OUT,
	};
	struct sock *ref = NULL;

	/* Nobody listens while no reader is attached: skip the lookups. */
	if (!rcu_access_pointer(packet_chain.head))
		return NF_ACCEPT;
	info.sk = skb->sk;
	if (!info.sk && info.dir == HONE_PKT_IN) {
		ref = lookup(skb, state);
		info.sk = ref;
	} else if (info.dir == HONE_PKT_OUT && (!info.sk || tcp_ctl_sock(info.sk))) {
		ref = reply_owner(skb, state);
		info.sk = ref;
	}
	/* From 6.13, sk_to_full_sk() turns a timewait socket into NULL. */
	if (info.sk && info.sk->sk_state != TCP_TIME_WAIT)
		info.sk = sk_to_full_sk(info.sk);
	atomic_notifier_call_chain(&packet_chain, info.dir, &info);
	if (ref)
		sock_gen_put(ref);
	return NF_ACCEPT;
}

static const struct nf_hook_ops hook_ops[] = {
	{ .hook = hook, .pf = NFPROTO_IPV4, .hooknum = NF_INET_LOCAL_IN,
	  .priority = INT_MAX },
	{ .hook = hook, .pf = NFPROTO_IPV4, .hooknum = NF_INET_LOCAL_OUT,
	  .priority = INT_MAX },
#if IS_ENABLED(CONFIG_IPV6)
	{ .hook = hook, .pf = NFPROTO_IPV6, .hooknum = NF_INET_LOCAL_IN,
	  .priority = INT_MAX },
	{ .hook = hook, .pf = NFPROTO_IPV6, .hooknum = NF_INET_LOCAL_OUT,
	  .priority = INT_MAX },
#endif
};

static int __net_init packet_net_init(struct net *net)
{
	return nf_register_net_hooks(net, hook_ops, ARRAY_SIZE(hook_ops));
}

static void __net_exit packet_net_exit(struct net *net)
{
	nf_unregister_net_hooks(net, hook_ops, ARRAY_SIZE(hook_ops));
}

static struct pernet_operations packet_net_ops = {
	.init = packet_net_init,
	.exit = packet_net_exit,
};

static int __init packet_notify_init(void)
{
	int err = register_pernet_subsys(&packet_net_ops);

	if (err)
		pr_err("netfilter hooks: error %d\n", err);
	return err;
}

static void __exit packet_notify_exit(void)
{
	unregister_pernet_subsys(&packet_net_ops);
}

module_init(packet_notify_init);
module_exit(packet_notify_exit);
MODULE_DESCRIPTION("Hone packet event source");
MODULE_AUTHOR("The Hone authors");
MODULE_LICENSE("GPL");
MODULE_VERSION(HONE_VERSION);
