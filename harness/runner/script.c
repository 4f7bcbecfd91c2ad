// SPDX-License-Identifier: GPL-2.0
/*
 * Reads the line script produced by compileScenario():
 *   hone-runner-script 1
 *   scenario NAME
 *   steps N
 *   step I ACTOR KIND key=value ...   (send: more=true sends with MSG_MORE,
 *                                      via=sendfile sends with sendfile();
 *                                      recv: via=splice reads with splice();
 *                                      socket, accept: cloexec=true makes
 *                                      the descriptor with SOCK_CLOEXEC)
 *   end
 */
#include "runner.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int parse_step(struct step *st, char *line, int expect, char *err, size_t errlen)
{
	char *save = NULL;
	char *tok = strtok_r(line, " ", &save);
	int i = 0;

	memset(st, 0, sizeof(*st));
	for (; tok; tok = strtok_r(NULL, " ", &save), i++) {
		if (i == 0)
			continue; /* "step" */
		if (i == 1) {
			st->index = atoi(tok);
			if (st->index != expect) {
				snprintf(err, errlen, "step %s out of order (expected %d)", tok, expect);
				return -1;
			}
		} else if (i == 2) {
			snprintf(st->actor, sizeof(st->actor), "%s", tok);
		} else if (i == 3) {
			snprintf(st->kind, sizeof(st->kind), "%s", tok);
		} else {
			char *eq = strchr(tok, '=');
			struct kv *kv;

			if (!eq || st->nargs >= MAX_ARGS || eq - tok >= (long)sizeof(kv->key) ||
			    strlen(eq + 1) >= MAX_VAL) {
				snprintf(err, errlen, "step %d: bad argument \"%s\"", expect, tok);
				return -1;
			}
			kv = &st->args[st->nargs++];
			memcpy(kv->key, tok, eq - tok);
			snprintf(kv->val, sizeof(kv->val), "%s", eq + 1);
		}
	}
	if (i < 4) {
		snprintf(err, errlen, "step %d: needs an actor and a kind", expect);
		return -1;
	}
	if (step_arg(st, "more")) {
		const char *more = step_arg(st, "more");

		if (strcmp(st->kind, "send") && strcmp(st->kind, "sendto")) {
			snprintf(err, errlen, "step %d: more= is only for send steps, not %s", expect, st->kind);
			return -1;
		}
		if (strcmp(more, "true") && strcmp(more, "false")) {
			snprintf(err, errlen, "step %d: more=%s: expected true or false", expect, more);
			return -1;
		}
	}
	if (step_arg(st, "cloexec")) {
		const char *v = step_arg(st, "cloexec");

		if (strcmp(st->kind, "socket") && strcmp(st->kind, "accept")) {
			snprintf(err, errlen, "step %d: cloexec= is only for socket and accept steps, not %s", expect, st->kind);
			return -1;
		}
		if (strcmp(v, "true") && strcmp(v, "false")) {
			snprintf(err, errlen, "step %d: cloexec=%s: expected true or false", expect, v);
			return -1;
		}
	}
	if (step_arg(st, "via") && (!strcmp(st->kind, "send") || !strcmp(st->kind, "recv") ||
				    !strcmp(st->kind, "sendto") || !strcmp(st->kind, "recvfrom"))) {
		const char *via = step_arg(st, "via");
		const char *want = !strcmp(st->kind, "send") ? "sendfile" : !strcmp(st->kind, "recv") ? "splice" : NULL;
		const char *more = step_arg(st, "more");

		if (!want) {
			snprintf(err, errlen, "step %d: via= is not for %s steps (send: via=sendfile, recv: via=splice)",
				 expect, st->kind);
			return -1;
		}
		if (strcmp(via, want)) {
			snprintf(err, errlen, "step %d: %s via=%s: expected via=%s", expect, st->kind, via, want);
			return -1;
		}
		if (more && !strcmp(more, "true")) {
			snprintf(err, errlen, "step %d: more=true cannot be combined with via=sendfile", expect);
			return -1;
		}
	}
	return 0;
}

int script_load(struct script *s, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int lineno = 0, got = 0, ended = 0;

	memset(s, 0, sizeof(*s));
	s->capture_start_step = -1;
	snprintf(s->path, sizeof(s->path), "%s", path);
	if (!f) {
		snprintf(err, errlen, "cannot open script %s: %m", path);
		return -1;
	}
	while ((n = getline(&line, &cap, f)) >= 0) {
		lineno++;
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = 0;
		if (lineno == 1) {
			if (strcmp(line, "hone-runner-script 1")) {
				snprintf(err, errlen, "%s: not a hone-runner script (first line \"%.40s\")", path, line);
				goto fail;
			}
		} else if (!strncmp(line, "scenario ", 9)) {
			snprintf(s->scenario, sizeof(s->scenario), "%s", line + 9);
		} else if (!strncmp(line, "steps ", 6)) {
			s->nsteps = atoi(line + 6);
			if (s->nsteps <= 0 || s->nsteps > 1000000) {
				snprintf(err, errlen, "%s:%d: bad step count", path, lineno);
				goto fail;
			}
			s->steps = calloc(s->nsteps, sizeof(*s->steps));
		} else if (!strncmp(line, "step ", 5)) {
			struct step *st;

			if (!s->steps || got >= s->nsteps) {
				snprintf(err, errlen, "%s:%d: more steps than announced", path, lineno);
				goto fail;
			}
			st = &s->steps[got];
			if (parse_step(st, line, got, err, errlen))
				goto fail;
			if (!strcmp(st->kind, "capture-start"))
				s->capture_start_step = got;
			if (!strcmp(st->kind, "socket") && step_arg(st, "proto") &&
			    (!strcmp(step_arg(st, "proto"), "1") || !strcmp(step_arg(st, "proto"), "58")))
				s->uses_ping = 1;
			got++;
		} else if (!strcmp(line, "end")) {
			ended = 1;
			break;
		} else if (line[0] && line[0] != '#') {
			snprintf(err, errlen, "%s:%d: unknown line \"%.40s\"", path, lineno, line);
			goto fail;
		}
	}
	if (!ended || got != s->nsteps) {
		snprintf(err, errlen, "%s: truncated script (%d of %d steps, %s)", path, got, s->nsteps,
			 ended ? "end seen" : "no end line");
		goto fail;
	}
	free(line);
	fclose(f);
	return 0;
fail:
	free(line);
	fclose(f);
	return -1;
}

const char *step_arg(const struct step *st, const char *key)
{
	for (int i = 0; i < st->nargs; i++)
		if (!strcmp(st->args[i].key, key))
			return st->args[i].val;
	return NULL;
}
