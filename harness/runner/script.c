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
 * Each step's kind is parsed here, once, into an enum step_kind; a kind the
 * runner does not know, or an argument a kind does not take, is an error
 * naming SCRIPT:LINE.
 */
#include "runner.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_SIZE	64

static const char *const kind_names[] = {
	[STEP_FORK] = "fork",
	[STEP_THREAD] = "thread",
	[STEP_EXEC] = "exec",
	[STEP_EXIT] = "exit",
	[STEP_SOCKET] = "socket",
	[STEP_SOCKETPAIR] = "socketpair",
	[STEP_BIND] = "bind",
	[STEP_LISTEN] = "listen",
	[STEP_CONNECT] = "connect",
	[STEP_ACCEPT] = "accept",
	[STEP_SEND] = "send",
	[STEP_SENDTO] = "sendto",
	[STEP_RECV] = "recv",
	[STEP_RECVFROM] = "recvfrom",
	[STEP_SHUTDOWN] = "shutdown",
	[STEP_CLOSE] = "close",
	[STEP_DUP] = "dup",
	[STEP_SENDFD] = "sendfd",
	[STEP_RECVFD] = "recvfd",
	[STEP_NETNS] = "netns",
	[STEP_PIDNS] = "pidns",
	[STEP_VETH] = "veth",
	[STEP_SLEEP] = "sleep",
	[STEP_CAPTURE_START] = "capture-start",
};

_Static_assert(sizeof(kind_names) / sizeof(kind_names[0]) == STEP_NKINDS, "a name per kind");

/* Where a parse error is: the script's path and line. */
struct pos {
	const char *path;
	int line;
};

const char *step_kind_name(enum step_kind kind)
{
	return kind < STEP_NKINDS ? kind_names[kind] : "?";
}

static int kind_parse(const char *name, enum step_kind *kind)
{
	for (int k = 0; k < STEP_NKINDS; k++) {
		if (kind_names[k] && !strcmp(kind_names[k], name)) {
			*kind = k;
			return 0;
		}
	}
	return -1;
}

static int is_bool(const char *v)
{
	return !strcmp(v, "true") || !strcmp(v, "false");
}

static int kv_parse(struct step *st, char *tok)
{
	char *eq = strchr(tok, '=');
	struct kv *kv;

	if (!eq || st->nargs >= MAX_ARGS || eq - tok >= (long)sizeof(kv->key) ||
	    strlen(eq + 1) >= MAX_VAL)
		return -1;
	kv = &st->args[st->nargs++];
	memcpy(kv->key, tok, eq - tok);
	snprintf(kv->val, sizeof(kv->val), "%s", eq + 1);
	return 0;
}

/* "step I ACTOR KIND key=value ..." */
static int step_parse(struct step *st, char *line, int expect, const struct pos *at, char *err,
		      size_t errlen)
{
	char *save = NULL;
	char *tok = strtok_r(line, " ", &save);
	int i = 0;

	memset(st, 0, sizeof(*st));
	for (; tok; tok = strtok_r(NULL, " ", &save), i++) {
		if (i == 1) {
			st->index = atoi(tok);
			if (st->index != expect) {
				snprintf(err, errlen, "%s:%d: step %s out of order (expected %d)", at->path, at->line, tok, expect);
				return -1;
			}
		} else if (i == 2) {
			snprintf(st->actor, sizeof(st->actor), "%s", tok);
		} else if (i == 3 && kind_parse(tok, &st->kind)) {
			snprintf(err, errlen, "%s:%d: step %d: unknown step kind \"%.32s\"", at->path, at->line, expect, tok);
			return -1;
		} else if (i > 3 && kv_parse(st, tok)) {
			snprintf(err, errlen, "%s:%d: step %d: bad argument \"%.80s\"", at->path, at->line, expect, tok);
			return -1;
		}
	}
	if (i < 4) {
		snprintf(err, errlen, "%s:%d: step %d: needs an actor and a kind", at->path, at->line, expect);
		return -1;
	}
	return 0;
}

/* more=true|false: send and sendto only. */
static int check_more(const struct step *st, char *why, size_t len)
{
	const char *more = step_arg(st, "more");

	if (!more)
		return 0;
	if (st->kind != STEP_SEND && st->kind != STEP_SENDTO)
		return snprintf(why, len, "more= is only for send steps, not %s", step_kind_name(st->kind));
	if (!is_bool(more))
		return snprintf(why, len, "more=%s: expected true or false", more);
	return 0;
}

/* cloexec=true|false: socket and accept only. */
static int check_cloexec(const struct step *st, char *why, size_t len)
{
	const char *v = step_arg(st, "cloexec");

	if (!v)
		return 0;
	if (st->kind != STEP_SOCKET && st->kind != STEP_ACCEPT)
		return snprintf(why, len, "cloexec= is only for socket and accept steps, not %s", step_kind_name(st->kind));
	if (!is_bool(v))
		return snprintf(why, len, "cloexec=%s: expected true or false", v);
	return 0;
}

/* Data steps: send via=sendfile, recv via=splice (sendfd and recvfd: via= names a handle). */
static int check_via(const struct step *st, char *why, size_t len)
{
	const char *via = step_arg(st, "via"), *more = step_arg(st, "more");
	const char *kind = step_kind_name(st->kind);

	if (!via || (st->kind != STEP_SEND && st->kind != STEP_RECV && st->kind != STEP_SENDTO &&
		     st->kind != STEP_RECVFROM))
		return 0;
	if (st->kind == STEP_SENDTO || st->kind == STEP_RECVFROM)
		return snprintf(why, len, "via= is not for %s steps (send: via=sendfile, recv: via=splice)", kind);
	if (st->kind == STEP_SEND && strcmp(via, "sendfile"))
		return snprintf(why, len, "%s via=%s: expected via=sendfile", kind, via);
	if (st->kind == STEP_RECV && strcmp(via, "splice"))
		return snprintf(why, len, "%s via=%s: expected via=splice", kind, via);
	if (more && !strcmp(more, "true"))
		return snprintf(why, len, "more=true cannot be combined with via=sendfile");
	return 0;
}

static int step_check(const struct step *st, const struct pos *at, char *err, size_t errlen)
{
	char why[256];

	if (!check_more(st, why, sizeof(why)) && !check_cloexec(st, why, sizeof(why)) &&
	    !check_via(st, why, sizeof(why)))
		return 0;
	snprintf(err, errlen, "%s:%d: step %d: %s", at->path, at->line, st->index, why);
	return -1;
}

static int uses_ping(const struct step *st)
{
	const char *proto = step_arg(st, "proto");

	return st->kind == STEP_SOCKET && proto && (!strcmp(proto, "1") || !strcmp(proto, "58"));
}

static int step_line(struct script *s, char *line, int *got, const struct pos *at, char *err,
		     size_t errlen)
{
	struct step *st;

	if (!s->steps || *got >= s->nsteps) {
		snprintf(err, errlen, "%s:%d: more steps than announced", at->path, at->line);
		return -1;
	}
	st = &s->steps[*got];
	if (step_parse(st, line, *got, at, err, errlen) || step_check(st, at, err, errlen))
		return -1;
	if (st->kind == STEP_CAPTURE_START)
		s->capture_start_step = *got;
	if (uses_ping(st))
		s->uses_ping = 1;
	(*got)++;
	return 0;
}

/* One line after the first; 1 at "end", -1 on an error. */
static int script_line(struct script *s, char *line, int *got, const struct pos *at, char *err,
		       size_t errlen)
{
	if (!strncmp(line, "scenario ", 9)) {
		snprintf(s->scenario, sizeof(s->scenario), "%s", line + 9);
	} else if (!strncmp(line, "steps ", 6)) {
		s->nsteps = atoi(line + 6);
		if (s->nsteps <= 0 || s->nsteps > 1000000 || s->steps) {
			snprintf(err, errlen, "%s:%d: bad step count", at->path, at->line);
			return -1;
		}
		s->steps = calloc(s->nsteps, sizeof(*s->steps));
		if (!s->steps) {
			snprintf(err, errlen, "%s:%d: out of memory for %d steps", at->path, at->line, s->nsteps);
			return -1;
		}
	} else if (!strncmp(line, "step ", 5)) {
		return step_line(s, line, got, at, err, errlen);
	} else if (!strcmp(line, "end")) {
		return 1;
	} else if (line[0] && line[0] != '#') {
		snprintf(err, errlen, "%s:%d: unknown line \"%.40s\"", at->path, at->line, line);
		return -1;
	}
	return 0;
}

static int script_read(struct script *s, FILE *f, const char *path, char *err, size_t errlen)
{
	struct pos at = { path, 0 };
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int got = 0, rc = -1, r;

	while ((n = getline(&line, &cap, f)) >= 0) {
		at.line++;
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = 0;
		if (at.line == 1 && strcmp(line, "hone-runner-script 1")) {
			snprintf(err, errlen, "%s: not a hone-runner script (first line \"%.40s\")", path, line);
			goto out;
		}
		r = at.line == 1 ? 0 : script_line(s, line, &got, &at, err, errlen);
		if (r < 0)
			goto out;
		if (r > 0)
			break;
	}
	if (n < 0 || got != s->nsteps) {
		snprintf(err, errlen, "%s: truncated script (%d of %d steps, %s)", path, got, s->nsteps,
			 n >= 0 ? "end seen" : "no end line");
		goto out;
	}
	rc = 0;
out:
	free(line);
	return rc;
}

int script_load(struct script *s, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	int rc;

	memset(s, 0, sizeof(*s));
	s->capture_start_step = -1;
	snprintf(s->path, sizeof(s->path), "%s", path);
	if (!f) {
		snprintf(err, errlen, "cannot open script %s: %m", path);
		return -1;
	}
	rc = script_read(s, f, path, err, errlen);
	fclose(f);
	return rc;
}

const char *step_arg(const struct step *st, const char *key)
{
	for (int i = 0; i < st->nargs; i++)
		if (!strcmp(st->args[i].key, key))
			return st->args[i].val;
	return NULL;
}

const char *need_arg(const struct step *st, const char *key)
{
	const char *v = step_arg(st, key);

	if (!v)
		fail_step(st, "missing argument %s=", key);
	return v;
}

/* key=true|false; absent is false. */
int bool_arg(const struct step *st, const char *key)
{
	const char *v = step_arg(st, key);

	if (v && !is_bool(v))
		fail_step(st, "%s=%s: expected true or false", key, v);
	return v && !strcmp(v, "true");
}

size_t size_arg(const struct step *st)
{
	const char *s = step_arg(st, "size");

	return s ? (size_t)atoi(s) : DEFAULT_SIZE;
}
