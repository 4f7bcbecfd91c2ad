/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2026 The Hone authors.
 */
#ifndef _HONE_ATTRIBUTION_H
#define _HONE_ATTRIBUTION_H

#include <linux/types.h>

struct sk_buff;
struct sock;
struct task_struct;
struct hone_sock_rec;
struct hone_pkt_event;
struct hone_use_event;

void hone_attr_send(struct hone_sock_rec *rec, struct sock *sk,
		    struct task_struct *t);
void hone_attr_packet(struct hone_pkt_event *pe, struct hone_sock_rec *rec,
		      struct sock *sk, const struct sk_buff *skb);
void hone_attr_unaccepted(struct hone_pkt_event *pe, struct sock *sk,
			  const struct sk_buff *skb);
bool hone_attr_read_stream(struct hone_sock_rec *rec, struct sock *sk,
			   int len, struct hone_use_event *ue);
void hone_attr_read_dgram(struct hone_sock_rec *rec,
			  const struct sk_buff *skb, int len,
			  struct hone_use_event *ue);
u64 hone_task_start(struct task_struct *t);

#endif /* _HONE_ATTRIBUTION_H */
