// SPDX-License-Identifier: GPL-2.0
/*
 * The process steps: fork (the child becomes an actor), thread (a pthread
 * becomes one), exec (the runner re-executes itself and resumes the actor,
 * its handles passed in the environment), exit.
 */
#include "runner.h"

#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* fork() inside a pid namespace gave the child's number there; the child reports its global pid. */
static pid_t child_global_pid(const struct step *st)
{
	long long deadline = mono_ns() + 10LL * 1000000000;
	pid_t pid;

	while (!(pid = __atomic_load_n(&R.sh->fork_gpid, __ATOMIC_ACQUIRE))) {
		if (mono_ns() > deadline)
			fail_step(st, "the child forked in a pid namespace did not report its pid");
		sched_yield();
	}
	return pid;
}

void step_fork(const struct step *st, struct jbuf *j)
{
	const char *child = need_arg(st, "child");
	int in_pidns = getpid() != global_pid();
	pid_t pid;

	__atomic_store_n(&R.sh->fork_gpid, 0, __ATOMIC_RELEASE);
	pid = fork();
	if (pid < 0)
		fail_step(st, "fork: %m");
	if (pid == 0) {
		free(j->p);
		__atomic_store_n(&R.sh->fork_gpid, global_pid(), __ATOMIC_RELEASE);
		run_actor(child, st->index + 1);
		_exit(0);
	}
	if (in_pidns) {
		j_int(j, "childNspid", pid);
		pid = child_global_pid(st);
	}
	register_pid(pid);
	register_actor(child, pid);
	j_str(j, "child", child);
	j_int(j, "childPid", pid);
}

struct thread_start {
	char name[MAX_NAME];
	int from;
	volatile pid_t tid;
};

static void *thread_main(void *arg)
{
	struct thread_start *ts = arg;
	char name[MAX_NAME];
	int from = ts->from;

	snprintf(name, sizeof(name), "%s", ts->name);
	__atomic_store_n(&ts->tid, global_tid(), __ATOMIC_RELEASE);
	run_actor(name, from);
	return NULL;
}

void step_thread(const struct step *st, struct jbuf *j)
{
	struct thread_start *ts = calloc(1, sizeof(*ts));
	pthread_t t;

	if (!ts)
		fail_step(st, "out of memory");
	snprintf(ts->name, sizeof(ts->name), "%s", need_arg(st, "thread"));
	ts->from = st->index + 1;
	if (pthread_create(&t, NULL, thread_main, ts))
		fail_step(st, "pthread_create failed");
	while (!__atomic_load_n(&ts->tid, __ATOMIC_ACQUIRE))
		sched_yield();
	j_str(j, "thread", ts->name);
	j_int(j, "threadTid", ts->tid);
}

/* HONE_RUNNER_HANDLES=name=fd,...: the handles that survive the exec (not close-on-exec). */
static void put_handles_env(void)
{
	char env[4096];
	size_t off = snprintf(env, sizeof(env), "HONE_RUNNER_HANDLES=");

	for (int i = 0, n = 0; i < R.nhandles && off < sizeof(env) - 64; i++) {
		int fl = fcntl(R.handles[i].fd, F_GETFD);

		if (fl >= 0 && (fl & FD_CLOEXEC))
			continue; /* closed by the exec: the new image has no such handle */
		off += snprintf(env + off, sizeof(env) - off, "%s%s=%d", n++ ? "," : "",
				R.handles[i].name, R.handles[i].fd);
	}
	putenv(strdup(env));
}

/* The new image records the step (actor_resume), with the time it began here. */
void step_exec(const struct step *st, struct jbuf *j)
{
	char idx[16], t0[64];
	char *argv[] = {
		R.self_exe, "resume", R.script.path, R.outdir, (char *)st->actor, idx, NULL,
	};
	/* monotonic first, then real, as every record (two arguments: either order) */
	long long mono = mono_ns(), real = real_us();

	free(j->p);
	j->p = NULL;
	snprintf(idx, sizeof(idx), "%d", st->index);
	/* the step begins now, before execve() */
	snprintf(t0, sizeof(t0), "HONE_RUNNER_EXEC_T0=%lld,%lld", mono, real);
	putenv(strdup(t0));
	put_handles_env();
	execv(R.self_exe, argv);
	fail_step(st, "execv %s: %m", R.self_exe);
}

/*
 * The first process of a pid namespace is about to exit: its exit kills
 * every process left in the namespace (zap_pid_ns_processes). The
 * scenario's earlier exit steps of those processes ran (the runner passes
 * the turn before _exit()), but a process may not have got the CPU to
 * finish its _exit() yet; SIGKILL would then be its exit status, not the
 * code the truth records. Wait (up to 5 s) until they are gone.
 */
static int namespace_busy(unsigned long ns, pid_t self)
{
	for (int i = 0; i < R.sh->npids && i < MAX_PIDS; i++) {
		char path[64];
		struct stat sb;
		pid_t p = R.sh->pids[i];

		if (p <= 0 || p == self)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/ns/pid", p);
		if (!stat(path, &sb) && sb.st_ino == ns && process_running(p))
			return 1;
	}
	return 0;
}

static void wait_namespace_empty(const struct step *st)
{
	unsigned long ns = ns_ino("pid");
	pid_t self = global_pid();
	long long deadline = mono_ns() + 5LL * 1000000000;

	while (namespace_busy(ns, self)) {
		struct timespec ts = { 0, 1000000 };

		if (mono_ns() > deadline)
			fail_step(st, "processes of its pid namespace still run 5 s after their exit steps");
		sched_yield();
		nanosleep(&ts, NULL);
	}
}

/* The record is written and the turn passed before _exit(): nothing runs after the exit. */
void step_exit(const struct step *st, struct jbuf *j)
{
	const char *c = step_arg(st, "code");
	int code = atoi(c ? c : "0");

	if (getpid() == 1)
		wait_namespace_empty(st);
	j_int(j, "code", code);
	j_close_write(j);
	watch_exit(st->index, global_pid());
	turn_advance(st->index);
	_exit(code);
}
