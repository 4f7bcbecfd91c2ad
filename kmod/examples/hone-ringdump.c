// SPDX-License-Identifier: GPL-2.0
/*
 * hone-ringdump: record /dev/hone through its rings (FORMAT.md, "Rings")
 * into a PCAP-NG file, the way a fast consumer would.
 *
 *	hone-ringdump [-s SNAPLEN] [-t SECONDS] [-o FILE]
 *
 * read() gives the section's head and snapshot, then 0; from then on the
 * records are taken from the mapped rings, oldest first, and their space
 * handed back once written. On SIGINT/SIGTERM (or after SECONDS) the
 * section is ended with HEIO_RESTART: the rings are drained up to their
 * marks, then read() gives the ISB. The counters go to stderr.
 *
 * Build: cc -O2 -o hone-ringdump hone-ringdump.c
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hone_ring.h"

#define HOLD_NS 1000000		/* 1 ms: see hone_ring.h, "Order" */

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void die(const char *what)
{
	fprintf(stderr, "hone-ringdump: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void put(FILE *out, const void *p, size_t n)
{
	if (fwrite(p, 1, n, out) != n)
		die("write");
}

/* read() until it returns 0: the head and snapshot, or the ISB. */
static void read_part(int fd, FILE *out)
{
	static char buf[1 << 16];
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die("read");
		put(out, buf, n);
	}
}

static unsigned long drain(struct hone_mmap *m, FILE *out, uint64_t hold)
{
	const struct hone_rec *rec;
	unsigned long n = 0;
	unsigned int ring = 0;

	while ((rec = hone_mmap_next(m, &ring, hold))) {
		put(out, hone_rec_block(rec), hone_rec_block_len(rec));
		hone_mmap_done(m, ring, rec);
		n++;
	}
	if (hone_mmap_commit(m))
		die("HEIO_RING_CONSUME");
	return n;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct hone_stats st;
	struct hone_mmap m;
	FILE *out = stdout;
	int fd, opt, snaplen = -1;
	double secs = 0;
	unsigned long records = 0;

	while ((opt = getopt(argc, argv, "s:t:o:")) != -1) {
		if (opt == 's')
			snaplen = atoi(optarg);
		else if (opt == 't')
			secs = atof(optarg);
		else if (opt == 'o' && !(out = fopen(optarg, "w")))
			die(optarg);
		else if (opt != 'o')
			return fprintf(stderr, "usage: hone-ringdump [-s SNAPLEN] [-t SECONDS] [-o FILE]\n"), 2;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	fd = open("/dev/hone", O_RDONLY);
	if (fd < 0)
		die("/dev/hone");
	if (snaplen >= 0 && ioctl(fd, HEIO_SET_SNAPLEN, snaplen))
		die("HEIO_SET_SNAPLEN");
	if (hone_mmap_open(&m, fd))
		die("mmap");
	read_part(fd, out);
	if (secs > 0)
		alarm((unsigned int)secs + 1);
	signal(SIGALRM, on_signal);
	while (!stop) {
		struct pollfd p = { .fd = fd, .events = POLLIN };

		if (poll(&p, 1, 1000) < 0 && errno != EINTR)
			die("poll");
		records += drain(&m, out, HOLD_NS);
	}
	if (ioctl(fd, HEIO_RESTART))
		die("HEIO_RESTART");
	while (!hone_mmap_section_ended(&m))
		records += drain(&m, out, 0);
	read_part(fd, out);
	if (ioctl(fd, HEIO_GET_STATS, &st))
		die("HEIO_GET_STATS");
	fflush(out);
	fprintf(stderr, "hone-ringdump: %lu records; packets %llu delivered, %llu dropped; process events %llu, %llu dropped; socket events %llu, %llu dropped\n",
		records, (unsigned long long)st.packets_delivered,
		(unsigned long long)st.packets_ring_dropped,
		(unsigned long long)st.process_delivered,
		(unsigned long long)st.process_ring_dropped,
		(unsigned long long)st.socket_delivered,
		(unsigned long long)st.socket_ring_dropped);
	return 0;
}
