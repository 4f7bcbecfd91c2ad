// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The Hone authors.
 *
 * Packet events: every packet the hooks see while a reader is attached,
 * with its socket and the process it is attributed to. The packet itself
 * is only borrowed: each reader copies what it keeps while the hook runs.
 */
#include <linux/skbuff.h>
#include <linux/rcupdate.h>
#include <net/sock.h>

#include "hone.h"
#include "notify.h"
#include "socktable.h"
#include "rawping.h"
#include "attribution.h"

static atomic64_t pkt_ids;

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
	if (!rec) {
		pe->sock_id = hone_sock_id(sk);
		hone_attr_unaccepted(pe, sk, skb);
	}
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

static int on_packet(struct notifier_block *nb, unsigned long action,
		     void *data)
{
	struct hone_pkt_info *info = data;
	struct hone_event ev;
	struct hone_pkt_event *pe = &ev.pkt;

	memset(&ev, 0, sizeof(ev));
	ev.type = HONE_EV_PKT;
	pe->skb = info->skb;
	pe->dir = info->dir;
	pe->netns = info->net->ns.inum;
	pe->id = atomic64_inc_return(&pkt_ids);
	if (info->sk)
		pkt_owner(pe, info->sk, info->skb);
	else if (info->dir == HONE_PKT_IN)
		pkt_rawping(pe, info);
	hone_publish(&ev);
	return NOTIFY_OK;
}

static struct notifier_block packet_nb = { .notifier_call = on_packet };

int hone_pkt_events_start(void)
{
	return hone_packet_notifier_register(&packet_nb);
}

void hone_pkt_events_stop(void)
{
	hone_packet_notifier_unregister(&packet_nb);
}
