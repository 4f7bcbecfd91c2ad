/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2026 The Hone authors.
 */
#ifndef _HONE_RAWPING_H
#define _HONE_RAWPING_H

struct sk_buff;
struct net;
struct sock;
struct hone_sock_rec;

void hone_rawping_track(struct hone_sock_rec *rec, const struct sock *sk);
void hone_rawping_untrack(struct hone_sock_rec *rec);
void hone_rawping_sent(struct hone_sock_rec *rec, const struct sock *sk);
void hone_rawping_uninit(void);
struct hone_sock_rec *hone_rawping_lookup(const struct net *net,
					  const struct sk_buff *skb);

#endif /* _HONE_RAWPING_H */
