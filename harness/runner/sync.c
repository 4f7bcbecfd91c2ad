// SPDX-License-Identifier: GPL-2.0
/*
 * Lockstep between the scenario's processes and threads: one shared turn
 * counter in a file mapping (it survives fork, and exec reopens it by
 * path), waited on with a futex. A failed step is recorded there too, once:
 * every process then leaves, the controller by the way out its caller
 * gave (sync_on_controller_failure), the others with _exit().
 */
#include "runner.h"

#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static void (*controller_leave)(void);

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

/* How the controller leaves once the run failed; it must not return. */
void sync_on_controller_failure(void (*leave)(void))
{
	controller_leave = leave;
}

static void __attribute__((noreturn)) leave(int code)
{
	if (getpid() == R.controller && controller_leave)
		controller_leave();
	_exit(code);
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

		if (__atomic_load_n(&R.sh->failed, __ATOMIC_ACQUIRE))
			leave(2);
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
	if (__atomic_compare_exchange_n(&R.sh->failed, &expected, 1, 0, __ATOMIC_ACQ_REL,
					__ATOMIC_ACQUIRE)) {
		snprintf(R.sh->failmsg, sizeof(R.sh->failmsg), "step %d (%s %s): %s",
			 st ? st->index : -1, st ? st->actor : "-",
			 st ? step_kind_name(st->kind) : "-", msg);
		R.sh->fail_step = st ? st->index : -1;
		fprintf(stderr, "hone-runner: %s\n", R.sh->failmsg);
	}
	futex(&R.sh->turn, FUTEX_WAKE, INT_MAX, NULL);
	leave(1);
}
