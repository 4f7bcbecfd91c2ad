// SPDX-License-Identifier: GPL-2.0
/*
 * hone-bench: the guest side of `hone bench`. Each mode does one measured
 * thing and prints one JSON line on stdout.
 *
 *   hone-bench tcp-bulk BYTES      loopback TCP transfer, MiB/s
 *   hone-bench tcp-rr COUNT        1-byte request/response round trips per second
 *   hone-bench fork-exec COUNT     COUNT x (fork, exec, exit), seconds
 *   hone-bench udp-burst COUNT     COUNT loopback UDP datagrams sent and received
 *   hone-bench capture DEV SECS [--stopped]
 *                                  attach a reader to DEV; drain it (or, with
 *                                  --stopped, read nothing) for SECS seconds or
 *                                  until SIGTERM/SIGINT, then drain what is
 *                                  left and print the reader's counters
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../../kmod/honeevent.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "hone-bench: %s: %s\n", what, strerror(errno));
	exit(2);
}

/* A listening loopback TCP socket on an ephemeral port. */
static int listener(struct sockaddr_in *addr)
{
	socklen_t len = sizeof(*addr);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	memset(addr, 0, sizeof(*addr));
	addr->sin_family = AF_INET;
	addr->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (void *)addr, sizeof(*addr)) || listen(fd, 16) ||
	    getsockname(fd, (void *)addr, &len))
		die("listen");
	return fd;
}

static int connected_pair(int *server)
{
	struct sockaddr_in addr;
	int l = listener(&addr), c = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	if (c < 0 || connect(c, (void *)&addr, sizeof(addr)))
		die("connect");
	*server = accept(l, NULL, NULL);
	if (*server < 0)
		die("accept");
	close(l);
	setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(*server, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return c;
}

static int tcp_bulk(long long bytes)
{
	static char buf[65536];
	int server, c = connected_pair(&server);
	double t0 = now();
	pid_t pid = fork();

	if (pid == 0) {
		long long left = bytes;

		close(server);
		while (left > 0) {
			ssize_t n = write(c, buf, left < (long long)sizeof(buf) ? left : (long long)sizeof(buf));

			if (n < 0)
				die("write");
			left -= n;
		}
		_exit(0);
	}
	close(c);
	for (long long got = 0; got < bytes;) {
		ssize_t n = read(server, buf, sizeof(buf));

		if (n <= 0)
			die("read");
		got += n;
	}
	double secs = now() - t0;

	waitpid(pid, NULL, 0);
	printf("{\"mode\":\"tcp-bulk\",\"bytes\":%lld,\"seconds\":%.6f,\"mibPerSecond\":%.3f}\n",
	       bytes, secs, bytes / 1048576.0 / secs);
	return 0;
}

static int tcp_rr(long count)
{
	int server, c = connected_pair(&server);
	char b = 'x';
	pid_t pid = fork();

	if (pid == 0) {
		close(c);
		for (long i = 0; i < count; i++)
			if (read(server, &b, 1) != 1 || write(server, &b, 1) != 1)
				die("echo");
		_exit(0);
	}
	close(server);
	double t0 = now();

	for (long i = 0; i < count; i++)
		if (write(c, &b, 1) != 1 || read(c, &b, 1) != 1)
			die("round trip");
	double secs = now() - t0;

	waitpid(pid, NULL, 0);
	printf("{\"mode\":\"tcp-rr\",\"count\":%ld,\"seconds\":%.6f,\"perSecond\":%.1f}\n",
	       count, secs, count / secs);
	return 0;
}

static int fork_exec(long count, const char *self)
{
	double t0 = now();

	for (long i = 0; i < count; i++) {
		pid_t pid = fork();

		if (pid < 0)
			die("fork");
		if (pid == 0) {
			execl(self, self, "noop", (char *)NULL);
			_exit(127);
		}
		if (waitpid(pid, NULL, 0) < 0)
			die("waitpid");
	}
	double secs = now() - t0;

	printf("{\"mode\":\"fork-exec\",\"count\":%ld,\"seconds\":%.6f,\"perSecond\":%.1f}\n",
	       count, secs, count / secs);
	return 0;
}

static int udp_burst(long count)
{
	struct sockaddr_in addr = { .sin_family = AF_INET };
	socklen_t len = sizeof(addr);
	int rx = socket(AF_INET, SOCK_DGRAM, 0), tx = socket(AF_INET, SOCK_DGRAM, 0);
	int size = 4 << 20;
	char buf[64] = "hone-bench";
	long got = 0;

	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(rx, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	if (rx < 0 || tx < 0 || bind(rx, (void *)&addr, sizeof(addr)) ||
	    getsockname(rx, (void *)&addr, &len))
		die("udp socket");
	double t0 = now();

	for (long i = 0; i < count; i++) {
		if (sendto(tx, buf, sizeof(buf), 0, (void *)&addr, sizeof(addr)) < 0)
			die("sendto");
		while (recv(rx, buf, sizeof(buf), MSG_DONTWAIT) > 0)
			got++;
	}
	struct pollfd p = { .fd = rx, .events = POLLIN };

	while (got < count && poll(&p, 1, 200) > 0 && recv(rx, buf, sizeof(buf), 0) > 0)
		got++;
	printf("{\"mode\":\"udp-burst\",\"count\":%ld,\"received\":%ld,\"seconds\":%.6f}\n",
	       count, got, now() - t0);
	return 0;
}

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static long long drain(int fd, int until_eof)
{
	static char buf[1 << 16];
	long long total = 0;

	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n > 0) {
			total += n;
			continue;
		}
		if (n == 0 || !until_eof || (n < 0 && errno != EINTR && errno != EAGAIN))
			return total;
	}
}

static int capture(const char *dev, double secs, int stopped)
{
	struct hone_stats s;
	struct sigaction sa = { .sa_handler = on_signal };
	/* non-blocking: a reader that blocks in read() must still stop on SIGTERM */
	int fd = open(dev, O_RDONLY | O_NONBLOCK);
	long long bytes = 0;
	double end = now() + secs;

	if (fd < 0)
		die(dev);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	/* the first read attaches the reader (and takes the snapshot) */
	char first[4096];
	struct pollfd p0 = { .fd = fd, .events = POLLIN };
	ssize_t got = read(fd, first, sizeof(first));

	if (got < 0 && errno == EAGAIN && poll(&p0, 1, 1000) > 0)
		got = read(fd, first, sizeof(first));
	bytes += got > 0 ? got : 0;
	printf("{\"mode\":\"capture\",\"attached\":true}\n");
	fflush(stdout);
	while (!stop && now() < end) {
		if (stopped) {
			usleep(20000);
			continue;
		}
		struct pollfd p = { .fd = fd, .events = POLLIN };

		if (poll(&p, 1, 100) > 0)
			bytes += drain(fd, 0);
	}
	if (ioctl(fd, HEIO_GET_STATS, &s))
		die("HEIO_GET_STATS");
	/* what was queued before the stop still counts as delivered once read */
	bytes += drain(fd, 0);
	if (ioctl(fd, HEIO_GET_STATS, &s))
		die("HEIO_GET_STATS");
	printf("{\"mode\":\"capture\",\"bytes\":%lld,"
	       "\"packets\":{\"received\":%llu,\"dropped\":%llu,\"ringDropped\":%llu,\"delivered\":%llu},"
	       "\"process\":{\"received\":%llu,\"dropped\":%llu,\"ringDropped\":%llu,\"delivered\":%llu},"
	       "\"socket\":{\"received\":%llu,\"dropped\":%llu,\"ringDropped\":%llu,\"delivered\":%llu}}\n",
	       bytes,
	       (unsigned long long)s.packets_received, (unsigned long long)s.packets_dropped,
	       (unsigned long long)s.packets_ring_dropped, (unsigned long long)s.packets_delivered,
	       (unsigned long long)s.process_received, (unsigned long long)s.process_dropped,
	       (unsigned long long)s.process_ring_dropped, (unsigned long long)s.process_delivered,
	       (unsigned long long)s.socket_received, (unsigned long long)s.socket_dropped,
	       (unsigned long long)s.socket_ring_dropped, (unsigned long long)s.socket_delivered);
	return 0;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	long long n = argc > 2 ? atoll(argv[2]) : 0;

	if (!strcmp(mode, "noop"))
		return 0;
	if (!strcmp(mode, "tcp-bulk") && n > 0)
		return tcp_bulk(n);
	if (!strcmp(mode, "tcp-rr") && n > 0)
		return tcp_rr(n);
	if (!strcmp(mode, "fork-exec") && n > 0)
		return fork_exec(n, "/proc/self/exe");
	if (!strcmp(mode, "udp-burst") && n > 0)
		return udp_burst(n);
	if (!strcmp(mode, "capture") && argc > 3)
		return capture(argv[2], atof(argv[3]), argc > 4 && !strcmp(argv[4], "--stopped"));
	fprintf(stderr, "usage: hone-bench tcp-bulk BYTES | tcp-rr N | fork-exec N | udp-burst N | capture DEV SECS [--stopped]\n");
	return 2;
}
