// SPDX-License-Identifier: GPL-2.0
/*
 * Capture: one reader child per device drains /dev/hone to
 * OUTDIR/capture.pcapng and /dev/honet to OUTDIR/honet.txt. Started before
 * the first step (or at a capture-start step); stopped with HEIO_RESTART,
 * then read until read() returns 0 (the ISB / TAIL line comes first).
 */
#include "runner.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#if __has_include("../../kmod/honeevent.h")
#include "../../kmod/honeevent.h"
#else
/* kmod/honeevent.h not found: the one ioctl the runner needs (FORMAT.md). */
#define HEIO_RESTART _IO(0xE0, 1)
#endif

#define READ_BUF	(256 * 1024)
#define STOP_TIMEOUT_MS	15000
#define READY_TIMEOUT_MS	10000

struct reader {
	const char *dev;
	const char *file;
	pid_t pid;
};

static struct reader readers[] = {
	{ "/dev/hone", "capture.pcapng", 0 },
	{ "/dev/honet", "honet.txt", 0 },
};

static volatile sig_atomic_t stop_requested;

static void on_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static int write_all(int fd, const char *p, ssize_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= w;
	}
	return 0;
}

/* Non-blocking reads until EAGAIN (or end of section). */
static void drain(int in, int out, char *buf, const char *path)
{
	int fl = fcntl(in, F_GETFL);

	if (fl < 0 || fcntl(in, F_SETFL, fl | O_NONBLOCK))
		return;
	for (;;) {
		ssize_t n = read(in, buf, READ_BUF);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (write_all(out, buf, n)) {
			fprintf(stderr, "hone-runner: write %s: %s\n", path, strerror(errno));
			_exit(3);
		}
	}
	fcntl(in, F_SETFL, fl);
}

static void reader_main(const struct reader *r, int ready_fd)
{
	char path[4200];
	char *buf = malloc(READ_BUF);
	int in, out, restarted = 0;
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop; /* no SA_RESTART: a blocked read returns EINTR */
	sigaction(SIGUSR1, &sa, NULL);
	in = open(r->dev, O_RDONLY);
	if (in < 0) {
		dprintf(ready_fd, "cannot open %s: %s (is the honeevent module loaded?)", r->dev, strerror(errno));
		_exit(1);
	}
	snprintf(path, sizeof(path), "%s/%s", R.outdir, r->file);
	out = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out < 0 || !buf) {
		dprintf(ready_fd, "cannot create %s: %s", path, strerror(errno));
		_exit(1);
	}
	/* The first read returns the section head (and the snapshot): the reader is live. */
	for (int ready = 0;;) {
		ssize_t n;

		if (stop_requested && !restarted) {
			/* drain what is queued first, so that no event lands after the section's end */
			drain(in, out, buf, path);
			if (ioctl(in, HEIO_RESTART) < 0) {
				fprintf(stderr, "hone-runner: ioctl HEIO_RESTART on %s: %s\n", r->dev, strerror(errno));
				_exit(3);
			}
			restarted = 1;
		}
		if (ready && !restarted) {
			struct pollfd p = { in, POLLIN, 0 };

			if (poll(&p, 1, 100) <= 0)
				continue;
		}
		n = read(in, buf, READ_BUF);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			fprintf(stderr, "hone-runner: read %s: %s\n", r->dev, strerror(errno));
			_exit(3);
		}
		if (n == 0) {
			struct timespec ts = { 0, 10 * 1000000 };

			if (restarted)
				break;
			if (!ready) {
				dprintf(ready_fd, "the first read of %s returned 0 (end of section before it began)", r->dev);
				_exit(1);
			}
			nanosleep(&ts, NULL);
			continue;
		}
		if (write_all(out, buf, n)) {
			fprintf(stderr, "hone-runner: write %s: %s\n", path, strerror(errno));
			_exit(3);
		}
		if (!ready) {
			ready = 1;
			if (write(ready_fd, "", 1) != 1)
				_exit(3);
			close(ready_fd);
		}
	}
	close(in);
	if (close(out))
		_exit(3);
	_exit(0);
}

int capture_start(char *err, size_t errlen)
{
	for (size_t i = 0; i < sizeof(readers) / sizeof(readers[0]); i++) {
		struct reader *r = &readers[i];
		int p[2];
		char msg[512];
		ssize_t n;
		pid_t pid;

		if (pipe2(p, O_CLOEXEC))
			return snprintf(err, errlen, "pipe: %s", strerror(errno)), -1;
		pid = fork();
		if (pid < 0)
			return snprintf(err, errlen, "fork reader: %s", strerror(errno)), -1;
		if (pid == 0) {
			close(p[0]);
			reader_main(r, p[1]);
		}
		close(p[1]);
		r->pid = pid;
		/* one NUL byte = live; text = the reader's error; EOF = it died */
		{
			struct pollfd pf = { p[0], POLLIN, 0 };

			if (poll(&pf, 1, READY_TIMEOUT_MS) <= 0) {
				close(p[0]);
				snprintf(err, errlen, "capture reader for %s got nothing from its first read within %d ms", r->dev, READY_TIMEOUT_MS);
				capture_stop(msg, sizeof(msg));
				return -1;
			}
		}
		n = read(p[0], msg, sizeof(msg) - 1);
		close(p[0]);
		if (n == 1 && msg[0] == 0)
			continue;
		msg[n > 0 ? n : 0] = 0;
		snprintf(err, errlen, "capture reader for %s failed: %s", r->dev, n > 0 ? msg : "it exited before the first read");
		capture_stop(msg, sizeof(msg));
		return -1;
	}
	return 0;
}

/* One signal to every reader still running; 1 once all have exited. */
static int signal_readers(void)
{
	int running = 0;

	for (size_t i = 0; i < sizeof(readers) / sizeof(readers[0]); i++)
		if (readers[i].pid > 0) {
			kill(readers[i].pid, SIGUSR1);
			running = 1;
		}
	return !running;
}

/* Reaps reader r if it has exited; its failure is written to err. */
static int reap_reader(struct reader *r, int status, char *err, size_t errlen)
{
	r->pid = 0;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	snprintf(err, errlen, "capture reader for %s failed (status 0x%x, see stderr)", r->dev, status);
	return -1;
}

/*
 * Both readers are told to stop at once, so that both sections end at
 * about the same point (the end waits for pending RCU callbacks in the
 * kernel: a reader stopped later would hold closes the first lacks).
 */
int capture_stop(char *err, size_t errlen)
{
	long long deadline = mono_ns() + (long long)STOP_TIMEOUT_MS * 1000000;
	int rc = 0;

	err[0] = 0;
	/* repeat the signal: one that lands just before read() blocks is not lost */
	while (!signal_readers()) {
		struct timespec ts = { 0, 50 * 1000000 };
		int left = 0;

		for (size_t i = 0; i < sizeof(readers) / sizeof(readers[0]); i++) {
			struct reader *r = &readers[i];
			int status;

			if (r->pid <= 0)
				continue;
			if (waitpid(r->pid, &status, WNOHANG) == r->pid) {
				rc |= reap_reader(r, status, err, errlen);
				continue;
			}
			if (mono_ns() <= deadline) {
				left = 1;
				continue;
			}
			kill(r->pid, SIGKILL);
			waitpid(r->pid, &status, 0);
			snprintf(err, errlen, "capture reader for %s did not reach end of section within %d ms "
				 "after HEIO_RESTART (killed; its file may lack the ISB)", r->dev, STOP_TIMEOUT_MS);
			r->pid = 0;
			rc = -1;
		}
		if (left)
			nanosleep(&ts, NULL);
	}
	return rc;
}
