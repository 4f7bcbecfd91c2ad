// SPDX-License-Identifier: GPL-2.0
/*
 * hone-stress: the guest side of `hone stress`, the fault and abuse suite.
 * One subcommand per fault; each loads what it needs (the module list of
 * /etc/hone/hone.load), does its abuse, judges itself and prints one line
 *
 *   stress: <name> PASS|FAIL <what happened, with numbers>
 *
 * on stdout (details of a failure on stderr). The exit code is 0 for PASS,
 * 1 for FAIL, 2 when the fault could not be run at all (also a FAIL line).
 *
 *   readers        8 concurrent readers with different snaplens during traffic
 *   kill           readers killed by SIGKILL in a blocking read and mid-record
 *   readsizes      random read sizes, 1 byte to 1 MiB, on both devices
 *   ioctl          every ioctl number, bad pointers, sizes and values
 *   params         invalid module parameters at load and through /sys
 *   rmmod          rmmod with a reader open (read, text, mmap)
 *   soak [N]       N load/unload cycles under traffic (load-unload-soak.sh)
 *   sockets [N]    N sockets in one process, fork, both exit: times
 *   blocked [N]    N threads blocked in recv on TCP, then data for all
 *   wrap4g         one TCP connection past 4 GiB: sender attribution
 *   threads-exit   64 threads calling exit_group at once: one EXIT
 *   access         who may open the devices (caps, group, netns, mode)
 *   names          an exe path and argv made to break a text line
 *
 * The modules come from the list in /etc/hone/hone.load (paths in load
 * order), or from the list named by HONE_LOAD_LIST.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../../kmod/honeevent.h"

#ifndef SO_COOKIE
#define SO_COOKIE 57
#endif

#define DEV_PCAP "/dev/hone"
#define DEV_TEXT "/dev/honet"
#define LOAD_LIST "/etc/hone/hone.load"
#define SOAK_SCRIPT "/usr/share/hone/load-unload-soak.sh"

static const char *fault = "?";

/* --- small helpers --- */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void msleep(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* The verdict line; exit code 0 (PASS) or 1 (FAIL). */
__attribute__((format(printf, 2, 3)))
static int verdict(int pass, const char *fmt, ...)
{
	char detail[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	for (char *p = detail; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	printf("stress: %s %s %s\n", fault, pass ? "PASS" : "FAIL", detail);
	fflush(stdout);
	return pass ? 0 : 1;
}

/* The fault could not be run: a FAIL line naming why, exit 2. */
__attribute__((format(printf, 1, 2), noreturn))
static void broken(const char *fmt, ...)
{
	char what[1024];
	int e = errno;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	printf("stress: %s FAIL could not run: %s: %s\n", fault, what, strerror(e));
	fflush(stdout);
	exit(2);
}

/* A note on stderr: the harness keeps it next to the verdict. */
__attribute__((format(printf, 1, 2)))
static void note(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "hone-stress %s: ", fault);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* strlcpy */
static void copy_str(char *out, size_t size, const char *s)
{
	size_t n = strlen(s);

	if (n >= size)
		n = size - 1;
	memcpy(out, s, n);
	out[n] = 0;
}

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static uint64_t rnd(void)
{
	uint64_t x = rng_state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return rng_state = x;
}

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	ssize_t n;
	int e;

	if (fd < 0)
		return errno;
	n = write(fd, text, strlen(text));
	e = n < 0 ? errno : 0;
	close(fd);
	return e;
}

static int read_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = 0;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = 0;
	return 0;
}

/* --- the modules --- */

static const char *const hone_modules[] = {
	"honeevent", "hone_notify", "packet_notify", "socket_notify", "process_notify",
};
#define NMODULES (sizeof(hone_modules) / sizeof(hone_modules[0]))

static int module_loaded(const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/module/%s", name);
	return access(path, F_OK) == 0;
}

static char load_paths[32][256];
static int nload_paths;

static void read_load_list(void)
{
	FILE *f;
	char line[256];

	if (nload_paths)
		return;
	/* HONE_LOAD_LIST: another list (a patched build put into the guest) */
	f = fopen(getenv("HONE_LOAD_LIST") ? getenv("HONE_LOAD_LIST") : LOAD_LIST, "r");
	if (!f)
		broken("%s (boot the guest with the modules shipped, not loaded)", LOAD_LIST);
	while (fgets(line, sizeof(line), f) && nload_paths < 32) {
		line[strcspn(line, "\n")] = 0;
		if (*line)
			strcpy(load_paths[nload_paths++], line);
	}
	fclose(f);
}

static int is_honeevent(const char *path)
{
	const char *base = strrchr(path, '/');

	return strcmp(base ? base + 1 : path, "honeevent.ko") == 0;
}

static const char *honeevent_path(void)
{
	read_load_list();
	for (int i = 0; i < nload_paths; i++)
		if (is_honeevent(load_paths[i]))
			return load_paths[i];
	errno = ENOENT;
	broken("honeevent.ko not in %s", LOAD_LIST);
}

/* finit_module(); 0 or the errno (EEXIST: already loaded, counted as 0). */
static int load_one(const char *path, const char *params)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), err = 0;

	if (fd < 0)
		return errno;
	if (syscall(SYS_finit_module, fd, params, 0))
		err = errno == EEXIST ? 0 : errno;
	close(fd);
	return err;
}

/* Loads the list; honeevent with @params. 0 or the first errno. */
static int load_all(const char *params)
{
	read_load_list();
	for (int i = 0; i < nload_paths; i++) {
		int err = load_one(load_paths[i], is_honeevent(load_paths[i]) ? params : "");

		if (err) {
			errno = err;
			return err;
		}
	}
	return 0;
}

/* delete_module(), retried for up to @wait_ms while in use. */
static int unload_one(const char *name, int wait_ms)
{
	double end = now() + wait_ms / 1000.0;

	if (!module_loaded(name))
		return 0;
	for (;;) {
		if (syscall(SYS_delete_module, name, O_NONBLOCK) == 0)
			return 0;
		if ((errno != EAGAIN && errno != EBUSY) || now() >= end)
			return errno;
		msleep(50);
	}
}

/* Removes Hone's five modules (their kernel dependencies stay). */
static int unload_all(void)
{
	for (size_t i = 0; i < NMODULES; i++) {
		int err = unload_one(hone_modules[i], 3000);

		if (err) {
			note("rmmod %s: %s", hone_modules[i], strerror(err));
			return err;
		}
	}
	return 0;
}

static void need_loaded(void)
{
	if (module_loaded("honeevent") && access(DEV_PCAP, F_OK) == 0)
		return;
	if (load_all(""))
		broken("loading the modules of %s", LOAD_LIST);
	for (int i = 0; i < 50 && access(DEV_TEXT, F_OK); i++)
		msleep(20);
	if (access(DEV_PCAP, F_OK) || access(DEV_TEXT, F_OK))
		broken("no %s or %s after loading", DEV_PCAP, DEV_TEXT);
}

/* --- the kernel log (/dev/kmsg) --- */

static int kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		broken("/dev/kmsg");
	lseek(fd, 0, SEEK_END);
	return fd;
}

/*
 * The first new log record containing @a and @b (b may be NULL); its text
 * in @out. 1 if found.
 */
static int kmsg_find(int fd, const char *a, const char *b, char *out, size_t size)
{
	char rec[2048];

	for (;;) {
		ssize_t n = read(fd, rec, sizeof(rec) - 1);
		char *text;

		if (n < 0 && errno == EPIPE)
			continue;
		if (n <= 0)
			return 0;
		rec[n] = 0;
		text = strchr(rec, ';');
		text = text ? text + 1 : rec;
		text[strcspn(text, "\n")] = 0;
		if (strstr(text, a) && (!b || strstr(text, b))) {
			copy_str(out, size, text);
			return 1;
		}
	}
}

/* --- traffic: loopback UDP of every size and TCP, until killed --- */

static int tcp_pair(int *server, int *client_port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), c, one = 1;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (l < 0 || bind(l, (void *)&a, sizeof(a)) || listen(l, 8) ||
	    getsockname(l, (void *)&a, &len))
		broken("tcp listen");
	c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c < 0 || connect(c, (void *)&a, sizeof(a)))
		broken("tcp connect");
	*server = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	if (*server < 0)
		broken("accept");
	close(l);
	setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (client_port) {
		len = sizeof(a);
		getsockname(c, (void *)&a, &len);
		*client_port = ntohs(a.sin_port);
	}
	return c;
}

static pid_t traffic_start(void)
{
	pid_t pid = fork();

	if (pid < 0)
		broken("fork");
	if (pid)
		return pid;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	{
		static char buf[1 << 16];
		struct sockaddr_in a = { .sin_family = AF_INET };
		socklen_t len = sizeof(a);
		int rx = socket(AF_INET, SOCK_DGRAM, 0), tx = socket(AF_INET, SOCK_DGRAM, 0);
		int server, c = tcp_pair(&server, NULL), size = 1;

		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if (rx < 0 || tx < 0 || bind(rx, (void *)&a, sizeof(a)) || getsockname(rx, (void *)&a, &len))
			_exit(3);
		fcntl(c, F_SETFL, O_NONBLOCK);
		fcntl(server, F_SETFL, O_NONBLOCK);
		memset(buf, 'h', sizeof(buf));
		for (;;) {
			sendto(tx, buf, size, 0, (void *)&a, sizeof(a));
			size = size % 1400 + 37;
			while (recv(rx, buf, sizeof(buf), MSG_DONTWAIT) > 0)
				;
			(void)!write(c, buf, 16384);
			while (read(server, buf, sizeof(buf)) > 0)
				;
			usleep(2000);
		}
	}
}

static void traffic_stop(pid_t pid)
{
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
}

/* --- PCAP-NG stream validation --- */

#define BT_SHB 0x0A0D0D0A
#define BT_IDB 1
#define BT_ISB 5
#define BT_EPB 6
#define BT_PROC 0x101
#define BT_CONN 0x102
#define BT_READ 0x103

struct pv;
typedef void (*block_fn)(struct pv *pv, const uint8_t *b, uint32_t len);

struct pv {
	uint8_t *buf;
	size_t have, cap;
	long long bytes, offset;
	long blocks, shb, idb, epb, isb, hone;
	uint32_t last_type;
	uint32_t idb_snaplen;
	uint32_t max_caplen;
	long at_snaplen;	/* EPBs cut to the snaplen */
	long over_snaplen;	/* EPBs longer than the snaplen: wrong */
	char err[256];
	block_fn on_block;
	void *ctx;
};

static void pv_init(struct pv *pv, size_t cap)
{
	memset(pv, 0, sizeof(*pv));
	pv->cap = cap;
	pv->buf = malloc(cap);
	if (!pv->buf)
		broken("malloc");
}

static void pv_free(struct pv *pv)
{
	free(pv->buf);
	pv->buf = NULL;
}

__attribute__((format(printf, 2, 3)))
static void pv_fail(struct pv *pv, const char *fmt, ...)
{
	va_list ap;

	if (pv->err[0])
		return;
	va_start(ap, fmt);
	vsnprintf(pv->err, sizeof(pv->err), fmt, ap);
	va_end(ap);
}

static uint32_t u32at(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static uint16_t u16at(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return v;
}

static void pv_block(struct pv *pv, const uint8_t *b, uint32_t len)
{
	uint32_t type = u32at(b);

	pv->blocks++;
	if (pv->blocks == 1 && type != BT_SHB)
		pv_fail(pv, "the stream starts with block type 0x%x, not an SHB", type);
	switch (type) {
	case BT_SHB:
		if (len < 28 || u32at(b + 8) != 0x1A2B3C4D)
			pv_fail(pv, "SHB at byte %lld: bad magic or length %u", pv->offset, len);
		pv->shb++;
		break;
	case BT_IDB:
		if (len < 20)
			pv_fail(pv, "IDB at byte %lld: length %u", pv->offset, len);
		else
			pv->idb_snaplen = u32at(b + 12);
		pv->idb++;
		break;
	case BT_EPB: {
		uint32_t cap = len >= 32 ? u32at(b + 20) : 0, orig = len >= 32 ? u32at(b + 24) : 0;

		pv->epb++;
		if (len < 32 || 28 + ((cap + 3) & ~3u) + 4 > len || cap > orig) {
			pv_fail(pv, "EPB at byte %lld: captured %u, packet %u, block %u", pv->offset, cap, orig, len);
			break;
		}
		if (cap > pv->max_caplen)
			pv->max_caplen = cap;
		if (pv->idb_snaplen && cap > pv->idb_snaplen)
			pv->over_snaplen++;
		if (pv->idb_snaplen && cap == pv->idb_snaplen && orig > cap)
			pv->at_snaplen++;
		break;
	}
	case BT_ISB:
		pv->isb++;
		break;
	case BT_PROC:
	case BT_CONN:
	case BT_READ:
		pv->hone++;
		break;
	default:
		pv_fail(pv, "unknown block type 0x%x at byte %lld (length %u)", type, pv->offset, len);
	}
	pv->last_type = type;
	if (pv->on_block)
		pv->on_block(pv, b, len);
}

/* Feeds stream bytes; blocks may span any number of feeds. */
static void pv_feed(struct pv *pv, const uint8_t *p, size_t n)
{
	pv->bytes += n;
	while (n && !pv->err[0]) {
		size_t k = n < pv->cap - pv->have ? n : pv->cap - pv->have, at = 0;

		memcpy(pv->buf + pv->have, p, k);
		pv->have += k;
		p += k;
		n -= k;
		while (pv->have - at >= 8 && !pv->err[0]) {
			uint32_t len = u32at(pv->buf + at + 4);

			if (len < 12 || len % 4 || len > pv->cap) {
				pv_fail(pv, "block at byte %lld (type 0x%x): length %u", pv->offset,
					u32at(pv->buf + at), len);
				break;
			}
			if (pv->have - at < len)
				break;
			if (u32at(pv->buf + at + len - 4) != len)
				pv_fail(pv, "block at byte %lld (type 0x%x): trailing length %u, leading %u",
					pv->offset, u32at(pv->buf + at), u32at(pv->buf + at + len - 4), len);
			pv_block(pv, pv->buf + at, len);
			pv->offset += len;
			at += len;
		}
		memmove(pv->buf, pv->buf + at, pv->have - at);
		pv->have -= at;
	}
}

/* The stream ended: a partial block left over is an error. */
static void pv_end(struct pv *pv)
{
	if (pv->have)
		pv_fail(pv, "%zu bytes of an unfinished block at the end", pv->have);
}

/* Walks a block's options from @off; calls @fn(code, value, len). */
static void options(const uint8_t *b, uint32_t len, uint32_t off,
		    void (*fn)(void *ctx, uint16_t code, const uint8_t *v, uint16_t l), void *ctx)
{
	while (off + 4 <= len - 4) {
		uint16_t code = u16at(b + off), l = u16at(b + off + 2);

		if (code == 0 || off + 4 + l > len - 4)
			return;
		fn(ctx, code, b + off + 4, l);
		off += 4 + ((l + 3u) & ~3u);
	}
}

/* --- readers --- */

static int open_reader(const char *dev)
{
	int fd = open(dev, O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		broken("open %s", dev);
	return fd;
}

/* Reads what is there (up to @size per read) into @pv; -1 on a read error. */
static int drain_once(int fd, struct pv *pv, uint8_t *buf, size_t size, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	if (poll(&p, 1, timeout_ms) < 0 && errno != EINTR)
		return -1;
	for (;;) {
		ssize_t n = read(fd, buf, size);

		if (n > 0) {
			if ((size_t)n > size)
				return errno = EOVERFLOW, -1;
			pv_feed(pv, buf, n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;
		return n == 0 ? 0 : -1;
	}
}

/*
 * Ends the section (HEIO_RESTART) and reads until read() returns 0: the
 * records before the marks, then the final ISB. 1 if the end was reached.
 */
static int finish_section(int fd, struct pv *pv, uint8_t *buf, size_t size)
{
	double end = now() + 10;

	if (ioctl(fd, HEIO_RESTART))
		return 0;
	while (now() < end) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		poll(&p, 1, 200);
		n = read(fd, buf, size);
		if (n > 0)
			pv_feed(pv, buf, n);
		else if (n == 0)
			return 1;
		else if (errno != EAGAIN && errno != EINTR)
			return 0;
	}
	return 0;
}

/* Text: whole lines, each "SEC.NSEC WORD ..." ; counts lines, keeps them if asked. */
struct tv {
	char *partial;
	size_t have, cap;
	long lines;
	long long bytes;
	char err[256];
	void (*on_line)(struct tv *tv, char *line);
	void *ctx;
	int saw_tail;
};

static void tv_init(struct tv *tv)
{
	memset(tv, 0, sizeof(*tv));
	tv->cap = 1 << 16;
	tv->partial = malloc(tv->cap);
	if (!tv->partial)
		broken("malloc");
}

static int text_line_ok(const char *l)
{
	const char *p = l;

	if (*p < '0' || *p > '9')
		return 0;
	while (*p >= '0' && *p <= '9')
		p++;
	if (*p++ != '.')
		return 0;
	for (int i = 0; i < 9; i++, p++)
		if (*p < '0' || *p > '9')
			return 0;
	if (*p++ != ' ')
		return 0;
	if (*p < 'A' || *p > 'Z')
		return 0;
	return 1;
}

static void tv_feed(struct tv *tv, const char *p, size_t n)
{
	tv->bytes += n;
	for (size_t i = 0; i < n; i++) {
		if (p[i] != '\n') {
			if (tv->have + 1 >= tv->cap) {
				if (!tv->err[0])
					snprintf(tv->err, sizeof(tv->err), "a line longer than %zu bytes", tv->cap);
				tv->have = 0;
			}
			tv->partial[tv->have++] = p[i];
			continue;
		}
		tv->partial[tv->have] = 0;
		tv->lines++;
		if (!text_line_ok(tv->partial) && !tv->err[0])
			snprintf(tv->err, sizeof(tv->err), "line %ld is not an event line: \"%.80s\"", tv->lines, tv->partial);
		if (strstr(tv->partial, " TAIL"))
			tv->saw_tail = 1;
		if (tv->on_line)
			tv->on_line(tv, tv->partial);
		tv->have = 0;
	}
}

static int text_drain(int fd, struct tv *tv, char *buf, size_t size, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	poll(&p, 1, timeout_ms);
	for (;;) {
		ssize_t n = read(fd, buf, size);

		if (n > 0) {
			tv_feed(tv, buf, n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		return n < 0 && errno != EAGAIN ? -1 : 0;
	}
}

static int text_finish(int fd, struct tv *tv, char *buf, size_t size)
{
	double end = now() + 10;

	if (ioctl(fd, HEIO_RESTART))
		return 0;
	while (now() < end) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		poll(&p, 1, 200);
		n = read(fd, buf, size);
		if (n > 0)
			tv_feed(tv, buf, n);
		else if (n == 0)
			return 1;
		else if (errno != EAGAIN && errno != EINTR)
			return 0;
	}
	return 0;
}

static int get_stats(int fd, struct hone_stats *st)
{
	memset(st, 0, sizeof(*st));
	return ioctl(fd, HEIO_GET_STATS, st);
}

/* === 1. readers: 8 concurrent readers with different snaplens === */

#define NREADERS 8
static const int reader_snaplens[NREADERS] = { 0, 1, 64, 96, 128, 256, 1500, 65535 };

struct snap_reader {
	int snaplen, fd, got_snaplen, read_errno, finished;
	struct pv pv;
	struct hone_stats st;
	pthread_t th;
};

static pthread_barrier_t readers_opened;
static volatile int readers_stop;

static void *snap_reader_main(void *arg)
{
	struct snap_reader *r = arg;
	size_t size = 1 << 18;
	uint8_t *buf = malloc(size);

	r->got_snaplen = -1;
	r->fd = open(DEV_PCAP, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	r->read_errno = r->fd < 0 ? errno : 0;
	if (r->fd >= 0 && ioctl(r->fd, HEIO_SET_SNAPLEN, r->snaplen))
		r->read_errno = errno;
	if (r->fd >= 0)
		ioctl(r->fd, HEIO_GET_SNAPLEN, &r->got_snaplen);
	pthread_barrier_wait(&readers_opened);
	if (r->fd < 0 || !buf)
		return NULL;
	while (!readers_stop && !r->read_errno)
		if (drain_once(r->fd, &r->pv, buf, size, 100))
			r->read_errno = errno;
	if (!r->read_errno) {
		r->finished = finish_section(r->fd, &r->pv, buf, size);
		pv_end(&r->pv);
	}
	get_stats(r->fd, &r->st);
	free(buf);
	return NULL;
}

static int fault_readers(int secs)
{
	struct snap_reader r[NREADERS];
	char detail[3072] = "", *d = detail;
	int ok = 1, ninth, ninth_errno;
	unsigned long long drops = 0;
	pid_t traffic;

	need_loaded();
	pthread_barrier_init(&readers_opened, NULL, NREADERS + 1);
	traffic = traffic_start();
	for (int i = 0; i < NREADERS; i++) {
		memset(&r[i], 0, sizeof(r[i]));
		r[i].snaplen = reader_snaplens[i];
		pv_init(&r[i].pv, 1 << 20);
		pthread_create(&r[i].th, NULL, snap_reader_main, &r[i]);
	}
	pthread_barrier_wait(&readers_opened);
	/* max_readers is 8 by default: a ninth reader must be refused */
	ninth = open(DEV_PCAP, O_RDONLY | O_NONBLOCK);
	ninth_errno = ninth < 0 ? errno : 0;
	if (ninth >= 0)
		close(ninth);
	msleep(secs * 1000L);
	traffic_stop(traffic);
	msleep(300);
	readers_stop = 1;
	for (int i = 0; i < NREADERS; i++)
		pthread_join(r[i].th, NULL);
	if (ninth_errno != EBUSY) {
		ok = 0;
		note("a ninth open gave %s, not EBUSY", ninth_errno ? strerror(ninth_errno) : "success");
	}
	d += sprintf(d, "9th open %s;", ninth_errno ? strerrorname_np(ninth_errno) : "succeeded");
	for (int i = 0; i < NREADERS; i++) {
		struct snap_reader *x = &r[i];
		int s = x->snaplen, good = 1;

		if (x->fd < 0 || x->read_errno) {
			note("snaplen %d: %s", s, strerror(x->read_errno));
			good = 0;
		} else {
			if (x->pv.err[0]) {
				note("snaplen %d: %s", s, x->pv.err);
				good = 0;
			}
			if (x->got_snaplen != s || (int)x->pv.idb_snaplen != s) {
				note("snaplen %d: HEIO_GET_SNAPLEN %d, IDB %u", s, x->got_snaplen, x->pv.idb_snaplen);
				good = 0;
			}
			if (!x->pv.epb || x->pv.over_snaplen || !x->finished || x->pv.last_type != BT_ISB) {
				note("snaplen %d: %ld EPBs, %ld over the snaplen, section end %s (last block 0x%x)",
				     s, x->pv.epb, x->pv.over_snaplen, x->finished ? "reached" : "not reached", x->pv.last_type);
				good = 0;
			}
			/* cutting must happen (TCP writes of 16 KiB make long segments) */
			if (s && s <= 1500 && !x->pv.at_snaplen) {
				note("snaplen %d: no packet was cut to it (longest %u)", s, x->pv.max_caplen);
				good = 0;
			}
			if (!s && x->pv.max_caplen <= 1500) {
				note("snaplen 0: longest packet %u bytes, whole packets expected", x->pv.max_caplen);
				good = 0;
			}
			if ((unsigned long long)x->pv.epb > x->st.packets_delivered) {
				note("snaplen %d: %ld EPBs read, only %llu counted delivered", s, x->pv.epb,
				     (unsigned long long)x->st.packets_delivered);
				good = 0;
			}
		}
		drops += x->st.packets_ring_dropped + x->st.process_ring_dropped + x->st.socket_ring_dropped;
		d += sprintf(d, " snap %d:%s epb=%ld maxcap=%u cut=%ld drops=%llu/%llu/%llu;", s, good ? "" : " BAD",
			     x->pv.epb, x->pv.max_caplen, x->pv.at_snaplen,
			     (unsigned long long)x->st.packets_ring_dropped,
			     (unsigned long long)x->st.process_ring_dropped,
			     (unsigned long long)x->st.socket_ring_dropped);
		ok &= good;
		if (x->fd >= 0)
			close(x->fd);
		pv_free(&x->pv);
	}
	return verdict(ok, "%d readers %d s under traffic, every stream valid and cut to its snaplen: %s ring drops (packets/process/socket) total %llu; %s",
		       NREADERS, secs, ok ? "yes" : "NO", drops, detail);
}

/* === 2. kill: readers killed in a blocking read and after part of a record === */

struct survivor {
	int fd, read_errno, finished;
	struct pv pv;
	pthread_t th;
	volatile int stop;
};

static void *survivor_main(void *arg)
{
	struct survivor *s = arg;
	size_t size = 1 << 18;
	uint8_t *buf = malloc(size);

	while (buf && !s->stop && !s->read_errno)
		if (drain_once(s->fd, &s->pv, buf, size, 100))
			s->read_errno = errno;
	if (buf && !s->read_errno) {
		s->finished = finish_section(s->fd, &s->pv, buf, size);
		pv_end(&s->pv);
	}
	free(buf);
	return NULL;
}

/* The syscall a task is in (first field of /proc/PID/syscall), or -1. */
static long task_syscall(pid_t pid)
{
	char path[64], text[256];

	snprintf(path, sizeof(path), "/proc/%d/syscall", pid);
	if (read_file(path, text, sizeof(text)))
		return -1;
	if (!strncmp(text, "running", 7))
		return -2;
	return strtol(text, NULL, 10);
}

static char task_state(pid_t pid)
{
	char path[64], text[512], *p;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (read_file(path, text, sizeof(text)) || !(p = strrchr(text, ')')))
		return '?';
	return p[2];
}

/* Waits for one byte from a child on @fd (a readiness signal). */
static int wait_ready(int fd, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char c;

	return poll(&p, 1, timeout_ms) == 1 && read(fd, &c, 1) == 1 ? 0 : -1;
}

/* A child that attaches to the text device and then blocks in read(). */
static pid_t blocked_reader(int ready)
{
	pid_t pid = fork();

	if (pid)
		return pid;
	{
		static char buf[1 << 16];
		struct hone_wakeup w = { .watermark = 2 << 20, .flush_ms = 60000 };
		int fd = open(DEV_TEXT, O_RDONLY | O_NONBLOCK);

		if (fd < 0)
			_exit(3);
		if (ioctl(fd, HEIO_SET_WAKEUP, &w)) {
			w.watermark = 1 << 20;
			if (ioctl(fd, HEIO_SET_WAKEUP, &w))
				_exit(3);
		}
		/* the head and the snapshot, then whatever is queued */
		for (int i = 0; i < 50; i++) {
			while (read(fd, buf, sizeof(buf)) > 0)
				;
			msleep(10);
		}
		fcntl(fd, F_SETFL, 0);
		(void)!write(ready, "r", 1);
		for (;;)
			(void)!read(fd, buf, sizeof(buf));
	}
}

/* A child that reads part of a record (3 bytes of one) and then waits. */
static pid_t partial_reader(int ready)
{
	pid_t pid = fork();

	if (pid)
		return pid;
	{
		static uint8_t buf[1 << 16];
		struct pollfd p;
		int fd = open(DEV_PCAP, O_RDONLY | O_NONBLOCK);

		if (fd < 0)
			_exit(3);
		for (int i = 0; i < 20; i++) {
			while (read(fd, buf, sizeof(buf)) > 0)
				;
			msleep(10);
		}
		p.fd = fd;
		p.events = POLLIN;
		poll(&p, 1, 5000);
		if (read(fd, buf, 3) != 3)
			_exit(4);
		(void)!write(ready, "r", 1);
		for (;;)
			pause();
	}
}

static int fault_kill(void)
{
	struct survivor s = { 0 };
	int pipes[2][2], ok = 1, status, unload_err;
	long sys_blocked = -1, sys_later = -1;
	char state = '?';
	double reap_blocked = -1, reap_partial = -1, t;
	long epb_before, epb_after;
	pid_t traffic, blocked, partial;

	need_loaded();
	if (pipe(pipes[0]) || pipe(pipes[1]))
		broken("pipe");
	s.fd = open_reader(DEV_PCAP);
	pv_init(&s.pv, 1 << 20);
	pthread_create(&s.th, NULL, survivor_main, &s);

	/* asleep in read() with a 2 MiB watermark and a 60 s flush: it stays there */
	blocked = blocked_reader(pipes[0][1]);
	if (wait_ready(pipes[0][0], 15000)) {
		kill(blocked, SIGKILL);
		errno = ETIMEDOUT;
		broken("the blocking reader did not get ready");
	}
	msleep(500);
	sys_blocked = task_syscall(blocked);
	state = task_state(blocked);
	traffic = traffic_start();
	partial = partial_reader(pipes[1][1]);
	if (wait_ready(pipes[1][0], 15000)) {
		kill(blocked, SIGKILL);
		kill(partial, SIGKILL);
		traffic_stop(traffic);
		errno = ETIMEDOUT;
		broken("the partial reader did not get a record");
	}
	msleep(300);
	sys_later = task_syscall(blocked);
	epb_before = s.pv.epb;

	t = now();
	kill(blocked, SIGKILL);
	waitpid(blocked, &status, 0);
	reap_blocked = now() - t;
	if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL)
		ok = 0, note("the blocked reader ended with status 0x%x", status);
	t = now();
	kill(partial, SIGKILL);
	waitpid(partial, &status, 0);
	reap_partial = now() - t;
	if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL)
		ok = 0, note("the partial reader ended with status 0x%x", status);

	msleep(2000);
	epb_after = s.pv.epb;
	traffic_stop(traffic);
	s.stop = 1;
	pthread_join(s.th, NULL);
	close(s.fd);

	if (sys_blocked != SYS_read || sys_later != SYS_read || state != 'S') {
		ok = 0;
		note("the blocked reader was in syscall %ld then %ld, state %c (want read, S)", sys_blocked, sys_later, state);
	}
	if (reap_blocked > 1 || reap_partial > 1)
		ok = 0, note("a killed reader took %.3f / %.3f s to go", reap_blocked, reap_partial);
	if (s.read_errno || s.pv.err[0] || !s.finished || epb_after <= epb_before) {
		ok = 0;
		note("survivor: %s %s, section end %s, EPBs %ld before the kills, %ld 2 s after",
		     s.read_errno ? strerror(s.read_errno) : "", s.pv.err, s.finished ? "reached" : "not reached",
		     epb_before, epb_after);
	}
	t = now();
	unload_err = unload_all();
	t = now() - t;
	if (unload_err)
		ok = 0;
	pv_free(&s.pv);
	return verdict(ok, "blocked reader in syscall %ld (state %c, still %ld under traffic), reaped %.1f ms after SIGKILL; "
		       "reader holding 3 bytes of a live record reaped %.1f ms after; "
		       "survivor stream %s, EPBs %ld before the kills, %ld 2 s after, %ld at its section end; unload after: %s (%.0f ms)",
		       sys_blocked, state, sys_later, reap_blocked * 1e3, reap_partial * 1e3,
		       s.pv.err[0] ? s.pv.err : "valid", epb_before, epb_after, s.pv.epb,
		       unload_err ? strerror(unload_err) : "ok", t * 1e3);
}

/* === 3. readsizes: read sizes from 1 byte to 1 MiB at random === */

#define MAX_READ (1 << 20)

static size_t random_size(void)
{
	/* log-uniform: as many 1-2 byte reads as 512 KiB-1 MiB ones */
	unsigned int e = rnd() % 21;
	size_t base = (size_t)1 << e, size = base + rnd() % base;

	return size > MAX_READ ? MAX_READ : size;
}

struct sized {
	const char *dev;
	int fd, text, finished, read_errno, oversize;
	long reads, small, large;
	struct pv pv;
	struct tv tv;
	pthread_t th;
	volatile int stop;
};

static void sized_feed(struct sized *z, const uint8_t *buf, ssize_t n)
{
	if (z->text)
		tv_feed(&z->tv, (const char *)buf, n);
	else
		pv_feed(&z->pv, buf, n);
}

static void *sized_main(void *arg)
{
	struct sized *z = arg;
	uint8_t *buf = malloc(MAX_READ);
	double end_wait;

	if (!buf)
		return NULL;
	while (!z->stop && !z->read_errno) {
		struct pollfd p = { .fd = z->fd, .events = POLLIN };
		size_t size = random_size();
		ssize_t n;

		poll(&p, 1, 100);
		n = read(z->fd, buf, size);
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				z->read_errno = errno;
			continue;
		}
		z->reads++;
		z->small += size <= 16;
		z->large += size >= (MAX_READ >> 1);
		if ((size_t)n > size)
			z->oversize++;
		sized_feed(z, buf, n);
	}
	/* the end of the section, still with random sizes */
	if (!z->read_errno && !ioctl(z->fd, HEIO_RESTART)) {
		end_wait = now() + 10;
		while (now() < end_wait) {
			struct pollfd p = { .fd = z->fd, .events = POLLIN };
			size_t size = random_size();
			ssize_t n;

			poll(&p, 1, 100);
			n = read(z->fd, buf, size);
			if (n == 0) {
				z->finished = 1;
				break;
			}
			if (n < 0) {
				if (errno != EAGAIN && errno != EINTR) {
					z->read_errno = errno;
					break;
				}
				continue;
			}
			z->reads++;
			if ((size_t)n > size)
				z->oversize++;
			sized_feed(z, buf, n);
		}
	}
	if (!z->text)
		pv_end(&z->pv);
	free(buf);
	return NULL;
}

static int fault_readsizes(int secs)
{
	struct sized z[2] = { { .dev = DEV_PCAP }, { .dev = DEV_TEXT, .text = 1 } };
	pid_t traffic;
	int ok = 1;

	need_loaded();
	rng_state ^= (uint64_t)getpid() << 32 ^ (uint64_t)(now() * 1e6);
	for (int i = 0; i < 2; i++) {
		z[i].fd = open_reader(z[i].dev);
		pv_init(&z[i].pv, 1 << 20);
		tv_init(&z[i].tv);
	}
	traffic = traffic_start();
	for (int i = 0; i < 2; i++)
		pthread_create(&z[i].th, NULL, sized_main, &z[i]);
	msleep(secs * 1000L);
	traffic_stop(traffic);
	msleep(300);
	for (int i = 0; i < 2; i++) {
		z[i].stop = 1;
		pthread_join(z[i].th, NULL);
		close(z[i].fd);
	}
	if (z[0].read_errno || z[0].oversize || z[0].pv.err[0] || !z[0].finished || z[0].pv.last_type != BT_ISB ||
	    z[0].pv.epb == 0 || z[0].pv.shb != 1) {
		ok = 0;
		note("%s: %s %s, %d reads over their size, end %s, last block 0x%x, %ld EPBs, %ld SHBs", DEV_PCAP,
		     z[0].read_errno ? strerror(z[0].read_errno) : "", z[0].pv.err, z[0].oversize,
		     z[0].finished ? "reached" : "not reached", z[0].pv.last_type, z[0].pv.epb, z[0].pv.shb);
	}
	if (z[1].read_errno || z[1].oversize || z[1].tv.err[0] || !z[1].finished || !z[1].tv.saw_tail ||
	    z[1].tv.have || z[1].tv.lines < 10) {
		ok = 0;
		note("%s: %s %s, %d reads over their size, end %s, TAIL %s, %zu bytes of an unfinished line, %ld lines",
		     DEV_TEXT, z[1].read_errno ? strerror(z[1].read_errno) : "", z[1].tv.err, z[1].oversize,
		     z[1].finished ? "reached" : "not reached", z[1].tv.saw_tail ? "seen" : "missing", z[1].tv.have, z[1].tv.lines);
	}
	for (int i = 0; i < 2; i++) {
		pv_free(&z[i].pv);
		free(z[i].tv.partial);
	}
	return verdict(ok, "%d s under traffic, sizes 1 B-1 MiB log-uniform: %s %ld reads (%ld of <=16 B, %ld of >=512 KiB), %lld bytes, "
		       "%ld blocks (%ld EPB) %s, section end %s; %s %ld reads (%ld <=16 B), %ld lines %s, TAIL %s",
		       secs, DEV_PCAP, z[0].reads, z[0].small, z[0].large, z[0].pv.bytes, z[0].pv.blocks, z[0].pv.epb,
		       z[0].pv.err[0] ? z[0].pv.err : "all valid", z[0].finished ? "reached" : "NOT reached",
		       DEV_TEXT, z[1].reads, z[1].small, z[1].tv.lines, z[1].tv.err[0] ? z[1].tv.err : "all valid",
		       z[1].tv.saw_tail ? "seen" : "MISSING");
}

/* === 4. ioctl: every number, bad pointers, wrong sizes, bad values === */

struct ioctl_tally {
	long calls, enotty, efault, einval, other_ok, mismatches;
	char first[512];
};

#define ANY_OF_0_EBUSY (-2)

static const char *errname(int e)
{
	return e ? strerrorname_np(e) : "success";
}

/* One call; @want: 0 success (return value >= 0), an errno, or ANY_OF_0_EBUSY. */
static void expect_ioctl(struct ioctl_tally *t, const char *what, int fd, unsigned long cmd, unsigned long arg, int want)
{
	long r = syscall(SYS_ioctl, fd, cmd, arg);
	int got = r < 0 ? errno : 0;
	int match = want == ANY_OF_0_EBUSY ? (got == 0 || got == EBUSY) : got == want;

	t->calls++;
	t->enotty += got == ENOTTY;
	t->efault += got == EFAULT;
	t->einval += got == EINVAL;
	t->other_ok += got == 0;
	if (match)
		return;
	t->mismatches++;
	if (t->mismatches <= 20)
		note("%s: ioctl 0x%lx arg 0x%lx gave %s, want %s", what, cmd, arg, errname(got),
		     want == ANY_OF_0_EBUSY ? "success or EBUSY" : errname(want));
	if (!t->first[0])
		snprintf(t->first, sizeof(t->first), "%s: ioctl 0x%lx arg 0x%lx gave %s, want %s", what, cmd, arg,
			 errname(got), want == ANY_OF_0_EBUSY ? "success or EBUSY" : errname(want));
}

static const unsigned long known_cmds[] = {
	HEIO_RESTART, HEIO_GET_AT_HEAD, HEIO_GET_SNAPLEN, HEIO_SET_SNAPLEN, HEIO_SET_FILTER_SOCK,
	HEIO_GET_STATS, HEIO_SET_RING_ORDER, HEIO_GET_WAKEUP, HEIO_SET_WAKEUP, HEIO_GET_RING_INFO,
	HEIO_RING_CONSUME,
};

static int is_known(unsigned long cmd)
{
	for (size_t i = 0; i < sizeof(known_cmds) / sizeof(known_cmds[0]); i++)
		if (known_cmds[i] == cmd)
			return 1;
	return 0;
}

struct bad_ptrs {
	unsigned long null, kernel, unmapped, straddle4, straddle_big;
	uint8_t *valid;		/* 2 pages, filled with a pattern */
};

static void bad_ptrs_init(struct bad_ptrs *b)
{
	uint8_t *two = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint8_t *gone = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (two == MAP_FAILED || gone == MAP_FAILED)
		broken("mmap");
	munmap(gone, 4096);
	/* the second page of @two is made unmapped: a struct across the edge faults half way */
	munmap(two + 4096, 4096);
	b->null = 0;
	b->kernel = 0xffffffff81000000ul;
	b->unmapped = (unsigned long)gone;
	b->straddle4 = (unsigned long)two + 4096 - 2;
	b->straddle_big = (unsigned long)two + 4096 - 4;
	b->valid = malloc(1 << 16);
	if (!b->valid)
		broken("malloc");
}

/* Unknown commands on @fd: ENOTTY whatever the argument, and no memory written. */
static void sweep_unknown(struct ioctl_tally *t, const char *what, int fd, const struct bad_ptrs *b)
{
	static const unsigned int types[] = { HEIO_TYPE, 0x01, 0x41, 0x7F, 0xDF, HEIO_TYPE + 1, 0xFF };
	static const unsigned int sizes[] = { 0, 4, 8, 128, 16383 };
	static const unsigned int dirs[] = { _IOC_NONE, _IOC_WRITE, _IOC_READ, _IOC_READ | _IOC_WRITE };
	static const unsigned long fixed[] = { 0x5401 /* TCGETS */, 0x541B /* FIONREAD */, 0xE0, 0xE000, 0xE0FF };
	unsigned long args[5] = { b->null, b->kernel, b->unmapped, (unsigned long)b->valid, 0x7fffffff };
	char label[128];

	memset(b->valid, 0xA5, 1 << 16);
	for (size_t ti = 0; ti < sizeof(types) / sizeof(types[0]); ti++)
		for (unsigned int nr = 0; nr < 256; nr++)
			for (size_t di = 0; di < 4; di++)
				for (size_t si = 0; si < sizeof(sizes) / sizeof(sizes[0]); si++) {
					unsigned long cmd = _IOC(dirs[di], types[ti], nr, sizes[si]);

					if (is_known(cmd))
						continue;
					for (size_t ai = 0; ai < 5; ai++) {
						snprintf(label, sizeof(label), "%s unknown type 0x%x nr %u", what, types[ti], nr);
						expect_ioctl(t, label, fd, cmd, args[ai], ENOTTY);
					}
				}
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		for (size_t ai = 0; ai < 5; ai++)
			expect_ioctl(t, what, fd, fixed[i], args[ai], ENOTTY);
	for (int i = 0; i < 1 << 16; i++)
		if (b->valid[i] != 0xA5) {
			t->mismatches++;
			note("%s: an unknown ioctl wrote into the caller's buffer at byte %d", what, i);
			snprintf(t->first, sizeof(t->first), "%s: an unknown ioctl wrote into the caller's buffer", what);
			break;
		}
}

/* The driver's own commands with bad pointers and values. @attached: after the first read. */
static void known_cases(struct ioctl_tally *t, const char *what, int fd, int text, int attached, const struct bad_ptrs *b)
{
	unsigned long bad[] = { b->null, b->kernel, b->unmapped, b->straddle4 };
	unsigned long badbig[] = { b->null, b->kernel, b->unmapped, b->straddle_big };
	unsigned long valid = (unsigned long)b->valid;
	struct hone_wakeup *w = (void *)b->valid;
	struct hone_ring_consume *c = (void *)b->valid;
	int notsock = open("/dev/null", O_RDONLY), sock = socket(AF_INET, SOCK_DGRAM, 0);
	char label[128];

	snprintf(label, sizeof(label), "%s%s", what, attached ? " (attached)" : " (before the first read)");
	for (int i = 0; i < 4; i++) {
		expect_ioctl(t, label, fd, HEIO_GET_SNAPLEN, bad[i], EFAULT);
		expect_ioctl(t, label, fd, HEIO_GET_STATS, badbig[i], EFAULT);
		expect_ioctl(t, label, fd, HEIO_GET_WAKEUP, bad[i], EFAULT);
		expect_ioctl(t, label, fd, HEIO_SET_WAKEUP, bad[i], EFAULT);
		expect_ioctl(t, label, fd, HEIO_GET_RING_INFO, badbig[i], text ? ENODEV : EFAULT);
		expect_ioctl(t, label, fd, HEIO_RING_CONSUME, badbig[i], EFAULT);
	}
	expect_ioctl(t, label, fd, HEIO_GET_SNAPLEN, valid, 0);
	expect_ioctl(t, label, fd, HEIO_GET_STATS, valid, 0);
	expect_ioctl(t, label, fd, HEIO_GET_WAKEUP, valid, 0);
	expect_ioctl(t, label, fd, HEIO_GET_RING_INFO, valid, text ? ENODEV : 0);
	/* by value: negative snaplens, a kernel pointer's low half (negative) */
	expect_ioctl(t, label, fd, HEIO_SET_SNAPLEN, (unsigned long)-1, EINVAL);
	expect_ioctl(t, label, fd, HEIO_SET_SNAPLEN, 0x80000000ul, EINVAL);
	expect_ioctl(t, label, fd, HEIO_SET_SNAPLEN, b->kernel, EINVAL);
	expect_ioctl(t, label, fd, HEIO_SET_SNAPLEN, 96, attached ? ANY_OF_0_EBUSY : 0);
	expect_ioctl(t, label, fd, HEIO_SET_FILTER_SOCK, 99999, EBADF);
	expect_ioctl(t, label, fd, HEIO_SET_FILTER_SOCK, b->kernel, EBADF);
	expect_ioctl(t, label, fd, HEIO_SET_FILTER_SOCK, notsock, ENOTSOCK);
	expect_ioctl(t, label, fd, HEIO_SET_FILTER_SOCK, sock, 0);
	expect_ioctl(t, label, fd, HEIO_SET_FILTER_SOCK, (unsigned long)-1, 0);
	expect_ioctl(t, label, fd, HEIO_SET_RING_ORDER, 3, EINVAL);
	expect_ioctl(t, label, fd, HEIO_SET_RING_ORDER, 13, EINVAL);
	expect_ioctl(t, label, fd, HEIO_SET_RING_ORDER, (unsigned long)-1, EINVAL);
	expect_ioctl(t, label, fd, HEIO_SET_RING_ORDER, b->kernel, EINVAL);
	expect_ioctl(t, label, fd, HEIO_SET_RING_ORDER, 9, attached ? EBUSY : 0);
	w->watermark = 0;
	w->flush_ms = 60001;
	expect_ioctl(t, label, fd, HEIO_SET_WAKEUP, valid, EINVAL);
	w->watermark = 0xffffffffu;
	w->flush_ms = 100;
	expect_ioctl(t, label, fd, HEIO_SET_WAKEUP, valid, EINVAL);
	w->watermark = 0;
	w->flush_ms = 100;
	expect_ioctl(t, label, fd, HEIO_SET_WAKEUP, valid, 0);
	memset(c, 0, sizeof(*c));
	expect_ioctl(t, label, fd, HEIO_RING_CONSUME, valid, EINVAL);	/* not mapped */
	c->ring = 0xffffffffu;
	expect_ioctl(t, label, fd, HEIO_RING_CONSUME, valid, EINVAL);
	expect_ioctl(t, label, fd, HEIO_GET_AT_HEAD, b->kernel, 0);
	close(notsock);
	close(sock);
}

/* A mapped reader: ring positions out of range are EINVAL. */
static void mapped_cases(struct ioctl_tally *t, int fd)
{
	struct hone_ring_info info;
	struct hone_ring_consume c = { 0 };
	volatile struct hone_ring_meta *meta;
	void *map;

	if (ioctl(fd, HEIO_GET_RING_INFO, &info)) {
		t->mismatches++;
		note("HEIO_GET_RING_INFO: %s", strerror(errno));
		return;
	}
	map = mmap(NULL, info.nrings * info.stride, PROT_READ, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		t->mismatches++;
		note("mmap: %s", strerror(errno));
		return;
	}
	meta = map;
	expect_ioctl(t, "mapped", fd, (unsigned long)_IOC(_IOC_WRITE, HEIO_TYPE, 14, 8), (unsigned long)&c, ENOTTY);
	c.pos = meta->prod + 4096 + info.size;
	expect_ioctl(t, "mapped, past what was written", fd, HEIO_RING_CONSUME, (unsigned long)&c, EINVAL);
	c.ring = info.nrings;
	c.pos = 0;
	expect_ioctl(t, "mapped, ring out of range", fd, HEIO_RING_CONSUME, (unsigned long)&c, EINVAL);
	c.ring = 0;
	c.pos = meta->cons;
	expect_ioctl(t, "mapped, consume nothing", fd, HEIO_RING_CONSUME, (unsigned long)&c, 0);
	/* a writable mapping is refused */
	if (mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) != MAP_FAILED || (errno != EPERM && errno != EACCES)) {
		t->mismatches++;
		note("a writable mmap was not refused (%s)", strerror(errno));
	}
	munmap(map, info.nrings * info.stride);
}

static int fault_ioctl(void)
{
	struct ioctl_tally t = { 0 };
	struct bad_ptrs b;
	static uint8_t buf[1 << 16];
	struct pv pv;
	int still = 0;

	need_loaded();
	bad_ptrs_init(&b);
	for (int text = 0; text < 2; text++) {
		const char *dev = text ? DEV_TEXT : DEV_PCAP;
		int fd = open_reader(dev);

		sweep_unknown(&t, dev, fd, &b);
		known_cases(&t, dev, fd, text, 0, &b);
		/* attach: the head and the snapshot */
		for (int i = 0; i < 5; i++)
			while (read(fd, buf, sizeof(buf)) > 0)
				;
		sweep_unknown(&t, dev, fd, &b);
		known_cases(&t, dev, fd, text, 1, &b);
		if (!text)
			mapped_cases(&t, fd);
		close(fd);
	}
	/* the device still works */
	{
		int fd = open_reader(DEV_PCAP);

		pv_init(&pv, 1 << 20);
		drain_once(fd, &pv, buf, sizeof(buf), 1000);
		still = !pv.err[0] && pv.shb == 1 && pv.idb == 1;
		close(fd);
		pv_free(&pv);
	}
	if (!still)
		note("after the abuse a new reader did not get a valid head (%s)", pv.err);
	return verdict(!t.mismatches && still,
		       "%ld ioctls on both devices (types 0xE0 and 6 others, every nr, 4 directions x 5 sizes, NULL/kernel/unmapped/page-edge/valid pointers, "
		       "before and after the first read, mapped): %ld ENOTTY, %ld EFAULT, %ld EINVAL, %ld succeeded; %ld not as specified%s%s; device works after: %s",
		       t.calls, t.enotty, t.efault, t.einval, t.other_ok, t.mismatches, t.first[0] ? ", first: " : "", t.first,
		       still ? "yes" : "NO");
}

/* === 5. params: invalid module parameters at load and through /sys === */

struct param_case {
	const char *name, *value;
};

/*
 * The new log records naming @name: 2 if one is Hone's ("hone: ..."), 1 if
 * only the kernel's own (parse_args, param_set_charp), 0 if none; the line
 * (Hone's first) in @out.
 */
static int kmsg_names(int fd, const char *name, char *out, size_t size)
{
	char rec[2048];
	int found = 0;

	*out = 0;
	for (;;) {
		ssize_t n = read(fd, rec, sizeof(rec) - 1);
		char *text;

		if (n < 0 && errno == EPIPE)
			continue;
		if (n <= 0)
			return found;
		rec[n] = 0;
		text = strchr(rec, ';');
		text = text ? text + 1 : rec;
		text[strcspn(text, "\n")] = 0;
		if (!strstr(text, name))
			continue;
		if (!strncmp(text, "hone: ", 6) && found < 2) {
			copy_str(out, size, text);
			found = 2;
		} else if (!found) {
			copy_str(out, size, text);
			found = 1;
		}
	}
}

static int hone_lines, kernel_lines;

static int try_bad_load(int kmsg, const struct param_case *pc, char *line, size_t size)
{
	char params[8192];
	int err, who;

	snprintf(params, sizeof(params), "%s=%s", pc->name, pc->value);
	err = load_one(honeevent_path(), params);
	who = kmsg_names(kmsg, pc->name, line, size);
	if (!err) {
		note("honeevent loaded with %.60s", params);
		unload_one("honeevent", 3000);
		return 0;
	}
	if (!who) {
		note("%.60s refused (%s) but no log line names %s", params, strerror(err), pc->name);
		return 0;
	}
	/* a kernel refusal of its own (a charp over 1024 bytes: ENOSPC) names the parameter too */
	if (who == 2)
		hone_lines++;
	else
		kernel_lines++, note("%s=%.20s: only the kernel's own line: %s", pc->name, pc->value, line);
	return err;
}

/* The ring size a new reader of /dev/hone gets, or -1. */
static long new_reader_ring_size(void)
{
	struct hone_ring_info info;
	int fd = open(DEV_PCAP, O_RDONLY | O_NONBLOCK);
	long size = -1;

	if (fd >= 0 && !ioctl(fd, HEIO_GET_RING_INFO, &info))
		size = info.size;
	if (fd >= 0)
		close(fd);
	return size;
}

static int fault_params(void)
{
	static char longname[41], hostid[257], comment[4098];
	const struct param_case bad[] = {
		{ "pageorder", "3" }, { "pageorder", "13" }, { "pageorder", "-1" }, { "pageorder", "abc" },
		{ "pageorder", "99999999999" }, { "flush_ms", "60001" }, { "flush_ms", "-5" },
		{ "max_readers", "0" }, { "max_readers", "65" }, { "snaplen", "-1" }, { "snaplen", "2147483648" },
		{ "snaplen", "abc" }, { "devname", "" }, { "devname", "a/b" }, { "devname", longname },
		{ "major", "-1" }, { "major", "4096" }, { "hostid", hostid }, { "comment", comment },
	};
	const struct param_case bad_runtime[] = {
		{ "pageorder", "3" }, { "pageorder", "13" }, { "pageorder", "x" }, { "flush_ms", "60001" },
		{ "max_readers", "0" }, { "max_readers", "65" }, { "snaplen", "-1" }, { "snaplen", "2147483648" },
	};
	char line[512], path[256], before[64], after[64], first_line[512] = "", rt_line[512] = "";
	int kmsg = kmsg_open(), load_refused = 0, rt_refused = 0, ok = 1, err, good_loads = 0, ro = 0;
	long size4 = -1, size12 = -1, size5 = -1;
	int busy_one = 0, busy_two = 0, snap200 = -1;

	memset(longname, 'n', 40);
	memset(hostid, 'h', 256);
	memset(comment, 'c', 4097);
	if (unload_all())
		broken("unloading honeevent before the test");
	/* the dependencies, then honeevent with each bad value */
	read_load_list();
	for (int i = 0; i < nload_paths; i++)
		if (!is_honeevent(load_paths[i]) && (err = load_one(load_paths[i], ""))) {
			errno = err;
			broken("loading %s", load_paths[i]);
		}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err = try_bad_load(kmsg, &bad[i], line, sizeof(line));
		if (!err || module_loaded("honeevent")) {
			ok = 0;
			continue;
		}
		load_refused++;
		if (!first_line[0])
			snprintf(first_line, sizeof(first_line), "%s (%s)", line, strerrorname_np(err));
		note("load %s=%.20s%s: %s, log: %s", bad[i].name, bad[i].value, strlen(bad[i].value) > 20 ? "..." : "",
		     strerrorname_np(err), line);
	}
	/* the limits themselves load */
	if (!load_one(honeevent_path(), "pageorder=4 flush_ms=0 max_readers=1 snaplen=0")) {
		int a = open(DEV_PCAP, O_RDONLY | O_NONBLOCK), b2;

		good_loads++;
		size4 = new_reader_ring_size();	/* EBUSY while a is open: measured after */
		b2 = open(DEV_PCAP, O_RDONLY | O_NONBLOCK);
		busy_one = b2 < 0 && errno == EBUSY;
		if (b2 >= 0)
			close(b2);
		if (a >= 0)
			close(a);
		size4 = new_reader_ring_size();
		unload_one("honeevent", 3000);
	}
	if (!load_one(honeevent_path(), "pageorder=12 flush_ms=60000 max_readers=64 snaplen=2147483647")) {
		good_loads++;
		size12 = new_reader_ring_size();
		unload_one("honeevent", 3000);
	}
	if (good_loads != 2 || size4 != 4096L << 4 || size12 != 4096L << 12 || !busy_one) {
		ok = 0;
		note("limits: %d of 2 loads, ring sizes %ld (pageorder 4) and %ld (12), second open with max_readers=1 %s",
		     good_loads, size4, size12, busy_one ? "EBUSY" : "not refused");
	}
	/* at run time */
	if (load_one(honeevent_path(), ""))
		broken("loading honeevent with defaults");
	for (size_t i = 0; i < sizeof(bad_runtime) / sizeof(bad_runtime[0]); i++) {
		snprintf(path, sizeof(path), "/sys/module/honeevent/parameters/%s", bad_runtime[i].name);
		read_file(path, before, sizeof(before));
		err = write_file(path, bad_runtime[i].value);
		read_file(path, after, sizeof(after));
		if (err != EINVAL || strcmp(before, after) || !kmsg_find(kmsg, "hone: ", bad_runtime[i].name, line, sizeof(line))) {
			ok = 0;
			note("/sys %s=%s: %s, value %s -> %s", bad_runtime[i].name, bad_runtime[i].value, errname(err), before, after);
			continue;
		}
		rt_refused++;
		if (!rt_line[0])
			snprintf(rt_line, sizeof(rt_line), "%s", line);
	}
	/* read-only ones */
	for (const char *const *p = (const char *const[]){ "devname", "major", "hostid", "comment", NULL }; *p; p++) {
		snprintf(path, sizeof(path), "/sys/module/honeevent/parameters/%s", *p);
		err = write_file(path, "x");
		ro += err == EACCES || err == EPERM;
		if (!err)
			ok = 0, note("/sys %s is writable", *p);
	}
	/* good values apply to readers opened afterwards */
	if (write_file("/sys/module/honeevent/parameters/pageorder", "5") ||
	    write_file("/sys/module/honeevent/parameters/snaplen", "200") ||
	    write_file("/sys/module/honeevent/parameters/max_readers", "2"))
		ok = 0, note("a good value was refused at run time");
	size5 = new_reader_ring_size();
	{
		int a = open(DEV_PCAP, O_RDONLY | O_NONBLOCK), b2 = open(DEV_PCAP, O_RDONLY | O_NONBLOCK);
		int c = open(DEV_PCAP, O_RDONLY | O_NONBLOCK);

		busy_two = a >= 0 && b2 >= 0 && c < 0 && errno == EBUSY;
		if (a >= 0)
			ioctl(a, HEIO_GET_SNAPLEN, &snap200);
		for (int *f = (int[]){ a, b2, c, -2 }; *f != -2; f++)
			if (*f >= 0)
				close(*f);
	}
	if (size5 != 4096L << 5 || !busy_two || snap200 != 200)
		ok = 0, note("run-time values: ring %ld (want %ld), third open with max_readers=2 %s, snaplen %d",
			     size5, 4096L << 5, busy_two ? "EBUSY" : "not refused", snap200);
	if (unload_all())
		ok = 0;
	close(kmsg);
	return verdict(ok, "load: %d of %zu bad values refused, each with a log line naming the parameter (%d Hone's, %d only the kernel's), e.g. \"%s\"; limits load (pageorder 4 and 12: rings %ld and %ld B; max_readers=1: 2nd open %s); "
		       "/sys: %d of %zu bad writes refused EINVAL, value kept, logged (e.g. \"%s\"); %d read-only refused; good writes apply to new readers (ring %ld B, snaplen %d, max_readers=2: 3rd open %s)",
		       load_refused, sizeof(bad) / sizeof(bad[0]), hone_lines, kernel_lines, first_line, size4, size12, busy_one ? "EBUSY" : "NOT refused",
		       rt_refused, sizeof(bad_runtime) / sizeof(bad_runtime[0]), rt_line, ro, size5, snap200, busy_two ? "EBUSY" : "NOT refused");
}

/* === 6. rmmod with a reader open: refused at once, still working, unload after close === */

/* delete_module(honeevent): its errno (0: it unloaded) and how long it took. */
static int timed_rmmod(double *ms)
{
	double t = now();
	int err = syscall(SYS_delete_module, "honeevent", O_NONBLOCK) ? errno : 0;

	*ms = (now() - t) * 1e3;
	return err;
}

/* A reader that still gets data: a valid head, and packets when traffic flows. */
static int reader_works(int fd, int text)
{
	static uint8_t buf[1 << 16];
	pid_t traffic = traffic_start();
	struct pv pv;
	struct tv tv;
	int ok;

	pv_init(&pv, 1 << 20);
	tv_init(&tv);
	for (int i = 0; i < 20; i++) {
		if (text)
			text_drain(fd, &tv, (char *)buf, sizeof(buf), 100);
		else
			drain_once(fd, &pv, buf, sizeof(buf), 100);
	}
	traffic_stop(traffic);
	ok = text ? !tv.err[0] && tv.lines > 2 : !pv.err[0] && pv.epb > 0;
	pv_free(&pv);
	free(tv.partial);
	return ok;
}

static int fault_rmmod(void)
{
	static const char *const kinds[] = { "read() reader", "text reader", "mmap, fd closed" };
	char detail[1024] = "", *d = detail;
	int ok = 1;

	for (int k = 0; k < 3; k++) {
		double ms = -1, ms_after = -1;
		int fd, err, works, err_after = -1, loaded_after;
		void *map = MAP_FAILED;
		size_t maplen = 0;

		need_loaded();
		fd = open_reader(k == 1 ? DEV_TEXT : DEV_PCAP);
		if (k == 2) {
			struct hone_ring_info info;

			if (ioctl(fd, HEIO_GET_RING_INFO, &info))
				broken("HEIO_GET_RING_INFO");
			maplen = info.nrings * info.stride;
			map = mmap(NULL, maplen, PROT_READ, MAP_SHARED, fd, 0);
			if (map == MAP_FAILED)
				broken("mmap");
			close(fd);	/* the mapping alone holds the file */
			fd = -1;
		}
		err = timed_rmmod(&ms);
		loaded_after = module_loaded("honeevent");
		works = k == 2 ? new_reader_ring_size() > 0 : reader_works(fd, k == 1);
		if (k == 2)
			munmap(map, maplen);
		else
			close(fd);
		/* once closed, it unloads (release may run a moment later) */
		for (int i = 0; i < 40; i++) {
			err_after = timed_rmmod(&ms_after);
			if (err_after != EAGAIN && err_after != EBUSY)
				break;
			msleep(50);
		}
		if ((err != EAGAIN && err != EBUSY) || ms > 1000 || !loaded_after || !works || err_after) {
			ok = 0;
			note("%s: rmmod gave %s in %.1f ms, module %s, works %s; after close %s", kinds[k], errname(err), ms,
			     loaded_after ? "loaded" : "GONE", works ? "yes" : "no", errname(err_after));
		}
		d += sprintf(d, " %s: refused %s in %.2f ms, still works %s, unloads after close %s;", kinds[k],
			     errname(err), ms, works ? "yes" : "NO", err_after ? errname(err_after) : "yes");
		unload_all();
	}
	return verdict(ok, "rmmod honeevent with a reader open, 3 ways:%s", detail);
}

/* === 7. soak: N load/unload cycles under traffic with readers open === */

static int fault_soak(int cycles)
{
	char cmd[256], line[1024], summary[1024] = "";
	double t = now();
	FILE *p;
	int status;

	if (access(SOAK_SCRIPT, R_OK))
		broken("%s", SOAK_SCRIPT);
	if (unload_all())
		broken("unloading before the soak");
	snprintf(cmd, sizeof(cmd), "BENCH=/usr/bin/hone-bench sh %s %d 2>&1", SOAK_SCRIPT, cycles);
	p = popen(cmd, "r");
	if (!p)
		broken("popen");
	while (fgets(line, sizeof(line), p)) {
		line[strcspn(line, "\n")] = 0;
		if (!strncmp(line, "soak: ", 6))
			snprintf(summary, sizeof(summary), "%s", line + 6);
		else
			note("%s", line);
	}
	status = pclose(p);
	t = now() - t;
	{
		int got = -1, failures = -1, unloads = -1, left = -1;
		const char *c = strstr(summary, "cycles="), *f = strstr(summary, "failures="),
			   *u = strstr(summary, "open_reader_unloads="), *l = strstr(summary, "modules_left=");

		if (c)
			got = atoi(c + 7);
		if (f)
			failures = atoi(f + 9);
		if (u)
			unloads = atoi(u + 20);
		if (l)
			left = atoi(l + 13);
		return verdict(WIFEXITED(status) && WEXITSTATUS(status) == 0 && got == cycles && !failures && !unloads && !left,
			       "%d cycles in %.0f s (%.2f s each), exit %d: %s", cycles, t, t / (cycles ? cycles : 1),
			       WIFEXITED(status) ? WEXITSTATUS(status) : -1, summary[0] ? summary : "no summary line");
	}
}

/* === 8. sockets: N sockets in one process, fork, child and parent exit === */

static volatile int obs_stop;
static volatile pid_t obs_tid;
static double obs_max_late;

/* A SCHED_FIFO thread asking for 1 ms sleeps: how late it wakes at worst. */
static void *observer_main(void *arg)
{
	struct sched_param sp = { .sched_priority = 50 };

	(void)arg;
	pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp);
	obs_tid = (pid_t)syscall(SYS_gettid);
	while (!obs_stop) {
		double t = now(), late;

		msleep(1);
		late = now() - t - 0.001;
		if (late > obs_max_late)
			obs_max_late = late;
	}
	return NULL;
}

#define TRACING "/sys/kernel/tracing"

/* Arms the preemptoff latency tracer if the kernel has it. */
static int tracer_start(void)
{
	char tracers[4096];

	if (access(TRACING "/available_tracers", R_OK))
		mount("nodev", TRACING, "tracefs", 0, NULL);
	if (read_file(TRACING "/available_tracers", tracers, sizeof(tracers)) || !strstr(tracers, "preemptoff"))
		return 0;
	write_file(TRACING "/tracing_on", "0");
	if (write_file(TRACING "/current_tracer", "preemptoff"))
		return 0;
	write_file(TRACING "/tracing_max_latency", "0");
	write_file(TRACING "/tracing_on", "1");
	return 1;
}

/* The longest preemption-off stretch (µs) and where it started and ended. */
static long tracer_stop(char *where, size_t size)
{
	char v[64], *trace = malloc(1 << 16), *s, *e;
	long us = -1;

	write_file(TRACING "/tracing_on", "0");
	if (!read_file(TRACING "/tracing_max_latency", v, sizeof(v)))
		us = atol(v);
	*where = 0;
	if (trace && !read_file(TRACING "/trace", trace, 1 << 16)) {
		s = strstr(trace, "=> started at:");
		e = strstr(trace, "=> ended at:");
		if (s && e) {
			s += 15;
			e += 13;
			s[strcspn(s, "\n")] = 0;
			e[strcspn(e, "\n")] = 0;
			snprintf(where, size, "%s .. %s", s, e);
		}
	}
	free(trace);
	write_file(TRACING "/current_tracer", "nop");
	return us;
}

/*
 * The sleeper's wakeups, as trace events (sched_waking of its thread, the
 * sched_switch to it): at its worst wakeup, which task held the CPU until
 * it could run. Events cost little and need no latency tracer; used in the
 * passes that run no function_graph.
 */
static int wakeups_start(pid_t tid)
{
	char f[64];

	if (access(TRACING "/events/sched/sched_waking/filter", W_OK))
		return 0;
	write_file(TRACING "/set_event", "");
	snprintf(f, sizeof(f), "pid == %d", tid);
	if (write_file(TRACING "/events/sched/sched_waking/filter", f))
		return 0;
	snprintf(f, sizeof(f), "next_pid == %d", tid);
	if (write_file(TRACING "/events/sched/sched_switch/filter", f) ||
	    write_file(TRACING "/buffer_size_kb", "8192") || write_file(TRACING "/trace", "") ||
	    write_file(TRACING "/events/sched/sched_waking/enable", "1") ||
	    write_file(TRACING "/events/sched/sched_switch/enable", "1"))
		return 0;
	/* a kworker's work function, where it is the one in the way */
	write_file(TRACING "/events/workqueue/workqueue_execute_start/enable", "1");
	write_file(TRACING "/events/workqueue/workqueue_execute_end/enable", "1");
	write_file(TRACING "/tracing_on", "1");
	return 1;
}

/* The trace buffer as text, at most @cap - 1 bytes, NUL-ended; NULL without memory. */
static char *read_trace(size_t cap)
{
	char *trace = malloc(cap);
	size_t len = 0;
	int fd = open(TRACING "/trace", O_RDONLY | O_CLOEXEC);

	while (trace && fd >= 0 && len + 1 < cap) {
		ssize_t n = read(fd, trace + len, cap - 1 - len);

		if (n <= 0)
			break;
		len += n;
	}
	if (fd >= 0)
		close(fd);
	if (trace)
		trace[len] = 0;
	return trace;
}

/* A trace line's timestamp, in seconds: the number before ": <event>:". */
static double trace_stamp(const char *line, const char *event)
{
	const char *e = strstr(line, event), *p;

	if (!e)
		return -1;
	for (p = e; p > line && p[-1] != ' '; p--)
		;
	return atof(p);
}

/* The worst wakeup (us) and what held the CPU through it, into @who. */
static double wakeups_stop(char *who, size_t size)
{
	size_t cap = 8 << 20;
	char *trace, *line, *save;
	double woke = -1, worst = -1;
	char work[64] = "";

	write_file(TRACING "/tracing_on", "0");
	write_file(TRACING "/events/sched/sched_waking/enable", "0");
	write_file(TRACING "/events/sched/sched_switch/enable", "0");
	write_file(TRACING "/events/sched/sched_waking/filter", "0");
	write_file(TRACING "/events/sched/sched_switch/filter", "0");
	write_file(TRACING "/events/workqueue/workqueue_execute_start/enable", "0");
	write_file(TRACING "/events/workqueue/workqueue_execute_end/enable", "0");
	snprintf(who, size, "not traced");
	trace = read_trace(cap);
	for (line = trace ? strtok_r(trace, "\n", &save) : NULL; line; line = strtok_r(NULL, "\n", &save)) {
		const char *prev = strstr(line, "prev_comm="), *fn = strstr(line, "function ");
		double t;

		if (strstr(line, ": workqueue_execute_start:") && fn)
			snprintf(work, sizeof(work), "%.*s", (int)strcspn(fn + 9, " "), fn + 9);
		else if (strstr(line, ": workqueue_execute_end:"))
			work[0] = 0;
		if ((t = trace_stamp(line, ": sched_waking:")) >= 0) {
			woke = t;
			continue;
		}
		t = trace_stamp(line, ": sched_switch:");
		if (t < 0 || woke < 0 || !prev)
			continue;
		if ((t - woke) * 1e6 > worst) {
			worst = (t - woke) * 1e6;
			snprintf(who, size, "%.*s", (int)strcspn(prev + 10, " "), prev + 10);
			prev = strstr(line, "prev_pid=");
			if (prev)
				snprintf(who + strlen(who), size - strlen(who), " (pid %.*s)", (int)strcspn(prev + 9, " "), prev + 9);
			if (work[0] && !strncmp(who, "kworker", 7))
				snprintf(who + strlen(who), size - strlen(who), " running %s", work);
		}
		woke = -1;
	}
	free(trace);
	return worst;
}

/*
 * Hone's own stretches: function_graph over the three event sources'
 * functions (process_notify, socket_notify, packet_notify: tracepoint,
 * kprobe, fprobe and netfilter hooks, all entered with preemption off),
 * outermost calls only, and only those longer than 100 us recorded. A
 * hook's duration covers everything it calls (the notifier chain, the
 * scans, the rings), and also interrupts and, under TCG, stalls of the
 * vCPU itself: reported per hook, not judged. Used where the kernel has no
 * preemptoff tracer (one tracer at a time).
 */
static const char *const hook_modules[] = { "process_notify", "socket_notify", "packet_notify" };

static int append_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return errno;
	n = write(fd, text, strlen(text));
	close(fd);
	return n < 0 ? errno : 0;
}

static void graph_reset(void)
{
	write_file(TRACING "/tracing_on", "0");
	write_file(TRACING "/current_tracer", "nop");
	write_file(TRACING "/tracing_thresh", "0");
	write_file(TRACING "/max_graph_depth", "0");
	write_file(TRACING "/set_ftrace_filter", "");
	write_file(TRACING "/set_graph_function", "");
}

static int graph_start(void)
{
	const char *diag = getenv("HONE_STRESS_GRAPH");
	char tracers[4096], pat[64];

	if (access(TRACING "/available_tracers", R_OK))
		mount("nodev", TRACING, "tracefs", 0, NULL);
	if (read_file(TRACING "/available_tracers", tracers, sizeof(tracers)) || !strstr(tracers, "function_graph"))
		return 0;
	graph_reset();
	if (diag) {
		/* HONE_STRESS_GRAPH=fn: that function's whole call graph, kept in /tmp/hone-graph.txt */
		if (write_file(TRACING "/set_graph_function", diag) || write_file(TRACING "/max_graph_depth", "0"))
			return 0;
	}
	for (size_t i = 0; !diag && i < sizeof(hook_modules) / sizeof(hook_modules[0]); i++) {
		snprintf(pat, sizeof(pat), "*:mod:%s", hook_modules[i]);
		if (append_file(TRACING "/set_ftrace_filter", pat))
			return 0;
	}
	/* the fork's scan chunks, run by task work: no resched point inside one */
	if (!diag && append_file(TRACING "/set_ftrace_filter", "hone_holders_scan_range"))
		return 0;
	/* HONE_STRESS_GRAPH_MORE="pattern ...": more functions, for a diagnosis */
	if (getenv("HONE_STRESS_GRAPH_MORE") && append_file(TRACING "/set_ftrace_filter", getenv("HONE_STRESS_GRAPH_MORE")))
		return 0;
	if ((!diag && write_file(TRACING "/max_graph_depth", "1")) || write_file(TRACING "/tracing_thresh", "100") ||
	    write_file(TRACING "/buffer_size_kb", "8192") || write_file(TRACING "/trace", "") ||
	    write_file(TRACING "/current_tracer", "function_graph")) {
		graph_reset();
		return 0;
	}
	write_file(TRACING "/tracing_on", "1");
	return 1;
}

/*
 * May a running task be preempted in the kernel, RCU read sections
 * included? A PREEMPT_DYNAMIC kernel says its mode in debugfs
 * ("none voluntary (full) lazy"); else uname -v names PREEMPT or
 * PREEMPT_RT for those builds (Debian's 5.10 is voluntary and says
 * neither).
 */
static int kernel_preemptible(char *mode, size_t size)
{
	char buf[256], *open_, *close_;
	struct utsname u;

	if (access("/sys/kernel/debug/sched", R_OK))
		mount("none", "/sys/kernel/debug", "debugfs", 0, NULL);
	if (!read_file("/sys/kernel/debug/sched/preempt", buf, sizeof(buf)) &&
	    (open_ = strchr(buf, '(')) && (close_ = strchr(open_, ')'))) {
		snprintf(mode, size, "%.*s", (int)(close_ - open_ - 1), open_ + 1);
		return strcmp(mode, "none") && strcmp(mode, "voluntary");
	}
	if (uname(&u))
		return 0;
	if (strstr(u.version, "PREEMPT_RT") || strstr(u.version, "PREEMPT ")) {
		snprintf(mode, size, "%s", strstr(u.version, "PREEMPT_RT") ? "rt" : "full");
		return 1;
	}
	snprintf(mode, size, "none or voluntary");
	return 0;
}

/* Per function: calls over 100 us, over 1 ms, the longest. */
static struct {
	char name[64];
	int calls, over;
	double max;
} tally[32];
static int ntally;

static void graph_tally(const char *name, size_t len, double us)
{
	int i;

	for (i = 0; i < ntally; i++)
		if (strlen(tally[i].name) == len && !strncmp(tally[i].name, name, len))
			break;
	if (i == ntally) {
		if (ntally == 32)
			return;
		snprintf(tally[ntally++].name, sizeof(tally[0].name), "%.*s", (int)len, name);
	}
	tally[i].calls++;
	tally[i].over += us >= 1000;
	if (us > tally[i].max)
		tally[i].max = us;
}

/*
 * The fork's scan chunks run by a task work, in process context: each is
 * one RCU read section, which a preemptible kernel (PREEMPT_RCU) may
 * preempt, so there a chunk's duration is not time with preemption off
 * (it includes whoever preempted it). Judged only where it cannot be
 * preempted.
 */
static int graph_judged(const char *name, size_t len, int preemptible)
{
	static const char chunk[] = "hone_holders_scan_range";

	return !(preemptible && len == sizeof(chunk) - 1 && !strncmp(name, chunk, len));
}

/*
 * The longest judged call (us) and its function; @over: judged calls over
 * 1 ms. Every function's figures are noted.
 */
static double graph_stop(char *fn, size_t size, int *calls, int *over, int preemptible)
{
	size_t cap = 16 << 20;
	char *trace, *line, *save;
	double worst = 0;

	write_file(TRACING "/tracing_on", "0");
	*fn = 0;
	*calls = *over = 0;
	trace = read_trace(cap);
	if (trace && getenv("HONE_STRESS_GRAPH")) {
		FILE *f = fopen("/tmp/hone-graph.txt", "w");

		if (f) {
			fputs(trace, f);
			fclose(f);
		}
	}
	for (line = trace ? strtok_r(trace, "\n", &save) : NULL; line; line = strtok_r(NULL, "\n", &save)) {
		char *bar = strchr(line, '|'), *us = strstr(line, " us "), *p, *name;
		double d;

		if (line[0] == '#' || !bar || !us || us > bar)
			continue;
		for (p = us; p > line && (p[-1] == '.' || (p[-1] >= '0' && p[-1] <= '9')); p--)
			;
		d = atof(p);
		name = strstr(bar, "/* ") ? strstr(bar, "/* ") + 3 : bar + 1;
		while (*name == ' ' || *name == '}')
			name++;
		graph_tally(name, strcspn(name, " *();"), d);
		if (!graph_judged(name, strcspn(name, " *();"), preemptible))
			continue;
		(*calls)++;
		*over += d >= 1000;
		if (d <= worst)
			continue;
		worst = d;
		snprintf(fn, size, "%.*s", (int)strcspn(name, "*();"), name);
	}
	free(trace);
	for (int i = 0; i < ntally; i++)
		note("%s %s: %d call(s) over 100 us, %d over 1 ms, longest %.0f us",
		     graph_judged(tally[i].name, strlen(tally[i].name), preemptible) ? "hook" : "preemptible (not judged)",
		     tally[i].name, tally[i].calls, tally[i].over, tally[i].max);
	graph_reset();
	return worst;
}

struct sock_times {
	int created, err;
	double create, fork, child_exit, parent_exit;
};

static void run_sockets(int n, struct sock_times *st)
{
	int p[2];
	pid_t holder;
	double t;

	memset(st, 0, sizeof(*st));
	if (pipe(p))
		broken("pipe");
	holder = fork();
	if (holder < 0)
		broken("fork");
	if (!holder) {
		struct rlimit rl = { n + 64, n + 64 };
		struct sock_times m = { 0 };
		pid_t child;

		close(p[0]);
		if (setrlimit(RLIMIT_NOFILE, &rl))
			m.err = errno;
		t = now();
		for (; !m.err && m.created < n; m.created++)
			if (socket(AF_INET, SOCK_DGRAM, 0) < 0)
				m.err = errno;
		m.create = now() - t;
		t = now();
		child = fork();
		if (!child)
			_exit(0);
		m.fork = now() - t;
		t = now();
		waitpid(child, NULL, 0);
		m.child_exit = now() - t;
		(void)!write(p[1], &m, sizeof(m));
		_exit(0);	/* closes the N sockets */
	}
	close(p[1]);
	if (read(p[0], st, sizeof(*st)) != sizeof(*st))
		st->err = EPIPE;
	t = now();
	waitpid(holder, NULL, 0);
	st->parent_exit = now() - t;
	close(p[0]);
}

struct drainer {
	int fd;
	volatile int stop;
	long long bytes;
	pthread_t th;
};

static void *drainer_main(void *arg)
{
	struct drainer *d = arg;
	size_t size = 1 << 20;
	uint8_t *buf = malloc(size);

	while (buf && !d->stop) {
		struct pollfd p = { .fd = d->fd, .events = POLLIN };
		ssize_t n;

		poll(&p, 1, 100);
		while ((n = read(d->fd, buf, size)) > 0)
			d->bytes += n;
	}
	free(buf);
	return NULL;
}

/* One run of the sockets workload, with or without Hone, under one tracer. */
enum sock_tracer { SOCK_NO_TRACER, SOCK_PREEMPTOFF, SOCK_GRAPH };

struct sock_pass {
	struct sock_times t;
	int traced;		/* the tracer asked for was armed */
	long lat;		/* preemptoff: longest stretch, us */
	char where[512];
	double hook_us;		/* graph: Hone's longest hook call, us */
	char hook_fn[128];
	int hook_calls, hook_over;
	double late;		/* the SCHED_FIFO sleeper's worst lateness, s */
	double wake_us;		/* its worst wakeup as traced, us (-1: not traced) */
	char wake_who[160];	/* the task that held the CPU through it */
	unsigned long long sock_events, ring_dropped, not_made;
};

static void sockets_pass(int n, int hone, enum sock_tracer tracer, int preemptible, struct sock_pass *r)
{
	struct drainer dr = { 0 };
	struct hone_stats st;
	pthread_t obs;

	memset(r, 0, sizeof(*r));
	r->lat = -1;
	if (!hone && unload_all())
		broken("unloading for the baseline");
	if (hone) {
		need_loaded();
		dr.fd = open_reader(DEV_PCAP);
		ioctl(dr.fd, HEIO_SET_RING_ORDER, 10);
		pthread_create(&dr.th, NULL, drainer_main, &dr);
		msleep(300);
	}
	obs_stop = 0;
	obs_tid = 0;
	obs_max_late = 0;
	pthread_create(&obs, NULL, observer_main, NULL);
	while (!obs_tid)
		msleep(1);
	r->wake_us = -1;
	if (tracer == SOCK_PREEMPTOFF)
		r->traced = tracer_start();
	else if (tracer == SOCK_GRAPH)
		r->traced = graph_start();
	/* with no tracer's own output in the buffer */
	if (r->traced || !wakeups_start(obs_tid))
		snprintf(r->wake_who, sizeof(r->wake_who), "not traced");
	run_sockets(n, &r->t);
	if (r->traced && tracer == SOCK_PREEMPTOFF)
		r->lat = tracer_stop(r->where, sizeof(r->where));
	if (r->traced && tracer == SOCK_GRAPH)
		r->hook_us = graph_stop(r->hook_fn, sizeof(r->hook_fn), &r->hook_calls, &r->hook_over, preemptible);
	obs_stop = 1;
	pthread_join(obs, NULL);
	r->late = obs_max_late;
	if (!r->wake_who[0])
		r->wake_us = wakeups_stop(r->wake_who, sizeof(r->wake_who));
	if (!hone)
		return;
	msleep(500);
	dr.stop = 1;
	pthread_join(dr.th, NULL);
	get_stats(dr.fd, &st);
	close(dr.fd);
	/* events that reached the reader, and those no event could be made for (PREEMPT_RT's record pool) */
	r->ring_dropped = st.socket_ring_dropped;
	r->not_made = st.socket_dropped;
	r->sock_events = st.socket_delivered + st.socket_ring_dropped + st.socket_dropped;
}

static int sockets_pass_ok(const struct sock_pass *r, int n, int hone)
{
	const struct sock_times *t = &r->t;

	return !t->err && t->created == n && (!hone || r->sock_events >= (unsigned long long)n);
}

/*
 * The judgement, for a guest booted with -icount shift=0 (hone stress runs
 * this fault so): guest time is the instruction count, one per ns, so 1 ms
 * is a million instructions whatever the host's load. Hone's own stretches
 * with preemption off are its hook calls (function_graph over its hook
 * modules, each call's duration including everything it calls and the
 * tracer's own cost): the longest must be under 1 ms. Where the kernel has
 * the preemptoff tracer, its longest stretch with Hone must not exceed the
 * kernel's own without Hone by 1 ms or more: what Hone adds to a stretch
 * the kernel already holds. On a preemptible kernel the fork's scan chunks
 * (task work, RCU read sections that kernel preempts) are not judged by
 * their duration; there the SCHED_FIFO sleeper is: with Hone (untraced,
 * or preemptoff) it must wake no more than 1 ms later than without.
 *
 * On a debug kernel (HONE_DEBUG_KERNEL set by hone stress: KASAN, lockdep)
 * the times are reported, not judged: its checks make every path tens of
 * times slower (creating a socket with Hone loaded: about 500 us of guest
 * time on debian-6.12-debug, 12 us on Debian's 6.12 of the same source),
 * Hone's hooks with them; the preemptoff tracer cannot see a hook's stretch
 * (ftrace, kprobe and tracepoint handlers disable preemption with the
 * notrace calls). There the fault judges what the checks are for: every
 * socket made and reported, no splat (the harness reads the kernel log).
 */
static int fault_sockets(int n)
{
	struct sock_pass base, graph, lat;
	char kernel_lat[1400] = "no preemptoff tracer in this kernel";
	char mode[64] = "";
	int ok, timed, preemptible = kernel_preemptible(mode, sizeof(mode));
	int debug = getenv("HONE_DEBUG_KERNEL") != NULL;

	sockets_pass(n, 0, SOCK_PREEMPTOFF, preemptible, &base);
	sockets_pass(n, 1, SOCK_GRAPH, preemptible, &graph);
	/* untraced where there is no preemptoff: function_graph's own cost would be the sleeper's */
	sockets_pass(n, 1, base.traced ? SOCK_PREEMPTOFF : SOCK_NO_TRACER, preemptible, &lat);
	timed = graph.traced && graph.hook_us < 1000 && (!base.traced || lat.lat < base.lat + 1000) &&
		(!preemptible || lat.late < base.late + 0.001);
	ok = sockets_pass_ok(&base, n, 0) && sockets_pass_ok(&graph, n, 1) && sockets_pass_ok(&lat, n, 1) &&
	     graph.t.create + graph.t.fork + graph.t.child_exit + graph.t.parent_exit < 300 && (debug || timed);
	if (!ok)
		note("errors %s / %s, created %d / %d, socket events %llu, function_graph %s, hook %.0f us, latency %ld / %ld us",
		     base.t.err ? strerror(base.t.err) : "none", graph.t.err ? strerror(graph.t.err) : "none", base.t.created,
		     graph.t.created, graph.sock_events, graph.traced ? "armed" : "missing", graph.hook_us, base.lat, lat.lat);
	if (base.traced)
		snprintf(kernel_lat, sizeof(kernel_lat),
			 "longest preemption off (preemptoff tracer) without Hone %ld us (%s), with Hone %ld us (%s), judged: with < without + 1000 us",
			 base.lat, base.where, lat.lat, lat.where);
	return verdict(ok, "%d UDP sockets, fork, child exit, parent exit: without Hone %.2f/%.3f/%.3f/%.2f s, with Hone %.2f/%.3f/%.3f/%.2f s; "
		       "Hone's reader got %llu socket events (%llu ring-dropped, %llu not made); "
		       "Hone's longest hook call (function_graph, preemption off, guest time = instructions at 1 per ns, judged < 1000 us) %.0f us in %s, "
		       "%d call(s) over 100 us, %d over 1 ms; %s; preemption: %s (%s); a 1 ms SCHED_FIFO sleeper woke at worst %.1f ms late without Hone, %.1f ms with Hone (the same tracer, or none, in both passes%s); "
		       "its longest wakeup (sched_waking to sched_switch) %.0f us behind %s without Hone, %.0f us behind %s with Hone%s",
		       n, base.t.create, base.t.fork, base.t.child_exit, base.t.parent_exit,
		       graph.t.create, graph.t.fork, graph.t.child_exit, graph.t.parent_exit,
		       graph.sock_events, graph.ring_dropped, graph.not_made,
		       graph.hook_us, graph.hook_fn[0] ? graph.hook_fn : "none over 100 us", graph.hook_calls, graph.hook_over,
		       kernel_lat, mode,
		       preemptible ? "the fork's task-work scan chunks are preemptible: not judged by duration" : "every recorded call judged",
		       base.late * 1e3, lat.late * 1e3, preemptible ? "; judged: with < without + 1 ms" : "",
		       base.wake_us, base.wake_who, lat.wake_us, lat.wake_who,
		       !debug ? "" : timed ? "; a debug kernel: times reported, not judged (they would have passed)"
					   : "; a debug kernel: times reported, not judged (they would have failed: its checks slow every path)");
}

/* === 9. blocked: N threads blocked in recv() on TCP at once, then data for all === */

struct blocked_thread {
	int fd;
	pid_t tid;
	ssize_t got;
	uint64_t cookie;
	int reported;
	pthread_t th;
};

static void *blocked_main(void *arg)
{
	struct blocked_thread *b = arg;
	char buf[256];

	b->tid = gettid();
	b->got = recv(b->fd, buf, sizeof(buf), 0);
	return NULL;
}

/* Threads of this process sleeping in recvfrom (recv() is recvfrom). */
static int threads_in_recv(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	int n = 0;

	while (d && (e = readdir(d))) {
		pid_t tid = atoi(e->d_name);
		char path[96], text[256];

		if (tid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%d/syscall", tid);
		if (!read_file(path, text, sizeof(text)) && strtol(text, NULL, 10) == SYS_recvfrom)
			n++;
	}
	if (d)
		closedir(d);
	return n;
}

static struct blocked_thread *bt_all;
static int bt_n;
static long read_lines, read_matched, read_wrong;

/* READ SOCKID PID tid=T start=NS len=N seq=A-B */
static void blocked_line(struct tv *tv, char *line)
{
	char sock[32];
	int pid, tid, len;
	const char *p = strstr(line, " READ ");

	(void)tv;
	if (!p)
		return;
	read_lines++;
	if (sscanf(p, " READ %31s %d tid=%d", sock, &pid, &tid) != 3)
		return;
	p = strstr(p, " len=");
	len = p ? atoi(p + 5) : -1;
	uint64_t cookie = strtoull(sock, NULL, 16);

	for (int i = 0; i < bt_n; i++) {
		if (bt_all[i].cookie != cookie)
			continue;
		if (pid == getpid() && tid == bt_all[i].tid && len == bt_all[i].got) {
			bt_all[i].reported++;
			read_matched++;
		} else {
			read_wrong++;
			note("READ line for thread %d's socket: %s", bt_all[i].tid, line);
		}
	}
}

static int fault_blocked(int n)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	struct hone_stats st0, st1;
	int l, *clients, in_recv = 0, reported = 0, twice = 0, finished, ok;
	static char buf[1 << 16];
	struct tv tv;
	pthread_attr_t attr;
	double t;

	need_loaded();
	bt_n = n;
	bt_all = calloc(n, sizeof(*bt_all));
	clients = calloc(n, sizeof(*clients));
	if (!bt_all || !clients)
		broken("calloc");
	{
		struct rlimit rl = { 2 * n + 64, 2 * n + 64 };

		setrlimit(RLIMIT_NOFILE, &rl);
	}
	int fd = open_reader(DEV_TEXT);

	tv_init(&tv);
	tv.on_line = blocked_line;
	text_drain(fd, &tv, buf, sizeof(buf), 100);	/* attach */
	get_stats(fd, &st0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	l = socket(AF_INET, SOCK_STREAM, 0);
	if (l < 0 || bind(l, (void *)&a, sizeof(a)) || listen(l, n + 16) || getsockname(l, (void *)&a, &len))
		broken("listen");
	for (int i = 0; i < n; i++) {
		socklen_t cl = sizeof(uint64_t);

		clients[i] = socket(AF_INET, SOCK_STREAM, 0);
		if (clients[i] < 0 || connect(clients[i], (void *)&a, sizeof(a)))
			broken("connect %d", i);
		bt_all[i].fd = accept(l, NULL, NULL);
		if (bt_all[i].fd < 0 || getsockopt(bt_all[i].fd, SOL_SOCKET, SO_COOKIE, &bt_all[i].cookie, &cl))
			broken("accept %d", i);
		if (i % 50 == 0)
			text_drain(fd, &tv, buf, sizeof(buf), 0);
	}
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 << 10);
	for (int i = 0; i < n; i++)
		if (pthread_create(&bt_all[i].th, &attr, blocked_main, &bt_all[i]))
			broken("thread %d", i);
	t = now() + 60;
	while (now() < t && (in_recv = threads_in_recv()) < n) {
		text_drain(fd, &tv, buf, sizeof(buf), 0);
		msleep(100);
	}
	msleep(300);
	in_recv = threads_in_recv();
	for (int i = 0; i < n; i++)
		if (send(clients[i], buf, 100, 0) != 100)
			broken("send %d", i);
	for (int i = 0; i < n; i++)
		pthread_join(bt_all[i].th, NULL);
	msleep(300);
	finished = text_finish(fd, &tv, buf, sizeof(buf));
	get_stats(fd, &st1);
	for (int i = 0; i < n; i++) {
		reported += bt_all[i].reported > 0;
		twice += bt_all[i].reported > 1;
		if (!bt_all[i].reported)
			note("thread %d (socket %016llx, got %zd) has no READ line", bt_all[i].tid,
			     (unsigned long long)bt_all[i].cookie, bt_all[i].got);
	}
	ok = in_recv >= n && reported == n && !twice && !read_wrong && finished && !tv.err[0] &&
	     st1.probes_missed == st0.probes_missed;
	close(fd);
	return verdict(ok, "%d threads blocked in recv at once (%d seen in recvfrom), 100 bytes each: %d of %d reads reported "
		       "by a READ line naming the thread and 100 bytes (%d twice, %ld wrong), %ld READ lines in all; probes_missed %llu -> %llu "
		       "(a kretprobe instance short: TAIL missed=); text stream %s",
		       n, in_recv, reported, n, twice, read_wrong, read_lines,
		       (unsigned long long)st0.probes_missed, (unsigned long long)st1.probes_missed,
		       tv.err[0] ? tv.err : finished ? "valid to its TAIL" : "did not reach its end");
}

/* === 10. wrap4g: one TCP connection past 4 GiB; sender attribution after it === */

struct wrap {
	uint16_t port;		/* the writer's local port */
	pid_t writer;
	int have_base;
	uint32_t base_seq, last_seq;
	uint64_t offset;	/* unwrapped offset of the last data segment seen */
	long data, after2g, after4g, right, right2g, right4g, wrong;
	char first_wrong[256], last_after4g[256];
};

struct epb_opts {
	uint32_t flags, pid, how;
	int has_pid;
};

static void epb_opt(void *ctx, uint16_t code, const uint8_t *v, uint16_t l)
{
	struct epb_opts *o = ctx;

	if (code == 2 && l >= 4)
		o->flags = u32at(v);
	else if (code == 258 && l >= 4)
		o->pid = u32at(v), o->has_pid = 1;
	else if (code == 259 && l >= 4)
		o->how = u32at(v);
}

static void wrap_block(struct pv *pv, const uint8_t *b, uint32_t len)
{
	struct wrap *w = pv->ctx;
	struct epb_opts o = { 0 };
	uint32_t cap, seq;
	const uint8_t *ip, *tcp;
	unsigned int ihl, doff, total;

	if (u32at(b) != BT_EPB)
		return;
	cap = u32at(b + 20);
	ip = b + 28;
	if (cap < 40 || (ip[0] >> 4) != 4 || ip[9] != IPPROTO_TCP)
		return;
	ihl = (ip[0] & 15) * 4;
	if (cap < ihl + 20)
		return;
	tcp = ip + ihl;
	if (ntohs(u16at(tcp)) != w->port)
		return;
	doff = (tcp[12] >> 4) * 4;
	total = ntohs(u16at(ip + 2));
	if (total <= ihl + doff)
		return;		/* no payload */
	options(b, len, 28 + ((cap + 3) & ~3u), epb_opt, &o);
	if ((o.flags & 3) != 2)
		return;		/* the inbound copy on loopback */
	seq = ntohl(u32at(tcp + 4));
	if (!w->have_base) {
		w->have_base = 1;
		w->base_seq = w->last_seq = seq;
		w->offset = 0;
	}
	w->offset += (int32_t)(seq - w->last_seq);
	w->last_seq = seq;
	w->data++;
	int right = o.has_pid && o.pid == (uint32_t)w->writer && o.how == 2;

	w->right += right;
	if (w->offset >= (2ull << 30)) {
		w->after2g++;
		w->right2g += right;
	}
	if (w->offset >= (4ull << 30)) {
		w->after4g++;
		w->right4g += right;
		snprintf(w->last_after4g, sizeof(w->last_after4g), "offset %llu: pid %u by %u",
			 (unsigned long long)w->offset, o.has_pid ? o.pid : 0, o.how);
	}
	if (!right) {
		w->wrong++;
		if (!w->first_wrong[0])
			snprintf(w->first_wrong, sizeof(w->first_wrong), "offset %llu (seq %u): pid %u attribution %u",
				 (unsigned long long)w->offset, seq, o.has_pid ? o.pid : 0, o.how);
	}
}

static int fault_wrap4g(long long mib)
{
	struct wrap w = { 0 };
	struct survivor s = { 0 };
	struct hone_stats st;
	long long total = mib << 20, got = 0;
	int server, port, c, ok;
	static char buf[1 << 18];
	double t;

	need_loaded();
	s.fd = open_reader(DEV_PCAP);
	if (ioctl(s.fd, HEIO_SET_SNAPLEN, 64) || ioctl(s.fd, HEIO_SET_RING_ORDER, 11))
		broken("snaplen 64, ring order 11");
	pv_init(&s.pv, 1 << 20);
	s.pv.on_block = wrap_block;
	s.pv.ctx = &w;
	pthread_create(&s.th, NULL, survivor_main, &s);
	msleep(300);
	c = tcp_pair(&server, &port);
	w.port = port;
	t = now();
	w.writer = fork();
	if (!w.writer) {
		close(server);
		for (long long left = total; left > 0;) {
			ssize_t n = write(c, buf, left < (long long)sizeof(buf) ? left : (long long)sizeof(buf));

			if (n <= 0)
				_exit(3);
			left -= n;
		}
		_exit(0);
	}
	close(c);
	while (got < total) {
		ssize_t n = read(server, buf, sizeof(buf));

		if (n <= 0)
			break;
		got += n;
	}
	t = now() - t;
	waitpid(w.writer, NULL, 0);
	close(server);
	msleep(500);
	s.stop = 1;
	pthread_join(s.th, NULL);
	get_stats(s.fd, &st);
	close(s.fd);
	ok = got == total && !s.pv.err[0] && s.finished && w.after4g > 0 && w.right4g == w.after4g && !w.wrong;
	if (!ok)
		note("got %lld of %lld, stream %s, first wrong: %s", got, total, s.pv.err[0] ? s.pv.err : "valid", w.first_wrong);
	pv_free(&s.pv);
	return verdict(ok, "%lld MiB over one loopback TCP connection in %.0f s (%.0f MiB/s; the sequence wrapped at offset %llu): "
		       "%ld data segments seen, %ld named the writer (pid %d, sender); past 2 GiB %ld of %ld; past 4 GiB %ld of %ld "
		       "(last: %s); %ld wrong%s%s; packet ring drops %llu",
		       mib, t, mib / t, (unsigned long long)(0x100000000ull - w.base_seq), w.data, w.right, (int)w.writer,
		       w.right2g, w.after2g, w.right4g, w.after4g, w.last_after4g, w.wrong,
		       w.first_wrong[0] ? ", first: " : "", w.first_wrong, (unsigned long long)st.packets_ring_dropped);
}

/* === 11. threads-exit: many threads calling exit_group at once: one EXIT === */

static pthread_barrier_t exit_barrier;

static void *exiter_main(void *arg)
{
	(void)arg;
	pthread_barrier_wait(&exit_barrier);
	syscall(SYS_exit_group, 0);
	return NULL;
}

#define EXIT_ROUNDS 20
static pid_t exit_children[EXIT_ROUNDS];
static int exit_counts[EXIT_ROUNDS];

static void exit_line(struct tv *tv, char *line)
{
	int pid;
	const char *p = strstr(line, " EXIT ");

	(void)tv;
	if (!p || sscanf(p, " EXIT %d", &pid) != 1)
		return;
	for (int i = 0; i < EXIT_ROUNDS; i++)
		if (exit_children[i] == pid)
			exit_counts[i]++;
}

static int fault_threads_exit(int nthreads)
{
	static char buf[1 << 16];
	struct tv tv;
	int fd, finished, one = 0, none = 0, more = 0, worst = 0, ok;

	need_loaded();
	fd = open_reader(DEV_TEXT);
	tv_init(&tv);
	tv.on_line = exit_line;
	text_drain(fd, &tv, buf, sizeof(buf), 100);
	for (int r = 0; r < EXIT_ROUNDS; r++) {
		pid_t pid = fork();

		if (pid < 0)
			broken("fork");
		if (!pid) {
			pthread_t th;
			pthread_attr_t attr;

			pthread_attr_init(&attr);
			pthread_attr_setstacksize(&attr, 64 << 10);
			pthread_barrier_init(&exit_barrier, NULL, nthreads);
			for (int i = 1; i < nthreads; i++)
				if (pthread_create(&th, &attr, exiter_main, NULL))
					_exit(3);
			exiter_main(NULL);
			_exit(4);
		}
		exit_children[r] = pid;
		waitpid(pid, NULL, 0);
		text_drain(fd, &tv, buf, sizeof(buf), 0);
	}
	msleep(300);
	finished = text_finish(fd, &tv, buf, sizeof(buf));
	close(fd);
	for (int r = 0; r < EXIT_ROUNDS; r++) {
		one += exit_counts[r] == 1;
		none += exit_counts[r] == 0;
		more += exit_counts[r] > 1;
		if (exit_counts[r] > worst)
			worst = exit_counts[r];
		if (exit_counts[r] != 1)
			note("process %d (%d threads): %d EXIT lines", exit_children[r], nthreads, exit_counts[r]);
	}
	ok = one == EXIT_ROUNDS && finished && !tv.err[0];
	return verdict(ok, "%d processes of %d threads, every thread calling exit_group at once: %d with exactly one EXIT, %d with none, %d with more (at most %d); text stream %s",
		       EXIT_ROUNDS, nthreads, one, none, more, worst,
		       tv.err[0] ? tv.err : finished ? "valid to its TAIL" : "did not reach its end");
}

/* === 12. access: caps, the node's group, the network namespace, the open mode === */

#define HONE_GID 100	/* group "hone" of the guest's /etc/group */
#define USER_ID 1000

struct who {
	const char *what;
	uid_t uid;
	gid_t gid;
	gid_t groups[2];
	int ngroups;
	int net_admin;	/* keep CAP_NET_ADMIN across setuid */
	int newnet;	/* open from a new network namespace */
	int flags;	/* open flags */
};

/* Opens @dev as @w in a child; 0 if it opened and read a head, else the errno. */
static int open_as(const struct who *w, const char *dev)
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		broken("fork");
	if (!pid) {
		static char buf[1 << 16];
		int fd;

		if (w->newnet && unshare(CLONE_NEWNET))
			_exit(200);
		if (w->uid) {
			if (setgroups(w->ngroups, w->groups) || setgid(w->gid))
				_exit(201);
			if (w->net_admin && prctl(PR_SET_KEEPCAPS, 1))
				_exit(202);
			if (setuid(w->uid))
				_exit(203);
			if (w->net_admin) {
				struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
				struct __user_cap_data_struct d[2] = { { 0 } };

				d[0].effective = d[0].permitted = 1u << CAP_NET_ADMIN;
				if (syscall(SYS_capset, &h, d))
					_exit(204);
			}
		}
		fd = open(dev, w->flags | O_NONBLOCK);
		if (fd < 0)
			_exit(errno);
		if (w->flags == O_RDONLY && read(fd, buf, sizeof(buf)) <= 0)
			_exit(205);
		_exit(0);
	}
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 255;
}

struct node_mode {
	gid_t gid;
	mode_t mode;
};

static void set_nodes(const struct node_mode *m)
{
	if (chown(DEV_PCAP, 0, m->gid) || chown(DEV_TEXT, 0, m->gid) || chmod(DEV_PCAP, m->mode) || chmod(DEV_TEXT, m->mode))
		broken("chown/chmod the device nodes");
}

static int fault_access(void)
{
	const struct node_mode plain = { 0, 0444 }, hone_group = { HONE_GID, 0440 }, group_no_read = { HONE_GID, 0404 },
			       root_group = { 0, 0440 }, world = { HONE_GID, 0444 };
	const struct {
		const struct node_mode *node;
		struct who who;
		int want, want2;	/* want2: also accepted (the VFS may refuse first) */
	} cases[] = {
		{ &plain, { "root", 0, 0, { 0 }, 0, 0, 0, O_RDONLY }, 0, 0 },
		{ &plain, { "user 1000", USER_ID, USER_ID, { 0 }, 0, 0, 0, O_RDONLY }, EPERM, EPERM },
		{ &plain, { "user 1000 with CAP_NET_ADMIN", USER_ID, USER_ID, { 0 }, 0, 1, 0, O_RDONLY }, 0, 0 },
		{ &plain, { "user 1000 in group hone, node root:root", USER_ID, USER_ID, { HONE_GID }, 1, 0, 0, O_RDONLY }, EPERM, EPERM },
		{ &hone_group, { "user 1000 in group hone, node root:hone 0440", USER_ID, USER_ID, { HONE_GID }, 1, 0, 0, O_RDONLY }, 0, 0 },
		{ &hone_group, { "user 1000 not in hone, node root:hone 0440", USER_ID, USER_ID, { 0 }, 0, 0, 0, O_RDONLY }, EACCES, EPERM },
		{ &world, { "user 1000 not in hone, node root:hone 0444", USER_ID, USER_ID, { 0 }, 0, 0, 0, O_RDONLY }, EPERM, EPERM },
		{ &group_no_read, { "user 1000 in hone, node root:hone 0404 (no g+r)", USER_ID, USER_ID, { HONE_GID }, 1, 0, 0, O_RDONLY }, EPERM, EACCES },
		{ &root_group, { "user 1000 in group root, node root:root 0440", USER_ID, USER_ID, { 0 }, 1, 0, 0, O_RDONLY }, EPERM, EPERM },
		{ &hone_group, { "root in a new network namespace, node root:hone", 0, 0, { 0 }, 0, 0, 1, O_RDONLY }, EPERM, EPERM },
		{ &hone_group, { "user 1000 in hone in a new network namespace", USER_ID, USER_ID, { HONE_GID }, 1, 0, 1, O_RDONLY }, EPERM, EPERM },
		{ &plain, { "root in a new network namespace", 0, 0, { 0 }, 0, 0, 1, O_RDONLY }, EPERM, EPERM },
		{ &plain, { "root, O_RDWR", 0, 0, { 0 }, 0, 0, 0, O_RDWR }, EINVAL, EINVAL },
		{ &plain, { "root, O_WRONLY", 0, 0, { 0 }, 0, 0, 0, O_WRONLY }, EINVAL, EINVAL },
	};
	struct stat orig[2];
	char detail[3072] = "", *d = detail, line_ns[512] = "", line_cap[512] = "";
	int kmsg, ok = 1, n = sizeof(cases) / sizeof(cases[0]), good = 0;

	need_loaded();
	if (stat(DEV_PCAP, &orig[0]) || stat(DEV_TEXT, &orig[1]))
		broken("stat the device nodes");
	kmsg = kmsg_open();
	for (int i = 0; i < n; i++) {
		int got[2], right = 1;

		set_nodes(cases[i].node);
		for (int k = 0; k < 2; k++) {
			got[k] = open_as(&cases[i].who, k ? DEV_TEXT : DEV_PCAP);
			right &= got[k] == cases[i].want || got[k] == cases[i].want2;
		}
		if (!right)
			note("%s: %s %s, %s %s; want %s", cases[i].who.what, DEV_PCAP, errname(got[0]), DEV_TEXT, errname(got[1]),
			     errname(cases[i].want));
		good += right;
		ok &= right;
		d += snprintf(d, detail + sizeof(detail) - d, " %s: %s%s;", cases[i].who.what, got[0] > 200 ? "setup failed " : "",
			      got[0] == got[1] ? errname(got[0]) : "differs between the devices");
	}
	/* one pass over the log: the refusals are rate-limited (10 in 5 s), the first ones are there */
	{
		char *all = calloc(1, 1 << 18), *p, *e;
		size_t used = 0;

		if (!all)
			broken("calloc");
		for (char rec[2048];;) {
			ssize_t n = read(kmsg, rec, sizeof(rec) - 1);

			if (n < 0 && errno == EPIPE)
				continue;
			if (n <= 0 || used + n + 1 >= 1 << 18)
				break;
			rec[n] = 0;
			p = strchr(rec, ';');
			p = p ? p + 1 : rec;
			used += snprintf(all + used, (1 << 18) - used, "%s", p);
		}
		if ((p = strstr(all, "hone: open by")) && (p = strstr(all, "refused: not in the initial network namespace"))) {
			while (p > all && p[-1] != '\n')
				p--;
			e = p + strcspn(p, "\n");
			*e = 0;
			copy_str(line_ns, sizeof(line_ns), p);
			*e = '\n';
		}
		if ((p = strstr(all, "refused: needs CAP_NET_ADMIN"))) {
			while (p > all && p[-1] != '\n')
				p--;
			e = p + strcspn(p, "\n");
			*e = 0;
			copy_str(line_cap, sizeof(line_cap), p);
		}
		free(all);
	}
	close(kmsg);
	set_nodes(&plain);
	/* as they were */
	for (int k = 0; k < 2; k++) {
		const char *dev = k ? DEV_TEXT : DEV_PCAP;

		if (chown(dev, orig[k].st_uid, orig[k].st_gid) || chmod(dev, orig[k].st_mode & 07777))
			ok = 0;
	}
	if (!line_ns[0] || !line_cap[0]) {
		ok = 0;
		note("log lines for refusals: netns \"%s\", capability \"%s\"", line_ns, line_cap);
	}
	return verdict(ok, "%d of %d cases as specified:%s log: \"%s\", \"%s\"", good, n, detail, line_ns, line_cap);
}

/* === 13. names: an exe path and argv made to break a text line === */

/*
 * A quote would end the quoted path early and let the rest pass for fields,
 * a newline would start a forged event line: /dev/honet must turn each
 * quote or backslash of the path, and each control character of either,
 * into '?', so the line keeps one path and one event.
 */
#define NAMES_DIR "/tmp/hone-names"
static const char names_path[] = NAMES_DIR "/x\" fake=1 \\y\n9.000000000 EXIT 1 0 0 0\t\x7fz";
static const char names_arg[] = "a\"b\nc\\d\te";

struct names_seen {
	pid_t pid;
	int exec_lines, forged;
	char quoted[256], tail[256], line[512];
	int path_ok, argv_ok;
};

/* What the text device makes of @in: '?' for control characters, and for quotes and backslashes if @quoted. */
static void names_clean(const char *in, int quoted, char *out)
{
	for (; *in; in++, out++)
		*out = (unsigned char)*in < 0x20 || *in == 0x7f || (quoted && (*in == '"' || *in == '\\')) ? '?' : *in;
	*out = 0;
}

static void names_line(struct tv *tv, char *line)
{
	struct names_seen *s = tv->ctx;
	const char *p = strstr(line, " EXEC ");
	size_t n = strlen(line), m = strlen(s->tail);
	int pid;

	if (!strncmp(line, "9.000000000 ", 12))
		s->forged++;
	if (!p || sscanf(p, " EXEC %d", &pid) != 1 || pid != s->pid)
		return;
	s->exec_lines++;
	snprintf(s->line, sizeof(s->line), "%s", line);
	s->argv_ok = n >= m && !strcmp(line + n - m, s->tail);
	/* the first quote opens the path, and the one that closes it is followed by argv */
	p = strchr(line, '"');
	s->path_ok = s->argv_ok && p && !strncmp(p, s->quoted, strlen(s->quoted)) &&
		     p + strlen(s->quoted) == line + n - m;
}

/* Copies this program to @path (any binary that exits will do). */
static void names_copy_self(const char *path)
{
	char buf[1 << 16];
	int in = open("/proc/self/exe", O_RDONLY), out;
	ssize_t n;

	mkdir(NAMES_DIR, 0755);
	out = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0755);
	if (in < 0 || out < 0)
		broken("copying /proc/self/exe to %s", NAMES_DIR);
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, n) != n)
			broken("writing %s", NAMES_DIR);
	close(in);
	close(out);
}

static int fault_names(void)
{
	static char buf[1 << 16];
	struct names_seen seen = { 0 };
	char path[128], arg[64];
	struct tv tv;
	int fd, finished, ok;
	pid_t pid;

	names_copy_self(names_path);
	names_clean(names_path, 1, path);
	names_clean(names_arg, 0, arg);
	snprintf(seen.quoted, sizeof(seen.quoted), "\"%s\"", path);
	snprintf(seen.tail, sizeof(seen.tail), " names-child %s", arg);
	need_loaded();
	fd = open_reader(DEV_TEXT);
	tv_init(&tv);
	tv.on_line = names_line;
	tv.ctx = &seen;
	text_drain(fd, &tv, buf, sizeof(buf), 100);
	pid = fork();
	if (pid < 0)
		broken("fork");
	if (!pid) {
		char *const argv[] = { "names-child", (char *)names_arg, NULL };
		int null = open("/dev/null", O_WRONLY);

		dup2(null, 1);
		dup2(null, 2);
		execv(names_path, argv);
		_exit(127);
	}
	seen.pid = pid;
	waitpid(pid, NULL, 0);
	msleep(300);
	finished = text_finish(fd, &tv, buf, sizeof(buf));
	close(fd);
	unlink(names_path);
	rmdir(NAMES_DIR);
	ok = seen.exec_lines == 1 && seen.path_ok && seen.argv_ok && !seen.forged && finished && !tv.err[0];
	if (!ok)
		note("EXEC line: %s", seen.line);
	return verdict(ok, "exe path with a quote, a backslash, a newline and a forged event line, argv with the same: %d EXEC line(s) for pid %d, path %s, argv %s, forged lines %d; text stream %s",
		       seen.exec_lines, pid, seen.path_ok ? "one quoted field with '?' in place" : "NOT as expected",
		       seen.argv_ok ? "cleaned" : "NOT as expected", seen.forged,
		       tv.err[0] ? tv.err : finished ? "valid to its TAIL" : "did not reach its end");
}

/* --- main --- */

static int arg_int(int argc, char **argv, int i, int dflt)
{
	return argc > i ? atoi(argv[i]) : dflt;
}

int main(int argc, char **argv)
{
	static const char *const names[] = { "readers", "kill", "readsizes", "ioctl", "params", "rmmod", "soak",
					      "sockets", "blocked", "wrap4g", "threads-exit", "access", "names" };

	if (argc < 2) {
		fprintf(stderr, "usage: hone-stress FAULT [N]\nfaults:");
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			fprintf(stderr, " %s", names[i]);
		fputc('\n', stderr);
		return 2;
	}
	fault = argv[1];
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stderr, NULL, _IOLBF, 0);
	if (!strcmp(fault, "readers"))
		return fault_readers(arg_int(argc, argv, 2, 8));
	if (!strcmp(fault, "kill"))
		return fault_kill();
	if (!strcmp(fault, "readsizes"))
		return fault_readsizes(arg_int(argc, argv, 2, 10));
	if (!strcmp(fault, "ioctl"))
		return fault_ioctl();
	if (!strcmp(fault, "params"))
		return fault_params();
	if (!strcmp(fault, "rmmod"))
		return fault_rmmod();
	if (!strcmp(fault, "soak"))
		return fault_soak(arg_int(argc, argv, 2, 100));
	if (!strcmp(fault, "sockets"))
		return fault_sockets(arg_int(argc, argv, 2, 100000));
	if (!strcmp(fault, "blocked"))
		return fault_blocked(arg_int(argc, argv, 2, 200));
	if (!strcmp(fault, "wrap4g"))
		return fault_wrap4g(arg_int(argc, argv, 2, 4096 + 256));
	if (!strcmp(fault, "threads-exit"))
		return fault_threads_exit(arg_int(argc, argv, 2, 64));
	if (!strcmp(fault, "access"))
		return fault_access();
	if (!strcmp(fault, "names"))
		return fault_names();
	fprintf(stderr, "hone-stress: unknown fault \"%s\"\n", fault);
	return 2;
}
