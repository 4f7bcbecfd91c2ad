// SPDX-License-Identifier: GPL-2.0
/*
 * Addresses: how the truth writes them, the shared table of bound handles
 * (so that one process can reach another's socket by its handle name),
 * a step's target, and SO_REUSEPORT steering.
 */
#include "runner.h"

#include <arpa/inet.h>
#include <linux/filter.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef SO_COOKIE
#define SO_COOKIE 57
#endif
#ifndef SO_ATTACH_REUSEPORT_CBPF
#define SO_ATTACH_REUSEPORT_CBPF 51
#endif

void addr_format(const struct sockaddr *sa, socklen_t len, char *out, size_t outlen)
{
	char a[INET6_ADDRSTRLEN];

	if (len >= sizeof(struct sockaddr_in) && sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)sa;

		inet_ntop(AF_INET, &in->sin_addr, a, sizeof(a));
		snprintf(out, outlen, "%s:%u", a, ntohs(in->sin_port));
	} else if (len >= sizeof(struct sockaddr_in6) && sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)sa;

		inet_ntop(AF_INET6, &in6->sin6_addr, a, sizeof(a));
		snprintf(out, outlen, "[%s]:%u", a, ntohs(in6->sin6_port));
	} else {
		snprintf(out, outlen, "%s", "");
	}
}

static uint16_t port_of(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ((const struct sockaddr_in *)ss)->sin_port;
	if (ss->ss_family == AF_INET6)
		return ((const struct sockaddr_in6 *)ss)->sin6_port;
	return 0;
}

/* A reuseport group's members are indexed in the order they were bound (reuseport_add_sock). */
static int group_index(const struct bound *b)
{
	int index = 0;

	for (int k = 0; k < R.sh->nbound; k++) {
		const struct bound *o = &R.sh->bound[k];

		if (o != b && o->reuseport && o->ss.ss_family == b->ss.ss_family &&
		    port_of(&o->ss) == port_of(&b->ss))
			index++;
	}
	return index;
}

/* The table entry of `name`, a new one if it has none; NULL when the table is full. */
static struct bound *bound_slot(const char *name, int *fresh)
{
	int i;

	for (i = 0; i < R.sh->nbound; i++)
		if (!strcmp(R.sh->bound[i].name, name))
			return &R.sh->bound[i];
	if (i >= MAX_BOUND)
		return NULL;
	R.sh->nbound++;
	*fresh = 1;
	return &R.sh->bound[i];
}

/* Returns the entry (NULL when the table is full or the socket has no address). */
struct bound *bound_set(const char *name, int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss), cl = sizeof(uint64_t), vl = sizeof(int);
	uint64_t cookie = 0;
	int fresh = 0, v = 0;
	struct bound *b;

	if (getsockname(fd, (struct sockaddr *)&ss, &len))
		return NULL;
	b = bound_slot(name, &fresh);
	if (!b)
		return NULL;
	getsockopt(fd, SOL_SOCKET, SO_COOKIE, &cookie, &cl);
	if (!fresh && b->cookie != cookie)
		fresh = 1; /* the name now stands for another socket */
	snprintf(b->name, MAX_NAME, "%s", name);
	b->ss = ss;
	b->len = len;
	b->cookie = cookie;
	if (fresh) {
		b->reuseport = !getsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &v, &vl) && v &&
			       port_of(&ss);
		b->group_index = b->reuseport ? group_index(b) : 0;
	}
	return b;
}

const struct bound *bound_find(const char *name)
{
	for (int i = 0; i < R.sh->nbound; i++)
		if (!strcmp(R.sh->bound[i].name, name))
			return &R.sh->bound[i];
	return NULL;
}

/* "toCookie": the socket of the handle a step is aimed at. */
void j_to_cookie(struct jbuf *j, const struct bound *b)
{
	char c[24];

	if (!b || !b->cookie)
		return;
	snprintf(c, sizeof(c), "%016llx", (unsigned long long)b->cookie);
	j_str(j, "toCookie", c);
}

/*
 * A SO_REUSEPORT group picks its receiving socket by hashing the sender's
 * address, which a scenario cannot know in advance. The runner steers
 * instead: a datagram sent to a member carries the member's group index as
 * the ASCII digit at payload offset 20 (the first byte after the tag), and
 * this classic BPF program, attached to the group, returns it (any other
 * byte gives an index past the group: the kernel falls back to the hash).
 */
void steer_reuseport(const struct step *st, int fd)
{
	struct sock_filter code[] = {
		BPF_STMT(BPF_LD | BPF_B | BPF_ABS, TAG_LEN),
		BPF_STMT(BPF_ALU | BPF_SUB | BPF_K, '0'),
		BPF_STMT(BPF_RET | BPF_A, 0),
	};
	struct sock_fprog prog = { sizeof(code) / sizeof(code[0]), code };

	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, &prog, sizeof(prog)))
		fail_step(st, "SO_ATTACH_REUSEPORT_CBPF: %m");
}

/*
 * A handle's address, the any-address made loopback. Through memcpy, not
 * casts of one object to another sockaddr type: with strict aliasing GCC
 * may read the any-address test from a memset before (it did: connects
 * went to 127.0.0.1).
 */
static socklen_t handle_target(const struct bound *b, struct sockaddr_storage *ss)
{
	memcpy(ss, &b->ss, sizeof(*ss));
	if (ss->ss_family == AF_INET) {
		struct sockaddr_in in;

		memcpy(&in, ss, sizeof(in));
		if (in.sin_addr.s_addr == htonl(INADDR_ANY)) {
			in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
			memcpy(ss, &in, sizeof(in));
		}
	} else if (ss->ss_family == AF_INET6) {
		struct sockaddr_in6 in6;

		memcpy(&in6, ss, sizeof(in6));
		if (IN6_IS_ADDR_UNSPECIFIED(&in6.sin6_addr)) {
			in6.sin6_addr = in6addr_loopback;
			memcpy(ss, &in6, sizeof(in6));
		}
	}
	return b->len;
}

/* addr= [port=]: an IPv4 or IPv6 literal. */
static socklen_t literal_target(const struct step *st, struct sockaddr_storage *ss)
{
	const char *addr = need_arg(st, "addr");
	const char *port = step_arg(st, "port");
	struct sockaddr_in *in = (void *)ss;
	struct sockaddr_in6 *in6 = (void *)ss;

	if (inet_pton(AF_INET, addr, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		in->sin_port = htons(port ? atoi(port) : 0);
		return sizeof(*in);
	}
	if (inet_pton(AF_INET6, addr, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port ? atoi(port) : 0);
		return sizeof(*in6);
	}
	fail_step(st, "bad address \"%s\"", addr);
}

/* Destination of bind/connect/sendto: to=HANDLE (any-address -> loopback) or addr= port=. */
socklen_t target(const struct step *st, struct sockaddr_storage *ss)
{
	const char *to = step_arg(st, "to");
	const struct bound *b;

	memset(ss, 0, sizeof(*ss));
	if (!to)
		return literal_target(st, ss);
	b = bound_find(to);
	if (!b)
		fail_step(st, "target \"%s\" has no address yet", to);
	return handle_target(b, ss);
}
