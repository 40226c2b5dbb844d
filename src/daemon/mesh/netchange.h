/*
 * Recovery from a change of the node's own network (issue 13, "re-probing
 * ... at once on any local address or route change"): the node watches
 * rtnetlink (os/linux/netwatch.h) and, once a burst of link, address and
 * route events has settled for MESH_NET_SETTLE_NS, scans the host once
 * and
 *   - rebuilds and re-signs its endpoint record and REGISTERs with every
 *     base at once (bases.h), so the bases learn the new observed endpoint
 *     and push the record to watchers;
 *   - re-probes every peer at once (path.h): a heartbeat on a direct path,
 *     a probe round for a relayed one;
 *   - joins interfaces that came up and sends beacons on every interface
 *     (lan.h).
 * A burst of address events only that leaves every link and address as
 * it was (lifetimes refreshed by a router advertisement) is no change.
 * Bounded: one scan and one round of messages per settled burst.
 */
#ifndef SUBNETRA_DAEMON_MESH_NETCHANGE_H
#define SUBNETRA_DAEMON_MESH_NETCHANGE_H

#include "daemon/mesh/node.h"
#include "os/linux/netwatch.h"

#define MESH_NET_SETTLE_NS (MESH_NS_PER_S / 5) /* after the first event of a burst */

/*
 * Start-up (privileged: before the drop, after the TUN exists): open the
 * watch and scan the host once into scan, for the record and the beacon
 * interfaces.  false (after a line on stderr) when there is no watch:
 * the node runs without, scan empty.
 */
bool mesh_net_open(struct mesh_node *n, struct netwatch_scan *scan);
void mesh_net_close(struct mesh_node *n);
/* The monitor socket's descriptor for epoll, or -1. */
int mesh_net_fd(const struct mesh_node *n);
/* Events arrived: read them, and note a change to handle once settled. */
void mesh_net_readable(struct mesh_node *n, uint64_t now_ns);
/* The node's tick: handle a settled change. */
void mesh_net_tick(struct mesh_node *n, uint64_t now_ns);

#endif
