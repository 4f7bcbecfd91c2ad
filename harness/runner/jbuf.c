// SPDX-License-Identifier: GPL-2.0
/*
 * A growing JSON text: keys, strings (escaped), integers, lists and
 * objects, with the commas put where they belong. Allocation failure
 * aborts: the runner cannot record truth without memory.
 */
#include "runner.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void grow(struct jbuf *j, size_t more)
{
	if (j->len + more + 1 <= j->cap)
		return;
	j->cap = (j->len + more + 1) * 2;
	j->p = realloc(j->p, j->cap);
	if (!j->p)
		abort();
}

static void put(struct jbuf *j, const char *s, size_t n)
{
	grow(j, n);
	memcpy(j->p + j->len, s, n);
	j->len += n;
	j->p[j->len] = 0;
}

void j_put(struct jbuf *j, const char *s)
{
	put(j, s, strlen(s));
}

static void put_escaped(struct jbuf *j, const char *s)
{
	j_put(j, "\"");
	for (; *s; s++) {
		unsigned char c = *s;
		char tmp[8];

		if (c == '"' || c == '\\') {
			tmp[0] = '\\';
			tmp[1] = c;
			put(j, tmp, 2);
		} else if (c < 0x20) {
			snprintf(tmp, sizeof(tmp), "\\u%04x", c);
			j_put(j, tmp);
		} else {
			put(j, (const char *)&c, 1);
		}
	}
	j_put(j, "\"");
}

/* A comma unless this is the first member of an object or list. */
static void sep(struct jbuf *j)
{
	if (j->len && j->p[j->len - 1] != '{' && j->p[j->len - 1] != '[')
		j_put(j, ",");
}

void j_key(struct jbuf *j, const char *k)
{
	sep(j);
	put_escaped(j, k);
	j_put(j, ":");
}

void j_str(struct jbuf *j, const char *k, const char *val)
{
	j_key(j, k);
	put_escaped(j, val);
}

void j_int(struct jbuf *j, const char *k, long long v)
{
	char tmp[32];

	j_key(j, k);
	snprintf(tmp, sizeof(tmp), "%lld", v);
	j_put(j, tmp);
}

void j_raw(struct jbuf *j, const char *k, const char *json)
{
	j_key(j, k);
	j_put(j, json);
}

void j_begin_list(struct jbuf *j, const char *k)
{
	j_key(j, k);
	j_put(j, "[");
}

void j_end_list(struct jbuf *j)
{
	j_put(j, "]");
}

void j_int_item(struct jbuf *j, long long v)
{
	char tmp[32];

	sep(j);
	snprintf(tmp, sizeof(tmp), "%lld", v);
	j_put(j, tmp);
}

void j_str_item(struct jbuf *j, const char *val)
{
	sep(j);
	put_escaped(j, val);
}

void j_obj_item_begin(struct jbuf *j)
{
	sep(j);
	j_put(j, "{");
}

void j_obj_item_end(struct jbuf *j)
{
	j_put(j, "}");
}
