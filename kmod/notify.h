/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2026 The Hone authors.
 *
 * Inside hone_notify: the event sources' handlers and the sinks.
 */
#ifndef _HONE_NOTIFY_H
#define _HONE_NOTIFY_H

#include "hone.h"

struct hone_sock_rec;

/* sink.c */
void hone_sinks_init(void);
bool hone_have_sinks(void);
void hone_publish(struct hone_event *ev);
void hone_count_lost(u8 type);
u32 hone_data_gen(void);

/* proc_events.c */
int hone_proc_events_init(void);
void hone_proc_events_uninit(void);

/* sock_events.c */
int hone_sock_events_init(void);
void hone_sock_events_uninit(void);
void hone_fork_gained(struct hone_sock_rec *rec, struct task_struct *child);
void hone_exit_lost(struct hone_sock_rec *rec, struct task_struct *t);

/* pkt_events.c: the packet hooks deliver only between start and stop. */
int hone_pkt_events_start(void);
void hone_pkt_events_stop(void);

#endif /* _HONE_NOTIFY_H */
