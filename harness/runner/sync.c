// SPDX-License-Identifier: GPL-2.0
/*
 * Lockstep between the scenario's processes and threads: one shared turn
 * counter in a file mapping (it survives fork, and exec reopens it by
 * path), waited on with a futex.
 */
#include "runner.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int shared_open(const char *outdir, int create)
{
	char path[4200];
	int fd;

	snprintf(path, sizeof(path), "%s/.hone-sync", outdir);
	fd = open(path, O_RDWR | O_CLOEXEC | (create ? O_CREAT | O_TRUNC : 0), 0600);
	if (fd < 0)
		return -1;
	if (create && ftruncate(fd, sizeof(struct shared))) {
		close(fd);
		return -1;
	}
	R.sh = mmap(NULL, sizeof(struct shared), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	return R.sh == MAP_FAILED ? -1 : 0;
}

static long futex(int *uaddr, int op, int val, const struct timespec *ts)
{
	return syscall(SYS_futex, uaddr, op, val, ts, NULL, 0);
}

void turn_wait(int index)
{
	long long deadline = mono_ns() + (long long)TURN_TIMEOUT_MS * 1000000;
	const struct step *st = &R.script.steps[index];

	for (;;) {
		int t = __atomic_load_n(&R.sh->turn, __ATOMIC_ACQUIRE);
		struct timespec ts = { 0, 50 * 1000000 };

		if (__atomic_load_n(&R.sh->failed, __ATOMIC_ACQUIRE)) {
			if (getpid() == R.controller)
				controller_finish();
			_exit(2);
		}
		if (t == index)
			return;
		if (mono_ns() > deadline) {
			fail_step(st, "timed out after %d ms waiting for its turn (step %d is still running: "
				  "a step blocked, check the scenario's order)", TURN_TIMEOUT_MS, t);
		}
		futex(&R.sh->turn, FUTEX_WAIT, t, &ts);
	}
}

void turn_advance(int index)
{
	__atomic_store_n(&R.sh->turn, index + 1, __ATOMIC_RELEASE);
	futex(&R.sh->turn, FUTEX_WAKE, INT_MAX, NULL);
}

void fail_step(const struct step *st, const char *fmt, ...)
{
	char msg[900];
	va_list ap;
	int expected = 0;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (__atomic_compare_exchange_n(&R.sh->failed, &expected, 1, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		snprintf(R.sh->failmsg, sizeof(R.sh->failmsg), "step %d (%s %s): %s",
			 st ? st->index : -1, st ? st->actor : "-", st ? st->kind : "-", msg);
		R.sh->fail_step = st ? st->index : -1;
		fprintf(stderr, "hone-runner: %s\n", R.sh->failmsg);
	}
	futex(&R.sh->turn, FUTEX_WAKE, INT_MAX, NULL);
	if (getpid() == R.controller)
		controller_finish();
	_exit(1);
}

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
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

static pthread_t watcher;
static int watcher_running;
static volatile int watcher_stop;

static void *exit_watcher(void *arg)
{
	static int fds[MAX_EXITS];
	int seen = 0;

	(void)arg;
	for (int i = 0; i < MAX_EXITS; i++)
		fds[i] = -1;
	while (!__atomic_load_n(&watcher_stop, __ATOMIC_ACQUIRE)) {
		struct pollfd p[MAX_EXITS];
		int idx[MAX_EXITS], k = 0;
		int n = __atomic_load_n(&R.sh->nexits, __ATOMIC_ACQUIRE);

		for (; seen < n && seen < MAX_EXITS; seen++) {
			fds[seen] = syscall(SYS_pidfd_open, R.sh->exits[seen].pid, 0);
			if (fds[seen] < 0)
				R.sh->exits[seen].gone_ns = mono_ns();
		}
		for (int i = 0; i < seen; i++) {
			if (fds[i] < 0)
				continue;
			p[k].fd = fds[i];
			p[k].events = POLLIN;
			p[k].revents = 0;
			idx[k++] = i;
		}
		if (!k) {
			struct timespec ts = { 0, 2 * 1000000 };

			nanosleep(&ts, NULL);
			continue;
		}
		if (poll(p, k, 2) <= 0)
			continue;
		for (int i = 0; i < k; i++) {
			if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			R.sh->exits[idx[i]].gone_ns = mono_ns();
			close(fds[idx[i]]);
			fds[idx[i]] = -1;
		}
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
