/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2026 The Hone authors.
 *
 * The PCAP-NG encoder: every record of /dev/hone, and what /dev/honet's
 * lines are made from.
 */
#ifndef _HONE_PCAPNG_H
#define _HONE_PCAPNG_H

#include <linux/types.h>

#include "hone.h"

#define BT_SHB		0x0A0D0D0A
#define BT_IDB		0x00000001
#define BT_ISB		0x00000005
#define BT_EPB		0x00000006
#define BT_PROC		0x00000101
#define BT_CONN		0x00000102
#define BT_USE		0x00000103

#define OPT_END		0
#define OPT_COMMENT	1

/* ISB option 265: what the statistics are about. */
#define HONE_ISB_LOSS	1		/* events lost just before this point */
#define HONE_ISB_TOTALS	2		/* the section's totals, at its end */

/* Largest packet data a record holds, whatever the snaplen. */
#define HONE_CAPLEN_MAX	(256 * 1024)

/* Events lost on one ring since its last record (HONE_ISB_LOSS). */
struct hone_loss {
	u64 lost[3];			/* by HONE_CLASS_* */
	u64 first_ns, last_ns;		/* monotonic */
	u32 ring;
};

/* A reader's totals for the ISB that ends its section. */
struct hone_totals {
	u64 received[3], dropped[3];	/* global, by class */
	u64 delivered[3], ring_dropped[3];	/* this reader */
	u64 filtered;
	u64 missed;			/* global: probe hits skipped */
	u64 start_ns;			/* wall clock, hone_notify load */
};

u32 hone_pcapng_event_max(const struct hone_event *ev, u32 caplen);
u32 hone_pcapng_event(void *dst, const struct hone_event *ev, u32 caplen,
		      u64 boot_ns);
u32 hone_pcapng_loss(void *dst, const struct hone_loss *loss, u64 boot_ns);
#define HONE_PCAPNG_LOSS_MAX	128

u32 hone_pcapng_head_max(void);
u32 hone_pcapng_head(void *dst, u32 snaplen);
u32 hone_pcapng_totals(void *dst, const struct hone_totals *t, u64 now_ns,
		       u64 boot_ns);
#define HONE_PCAPNG_TOTALS_MAX	256

/* Reading blocks back (text.c): the value of option @code, or NULL. */
const void *hone_pcapng_opt(const void *block, u16 code, u16 *len);

#endif /* _HONE_PCAPNG_H */
