/*
 * rtnetlink messages without I/O (netconf.c sends and receives them): the
 * requests that set up the TUN -- MTU and link up, an address, routes; every
 * one a "replace", so applying a plan twice is the same as once -- and the
 * dumps of the host's IPv4 addresses and routes, with their parsers.  The
 * layout is the kernel's (linux/netlink.h, linux/rtnetlink.h): a header,
 * a fixed struct, then 4-byte aligned attributes.  Addresses cross this API
 * in host byte order, as everywhere in subnetra.
 */
#ifndef SUBNETRA_RTNL_H
#define SUBNETRA_RTNL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/netlink.h>

#include "core/cidr.h"

enum {
	RTNL_REQ_MAX = 128, /* every request below fits */
	RTNL_IFNAME_MAX = 16, /* IFNAMSIZ */
};

/*
 * Each builder writes one complete request (NLM_F_REQUEST | NLM_F_ACK,
 * sequence number seq) into buf and returns its length, or 0 when cap is
 * too small.  ifindex is the TUN's interface index.
 */
/* RTM_NEWLINK: "ip link set DEV mtu MTU up". */
size_t rtnl_link_set(void *buf, size_t cap, uint32_t seq, int ifindex, unsigned mtu);
/* RTM_NEWADDR, create or replace: "ip addr replace ADDR/PREFIX dev DEV". */
size_t rtnl_addr_replace(void *buf, size_t cap, uint32_t seq, int ifindex,
			 const struct cidr *addr);
/*
 * RTM_NEWROUTE, create or replace, in the main table, scope link, protocol
 * boot (what ip(8) uses): "ip route replace DST dev DEV".  dst is a network
 * (host bits clear).
 */
size_t rtnl_route_replace(void *buf, size_t cap, uint32_t seq, int ifindex,
			  const struct cidr *dst);
/*
 * The same two for IPv6 (mesh mode: the node's fc94 address, the fc94::/16
 * route): addr is 16 bytes in network order.  The address is added with
 * IFA_F_NODAD, so it is usable at once (a TUN has no neighbours to ask),
 * and without a prefix route of its own (IFA_F_NOPREFIXROUTE): the route
 * is the plan's, added by rtnl_route6_replace, so applying twice is the
 * same as once.
 */
size_t rtnl_addr6_replace(void *buf, size_t cap, uint32_t seq, int ifindex,
			  const uint8_t addr[16], uint8_t prefix);
size_t rtnl_route6_replace(void *buf, size_t cap, uint32_t seq, int ifindex,
			   const uint8_t dst[16], uint8_t prefix);
/* A dump request for every IPv4 address (RTM_GETADDR) or route (RTM_GETROUTE). */
size_t rtnl_dump(void *buf, size_t cap, uint32_t seq, uint16_t type);
/* A dump request for every link (RTM_GETLINK) or address (RTM_GETADDR) of any family. */
size_t rtnl_dump_any(void *buf, size_t cap, uint32_t seq, uint16_t type);

/*
 * Walks the messages of one received datagram.  rtnl_next returns 1 and
 * the next message, 0 at the end, -EBADMSG when a length is inconsistent
 * (the rest of the datagram is then unusable).
 */
struct rtnl_walk {
	const uint8_t *p;
	size_t left;
};
void rtnl_walk_init(struct rtnl_walk *w, const void *buf, size_t len);
int rtnl_next(struct rtnl_walk *w, const struct nlmsghdr **msg);

/*
 * An NLMSG_ERROR message: its error (0 for an acknowledgement, else
 * -errno) and, when the kernel attached one (NETLINK_EXT_ACK), its text in
 * why ("" otherwise).  -EBADMSG when msg is too short to be one.
 */
int rtnl_error(const struct nlmsghdr *msg, char *why, size_t cap);

/* One IPv4 address of the host (RTM_NEWADDR of a dump). */
struct rtnl_addr {
	int ifindex;
	struct cidr addr;              /* IFA_LOCAL (IFA_ADDRESS when absent) */
	char label[RTNL_IFNAME_MAX];   /* IFA_LABEL: the interface name, "" if absent */
};
/* false when msg is not an IPv4 address or is malformed. */
bool rtnl_parse_addr(const struct nlmsghdr *msg, struct rtnl_addr *out);

/* One IPv4 route of the host (RTM_NEWROUTE of a dump). */
struct rtnl_route {
	struct cidr dst;      /* 0.0.0.0/0 for a default route */
	uint32_t table;       /* RTA_TABLE, else rtm_table */
	uint8_t type;         /* RTN_UNICAST, RTN_LOCAL, ... */
	int ifindex;          /* RTA_OIF; 0 when absent (multipath, blackhole) */
	bool has_gateway;
	uint32_t gateway;     /* RTA_GATEWAY */
	bool multipath;       /* RTA_MULTIPATH: several next hops */
};
/* false when msg is not an IPv4 route or is malformed. */
bool rtnl_parse_route(const struct nlmsghdr *msg, struct rtnl_route *out);

/*
 * Mesh mode's view of the host (os/linux/netwatch.h): links and addresses
 * of both families, from a dump or an event.
 */
struct rtnl_link {
	int ifindex;
	unsigned flags;             /* IFF_UP, IFF_LOOPBACK, ... */
	char name[RTNL_IFNAME_MAX]; /* IFLA_IFNAME, "" if absent */
};
/* false when msg is not RTM_NEWLINK or is malformed. */
bool rtnl_parse_link(const struct nlmsghdr *msg, struct rtnl_link *out);

struct rtnl_ifaddr {
	int ifindex;
	uint8_t family;   /* AF_INET or AF_INET6 */
	uint8_t addr[16]; /* network order; an IPv4 address in the first 4 bytes */
};
/*
 * false when msg is not an RTM_NEWADDR of AF_INET (IFA_LOCAL, else
 * IFA_ADDRESS) or AF_INET6 (IFA_ADDRESS), or is malformed.
 */
bool rtnl_parse_ifaddr(const struct nlmsghdr *msg, struct rtnl_ifaddr *out);

/*
 * Is msg (from the link, address and route multicast groups) a change of
 * the host's network: a link, address or route added or removed, except
 * one that names skip_ifindex (our own TUN; 0: none)?
 */
bool rtnl_is_change(const struct nlmsghdr *msg, int skip_ifindex);

#endif
