/*
 * LAN discovery (research/mesh-design.md §4, docs/mesh-protocol.md
 * "LAN beacons"): signed beacons to the IPv4 and IPv6 link-local groups on
 * every usable interface, at start (with QUERY) and every 25 s ± 20 %; a
 * QUERY answered at most once per 5 s per interface.  A verified beacon of
 * a whitelisted key gives the peer's key, name and endpoint, and starts a
 * handshake when there is no session.
 */
#ifndef SUBNETRA_DAEMON_MESH_LAN_H
#define SUBNETRA_DAEMON_MESH_LAN_H

#include "daemon/mesh/node.h"
#include "os/linux/netwatch.h"

/*
 * Open the two sockets and join the groups on every usable interface of
 * scan (NULL: none yet) (start-up, privileged part).  An interface or
 * family that refuses is skipped; -1 only when no socket could be opened
 * at all.
 */
int mesh_lan_open(struct mesh_node *n, const struct netwatch_scan *scan);
/*
 * The host's network changed (netchange.h): join interfaces that came up,
 * forget those that went, and send a beacon on every interface now (a
 * QUERY when one was added, so that its neighbours answer at once).
 */
void mesh_lan_net_changed(struct mesh_node *n, const struct netwatch_scan *scan,
			  uint64_t now_ns);
void mesh_lan_close(struct mesh_node *n);
/* Send a beacon on every interface now (query: ask neighbours to answer). */
void mesh_lan_announce(struct mesh_node *n, bool query, uint64_t now_ns);
/* Read up to MESH_BEACON_BUDGET beacons from fd (n->lan.fd4 or fd6). */
void mesh_lan_readable(struct mesh_node *n, int fd, uint64_t now_ns);
/* The periodic beacon, when due. */
void mesh_lan_tick(struct mesh_node *n, uint64_t now_ns);

#endif
