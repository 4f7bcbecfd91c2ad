// SPDX-License-Identifier: GPL-2.0
/*
 * Process, thread and namespace ids as the sensor reports them: /proc is
 * the guest's (mounted by the initial pid namespace), so /proc/self names
 * the process by its global pid also from inside a pid namespace, where
 * getpid() gives the namespace's own number.
 */
#include "runner.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

pid_t my_tid(void)
{
	return syscall(SYS_gettid);
}

static int link_text(const char *path, char *buf, size_t len)
{
	ssize_t n = readlink(path, buf, len - 1);

	if (n <= 0)
		return -1;
	buf[n] = 0;
	return 0;
}

pid_t global_pid(void)
{
	char buf[64];

	return link_text("/proc/self", buf, sizeof(buf)) ? getpid() : (pid_t)atoi(buf);
}

pid_t global_tid(void)
{
	char buf[64], *t;

	if (link_text("/proc/thread-self", buf, sizeof(buf)) || !(t = strstr(buf, "/task/")))
		return my_tid();
	return atoi(t + 6);
}

/* The parent's global pid (getppid() is 0 for a pid namespace's first process). */
pid_t global_ppid(void)
{
	char buf[512], *p;
	int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return getppid();
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return getppid();
	buf[n] = 0;
	p = strrchr(buf, ')');
	/* ") S PPID ..." */
	return p && p[1] && p[2] && p[3] ? (pid_t)atoi(p + 4) : getppid();
}

unsigned long ns_ino(const char *which)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/thread-self/ns/%s", which);
	if (!stat(path, &st))
		return st.st_ino;
	snprintf(path, sizeof(path), "/proc/self/ns/%s", which);
	return stat(path, &st) ? 0 : st.st_ino;
}

unsigned long netns_ino(void)
{
	return ns_ino("net");
}
