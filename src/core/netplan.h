/*
 * The host network plan of a config: the TUN's MTU and link state, its
 * address and the routes into the tunnel.  netplan_build computes it once;
 * netplan_render prints it as iproute2 commands (--print-network-plan) and
 * netconf applies the same plan through rtnetlink at start-up, so the
 * printed and the applied plan cannot differ.  Pure.
 */
#ifndef SUBNETRA_NETPLAN_H
#define SUBNETRA_NETPLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"

enum { NETPLAN_BUF = 8192 };

/* What the plan does with one peer's allowed_src. */
enum netplan_route_kind {
	NETPLAN_ROUTE,        /* ip route replace DST dev TUN */
	NETPLAN_SKIP_DEFAULT, /* allowed_src /0: routing it would take the default route */
	NETPLAN_SKIP_ONLINK,  /* the local_tun_ip address already puts DST on-link */
	NETPLAN_SKIP_RELAY,   /* a hub without an overlay address routes nothing */
};

struct netplan_route {
	struct cidr dst;  /* allowed_src masked to its network */
	uint32_t peer_id;
	size_t peer;      /* index in cfg->peers, for messages ("peers[1].allowed_src") */
	enum netplan_route_kind kind;
};

struct netplan {
	unsigned mtu;
	bool has_addr;
	struct cidr addr; /* local_tun_ip as given: the host bits are the address */
	/*
	 * A hub without local_tun_ip relays between its peers inside
	 * subnetrad; the host has no overlay address, so a route into the
	 * tunnel would send host traffic with an underlay source address that
	 * no spoke routes back.  Such a plan has no routes.
	 */
	bool relay_only;
	bool configure;   /* cfg->configure_interface: the daemon applies it */
	struct netplan_route routes[MAX_PEERS]; /* one per peer, in peer order */
	size_t n_routes;
};

void netplan_build(const struct config *cfg, struct netplan *plan);

/* Returns the length written (NUL-terminated). */
size_t netplan_render(const struct config *cfg, const char *tun, unsigned path_mtu,
		      char *buf, size_t cap);

/*
 * The plan of a "mode": "mesh" node -- addr is its overlay address, from
 * its identity file -- or of a "mode": "base" server (addr unused: a base
 * has no TUN, and its plan says so).  docs/configuration.md shows the text.
 * Returns the length written (NUL-terminated).
 */
size_t netplan_render_mesh(const struct config *cfg, const uint8_t addr[16], const char *tun,
			   unsigned path_mtu, char *buf, size_t cap);

#endif
