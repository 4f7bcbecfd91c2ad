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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define STALL_NS	((long long)(TURN_TIMEOUT_MS + 5000) * 1000000)

struct runner R;

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
	R.steps_fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC | (create ? O_CREAT | O_TRUNC : 0),
			  0644);
	if (R.steps_fd < 0)
		die("cannot open %s", path);
}

/* Capture from before step 0: a reader that cannot start ends the run. */
static void capture_at_start(void)
{
	char err[512];

	if (!R.capture || R.script.capture_start_step >= 0 || !capture_start(err, sizeof(err)))
		return;
	fprintf(stderr, "hone-runner: %s\n", err);
	__atomic_store_n(&R.sh->failed, 1, __ATOMIC_RELEASE);
	snprintf(R.sh->failmsg, sizeof(R.sh->failmsg), "%s", err);
	R.sh->fail_step = -1;
	R.capture = 0;
	controller_finish();
}

/* The run fails at step t: a process was killed, or no step made progress. */
static void stall(int t, pid_t killed)
{
	const struct step *st = &R.script.steps[t];
	const char *kind = step_kind_name(st->kind);
	int expected = 0;

	if (!__atomic_compare_exchange_n(&R.sh->failed, &expected, 1, 0, __ATOMIC_ACQ_REL,
					 __ATOMIC_ACQUIRE))
		return;
	if (killed)
		snprintf(R.sh->failmsg, sizeof(R.sh->failmsg), "step %d (%s %s): process %d was killed by a signal",
			 t, st->actor, kind, killed);
	else
		snprintf(R.sh->failmsg, sizeof(R.sh->failmsg), "step %d (%s %s): no progress for %d ms",
			 t, st->actor, kind, TURN_TIMEOUT_MS + 5000);
	R.sh->fail_step = t;
	fprintf(stderr, "hone-runner: %s\n", R.sh->failmsg);
}

/* Wait for the last step, noticing actors that die without their exit step. */
static void watch_turns(void)
{
	long long last_change = mono_ns();
	int last_turn = -1, killed = 0;

	for (;;) {
		int t = __atomic_load_n(&R.sh->turn, __ATOMIC_ACQUIRE);
		struct timespec ts = { 0, 20 * 1000000 };

		if (t >= R.script.nsteps || __atomic_load_n(&R.sh->failed, __ATOMIC_ACQUIRE))
			return;
		if (t != last_turn) {
			last_turn = t;
			last_change = mono_ns();
		}
		reap_actors(&killed);
		if (killed || mono_ns() - last_change > STALL_NS) {
			stall(t, killed);
			return;
		}
		syscall(SYS_futex, &R.sh->turn, FUTEX_WAIT, t, &ts, NULL, 0);
	}
}

static int cmd_run(int argc, char **argv)
{
	char script[PATH_MAX];
	int no_capture = 0;

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
	sync_on_controller_failure(controller_finish);
	run_id(R.sh->run_id);
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	ping_allow();
	if (exit_watcher_start())
		fprintf(stderr, "hone-runner: cannot start the exit watcher; exits get no goneMonoNs\n");
	capture_at_start();
	run_actor("runner", 0);
	watch_turns();
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
