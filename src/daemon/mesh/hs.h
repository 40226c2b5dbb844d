/*
 * Handshakes in the daemon: the caller's side of core/mesh/handshake.h --
 * the hs_ops (load detector, per-source rate limiter, whitelist with each
 * identity's last timestamp), local indexes in the session index table,
 * installing keypairs, learning endpoints from authenticated messages.
 */
#ifndef SUBNETRA_DAEMON_MESH_HS_H
#define SUBNETRA_DAEMON_MESH_HS_H

#include "daemon/mesh/node.h"

/*
 * Send a fresh HS_INIT to p (a first attempt or a retransmission; the
 * schedule is timers.c's).  Nothing is sent while p has no endpoint.
 */
void mesh_hs_initiate(struct mesh_node *n, struct mesh_peer *p, uint64_t now_ns);
/* Start an initiation unless one is already being retried. */
void mesh_hs_start(struct mesh_node *n, struct mesh_peer *p, uint64_t now_ns);
/* Stop retrying: the pending index is released. */
void mesh_hs_cancel(struct mesh_node *n, struct mesh_peer *p);

/* Datagrams msg_classify accepted as HS_INIT, HS_RESP or COOKIE_REPLY. */
void mesh_hs_on_init(struct mesh_node *n, const uint8_t *msg, size_t len,
		     const union udp_addr *from, socklen_t from_len, uint64_t now_ns);
void mesh_hs_on_resp(struct mesh_node *n, const uint8_t *msg, size_t len,
		     const union udp_addr *from, socklen_t from_len, uint64_t now_ns);
void mesh_hs_on_cookie(struct mesh_node *n, const uint8_t *msg, size_t len, uint64_t now_ns);

/*
 * Remember where p is (after an authenticated message from there): its
 * endpoint, or, inside a RELAYED (n->rx_relay), its base and relay id.
 * A peer that has a relay keeps it until a direct path is confirmed
 * (confirms: an HS_RESP that came directly, research/mesh-design.md §3.2);
 * any other direct source only nominates a candidate (path.h).
 */
void mesh_peer_learn(struct mesh_node *n, struct mesh_peer *p, const union udp_addr *from,
		     socklen_t from_len, bool confirms, uint64_t now_ns);

#endif
