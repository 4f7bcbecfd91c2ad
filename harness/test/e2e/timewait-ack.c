// SPDX-License-Identifier: GPL-2.0
/*
 * Fixture for boot.test.ts: one loopback TCP connection per family whose
 * client ends in TIME_WAIT through the timewait socket's own ACK. The
 * client closes first; the server ACKs that FIN alone and closes only
 * later, so the orphaned client is already a timewait socket (FIN_WAIT2)
 * when the server's FIN comes, and the kernel ACKs it for that socket.
 * Prints "FAMILY COOKIE PORT" per connection: the client socket's
 * SO_COOKIE (16 hex digits) and local port.
 */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "loopback.h"

#ifndef SO_COOKIE
#define SO_COOKIE 57
#endif

static int one(int family)
{
	struct sockaddr_storage ss;
	socklen_t len = loopback(family, &ss);
	unsigned long long cookie = 0;
	socklen_t clen = sizeof(cookie);
	int lfd, cfd, afd;
	unsigned int port;

	lfd = socket(family, SOCK_STREAM, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&ss, len) || listen(lfd, 1) ||
	    getsockname(lfd, (struct sockaddr *)&ss, &len))
		return fail("listener");
	cfd = socket(family, SOCK_STREAM, 0);
	if (cfd < 0 || connect(cfd, (struct sockaddr *)&ss, len))
		return fail("connect");
	afd = accept(lfd, NULL, NULL);
	if (afd < 0)
		return fail("accept");
	if (getsockopt(cfd, SOL_SOCKET, SO_COOKIE, &cookie, &clen) ||
	    getsockname(cfd, (struct sockaddr *)&ss, &len))
		return fail("client");
	port = port_of(&ss);
	close(cfd);		/* FIN; the client socket is orphaned */
	usleep(300000);		/* the server's lone ACK makes it a timewait socket */
	close(afd);		/* FIN, ACKed by the timewait socket */
	usleep(100000);
	close(lfd);
	printf("%s %016llx %u\n", family == AF_INET ? "inet" : "inet6", cookie, port);
	return 0;
}

int main(void)
{
	return one(AF_INET) || one(AF_INET6);
}
