// SPDX-License-Identifier: GPL-2.0
/*
 * The descriptor-passing steps: sendfd sends a socket's descriptor over a
 * socketpair end with SCM_RIGHTS, recvfd receives it as a new handle.
 */
#include "runner.h"

#include <string.h>
#include <sys/socket.h>

union fdmsg {
	struct cmsghdr h;
	char buf[CMSG_SPACE(sizeof(int))];
};

static void send_fd(const struct step *st, int via, int fd)
{
	char c = 'F';
	struct iovec iov = { &c, 1 };
	union fdmsg u;
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u.buf),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);

	memset(&u, 0, sizeof(u));
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	if (sendmsg(via, &msg, 0) != 1)
		fail_step(st, "sendmsg SCM_RIGHTS: %m");
}

static int recv_fd(const struct step *st, int via)
{
	char c;
	struct iovec iov = { &c, 1 };
	union fdmsg u;
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u.buf),
	};
	struct cmsghdr *cm;
	int fd;

	if (recvmsg(via, &msg, 0) != 1)
		fail_step(st, "recvmsg SCM_RIGHTS: %m");
	cm = CMSG_FIRSTHDR(&msg);
	if (!cm || cm->cmsg_type != SCM_RIGHTS)
		fail_step(st, "recvmsg brought no SCM_RIGHTS");
	memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	return fd;
}

void step_sendfd(const struct step *st, struct jbuf *j)
{
	int via = need_fd(st, "via"), fd = need_fd(st, "sock");

	j_socket(j, "socket", fd);
	send_fd(st, via, fd);
}

void step_recvfd(const struct step *st, struct jbuf *j)
{
	int fd = recv_fd(st, need_fd(st, "via"));

	handle_add(st, need_arg(st, "as"), fd);
	j_str(j, "as", need_arg(st, "as"));
	j_socket(j, "socket", fd);
}
