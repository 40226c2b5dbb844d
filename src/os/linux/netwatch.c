/* The host's network through rtnetlink, for mesh mode (see netwatch.h). */
#include "os/linux/netwatch.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <linux/rtnetlink.h>

static int nl_socket(unsigned groups, int flags)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = groups };
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | flags, NETLINK_ROUTE), err;

	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

int netwatch_open(struct netwatch *w)
{
	struct timeval tv = { .tv_sec = 1 };
	int err;

	w->seq = 1;
	w->mon_fd = nl_socket(RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR |
				      RTMGRP_IPV4_ROUTE | RTMGRP_IPV6_ROUTE,
			      SOCK_NONBLOCK);
	if (w->mon_fd < 0)
		return w->mon_fd;
	w->query_fd = nl_socket(0, 0);
	if (w->query_fd < 0) {
		err = w->query_fd;
		goto close_mon;
	}
	if (setsockopt(w->query_fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0) {
		err = -errno;
		close(w->query_fd);
		goto close_mon;
	}
	return 0;
close_mon:
	close(w->mon_fd);
	w->mon_fd = w->query_fd = -1;
	return err;
}

void netwatch_close(struct netwatch *w)
{
	if (w->mon_fd >= 0)
		close(w->mon_fd);
	if (w->query_fd >= 0)
		close(w->query_fd);
	w->mon_fd = w->query_fd = -1;
}

int netwatch_drain(struct netwatch *w, int skip_ifindex, unsigned *kinds)
{
	int changes = 0;

	for (int i = 0; i < NETWATCH_DRAIN_MAX; i++) {
		ssize_t got = recv(w->mon_fd, w->buf, sizeof(w->buf), MSG_DONTWAIT);
		struct rtnl_walk walk;
		const struct nlmsghdr *msg;

		if (got < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS) { /* events were lost: something changed */
				changes++;
				*kinds |= NETWATCH_LINK_ROUTE;
				continue;
			}
			return errno == EAGAIN ? changes : -errno;
		}
		rtnl_walk_init(&walk, w->buf, (size_t)got);
		while (rtnl_next(&walk, &msg) == 1) {
			if (!rtnl_is_change(msg, skip_ifindex))
				continue;
			changes++;
			*kinds |= msg->nlmsg_type == RTM_NEWADDR || msg->nlmsg_type == RTM_DELADDR
					  ? NETWATCH_ADDR
					  : NETWATCH_LINK_ROUTE;
		}
	}
	return changes;
}

/* One dump: each message handed to take; 0 at NLMSG_DONE, or -errno. */
static int dump(struct netwatch *w, uint16_t type, struct netwatch_scan *s)
{
	uint8_t req[RTNL_REQ_MAX];
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	uint32_t seq = w->seq++;
	size_t n = rtnl_dump_any(req, sizeof(req), seq, type);

	if (n == 0)
		return -EINVAL;
	if (sendto(w->query_fd, req, n, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
		return -errno;
	for (;;) {
		ssize_t got = recv(w->query_fd, w->buf, sizeof(w->buf), 0);
		struct rtnl_walk walk;
		const struct nlmsghdr *msg;
		int rc;

		if (got < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		rtnl_walk_init(&walk, w->buf, (size_t)got);
		while ((rc = rtnl_next(&walk, &msg)) == 1) {
			if (msg->nlmsg_seq != seq)
				continue; /* a reply to an older dump that timed out */
			if (msg->nlmsg_type == NLMSG_DONE)
				return 0;
			if (msg->nlmsg_type == NLMSG_ERROR) {
				rc = rtnl_error(msg, NULL, 0);
				return rc < 0 ? rc : -EIO;
			}
			if (type == RTM_GETLINK && s->n_ifs < NETWATCH_IFS_MAX &&
			    rtnl_parse_link(msg, &s->ifs[s->n_ifs]))
				s->n_ifs++;
			else if (type == RTM_GETADDR && s->n_addrs < NETWATCH_ADDRS_MAX &&
				 rtnl_parse_ifaddr(msg, &s->addrs[s->n_addrs]) &&
				 netwatch_link(s, s->addrs[s->n_addrs].ifindex) != NULL)
				s->n_addrs++;
		}
		if (rc < 0)
			return rc;
	}
}

int netwatch_scan(struct netwatch *w, struct netwatch_scan *s)
{
	int err;

	s->n_ifs = s->n_addrs = 0;
	err = dump(w, RTM_GETLINK, s);
	return err < 0 ? err : dump(w, RTM_GETADDR, s);
}

const struct rtnl_link *netwatch_link(const struct netwatch_scan *s, int ifindex)
{
	for (size_t i = 0; i < s->n_ifs; i++)
		if (s->ifs[i].ifindex == ifindex)
			return &s->ifs[i];
	return NULL;
}
