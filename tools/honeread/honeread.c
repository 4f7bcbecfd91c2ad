// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The Hone authors.
 *
 * honeread: records /dev/hone (PCAP-NG) to a file or stdout.
 *
 *   SIGHUP           end the section (HEIO_RESTART), read it to its end
 *                    into the current file, close it, reopen the output
 *                    path (logrotate renamed the old file) and record the
 *                    next section there. Nothing is lost or repeated: the
 *                    events the kernel queued meanwhile stay in the
 *                    reader's ring and open the next section, after its
 *                    headers and snapshot.
 *   SIGINT, SIGTERM  end the section the same way, then exit: the file
 *                    ends with the ISB (the final statistics). A fourth
 *                    one exits at once.
 *
 * Every file is a whole number of sections, so each is a valid PCAP-NG
 * file on its own. The options are those of Hone 15.07's honeread.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "honeevent.h"
#include "source.h"

#define DEFAULT_DEVICE		"/dev/hone"
#define DEFAULT_BUFLEN		(256 * 1024)
#define PROGRESS_SECONDS	10

/* Tried in this order (source.h). */
static const struct hr_backend *const backends[] = {
	&hr_mmap_backend,
	&hr_splice_backend,
	&hr_read_backend,
};

struct options {
	const char *device;
	const char *output;	/* NULL: stdout */
	bool append;
	bool plain_read;	/* -n, -l: read() only */
	int snaplen;		/* -1: leave the device's */
	size_t buflen;
	int verbose;		/* 0 -q, 1 default, 2 -v */
};

enum phase {
	LIVE,			/* recording a section */
	ROTATING,		/* HEIO_RESTART sent for SIGHUP */
	STOPPING,		/* HEIO_RESTART sent for SIGINT/SIGTERM */
};

struct recorder {
	struct options opt;
	struct hr_source src;
	const struct hr_backend *backend;
	size_t next_backend;
	bool moved;		/* the backend has moved bytes */
	unsigned long long section_bytes;	/* in the current section */
	bool is_device;		/* the HEIO ioctls work on src.fd */
	int out;
	enum phase phase;
	unsigned long long bytes, sections, files;
	struct timespec started, last_progress;
};

static volatile sig_atomic_t got_hup, got_stop;
static int wake_pipe[2] = { -1, -1 };
static const char *prog = "honeread";
static int verbosity = 1;

static void say(int level, const char *fmt, ...)
{
	va_list ap;

	if (verbosity < level)
		return;
	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void on_signal(int sig)
{
	int saved = errno;
	char c = 0;

	if (sig == SIGHUP) {
		got_hup = 1;
	} else if (++got_stop >= 4) {
		static const char msg[] = "honeread: fourth signal, exiting now\n";

		if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0)
			(void)0;
		_exit(2);
	}
	if (write(wake_pipe[1], &c, 1) < 0)
		(void)0;	/* the pipe is full: a wake-up is pending anyway */
	errno = saved;
}

static int setup_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal, .sa_flags = SA_RESTART };
	int sigs[] = { SIGHUP, SIGINT, SIGTERM };
	size_t i;

	if (pipe2(wake_pipe, O_CLOEXEC | O_NONBLOCK))
		return -errno;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (sigaction(sigs[i], &sa, NULL))
			return -errno;
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

static double seconds_since(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - t->tv_sec) + (now.tv_nsec - t->tv_nsec) / 1e9;
}

static void print_stats(struct recorder *r, const char *what)
{
	struct hone_stats st;

	if (!r->is_device || ioctl(r->src.fd, HEIO_GET_STATS, &st)) {
		say(1, "%s: %.0f s, %llu section(s) in %llu file(s), %llu bytes",
		    what, seconds_since(&r->started), r->sections, r->files,
		    r->bytes);
		return;
	}
	say(1, "%s: %.0f s, %llu section(s) in %llu file(s), %llu bytes; "
	    "events delivered: packets %" PRIu64 ", process %" PRIu64
	    ", socket %" PRIu64 "; drops (ring full / kernel): packets %"
	    PRIu64 "/%" PRIu64 ", process %" PRIu64 "/%" PRIu64
	    ", socket %" PRIu64 "/%" PRIu64 "; packets filtered %" PRIu64,
	    what, seconds_since(&r->started), r->sections, r->files, r->bytes,
	    (uint64_t)st.packets_delivered, (uint64_t)st.process_delivered,
	    (uint64_t)st.socket_delivered,
	    (uint64_t)st.packets_ring_dropped, (uint64_t)st.packets_dropped,
	    (uint64_t)st.process_ring_dropped, (uint64_t)st.process_dropped,
	    (uint64_t)st.socket_ring_dropped, (uint64_t)st.socket_dropped,
	    (uint64_t)st.packets_filtered);
}

/* Opens the output path (or takes stdout); -errno on failure. */
static int open_output(struct recorder *r)
{
	int flags = O_WRONLY | O_CREAT | O_CLOEXEC;
	int fd;

	if (!r->opt.output) {
		r->out = STDOUT_FILENO;
		r->files++;
		return 0;
	}
	/*
	 * Not O_APPEND: splice() refuses it. honeread is the file's only
	 * writer, so one seek to the end is the same.
	 */
	fd = open(r->opt.output, flags | (r->opt.append ? 0 : O_TRUNC), 0666);
	if (fd < 0)
		return -errno;
	if (r->opt.append && lseek(fd, 0, SEEK_END) < 0 && errno != ESPIPE) {
		int err = -errno;

		close(fd);
		return err;
	}
	r->out = fd;
	r->files++;
	return 0;
}

static int close_output(struct recorder *r)
{
	int err = 0;

	if (r->out == STDOUT_FILENO)
		return 0;
	if (fdatasync(r->out) && errno != EINVAL && errno != EROFS)
		err = -errno;
	if (close(r->out) && !err)
		err = -errno;
	r->out = -1;
	return err;
}

/* Sets up the next backend in the list; -errno when none is left. */
static int next_backend(struct recorder *r)
{
	while (r->next_backend < sizeof(backends) / sizeof(backends[0])) {
		const struct hr_backend *b = backends[r->next_backend++];
		int err;

		if (r->opt.plain_read && b != &hr_read_backend)
			continue;
		if (r->backend)
			r->backend->close(&r->src);
		r->backend = NULL;
		err = b->open(&r->src);
		if (err) {
			say(2, "%s: not usable (%s)", b->name, strerror(-err));
			continue;
		}
		r->backend = b;
		r->moved = false;
		say(2, "using %s()", b->name);
		return 0;
	}
	return -ENODEV;
}

static int request_restart(struct recorder *r, enum phase phase)
{
	if (r->phase == LIVE && r->is_device &&
	    ioctl(r->src.fd, HEIO_RESTART) < 0)
		return -errno;
	r->phase = phase;
	return 0;
}

/*
 * Acts on the signals received since the last call. Not while the device
 * is between two sections (HEIO_RESTART does nothing there): the signal
 * waits until the next section has begun, which then ends at once. So a
 * SIGHUP or SIGTERM that comes during a rotation is not lost.
 */
static int handle_signals(struct recorder *r)
{
	int err = 0;

	if (!got_stop && !got_hup)
		return 0;
	if (r->phase == LIVE && r->is_device &&
	    ioctl(r->src.fd, HEIO_GET_AT_HEAD) == 1)
		return 0;
	if (r->phase == LIVE && r->backend->can_end &&
	    !r->backend->can_end(&r->src))
		return 0;
	if (got_stop && r->phase != STOPPING) {
		say(2, "stopping: ending the section");
		err = request_restart(r, STOPPING);
	} else if (got_hup && r->phase == LIVE) {
		got_hup = 0;
		say(2, "SIGHUP: ending the section, then reopening %s",
		    r->opt.output ? r->opt.output : "(stdout)");
		err = request_restart(r, ROTATING);
	}
	return err;
}

/*
 * A section has ended. Returns 1 to go on, 0 when the recording is over,
 * -errno on failure.
 */
static int section_end(struct recorder *r)
{
	int err;

	r->sections++;
	if (r->phase == STOPPING)
		return 0;
	if (r->phase == ROTATING) {
		r->phase = LIVE;
		err = close_output(r);
		if (!err)
			err = open_output(r);
		if (err)
			return err;
		if (verbosity >= 2)
			print_stats(r, "rotated");
		return 1;
	}
	/* Not asked for: module unload, or the end of a plain file (-d). */
	if (r->is_device && ioctl(r->src.fd, HEIO_GET_AT_HEAD) == 1)
		return 1;
	say(1, "%s ended the capture", r->opt.device);
	return 0;
}

static void wait_ready(struct recorder *r)
{
	struct pollfd fds[2] = {
		{ .fd = r->src.fd, .events = POLLIN },
		{ .fd = wake_pipe[0], .events = POLLIN },
	};
	int timeout = verbosity >= 2 ? 1000 : -1;
	char drain[64];

	/* a signal after handle_signals() left a byte in wake_pipe */
	if (poll(fds, 2, timeout) < 0 && errno != EINTR)
		say(0, "poll: %s", strerror(errno));
	while (read(wake_pipe[0], drain, sizeof(drain)) > 0)
		;
	if (verbosity >= 2 && seconds_since(&r->last_progress) >= PROGRESS_SECONDS) {
		clock_gettime(CLOCK_MONOTONIC, &r->last_progress);
		print_stats(r, "recording");
	}
}

/* The main loop: 0 when stopped or ended, -errno on failure. */
static int record(struct recorder *r)
{
	for (;;) {
		ssize_t n;
		int err = handle_signals(r);

		if (err)
			return err;
		n = r->backend->pump(&r->src, r->out);
		if (n > 0) {
			r->bytes += n;
			r->section_bytes += n;
			r->moved = true;
			continue;
		}
		if (n == -EINTR)
			continue;	/* the backend waited itself */
		if (n == -EAGAIN) {
			wait_ready(r);
			continue;
		}
		if (n == -EINVAL && !r->moved) {
			/* the device does not offer this transfer: next one */
			say(2, "%s: not supported by %s", r->backend->name,
			    r->opt.device);
			err = next_backend(r);
			if (err)
				return -EINVAL;
			continue;
		}
		if (n < 0)
			return (int)n;
		if (!r->section_bytes) {
			/* no section at all: the module is unloading */
			say(1, "%s ended the capture", r->opt.device);
			return 0;
		}
		r->section_bytes = 0;
		err = section_end(r);
		if (err <= 0)
			return err;
	}
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: %s [-a] [-d DEVICE] [-l BYTES] [-n] [-q|-v] [-s SNAPLEN] [OUTPUT]\n"
		"Records Hone's PCAP-NG stream to OUTPUT (default: stdout).\n"
		"  -a          append to OUTPUT instead of truncating it\n"
		"  -d DEVICE   device to read (default %s)\n"
		"  -l BYTES    bytes per transfer (default %d); implies -n\n"
		"  -n          read() only (no mmap, no splice)\n"
		"  -q          only errors on stderr\n"
		"  -s SNAPLEN  bytes of each packet to keep (0: all)\n"
		"  -v          progress every %d s and at each rotation\n"
		"SIGHUP: end the section, reopen OUTPUT (for log rotation).\n"
		"SIGINT, SIGTERM: end the section and exit.\n",
		prog, DEFAULT_DEVICE, DEFAULT_BUFLEN, PROGRESS_SECONDS);
}

static int parse_number(const char *s, long min, long max, long *v)
{
	char *end;

	errno = 0;
	*v = strtol(s, &end, 0);
	return errno || end == s || *end || *v < min || *v > max ? -1 : 0;
}

static int parse_options(int argc, char **argv, struct options *o)
{
	long v;
	int c;

	*o = (struct options){ .device = DEFAULT_DEVICE, .snaplen = -1,
			       .buflen = DEFAULT_BUFLEN, .verbose = 1 };
	while ((c = getopt(argc, argv, "ad:hl:nqs:v")) != -1) {
		switch (c) {
		case 'a':
			o->append = true;
			break;
		case 'd':
			o->device = optarg;
			break;
		case 'l':
			if (parse_number(optarg, 1, INT_MAX, &v))
				goto bad;
			o->buflen = v;
			o->plain_read = true;
			break;
		case 'n':
			o->plain_read = true;
			break;
		case 'q':
			o->verbose = 0;
			break;
		case 's':
			if (parse_number(optarg, 0, INT_MAX, &v))
				goto bad;
			o->snaplen = v;
			break;
		case 'v':
			o->verbose = 2;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (argc - optind > 1) {
		usage(stderr);
		return -1;
	}
	if (optind < argc && strcmp(argv[optind], "-"))
		o->output = argv[optind];
	return 0;
bad:
	fprintf(stderr, "%s: invalid value for -%c: %s\n", prog, c, optarg);
	return -1;
}

static int start(struct recorder *r)
{
	int err;

	r->src.fd = open(r->opt.device, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (r->src.fd < 0) {
		err = -errno;
		say(0, "cannot open %s: %s%s", r->opt.device, strerror(-err),
		    err == -ENOENT ? " (is the module loaded? modprobe hone)" : "");
		return err;
	}
	r->src.buflen = r->opt.buflen;
	r->is_device = ioctl(r->src.fd, HEIO_GET_AT_HEAD) >= 0;
	if (r->opt.snaplen >= 0) {
		if (!r->is_device ||
		    ioctl(r->src.fd, HEIO_SET_SNAPLEN, r->opt.snaplen) < 0) {
			err = r->is_device ? -errno : -ENOTTY;
			say(0, "cannot set the snaplen of %s: %s", r->opt.device,
			    strerror(-err));
			return err;
		}
	}
	err = next_backend(r);
	if (err) {
		say(0, "no way to read %s", r->opt.device);
		return err;
	}
	err = open_output(r);
	if (err)
		say(0, "cannot open %s: %s", r->opt.output, strerror(-err));
	return err;
}

int main(int argc, char **argv)
{
	struct recorder r = { .out = -1, .phase = LIVE };
	int err;

	if (parse_options(argc, argv, &r.opt))
		return 64;
	verbosity = r.opt.verbose;
	clock_gettime(CLOCK_MONOTONIC, &r.started);
	r.last_progress = r.started;
	err = setup_signals();
	if (err) {
		say(0, "signals: %s", strerror(-err));
		return 1;
	}
	err = start(&r);
	if (err)
		return 1;
	say(2, "recording %s to %s", r.opt.device,
	    r.opt.output ? r.opt.output : "(stdout)");
	err = record(&r);
	if (err)
		say(0, "recording %s to %s failed: %s", r.opt.device,
		    r.opt.output ? r.opt.output : "stdout", strerror(-err));
	print_stats(&r, err ? "failed" : "stopped");
	if (r.out >= 0 && close_output(&r) && !err)
		err = -EIO;
	if (r.backend)
		r.backend->close(&r.src);
	close(r.src.fd);
	return err ? 1 : 0;
}
