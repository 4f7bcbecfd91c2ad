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
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef SO_COOKIE
#define SO_COOKIE 57
#endif

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
	unsigned long long cookie = 0;
	socklen_t clen = sizeof(cookie);
	int lfd, cfd, afd;
	unsigned int port;

	if (family == AF_INET)
		((struct sockaddr_in *)&ss)->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	else
		((struct sockaddr_in6 *)&ss)->sin6_addr = in6addr_loopback;
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
	port = ntohs(family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
				       : ((struct sockaddr_in6 *)&ss)->sin6_port);
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
