// SPDX-License-Identifier: GPL-2.0
/*
 * The data steps: send, sendto, recv, recvfrom. Every payload begins with
 * a tag naming the run and the step, "<HT:rrrrrrrr:ssssss>", then filler;
 * a read records every tag it found, so the truth says whose bytes each
 * read consumed.
 */
#include "runner.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

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
	j_begin_list(j, "tags");
	for (size_t i = 0; i + TAG_LEN <= len; i++) {
		char tag[TAG_LEN + 1];

		if (memcmp(buf + i, "<HT:", 4) || buf[i + 12] != ':' || buf[i + 19] != '>')
			continue;
		memcpy(tag, buf + i, TAG_LEN);
		tag[TAG_LEN] = 0;
		j_str_item(j, tag);
		i += TAG_LEN - 1;
	}
	j_end_list(j);
}

static int sock_int(int fd, int opt)
{
	int v = 0;
	socklen_t l = sizeof(v);

	getsockopt(fd, SOL_SOCKET, opt, &v, &l);
	return v;
}

/*
 * send via=sendfile: the payload goes to an unlinked temporary file in
 * OUTDIR, then sendfile() sends it whole to the socket (before 6.5 the
 * kernel takes do_tcp_sendpages, later tcp_sendmsg with MSG_SPLICE_PAGES).
 */
static void send_file(const struct step *st, int fd, const char *data, size_t size)
{
	char path[4200];
	size_t put = 0, done = 0;
	off_t off = 0;
	int ffd;

	if (sock_int(fd, SO_TYPE) != SOCK_STREAM)
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

/* A ping socket: the runner writes the ICMP echo header, the kernel fixes id and checksum. */
static char *echo_request(const struct step *st, int proto, const char *data, size_t size)
{
	char *buf = calloc(1, size + 8);

	if (!buf)
		fail_step(st, "out of memory");
	buf[0] = proto == IPPROTO_ICMP ? 8 : (char)128;
	buf[6] = (st->index >> 8) & 0xff;
	buf[7] = st->index & 0xff;
	memcpy(buf + 8, data, size);
	return buf;
}

/* send() or sendto() until all is sent (one call for a datagram). */
static void send_all(const struct step *st, int fd, const char *buf, size_t len, int flags,
		     const struct sockaddr_storage *to, socklen_t tolen)
{
	int stream = sock_int(fd, SO_TYPE) == SOCK_STREAM;
	size_t done = 0;

	while (done < len) {
		const struct sockaddr *sa = (const struct sockaddr *)to;
		ssize_t n = to ? sendto(fd, buf + done, len - done, flags, sa, tolen) :
				 send(fd, buf + done, len - done, flags);

		if (n < 0)
			fail_step(st, "%s: %m", to ? "sendto" : "send");
		done += n;
		if (!stream)
			break;
	}
}

/* The bytes of a send step (the tag, its reuseport digit), sent; the record's common fields. */
static void send_payload(const struct step *st, struct jbuf *j, int fd, const struct bound *b,
			 const struct sockaddr_storage *to, socklen_t tolen)
{
	size_t size = size_arg(st);
	char tag[TAG_LEN + 1];
	char *data = payload(st, size, tag), *buf = data;
	int proto = sock_int(fd, SO_PROTOCOL), type = sock_int(fd, SO_TYPE);
	int more = bool_arg(st, "more");
	size_t len = size;

	if (b && b->reuseport && size > TAG_LEN && b->group_index < 10)
		data[TAG_LEN] = '0' + b->group_index; /* steer_reuseport() reads it */
	if (type == SOCK_DGRAM && (proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6)) {
		buf = echo_request(st, proto, data, size);
		len += 8;
	}
	if (!to && step_arg(st, "via"))
		send_file(st, fd, data, size);
	else
		send_all(st, fd, buf, len, MSG_NOSIGNAL | (more ? MSG_MORE : 0), to, tolen);
	if (to) {
		char a[128];

		addr_format((const struct sockaddr *)to, tolen, a, sizeof(a));
		j_str(j, "to", a);
		bound_set(need_arg(st, "sock"), fd); /* autobind gave it an address */
	}
	j_socket(j, "socket", fd);
	j_int(j, "bytes", size);
	j_str(j, "tag", tag);
	if (more)
		j_raw(j, "more", "true"); /* a stream socket holds them until a send without it */
	if (buf != data)
		free(buf);
	free(data);
}

void step_send(const struct step *st, struct jbuf *j)
{
	send_payload(st, j, need_fd(st, "sock"), NULL, NULL, 0);
}

void step_sendto(const struct step *st, struct jbuf *j)
{
	int fd = need_fd(st, "sock");
	const char *to = step_arg(st, "to");
	const struct bound *b = to ? bound_find(to) : NULL;
	struct sockaddr_storage ss;
	socklen_t sl = target(st, &ss);

	j_to_cookie(j, b);
	send_payload(st, j, fd, b, &ss, sl);
}

/* The record of a read: the socket, the bytes, each call's share, the tags. */
static void j_reads(struct jbuf *j, int fd, const char *buf, size_t got, const long long *reads,
		    int nreads)
{
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
}

/*
 * recv via=splice: splice() from the socket into a pipe, read() the pipe;
 * until `size` bytes. Returns the splice() calls.
 */
static int recv_splice(const struct step *st, int fd, char *buf, size_t size, long long *reads)
{
	size_t got = 0;
	int p[2], nreads = 0;

	if (sock_int(fd, SO_TYPE) != SOCK_STREAM)
		fail_step(st, "via=splice needs a stream socket");
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

/* A stream: recv() exactly `size` bytes. Returns the recv() calls. */
static int recv_stream(const struct step *st, int fd, char *buf, size_t size, long long *reads)
{
	size_t got = 0;
	int nreads = 0;

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
	return nreads;
}

static char *recv_buffer(const struct step *st, size_t *cap)
{
	size_t size = size_arg(st);
	char *buf;

	*cap = size + 128 > 65600 ? size + 128 : 65600;
	buf = malloc(*cap);
	if (!buf)
		fail_step(st, "out of memory");
	return buf;
}

/* One datagram; recvfrom records its source. */
static size_t recv_datagram(const struct step *st, struct jbuf *j, int fd, char *buf, size_t cap,
			    int with_from)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	ssize_t n = recvfrom(fd, buf, cap, 0, (struct sockaddr *)&ss, &sl);
	char a[128];

	if (n < 0)
		fail_step(st, "%s: %m", with_from ? "recvfrom" : "recv");
	if (with_from) {
		addr_format((struct sockaddr *)&ss, sl, a, sizeof(a));
		j_str(j, "from", a);
	}
	return n;
}

void step_recv(const struct step *st, struct jbuf *j)
{
	int fd = need_fd(st, "sock");
	size_t size = size_arg(st), cap, got = size;
	char *buf = recv_buffer(st, &cap);
	long long reads[MAX_READS];
	int nreads = 1;

	if (step_arg(st, "via"))
		nreads = recv_splice(st, fd, buf, size, reads);
	else if (sock_int(fd, SO_TYPE) == SOCK_STREAM)
		nreads = recv_stream(st, fd, buf, size, reads);
	else
		reads[0] = got = recv_datagram(st, j, fd, buf, cap, 0);
	j_reads(j, fd, buf, got, reads, nreads);
	free(buf);
}

void step_recvfrom(const struct step *st, struct jbuf *j)
{
	int fd = need_fd(st, "sock");
	size_t size = size_arg(st), cap, got = size;
	char *buf = recv_buffer(st, &cap);
	long long reads[MAX_READS];
	int nreads = 1;

	if (sock_int(fd, SO_TYPE) == SOCK_STREAM)
		nreads = recv_stream(st, fd, buf, size, reads);
	else
		reads[0] = got = recv_datagram(st, j, fd, buf, cap, 1);
	j_reads(j, fd, buf, got, reads, nreads);
	free(buf);
}
