// SPDX-License-Identifier: GPL-2.0
/*
 * The controller (`hone-runner run`) around the steps: ping sockets
 * allowed for the run, actors reaped, and its one way out, success or not:
 * wait for the scenario's processes, stop the capture, write truth.json.
 */
#include "runner.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PING_RANGE	"/proc/sys/net/ipv4/ping_group_range"
#define SETTLE_MS	300
#define EXIT_WAIT_MS	10000

static char ping_saved[64];
static int finishing;

static int read_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = 0;
	return 0;
}

static int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, s, strlen(s));
	close(fd);
	return n == (ssize_t)strlen(s) ? 0 : -1;
}

/* A script with ping sockets: every group may open them until the run ends. */
void ping_allow(void)
{
	if (!R.script.uses_ping || read_file(PING_RANGE, ping_saved, sizeof(ping_saved)))
		return;
	if (write_file(PING_RANGE, "0 2147483647"))
		fprintf(stderr, "hone-runner: cannot allow ping sockets (%s: %s); ping steps may fail\n",
			PING_RANGE, strerror(errno));
}

static void ping_restore(void)
{
	if (ping_saved[0])
		write_file(PING_RANGE, ping_saved);
}

/* Reap what can be reaped; returns the number of actor processes still running. */
int reap_actors(int *killed_by_signal)
{
	int running = 0;

	for (int i = 0; i < R.sh->npids && i < MAX_PIDS; i++) {
		pid_t pid = R.sh->pids[i];
		int st;

		if (pid <= 0)
			continue;
		if (waitpid(pid, &st, WNOHANG) == pid) {
			if (WIFSIGNALED(st) && killed_by_signal)
				*killed_by_signal = pid;
			continue;
		}
		if (process_running(pid))
			running++;
	}
	return running;
}

static void kill_actors(void)
{
	for (int i = 0; i < R.sh->npids && i < MAX_PIDS; i++)
		if (R.sh->pids[i] > 0)
			kill(R.sh->pids[i], SIGKILL);
}

static void wait_actors_gone(int kill_them)
{
	long long deadline = mono_ns() + (long long)EXIT_WAIT_MS * 1000000;

	for (;;) {
		struct timespec ts = { 0, 10 * 1000000 };

		if (kill_them)
			kill_actors();
		if (!reap_actors(NULL))
			return;
		if (mono_ns() > deadline) {
			fprintf(stderr, "hone-runner: scenario processes still running %d ms after their exit step; killing them\n",
				EXIT_WAIT_MS);
			kill_them = 1;
			deadline = mono_ns() + (long long)EXIT_WAIT_MS * 1000000;
		}
		nanosleep(&ts, NULL);
	}
}

/* Stop the readers once late events settled; an error replaces none. */
static const char *capture_end(long long *settled, long long *stopped, char *err, size_t errlen)
{
	struct timespec ts = { 0, SETTLE_MS * 1000000L };

	/* let late events (exits, closes, TIME_WAIT packets) reach the rings */
	nanosleep(&ts, NULL);
	/* both readers are still reading: up to here both streams hold the same events */
	*settled = mono_ns();
	if (capture_stop(err, errlen))
		fprintf(stderr, "hone-runner: %s\n", err);
	else
		err = NULL;
	/* every event in the capture happened before this */
	*stopped = mono_ns();
	return err;
}

static void remove_work_files(void)
{
	char path[4200];

	snprintf(path, sizeof(path), "%s/steps.jsonl", R.outdir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/.hone-sync", R.outdir);
	unlink(path);
}

void controller_finish(void)
{
	char err[512] = "";
	int failed = __atomic_load_n(&R.sh->failed, __ATOMIC_ACQUIRE);
	const char *error = failed ? R.sh->failmsg : NULL, *stop_error = NULL;
	long long stopped = 0, settled = 0;

	if (finishing)
		_exit(1);
	finishing = 1;
	wait_actors_gone(failed);
	exit_watcher_stop();
	if (R.capture)
		stop_error = capture_end(&settled, &stopped, err, sizeof(err));
	if (!error)
		error = stop_error;
	ping_restore();
	if (truth_write(!error, error, failed ? R.sh->fail_step : -1, settled, stopped))
		fprintf(stderr, "hone-runner: cannot write %s/truth.json: %s\n", R.outdir, strerror(errno));
	remove_work_files();
	exit(error ? 1 : 0);
}
