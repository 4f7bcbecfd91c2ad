// SPDX-License-Identifier: GPL-2.0
/*
 * A process's handles: the scenario's names for its descriptors. The table
 * is per process (copied on fork, rebuilt from the environment after exec).
 */
#include "runner.h"

#include <stdio.h>
#include <string.h>

int handle_fd(const char *name)
{
	for (int i = 0; i < R.nhandles; i++)
		if (!strcmp(R.handles[i].name, name))
			return R.handles[i].fd;
	return -1;
}

void handle_add(const struct step *st, const char *name, int fd)
{
	for (int i = 0; i < R.nhandles; i++) {
		if (!strcmp(R.handles[i].name, name)) {
			R.handles[i].fd = fd;
			return;
		}
	}
	if (R.nhandles >= MAX_HANDLES)
		fail_step(st, "more than %d handles in one process", MAX_HANDLES);
	snprintf(R.handles[R.nhandles].name, MAX_NAME, "%s", name);
	R.handles[R.nhandles++].fd = fd;
}

void handle_del(const char *name)
{
	for (int i = 0; i < R.nhandles; i++) {
		if (!strcmp(R.handles[i].name, name)) {
			R.handles[i] = R.handles[--R.nhandles];
			return;
		}
	}
}

/* The descriptor of the handle named by argument `key`. */
int need_fd(const struct step *st, const char *key)
{
	const char *name = need_arg(st, key);
	int fd = handle_fd(name);

	if (fd < 0)
		fail_step(st, "this process holds no handle \"%s\"", name);
	return fd;
}
