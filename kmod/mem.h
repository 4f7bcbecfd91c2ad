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

/*
 * Where hooks cannot allocate (PREEMPT_RT), socket records come from a
 * pool of chunks this size, grown in process context up to the cap.
 */
#define HONE_REC_CHUNK		16384
#define HONE_REC_CHUNKS		16

int hone_mem_init(void);
void hone_mem_uninit(void);
struct hone_sock_rec *hone_rec_alloc(void);
void hone_rec_free(struct hone_sock_rec *rec);
void hone_rec_free_rcu(struct hone_sock_rec *rec);

#endif /* _HONE_MEM_H */
