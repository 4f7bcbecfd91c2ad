// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The Hone authors.
 *
 * Inbound matching for raw and ping sockets, which the netfilter socket
 * lookup does not cover and whose kernel tables are not exported. Hone
 * keeps its own short RCU list of the raw and ping sockets it knows and
 * matches an inbound packet against it:
 *   raw socket:  same netns and family, socket protocol = IP protocol;
 *   ping socket: same netns and family, an echo reply whose identifier is
 *                the socket's ident.
 * The first match wins (the kernel gives a raw packet to every match).
 *
 * Matching uses only what the record copied from the socket: a packet may
 * be matched while the socket is being freed on another CPU, so its
 * struct sock is never read here. A ping socket's identifier is its port,
 * known once it sends (it has sent before any reply comes).
 */
#include <linux/skbuff.h>
#include <linux/ip.h>
#include <linux/icmp.h>
#include <linux/icmpv6.h>
#include <linux/rculist.h>
#include <net/ip.h>
#include <net/ipv6.h>
#include <net/inet_sock.h>

#include "socktable.h"
#include "rawping.h"

static HLIST_HEAD(rawping);
static DEFINE_RAW_SPINLOCK(rawping_lock);

struct pkt_key {
	u16 family;
	u8 proto;
	bool echo_reply;
	u16 id;
};

static bool is_rawping(const struct sock *sk)
{
	if (sk->sk_type == SOCK_RAW)
		return true;
	return sk->sk_type == SOCK_DGRAM &&
	       (sk->sk_protocol == IPPROTO_ICMP ||
		sk->sk_protocol == IPPROTO_ICMPV6);
}

void hone_rawping_track(struct hone_sock_rec *rec, const struct sock *sk)
{
	unsigned long flags;

	if (!is_rawping(sk))
		return;
	WRITE_ONCE(rec->ping_ident, inet_sk(sk)->inet_num);
	raw_spin_lock_irqsave(&rawping_lock, flags);
	hlist_add_head_rcu(&rec->rawping, &rawping);
	rec->rawping_linked = true;
	raw_spin_unlock_irqrestore(&rawping_lock, flags);
}

/* An outbound packet of @rec's socket: the identifier it sends with. */
void hone_rawping_sent(struct hone_sock_rec *rec, const struct sock *sk)
{
	if (rec->rawping_linked && rec->type != SOCK_RAW)
		WRITE_ONCE(rec->ping_ident, inet_sk(sk)->inet_num);
}

/* The caller frees the record after a grace period. */
void hone_rawping_untrack(struct hone_sock_rec *rec)
{
	unsigned long flags;

	if (!rec->rawping_linked)
		return;
	raw_spin_lock_irqsave(&rawping_lock, flags);
	hlist_del_rcu(&rec->rawping);
	raw_spin_unlock_irqrestore(&rawping_lock, flags);
}

/* The records themselves go with the socket table. */
void hone_rawping_uninit(void)
{
	INIT_HLIST_HEAD(&rawping);
}

static bool parse_v4(const struct sk_buff *skb, struct pkt_key *k)
{
	struct iphdr _iph;
	struct icmphdr _ih;
	const struct iphdr *iph = skb_header_pointer(skb, 0, sizeof(_iph),
						     &_iph);
	const struct icmphdr *ih;

	if (!iph)
		return false;
	k->family = AF_INET;
	k->proto = iph->protocol;
	if (k->proto != IPPROTO_ICMP || (iph->frag_off & htons(IP_OFFSET)))
		return true;
	ih = skb_header_pointer(skb, iph->ihl * 4, sizeof(_ih), &_ih);
	if (ih && ih->type == ICMP_ECHOREPLY) {
		k->echo_reply = true;
		k->id = ntohs(ih->un.echo.id);
	}
	return true;
}

static bool parse_v6(const struct sk_buff *skb, struct pkt_key *k)
{
	struct ipv6hdr _ip6h;
	struct icmp6hdr _ih;
	const struct ipv6hdr *ip6h = skb_header_pointer(skb, 0, sizeof(_ip6h),
							&_ip6h);
	const struct icmp6hdr *ih;
	__be16 frag = 0;
	u8 proto;
	int off;

	if (!ip6h)
		return false;
	proto = ip6h->nexthdr;
	off = ipv6_skip_exthdr(skb, sizeof(*ip6h), &proto, &frag);
	if (off < 0)
		return false;
	k->family = AF_INET6;
	k->proto = proto;
	if (proto != IPPROTO_ICMPV6 || (frag & htons(IP6_OFFSET)))
		return true;
	ih = skb_header_pointer(skb, off, sizeof(_ih), &_ih);
	if (ih && ih->icmp6_type == ICMPV6_ECHO_REPLY) {
		k->echo_reply = true;
		k->id = ntohs(ih->icmp6_identifier);
	}
	return true;
}

static bool parse(const struct sk_buff *skb, struct pkt_key *k)
{
	u8 _ver;
	const u8 *ver = skb_header_pointer(skb, 0, 1, &_ver);

	if (!ver)
		return false;
	if (*ver >> 4 == 4)
		return parse_v4(skb, k);
	return *ver >> 4 == 6 && parse_v6(skb, k);
}

static bool match(const struct hone_sock_rec *rec, const struct net *net,
		  const struct pkt_key *k)
{
	if (rec->netns != net->ns.inum || rec->family != k->family)
		return false;
	if (rec->type == SOCK_RAW)
		return rec->protocol == k->proto;
	return k->echo_reply && rec->protocol == k->proto &&
	       READ_ONCE(rec->ping_ident) == k->id;
}

/* Caller holds rcu_read_lock(). */
struct hone_sock_rec *hone_rawping_lookup(const struct net *net,
					  const struct sk_buff *skb)
{
	struct hone_sock_rec *rec;
	struct pkt_key k = { };

	if (hlist_empty(&rawping) || !parse(skb, &k))
		return NULL;
	hlist_for_each_entry_rcu(rec, &rawping, rawping)
		if (match(rec, net, &k))
			return rec;
	return NULL;
}
