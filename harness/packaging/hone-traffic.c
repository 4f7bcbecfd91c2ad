// SPDX-License-Identifier: GPL-2.0
/*
 * hone-traffic STOPFILE: loopback traffic with every kind of Hone event,
 * in rounds, until STOPFILE exists. Each round the server forks a client
 * that execs this program again; the client connects over TCP, writes a
 * request in two writes, reads the reply, sends a UDP datagram, closes
 * and exits; the server accepts, reads, replies, receives the datagram.
 * So a round gives fork, exec, exit, socket open and close, gain and lose,
 * read blocks, and data, handshake and FIN packets. Prints the number of
 * rounds at the end. For the recorder's tests (honeread, package test).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static void die(const char *what)
{
	perror(what);
	exit(1);
}

/* Reads exactly len bytes. */
static void read_all(int fd, char *buf, size_t len, const char *what)
{
	while (len > 0) {
		ssize_t n = read(fd, buf, len);

		if (n <= 0)
			die(what);
		buf += n;
		len -= n;
	}
}

static int client(const char *tcp_port, const char *udp_port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	char req[300], rep[100];
	int s, u;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	memset(req, 'q', sizeof(req));
	s = socket(AF_INET, SOCK_STREAM, 0);
	a.sin_port = htons(atoi(tcp_port));
	if (s < 0 || connect(s, (struct sockaddr *)&a, sizeof(a)))
		die("client connect");
	if (write(s, req, 100) != 100 || write(s, req + 100, 200) != 200)
		die("client write");
	read_all(s, rep, sizeof(rep), "client read");
	u = socket(AF_INET, SOCK_DGRAM, 0);
	a.sin_port = htons(atoi(udp_port));
	if (u < 0 || sendto(u, req, 64, 0, (struct sockaddr *)&a, sizeof(a)) != 64)
		die("client sendto");
	close(u);
	close(s);
	return 0;
}

static int bound(int type, struct sockaddr_in *a)
{
	socklen_t len = sizeof(*a);
	int s = socket(AF_INET, type, 0);

	a->sin_family = AF_INET;
	a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a->sin_port = 0;
	if (s < 0 || bind(s, (struct sockaddr *)a, sizeof(*a)) ||
	    getsockname(s, (struct sockaddr *)a, &len))
		die("bind");
	return s;
}

static void round_trip(const char *self, int l, int u, const char *tp,
		       const char *up)
{
	char buf[300];
	pid_t pid = fork();
	int c, st;

	if (pid < 0)
		die("fork");
	if (pid == 0) {
		execl(self, "hone-traffic", "--client", tp, up, (char *)NULL);
		die("exec");
	}
	c = accept(l, NULL, NULL);
	if (c < 0)
		die("accept");
	read_all(c, buf, sizeof(buf), "server read");
	memset(buf, 'r', 100);
	if (write(c, buf, 100) != 100)
		die("server write");
	if (recv(u, buf, sizeof(buf), 0) != 64)
		die("server recv");
	close(c);
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st))
		die("client failed");
}

int main(int argc, char **argv)
{
	struct sockaddr_in la, ua;
	char tp[16], up[16];
	unsigned long rounds = 0;
	int l, u;

	if (argc == 4 && !strcmp(argv[1], "--client"))
		return client(argv[2], argv[3]);
	if (argc != 2) {
		fprintf(stderr, "usage: hone-traffic STOPFILE\n");
		return 64;
	}
	l = bound(SOCK_STREAM, &la);
	u = bound(SOCK_DGRAM, &ua);
	if (listen(l, 8))
		die("listen");
	snprintf(tp, sizeof(tp), "%d", ntohs(la.sin_port));
	snprintf(up, sizeof(up), "%d", ntohs(ua.sin_port));
	while (access(argv[1], F_OK)) {
		round_trip("/proc/self/exe", l, u, tp, up);
		rounds++;
	}
	close(l);
	close(u);
	printf("%lu rounds\n", rounds);
	return 0;
}
