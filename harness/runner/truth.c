// SPDX-License-Identifier: GPL-2.0
/*
 * Ground truth: every step appends one JSON object (one line) to
 * OUTDIR/steps.jsonl; at the end the controller wraps them in truth.json.
 */
#include "runner.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#ifndef SO_COOKIE
#define SO_COOKIE 57 /* asm-generic/socket.h, Linux >= 4.13 */
#endif

static void grow(struct jbuf *j, size_t more)
{
	if (j->len + more + 1 > j->cap) {
		j->cap = (j->len + more + 1) * 2;
		j->p = realloc(j->p, j->cap);
		if (!j->p)
			abort();
	}
}

static void put(struct jbuf *j, const char *s, size_t n)
{
	grow(j, n);
	memcpy(j->p + j->len, s, n);
	j->len += n;
	j->p[j->len] = 0;
}

static void puts_(struct jbuf *j, const char *s)
{
	put(j, s, strlen(s));
}

static void put_escaped(struct jbuf *j, const char *s)
{
	puts_(j, "\"");
	for (; *s; s++) {
		unsigned char c = *s;
		char tmp[8];

		if (c == '"' || c == '\\') {
			tmp[0] = '\\';
			tmp[1] = c;
			put(j, tmp, 2);
		} else if (c < 0x20) {
			snprintf(tmp, sizeof(tmp), "\\u%04x", c);
			puts_(j, tmp);
		} else {
			put(j, (const char *)&c, 1);
		}
	}
	puts_(j, "\"");
}

static void key(struct jbuf *j, const char *k)
{
	if (j->len > 1 && j->p[j->len - 1] != '{' && j->p[j->len - 1] != '[')
		puts_(j, ",");
	put_escaped(j, k);
	puts_(j, ":");
}

long long mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

long long real_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

pid_t my_tid(void)
{
	return syscall(SYS_gettid);
}

/*
 * Process and thread ids as the sensor reports them: /proc is the guest's
 * (mounted by the initial pid namespace), so /proc/self names the process
 * by its global pid also from inside a pid namespace, where getpid() gives
 * the namespace's own number.
 */
static int link_text(const char *path, char *buf, size_t len)
{
	ssize_t n = readlink(path, buf, len - 1);

	if (n <= 0)
		return -1;
	buf[n] = 0;
	return 0;
}

pid_t global_pid(void)
{
	char buf[64];

	return link_text("/proc/self", buf, sizeof(buf)) ? getpid() : (pid_t)atoi(buf);
}

pid_t global_tid(void)
{
	char buf[64], *t;

	if (link_text("/proc/thread-self", buf, sizeof(buf)) || !(t = strstr(buf, "/task/")))
		return my_tid();
	return atoi(t + 6);
}

/* The parent's global pid (getppid() is 0 for a pid namespace's first process). */
pid_t global_ppid(void)
{
	char buf[512], *p;
	int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return getppid();
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return getppid();
	buf[n] = 0;
	p = strrchr(buf, ')');
	/* ") S PPID ..." */
	return p && p[1] && p[2] && p[3] ? (pid_t)atoi(p + 4) : getppid();
}

unsigned long ns_ino(const char *which)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/thread-self/ns/%s", which);
	if (!stat(path, &st))
		return st.st_ino;
	snprintf(path, sizeof(path), "/proc/self/ns/%s", which);
	return stat(path, &st) ? 0 : st.st_ino;
}

unsigned long netns_ino(void)
{
	return ns_ino("net");
}

void j_open(struct jbuf *j, const struct step *st)
{
	long long mono = mono_ns(), real = real_us();
	pid_t pid = global_pid();

	if (R.exec_t0_mono) {
		/* an exec step began in the old image, before execve() */
		mono = R.exec_t0_mono;
		real = R.exec_t0_real;
		R.exec_t0_mono = R.exec_t0_real = 0;
	}
	j->len = 0;
	puts_(j, "{");
	j_int(j, "step", st->index);
	j_str(j, "actor", st->actor);
	j_str(j, "kind", st->kind);
	j_int(j, "pid", pid);
	j_int(j, "tid", global_tid());
	j_int(j, "ppid", global_ppid());
	if (getpid() != pid)
		j_int(j, "nspid", getpid()); /* the pid in its own pid namespace */
	j_int(j, "monoNs", mono);
	j_int(j, "realUs", real);
	j_int(j, "netns", netns_ino());
	j_int(j, "pidns", ns_ino("pid"));
}

void j_begin_list(struct jbuf *j, const char *k)
{
	key(j, k);
	puts_(j, "[");
}

void j_end_list(struct jbuf *j)
{
	puts_(j, "]");
}

void j_int_item(struct jbuf *j, long long v)
{
	char tmp[32];

	if (j->p[j->len - 1] != '[')
		puts_(j, ",");
	snprintf(tmp, sizeof(tmp), "%lld", v);
	puts_(j, tmp);
}

void j_obj_item_begin(struct jbuf *j)
{
	if (j->p[j->len - 1] != '[')
		puts_(j, ",");
	puts_(j, "{");
}

void j_obj_item_end(struct jbuf *j)
{
	puts_(j, "}");
}

void j_str(struct jbuf *j, const char *k, const char *val)
{
	key(j, k);
	put_escaped(j, val);
}

void j_int(struct jbuf *j, const char *k, long long v)
{
	char tmp[32];

	key(j, k);
	snprintf(tmp, sizeof(tmp), "%lld", v);
	puts_(j, tmp);
}

void j_raw(struct jbuf *j, const char *k, const char *json)
{
	key(j, k);
	puts_(j, json);
}

void j_strlist_begin(struct jbuf *j, const char *k)
{
	key(j, k);
	puts_(j, "[");
}

void j_strlist_item(struct jbuf *j, const char *val)
{
	if (j->p[j->len - 1] != '[')
		puts_(j, ",");
	put_escaped(j, val);
}

void j_strlist_end(struct jbuf *j)
{
	puts_(j, "]");
}

void addr_format(const struct sockaddr *sa, socklen_t len, char *out, size_t outlen)
{
	char a[INET6_ADDRSTRLEN];

	if (len >= sizeof(struct sockaddr_in) && sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)sa;

		inet_ntop(AF_INET, &in->sin_addr, a, sizeof(a));
		snprintf(out, outlen, "%s:%u", a, ntohs(in->sin_port));
	} else if (len >= sizeof(struct sockaddr_in6) && sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)sa;

		inet_ntop(AF_INET6, &in6->sin6_addr, a, sizeof(a));
		snprintf(out, outlen, "[%s]:%u", a, ntohs(in6->sin6_port));
	} else {
		snprintf(out, outlen, "%s", "");
	}
}

/* "key":{"cookie":"<16 hex>","ino":N,"family":F,"type":T,"proto":P,"local":"..","remote":".."} */
void j_socket(struct jbuf *j, const char *k, int fd)
{
	uint64_t cookie = 0;
	socklen_t l = sizeof(cookie);
	int v;
	struct stat st;
	struct sockaddr_storage ss;
	char tmp[128];

	key(j, k);
	puts_(j, "{");
	getsockopt(fd, SOL_SOCKET, SO_COOKIE, &cookie, &l);
	snprintf(tmp, sizeof(tmp), "%016llx", (unsigned long long)cookie);
	j_str(j, "cookie", tmp);
	j_int(j, "fd", fd);
	if ((v = fcntl(fd, F_GETFD)) >= 0 && (v & FD_CLOEXEC))
		j_raw(j, "cloexec", "true"); /* this descriptor goes away at exec */
	j_int(j, "ino", fstat(fd, &st) ? 0 : (long long)st.st_ino);
	l = sizeof(v);
	j_int(j, "family", getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &v, &l) ? -1 : v);
	l = sizeof(v);
	j_int(j, "type", getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &l) ? -1 : v);
	l = sizeof(v);
	j_int(j, "proto", getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &v, &l) ? -1 : v);
	l = sizeof(v);
	if (!getsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &v, &l) && v)
		j_raw(j, "reuseport", "true");
	l = sizeof(ss);
	if (!getsockname(fd, (struct sockaddr *)&ss, &l)) {
		addr_format((struct sockaddr *)&ss, l, tmp, sizeof(tmp));
		if (tmp[0])
			j_str(j, "local", tmp);
	}
	l = sizeof(ss);
	if (!getpeername(fd, (struct sockaddr *)&ss, &l)) {
		addr_format((struct sockaddr *)&ss, l, tmp, sizeof(tmp));
		if (tmp[0])
			j_str(j, "remote", tmp);
	}
	puts_(j, "}");
}

void j_close_write(struct jbuf *j)
{
	/* the step's syscalls are done: its effects on the sensor lie in [monoNs, endMonoNs] */
	j_int(j, "endMonoNs", mono_ns());
	puts_(j, "}\n");
	if (write(R.steps_fd, j->p, j->len) != (ssize_t)j->len)
		fail_step(NULL, "cannot write %s/steps.jsonl: %m", R.outdir);
}

/* An exit step's record gets the time the controller saw the process gone (its exit's upper bound). */
static void put_step_line(FILE *out, char *line, ssize_t n)
{
	int step = -1;

	if (sscanf(line, "{\"step\":%d", &step) == 1 && n > 1 && line[n - 1] == '}') {
		for (int i = 0; i < R.sh->nexits && i < MAX_EXITS; i++) {
			const struct exit_watch *e = &R.sh->exits[i];

			if (e->step != step || !e->gone_ns)
				continue;
			line[n - 1] = 0;
			fprintf(out, "%s,\"goneMonoNs\":%lld}", line, e->gone_ns);
			return;
		}
	}
	fputs(line, out);
}

/* Wrap steps.jsonl into truth.json. */
int truth_write(int ok, const char *error, int fail_step_index, long long settled_ns, long long capture_stop_ns)
{
	char path[4200], tmp[4300];
	struct jbuf j = { 0 };
	struct utsname u;
	FILE *in, *out;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int first = 1;
	struct timespec m, r;

	snprintf(path, sizeof(path), "%s/steps.jsonl", R.outdir);
	in = fopen(path, "r");
	snprintf(tmp, sizeof(tmp), "%s/truth.json.tmp", R.outdir);
	out = fopen(tmp, "w");
	if (!out) {
		if (in)
			fclose(in);
		return -1;
	}
	clock_gettime(CLOCK_MONOTONIC, &m);
	clock_gettime(CLOCK_REALTIME, &r);
	uname(&u);
	puts_(&j, "{");
	j_int(&j, "version", 1);
	j_str(&j, "scenario", R.script.scenario);
	j_str(&j, "runId", R.sh->run_id);
	j_raw(&j, "ok", ok ? "true" : "false");
	if (error)
		j_str(&j, "error", error);
	if (fail_step_index >= 0)
		j_int(&j, "failedStep", fail_step_index);
	j_int(&j, "runnerPid", getpid());
	j_str(&j, "runnerExe", R.self_exe);
	j_str(&j, "kernel", u.release);
	j_raw(&j, "capture", R.capture ? "true" : "false");
	j_int(&j, "captureStartStep", R.script.capture_start_step);
	j_int(&j, "realMinusMonoUs", (r.tv_sec - m.tv_sec) * 1000000LL + (r.tv_nsec - m.tv_nsec) / 1000);
	j_int(&j, "stepCount", R.script.nsteps);
	if (settled_ns)
		j_int(&j, "settledMonoNs", settled_ns);
	if (capture_stop_ns)
		j_int(&j, "captureStopMonoNs", capture_stop_ns);
	key(&j, "steps");
	fputs(j.p, out);
	fputs("[\n", out);
	while (in && (n = getline(&line, &cap, in)) > 0) {
		if (line[n - 1] == '\n')
			line[--n] = 0;
		if (!first)
			fputs(",\n", out);
		put_step_line(out, line, n);
		first = 0;
	}
	fputs("\n]}\n", out);
	free(line);
	free(j.p);
	if (in)
		fclose(in);
	if (fclose(out))
		return -1;
	snprintf(path, sizeof(path), "%s/truth.json", R.outdir);
	return rename(tmp, path);
}
