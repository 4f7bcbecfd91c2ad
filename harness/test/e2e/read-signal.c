// SPDX-License-Identifier: GPL-2.0
/*
 * Fixture for boot.test.ts: block in read() on a Hone device with a SIGTERM
 * handler installed without SA_RESTART; print how the read ended.
 * Usage: read-signal DEVICE
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void on_term(int sig)
{
	(void)sig;
}

int main(int argc, char **argv)
{
	static char buf[65536];
	struct sigaction sa = { .sa_handler = on_term };
	int fd;

	if (argc != 2)
		return 2;
	sigaction(SIGTERM, &sa, NULL);
	fd = open(argv[1], O_RDONLY);
	if (fd < 0) {
		printf("open %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n < 0) {
			printf("read: %s\n", errno == EINTR ? "EINTR" : strerror(errno));
			return 0;
		}
	}
}
