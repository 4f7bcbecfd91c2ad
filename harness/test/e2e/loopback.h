/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the e2e fixtures share: a loopback address of either family, the
 * port in a socket address, and a failure that names its call.
 */
#ifndef HONE_E2E_LOOPBACK_H
#define HONE_E2E_LOOPBACK_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>

static int fail(const char *what)
{
	perror(what);
	return 1;
}

/* @ss: the loopback address of @family, port 0; returns its length. */
static socklen_t loopback(int family, struct sockaddr_storage *ss)
{
	*ss = (struct sockaddr_storage){ .ss_family = family };
	if (family == AF_INET) {
		((struct sockaddr_in *)ss)->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		return sizeof(struct sockaddr_in);
	}
	((struct sockaddr_in6 *)ss)->sin6_addr = in6addr_loopback;
	return sizeof(struct sockaddr_in6);
}

static unsigned int port_of(const struct sockaddr_storage *ss)
{
	return ntohs(ss->ss_family == AF_INET ? ((const struct sockaddr_in *)ss)->sin_port
					      : ((const struct sockaddr_in6 *)ss)->sin6_port);
}

#endif
