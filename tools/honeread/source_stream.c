// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The Hone authors.
 *
 * The stream backends: splice() (device -> pipe -> file, no copy through
 * user space) and read()/write(). The device hands out whole records in
 * order whatever the transfer size, so both only move bytes; a section
 * ends where read() (or splice()) returns 0.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

#include "source.h"

#define PIPE_MAX	(1024 * 1024)

int hr_write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		buf += n;
		len -= n;
	}
	return 0;
}

/* --- read() --- */

static int read_open(struct hr_source *src)
{
	src->priv = malloc(src->buflen);
	return src->priv ? 0 : -ENOMEM;
}

static ssize_t read_pump(struct hr_source *src, int out)
{
	ssize_t n = read(src->fd, src->priv, src->buflen);
	int err;

	if (n <= 0)
		return n ? -errno : 0;
	err = hr_write_all(out, src->priv, n);
	return err ? err : n;
}

static void read_close(struct hr_source *src)
{
	free(src->priv);
	src->priv = NULL;
}

const struct hr_backend hr_read_backend = {
	.name = "read",
	.open = read_open,
	.pump = read_pump,
	.close = read_close,
};

/* --- splice() --- */

struct splice_state {
	int pipe[2];
	bool copy_out;		/* the output refuses splice: read the pipe */
	char buf[65536];
};

static int splice_open(struct hr_source *src)
{
	struct splice_state *s = calloc(1, sizeof(*s));
	size_t size = src->buflen < PIPE_MAX ? src->buflen : PIPE_MAX;

	if (!s)
		return -ENOMEM;
	if (pipe2(s->pipe, O_CLOEXEC)) {
		free(s);
		return -errno;
	}
	fcntl(s->pipe[1], F_SETPIPE_SZ, (int)size);	/* best effort */
	src->priv = s;
	return 0;
}

/* Empties the pipe into out: len bytes are in it. */
static int drain_pipe(struct splice_state *s, int out, size_t len)
{
	while (len > 0) {
		ssize_t n;
		int err;

		if (!s->copy_out) {
			n = splice(s->pipe[0], NULL, out, NULL, len, SPLICE_F_MOVE);
			if (n > 0) {
				len -= n;
				continue;
			}
			if (n < 0 && errno == EINTR)
				continue;
			if (n == 0 || errno != EINVAL)
				return n ? -errno : -EIO;
			s->copy_out = true;	/* e.g. a terminal */
		}
		n = read(s->pipe[0], s->buf,
			 len < sizeof(s->buf) ? len : sizeof(s->buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n ? -errno : -EIO;
		err = hr_write_all(out, s->buf, n);
		if (err)
			return err;
		len -= n;
	}
	return 0;
}

static ssize_t splice_pump(struct hr_source *src, int out)
{
	struct splice_state *s = src->priv;
	ssize_t n;
	int err;

	n = splice(src->fd, NULL, s->pipe[1], NULL, src->buflen,
		   SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
	if (n <= 0)
		return n ? -errno : 0;
	err = drain_pipe(s, out, n);
	return err ? err : n;
}

static void splice_close(struct hr_source *src)
{
	struct splice_state *s = src->priv;

	if (!s)
		return;
	close(s->pipe[0]);
	close(s->pipe[1]);
	free(s);
	src->priv = NULL;
}

const struct hr_backend hr_splice_backend = {
	.name = "splice",
	.open = splice_open,
	.pump = splice_pump,
	.close = splice_close,
};
