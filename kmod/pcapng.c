// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The Hone authors.
 *
 * PCAP-NG encoder for /dev/hone. Layouts are in FORMAT.md; everything is
 * host byte order and every block ends its options with end-of-options.
 */
#include <linux/skbuff.h>
#include <linux/utsname.h>
#include <linux/math64.h>

#include "reader.h"

#define BT_SHB		0x0A0D0D0A
#define BT_IDB		0x00000001
#define BT_ISB		0x00000005
#define BT_EPB		0x00000006
#define BT_PROC		0x00000101
#define BT_CONN		0x00000102
#define BT_USE		0x00000103
#define LINKTYPE_RAW	101
#define OPT_END		0
#define OPT_COMMENT	1

static void put(struct hone_buf *b, const void *p, size_t n)
{
	memcpy(b->data + b->len, p, n);
	b->len += n;
}

static void put_u16(struct hone_buf *b, u16 v)
{
	put(b, &v, sizeof(v));
}

static void put_u32(struct hone_buf *b, u32 v)
{
	put(b, &v, sizeof(v));
}

static void pad4(struct hone_buf *b)
{
	while (b->len & 3)
		b->data[b->len++] = 0;
}

/* Microseconds since the epoch, high word first. */
static void put_ts(struct hone_buf *b, u64 us)
{
	put_u32(b, us >> 32);
	put_u32(b, (u32)us);
}

static u64 event_us(const struct hone_reader *r, u64 mono_ns)
{
	return div_u64(r->boot_ns + mono_ns, NSEC_PER_USEC);
}

static void opt(struct hone_buf *b, u16 code, const void *val, u16 len)
{
	put_u16(b, code);
	put_u16(b, len);
	put(b, val, len);
	pad4(b);
}

static void opt_u32(struct hone_buf *b, u16 code, u32 v)
{
	opt(b, code, &v, sizeof(v));
}

static void opt_u64(struct hone_buf *b, u16 code, u64 v)
{
	opt(b, code, &v, sizeof(v));
}

static void opt_str(struct hone_buf *b, u16 code, const char *s)
{
	opt(b, code, s, strlen(s));
}

static size_t block_begin(struct hone_buf *b, u32 type)
{
	size_t at = b->len;

	put_u32(b, type);
	put_u32(b, 0);
	return at;
}

/* Writes end-of-options and both total lengths. */
static void block_end(struct hone_buf *b, size_t at)
{
	u32 total;

	put_u32(b, OPT_END);
	total = b->len - at + 4;
	put_u32(b, total);
	memcpy(b->data + at + 4, &total, sizeof(total));
}

static void shb_hostid(struct hone_buf *b)
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

static void write_shb(struct hone_buf *b)
{
	struct new_utsname *u = utsname();
	char os[6 * (__NEW_UTS_LEN + 1)];
	size_t at = block_begin(b, BT_SHB);

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

static void write_idb(struct hone_buf *b, int snaplen)
{
	size_t at = block_begin(b, BT_IDB);

	put_u16(b, LINKTYPE_RAW);
	put_u16(b, 0);
	put_u32(b, snaplen);
	opt_str(b, 2, "hone");
	opt_str(b, 3, "Hone Capture Pseudo-device");
	block_end(b, at);
}

static int pcapng_head(struct hone_reader *r, struct hone_buf *b)
{
	int err = hone_buf_reserve(b, 1024 + strlen(hone_config.comment) +
				   strlen(hone_config.hostid));

	if (err)
		return err;
	write_shb(b);
	write_idb(b, r->snaplen);
	return 0;
}

static void write_proc(struct hone_reader *r, struct hone_buf *b,
		       const struct hone_event *ev)
{
	const struct hone_proc_event *pe = &ev->proc;
	size_t at = block_begin(b, BT_PROC);

	put_u32(b, pe->pid);
	put_ts(b, event_us(r, ev->ts));
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
	if (pe->path_len)
		opt(b, 3, pe->path, min_t(u32, pe->path_len, 0xFFFF));
	if (pe->argv_len)
		opt(b, 4, pe->argv, min_t(u32, pe->argv_len, 0xFFFF));
	block_end(b, at);
}

static void write_conn(struct hone_reader *r, struct hone_buf *b,
		       const struct hone_event *ev)
{
	const struct hone_sock_event *se = &ev->sock;
	u16 kind[4] = { se->family, se->type, se->protocol, 0 };
	size_t at = block_begin(b, BT_CONN);

	put_u32(b, (u32)se->id);
	put_u32(b, se->pid);
	put_ts(b, event_us(r, ev->ts));
	if (!se->open)
		opt_u32(b, 2, 0xFFFFFFFF);
	opt_u64(b, 257, se->id);
	opt_u32(b, 258, se->tid);
	opt(b, 259, kind, sizeof(kind));
	opt_u64(b, 260, se->ino);
	opt_u32(b, 261, se->netns);
	opt_u32(b, 262, se->flags);
	block_end(b, at);
}

static u32 pkt_caplen(const struct hone_reader *r, const struct sk_buff *skb)
{
	u32 len = skb->len;

	return r->snaplen > 0 ? min_t(u32, len, r->snaplen) : len;
}

static void epb_options(struct hone_buf *b, const struct hone_pkt_event *pe)
{
	u32 ids[2] = { pe->pid, pe->tid };
	char comment[80];

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
	scnprintf(comment, sizeof(comment), "pid %d tid %d sock 0x%016llx by %s",
		  pe->pid, pe->tid, pe->sock_id,
		  hone_how_name(pe->how));
	opt_str(b, OPT_COMMENT, comment);
}

static void write_use(struct hone_reader *r, struct hone_buf *b,
		      const struct hone_event *ev)
{
	const struct hone_use_event *ue = &ev->use;
	u32 seq[2] = { ue->seq_first, ue->seq_end };
	size_t at = block_begin(b, BT_USE);

	put_u32(b, (u32)ue->sock_id);
	put_u32(b, ue->pid);
	put_ts(b, event_us(r, ev->ts));
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

static int write_epb(struct hone_reader *r, struct hone_buf *b,
		     const struct hone_event *ev)
{
	const struct hone_pkt_event *pe = &ev->pkt;
	u32 caplen = pkt_caplen(r, pe->skb);
	size_t at = block_begin(b, BT_EPB);

	put_u32(b, 0);
	put_ts(b, event_us(r, ev->ts));
	put_u32(b, caplen);
	put_u32(b, pe->skb->len);
	if (skb_copy_bits(pe->skb, 0, b->data + b->len, caplen))
		return -EFAULT;
	b->len += caplen;
	pad4(b);
	epb_options(b, pe);
	block_end(b, at);
	return 0;
}

static int pcapng_event(struct hone_reader *r, struct hone_buf *b,
			const struct hone_event *ev)
{
	size_t need = 512;
	int err;

	if (ev->type == HONE_EV_PROC)
		need += ev->proc.path_len + ev->proc.argv_len + 8;
	else if (ev->type == HONE_EV_PKT)
		need += pkt_caplen(r, ev->pkt.skb) + 4;
	err = hone_buf_reserve(b, need);
	if (err)
		return err;
	if (ev->type == HONE_EV_PROC)
		write_proc(r, b, ev);
	else if (ev->type == HONE_EV_SOCK)
		write_conn(r, b, ev);
	else if (ev->type == HONE_EV_USE)
		write_use(r, b, ev);
	else if (ev->type == HONE_EV_PKT)
		return write_epb(r, b, ev);
	return 0;
}

static int pcapng_tail(struct hone_reader *r, struct hone_buf *b)
{
	struct hone_counters c;
	struct hone_stats st;
	size_t at;
	int err = hone_buf_reserve(b, 256);

	if (err)
		return err;
	hone_counters_read(&c);
	hone_reader_stats(r, &st);
	at = block_begin(b, BT_ISB);
	put_u32(b, 0);
	put_ts(b, event_us(r, ktime_get_ns()));
	put_u16(b, 2);
	put_u16(b, 8);
	put_ts(b, div_u64(c.start_ns, NSEC_PER_USEC));
	opt_u64(b, 4, st.packets_received);
	opt_u64(b, 5, st.packets_dropped);
	opt_u64(b, 6, st.packets_filtered);
	opt_u64(b, 7, st.packets_ring_dropped);
	opt_u64(b, 8, st.packets_delivered);
	opt_u64(b, 257, st.process_received);
	opt_u64(b, 258, st.process_dropped);
	opt_u64(b, 259, st.process_ring_dropped);
	opt_u64(b, 260, st.process_delivered);
	opt_u64(b, 261, st.socket_received);
	opt_u64(b, 262, st.socket_dropped);
	opt_u64(b, 263, st.socket_ring_dropped);
	opt_u64(b, 264, st.socket_delivered);
	block_end(b, at);
	return 0;
}

const struct hone_format hone_pcapng_format = {
	.head = pcapng_head,
	.event = pcapng_event,
	.tail = pcapng_tail,
};
