// SPDX-License-Identifier: GPL-2.0
/*
 * One step: its record opened, the function of its kind (a table indexed
 * by enum step_kind, parsed once by script.c), the record written.
 */
#include "runner.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void step_sleep(const struct step *st, struct jbuf *j)
{
	int ms = atoi(need_arg(st, "ms"));
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	(void)j;
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* One process's socket inodes, from its /proc/PID/fd; nothing if it is gone. */
static void fd_view_of(struct jbuf *j, pid_t pid)
{
	char path[64], link[128], fdpath[384];
	struct dirent *d;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	dir = opendir(path);
	if (!dir)
		return;
	j_obj_item_begin(j);
	j_int(j, "pid", pid);
	j_begin_list(j, "inos");
	while ((d = readdir(dir))) {
		ssize_t n;

		if (d->d_name[0] == '.')
			continue;
		snprintf(fdpath, sizeof(fdpath), "%s/%s", path, d->d_name);
		n = readlink(fdpath, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = 0;
		if (!strncmp(link, "socket:[", 8))
			j_int_item(j, strtoll(link + 8, NULL, 10));
	}
	closedir(dir);
	j_end_list(j);
	j_obj_item_end(j);
}

/*
 * capture-start: which sockets each scenario process holds, as its own
 * /proc/PID/fd says (the inodes of its socket descriptors), when the
 * capture readers have taken their snapshot. The snapshot must list a
 * connection open block for each process and each of its inet sockets.
 */
static void step_capture_start(const struct step *st, struct jbuf *j)
{
	char err[512];

	if (R.capture && capture_start(err, sizeof(err)))
		fail_step(st, "%s", err);
	j_begin_list(j, "fdView");
	for (int i = 0; i < R.sh->npids && i < MAX_PIDS; i++)
		fd_view_of(j, R.sh->pids[i]);
	j_end_list(j);
}

static step_fn *const step_fns[] = {
	[STEP_FORK] = step_fork,
	[STEP_THREAD] = step_thread,
	[STEP_EXEC] = step_exec,
	[STEP_EXIT] = step_exit,
	[STEP_SOCKET] = step_socket,
	[STEP_SOCKETPAIR] = step_socketpair,
	[STEP_BIND] = step_bind,
	[STEP_LISTEN] = step_listen,
	[STEP_CONNECT] = step_connect,
	[STEP_ACCEPT] = step_accept,
	[STEP_SEND] = step_send,
	[STEP_SENDTO] = step_sendto,
	[STEP_RECV] = step_recv,
	[STEP_RECVFROM] = step_recvfrom,
	[STEP_SHUTDOWN] = step_shutdown,
	[STEP_CLOSE] = step_close,
	[STEP_DUP] = step_dup,
	[STEP_SENDFD] = step_sendfd,
	[STEP_RECVFD] = step_recvfd,
	[STEP_NETNS] = step_netns,
	[STEP_PIDNS] = step_pidns,
	[STEP_VETH] = step_veth,
	[STEP_SLEEP] = step_sleep,
	[STEP_CAPTURE_START] = step_capture_start,
};

_Static_assert(sizeof(step_fns) / sizeof(step_fns[0]) == STEP_NKINDS, "a function per kind");

void do_step(const struct step *st)
{
	struct jbuf j = { 0 };
	const char *sock = step_arg(st, "sock"), *via = step_arg(st, "via");

	j_open(&j, st);
	/* socket and socketpair record the handle they make themselves */
	if (sock && st->kind != STEP_SOCKET && st->kind != STEP_SOCKETPAIR)
		j_str(&j, "sock", sock);
	if (via)
		j_str(&j, "via", via);
	step_fns[st->kind](st, &j);
	j_close_write(&j);
	free(j.p);
}
