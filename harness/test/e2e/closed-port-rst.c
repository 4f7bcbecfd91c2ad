// SPDX-License-Identifier: GPL-2.0
/*
 * Fixture for boot.test.ts: a loopback TCP connect, per family, to a port
 * that is bound but not listening. The kernel answers the SYN with a RST
 * that no socket of any process sent (before 6.13 it leaves through the
 * per-CPU TCP control socket). Prints "FAMILY PORT" per family: the
 * refused port, the RST's source port.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int fail(const char *what)
{
	perror(what);
	return 1;
}

static int one(int family)
{
	struct sockaddr_storage ss = { .ss_family = family };
	socklen_t len = family == AF_INET ? sizeof(struct sockaddr_in)
					  : sizeof(struct sockaddr_in6);
	unsigned int port;
	int bfd, cfd;

	if (family == AF_INET)
		((struct sockaddr_in *)&ss)->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	else
		((struct sockaddr_in6 *)&ss)->sin6_addr = in6addr_loopback;
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
	port = ntohs(family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
				       : ((struct sockaddr_in6 *)&ss)->sin6_port);
	close(cfd);
	close(bfd);
	printf("%s %u\n", family == AF_INET ? "inet" : "inet6", port);
	return 0;
}

int main(void)
{
	return one(AF_INET) || one(AF_INET6);
}
