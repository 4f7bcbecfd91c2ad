/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2026 The Hone authors.
 */
#ifndef _HONE_PROCINFO_H
#define _HONE_PROCINFO_H

#include "hone.h"

int hone_procinfo_init(void);
void hone_procinfo_uninit(void);
bool hone_proc_event_live(struct hone_event *ev, unsigned long action,
			  const struct hone_proc_info *info);

#endif /* _HONE_PROCINFO_H */
