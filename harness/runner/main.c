// SPDX-License-Identifier: GPL-2.0
/*
 * hone-runner: performs a Hone scenario script with real syscalls and
 * records the ground truth (see README.md).
 *
 *   hone-runner run [--no-capture] SCRIPT OUTDIR
 *   hone-runner resume SCRIPT OUTDIR ACTOR STEP   (internal: after an exec step)
 */
#include "runner.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PING_RANGE	"/proc/sys/net/ipv4/ping_group_range"
#define SETTLE_MS	300
#define EXIT_WAIT_MS	10000

struct runner R;

static char ping_saved[64];
static int finishing;

static void usage(void)
{
	fprintf(stderr,
		"usage: hone-runner run [--no-capture] SCRIPT OUTDIR\n"
		"  performs the compiled scenario SCRIPT; writes OUTDIR/truth.json and, unless\n"
		"  --no-capture, OUTDIR/capture.pcapng and OUTDIR/honet.txt (needs the honeevent module)\n");
}

static void die(const char *fmt, const char *arg)
{
	fprintf(stderr, "hone-runner: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n");
	exit(1);
}

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

static void ping_setup(void)
{
	if (!R.script.uses_ping || read_file(PING_RANGE, ping_saved, sizeof(ping_saved)))
		return;
	if (write_file(PING_RANGE, "0 2147483647"))
		fprintf(stderr, "hone-runner: cannot allow ping sockets (%s: %s); ping steps may fail\n", PING_RANGE, strerror(errno));
}

static void ping_restore(void)
{
	if (ping_saved[0])
		write_file(PING_RANGE, ping_saved);
}

/* Reap what can be reaped; returns the number of actor processes still running. */
static int reap_actors(int *killed_by_signal)
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

static void wait_actors_gone(int kill_them)
{
	long long deadline = mono_ns() + (long long)EXIT_WAIT_MS * 1000000;

	for (;;) {
		struct timespec ts = { 0, 10 * 1000000 };

		if (kill_them)
			for (int i = 0; i < R.sh->npids && i < MAX_PIDS; i++)
				if (R.sh->pids[i] > 0)
					kill(R.sh->pids[i], SIGKILL);
		if (!reap_actors(NULL))
			return;
		if (mono_ns() > deadline) {
			fprintf(stderr, "hone-runner: scenario processes still running %d ms after their exit step; killing them\n", EXIT_WAIT_MS);
			kill_them = 1;
			deadline = mono_ns() + (long long)EXIT_WAIT_MS * 1000000;
		}
		nanosleep(&ts, NULL);
	}
}

void controller_finish(void)
{
	char err[512] = "";
	int failed = __atomic_load_n(&R.sh->failed, __ATOMIC_ACQUIRE);
	char *error = failed ? R.sh->failmsg : NULL;
	char path[4200];
	long long stopped = 0, settled = 0;

	if (finishing)
		_exit(1);
	finishing = 1;
	wait_actors_gone(failed);
	exit_watcher_stop();
	if (R.capture) {
		struct timespec ts = { 0, SETTLE_MS * 1000000L };

		/* let late events (exits, closes, TIME_WAIT packets) reach the rings */
		nanosleep(&ts, NULL);
		/* both readers are still reading: up to here both streams hold the same events */
		settled = mono_ns();
		if (capture_stop(err, sizeof(err))) {
			fprintf(stderr, "hone-runner: %s\n", err);
			if (!error)
				error = err;
		}
		/* every event in the capture happened before this */
		stopped = mono_ns();
	}
	ping_restore();
	if (truth_write(!error, error, failed ? R.sh->fail_step : -1, settled, stopped))
		fprintf(stderr, "hone-runner: cannot write %s/truth.json: %s\n", R.outdir, strerror(errno));
	snprintf(path, sizeof(path), "%s/steps.jsonl", R.outdir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/.hone-sync", R.outdir);
	unlink(path);
	exit(error ? 1 : 0);
}

static void run_id(char *out)
{
	unsigned char b[4];

	if (getrandom(b, sizeof(b), 0) != sizeof(b)) {
		long long t = mono_ns() ^ getpid();

		memcpy(b, &t, sizeof(b));
	}
	snprintf(out, 9, "%02x%02x%02x%02x", b[0], b[1], b[2], b[3]);
}

static void common_setup(const char *script, const char *outdir, int create)
{
	char err[512];
	char path[4200];
	ssize_t n;

	if (!realpath(outdir, R.outdir))
		die("output folder %s is not usable", outdir);
	n = readlink("/proc/self/exe", R.self_exe, sizeof(R.self_exe) - 1);
	if (n <= 0)
		die("cannot read /proc/self/exe (is /proc mounted?)%s", "");
	R.self_exe[n] = 0;
	if (script_load(&R.script, script, err, sizeof(err)))
		die("%s", err);
	if (shared_open(R.outdir, create))
		die("cannot map %s/.hone-sync", R.outdir);
	snprintf(path, sizeof(path), "%s/steps.jsonl", R.outdir);
	R.steps_fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC | (create ? O_CREAT | O_TRUNC : 0), 0644);
	if (R.steps_fd < 0)
		die("cannot open %s", path);
}

static int cmd_run(int argc, char **argv)
{
	char script[PATH_MAX];
	int i = 0, no_capture = 0, killed = 0;
	long long last_change;
	int last_turn = -1;

	if (argc > 0 && !strcmp(argv[0], "--no-capture")) {
		no_capture = 1;
		argv++;
		argc--;
	}
	if (argc != 2) {
		usage();
		return 2;
	}
	if (mkdir(argv[1], 0755) && errno != EEXIST)
		die("cannot create output folder %s", argv[1]);
	if (!realpath(argv[0], script))
		die("script %s not found", argv[0]);
	common_setup(script, argv[1], 1);
	R.capture = !no_capture;
	R.controller = getpid();
	run_id(R.sh->run_id);
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	ping_setup();
	if (exit_watcher_start())
		fprintf(stderr, "hone-runner: cannot start the exit watcher; exits get no goneMonoNs\n");
	if (R.capture && R.script.capture_start_step < 0) {
		char err[512];

		if (capture_start(err, sizeof(err))) {
			fprintf(stderr, "hone-runner: %s\n", err);
			__atomic_store_n(&R.sh->failed, 1, __ATOMIC_RELEASE);
			snprintf(R.sh->failmsg, sizeof(R.sh->failmsg), "%s", err);
			R.sh->fail_step = -1;
			R.capture = 0;
			controller_finish();
		}
	}
	run_actor("runner", 0);
	/* wait for the last step, noticing actors that die without their exit step */
	last_change = mono_ns();
	for (;;) {
		int t = __atomic_load_n(&R.sh->turn, __ATOMIC_ACQUIRE);
		struct timespec ts = { 0, 20 * 1000000 };

		if (t >= R.script.nsteps || __atomic_load_n(&R.sh->failed, __ATOMIC_ACQUIRE))
			break;
		if (t != last_turn) {
			last_turn = t;
			last_change = mono_ns();
		}
		reap_actors(&killed);
		if (killed || mono_ns() - last_change > (long long)(TURN_TIMEOUT_MS + 5000) * 1000000) {
			const struct step *st = &R.script.steps[t];
			int expected = 0;

			if (__atomic_compare_exchange_n(&R.sh->failed, &expected, 1, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
				if (killed)
					snprintf(R.sh->failmsg, sizeof(R.sh->failmsg), "step %d (%s %s): process %d was killed by a signal", t, st->actor, st->kind, killed);
				else
					snprintf(R.sh->failmsg, sizeof(R.sh->failmsg), "step %d (%s %s): no progress for %d ms", t, st->actor, st->kind, TURN_TIMEOUT_MS + 5000);
				R.sh->fail_step = t;
				fprintf(stderr, "hone-runner: %s\n", R.sh->failmsg);
			}
			break;
		}
		syscall(SYS_futex, &R.sh->turn, FUTEX_WAIT, t, &ts, NULL, 0);
		(void)i;
	}
	controller_finish();
}

static int cmd_resume(int argc, char **argv)
{
	int index;

	if (argc != 4) {
		usage();
		return 2;
	}
	common_setup(argv[0], argv[1], 0);
	R.capture = 0;
	R.controller = 0;
	index = atoi(argv[3]);
	if (index < 0 || index >= R.script.nsteps)
		die("resume: step %s out of range", argv[3]);
	actor_resume(argv[2], index);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "run"))
		return cmd_run(argc - 2, argv + 2);
	if (argc >= 2 && !strcmp(argv[1], "resume"))
		return cmd_resume(argc - 2, argv + 2);
	usage();
	return 2;
}
