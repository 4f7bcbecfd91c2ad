/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2026 The Hone authors.
 */
#ifndef _HONE_MEM_H
#define _HONE_MEM_H

#include <linux/gfp.h>

#include "hone.h"
#include "socktable.h"

/* Allocations made in tracepoint and kprobe handlers (preemption off). */
#define HONE_GFP_HOOK	(GFP_ATOMIC | __GFP_NOWARN)

/* Largest variable part of an event built in a hook: exe path and argv. */
#define HONE_HOOK_EXTRA_MAX	(PATH_MAX + 4096)

int hone_mem_init(void);
void hone_mem_uninit(void);
struct hone_event *hone_event_alloc(u8 type, size_t extra, gfp_t gfp);
void hone_event_free(struct hone_event *ev);
struct hone_sock_rec *hone_rec_alloc(void);
void hone_rec_free(struct hone_sock_rec *rec);
void hone_rec_free_rcu(struct hone_sock_rec *rec);

#endif /* _HONE_MEM_H */
