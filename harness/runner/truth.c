// SPDX-License-Identifier: GPL-2.0
/*
 * truth.json: at the end the controller wraps the step records of
 * OUTDIR/steps.jsonl, in step order, with what is true of the whole run.
 */
#include "runner.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

/* An exit step's record gets the time the controller saw the process gone (its upper bound). */
static void put_step_line(FILE *out, char *line, ssize_t n)
{
	int step = -1;

	if (sscanf(line, "{\"step\":%d", &step) == 1 && n > 1 && line[n - 1] == '}') {
		for (int i = 0; i < R.sh->nexits && i < MAX_EXITS; i++) {
			const struct exit_watch *e = &R.sh->exits[i];

			if (e->step != step || !e->gone_ns)
				continue;
			line[n - 1] = 0;
			fprintf(out, "%s,\"goneMonoNs\":%lld}", line, e->gone_ns);
			return;
		}
	}
	fputs(line, out);
}

/* The run's own fields, up to the "steps" key. */
static void run_head(struct jbuf *j, int ok, const char *error, int fail_step_index,
		     long long settled_ns, long long capture_stop_ns)
{
	struct timespec m, r;
	struct utsname u;

	clock_gettime(CLOCK_MONOTONIC, &m);
	clock_gettime(CLOCK_REALTIME, &r);
	uname(&u);
	j_put(j, "{");
	j_int(j, "version", 1);
	j_str(j, "scenario", R.script.scenario);
	j_str(j, "runId", R.sh->run_id);
	j_raw(j, "ok", ok ? "true" : "false");
	if (error)
		j_str(j, "error", error);
	if (fail_step_index >= 0)
		j_int(j, "failedStep", fail_step_index);
	j_int(j, "runnerPid", getpid());
	j_str(j, "runnerExe", R.self_exe);
	j_str(j, "kernel", u.release);
	j_raw(j, "capture", R.capture ? "true" : "false");
	j_int(j, "captureStartStep", R.script.capture_start_step);
	j_int(j, "realMinusMonoUs",
	      (r.tv_sec - m.tv_sec) * 1000000LL + (r.tv_nsec - m.tv_nsec) / 1000);
	j_int(j, "stepCount", R.script.nsteps);
	if (settled_ns)
		j_int(j, "settledMonoNs", settled_ns);
	if (capture_stop_ns)
		j_int(j, "captureStopMonoNs", capture_stop_ns);
	j_key(j, "steps");
}

static void put_steps(FILE *out, FILE *in)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int first = 1;

	fputs("[\n", out);
	while (in && (n = getline(&line, &cap, in)) > 0) {
		if (line[n - 1] == '\n')
			line[--n] = 0;
		if (!first)
			fputs(",\n", out);
		put_step_line(out, line, n);
		first = 0;
	}
	fputs("\n]}\n", out);
	free(line);
}

/* Written to truth.json.tmp, then renamed: a reader never sees half a file. */
int truth_write(int ok, const char *error, int fail_step_index, long long settled_ns,
		long long capture_stop_ns)
{
	char path[4200], tmp[4300];
	struct jbuf j = { 0 };
	FILE *in, *out;

	snprintf(path, sizeof(path), "%s/steps.jsonl", R.outdir);
	in = fopen(path, "r");
	snprintf(tmp, sizeof(tmp), "%s/truth.json.tmp", R.outdir);
	out = fopen(tmp, "w");
	if (!out) {
		if (in)
			fclose(in);
		return -1;
	}
	run_head(&j, ok, error, fail_step_index, settled_ns, capture_stop_ns);
	fputs(j.p, out);
	free(j.p);
	put_steps(out, in);
	if (in)
		fclose(in);
	if (fclose(out))
		return -1;
	snprintf(path, sizeof(path), "%s/truth.json", R.outdir);
	return rename(tmp, path);
}
