// SPDX-License-Identifier: GPL-2.0
/*
 * hone-bench: the guest side of `hone bench`. Each mode does one measured
 * thing and prints one JSON line on stdout.
 *
 *   hone-bench tcp-bulk BYTES      loopback TCP transfer, MiB/s
 *   hone-bench tcp-rr COUNT        1-byte request/response round trips per
 *                                  second, and their latency p50/p99
 *   hone-bench fork-exec COUNT     COUNT x (fork, exec, exit), seconds
 *   hone-bench udp-burst COUNT     COUNT loopback UDP datagrams sent and received
 *   hone-bench capture DEV SECS [--stopped] [--mmap] [--snaplen N]
 *                                  attach a reader to DEV; drain it (or, with
 *                                  --stopped, read nothing) for SECS seconds or
 *                                  until SIGTERM/SIGINT, then drain what is
 *                                  left and print the reader's counters and
 *                                  the records it got, by kind
 *   hone-bench drops DATAGRAMS FORKS
 *                                  the exact-drop test: a stopped reader with
 *                                  a small ring and a draining one with a big
 *                                  ring, a flood of DATAGRAMS in a network
 *                                  namespace of its own and FORKS processes;
 *                                  prints what was generated, what each got
 *                                  and what the stopped one counted as lost
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <net/if.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../../kmod/honeevent.h"
#include "../../../kmod/examples/hone_ring.h"

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

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
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
	double *lat = calloc(count, sizeof(*lat));
	double t0 = now();

	if (!lat)
		die("calloc");
	for (long i = 0; i < count; i++) {
		double t = now();

		if (write(c, &b, 1) != 1 || read(c, &b, 1) != 1)
			die("round trip");
		lat[i] = now() - t;
	}
	double secs = now() - t0;

	waitpid(pid, NULL, 0);
	qsort(lat, count, sizeof(*lat), cmp_double);
	printf("{\"mode\":\"tcp-rr\",\"count\":%ld,\"seconds\":%.6f,\"perSecond\":%.1f,"
	       "\"p50us\":%.1f,\"p99us\":%.1f}\n",
	       count, secs, count / secs, lat[count / 2] * 1e6, lat[count * 99 / 100] * 1e6);
	free(lat);
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

/* Records a reader got, by the PCAP-NG block they hold. */
struct counts {
	long long bytes;
	long records, packets, process, socket, loss;
};

static void count_block(struct counts *c, const uint8_t *block, uint32_t len)
{
	uint32_t type = *(const uint32_t *)block;

	c->bytes += len;
	c->records++;
	if (type == 6)
		c->packets++;
	else if (type == 0x101)
		c->process++;
	else if (type == 0x102 || type == 0x103)
		c->socket++;
	else if (type == 5)
		c->loss++;
}

/* Counts the whole blocks in a read() stream (blocks may span reads). */
struct stream {
	uint8_t buf[1 << 17];
	size_t have;
};

static void stream_feed(struct stream *st, struct counts *c, const uint8_t *p, size_t n)
{
	while (n) {
		size_t k = n < sizeof(st->buf) - st->have ? n : sizeof(st->buf) - st->have;
		size_t at = 0;

		memcpy(st->buf + st->have, p, k);
		st->have += k;
		p += k;
		n -= k;
		while (st->have - at >= 8) {
			uint32_t len = *(const uint32_t *)(st->buf + at + 4);

			if (len < 12 || len > sizeof(st->buf))
				die("read stream: not a PCAP-NG block");
			if (st->have - at < len)
				break;
			count_block(c, st->buf + at, len);
			at += len;
		}
		memmove(st->buf, st->buf + at, st->have - at);
		st->have -= at;
	}
}

static void read_drain(int fd, struct stream *st, struct counts *c)
{
	static uint8_t buf[1 << 16];

	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n > 0) {
			stream_feed(st, c, buf, n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		return;
	}
}

static void ring_drain(struct hone_mmap *m, struct counts *c, uint64_t hold)
{
	const struct hone_rec *rec;
	unsigned int ring = 0;

	while ((rec = hone_mmap_next(m, &ring, hold))) {
		count_block(c, hone_rec_block(rec), hone_rec_block_len(rec));
		hone_mmap_done(m, ring, rec);
	}
	if (hone_mmap_commit(m))
		die("HEIO_RING_CONSUME");
}

/* The section's head and snapshot: the first read() attaches the reader. */
static void attach(int fd, struct stream *st, struct counts *c)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	uint8_t buf[1 << 16];
	ssize_t n;

	do {
		n = read(fd, buf, sizeof(buf));
		if (n > 0)
			stream_feed(st, c, buf, n);
	} while (n > 0 || (n < 0 && (errno == EINTR ||
				     (errno == EAGAIN && poll(&p, 1, 1000) > 0))));
}

static void print_counts(const char *mode, int fd, const struct counts *c)
{
	struct hone_stats s;

	if (ioctl(fd, HEIO_GET_STATS, &s))
		die("HEIO_GET_STATS");
	printf("{\"mode\":\"%s\",\"bytes\":%lld,"
	       "\"records\":{\"packets\":%ld,\"process\":%ld,\"socket\":%ld,\"loss\":%ld},"
	       "\"packets\":{\"received\":%llu,\"dropped\":%llu,\"ringDropped\":%llu,\"delivered\":%llu},"
	       "\"process\":{\"received\":%llu,\"dropped\":%llu,\"ringDropped\":%llu,\"delivered\":%llu},"
	       "\"socket\":{\"received\":%llu,\"dropped\":%llu,\"ringDropped\":%llu,\"delivered\":%llu}}\n",
	       mode, c->bytes, c->packets, c->process, c->socket, c->loss,
	       (unsigned long long)s.packets_received, (unsigned long long)s.packets_dropped,
	       (unsigned long long)s.packets_ring_dropped, (unsigned long long)s.packets_delivered,
	       (unsigned long long)s.process_received, (unsigned long long)s.process_dropped,
	       (unsigned long long)s.process_ring_dropped, (unsigned long long)s.process_delivered,
	       (unsigned long long)s.socket_received, (unsigned long long)s.socket_dropped,
	       (unsigned long long)s.socket_ring_dropped, (unsigned long long)s.socket_delivered);
}

struct capture_opts {
	const char *dev;
	double secs;
	int stopped, use_mmap, snaplen;
};

/*
 * A reader as a recorder would run it: read() (non-blocking, woken by
 * poll) or the mapped rings. Counts what it got until SIGTERM/SIGINT or
 * SECS, then drains what is left.
 */
static int capture(const struct capture_opts *o)
{
	static struct stream st;
	struct sigaction sa = { .sa_handler = on_signal };
	int fd = open(o->dev, O_RDONLY | O_NONBLOCK);
	struct counts c = { 0 };
	struct hone_mmap m;
	double end = now() + o->secs;

	if (fd < 0)
		die(o->dev);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	if (o->snaplen >= 0 && ioctl(fd, HEIO_SET_SNAPLEN, o->snaplen))
		die("HEIO_SET_SNAPLEN");
	if (o->use_mmap && hone_mmap_open(&m, fd))
		die("mmap");
	attach(fd, &st, &c);
	printf("{\"mode\":\"capture\",\"attached\":true}\n");
	fflush(stdout);
	while (!stop && now() < end) {
		struct pollfd p = { .fd = fd, .events = POLLIN };

		if (o->stopped) {
			usleep(20000);
			continue;
		}
		if (poll(&p, 1, 100) <= 0)
			continue;
		if (o->use_mmap)
			ring_drain(&m, &c, 1000000);
		else
			read_drain(fd, &st, &c);
	}
	/* what was queued before the stop still counts as delivered once read */
	if (o->use_mmap)
		ring_drain(&m, &c, 0);
	else
		read_drain(fd, &st, &c);
	print_counts("capture", fd, &c);
	return 0;
}

/* --- the exact-drop test --- */

struct dlog {
	pthread_mutex_t lock;
	struct hone_mmap m;
	int fd;
	volatile int stop;
	unsigned long netns_x, marker_port;
	long x_packets;			/* packets in the test's namespace */
	long window_other;		/* other packets between the markers */
	int in_window, saw_end;
	unsigned long start_port, end_port;
};

static uint32_t epb_u32_opt(const uint8_t *b, uint16_t code, int *found)
{
	uint32_t total = *(const uint32_t *)(b + 4);
	uint32_t at = 28 + ((*(const uint32_t *)(b + 20) + 3) & ~3u);

	*found = 0;
	while (at + 4 <= total - 4) {
		uint16_t cd = *(const uint16_t *)(b + at), n = *(const uint16_t *)(b + at + 2);

		if (!cd)
			break;
		if (cd == code && n >= 4) {
			*found = 1;
			return *(const uint32_t *)(b + at + 4);
		}
		at += 4 + ((n + 3) & ~3u);
	}
	return 0;
}

/* The UDP destination port of an IPv4 packet, or 0. */
static unsigned int udp_dport(const uint8_t *b)
{
	const uint8_t *ip = b + 28;
	uint32_t caplen = *(const uint32_t *)(b + 20);
	unsigned int ihl = (ip[0] & 15) * 4;

	if (caplen < ihl + 4 || (ip[0] >> 4) != 4 || ip[9] != IPPROTO_UDP)
		return 0;
	return ip[ihl + 2] << 8 | ip[ihl + 3];
}

static void dlog_block(struct dlog *d, const uint8_t *b)
{
	int found;
	uint32_t netns;
	unsigned int port;

	if (*(const uint32_t *)b != 6)
		return;
	netns = epb_u32_opt(b, 260, &found);
	port = udp_dport(b);
	pthread_mutex_lock(&d->lock);
	if (port == d->start_port)
		d->in_window = 1;
	if (port == d->end_port && d->in_window) {
		d->in_window = 0;
		d->saw_end = 1;
	}
	if (found && netns == d->netns_x)
		d->x_packets++;
	else if (d->in_window)
		d->window_other++;
	pthread_mutex_unlock(&d->lock);
}

static void *dlog_main(void *arg)
{
	struct dlog *d = arg;
	const struct hone_rec *rec;
	unsigned int ring = 0;

	while (!d->stop) {
		struct pollfd p = { .fd = d->fd, .events = POLLIN };

		poll(&p, 1, 20);
		while ((rec = hone_mmap_next(&d->m, &ring, 0))) {
			dlog_block(d, hone_rec_block(rec));
			hone_mmap_done(&d->m, ring, rec);
		}
		hone_mmap_commit(&d->m);
	}
	return NULL;
}

static int open_reader(int order, int snaplen)
{
	int fd = open("/dev/hone", O_RDONLY | O_NONBLOCK);

	if (fd < 0)
		die("/dev/hone");
	if (ioctl(fd, HEIO_SET_RING_ORDER, order))
		die("HEIO_SET_RING_ORDER");
	if (ioctl(fd, HEIO_SET_SNAPLEN, snaplen))
		die("HEIO_SET_SNAPLEN");
	return fd;
}

static void marker(unsigned int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || sendto(fd, "m", 1, 0, (void *)&a, sizeof(a)) != 1)
		die("marker");
	close(fd);
}

static void lo_up(void)
{
	struct ifreq ifr = { .ifr_flags = IFF_UP };
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	strcpy(ifr.ifr_name, "lo");
	if (fd < 0 || ioctl(fd, SIOCSIFFLAGS, &ifr))
		die("lo up");
	close(fd);
}

/*
 * In a network namespace of its own: DATAGRAMS to a socket that never
 * reads (no read events: only packets), and FORKS fork+exec+exit spread
 * over the flood. Reports its namespace and the children's pids on @out.
 */
static void flood(long datagrams, long forks, int out)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(9) };
	socklen_t len = sizeof(a);
	char buf[32] = "hone-bench drops";
	struct stat ns;
	int rx, tx;

	if (unshare(CLONE_NEWNET))
		die("unshare");
	lo_up();
	if (stat("/proc/self/ns/net", &ns))
		die("netns");
	dprintf(out, "netns %lu\n", (unsigned long)ns.st_ino);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	rx = socket(AF_INET, SOCK_DGRAM, 0);
	tx = socket(AF_INET, SOCK_DGRAM, 0);
	if (rx < 0 || tx < 0 || bind(rx, (void *)&a, sizeof(a)) ||
	    getsockname(rx, (void *)&a, &len))
		die("flood sockets");
	for (long i = 0; i < datagrams; i++) {
		if (forks && i % (datagrams / forks) == 0) {
			pid_t pid = fork();

			if (pid == 0) {
				execl("/proc/self/exe", "hone-bench", "noop", (char *)NULL);
				_exit(127);
			}
			dprintf(out, "child %d\n", pid);
			waitpid(pid, NULL, 0);
		}
		if (sendto(tx, buf, sizeof(buf), 0, (void *)&a, sizeof(a)) < 0)
			die("sendto");
	}
	_exit(0);
}

/* Counts the stopped reader's records: packets of the namespace, children's. */
struct scount {
	long x_packets, all_packets, child_events, loss_records;
	unsigned long long loss_packets;
};

static int is_child(const int *pids, int n, int pid)
{
	for (int i = 0; i < n; i++)
		if (pids[i] == pid)
			return 1;
	return 0;
}

static void scount_block(struct scount *c, const uint8_t *b, unsigned long netns,
			 const int *pids, int n)
{
	uint32_t type = *(const uint32_t *)b;
	int found;

	c->all_packets += type == 6;
	if (type == 6 && epb_u32_opt(b, 260, &found) == netns && found)
		c->x_packets++;
	else if (type == 0x101 && is_child(pids, n, *(const int *)(b + 8)))
		c->child_events++;
	else if (type == 5) {
		/* a loss report (ISB option 266: packets lost) */
		uint32_t total = *(const uint32_t *)(b + 4), at = 20;

		c->loss_records++;
		while (at + 12 <= total - 4) {
			uint16_t cd = *(const uint16_t *)(b + at), ln = *(const uint16_t *)(b + at + 2);

			if (!cd)
				break;
			if (cd == 266 && ln == 8)
				c->loss_packets += *(const uint64_t *)(b + at + 4);
			at += 4 + ((ln + 3) & ~3u);
		}
	}
}

/* What reached a reader: written into its rings or refused for room. */
#define SEEN(st, k) ((unsigned long long)((st).k##_delivered + (st).k##_ring_dropped))

static int drops(long datagrams, long forks)
{
	static struct stream st_d, st_s;
	static struct dlog d = { .lock = PTHREAD_MUTEX_INITIALIZER };
	struct counts cd = { 0 }, cs = { 0 };
	struct hone_stats s1, sd, d0, d1;
	struct hone_mmap ms;
	struct scount sc = { 0 };
	int pids[4096], npids = 0, s, p[2];
	char line[128];
	pthread_t th;
	pid_t child;
	FILE *in;

	d.start_port = 7001;
	d.end_port = 7002;
	d.fd = open_reader(12, 64);		/* 16 MiB per CPU: must not drop */
	s = open_reader(8, 64);			/* 1 MiB per CPU: will */
	if (hone_mmap_open(&d.m, d.fd) || hone_mmap_open(&ms, s))
		die("mmap");
	if (pipe(p))
		die("pipe");
	attach(d.fd, &st_d, &cd);
	if (pthread_create(&th, NULL, dlog_main, &d))
		die("pthread_create");
	attach(s, &st_s, &cs);
	/* from here, everything the stopped reader sees, the other sees too */
	if (ioctl(d.fd, HEIO_GET_STATS, &d0))
		die("HEIO_GET_STATS");
	marker(d.start_port);
	child = fork();
	if (child == 0) {
		close(p[0]);
		flood(datagrams, forks, p[1]);
	}
	close(p[1]);
	in = fdopen(p[0], "r");
	while (fgets(line, sizeof(line), in)) {
		int pid;

		if (sscanf(line, "netns %lu", &d.netns_x) == 1)
			continue;
		if (sscanf(line, "child %d", &pid) == 1 && npids < 4096)
			pids[npids++] = pid;
	}
	waitpid(child, NULL, 0);
	usleep(200000);
	if (ioctl(s, HEIO_GET_STATS, &s1) || ioctl(d.fd, HEIO_GET_STATS, &d1))
		die("HEIO_GET_STATS");
	marker(d.end_port);
	for (int i = 0; i < 500 && !d.saw_end; i++)
		usleep(10000);
	d.stop = 1;
	pthread_join(th, NULL);
	if (ioctl(d.fd, HEIO_GET_STATS, &sd))
		die("HEIO_GET_STATS");
	{
		const struct hone_rec *rec;
		unsigned int ring = 0;

		while ((rec = hone_mmap_next(&ms, &ring, 0))) {
			scount_block(&sc, hone_rec_block(rec), d.netns_x, pids, npids);
			hone_mmap_done(&ms, ring, rec);
		}
	}
	printf("{\"mode\":\"drops\",\"datagrams\":%ld,\"forks\":%d,"
	       "\"generated\":{\"packets\":%ld,\"childEvents\":%d},"
	       "\"truth\":{\"packets\":%ld,\"otherPacketsInWindow\":%ld,\"ringDropped\":%llu,\"sawEnd\":%d},"
	       "\"stopped\":{\"packets\":%ld,\"packetsGot\":%ld,\"childEvents\":%ld,\"packetsDropped\":%llu,"
	       "\"processDropped\":%llu,\"socketDropped\":%llu,\"lossRecords\":%ld,\"lossReported\":%llu},"
	       "\"seen\":{\"stopped\":[%llu,%llu,%llu],\"draining\":[%llu,%llu,%llu]}}\n",
	       datagrams, npids, 2 * datagrams, 3 * npids,
	       d.x_packets, d.window_other,
	       (unsigned long long)(sd.packets_ring_dropped + sd.process_ring_dropped +
				    sd.socket_ring_dropped), d.saw_end,
	       sc.x_packets, sc.all_packets, sc.child_events, (unsigned long long)s1.packets_ring_dropped,
	       (unsigned long long)s1.process_ring_dropped,
	       (unsigned long long)s1.socket_ring_dropped, sc.loss_records, sc.loss_packets,
	       SEEN(s1, packets), SEEN(s1, process), SEEN(s1, socket),
	       SEEN(d1, packets) - SEEN(d0, packets), SEEN(d1, process) - SEEN(d0, process),
	       SEEN(d1, socket) - SEEN(d0, socket));
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
	if (!strcmp(mode, "drops") && n > 0 && argc > 3)
		return drops(n, atol(argv[3]));
	if (!strcmp(mode, "capture") && argc > 3) {
		struct capture_opts o = { .dev = argv[2], .secs = atof(argv[3]), .snaplen = -1 };

		for (int i = 4; i < argc; i++) {
			if (!strcmp(argv[i], "--stopped"))
				o.stopped = 1;
			else if (!strcmp(argv[i], "--mmap"))
				o.use_mmap = 1;
			else if (!strcmp(argv[i], "--snaplen") && i + 1 < argc)
				o.snaplen = atoi(argv[++i]);
		}
		return capture(&o);
	}
	fprintf(stderr, "usage: hone-bench tcp-bulk BYTES | tcp-rr N | fork-exec N | udp-burst N |"
		" capture DEV SECS [--stopped] [--mmap] [--snaplen N] | drops DATAGRAMS FORKS\n");
	return 2;
}
