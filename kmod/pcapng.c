// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The Hone authors.
 *
 * PCAP-NG encoder for /dev/hone. Layouts are in FORMAT.md; everything is
 * host byte order and every block ends its options with end-of-options.
 *
 * Live events are encoded in the hook, with interrupts off, straight into
 * a reader's ring: the caller reserves the bound *_max() gives and the
 * encoder returns what it used. Nothing here allocates or sleeps.
 */
#include <linux/skbuff.h>
#include <linux/utsname.h>
#include <linux/math64.h>
#include <linux/string.h>

#include "pcapng.h"
#include "reader.h"

#define LINKTYPE_RAW	101
#define EPB_OPTS_MAX	512		/* options of a packet, comment included */
#define PROC_OPTS_MAX	160
#define SMALL_MAX	192		/* connection and use blocks */

struct wbuf {
	u8 *data;
	u32 len;
};

static void put(struct wbuf *b, const void *p, u32 n)
{
	memcpy(b->data + b->len, p, n);
	b->len += n;
}

static void put_u16(struct wbuf *b, u16 v)
{
	put(b, &v, sizeof(v));
}

static void put_u32(struct wbuf *b, u32 v)
{
	put(b, &v, sizeof(v));
}

static void pad4(struct wbuf *b)
{
	while (b->len & 3)
		b->data[b->len++] = 0;
}

/* Microseconds since the epoch, high word first. */
static void put_ts(struct wbuf *b, u64 us)
{
	put_u32(b, us >> 32);
	put_u32(b, (u32)us);
}

static u64 wall_us(u64 boot_ns, u64 mono_ns)
{
	return div_u64(boot_ns + mono_ns, NSEC_PER_USEC);
}

static void opt(struct wbuf *b, u16 code, const void *val, u16 len)
{
	put_u16(b, code);
	put_u16(b, len);
	put(b, val, len);
	pad4(b);
}

static void opt_u32(struct wbuf *b, u16 code, u32 v)
{
	opt(b, code, &v, sizeof(v));
}

static void opt_u64(struct wbuf *b, u16 code, u64 v)
{
	opt(b, code, &v, sizeof(v));
}

static void opt_str(struct wbuf *b, u16 code, const char *s)
{
	opt(b, code, s, strlen(s));
}

static u32 block_begin(struct wbuf *b, u32 type)
{
	u32 at = b->len;

	put_u32(b, type);
	put_u32(b, 0);
	return at;
}

/* Writes end-of-options and both total lengths. */
static void block_end(struct wbuf *b, u32 at)
{
	u32 total;

	put_u32(b, OPT_END);
	total = b->len - at + 4;
	put_u32(b, total);
	memcpy(b->data + at + 4, &total, sizeof(total));
}

/* --- section head --- */

static void shb_hostid(struct wbuf *b)
{
	u8 val[1 + 256];
	size_t n;

	if (hone_config.hostid_is_guid) {
		memset(val, 0, 4);
		val[0] = 1;
		memcpy(val + 4, hone_config.guid, 16);
		opt(b, 257, val, 20);
		return;
	}
	n = min(strlen(hone_config.hostid), sizeof(val) - 1);
	val[0] = 0;
	memcpy(val + 1, hone_config.hostid, n);
	opt(b, 257, val, n + 1);
}

static void write_shb(struct wbuf *b)
{
	struct new_utsname *u = utsname();
	char os[6 * (__NEW_UTS_LEN + 1)];
	u32 at = block_begin(b, BT_SHB);

	put_u32(b, 0x1A2B3C4D);
	put_u16(b, 1);
	put_u16(b, 0);
	put_u32(b, 0xFFFFFFFF);
	put_u32(b, 0xFFFFFFFF);
	if (*hone_config.hostid)
		shb_hostid(b);
	scnprintf(os, sizeof(os), "%s %s %s %s %s", u->sysname, u->nodename,
		  u->release, u->version, u->machine);
	opt_str(b, 3, os);
	opt_str(b, 4, "Hone " HONE_VERSION);
	if (*hone_config.comment)
		opt(b, OPT_COMMENT, hone_config.comment,
		    min_t(size_t, strlen(hone_config.comment), 0xFFFF));
	block_end(b, at);
}

static void write_idb(struct wbuf *b, u32 snaplen)
{
	u32 at = block_begin(b, BT_IDB);

	put_u16(b, LINKTYPE_RAW);
	put_u16(b, 0);
	put_u32(b, snaplen);
	opt_str(b, 2, "hone");
	opt_str(b, 3, "Hone Capture Pseudo-device");
	block_end(b, at);
}

u32 hone_pcapng_head_max(void)
{
	return 1024 + strlen(hone_config.comment) +
	       strlen(hone_config.hostid);
}

u32 hone_pcapng_head(void *dst, u32 snaplen)
{
	struct wbuf b = { .data = dst };

	write_shb(&b);
	write_idb(&b, snaplen);
	return b.len;
}

/* --- events --- */

static void write_proc(struct wbuf *b, const struct hone_event *ev,
		       u64 boot_ns)
{
	const struct hone_proc_event *pe = &ev->proc;
	u32 at = block_begin(b, BT_PROC);

	put_u32(b, pe->pid);
	put_ts(b, wall_us(boot_ns, ev->ts));
	if (pe->event != HONE_PROC_EV_EXEC)
		opt_u32(b, 2, pe->event);
	opt_u32(b, 5, pe->ppid);
	opt_u32(b, 6, pe->uid);
	opt_u32(b, 7, pe->gid);
	opt_u32(b, 257, pe->tid);
	if (pe->has_status)
		opt_u32(b, 258, pe->status);
	opt_u64(b, 259, pe->start);
	opt_u32(b, 260, pe->nspid);
	opt_u32(b, 261, pe->pidns);
	if (pe->flags)
		opt_u32(b, 262, pe->flags);
	if (pe->path_len)
		opt(b, 3, pe->path, min_t(u32, pe->path_len, 0xFFFF));
	if (pe->argv_len)
		opt(b, 4, pe->argv, min_t(u32, pe->argv_len, 0xFFFF));
	block_end(b, at);
}

static void write_conn(struct wbuf *b, const struct hone_event *ev,
		       u64 boot_ns)
{
	const struct hone_sock_event *se = &ev->sock;
	u16 kind[4] = { se->family, se->type, se->protocol, 0 };
	u32 at = block_begin(b, BT_CONN);

	put_u32(b, (u32)se->id);
	put_u32(b, se->pid);
	put_ts(b, wall_us(boot_ns, ev->ts));
	if (!se->open)
		opt_u32(b, 2, 0xFFFFFFFF);
	opt_u64(b, 257, se->id);
	opt_u32(b, 258, se->tid);
	opt(b, 259, kind, sizeof(kind));
	opt_u64(b, 260, se->ino);
	opt_u32(b, 261, se->netns);
	opt_u32(b, 262, se->flags);
	opt_u32(b, 263, se->ppid);
	opt_u32(b, 264, se->uid);
	opt_u32(b, 265, se->gid);
	block_end(b, at);
}

static void write_use(struct wbuf *b, const struct hone_event *ev,
		      u64 boot_ns)
{
	const struct hone_use_event *ue = &ev->use;
	u32 seq[2] = { ue->seq_first, ue->seq_end };
	u32 at = block_begin(b, BT_USE);

	put_u32(b, (u32)ue->sock_id);
	put_u32(b, ue->pid);
	put_ts(b, wall_us(boot_ns, ev->ts));
	opt_u32(b, 2, ue->what);
	opt_u64(b, 257, ue->sock_id);
	opt_u32(b, 258, ue->tid);
	opt_u64(b, 259, ue->start);
	if (ue->what != HONE_USE_READ)
		opt_u32(b, 260, ue->via);
	if (ue->has_seq)
		opt(b, 261, seq, sizeof(seq));
	if (ue->has_pkt)
		opt_u64(b, 262, ue->pkt_id);
	if (ue->what == HONE_USE_READ)
		opt_u32(b, 263, ue->bytes);
	block_end(b, at);
}

/* Decimal digits of @v at @p; returns the end. No printf in the hook. */
static char *put_dec(char *p, s64 v)
{
	char tmp[20];
	u64 u = v < 0 ? -(u64)v : v;
	int n = 0;

	if (v < 0)
		*p++ = '-';
	do {
		tmp[n++] = '0' + do_div(u, 10);
	} while (u);
	while (n)
		*p++ = tmp[--n];
	return p;
}

static char *put_hex64(char *p, u64 v)
{
	int i;

	for (i = 15; i >= 0; i--)
		*p++ = "0123456789abcdef"[(v >> (i * 4)) & 0xf];
	return p;
}

static char *put_str(char *p, const char *s)
{
	size_t n = strlen(s);

	memcpy(p, s, n);
	return p + n;
}

/*
 * "pid P tid T sock 0x<16 hex> by HOW[ holders A,B]": what tshark 4.0
 * can show and filter (frame.comment), as it has no field for option 8.
 */
static void epb_comment(struct wbuf *b, const struct hone_pkt_event *pe)
{
	char s[64 + 12 * HONE_HOLDERS_MAX], *p = s;
	int i;

	p = put_str(p, "pid ");
	p = put_dec(p, pe->pid);
	p = put_str(p, " tid ");
	p = put_dec(p, pe->tid);
	p = put_str(p, " sock 0x");
	p = put_hex64(p, pe->sock_id);
	p = put_str(p, " by ");
	p = put_str(p, hone_how_name(pe->how));
	for (i = 0; pe->how == HONE_BY_HOLDER && i < pe->nholders; i++) {
		p = put_str(p, i ? "," : " holders ");
		p = put_dec(p, pe->holders[i]);
	}
	opt(b, OPT_COMMENT, s, p - s);
}

static void epb_options(struct wbuf *b, const struct hone_pkt_event *pe)
{
	u32 ids[2] = { pe->pid, pe->tid };

	if (pe->has_sock)
		opt_u64(b, 257, pe->sock_id);
	if (pe->pid)
		opt_u32(b, 258, pe->pid);
	opt_u32(b, 2, pe->dir);
	if (pe->pid)
		opt(b, 8, ids, sizeof(ids));
	opt_u32(b, 259, pe->how);
	opt_u32(b, 260, pe->netns);
	opt_u64(b, 261, pe->id);
	if (pe->pid)
		opt_u64(b, 262, pe->start);
	if (pe->nruns > 1)
		opt(b, 263, pe->runs, pe->nruns * sizeof(pe->runs[0]));
	if (pe->how == HONE_BY_HOLDER && pe->nholders)
		opt(b, 264, pe->holders, pe->nholders * sizeof(pid_t));
	epb_comment(b, pe);
}

static u32 pkt_caplen(const struct sk_buff *skb, u32 caplen)
{
	return min3(skb->len, caplen, (u32)HONE_CAPLEN_MAX);
}

static void write_epb(struct wbuf *b, const struct hone_event *ev,
		      u32 caplen, u64 boot_ns)
{
	const struct hone_pkt_event *pe = &ev->pkt;
	u32 n = pkt_caplen(pe->skb, caplen);
	u32 at = block_begin(b, BT_EPB);

	put_u32(b, 0);
	put_ts(b, wall_us(boot_ns, ev->ts));
	put_u32(b, n);
	put_u32(b, pe->skb->len);
	/* It cannot fail: n <= skb->len. Zeros if it ever did. */
	if (skb_copy_bits(pe->skb, 0, b->data + b->len, n))
		memset(b->data + b->len, 0, n);
	b->len += n;
	pad4(b);
	epb_options(b, pe);
	block_end(b, at);
}

u32 hone_pcapng_event_max(const struct hone_event *ev, u32 caplen)
{
	switch (ev->type) {
	case HONE_EV_PKT:
		return 32 + ALIGN(pkt_caplen(ev->pkt.skb, caplen), 4) +
		       EPB_OPTS_MAX;
	case HONE_EV_PROC:
		return PROC_OPTS_MAX + ALIGN(ev->proc.path_len, 4) +
		       ALIGN(ev->proc.argv_len, 4);
	}
	return SMALL_MAX;
}

u32 hone_pcapng_event(void *dst, const struct hone_event *ev, u32 caplen,
		      u64 boot_ns)
{
	struct wbuf b = { .data = dst };

	switch (ev->type) {
	case HONE_EV_PKT:
		write_epb(&b, ev, caplen, boot_ns);
		break;
	case HONE_EV_PROC:
		write_proc(&b, ev, boot_ns);
		break;
	case HONE_EV_SOCK:
		write_conn(&b, ev, boot_ns);
		break;
	case HONE_EV_USE:
		write_use(&b, ev, boot_ns);
		break;
	}
	return b.len;
}

/* --- statistics --- */

/* Events a full ring refused since its previous record (FORMAT.md). */
u32 hone_pcapng_loss(void *dst, const struct hone_loss *loss, u64 boot_ns)
{
	struct wbuf b = { .data = dst };
	u32 at = block_begin(&b, BT_ISB);

	put_u32(&b, 0);
	put_ts(&b, wall_us(boot_ns, loss->last_ns));
	opt_u64(&b, 2, wall_us(boot_ns, loss->first_ns));
	opt_u64(&b, 3, wall_us(boot_ns, loss->last_ns));
	opt_u64(&b, 7, loss->lost[HONE_CLASS_PACKET]);
	opt_u32(&b, 265, HONE_ISB_LOSS);
	opt_u64(&b, 266, loss->lost[HONE_CLASS_PACKET]);
	opt_u64(&b, 267, loss->lost[HONE_CLASS_PROCESS]);
	opt_u64(&b, 268, loss->lost[HONE_CLASS_SOCKET]);
	opt_u32(&b, 269, loss->ring);
	block_end(&b, at);
	return b.len;
}

u32 hone_pcapng_totals(void *dst, const struct hone_totals *t, u64 now_ns,
		       u64 boot_ns)
{
	struct wbuf b = { .data = dst };
	u32 at = block_begin(&b, BT_ISB);

	put_u32(&b, 0);
	put_ts(&b, wall_us(boot_ns, now_ns));
	opt_u64(&b, 2, div_u64(t->start_ns, NSEC_PER_USEC));
	opt_u64(&b, 4, t->received[HONE_CLASS_PACKET]);
	opt_u64(&b, 5, t->dropped[HONE_CLASS_PACKET]);
	opt_u64(&b, 6, t->filtered);
	opt_u64(&b, 7, t->ring_dropped[HONE_CLASS_PACKET]);
	opt_u64(&b, 8, t->delivered[HONE_CLASS_PACKET]);
	opt_u64(&b, 257, t->received[HONE_CLASS_PROCESS]);
	opt_u64(&b, 258, t->dropped[HONE_CLASS_PROCESS]);
	opt_u64(&b, 259, t->ring_dropped[HONE_CLASS_PROCESS]);
	opt_u64(&b, 260, t->delivered[HONE_CLASS_PROCESS]);
	opt_u64(&b, 261, t->received[HONE_CLASS_SOCKET]);
	opt_u64(&b, 262, t->dropped[HONE_CLASS_SOCKET]);
	opt_u64(&b, 263, t->ring_dropped[HONE_CLASS_SOCKET]);
	opt_u64(&b, 264, t->delivered[HONE_CLASS_SOCKET]);
	opt_u32(&b, 265, HONE_ISB_TOTALS);
	opt_u64(&b, 270, t->missed);
	block_end(&b, at);
	return b.len;
}

/* --- reading blocks back --- */

/* Where the options of a block written above begin. */
static u32 opts_offset(const u8 *block)
{
	u32 type = *(const u32 *)block;

	switch (type) {
	case BT_EPB:
		return 28 + ALIGN(*(const u32 *)(block + 20), 4);
	case BT_PROC:
		return 20;
	case BT_CONN:
	case BT_USE:
		return 24;
	case BT_ISB:
		return 20;
	}
	return 0;
}

const void *hone_pcapng_opt(const void *block, u16 code, u16 *len)
{
	const u8 *b = block;
	u32 total = *(const u32 *)(b + 4), at = opts_offset(b);

	while (at && at + 4 <= total - 4) {
		u16 c = *(const u16 *)(b + at), n = *(const u16 *)(b + at + 2);

		if (c == OPT_END || at + 4 + n > total - 4)
			break;
		if (c == code) {
			if (len)
				*len = n;
			return b + at + 4;
		}
		at += 4 + ALIGN(n, 4);
	}
	return NULL;
}
