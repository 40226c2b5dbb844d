/*
 * Mesh mode's watch on the host's network through rtnetlink (messages
 * from core/rtnl.h): a socket on the link, address and route multicast
 * groups of both families, which says that something changed, and a
 * second one for dumps of every link and address, which says what there
 * is now.  Both are opened at start-up, before the privilege drop (a
 * netlink socket cannot be made under the seccomp filter), and kept;
 * afterwards only sendto and recvfrom are made on them.
 */
#ifndef SUBNETRA_OS_LINUX_NETWATCH_H
#define SUBNETRA_OS_LINUX_NETWATCH_H

#include <stddef.h>
#include <stdint.h>

#include "core/rtnl.h"

enum {
	NETWATCH_IFS_MAX = 32,	  /* links kept from a dump */
	NETWATCH_ADDRS_MAX = 64,  /* addresses kept from a dump */
	NETWATCH_DRAIN_MAX = 64,  /* event datagrams read per call */
	NETWATCH_BUF = 32768,	  /* one datagram (a dump part is at most this) */
};

struct netwatch {
	int mon_fd;   /* groups, non-blocking; -1: closed */
	int query_fd; /* dumps, blocking with a 1 s receive timeout */
	uint32_t seq;
	uint8_t buf[NETWATCH_BUF] __attribute__((aligned(4)));
};

/* What a dump found: every link, and the addresses of the links kept. */
struct netwatch_scan {
	struct rtnl_link ifs[NETWATCH_IFS_MAX];
	size_t n_ifs;
	struct rtnl_ifaddr addrs[NETWATCH_ADDRS_MAX];
	size_t n_addrs;
};

/* Open both sockets (close-on-exec).  0 or -errno (nothing left open). */
int netwatch_open(struct netwatch *w);
void netwatch_close(struct netwatch *w);
/* What a burst of events touched (netwatch_drain's kinds). */
enum {
	NETWATCH_ADDR = 1,	 /* an address added or removed */
	NETWATCH_LINK_ROUTE = 2, /* a link or route changed, or events were lost */
};
/*
 * Read the pending events: how many were changes (rtnl_is_change with
 * skip_ifindex; lost events, ENOBUFS, count as one), their NETWATCH_*
 * bits or'ed into *kinds; or -errno.
 */
int netwatch_drain(struct netwatch *w, int skip_ifindex, unsigned *kinds);
/* Dump the links, then the addresses, into s.  0 or -errno. */
int netwatch_scan(struct netwatch *w, struct netwatch_scan *s);
/* The link ifindex of a scan, or NULL. */
const struct rtnl_link *netwatch_link(const struct netwatch_scan *s, int ifindex);

#endif
