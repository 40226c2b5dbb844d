/*
 * What a config asks of this host, checked before start-up (--check,
 * config-lint) and at start-up: that its "user" exists, and that its
 * network plan and virtual_subnet fit the host's own addresses and routes.
 *
 * The network rules are pure: netconf.c reads the host (rtnetlink) into a
 * struct host_net, keeping only entries that can matter (hostcheck_wanted),
 * and hostcheck_net turns them into findings with the config's error format
 * (file, field, name, detail naming the host's address or route):
 *
 *   AddressInUse  (refuses start-up) local_tun_ip's address is already an
 *                 address of another interface.
 *   RouteInUse    (refuses start-up) a route of the plan -- or the network
 *                 that local_tun_ip puts on-link -- already exists, same
 *                 destination and prefix, through another interface: the
 *                 plan's "replace" would take it over.
 *   SubnetOverlap (config-lint: an error; --check and start-up: a warning)
 *                 virtual_subnet overlaps an address or a route (other than
 *                 a default route) of another interface.
 * The first two apply only with "configure_interface": true: they are what
 * the daemon's own set-up would do.  Entries on the TUN itself are never
 * findings: they are the daemon's own (a running or restarted node).
 */
#ifndef SUBNETRA_HOSTCHECK_H
#define SUBNETRA_HOSTCHECK_H

#include <stdbool.h>
#include <stddef.h>

#include "core/config.h"
#include "core/netplan.h"
#include "core/rtnl.h"

enum {
	HOST_NET_MAX = 64,     /* kept addresses, and kept routes */
	HOSTCHECK_MAX = 8,     /* findings reported; more are counted */
};

struct host_addr {
	struct cidr addr;
	char ifname[RTNL_IFNAME_MAX];
};

struct host_route {
	struct cidr dst;
	char ifname[RTNL_IFNAME_MAX]; /* "" for a multipath route */
	bool has_gateway;
	uint32_t gateway;
};

/* The host's entries that matter to one config (see hostcheck_wanted). */
struct host_net {
	struct host_addr addrs[HOST_NET_MAX];
	size_t n_addrs;
	struct host_route routes[HOST_NET_MAX];
	size_t n_routes;
	size_t dropped; /* wanted but over HOST_NET_MAX */
};

struct hostcheck_finding {
	bool refuses_start; /* AddressInUse, RouteInUse; else SubnetOverlap */
	struct config_error err;
};

struct hostcheck_report {
	struct hostcheck_finding f[HOSTCHECK_MAX];
	size_t n;
	size_t more; /* findings beyond HOSTCHECK_MAX */
};

/*
 * Does an address (is_route false) or a main-table unicast route of another
 * interface matter to this config?  Default routes never do.
 */
bool hostcheck_wanted(const struct config *cfg, const struct netplan *plan,
		      const struct cidr *c, bool is_route);

void hostcheck_net(const struct config *cfg, const struct netplan *plan,
		   const char *file_label, const struct host_net *host,
		   struct hostcheck_report *out);

/* "10.0.0.0/16 via 192.168.1.1 dev eth0" (or "... dev eth0", "... (multipath)"). */
void hostcheck_route_str(const struct host_route *r, char *buf, size_t cap);

#endif
