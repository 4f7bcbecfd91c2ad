// SPDX-License-Identifier: GPL-2.0
/*
 * The socket steps: socket, socketpair, bind, listen, connect, accept,
 * shutdown, close, dup. Each records the socket it acted on (for close:
 * just before).
 */
#include "runner.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define IO_TIMEOUT_S	10

static void set_timeouts(int fd)
{
	struct timeval tv = { IO_TIMEOUT_S, 0 };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

static int socket_type(const char *type)
{
	if (!strcmp(type, "stream"))
		return SOCK_STREAM;
	return !strcmp(type, "dgram") ? SOCK_DGRAM : SOCK_RAW;
}

void step_socket(const struct step *st, struct jbuf *j)
{
	const char *fam = need_arg(st, "family"), *type = need_arg(st, "type");
	const char *proto = step_arg(st, "proto");
	int cloexec = bool_arg(st, "cloexec"), t = socket_type(type), one = 1;
	int f = !strcmp(fam, "inet6") ? AF_INET6 : AF_INET;
	int fd = socket(f, t | (cloexec ? SOCK_CLOEXEC : 0), proto ? atoi(proto) : 0);

	if (fd < 0)
		fail_step(st, "socket(%s, %s, %s): %m%s", fam, type, proto ? proto : "0",
			  t == SOCK_RAW ? " (raw sockets need CAP_NET_RAW)" :
			  (errno == EACCES ? " (ping sockets need net.ipv4.ping_group_range)" : ""));
	set_timeouts(fd);
	if (bool_arg(st, "reuseport") &&
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)))
		fail_step(st, "SO_REUSEPORT: %m");
	handle_add(st, need_arg(st, "sock"), fd);
	j_str(j, "sock", need_arg(st, "sock"));
	if (cloexec)
		j_raw(j, "cloexec", "true");
	j_socket(j, "socket", fd);
}

void step_socketpair(const struct step *st, struct jbuf *j)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		fail_step(st, "socketpair: %m");
	set_timeouts(sv[0]);
	set_timeouts(sv[1]);
	handle_add(st, need_arg(st, "sock"), sv[0]);
	handle_add(st, need_arg(st, "peer"), sv[1]);
	j_str(j, "sock", need_arg(st, "sock"));
	j_str(j, "peer", need_arg(st, "peer"));
	j_socket(j, "socket", sv[0]);
	j_socket(j, "peerSocket", sv[1]);
}

void step_bind(const struct step *st, struct jbuf *j)
{
	int fd = need_fd(st, "sock");
	struct sockaddr_storage ss;
	socklen_t sl = target(st, &ss); /* bind has addr= port=, never to= */
	const struct bound *b;

	if (bind(fd, (struct sockaddr *)&ss, sl))
		fail_step(st, "bind: %m");
	b = bound_set(need_arg(st, "sock"), fd);
	if (b && b->reuseport) {
		steer_reuseport(st, fd);
		j_int(j, "reuseportIndex", b->group_index);
	}
	j_socket(j, "socket", fd);
}

void step_listen(const struct step *st, struct jbuf *j)
{
	int fd = need_fd(st, "sock");
	const char *b = step_arg(st, "backlog");

	if (listen(fd, b ? atoi(b) : 128))
		fail_step(st, "listen: %m");
	bound_set(need_arg(st, "sock"), fd);
	j_socket(j, "socket", fd);
}

void step_connect(const struct step *st, struct jbuf *j)
{
	int fd = need_fd(st, "sock");
	struct sockaddr_storage ss;
	socklen_t sl = target(st, &ss);
	const char *to = step_arg(st, "to");

	j_to_cookie(j, to ? bound_find(to) : NULL);
	if (connect(fd, (struct sockaddr *)&ss, sl))
		fail_step(st, "connect: %m");
	bound_set(need_arg(st, "sock"), fd);
	j_socket(j, "socket", fd);
}

void step_accept(const struct step *st, struct jbuf *j)
{
	int lfd = need_fd(st, "sock"), cloexec = bool_arg(st, "cloexec");
	int fd = accept4(lfd, NULL, NULL, cloexec ? SOCK_CLOEXEC : 0);

	if (fd < 0)
		fail_step(st, "accept: %m");
	set_timeouts(fd);
	handle_add(st, need_arg(st, "as"), fd);
	j_str(j, "as", need_arg(st, "as"));
	if (cloexec)
		j_raw(j, "cloexec", "true");
	j_socket(j, "listener", lfd);
	j_socket(j, "socket", fd);
}

static int shutdown_how(const char *how)
{
	if (!strcmp(how, "rd"))
		return SHUT_RD;
	return !strcmp(how, "wr") ? SHUT_WR : SHUT_RDWR;
}

void step_shutdown(const struct step *st, struct jbuf *j)
{
	int fd = need_fd(st, "sock");
	const char *how = need_arg(st, "how");

	j_str(j, "how", how);
	j_socket(j, "socket", fd);
	if (shutdown(fd, shutdown_how(how)))
		fail_step(st, "shutdown: %m");
}

void step_close(const struct step *st, struct jbuf *j)
{
	int fd = need_fd(st, "sock");

	j_socket(j, "socket", fd);
	if (close(fd))
		fail_step(st, "close: %m");
	handle_del(need_arg(st, "sock"));
}

void step_dup(const struct step *st, struct jbuf *j)
{
	int fd = dup(need_fd(st, "sock"));

	if (fd < 0)
		fail_step(st, "dup: %m");
	handle_add(st, need_arg(st, "as"), fd);
	j_str(j, "as", need_arg(st, "as"));
	j_socket(j, "socket", fd);
}
