// SPDX-License-Identifier: GPL-2.0
/*
 * Fixture for boot.test.ts: a loopback TCP connect, per family, to a port
 * that is bound but not listening. The kernel answers the SYN with a RST
 * that no socket of any process sent (before 6.13 it leaves through the
 * per-CPU TCP control socket). Prints "FAMILY PORT" per family: the
 * refused port, the RST's source port.
 */
#include <errno.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include "loopback.h"

static int one(int family)
{
	struct sockaddr_storage ss;
	socklen_t len = loopback(family, &ss);
	unsigned int port;
	int bfd, cfd;

	/* holds the port (no other socket takes it) without listening */
	bfd = socket(family, SOCK_STREAM, 0);
	if (bfd < 0 || bind(bfd, (struct sockaddr *)&ss, len) ||
	    getsockname(bfd, (struct sockaddr *)&ss, &len))
		return fail("bind");
	cfd = socket(family, SOCK_STREAM, 0);
	if (cfd < 0)
		return fail("socket");
	if (connect(cfd, (struct sockaddr *)&ss, len) == 0 || errno != ECONNREFUSED)
		return fail("connect (expected ECONNREFUSED)");
	port = port_of(&ss);
	close(cfd);
	close(bfd);
	printf("%s %u\n", family == AF_INET ? "inet" : "inet6", port);
	return 0;
}

int main(void)
{
	return one(AF_INET) || one(AF_INET6);
}
