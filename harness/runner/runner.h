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

/* The step kinds a script may name; script.c parses a kind once into one. */
enum step_kind {
	STEP_FORK,
	STEP_THREAD,
	STEP_EXEC,
	STEP_EXIT,
	STEP_SOCKET,
	STEP_SOCKETPAIR,
	STEP_BIND,
	STEP_LISTEN,
	STEP_CONNECT,
	STEP_ACCEPT,
	STEP_SEND,
	STEP_SENDTO,
	STEP_RECV,
	STEP_RECVFROM,
	STEP_SHUTDOWN,
	STEP_CLOSE,
	STEP_DUP,
	STEP_SENDFD,
	STEP_RECVFD,
	STEP_NETNS,
	STEP_PIDNS,
	STEP_VETH,
	STEP_SLEEP,
	STEP_CAPTURE_START,
	STEP_NKINDS
};

struct step {
	int index;
	enum step_kind kind;
	char actor[MAX_NAME];
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

struct jbuf {
	char *p;
	size_t len, cap;
};

/* script.c: the script, parsed once; a step's arguments */
int script_load(struct script *s, const char *path, char *err, size_t errlen);
const char *step_kind_name(enum step_kind kind);
const char *step_arg(const struct step *st, const char *key);
const char *need_arg(const struct step *st, const char *key);
int bool_arg(const struct step *st, const char *key);
size_t size_arg(const struct step *st);

/* sync.c: lockstep and failure */
int shared_open(const char *outdir, int create);
void sync_on_controller_failure(void (*leave)(void));
void turn_wait(int index);
void turn_advance(int index);
void fail_step(const struct step *st, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));

/* registry.c: the run's processes, their liveness, the exit watcher */
void register_pid(pid_t pid);
void register_actor(const char *name, pid_t pid);
pid_t actor_pid(const char *name);
int process_running(pid_t pid);
void watch_exit(int step, pid_t pid);
int exit_watcher_start(void);
void exit_watcher_stop(void);

/* controller.c: the controller's setup and its end (capture stopped, truth written) */
void ping_allow(void);
int reap_actors(int *killed_by_signal);
void controller_finish(void) __attribute__((noreturn));

/* actor.c */
void run_actor(const char *me, int from);
void actor_resume(const char *me, int step_index);

/* steps.c: one step, dispatched on its kind */
void do_step(const struct step *st);

/* handles.c */
int handle_fd(const char *name);
void handle_add(const struct step *st, const char *name, int fd);
void handle_del(const char *name);
int need_fd(const struct step *st, const char *key);

/* addr.c: addresses, the table of bound handles, SO_REUSEPORT steering */
void addr_format(const struct sockaddr *sa, socklen_t len, char *out, size_t outlen);
struct bound *bound_set(const char *name, int fd);
const struct bound *bound_find(const char *name);
socklen_t target(const struct step *st, struct sockaddr_storage *ss);
void steer_reuseport(const struct step *st, int fd);
void j_to_cookie(struct jbuf *j, const struct bound *b);

/* the steps, one function per kind (steps.c dispatches) */
typedef void step_fn(const struct step *st, struct jbuf *j);
step_fn step_fork, step_thread, step_exec, step_exit;			/* process.c */
step_fn step_socket, step_socketpair, step_bind, step_listen;		/* sock.c */
step_fn step_connect, step_accept, step_shutdown, step_close, step_dup;
step_fn step_send, step_sendto, step_recv, step_recvfrom;		/* data.c */
step_fn step_sendfd, step_recvfd;					/* fdpass.c */
step_fn step_netns, step_pidns;						/* ns.c */
step_fn step_veth;							/* netdev.c */

/* capture.c */
int capture_start(char *err, size_t errlen);
int capture_stop(char *err, size_t errlen);

/* jbuf.c: a growing JSON text */
void j_put(struct jbuf *j, const char *s);
void j_key(struct jbuf *j, const char *key);
void j_str(struct jbuf *j, const char *key, const char *val);
void j_int(struct jbuf *j, const char *key, long long v);
void j_raw(struct jbuf *j, const char *key, const char *json);
void j_begin_list(struct jbuf *j, const char *key);
void j_end_list(struct jbuf *j);
void j_int_item(struct jbuf *j, long long v);
void j_str_item(struct jbuf *j, const char *val);
void j_obj_item_begin(struct jbuf *j);
void j_obj_item_end(struct jbuf *j);

/* clock.c */
long long mono_ns(void);
long long real_us(void);

/* ids.c: process, thread and namespace ids as the sensor sees them */
pid_t my_tid(void);
pid_t global_pid(void);
pid_t global_tid(void);
pid_t global_ppid(void);
unsigned long netns_ino(void);
unsigned long ns_ino(const char *which);

/* record.c: a step's truth record, one line of steps.jsonl */
void j_open(struct jbuf *j, const struct step *st);
void j_socket(struct jbuf *j, const char *key, int fd);
void j_close_write(struct jbuf *j);

/* truth.c */
int truth_write(int ok, const char *error, int fail_step_index, long long settled_ns,
		long long capture_stop_ns);

#endif
