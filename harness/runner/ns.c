// SPDX-License-Identifier: GPL-2.0
/*
 * The namespace steps: netns (a new network namespace, its loopback up)
 * and pidns (the process's next child is the first of a new pid
 * namespace).
 */
#include "runner.h"

#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

/* lo up with SIOCSIFFLAGS; the helper socket of the ioctls is recorded ("helper"). */
static void lo_up(const struct step *st, struct jbuf *j)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		fail_step(st, "socket for SIOCSIFFLAGS: %m");
	j_socket(j, "helper", fd);
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr))
		fail_step(st, "SIOCGIFFLAGS lo: %m");
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr))
		fail_step(st, "SIOCSIFFLAGS lo up: %m");
	close(fd);
}

void step_netns(const struct step *st, struct jbuf *j)
{
	j_int(j, "netnsBefore", netns_ino());
	if (unshare(CLONE_NEWNET))
		fail_step(st, "unshare(CLONE_NEWNET): %m (needs root)");
	lo_up(st, j);
	j_int(j, "netnsAfter", netns_ino());
}

/* The process stays where it is; its next child is the first process of the new namespace. */
void step_pidns(const struct step *st, struct jbuf *j)
{
	j_int(j, "pidnsBefore", ns_ino("pid"));
	if (unshare(CLONE_NEWPID))
		fail_step(st, "unshare(CLONE_NEWPID): %m (needs root)");
}
