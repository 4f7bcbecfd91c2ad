// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The Hone authors.
 *
 * Text encoder for /dev/honet: one line per event, the 15.07 fields first,
 * Hone's key=value additions after them, exe path and argv last. Lines are
 * made in read() from the same PCAP-NG blocks /dev/hone carries (the ring
 * of a text reader keeps only a packet's headers), so the two devices
 * cannot disagree about an event.
 */
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/in.h>
#include <linux/math64.h>
#include <net/ip.h>
#include <net/ipv6.h>

#include "reader.h"
#include "pcapng.h"

#define LINE_MAX	1024		/* a line without its path and argv */

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

/* Option values of a block: absent ones read as 0. */
static u32 opt_u32(const void *block, u16 code)
{
	u16 len;
	const void *v = hone_pcapng_opt(block, code, &len);

	return v && len >= 4 ? *(const u32 *)v : 0;
}

static u64 opt_u64(const void *block, u16 code)
{
	u16 len;
	const void *v = hone_pcapng_opt(block, code, &len);

	return v && len >= 8 ? *(const u64 *)v : 0;
}

static bool has_opt(const void *block, u16 code)
{
	return hone_pcapng_opt(block, code, NULL);
}

static u32 at32(const void *block, u32 off)
{
	return *(const u32 *)(block + off);
}

int hone_text_head(struct hone_reader *r, struct hone_buf *b)
{
	const u8 *g = hone_config.guid;
	int err = hone_buf_reserve(b, 128);

	if (err)
		return err;
	b->len = 0;
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

int hone_text_tail(struct hone_reader *r, struct hone_buf *b,
		   const struct hone_totals *t)
{
	int err = hone_buf_reserve(b, 256);

	if (err)
		return err;
	b->len = 0;
	add_ts(b, r->open_ns);
	add(b, " TAIL packets=%llu packets_dropped=%llu process=%llu process_dropped=%llu socket=%llu socket_dropped=%llu filtered=%llu missed=%llu\n",
	    t->delivered[HONE_CLASS_PACKET], t->ring_dropped[HONE_CLASS_PACKET],
	    t->delivered[HONE_CLASS_PROCESS],
	    t->ring_dropped[HONE_CLASS_PROCESS],
	    t->delivered[HONE_CLASS_SOCKET], t->ring_dropped[HONE_CLASS_SOCKET],
	    t->filtered, t->missed);
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

/*
 * Control characters would break the line structure, and a quote or a
 * backslash inside the quoted path would end it early: those become '?'.
 */
static void add_clean(struct hone_buf *b, const char *s, u32 n, char nul,
		      bool quoted)
{
	u32 i;

	for (i = 0; i < n; i++) {
		char c = s[i];

		if (!c)
			c = nul;
		else if (c < 0x20 || c == 0x7f || (quoted && (c == '"' || c == '\\')))
			c = '?';
		b->data[b->len++] = c;
	}
}

static void text_proc(struct hone_buf *b, const void *blk, u64 ts)
{
	u16 path_len = 0, argc = 0;
	const char *path = hone_pcapng_opt(blk, 3, &path_len);
	const char *argv = hone_pcapng_opt(blk, 4, &argc);

	add_ts(b, ts);
	add(b, " %s %d %d %u %u tid=%d start=%llu nspid=%d",
	    proc_name(has_opt(blk, 2) ? opt_u32(blk, 2) : HONE_PROC_EV_EXEC),
	    at32(blk, 8), opt_u32(blk, 5), opt_u32(blk, 6), opt_u32(blk, 7),
	    opt_u32(blk, 257), opt_u64(blk, 259), opt_u32(blk, 260));
	if (has_opt(blk, 258))
		add(b, " status=%u", opt_u32(blk, 258));
	if (opt_u32(blk, 262) & HONE_PROC_SNAPSHOT)
		add(b, " snapshot=1");
	if (path) {
		add(b, " \"");
		add_clean(b, path, path_len, '?', true);
		add(b, "\"");
	}
	while (argv && argc && !argv[argc - 1])
		argc--;		/* no trailing separator */
	if (argv && argc) {
		add(b, " ");
		add_clean(b, argv, argc, ' ', false);
	}
	add(b, "\n");
}

static void text_sock(struct hone_buf *b, const void *blk, u64 ts)
{
	const u16 *kind = hone_pcapng_opt(blk, 259, NULL);
	u32 flags = opt_u32(blk, 262);

	add_ts(b, ts);
	add(b, " SOCK %c %d %d %u %u %016llx tid=%d ino=%llu fam=%u type=%u proto=%u netns=%u%s%s%s\n",
	    has_opt(blk, 2) ? 'C' : 'O', at32(blk, 12), opt_u32(blk, 263),
	    opt_u32(blk, 264), opt_u32(blk, 265), opt_u64(blk, 257),
	    opt_u32(blk, 258), opt_u64(blk, 260), kind ? kind[0] : 0,
	    kind ? kind[1] : 0, kind ? kind[2] : 0, opt_u32(blk, 261),
	    flags & HONE_SOCK_SNAPSHOT ? " snapshot" : "",
	    flags & HONE_SOCK_ACCEPTED ? " accept" : "",
	    flags & HONE_SOCK_LATE ? " late" : "");
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

/* Source and destination port at @off of the captured bytes, if there. */
static bool read_ports(const u8 *p, u32 caplen, u32 off, u16 *ports)
{
	if (off + 4 > caplen)
		return false;
	ports[0] = p[off] << 8 | p[off + 1];
	ports[1] = p[off + 2] << 8 | p[off + 3];
	return true;
}

static void text_ipv4(struct hone_buf *b, const u8 *p, u32 caplen)
{
	const struct iphdr *iph = (const void *)p;
	u16 ports[2];

	if (caplen < sizeof(*iph)) {
		add(b, " ? ? -> ?");
		return;
	}
	if (has_ports(iph->protocol) && !(iph->frag_off & htons(IP_OFFSET)) &&
	    read_ports(p, caplen, iph->ihl * 4, ports)) {
		add(b, " %s %pI4:%u -> %pI4:%u", proto_name(iph->protocol, false),
		    &iph->saddr, ports[0], &iph->daddr, ports[1]);
		return;
	}
	add(b, " %u %pI4 -> %pI4", iph->protocol, &iph->saddr, &iph->daddr);
}

/* Past the extension headers a text line knows: hop, routing, dest, frag. */
static int skip_ext(const u8 *p, u32 caplen, u8 *proto, bool *later_frag)
{
	u32 off = sizeof(struct ipv6hdr);

	for (;;) {
		if (*proto == NEXTHDR_FRAGMENT) {
			if (off + 8 > caplen)
				return -1;
			*later_frag = (p[off + 2] << 8 | p[off + 3]) & ~7;
			*proto = p[off];
			off += 8;
		} else if (*proto == NEXTHDR_HOP || *proto == NEXTHDR_ROUTING ||
			   *proto == NEXTHDR_DEST) {
			if (off + 2 > caplen)
				return -1;
			*proto = p[off];
			off += (p[off + 1] + 1) * 8;
		} else {
			return off;
		}
	}
}

static void text_ipv6(struct hone_buf *b, const u8 *p, u32 caplen)
{
	const struct ipv6hdr *ip6h = (const void *)p;
	bool later_frag = false;
	u16 ports[2];
	u8 proto;
	int off;

	if (caplen < sizeof(*ip6h)) {
		add(b, " ? ? -> ?");
		return;
	}
	proto = ip6h->nexthdr;
	off = skip_ext(p, caplen, &proto, &later_frag);
	if (off >= 0 && has_ports(proto) && !later_frag &&
	    read_ports(p, caplen, off, ports)) {
		add(b, " %s [%pI6c]:%u -> [%pI6c]:%u", proto_name(proto, true),
		    &ip6h->saddr, ports[0], &ip6h->daddr, ports[1]);
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

static void text_addrs(struct hone_buf *b, const u8 *p, u32 caplen)
{
	if (caplen && (p[0] >> 4) == 4)
		text_ipv4(b, p, caplen);
	else if (caplen && (p[0] >> 4) == 6)
		text_ipv6(b, p, caplen);
	else
		add(b, " ? ? -> ?");
}

static void text_lists(struct hone_buf *b, const void *blk, u32 how)
{
	u16 len = 0;
	const u32 *v = hone_pcapng_opt(blk, 263, &len);
	int i;

	for (i = 0; v && i + 3 <= len / 4; i += 3)
		add(b, "%s%u:%d:%d", i ? "," : " senders=", v[i], v[i + 1],
		    v[i + 2]);
	v = hone_pcapng_opt(blk, 264, &len);
	for (i = 0; v && how == HONE_BY_HOLDER && i < len / 4; i++)
		add(b, "%s%d", i ? "," : " holders=", v[i]);
}

static void text_pkt(struct hone_buf *b, const void *blk, u64 ts)
{
	const u32 *ids = hone_pcapng_opt(blk, 8, NULL);
	u32 how = opt_u32(blk, 259), pid = opt_u32(blk, 258);

	add_ts(b, ts);
	add(b, " PAKT %c %016llx %d", opt_u32(blk, 2) == HONE_PKT_IN ? 'I' : 'O',
	    opt_u64(blk, 257), pid);
	text_addrs(b, blk + 28, at32(blk, 20));
	add(b, " %u tid=%d by=%s netns=%u id=%llu", at32(blk, 24),
	    ids ? ids[1] : 0, hone_how_name(how), opt_u32(blk, 260),
	    opt_u64(blk, 261));
	if (pid)
		add(b, " start=%llu", opt_u64(blk, 262));
	text_lists(b, blk, how);
	add(b, "\n");
}

static const char * const use_names[] = {
	[HONE_USE_READ] = "READ",
	[HONE_USE_GAIN] = "GAIN",
	[HONE_USE_LOSE] = "LOSE",
};

static void text_use(struct hone_buf *b, const void *blk, u64 ts)
{
	u32 what = opt_u32(blk, 2), via = opt_u32(blk, 260);
	const u32 *seq = hone_pcapng_opt(blk, 261, NULL);

	add_ts(b, ts);
	add(b, " %s %016llx %d tid=%d start=%llu",
	    what < ARRAY_SIZE(use_names) && use_names[what] ?
	    use_names[what] : "USE", opt_u64(blk, 257), at32(blk, 12),
	    opt_u32(blk, 258), opt_u64(blk, 259));
	if (what == HONE_USE_READ) {
		add(b, " len=%u", opt_u32(blk, 263));
		if (seq)
			add(b, " seq=%u-%u", seq[0], seq[1]);
		else if (has_opt(blk, 262))
			add(b, " pkt=%llu", opt_u64(blk, 262));
		else
			add(b, " pkt=?");
	} else if (what == HONE_USE_GAIN) {
		add(b, " via=%s", via == HONE_VIA_FORK ? "fork" : "recv");
	} else {
		add(b, " via=%s", via == HONE_VIA_EXIT ? "exit" : "close");
	}
	add(b, "\n");
}

/* A loss report: what the ring of CPU N refused since its last record. */
static void text_loss(struct hone_buf *b, const void *blk, u64 ts)
{
	add_ts(b, ts);
	add(b, " DROP cpu=%u packets=%llu process=%llu socket=%llu\n",
	    opt_u32(blk, 269), opt_u64(blk, 266), opt_u64(blk, 267),
	    opt_u64(blk, 268));
}

/* The line of one block written by pcapng.c, with its monotonic time. */
int hone_text_block(struct hone_buf *b, const void *block, u64 ts)
{
	u32 type = at32(block, 0), need = LINE_MAX;
	int err;

	if (type == BT_PROC)
		need += at32(block, 4);
	err = hone_buf_reserve(b, need);
	if (err)
		return err;
	b->len = 0;
	b->pos = 0;
	switch (type) {
	case BT_PROC:
		text_proc(b, block, ts);
		break;
	case BT_CONN:
		text_sock(b, block, ts);
		break;
	case BT_EPB:
		text_pkt(b, block, ts);
		break;
	case BT_USE:
		text_use(b, block, ts);
		break;
	case BT_ISB:
		text_loss(b, block, ts);
		break;
	}
	return 0;
}
