// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The Hone authors.
 *
 * Text encoder for /dev/honet: one line per event, the 15.07 fields first,
 * Hone's key=value additions after them, exe path and argv last.
 */
#include <linux/skbuff.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/in.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <linux/math64.h>
#include <net/ip.h>
#include <net/ipv6.h>

#include "reader.h"

static void add(struct hone_buf *b, const char *fmt, ...) __printf(2, 3);

/* hone_buf_reserve() has made room for the whole line. */
static void add(struct hone_buf *b, const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	b->len += vscnprintf(b->data + b->len, b->cap - b->len, fmt, args);
	va_end(args);
}

static void add_ts(struct hone_buf *b, u64 ns)
{
	u32 rem;
	u64 sec = div_u64_rem(ns, NSEC_PER_SEC, &rem);

	add(b, "%llu.%09u", sec, rem);
}

static int text_head(struct hone_reader *r, struct hone_buf *b)
{
	const u8 *g = hone_config.guid;
	int err = hone_buf_reserve(b, 128);

	if (err)
		return err;
	add_ts(b, r->open_ns);
	add(b, " HEAD ");
	add_ts(b, r->boot_ns);
	if (hone_config.hostid_is_guid)
		add(b, " {%08x-%04x-%04x-%*phN-%*phN}", *(const u32 *)g,
		    *(const u16 *)(g + 4), *(const u16 *)(g + 6), 2, g + 8,
		    6, g + 10);
	add(b, "\n");
	return 0;
}

static int text_tail(struct hone_reader *r, struct hone_buf *b)
{
	int err = hone_buf_reserve(b, 64);

	if (err)
		return err;
	add_ts(b, r->open_ns);
	add(b, " TAIL\n");
	return 0;
}

static const char *proc_name(u32 event)
{
	switch (event) {
	case HONE_PROC_EV_FORK:
		return "FORK";
	case HONE_PROC_EV_EXEC:
		return "EXEC";
	case HONE_PROC_EV_EXIT:
		return "EXIT";
	case HONE_PROC_EV_KTHD:
		return "KTHD";
	}
	return "????";
}

/* Control characters would break the line structure. */
static void add_clean(struct hone_buf *b, const char *s, u32 n, char nul)
{
	u32 i;

	for (i = 0; i < n; i++) {
		char c = s[i];

		b->data[b->len++] = !c ? nul : (c < 0x20 || c == 0x7f) ? '?' : c;
	}
}

static void text_proc(struct hone_buf *b, const struct hone_event *ev)
{
	const struct hone_proc_event *pe = &ev->proc;
	u32 argc = pe->argv_len;

	add_ts(b, ev->ts);
	add(b, " %s %d %d %u %u tid=%d start=%llu nspid=%d",
	    proc_name(pe->event), pe->pid, pe->ppid, pe->uid, pe->gid,
	    pe->tid, pe->start, pe->nspid);
	if (pe->has_status)
		add(b, " status=%u", pe->status);
	if (pe->path_len) {
		add(b, " \"");
		add_clean(b, pe->path, pe->path_len, '?');
		add(b, "\"");
	}
	while (argc && !pe->argv[argc - 1])
		argc--;		/* no trailing separator */
	if (argc) {
		add(b, " ");
		add_clean(b, pe->argv, argc, ' ');
	}
	add(b, "\n");
}

static void text_sock(struct hone_buf *b, const struct hone_event *ev)
{
	const struct hone_sock_event *se = &ev->sock;

	add_ts(b, ev->ts);
	add(b, " SOCK %c %d %d %u %u %016llx tid=%d ino=%llu fam=%u type=%u proto=%u netns=%u%s%s\n",
	    se->open ? 'O' : 'C', se->pid, se->ppid, se->uid, se->gid, se->id,
	    se->tid, se->ino, se->family, se->type, se->protocol, se->netns,
	    se->flags & HONE_SOCK_SNAPSHOT ? " snapshot" : "",
	    se->flags & HONE_SOCK_ACCEPTED ? " accept" : "");
}

static bool has_ports(int proto)
{
	return proto == IPPROTO_TCP || proto == IPPROTO_UDP;
}

static const char *proto_name(int proto, bool v6)
{
	if (proto == IPPROTO_TCP)
		return v6 ? "TCPv6" : "TCPv4";
	return v6 ? "UDPv6" : "UDPv4";
}

/* Source and destination port, or false if they cannot be read. */
static bool read_ports(const struct sk_buff *skb, int off, __be16 *ports)
{
	const __be16 *p = skb_header_pointer(skb, off, 4, ports);

	if (!p)
		return false;
	if (p != ports)
		memcpy(ports, p, 4);
	return true;
}

static void text_ipv4(struct hone_buf *b, const struct sk_buff *skb)
{
	struct iphdr _iph;
	const struct iphdr *iph = skb_header_pointer(skb, 0, sizeof(_iph),
						     &_iph);
	__be16 ports[2];

	if (!iph) {
		add(b, " ? ? -> ?");
		return;
	}
	if (has_ports(iph->protocol) && !(iph->frag_off & htons(IP_OFFSET)) &&
	    read_ports(skb, iph->ihl * 4, ports)) {
		add(b, " %s %pI4:%u -> %pI4:%u", proto_name(iph->protocol, false),
		    &iph->saddr, ntohs(ports[0]), &iph->daddr, ntohs(ports[1]));
		return;
	}
	add(b, " %u %pI4 -> %pI4", iph->protocol, &iph->saddr, &iph->daddr);
}

static void text_ipv6(struct hone_buf *b, const struct sk_buff *skb)
{
	struct ipv6hdr _ip6h;
	const struct ipv6hdr *ip6h = skb_header_pointer(skb, 0, sizeof(_ip6h),
							&_ip6h);
	u8 proto;
	__be16 frag = 0, ports[2];
	int off;

	if (!ip6h) {
		add(b, " ? ? -> ?");
		return;
	}
	proto = ip6h->nexthdr;
	off = ipv6_skip_exthdr(skb, sizeof(*ip6h), &proto, &frag);
	if (off >= 0 && has_ports(proto) && !(frag & htons(IP6_OFFSET)) &&
	    read_ports(skb, off, ports)) {
		add(b, " %s [%pI6c]:%u -> [%pI6c]:%u", proto_name(proto, true),
		    &ip6h->saddr, ntohs(ports[0]), &ip6h->daddr,
		    ntohs(ports[1]));
		return;
	}
	add(b, " %u [%pI6c] -> [%pI6c]", off >= 0 ? proto : ip6h->nexthdr,
	    &ip6h->saddr, &ip6h->daddr);
}

static const char * const how_names[] = {
	[HONE_BY_NONE] = "none",
	[HONE_BY_CREATOR] = "creator",
	[HONE_BY_SENDER] = "sender",
	[HONE_BY_READER] = "reader",
	[HONE_BY_HOLDER] = "holder",
};

/* EPB option 259 in words, as text lines and pcapng comments write it. */
const char *hone_how_name(u32 how)
{
	return how < ARRAY_SIZE(how_names) ? how_names[how] : "none";
}

static void text_pkt(struct hone_buf *b, const struct hone_event *ev)
{
	const struct hone_pkt_event *pe = &ev->pkt;
	const struct sk_buff *skb = pe->skb;
	int i;
	u8 _ver;
	const u8 *ver = skb_header_pointer(skb, 0, 1, &_ver);

	add_ts(b, ev->ts);
	add(b, " PAKT %c %016llx %d", pe->dir == HONE_PKT_IN ? 'I' : 'O',
	    pe->sock_id, pe->pid);
	if (ver && (*ver >> 4) == 4)
		text_ipv4(b, skb);
	else if (ver && (*ver >> 4) == 6)
		text_ipv6(b, skb);
	else
		add(b, " ? ? -> ?");
	add(b, " %u tid=%d by=%s netns=%u id=%llu", skb->len, pe->tid,
	    hone_how_name(pe->how),
	    pe->netns, pe->id);
	if (pe->pid)
		add(b, " start=%llu", pe->start);
	for (i = 0; pe->nruns > 1 && i < pe->nruns; i++)
		add(b, "%s%u:%d:%d", i ? "," : " senders=", pe->runs[i].offset,
		    pe->runs[i].pid, pe->runs[i].tid);
	for (i = 0; pe->how == HONE_BY_HOLDER && i < pe->nholders; i++)
		add(b, "%s%d", i ? "," : " holders=", pe->holders[i]);
	add(b, "\n");
}

static const char * const use_names[] = {
	[HONE_USE_READ] = "READ",
	[HONE_USE_GAIN] = "GAIN",
	[HONE_USE_LOSE] = "LOSE",
};

static void text_use(struct hone_buf *b, const struct hone_event *ev)
{
	const struct hone_use_event *ue = &ev->use;

	add_ts(b, ev->ts);
	add(b, " %s %016llx %d tid=%d start=%llu",
	    ue->what < ARRAY_SIZE(use_names) && use_names[ue->what] ?
	    use_names[ue->what] : "USE", ue->sock_id, ue->pid, ue->tid,
	    ue->start);
	if (ue->what == HONE_USE_READ) {
		add(b, " len=%u", ue->bytes);
		if (ue->has_seq)
			add(b, " seq=%u-%u", ue->seq_first, ue->seq_end);
		else if (ue->has_pkt)
			add(b, " pkt=%llu", ue->pkt_id);
		else
			add(b, " pkt=?");
	} else if (ue->what == HONE_USE_GAIN) {
		add(b, " via=%s", ue->via == HONE_VIA_FORK ? "fork" : "recv");
	} else {
		add(b, " via=%s", ue->via == HONE_VIA_EXIT ? "exit" : "close");
	}
	add(b, "\n");
}

static int text_event(struct hone_reader *r, struct hone_buf *b,
		      const struct hone_event *ev)
{
	size_t need = 1024;
	int err;

	if (ev->type == HONE_EV_PROC)
		need += ev->proc.path_len + ev->proc.argv_len;
	err = hone_buf_reserve(b, need);
	if (err)
		return err;
	if (ev->type == HONE_EV_PROC)
		text_proc(b, ev);
	else if (ev->type == HONE_EV_SOCK)
		text_sock(b, ev);
	else if (ev->type == HONE_EV_PKT)
		text_pkt(b, ev);
	else if (ev->type == HONE_EV_USE)
		text_use(b, ev);
	return 0;
}

const struct hone_format hone_text_format = {
	.head = text_head,
	.event = text_event,
	.tail = text_tail,
};
