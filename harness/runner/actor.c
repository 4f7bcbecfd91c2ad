// SPDX-License-Identifier: GPL-2.0
/*
 * An actor (process or thread) walks the script, waits for the turn of
 * each of its steps, performs it with real syscalls and appends its truth
 * record, then passes the turn on.
 */
#include "runner.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <dirent.h>
#include <time.h>
#include <unistd.h>
#include <linux/filter.h>

#ifndef SO_COOKIE
#define SO_COOKIE 57
#endif
#ifndef SO_ATTACH_REUSEPORT_CBPF
#define SO_ATTACH_REUSEPORT_CBPF 51
#endif

#define DEFAULT_SIZE	64
#define IO_TIMEOUT_S	10

/* ---- handles ---- */

int handle_fd(const char *name)
{
	for (int i = 0; i < R.nhandles; i++)
		if (!strcmp(R.handles[i].name, name))
			return R.handles[i].fd;
	return -1;
}

static void handle_add(const struct step *st, const char *name, int fd)
{
	for (int i = 0; i < R.nhandles; i++) {
		if (!strcmp(R.handles[i].name, name)) {
			R.handles[i].fd = fd;
			return;
		}
	}
	if (R.nhandles >= MAX_HANDLES)
		fail_step(st, "more than %d handles in one process", MAX_HANDLES);
	snprintf(R.handles[R.nhandles].name, MAX_NAME, "%s", name);
	R.handles[R.nhandles++].fd = fd;
}

static void handle_del(const char *name)
{
	for (int i = 0; i < R.nhandles; i++) {
		if (!strcmp(R.handles[i].name, name)) {
			R.handles[i] = R.handles[--R.nhandles];
			return;
		}
	}
}

static int need_fd(const struct step *st, const char *key)
{
	const char *name = step_arg(st, key);
	int fd;

	if (!name)
		fail_step(st, "missing argument %s=", key);
	fd = handle_fd(name);
	if (fd < 0)
		fail_step(st, "this process holds no handle \"%s\"", name);
	return fd;
}

/* key=true|false; absent is false. */
static int bool_arg(const struct step *st, const char *key)
{
	const char *v = step_arg(st, key);

	if (v && strcmp(v, "true") && strcmp(v, "false"))
		fail_step(st, "%s=%s: expected true or false", key, v);
	return v && !strcmp(v, "true");
}

/* cloexec=true (socket, accept): the descriptor is made with SOCK_CLOEXEC; exec closes it. */
static int cloexec_arg(const struct step *st)
{
	return bool_arg(st, "cloexec");
}

static const char *need_arg(const struct step *st, const char *key)
{
	const char *v = step_arg(st, key);

	if (!v)
		fail_step(st, "missing argument %s=", key);
	return v;
}

static void set_timeouts(int fd)
{
	struct timeval tv = { IO_TIMEOUT_S, 0 };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/* ---- addresses ---- */

static uint16_t port_of(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ((const struct sockaddr_in *)ss)->sin_port;
	if (ss->ss_family == AF_INET6)
		return ((const struct sockaddr_in6 *)ss)->sin6_port;
	return 0;
}

/* Returns the entry (NULL when the table is full or the socket has no address). */
static struct bound *bound_set(const char *name, int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	uint64_t cookie = 0;
	socklen_t cl = sizeof(cookie);
	int i, fresh = 0, v = 0;
	socklen_t vl = sizeof(v);
	struct bound *b;

	if (getsockname(fd, (struct sockaddr *)&ss, &len))
		return NULL;
	for (i = 0; i < R.sh->nbound; i++)
		if (!strcmp(R.sh->bound[i].name, name))
			break;
	if (i == R.sh->nbound) {
		if (i >= MAX_BOUND)
			return NULL;
		R.sh->nbound++;
		fresh = 1;
	}
	b = &R.sh->bound[i];
	getsockopt(fd, SOL_SOCKET, SO_COOKIE, &cookie, &cl);
	if (!fresh && b->cookie != cookie)
		fresh = 1; /* the name now stands for another socket */
	snprintf(b->name, MAX_NAME, "%s", name);
	b->ss = ss;
	b->len = len;
	b->cookie = cookie;
	if (fresh) {
		b->reuseport = !getsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &v, &vl) && v && port_of(&ss);
		b->group_index = 0;
		/* a reuseport group's members are indexed in the order they were bound (reuseport_add_sock) */
		for (int k = 0; b->reuseport && k < R.sh->nbound; k++) {
			const struct bound *o = &R.sh->bound[k];

			if (o != b && o->reuseport && o->ss.ss_family == ss.ss_family && port_of(&o->ss) == port_of(&ss))
				b->group_index++;
		}
	}
	return b;
}

static const struct bound *bound_find(const char *name)
{
	for (int i = 0; i < R.sh->nbound; i++)
		if (!strcmp(R.sh->bound[i].name, name))
			return &R.sh->bound[i];
	return NULL;
}

/*
 * A SO_REUSEPORT group picks its receiving socket by hashing the sender's
 * address, which a scenario cannot know in advance. The runner steers
 * instead: a datagram sent to a member carries the member's group index as
 * the ASCII digit at payload offset 20 (the first byte after the tag), and
 * this classic BPF program, attached to the group, returns it (any other
 * byte gives an index past the group: the kernel falls back to the hash).
 */
static void steer_reuseport(const struct step *st, int fd)
{
	struct sock_filter code[] = {
		BPF_STMT(BPF_LD | BPF_B | BPF_ABS, TAG_LEN),
		BPF_STMT(BPF_ALU | BPF_SUB | BPF_K, '0'),
		BPF_STMT(BPF_RET | BPF_A, 0),
	};
	struct sock_fprog prog = { sizeof(code) / sizeof(code[0]), code };

	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, &prog, sizeof(prog)))
		fail_step(st, "SO_ATTACH_REUSEPORT_CBPF: %m");
}

/* Destination of connect/sendto: to=HANDLE (any-address -> loopback) or addr= port=. */
static socklen_t target(const struct step *st, struct sockaddr_storage *ss)
{
	const char *to = step_arg(st, "to");

	memset(ss, 0, sizeof(*ss));
	if (to) {
		for (int i = 0; i < R.sh->nbound; i++) {
			struct bound *b = &R.sh->bound[i];

			if (strcmp(b->name, to))
				continue;
			/*
			 * Through memcpy, not casts of one object to another sockaddr
			 * type: with strict aliasing GCC may read the any-address test
			 * from the memset above (it did: connects went to 127.0.0.1).
			 */
			memcpy(ss, &b->ss, sizeof(*ss));
			if (ss->ss_family == AF_INET) {
				struct sockaddr_in in;

				memcpy(&in, ss, sizeof(in));
				if (in.sin_addr.s_addr == htonl(INADDR_ANY)) {
					in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
					memcpy(ss, &in, sizeof(in));
				}
			} else if (ss->ss_family == AF_INET6) {
				struct sockaddr_in6 in6;

				memcpy(&in6, ss, sizeof(in6));
				if (IN6_IS_ADDR_UNSPECIFIED(&in6.sin6_addr)) {
					in6.sin6_addr = in6addr_loopback;
					memcpy(ss, &in6, sizeof(in6));
				}
			}
			return b->len;
		}
		fail_step(st, "target \"%s\" has no address yet", to);
	} else {
		const char *addr = need_arg(st, "addr");
		const char *port = step_arg(st, "port");
		struct sockaddr_in *in = (void *)ss;
		struct sockaddr_in6 *in6 = (void *)ss;

		if (inet_pton(AF_INET, addr, &in->sin_addr) == 1) {
			in->sin_family = AF_INET;
			in->sin_port = htons(port ? atoi(port) : 0);
			return sizeof(*in);
		}
		if (inet_pton(AF_INET6, addr, &in6->sin6_addr) == 1) {
			in6->sin6_family = AF_INET6;
			in6->sin6_port = htons(port ? atoi(port) : 0);
			return sizeof(*in6);
		}
		fail_step(st, "bad address \"%s\"", addr);
	}
}

/* ---- payloads ---- */

/* Tag "<HT:rrrrrrrr:ssssss>" then filler, `size` bytes in all. */
static char *payload(const struct step *st, size_t size, char *tag)
{
	char *p = malloc(size + 1);
	char t[64];

	if (!p)
		fail_step(st, "out of memory");
	snprintf(t, sizeof(t), "<HT:%.8s:%06u>", R.sh->run_id, (unsigned)st->index % 1000000u);
	memcpy(tag, t, TAG_LEN);
	tag[TAG_LEN] = 0;
	memcpy(p, tag, TAG_LEN);
	for (size_t i = TAG_LEN; i < size; i++)
		p[i] = 'a' + (i % 26);
	return p;
}

/* Append every tag found in buf to the record's "tags" list. */
static void scan_tags(struct jbuf *j, const char *buf, size_t len)
{
	j_strlist_begin(j, "tags");
	for (size_t i = 0; i + TAG_LEN <= len; i++) {
		char tag[TAG_LEN + 1];

		if (memcmp(buf + i, "<HT:", 4) || buf[i + 12] != ':' || buf[i + 19] != '>')
			continue;
		memcpy(tag, buf + i, TAG_LEN);
		tag[TAG_LEN] = 0;
		j_strlist_item(j, tag);
		i += TAG_LEN - 1;
	}
	j_strlist_end(j);
}

static size_t size_arg(const struct step *st)
{
	const char *s = step_arg(st, "size");

	return s ? (size_t)atoi(s) : DEFAULT_SIZE;
}

static int sock_type(int fd)
{
	int v = 0;
	socklen_t l = sizeof(v);

	getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &l);
	return v;
}

static int sock_proto(int fd)
{
	int v = 0;
	socklen_t l = sizeof(v);

	getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &v, &l);
	return v;
}

/* ---- threads ---- */

struct thread_start {
	char name[MAX_NAME];
	int from;
	volatile pid_t tid;
};

static void *thread_main(void *arg)
{
	struct thread_start *ts = arg;
	char name[MAX_NAME];
	int from = ts->from;

	snprintf(name, sizeof(name), "%s", ts->name);
	__atomic_store_n(&ts->tid, global_tid(), __ATOMIC_RELEASE);
	run_actor(name, from);
	return NULL;
}

/* ---- steps ---- */

/*
 * The first process of a pid namespace is about to exit: its exit kills
 * every process left in the namespace (zap_pid_ns_processes). The
 * scenario's earlier exit steps of those processes ran (the runner passes
 * the turn before _exit()), but a process may not have got the CPU to
 * finish its _exit() yet; SIGKILL would then be its exit status, not the
 * code the truth records. Wait (up to 5 s) until they are gone.
 */
static void wait_namespace_empty(const struct step *st)
{
	unsigned long ns = ns_ino("pid");
	pid_t self = global_pid();
	long long deadline = mono_ns() + 5LL * 1000000000;

	for (;;) {
		int busy = 0;

		for (int i = 0; i < R.sh->npids && i < MAX_PIDS; i++) {
			char path[64];
			struct stat sb;
			pid_t p = R.sh->pids[i];

			if (p <= 0 || p == self)
				continue;
			snprintf(path, sizeof(path), "/proc/%d/ns/pid", p);
			if (!stat(path, &sb) && sb.st_ino == ns && process_running(p))
				busy = 1;
		}
		if (!busy)
			return;
		if (mono_ns() > deadline)
			fail_step(st, "processes of its pid namespace still run 5 s after their exit steps");
		sched_yield();
		{
			struct timespec ts = { 0, 1000000 };

			nanosleep(&ts, NULL);
		}
	}
}

static void do_exec(const struct step *st, const char *me)
{
	char idx[16], env[4096];
	size_t off = 0;
	char *argv[] = { R.self_exe, "resume", R.script.path, R.outdir, (char *)me, idx, NULL };

	char t0[64];
	/* monotonic first, then real, as every record (two arguments would be read in either order) */
	long long mono = mono_ns(), real = real_us();

	snprintf(idx, sizeof(idx), "%d", st->index);
	/* the step begins now, before execve(): the new image records this time */
	snprintf(t0, sizeof(t0), "HONE_RUNNER_EXEC_T0=%lld,%lld", mono, real);
	putenv(strdup(t0));
	off += snprintf(env, sizeof(env), "HONE_RUNNER_HANDLES=");
	for (int i = 0, n = 0; i < R.nhandles && off < sizeof(env) - 64; i++) {
		int fl = fcntl(R.handles[i].fd, F_GETFD);

		if (fl >= 0 && (fl & FD_CLOEXEC))
			continue; /* closed by the exec: the new image has no such handle */
		off += snprintf(env + off, sizeof(env) - off, "%s%s=%d", n++ ? "," : "", R.handles[i].name, R.handles[i].fd);
	}
	putenv(strdup(env));
	execv(R.self_exe, argv);
	fail_step(st, "execv %s: %m", R.self_exe);
}

static void lo_up(const struct step *st, struct jbuf *j)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		fail_step(st, "socket for SIOCSIFFLAGS: %m");
	j_socket(j, "helper", fd);
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr))
		fail_step(st, "SIOCGIFFLAGS lo: %m");
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr))
		fail_step(st, "SIOCSIFFLAGS lo up: %m");
	close(fd);
}

static void send_fd(const struct step *st, int via, int fd)
{
	char c = 'F';
	struct iovec iov = { &c, 1 };
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u.buf) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);

	memset(&u, 0, sizeof(u));
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	if (sendmsg(via, &msg, 0) != 1)
		fail_step(st, "sendmsg SCM_RIGHTS: %m");
}

static int recv_fd(const struct step *st, int via)
{
	char c;
	struct iovec iov = { &c, 1 };
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u.buf) };
	struct cmsghdr *cm;
	int fd;

	if (recvmsg(via, &msg, 0) != 1)
		fail_step(st, "recvmsg SCM_RIGHTS: %m");
	cm = CMSG_FIRSTHDR(&msg);
	if (!cm || cm->cmsg_type != SCM_RIGHTS)
		fail_step(st, "recvmsg brought no SCM_RIGHTS");
	memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	return fd;
}

/*
 * send via=sendfile: the payload goes to an unlinked temporary file in
 * OUTDIR, then sendfile() sends it whole to the socket (before 6.5 the
 * kernel takes do_tcp_sendpages, later tcp_sendmsg with MSG_SPLICE_PAGES).
 */
static void send_file(const struct step *st, int fd, int type, const char *data, size_t size)
{
	char path[4200];
	size_t put = 0, done = 0;
	off_t off = 0;
	int ffd;

	if (type != SOCK_STREAM)
		fail_step(st, "via=sendfile needs a stream socket");
	snprintf(path, sizeof(path), "%s/.sendfile-%d-XXXXXX", R.outdir, st->index);
	ffd = mkstemp(path);
	if (ffd < 0)
		fail_step(st, "mkstemp %s: %m", path);
	unlink(path);
	while (put < size) {
		ssize_t n = write(ffd, data + put, size - put);

		if (n <= 0)
			fail_step(st, "write to the sendfile source: %m");
		put += n;
	}
	while (done < size) {
		ssize_t n = sendfile(fd, ffd, &off, size - done);

		if (n < 0)
			fail_step(st, "sendfile after %zu of %zu bytes: %m", done, size);
		if (n == 0)
			fail_step(st, "sendfile: nothing sent after %zu of %zu bytes", done, size);
		done += n;
	}
	close(ffd);
}

/* recv via=splice: splice() from the socket into a pipe, read() the pipe; until `size` bytes. Returns the splice() calls. */
static int recv_splice(const struct step *st, int fd, char *buf, size_t size, long long *reads)
{
	size_t got = 0;
	int p[2], nreads = 0;

	if (pipe2(p, O_CLOEXEC))
		fail_step(st, "pipe: %m");
	while (got < size) {
		ssize_t n = splice(fd, NULL, p[1], NULL, size - got, 0);

		if (n < 0)
			fail_step(st, "splice after %zu of %zu bytes: %m", got, size);
		if (n == 0)
			fail_step(st, "splice: peer closed after %zu of %zu bytes", got, size);
		for (ssize_t r = 0; r < n;) {
			ssize_t m = read(p[0], buf + got + r, n - r);

			if (m <= 0)
				fail_step(st, "read from the splice pipe after %zu of %zu bytes: %m", got + r, size);
			r += m;
		}
		if (nreads < MAX_READS)
			reads[nreads] = n;
		nreads++;
		got += n;
	}
	close(p[0]);
	close(p[1]);
	return nreads;
}

static void do_send(const struct step *st, struct jbuf *j, int fd, int with_target)
{
	size_t size = size_arg(st), head = 0, done = 0;
	char tag[TAG_LEN + 1];
	char *data = payload(st, size, tag);
	char *buf = data;
	struct sockaddr_storage ss;
	socklen_t sl = 0;
	int proto = sock_proto(fd), type = sock_type(fd);
	const char *more = step_arg(st, "more");
	const char *via = with_target ? NULL : step_arg(st, "via");
	int flags = MSG_NOSIGNAL;

	if (more && !strcmp(more, "true"))
		flags |= MSG_MORE; /* a stream socket holds the bytes until a send without it */
	else if (more && strcmp(more, "false"))
		fail_step(st, "more=%s: expected true or false", more);
	if (via && strcmp(via, "sendfile"))
		fail_step(st, "via=%s: a send is plain or via=sendfile", via);
	if (via && (flags & MSG_MORE))
		fail_step(st, "more=true cannot be combined with via=sendfile");
	if (with_target) {
		const struct bound *b = step_arg(st, "to") ? bound_find(step_arg(st, "to")) : NULL;

		sl = target(st, &ss);
		if (b && b->cookie) {
			char c[24];

			snprintf(c, sizeof(c), "%016llx", (unsigned long long)b->cookie);
			j_str(j, "toCookie", c);
		}
		if (b && b->reuseport && size > TAG_LEN && b->group_index < 10)
			data[TAG_LEN] = '0' + b->group_index; /* steer_reuseport() reads it */
	}
	/* ping socket: the runner writes the ICMP echo header, the kernel fixes id and checksum. */
	if (type == SOCK_DGRAM && (proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6)) {
		head = 8;
		buf = calloc(1, size + head);
		buf[0] = proto == IPPROTO_ICMP ? 8 : (char)128;
		buf[6] = (st->index >> 8) & 0xff;
		buf[7] = st->index & 0xff;
		memcpy(buf + head, data, size);
	}
	if (via) {
		send_file(st, fd, type, data, size);
		done = size;
	}
	while (done < size + head) {
		ssize_t n = with_target ? sendto(fd, buf + done, size + head - done, flags, (struct sockaddr *)&ss, sl)
					: send(fd, buf + done, size + head - done, flags);
		if (n < 0)
			fail_step(st, "%s: %m", with_target ? "sendto" : "send");
		done += n;
		if (type != SOCK_STREAM)
			break;
	}
	if (with_target) {
		char a[128];

		addr_format((struct sockaddr *)&ss, sl, a, sizeof(a));
		j_str(j, "to", a);
		bound_set(need_arg(st, "sock"), fd); /* autobind gave it an address */
	}
	j_socket(j, "socket", fd);
	j_int(j, "bytes", size);
	j_str(j, "tag", tag);
	if (flags & MSG_MORE)
		j_raw(j, "more", "true");
	if (buf != data)
		free(buf);
	free(data);
}

static void do_recv(const struct step *st, struct jbuf *j, int fd, int with_from)
{
	size_t size = size_arg(st), cap = size + 128 > 65600 ? size + 128 : 65600, got = 0;
	char *buf = malloc(cap);
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	int type = sock_type(fd);
	const char *via = with_from ? NULL : step_arg(st, "via");
	long long reads[MAX_READS];
	int nreads = 0;

	if (!buf)
		fail_step(st, "out of memory");
	if (via && strcmp(via, "splice"))
		fail_step(st, "via=%s: a recv is plain or via=splice", via);
	if (via && type != SOCK_STREAM)
		fail_step(st, "via=splice needs a stream socket");
	if (via) {
		nreads = recv_splice(st, fd, buf, size, reads);
		got = size;
	} else if (type == SOCK_STREAM) {
		while (got < size) {
			ssize_t n = recv(fd, buf + got, size - got, 0);

			if (n < 0)
				fail_step(st, "recv after %zu of %zu bytes: %m", got, size);
			if (n == 0)
				fail_step(st, "recv: peer closed after %zu of %zu bytes", got, size);
			if (nreads < MAX_READS)
				reads[nreads] = n;
			nreads++;
			got += n;
		}
	} else {
		ssize_t n = recvfrom(fd, buf, cap, 0, (struct sockaddr *)&ss, &sl);

		if (n < 0)
			fail_step(st, "%s: %m", with_from ? "recvfrom" : "recv");
		got = n;
		reads[nreads++] = n;
		if (with_from) {
			char a[128];

			addr_format((struct sockaddr *)&ss, sl, a, sizeof(a));
			j_str(j, "from", a);
		}
	}
	j_socket(j, "socket", fd);
	j_int(j, "bytes", got);
	/* what each read()/recv()/splice() call consumed, in order: one read block each */
	if (nreads <= MAX_READS) {
		j_begin_list(j, "reads");
		for (int i = 0; i < nreads; i++)
			j_int_item(j, reads[i]);
		j_end_list(j);
	}
	scan_tags(j, buf, got);
	free(buf);
}

/*
 * capture-start: which sockets each scenario process holds, as its own
 * /proc/PID/fd says (the inodes of its socket descriptors), when the
 * capture readers have taken their snapshot. The snapshot must list a
 * connection open block for each process and each of its inet sockets.
 */
static void fd_view(struct jbuf *j)
{
	j_begin_list(j, "fdView");
	for (int i = 0; i < R.sh->npids && i < MAX_PIDS; i++) {
		char path[64], link[128], fdpath[384];
		struct dirent *d;
		DIR *dir;

		snprintf(path, sizeof(path), "/proc/%d/fd", R.sh->pids[i]);
		dir = opendir(path);
		if (!dir)
			continue; /* gone */
		j_obj_item_begin(j);
		j_int(j, "pid", R.sh->pids[i]);
		j_begin_list(j, "inos");
		while ((d = readdir(dir))) {
			ssize_t n;

			if (d->d_name[0] == '.')
				continue;
			snprintf(fdpath, sizeof(fdpath), "%s/%s", path, d->d_name);
			n = readlink(fdpath, link, sizeof(link) - 1);
			if (n <= 0)
				continue;
			link[n] = 0;
			if (!strncmp(link, "socket:[", 8))
				j_int_item(j, strtoll(link + 8, NULL, 10));
		}
		closedir(dir);
		j_end_list(j);
		j_obj_item_end(j);
	}
	j_end_list(j);
}

static void do_step(const struct step *st, const char *me)
{
	struct jbuf j = { 0 };
	const char *k = st->kind;

	j_open(&j, st);
	if (step_arg(st, "sock") && strcmp(k, "socket") && strcmp(k, "socketpair"))
		j_str(&j, "sock", step_arg(st, "sock"));
	if (step_arg(st, "via"))
		j_str(&j, "via", step_arg(st, "via"));
	if (!strcmp(k, "fork")) {
		const char *child = need_arg(st, "child");
		int in_pidns = getpid() != global_pid();
		pid_t pid;

		__atomic_store_n(&R.sh->fork_gpid, 0, __ATOMIC_RELEASE);
		pid = fork();
		if (pid < 0)
			fail_step(st, "fork: %m");
		if (pid == 0) {
			free(j.p);
			__atomic_store_n(&R.sh->fork_gpid, global_pid(), __ATOMIC_RELEASE);
			run_actor(child, st->index + 1);
			_exit(0);
		}
		if (in_pidns) {
			/* fork() gave the child's number in our pid namespace; the child reports its global pid */
			long long deadline = mono_ns() + 10LL * 1000000000;

			j_int(&j, "childNspid", pid);
			while (!(pid = __atomic_load_n(&R.sh->fork_gpid, __ATOMIC_ACQUIRE))) {
				if (mono_ns() > deadline)
					fail_step(st, "the child forked in a pid namespace did not report its pid");
				sched_yield();
			}
		}
		register_pid(pid);
		register_actor(child, pid);
		j_str(&j, "child", child);
		j_int(&j, "childPid", pid);
	} else if (!strcmp(k, "thread")) {
		struct thread_start *ts = calloc(1, sizeof(*ts));
		pthread_t t;

		snprintf(ts->name, sizeof(ts->name), "%s", need_arg(st, "thread"));
		ts->from = st->index + 1;
		if (pthread_create(&t, NULL, thread_main, ts))
			fail_step(st, "pthread_create failed");
		while (!__atomic_load_n(&ts->tid, __ATOMIC_ACQUIRE))
			sched_yield();
		j_str(&j, "thread", ts->name);
		j_int(&j, "threadTid", ts->tid);
	} else if (!strcmp(k, "exec")) {
		free(j.p);
		do_exec(st, me); /* the new image records the step */
	} else if (!strcmp(k, "exit")) {
		int code = atoi(step_arg(st, "code") ? step_arg(st, "code") : "0");

		if (getpid() == 1)
			wait_namespace_empty(st);
		j_int(&j, "code", code);
		j_close_write(&j);
		watch_exit(st->index, global_pid());
		turn_advance(st->index);
		_exit(code);
	} else if (!strcmp(k, "socket")) {
		const char *fam = need_arg(st, "family"), *type = need_arg(st, "type"), *proto = step_arg(st, "proto");
		int f = !strcmp(fam, "inet6") ? AF_INET6 : AF_INET;
		int t = !strcmp(type, "stream") ? SOCK_STREAM : !strcmp(type, "dgram") ? SOCK_DGRAM : SOCK_RAW;
		int fd = socket(f, t | (cloexec_arg(st) ? SOCK_CLOEXEC : 0), proto ? atoi(proto) : 0);

		if (fd < 0)
			fail_step(st, "socket(%s, %s, %s): %m%s", fam, type, proto ? proto : "0",
				  t == SOCK_RAW ? " (raw sockets need CAP_NET_RAW)" :
				  (errno == EACCES ? " (ping sockets need net.ipv4.ping_group_range)" : ""));
		set_timeouts(fd);
		if (bool_arg(st, "reuseport")) {
			int one = 1;

			if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)))
				fail_step(st, "SO_REUSEPORT: %m");
		}
		handle_add(st, need_arg(st, "sock"), fd);
		j_str(&j, "sock", need_arg(st, "sock"));
		if (cloexec_arg(st))
			j_raw(&j, "cloexec", "true");
		j_socket(&j, "socket", fd);
	} else if (!strcmp(k, "socketpair")) {
		int sv[2];

		if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
			fail_step(st, "socketpair: %m");
		set_timeouts(sv[0]);
		set_timeouts(sv[1]);
		handle_add(st, need_arg(st, "sock"), sv[0]);
		handle_add(st, need_arg(st, "peer"), sv[1]);
		j_str(&j, "sock", need_arg(st, "sock"));
		j_str(&j, "peer", need_arg(st, "peer"));
		j_socket(&j, "socket", sv[0]);
		j_socket(&j, "peerSocket", sv[1]);
	} else if (!strcmp(k, "bind")) {
		int fd = need_fd(st, "sock");
		struct sockaddr_storage ss;
		socklen_t sl = target(st, &ss); /* bind has addr= port=, never to= */
		const struct bound *b;

		if (bind(fd, (struct sockaddr *)&ss, sl))
			fail_step(st, "bind: %m");
		b = bound_set(need_arg(st, "sock"), fd);
		if (b && b->reuseport) {
			steer_reuseport(st, fd);
			j_int(&j, "reuseportIndex", b->group_index);
		}
		j_socket(&j, "socket", fd);
	} else if (!strcmp(k, "listen")) {
		int fd = need_fd(st, "sock");
		const char *b = step_arg(st, "backlog");

		if (listen(fd, b ? atoi(b) : 128))
			fail_step(st, "listen: %m");
		bound_set(need_arg(st, "sock"), fd);
		j_socket(&j, "socket", fd);
	} else if (!strcmp(k, "connect")) {
		int fd = need_fd(st, "sock");
		struct sockaddr_storage ss;
		socklen_t sl = target(st, &ss);
		const struct bound *b = step_arg(st, "to") ? bound_find(step_arg(st, "to")) : NULL;

		if (b && b->cookie) {
			char c[24];

			snprintf(c, sizeof(c), "%016llx", (unsigned long long)b->cookie);
			j_str(&j, "toCookie", c);
		}
		if (connect(fd, (struct sockaddr *)&ss, sl))
			fail_step(st, "connect: %m");
		bound_set(need_arg(st, "sock"), fd);
		j_socket(&j, "socket", fd);
	} else if (!strcmp(k, "accept")) {
		int lfd = need_fd(st, "sock");
		int fd = accept4(lfd, NULL, NULL, cloexec_arg(st) ? SOCK_CLOEXEC : 0);

		if (fd < 0)
			fail_step(st, "accept: %m");
		set_timeouts(fd);
		handle_add(st, need_arg(st, "as"), fd);
		j_str(&j, "as", need_arg(st, "as"));
		if (cloexec_arg(st))
			j_raw(&j, "cloexec", "true");
		j_socket(&j, "listener", lfd);
		j_socket(&j, "socket", fd);
	} else if (!strcmp(k, "send") || !strcmp(k, "sendto")) {
		do_send(st, &j, need_fd(st, "sock"), k[4] == 't');
	} else if (!strcmp(k, "recv") || !strcmp(k, "recvfrom")) {
		do_recv(st, &j, need_fd(st, "sock"), k[4] == 'f');
	} else if (!strcmp(k, "shutdown")) {
		int fd = need_fd(st, "sock");
		const char *how = need_arg(st, "how");
		int h = !strcmp(how, "rd") ? SHUT_RD : !strcmp(how, "wr") ? SHUT_WR : SHUT_RDWR;

		j_str(&j, "how", how);
		j_socket(&j, "socket", fd);
		if (shutdown(fd, h))
			fail_step(st, "shutdown: %m");
	} else if (!strcmp(k, "close")) {
		int fd = need_fd(st, "sock");

		j_socket(&j, "socket", fd);
		if (close(fd))
			fail_step(st, "close: %m");
		handle_del(need_arg(st, "sock"));
	} else if (!strcmp(k, "dup")) {
		int fd = dup(need_fd(st, "sock"));

		if (fd < 0)
			fail_step(st, "dup: %m");
		handle_add(st, need_arg(st, "as"), fd);
		j_str(&j, "as", need_arg(st, "as"));
		j_socket(&j, "socket", fd);
	} else if (!strcmp(k, "sendfd")) {
		int via = need_fd(st, "via"), fd = need_fd(st, "sock");

		j_socket(&j, "socket", fd);
		send_fd(st, via, fd);
	} else if (!strcmp(k, "recvfd")) {
		int fd = recv_fd(st, need_fd(st, "via"));

		handle_add(st, need_arg(st, "as"), fd);
		j_str(&j, "as", need_arg(st, "as"));
		j_socket(&j, "socket", fd);
	} else if (!strcmp(k, "netns")) {
		j_int(&j, "netnsBefore", netns_ino());
		if (unshare(CLONE_NEWNET))
			fail_step(st, "unshare(CLONE_NEWNET): %m (needs root)");
		lo_up(st, &j);
		j_int(&j, "netnsAfter", netns_ino());
	} else if (!strcmp(k, "pidns")) {
		j_int(&j, "pidnsBefore", ns_ino("pid"));
		if (unshare(CLONE_NEWPID))
			fail_step(st, "unshare(CLONE_NEWPID): %m (needs root)");
		/* the process stays where it is; its next child is the first process of the new namespace */
	} else if (!strcmp(k, "veth")) {
		veth_step(st, &j);
	} else if (!strcmp(k, "sleep")) {
		int ms = atoi(need_arg(st, "ms"));
		struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

		while (nanosleep(&ts, &ts) && errno == EINTR)
			;
	} else if (!strcmp(k, "capture-start")) {
		char err[512];

		if (R.capture && capture_start(err, sizeof(err)))
			fail_step(st, "%s", err);
		fd_view(&j);
	} else {
		fail_step(st, "unknown step kind \"%s\"", k);
	}
	j_close_write(&j);
	free(j.p);
}

void run_actor(const char *me, int from)
{
	for (int i = from; i < R.script.nsteps; i++) {
		const struct step *st = &R.script.steps[i];

		if (strcmp(st->actor, me))
			continue;
		turn_wait(i);
		do_step(st, me);
		turn_advance(i);
	}
}

/* After exec: rebuild the handle table, record the exec step, continue. */
void actor_resume(const char *me, int index)
{
	const char *env = getenv("HONE_RUNNER_HANDLES");
	const char *t0 = getenv("HONE_RUNNER_EXEC_T0");
	const struct step *st = &R.script.steps[index];
	struct jbuf j = { 0 };
	char exe[4096];
	ssize_t n;
	FILE *f;

	if (env) {
		char *copy = strdup(env), *save = NULL;

		for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
			char *eq = strchr(tok, '=');

			if (eq) {
				*eq = 0;
				handle_add(st, tok, atoi(eq + 1));
			}
		}
		free(copy);
		unsetenv("HONE_RUNNER_HANDLES");
	}
	if (t0) {
		sscanf(t0, "%lld,%lld", &R.exec_t0_mono, &R.exec_t0_real);
		unsetenv("HONE_RUNNER_EXEC_T0");
	}
	j_open(&j, st);
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	exe[n > 0 ? n : 0] = 0;
	j_str(&j, "exe", exe);
	j_strlist_begin(&j, "argv");
	f = fopen("/proc/self/cmdline", "r");
	if (f) {
		char arg[4096];
		int c, len = 0;

		while ((c = fgetc(f)) != EOF) {
			if (c == 0) {
				arg[len] = 0;
				j_strlist_item(&j, arg);
				len = 0;
			} else if (len < (int)sizeof(arg) - 1) {
				arg[len++] = c;
			}
		}
		fclose(f);
	}
	j_strlist_end(&j);
	j_close_write(&j);
	free(j.p);
	turn_advance(index);
	run_actor(me, index + 1);
	_exit(0);
}
