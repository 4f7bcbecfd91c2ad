// SPDX-License-Identifier: GPL-2.0
/*
 * The run's processes, in the shared mapping: every pid (the controller
 * reaps and waits for them), which process each actor runs in (steps that
 * name another process), whether a process is still running, and the exit
 * watcher that times each exit step's end.
 */
#include "runner.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

void register_pid(pid_t pid)
{
	int i = __atomic_fetch_add(&R.sh->npids, 1, __ATOMIC_ACQ_REL);

	if (i < MAX_PIDS)
		R.sh->pids[i] = pid;
}

void register_actor(const char *name, pid_t pid)
{
	int i = __atomic_fetch_add(&R.sh->nactors, 1, __ATOMIC_ACQ_REL);

	if (i >= MAX_PIDS)
		return;
	snprintf(R.sh->actors[i].name, MAX_NAME, "%s", name);
	__atomic_store_n(&R.sh->actors[i].pid, pid, __ATOMIC_RELEASE);
}

/* Global pid of the process an actor (its main actor) runs in; 0 if unknown. */
pid_t actor_pid(const char *name)
{
	int n = __atomic_load_n(&R.sh->nactors, __ATOMIC_ACQUIRE);

	for (int i = 0; i < n && i < MAX_PIDS; i++)
		if (!strcmp(R.sh->actors[i].name, name))
			return __atomic_load_n(&R.sh->actors[i].pid, __ATOMIC_ACQUIRE);
	return 0;
}

/*
 * 1 while any thread of the process has not finished exiting. A zombie
 * leader does not make a process gone: its other threads may still be in
 * do_exit() (the leader of a thread group is kept as a zombie until the
 * last one is released), so the process's exit is not over until
 * /proc/PID/status counts one thread, the zombie leader itself.
 */
int process_running(pid_t pid)
{
	char path[64], buf[2048], *state, *threads;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	state = strstr(buf, "\nState:\t");
	threads = strstr(buf, "\nThreads:\t");
	if (threads && atoi(threads + 10) > 1)
		return 1;
	return !state || (state[8] != 'Z' && state[8] != 'X');
}

/* An exit step is about to _exit(): the controller's watcher notes when the process is gone. */
void watch_exit(int step, pid_t pid)
{
	int i = __atomic_load_n(&R.sh->nexits, __ATOMIC_ACQUIRE);

	if (i >= MAX_EXITS)
		return;
	R.sh->exits[i].step = step;
	R.sh->exits[i].pid = pid;
	R.sh->exits[i].gone_ns = 0;
	__atomic_store_n(&R.sh->nexits, i + 1, __ATOMIC_RELEASE);
}

/*
 * The exit watcher, a thread of the controller: a pidfd per exiting
 * process, polled; the first time one is readable (the process has exited:
 * its descriptors are closed, its exit reported) is its exit's upper bound
 * in the truth (goneMonoNs). A process already gone when looked at gets the
 * time it was looked at, also an upper bound.
 */
static pthread_t watcher;
static int watcher_running;
static volatile int watcher_stop;
static int watch_fds[MAX_EXITS];

/* Open a pidfd for each exit registered since the last call. */
static void watch_new(int *seen)
{
	int n = __atomic_load_n(&R.sh->nexits, __ATOMIC_ACQUIRE);

	for (; *seen < n && *seen < MAX_EXITS; (*seen)++) {
		watch_fds[*seen] = syscall(SYS_pidfd_open, R.sh->exits[*seen].pid, 0);
		if (watch_fds[*seen] < 0)
			R.sh->exits[*seen].gone_ns = mono_ns();
	}
}

/* One poll of the open pidfds (2 ms); each readable one is an exit seen. */
static void watch_poll(int seen)
{
	struct pollfd p[MAX_EXITS];
	int idx[MAX_EXITS], k = 0;

	for (int i = 0; i < seen; i++) {
		if (watch_fds[i] < 0)
			continue;
		p[k].fd = watch_fds[i];
		p[k].events = POLLIN;
		p[k].revents = 0;
		idx[k++] = i;
	}
	if (!k) {
		struct timespec ts = { 0, 2 * 1000000 };

		nanosleep(&ts, NULL);
		return;
	}
	if (poll(p, k, 2) <= 0)
		return;
	for (int i = 0; i < k; i++) {
		if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		R.sh->exits[idx[i]].gone_ns = mono_ns();
		close(watch_fds[idx[i]]);
		watch_fds[idx[i]] = -1;
	}
}

static void *exit_watcher(void *arg)
{
	int seen = 0;

	(void)arg;
	for (int i = 0; i < MAX_EXITS; i++)
		watch_fds[i] = -1;
	while (!__atomic_load_n(&watcher_stop, __ATOMIC_ACQUIRE)) {
		watch_new(&seen);
		watch_poll(seen);
	}
	return NULL;
}

int exit_watcher_start(void)
{
	if (pthread_create(&watcher, NULL, exit_watcher, NULL))
		return -1;
	watcher_running = 1;
	return 0;
}

void exit_watcher_stop(void)
{
	if (!watcher_running)
		return;
	__atomic_store_n(&watcher_stop, 1, __ATOMIC_RELEASE);
	pthread_join(watcher, NULL);
	watcher_running = 0;
	/* called when every actor is gone: now is an upper bound for the exits not yet seen */
	for (int i = 0; i < R.sh->nexits && i < MAX_EXITS; i++)
		if (!R.sh->exits[i].gone_ns)
			R.sh->exits[i].gone_ns = mono_ns();
}
