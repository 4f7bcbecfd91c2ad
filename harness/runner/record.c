// SPDX-License-Identifier: GPL-2.0
/*
 * A step's truth record: one JSON object on one line of OUTDIR/steps.jsonl,
 * opened with who ran the step and when, closed with when its system calls
 * were done, and appended with one write() (O_APPEND: records of
 * concurrent processes never interleave).
 */
#include "runner.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef SO_COOKIE
#define SO_COOKIE 57 /* asm-generic/socket.h, Linux >= 4.13 */
#endif

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
	j_put(j, "{");
	j_int(j, "step", st->index);
	j_str(j, "actor", st->actor);
	j_str(j, "kind", step_kind_name(st->kind));
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

/* SOL_SOCKET option as an int, -1 if the socket has none. */
static int sockopt_int(int fd, int opt)
{
	int v;
	socklen_t l = sizeof(v);

	return getsockopt(fd, SOL_SOCKET, opt, &v, &l) ? -1 : v;
}

typedef int name_fn(int fd, struct sockaddr *sa, socklen_t *len);

static void j_addr(struct jbuf *j, const char *k, int fd, name_fn *get)
{
	struct sockaddr_storage ss;
	socklen_t l = sizeof(ss);
	char tmp[128];

	if (get(fd, (struct sockaddr *)&ss, &l))
		return;
	addr_format((struct sockaddr *)&ss, l, tmp, sizeof(tmp));
	if (tmp[0])
		j_str(j, k, tmp);
}

/*
 * "key":{"cookie":"<16 hex>","fd":N,"ino":N,"family":F,"type":T,"proto":P,
 *        "local":"..","remote":".."}
 */
void j_socket(struct jbuf *j, const char *k, int fd)
{
	uint64_t cookie = 0;
	socklen_t l = sizeof(cookie);
	struct stat st;
	char tmp[32];
	int v;

	j_key(j, k);
	j_put(j, "{");
	getsockopt(fd, SOL_SOCKET, SO_COOKIE, &cookie, &l);
	snprintf(tmp, sizeof(tmp), "%016llx", (unsigned long long)cookie);
	j_str(j, "cookie", tmp);
	j_int(j, "fd", fd);
	v = fcntl(fd, F_GETFD);
	if (v >= 0 && (v & FD_CLOEXEC))
		j_raw(j, "cloexec", "true"); /* this descriptor goes away at exec */
	j_int(j, "ino", fstat(fd, &st) ? 0 : (long long)st.st_ino);
	j_int(j, "family", sockopt_int(fd, SO_DOMAIN));
	j_int(j, "type", sockopt_int(fd, SO_TYPE));
	j_int(j, "proto", sockopt_int(fd, SO_PROTOCOL));
	if (sockopt_int(fd, SO_REUSEPORT) > 0)
		j_raw(j, "reuseport", "true");
	j_addr(j, "local", fd, getsockname);
	j_addr(j, "remote", fd, getpeername);
	j_put(j, "}");
}

void j_close_write(struct jbuf *j)
{
	/* the step's syscalls are done: its effects on the sensor lie in [monoNs, endMonoNs] */
	j_int(j, "endMonoNs", mono_ns());
	j_put(j, "}\n");
	if (write(R.steps_fd, j->p, j->len) != (ssize_t)j->len)
		fail_step(NULL, "cannot write %s/steps.jsonl: %m", R.outdir);
}
