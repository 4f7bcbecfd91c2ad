// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The Hone authors.
 *
 * Which process a packet belongs to (FORMAT.md, "Attribution"):
 *   - outbound data: the thread whose send wrote it. TCP sends are
 *     remembered by the sequence number of their first byte, so segments
 *     that leave later (Nagle, cork, retransmission, another thread's
 *     write) still name their writers, several when they share a segment;
 *     datagrams leave from the sending system call;
 *   - inbound data: its reader, named by a read event when it is read;
 *     this side remembers where the unread bytes start (TCP) or which
 *     packet each queued datagram was;
 *   - everything else on a socket (no payload, ICMP errors): its holders.
 */
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/sched.h>
#include <linux/skbuff.h>
#include <linux/spinlock.h>
#include <net/ipv6.h>
#include <net/tcp.h>

#include "hone.h"
#include "attribution.h"
#include "holders.h"
#include "socktable.h"
#include "notify.h"

struct l4 {
	u8 proto;
	bool tcp;
	u32 seq;
	u32 payload;			/* TCP payload bytes */
};

/* The transport header of a packet whose data starts at the IP header. */
static bool parse_l4(const struct sk_buff *skb, struct l4 *l)
{
	const struct tcphdr *th;
	struct tcphdr _th;
	u8 _ver, proto;
	const u8 *ver = skb_header_pointer(skb, 0, 1, &_ver);
	int off;

	if (!ver)
		return false;
	if (*ver >> 4 == 4) {
		const struct iphdr *iph;
		struct iphdr _iph;

		iph = skb_header_pointer(skb, 0, sizeof(_iph), &_iph);
		if (!iph || iph->ihl < 5 || (iph->frag_off & htons(IP_OFFSET)))
			return false;
		off = iph->ihl * 4;
		proto = iph->protocol;
	} else if (*ver >> 4 == 6) {
		const struct ipv6hdr *ip6h;
		struct ipv6hdr _ip6h;
		__be16 frag = 0;

		ip6h = skb_header_pointer(skb, 0, sizeof(_ip6h), &_ip6h);
		if (!ip6h)
			return false;
		proto = ip6h->nexthdr;
		off = ipv6_skip_exthdr(skb, sizeof(*ip6h), &proto, &frag);
		if (off < 0 || (frag & htons(IP6_OFFSET)))
			return false;
	} else {
		return false;
	}
	memset(l, 0, sizeof(*l));
	l->proto = proto;
	if (proto != IPPROTO_TCP)
		return true;
	th = skb_header_pointer(skb, off, sizeof(_th), &_th);
	if (!th)
		return false;
	l->tcp = true;
	l->seq = ntohl(th->seq) + th->syn;
	off += th->doff * 4;
	l->payload = skb->len > off ? skb->len - off : 0;
	return true;
}

u64 hone_task_start(struct task_struct *t)
{
	return t->group_leader->start_boottime;
}

/*
 * Called under rec->lock. What was remembered of sends, reads and arrivals
 * before the data path was last armed is stale: sends and reads made while
 * no reader was attached were not seen.
 */
static void data_fresh(struct hone_sock_rec *rec)
{
	u32 gen = hone_data_gen();

	if (rec->gen == gen)
		return;
	rec->gen = gen;
	rec->nsends = 0;
	rec->send_next = 0;
	rec->narrivals = 0;
	rec->arrival_next = 0;
	rec->read_valid = false;
}

static struct hone_send *send_at(struct hone_sock_rec *rec, unsigned int i)
{
	return &rec->sends[(rec->send_next + HONE_SENDS_MAX - rec->nsends + i) %
			   HONE_SENDS_MAX];
}

/* A TCP send by @t begins: its first byte gets sequence number write_seq. */
void hone_attr_send(struct hone_sock_rec *rec, struct sock *sk,
		    struct task_struct *t)
{
	u32 seq = READ_ONCE(tcp_sk(sk)->write_seq);
	struct hone_send *last = NULL;
	unsigned long flags;

	raw_spin_lock_irqsave(&rec->lock, flags);
	data_fresh(rec);
	if (rec->nsends)
		last = send_at(rec, rec->nsends - 1);
	if (last && last->tgid == t->tgid && last->tid == t->pid)
		goto out;		/* the same thread writes on */
	if (!last || last->seq != seq) {	/* else: the last wrote nothing */
		last = &rec->sends[rec->send_next];
		rec->send_next = (rec->send_next + 1) % HONE_SENDS_MAX;
		if (rec->nsends < HONE_SENDS_MAX)
			rec->nsends++;
	}
	last->seq = seq;
	last->tgid = t->tgid;
	last->tid = t->pid;
	last->start = hone_task_start(t);
out:
	raw_spin_unlock_irqrestore(&rec->lock, flags);
}

/* Writers of the @len bytes from @seq; false if the first is forgotten. */
static bool sender_runs(struct hone_sock_rec *rec, u32 seq, u32 len,
			struct hone_pkt_event *pe)
{
	struct hone_send *s = NULL;
	unsigned long flags;
	int i, first = -1, n = 0;

	raw_spin_lock_irqsave(&rec->lock, flags);
	data_fresh(rec);
	for (i = rec->nsends - 1; i >= 0; i--) {
		if (!after(send_at(rec, i)->seq, seq)) {
			first = i;
			break;
		}
	}
	for (i = first; i >= 0 && i < rec->nsends && n < HONE_RUNS_MAX; i++) {
		s = send_at(rec, i);
		if (n && !before(s->seq, seq + len))
			break;
		if (n && s->tgid == pe->runs[n - 1].pid &&
		    s->tid == pe->runs[n - 1].tid)
			continue;
		pe->runs[n].offset = n ? s->seq - seq : 0;
		pe->runs[n].pid = s->tgid;
		pe->runs[n].tid = s->tid;
		if (!n)
			pe->start = s->start;
		n++;
	}
	raw_spin_unlock_irqrestore(&rec->lock, flags);
	if (!n)
		return false;
	pe->pid = pe->runs[0].pid;
	pe->tid = pe->runs[0].tid;
	pe->nruns = n > 1 ? n : 0;
	return true;
}

static void sent_by_current(struct hone_pkt_event *pe)
{
	pe->how = HONE_BY_SENDER;
	pe->pid = current->tgid;
	pe->tid = current->pid;
	pe->start = hone_task_start(current);
}

static void by_holders(struct hone_pkt_event *pe, struct hone_sock_rec *rec)
{
	pe->how = HONE_BY_HOLDER;
	hone_holders_copy(rec, pe);
}

static void outbound(struct hone_pkt_event *pe, struct hone_sock_rec *rec,
		     const struct l4 *l)
{
	if (l->tcp) {
		if (l->payload && sender_runs(rec, l->seq, l->payload, pe))
			pe->how = HONE_BY_SENDER;
		else
			by_holders(pe, rec);
	} else if (in_task() && !(current->flags & PF_KTHREAD)) {
		sent_by_current(pe);
	} else {
		by_holders(pe, rec);
	}
}

static void arrived(struct hone_sock_rec *rec, const struct sk_buff *skb,
		    u64 id)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&rec->lock, flags);
	data_fresh(rec);
	rec->arrivals[rec->arrival_next].head = skb->head;
	rec->arrivals[rec->arrival_next].id = id;
	rec->arrival_next = (rec->arrival_next + 1) % HONE_ARRIVALS_MAX;
	if (rec->narrivals < HONE_ARRIVALS_MAX)
		rec->narrivals++;
	raw_spin_unlock_irqrestore(&rec->lock, flags);
}

/* Before the first read, the unread bytes start where reading would. */
static void stream_arrived(struct hone_sock_rec *rec, struct sock *sk)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&rec->lock, flags);
	data_fresh(rec);
	if (!rec->read_valid) {
		rec->read_end = READ_ONCE(tcp_sk(sk)->copied_seq);
		rec->read_valid = true;
	}
	raw_spin_unlock_irqrestore(&rec->lock, flags);
}

static void inbound(struct hone_pkt_event *pe, struct hone_sock_rec *rec,
		    struct sock *sk, const struct sk_buff *skb,
		    const struct l4 *l)
{
	if (l->tcp) {
		if (!l->payload || sk->sk_type != SOCK_STREAM) {
			by_holders(pe, rec);
			return;
		}
		stream_arrived(rec, sk);
	} else {
		if (l->proto != sk->sk_protocol && sk->sk_type != SOCK_RAW) {
			by_holders(pe, rec);	/* an ICMP error for it */
			return;
		}
		arrived(rec, skb, pe->id);
	}
	pe->how = HONE_BY_READER;
}

/* Called with the record alive (RCU) and the packet's id set. */
void hone_attr_packet(struct hone_pkt_event *pe, struct hone_sock_rec *rec,
		      struct sock *sk, const struct sk_buff *skb)
{
	struct l4 l;

	if (!parse_l4(skb, &l)) {
		by_holders(pe, rec);
		return;
	}
	if (pe->dir == HONE_PKT_OUT)
		outbound(pe, rec, &l);
	else
		inbound(pe, rec, sk, skb, &l);
}

/*
 * A socket without a record: most are the kernel's own (attribution none).
 * But a connection still in its listener's accept queue has no record yet
 * either (it gets one at accept), and data that arrives there is read by
 * whoever accepts it: reader, and that process's read block names it.
 */
void hone_attr_unaccepted(struct hone_pkt_event *pe, struct sock *sk,
			  const struct sk_buff *skb)
{
	struct l4 l;

	if (pe->dir != HONE_PKT_IN || !sk_fullsock(sk) ||
	    sk->sk_type != SOCK_STREAM || sk->sk_protocol != IPPROTO_TCP ||
	    sk->sk_socket || sock_flag(sk, SOCK_DEAD))
		return;
	if (parse_l4(skb, &l) && l.tcp && l.payload)
		pe->how = HONE_BY_READER;
}

/* A read of @len bytes returned; false when it consumed nothing (peek). */
bool hone_attr_read_stream(struct hone_sock_rec *rec, struct sock *sk,
			   int len, struct hone_use_event *ue)
{
	u32 end = READ_ONCE(tcp_sk(sk)->copied_seq), first;
	unsigned long flags;

	raw_spin_lock_irqsave(&rec->lock, flags);
	data_fresh(rec);
	first = rec->read_valid ? rec->read_end : end - len;
	rec->read_end = end;
	rec->read_valid = true;
	raw_spin_unlock_irqrestore(&rec->lock, flags);
	if (!after(end, first))
		return false;
	ue->has_seq = true;
	ue->seq_first = first;
	ue->seq_end = end;
	ue->bytes = end - first;
	return true;
}

void hone_attr_read_dgram(struct hone_sock_rec *rec,
			  const struct sk_buff *skb, int len,
			  struct hone_use_event *ue)
{
	unsigned long flags;
	int i, slot;

	ue->bytes = len;
	raw_spin_lock_irqsave(&rec->lock, flags);
	data_fresh(rec);
	for (i = 1; i <= rec->narrivals; i++) {
		slot = (rec->arrival_next + HONE_ARRIVALS_MAX - i) %
		       HONE_ARRIVALS_MAX;
		if (rec->arrivals[slot].head == skb->head) {
			ue->has_pkt = true;
			ue->pkt_id = rec->arrivals[slot].id;
			rec->arrivals[slot].head = NULL;
			break;
		}
	}
	raw_spin_unlock_irqrestore(&rec->lock, flags);
}
