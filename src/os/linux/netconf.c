/*
 * rtnetlink I/O (see netconf.h): one request and its acknowledgement at a
 * time, and dumps read to NLMSG_DONE.  Replies are accepted only from the
 * kernel (port id 0) with the sequence number of the request in flight.
 */
#include "os/linux/netconf.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdalign.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "core/rtnl.h"

#ifndef NETLINK_CAP_ACK
#define NETLINK_CAP_ACK 10
#endif
#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif

enum {
	RECV_BUF = 32768,  /* a dump datagram is at most 32 KiB */
	DUMP_TRIES = 3,    /* a dump interrupted by a change is read again */
	WHY_MAX = 160,
};

int netconf_open(struct netconf *nc)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	int one = 1;

	nc->seq = 1;
	nc->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (nc->fd < 0)
		return -errno;
	if (bind(nc->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int err = -errno;

		netconf_close(nc);
		return err;
	}
	/* The kernel's reason in text ("Nexthop device is not up"); optional. */
	(void)setsockopt(nc->fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	(void)setsockopt(nc->fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	return 0;
}

void netconf_close(struct netconf *nc)
{
	if (nc->fd >= 0)
		close(nc->fd);
	nc->fd = -1;
}

/* The loop of tun_write around sendto: EINTR again, a short send is an error. */
static int send_msg(struct netconf *nc, const void *msg, size_t len)
{
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };

	for (;;) {
		ssize_t n = sendto(nc->fd, msg, len, 0, (struct sockaddr *)&kernel,
				   sizeof(kernel));

		if (n == (ssize_t)len)
			return 0;
		if (n >= 0)
			return -EMSGSIZE;
		if (errno != EINTR)
			return -errno;
	}
}

/* One datagram from the kernel into buf; its length or -errno. */
static ssize_t recv_msg(struct netconf *nc, void *buf, size_t cap)
{
	for (;;) {
		struct sockaddr_nl from;
		struct iovec iov = { .iov_base = buf, .iov_len = cap };
		struct msghdr mh = { .msg_name = &from, .msg_namelen = sizeof(from),
				     .msg_iov = &iov, .msg_iovlen = 1 };
		ssize_t n = recvmsg(nc->fd, &mh, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (mh.msg_flags & MSG_TRUNC)
			return -EMSGSIZE;
		if (from.nl_pid != 0)
			continue; /* not the kernel's */
		return n;
	}
}

typedef int dump_fn(void *ctx, const struct nlmsghdr *msg);

/*
 * Sends one request (sequence number seq) and reads the kernel's answer to
 * it: for a plain request its acknowledgement, 0 or -errno (+ why); for a
 * dump every message through fn, then 0 at NLMSG_DONE, or -EINTR when the
 * kernel flagged the dump as interrupted by a concurrent change.
 */
static int transact(struct netconf *nc, const void *req, size_t len, uint32_t seq,
		    dump_fn *fn, void *ctx, char *why, size_t cap)
{
	alignas(struct nlmsghdr) uint8_t buf[RECV_BUF];
	bool interrupted = false;
	int rc = len > 0 ? send_msg(nc, req, len) : -EMSGSIZE;

	if (rc < 0)
		return rc;
	for (;;) {
		ssize_t n = recv_msg(nc, buf, sizeof(buf));
		const struct nlmsghdr *h;
		struct rtnl_walk w;

		if (n < 0)
			return (int)n;
		rtnl_walk_init(&w, buf, (size_t)n);
		while ((rc = rtnl_next(&w, &h)) > 0) {
			if (h->nlmsg_seq != seq)
				continue;
			if (h->nlmsg_flags & NLM_F_DUMP_INTR)
				interrupted = true;
			if (h->nlmsg_type == NLMSG_ERROR)
				return rtnl_error(h, why, cap);
			if (h->nlmsg_type == NLMSG_DONE)
				return interrupted ? -EINTR : 0;
			rc = fn != NULL ? fn(ctx, h) : 0;
			if (rc < 0)
				return rc;
		}
		if (rc < 0)
			return rc;
	}
}

static int dump(struct netconf *nc, uint16_t type, dump_fn *fn, void *ctx,
		void (*reset)(void *ctx))
{
	uint8_t req[RTNL_REQ_MAX];
	char why[WHY_MAX];
	int rc = -EINTR;

	for (int i = 0; i < DUMP_TRIES && rc == -EINTR; i++) {
		uint32_t seq = nc->seq++;

		reset(ctx);
		rc = transact(nc, req, rtnl_dump(req, sizeof(req), seq, type), seq, fn, ctx, why,
			      sizeof(why));
	}
	return rc;
}

/* 0 when the interface does not exist. */
static int ifindex_of(struct netconf *nc, const char *name)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(nc->fd, SIOCGIFINDEX, &ifr) < 0)
		return errno == ENODEV ? 0 : -errno;
	return ifr.ifr_ifindex;
}

static void ifname_of(struct netconf *nc, int ifindex, char out[RTNL_IFNAME_MAX])
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_ifindex = ifindex;
	if (ifindex > 0 && ioctl(nc->fd, SIOCGIFNAME, &ifr) == 0)
		snprintf(out, RTNL_IFNAME_MAX, "%.*s", (int)sizeof(ifr.ifr_name) - 1,
			 ifr.ifr_name);
	else
		snprintf(out, RTNL_IFNAME_MAX, "if%d", ifindex);
}

struct read_ctx {
	struct netconf *nc;
	const struct config *cfg;
	const struct netplan *plan;
	int tun_ifindex;
	struct host_net *host;
	size_t addrs_dropped, routes_dropped; /* per dump: a retried one starts over */
};

static void reset_addrs(void *arg)
{
	struct read_ctx *c = arg;

	c->host->n_addrs = 0;
	c->addrs_dropped = 0;
}

static void reset_routes(void *arg)
{
	struct read_ctx *c = arg;

	c->host->n_routes = 0;
	c->routes_dropped = 0;
}

static int on_addr(void *arg, const struct nlmsghdr *msg)
{
	struct read_ctx *c = arg;
	struct host_addr *h;
	struct rtnl_addr a;

	if (!rtnl_parse_addr(msg, &a) || (c->tun_ifindex > 0 && a.ifindex == c->tun_ifindex) ||
	    !hostcheck_wanted(c->cfg, c->plan, &a.addr, false))
		return 0;
	if (c->host->n_addrs == HOST_NET_MAX) {
		c->addrs_dropped++;
		return 0;
	}
	h = &c->host->addrs[c->host->n_addrs++];
	h->addr = a.addr;
	if (a.label[0] != '\0')
		memcpy(h->ifname, a.label, sizeof(h->ifname));
	else
		ifname_of(c->nc, a.ifindex, h->ifname);
	return 0;
}

/* on_addr's shape for routes: the filters and the fields kept differ. */
static int on_route(void *arg, const struct nlmsghdr *msg)
{
	struct read_ctx *c = arg;
	struct host_route *h;
	struct rtnl_route r;

	/* The main table's unicast routes: what "ip route" lists. */
	if (!rtnl_parse_route(msg, &r) || r.table != RT_TABLE_MAIN || r.type != RTN_UNICAST ||
	    (c->tun_ifindex > 0 && r.ifindex == c->tun_ifindex) ||
	    !hostcheck_wanted(c->cfg, c->plan, &r.dst, true))
		return 0;
	if (c->host->n_routes == HOST_NET_MAX) {
		c->routes_dropped++;
		return 0;
	}
	h = &c->host->routes[c->host->n_routes++];
	memset(h, 0, sizeof(*h));
	h->dst = r.dst;
	h->has_gateway = r.has_gateway;
	h->gateway = r.gateway;
	if (!r.multipath)
		ifname_of(c->nc, r.ifindex, h->ifname);
	return 0;
}

int netconf_read_host(struct netconf *nc, const struct config *cfg,
		      const struct netplan *plan, const char *tun, struct host_net *host)
{
	struct read_ctx c = { .nc = nc, .cfg = cfg, .plan = plan, .host = host };
	int rc;

	memset(host, 0, sizeof(*host));
	c.tun_ifindex = ifindex_of(nc, tun);
	if (c.tun_ifindex < 0)
		return c.tun_ifindex;
	rc = dump(nc, RTM_GETADDR, on_addr, &c, reset_addrs);
	if (rc == 0)
		rc = dump(nc, RTM_GETROUTE, on_route, &c, reset_routes);
	host->dropped = c.addrs_dropped + c.routes_dropped;
	return rc;
}

/* One step of the plan; on failure why = "<the ip command>: <reason>". */
static int step(struct netconf *nc, const void *msg, size_t len, uint32_t seq,
		const char *cmd, char *why, size_t cap)
{
	char kernel[WHY_MAX] = "";
	int rc = transact(nc, msg, len, seq, NULL, NULL, kernel, sizeof(kernel));

	if (rc == 0)
		return 0;
	snprintf(why, cap, "%s: %s%s%s%s", cmd, strerror(-rc), kernel[0] ? " (" : "", kernel,
		 kernel[0] ? ")" : "");
	if (rc == -EPERM || rc == -EACCES)
		snprintf(why + strlen(why), cap - strlen(why), " (needs CAP_NET_ADMIN)");
	return rc;
}

/*
 * The first step of either set-up: the interface index of tun, then "ip
 * link set DEV mtu MTU up" (a route needs its device up).  The index, or
 * -errno with why saying which step failed.
 */
static int link_up(struct netconf *nc, const char *tun, unsigned mtu, char *why, size_t cap)
{
	uint8_t msg[RTNL_REQ_MAX];
	char cmd[96];
	int ifindex = ifindex_of(nc, tun);
	uint32_t seq;
	size_t len;
	int rc;

	if (ifindex <= 0) {
		snprintf(why, cap, "interface %s: %s", tun,
			 strerror(ifindex < 0 ? -ifindex : ENODEV));
		return ifindex < 0 ? ifindex : -ENODEV;
	}
	seq = nc->seq++;
	len = rtnl_link_set(msg, sizeof(msg), seq, ifindex, mtu);
	snprintf(cmd, sizeof(cmd), "ip link set %s mtu %u up", tun, mtu);
	rc = step(nc, msg, len, seq, cmd, why, cap);
	return rc < 0 ? rc : ifindex;
}

int netconf_apply(struct netconf *nc, const struct netplan *plan, const char *tun,
		  char *why, size_t cap)
{
	uint8_t msg[RTNL_REQ_MAX];
	char cmd[96], s[CIDR_STR_MAX];
	uint32_t seq;
	size_t len;
	int ifindex = link_up(nc, tun, plan->mtu, why, cap);
	int rc;

	if (ifindex < 0)
		return ifindex;
	if (plan->has_addr) {
		cidr_format(&plan->addr, s);
		snprintf(cmd, sizeof(cmd), "ip addr replace %s dev %s", s, tun);
		seq = nc->seq++;
		len = rtnl_addr_replace(msg, sizeof(msg), seq, ifindex, &plan->addr);
		rc = step(nc, msg, len, seq, cmd, why, cap);
		if (rc < 0)
			return rc;
	}
	for (size_t i = 0; i < plan->n_routes; i++) {
		const struct netplan_route *r = &plan->routes[i];

		if (r->kind != NETPLAN_ROUTE)
			continue;
		cidr_format(&r->dst, s);
		snprintf(cmd, sizeof(cmd), "ip route replace %s dev %s", s, tun);
		seq = nc->seq++;
		len = rtnl_route_replace(msg, sizeof(msg), seq, ifindex, &r->dst);
		rc = step(nc, msg, len, seq, cmd, why, cap);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int netconf_apply6(struct netconf *nc, const char *tun, unsigned mtu, const uint8_t addr[16],
		   uint8_t addr_prefix, const uint8_t dst[16], uint8_t dst_prefix, char *why,
		   size_t cap)
{
	uint8_t msg[RTNL_REQ_MAX];
	char cmd[128], s[INET6_ADDRSTRLEN];
	uint32_t seq;
	size_t len;
	int ifindex = link_up(nc, tun, mtu, why, cap);
	int rc;

	if (ifindex < 0)
		return ifindex;
	inet_ntop(AF_INET6, addr, s, sizeof(s));
	snprintf(cmd, sizeof(cmd), "ip -6 addr replace %s/%u dev %s nodad noprefixroute", s,
		 addr_prefix, tun);
	seq = nc->seq++;
	len = rtnl_addr6_replace(msg, sizeof(msg), seq, ifindex, addr, addr_prefix);
	rc = step(nc, msg, len, seq, cmd, why, cap);
	if (rc < 0)
		return rc;
	inet_ntop(AF_INET6, dst, s, sizeof(s));
	snprintf(cmd, sizeof(cmd), "ip -6 route replace %s/%u dev %s", s, dst_prefix, tun);
	seq = nc->seq++;
	len = rtnl_route6_replace(msg, sizeof(msg), seq, ifindex, dst, dst_prefix);
	return step(nc, msg, len, seq, cmd, why, cap);
}

int netconf_check_host(const struct config *cfg, const char *file_label, const char *tun,
		       struct hostcheck_report *rep, char *why, size_t cap)
{
	struct netconf nc;
	struct netplan plan;
	struct host_net *host = NULL;
	int rc;

	memset(rep, 0, sizeof(*rep));
	netplan_build(cfg, &plan);
	rc = netconf_open(&nc);
	if (rc < 0) {
		snprintf(why, cap, "cannot open a netlink socket: %s", strerror(-rc));
		return rc;
	}
	/* About 3 KiB: on the heap rather than a tool's stack. */
	host = calloc(1, sizeof(*host));
	if (host == NULL) {
		rc = -ENOMEM;
		snprintf(why, cap, "out of memory");
		goto out;
	}
	rc = netconf_read_host(&nc, cfg, &plan, tun, host);
	if (rc < 0) {
		snprintf(why, cap, "cannot read the host's addresses and routes: %s",
			 strerror(-rc));
		goto out;
	}
	hostcheck_net(cfg, &plan, file_label, host, rep);
out:
	free(host);
	netconf_close(&nc);
	return rc;
}
