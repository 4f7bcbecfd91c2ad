/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2026 The Hone authors.
 *
 * How honeread gets bytes from the device to the output file. A backend
 * moves whatever the device has ready, and reports the end of a section
 * (the read that returns 0 after the ISB) as 0. honeread.c tries the
 * backends in order and keeps the first whose setup succeeds; a backend
 * whose first transfer fails with -EINVAL (the device does not support
 * it) hands over to the next one. Order: mmap (source_mmap.c), splice,
 * read (source_stream.c).
 */
#ifndef _HONEREAD_SOURCE_H
#define _HONEREAD_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct hr_source {
	int fd;			/* the device, opened O_RDONLY | O_NONBLOCK */
	size_t buflen;		/* bytes per transfer (-l) */
	void *priv;		/* the backend's state */
};

struct hr_backend {
	const char *name;
	/* 0, or -errno when the backend cannot serve this device. */
	int (*open)(struct hr_source *src);
	/*
	 * Moves what the device has ready to the file out: the number of
	 * bytes moved (> 0), 0 at the end of a section, -EAGAIN when nothing
	 * is ready (then wait for POLLIN on src->fd), -EINTR to be called
	 * again at once (after the signals are seen to), or another -errno.
	 * Never leaves a part of what it took from the device unwritten.
	 */
	ssize_t (*pump)(struct hr_source *src, int out);
	/*
	 * Optional: false while HEIO_RESTART must wait (the backend is in a
	 * part of the section where ending it would misplace records).
	 */
	bool (*can_end)(struct hr_source *src);
	void (*close)(struct hr_source *src);
};

extern const struct hr_backend hr_mmap_backend;
extern const struct hr_backend hr_splice_backend;
extern const struct hr_backend hr_read_backend;

/* Writes all of buf to fd (retrying short writes); 0 or -errno. */
int hr_write_all(int fd, const char *buf, size_t len);

#endif /* _HONEREAD_SOURCE_H */
