// SPDX-License-Identifier: GPL-2.0
/*
 * The veth step: a pair of virtual Ethernet devices between two network
 * namespaces, so that two scenario processes (each after its own netns
 * step) talk over a real device instead of loopback.
 *
 *   veth peer=ACTOR addr=A.B.C.D peerAddr=A.B.C.E
 *
 * The actor creates hv<step>a in its own namespace and hv<step>b in the
 * peer process's (RTM_NEWLINK, kind veth, IFLA_NET_NS_PID), gives both a
 * /24 address and brings them up (SIOCSIFADDR, SIOCSIFNETMASK,
 * SIOCSIFFLAGS), the peer's side from inside the peer's namespace
 * (setns, then back). The two helper sockets of those ioctls are recorded
 * (helper, peerHelper): they are the runner's, never the scenario's.
 */
#include "runner.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

/* A netlink request: header and attributes in one buffer. */
union nlreq {
	struct nlmsghdr n;
	char buf[1024];
};

static struct rtattr *attr_put(union nlreq *r, int type, const void *data, int len)
{
	struct nlmsghdr *n = &r->n;
	struct rtattr *a = (struct rtattr *)(r->buf + NLMSG_ALIGN(n->nlmsg_len));

	a->rta_type = type;
	a->rta_len = RTA_LENGTH(len);
	if (len)
		memcpy(RTA_DATA(a), data, len);
	n->nlmsg_len = NLMSG_ALIGN(n->nlmsg_len) + RTA_ALIGN(a->rta_len);
	return a;
}

static void nest_end(union nlreq *r, struct rtattr *nest)
{
	nest->rta_len = r->buf + r->n.nlmsg_len - (char *)nest;
}

static void veth_create(const struct step *st, const char *name, const char *peer_name, pid_t peer_pid)
{
	union nlreq req;
	struct ifinfomsg *ifi;
	struct rtattr *info, *data, *peer;
	struct ifinfomsg peer_info;
	char reply[1024];
	uint32_t pid = peer_pid;
	ssize_t n;
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);

	if (fd < 0)
		fail_step(st, "netlink socket: %m");
	memset(&req, 0, sizeof(req));
	memset(&peer_info, 0, sizeof(peer_info));
	req.n.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg));
	req.n.nlmsg_type = RTM_NEWLINK;
	req.n.nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK;
	ifi = NLMSG_DATA(&req.n);
	ifi->ifi_family = AF_UNSPEC;
	attr_put(&req, IFLA_IFNAME, name, strlen(name) + 1);
	info = attr_put(&req, IFLA_LINKINFO, NULL, 0);
	attr_put(&req, IFLA_INFO_KIND, "veth", 4);
	data = attr_put(&req, IFLA_INFO_DATA, NULL, 0);
	peer = attr_put(&req, VETH_INFO_PEER, &peer_info, sizeof(peer_info));
	attr_put(&req, IFLA_IFNAME, peer_name, strlen(peer_name) + 1);
	attr_put(&req, IFLA_NET_NS_PID, &pid, sizeof(pid));
	nest_end(&req, peer);
	nest_end(&req, data);
	nest_end(&req, info);
	if (send(fd, &req, req.n.nlmsg_len, 0) != (ssize_t)req.n.nlmsg_len)
		fail_step(st, "RTM_NEWLINK veth: send: %m");
	n = recv(fd, reply, sizeof(reply), 0);
	close(fd);
	if (n < (ssize_t)NLMSG_LENGTH(sizeof(struct nlmsgerr)))
		fail_step(st, "RTM_NEWLINK veth: no answer");
	if (((struct nlmsghdr *)reply)->nlmsg_type == NLMSG_ERROR) {
		int e = -((struct nlmsgerr *)NLMSG_DATA(reply))->error;

		if (e) {
			errno = e;
			fail_step(st, "RTM_NEWLINK veth %s/%s: %m%s", name, peer_name,
				  e == EOPNOTSUPP ? " (is the veth module loaded?)" : "");
		}
	}
}

/* IPv4 address /24 and up, in the calling thread's namespace; the helper socket is recorded under `key`. */
static void if_up(const struct step *st, struct jbuf *j, const char *key, const char *ifname, const char *addr)
{
	struct ifreq ifr;
	struct sockaddr_in *in = (struct sockaddr_in *)&ifr.ifr_addr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		fail_step(st, "socket for the %s ioctls: %m", ifname);
	j_socket(j, key, fd);
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	in->sin_family = AF_INET;
	if (inet_pton(AF_INET, addr, &in->sin_addr) != 1)
		fail_step(st, "bad IPv4 address \"%s\"", addr);
	if (ioctl(fd, SIOCSIFADDR, &ifr))
		fail_step(st, "SIOCSIFADDR %s %s: %m", ifname, addr);
	inet_pton(AF_INET, "255.255.255.0", &in->sin_addr);
	if (ioctl(fd, SIOCSIFNETMASK, &ifr))
		fail_step(st, "SIOCSIFNETMASK %s: %m", ifname);
	if (ioctl(fd, SIOCGIFFLAGS, &ifr))
		fail_step(st, "SIOCGIFFLAGS %s: %m", ifname);
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr))
		fail_step(st, "SIOCSIFFLAGS %s up: %m", ifname);
	close(fd);
}

void step_veth(const struct step *st, struct jbuf *j)
{
	const char *peer = step_arg(st, "peer"), *addr = step_arg(st, "addr"), *peer_addr = step_arg(st, "peerAddr");
	char name[IFNAMSIZ], peer_name[IFNAMSIZ], path[64];
	pid_t peer_pid;
	int self, other;

	if (!peer || !addr || !peer_addr)
		fail_step(st, "veth needs peer=, addr= and peerAddr=");
	peer_pid = actor_pid(peer);
	if (peer_pid <= 0)
		fail_step(st, "veth: no process for actor \"%s\"", peer);
	snprintf(name, sizeof(name), "hv%da", st->index);
	snprintf(peer_name, sizeof(peer_name), "hv%db", st->index);
	j_str(j, "peer", peer);
	j_int(j, "peerPid", peer_pid);
	j_str(j, "ifname", name);
	j_str(j, "peerIfname", peer_name);
	j_str(j, "addr", addr);
	j_str(j, "peerAddr", peer_addr);
	veth_create(st, name, peer_name, peer_pid);
	if_up(st, j, "helper", name, addr);
	self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	snprintf(path, sizeof(path), "/proc/%d/ns/net", peer_pid);
	other = open(path, O_RDONLY | O_CLOEXEC);
	if (self < 0 || other < 0)
		fail_step(st, "veth: open the network namespaces: %m");
	if (setns(other, CLONE_NEWNET))
		fail_step(st, "setns into %s's network namespace: %m", peer);
	j_int(j, "peerNetns", netns_ino());
	if_up(st, j, "peerHelper", peer_name, peer_addr);
	if (setns(self, CLONE_NEWNET))
		fail_step(st, "setns back: %m");
	close(self);
	close(other);
}
