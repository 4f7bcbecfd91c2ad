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

/* Socket records preallocated where hooks cannot allocate (PREEMPT_RT). */
#define HONE_REC_POOL_SIZE	16384

int hone_mem_init(void);
void hone_mem_uninit(void);
struct hone_sock_rec *hone_rec_alloc(void);
void hone_rec_free(struct hone_sock_rec *rec);
void hone_rec_free_rcu(struct hone_sock_rec *rec);

#endif /* _HONE_MEM_H */
