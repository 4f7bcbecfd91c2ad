/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2026 The Hone authors.
 */
#ifndef _HONE_HOLDERS_H
#define _HONE_HOLDERS_H

#include <linux/types.h>

struct file;
struct files_struct;
struct task_struct;
struct hone_sock_rec;
struct hone_pkt_event;

bool hone_holders_add(struct hone_sock_rec *rec, pid_t tgid);
bool hone_holders_del(struct hone_sock_rec *rec, pid_t tgid);
bool hone_holders_has(struct hone_sock_rec *rec, pid_t tgid);
void hone_holders_copy(struct hone_sock_rec *rec, struct hone_pkt_event *pe);
bool hone_files_hold(struct files_struct *files, struct file *file);
bool hone_holders_scan_range(struct task_struct *t, unsigned int *next,
			     unsigned int budget,
			     void (*fn)(struct hone_sock_rec *rec,
					struct task_struct *t));
void hone_holders_scan(struct task_struct *t,
		       void (*fn)(struct hone_sock_rec *rec,
				  struct task_struct *t));

#endif /* _HONE_HOLDERS_H */
