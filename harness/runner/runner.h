/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hone-runner: performs a compiled scenario with real syscalls and writes
 * the ground truth. See README.md in this folder for the script and
 * truth.json formats.
 */
#ifndef HONE_RUNNER_H
#define HONE_RUNNER_H

#define _GNU_SOURCE
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#define MAX_NAME	32
#define MAX_ARGS	8
#define MAX_VAL		64
#define MAX_BOUND	256
#define MAX_PIDS	1024
#define MAX_HANDLES	256
#define TAG_LEN		20
#define TURN_TIMEOUT_MS	30000
#define MAX_EXITS	1024
#define MAX_READS	64

struct kv {
	char key[16];
	char val[MAX_VAL];
};

struct step {
	int index;
	char actor[MAX_NAME];
	char kind[16];
	int nargs;
	struct kv args[MAX_ARGS];
};

struct script {
	char path[4096];
	char scenario[MAX_VAL];
	int nsteps;
	struct step *steps;
	int capture_start_step;	/* -1: capture starts before step 0 */
	int uses_ping;
};

/* Address a handle is bound to, so that other processes can reach it. */
struct bound {
	char name[MAX_NAME];
	struct sockaddr_storage ss;
	socklen_t len;
	uint64_t cookie;
	int reuseport;		/* SO_REUSEPORT: member of a group on its port */
	int group_index;	/* its index in that group (the order it was bound in) */
};

/* An exit step: the exiting process and when the controller saw it gone. */
struct exit_watch {
	int step;
	pid_t pid;
	long long gone_ns;	/* CLOCK_MONOTONIC; 0 while it runs */
};

/* Shared by every process of the run: a file mapping in OUTDIR. */
struct shared {
	int turn;		/* index of the step whose turn it is (futex word) */
	int failed;
	int fail_step;
	char failmsg[1024];
	char run_id[16];
	int nbound;
	struct bound bound[MAX_BOUND];
	int npids;
	int pids[MAX_PIDS];
	/* actor -> process id (global), for steps that name another process */
	int nactors;
	struct {
		char name[MAX_NAME];
		pid_t pid;
	} actors[MAX_PIDS];
	/* a fork inside a pid namespace: the child reports its global pid here */
	pid_t fork_gpid;
	int nexits;
	struct exit_watch exits[MAX_EXITS];
};

struct handle {
	char name[MAX_NAME];
	int fd;
};

/* Process-wide state of the runner (copied on fork, rebuilt after exec). */
struct runner {
	struct script script;
	char outdir[4096];
	char self_exe[4096];
	struct shared *sh;
	int steps_fd;		/* OUTDIR/steps.jsonl, O_APPEND */
	int nhandles;
	struct handle handles[MAX_HANDLES];
	int capture;		/* readers wanted */
	pid_t controller;	/* pid of `hone-runner run` */
	/* exec: the step began in the old image (CLOCK_MONOTONIC ns, CLOCK_REALTIME us) */
	long long exec_t0_mono, exec_t0_real;
};

extern struct runner R;

/* script.c */
int script_load(struct script *s, const char *path, char *err, size_t errlen);
const char *step_arg(const struct step *st, const char *key);

/* sync.c */
int shared_open(const char *outdir, int create);
void turn_wait(int index);
void turn_advance(int index);
void fail_step(const struct step *st, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));
void register_pid(pid_t pid);
void register_actor(const char *name, pid_t pid);
pid_t actor_pid(const char *name);
int process_running(pid_t pid);
void watch_exit(int step, pid_t pid);
int exit_watcher_start(void);
void exit_watcher_stop(void);

/* actor.c */
void run_actor(const char *me, int from);
void actor_resume(const char *me, int step_index);
int handle_fd(const char *name);

/* main.c: the controller's way out after a failure (stops capture, writes truth.json) */
void controller_finish(void) __attribute__((noreturn));

/* capture.c */
int capture_start(char *err, size_t errlen);
int capture_stop(char *err, size_t errlen);

/* truth.c */
struct jbuf {
	char *p;
	size_t len, cap;
};
void j_open(struct jbuf *j, const struct step *st);
void j_str(struct jbuf *j, const char *key, const char *val);
void j_int(struct jbuf *j, const char *key, long long v);
void j_raw(struct jbuf *j, const char *key, const char *json);
void j_strlist_begin(struct jbuf *j, const char *key);
void j_strlist_item(struct jbuf *j, const char *val);
void j_strlist_end(struct jbuf *j);
void j_socket(struct jbuf *j, const char *key, int fd);
void j_close_write(struct jbuf *j);
void addr_format(const struct sockaddr *sa, socklen_t len, char *out, size_t outlen);
long long mono_ns(void);
long long real_us(void);
pid_t my_tid(void);
pid_t global_pid(void);
pid_t global_tid(void);
pid_t global_ppid(void);
unsigned long netns_ino(void);
unsigned long ns_ino(const char *which);
void j_begin_list(struct jbuf *j, const char *key);
void j_end_list(struct jbuf *j);
void j_int_item(struct jbuf *j, long long v);
void j_obj_item_begin(struct jbuf *j);
void j_obj_item_end(struct jbuf *j);
int truth_write(int ok, const char *error, int fail_step_index, long long settled_ns, long long capture_stop_ns);

/* netdev.c */
void veth_step(const struct step *st, struct jbuf *j);

#endif
