// SPDX-License-Identifier: GPL-2.0
/*
 * An actor (process or thread) walks the script, waits for the turn of
 * each of its steps, performs it and appends its truth record, then passes
 * the turn on. After an exec step the new image resumes the actor here.
 */
#include "runner.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void run_actor(const char *me, int from)
{
	for (int i = from; i < R.script.nsteps; i++) {
		const struct step *st = &R.script.steps[i];

		if (strcmp(st->actor, me))
			continue;
		turn_wait(i);
		do_step(st);
		turn_advance(i);
	}
}

/* HONE_RUNNER_HANDLES=name=fd,...: the handles the old image held. */
static void handles_from_env(const struct step *st)
{
	const char *env = getenv("HONE_RUNNER_HANDLES");
	char *copy, *save = NULL;

	if (!env)
		return;
	copy = strdup(env);
	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');

		if (eq) {
			*eq = 0;
			handle_add(st, tok, atoi(eq + 1));
		}
	}
	free(copy);
	unsetenv("HONE_RUNNER_HANDLES");
}

/* HONE_RUNNER_EXEC_T0=mono,real: when the exec step began, in the old image. */
static void exec_t0_from_env(void)
{
	const char *t0 = getenv("HONE_RUNNER_EXEC_T0");

	if (!t0)
		return;
	sscanf(t0, "%lld,%lld", &R.exec_t0_mono, &R.exec_t0_real);
	unsetenv("HONE_RUNNER_EXEC_T0");
}

/* "argv": this image's command line, from /proc/self/cmdline. */
static void j_argv(struct jbuf *j)
{
	FILE *f = fopen("/proc/self/cmdline", "r");
	char arg[4096];
	int c, len = 0;

	j_begin_list(j, "argv");
	while (f && (c = fgetc(f)) != EOF) {
		if (c == 0) {
			arg[len] = 0;
			j_str_item(j, arg);
			len = 0;
		} else if (len < (int)sizeof(arg) - 1) {
			arg[len++] = c;
		}
	}
	if (f)
		fclose(f);
	j_end_list(j);
}

/* After exec: rebuild the handle table, record the exec step, continue. */
void actor_resume(const char *me, int index)
{
	const struct step *st = &R.script.steps[index];
	struct jbuf j = { 0 };
	char exe[4096];
	ssize_t n;

	handles_from_env(st);
	exec_t0_from_env();
	j_open(&j, st);
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	exe[n > 0 ? n : 0] = 0;
	j_str(&j, "exe", exe);
	j_argv(&j);
	j_close_write(&j);
	free(j.p);
	turn_advance(index);
	run_actor(me, index + 1);
	_exit(0);
}
