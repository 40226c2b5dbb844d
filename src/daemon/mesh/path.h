/*
 * Direct paths through NATs (research/mesh-design.md §3, docs/mesh.md
 * "Direct paths through NATs"): a relayed peer's candidates (its endpoint
 * record's local endpoints and the base-observed ones from PEER_INFO, those
 * of its CALL_ME_MAYBE, and peer-reflexive sources of its authenticated
 * packets), probe rounds of PUNCH + PATH_PING inside the session, the
 * switch to a direct endpoint only on a PATH_PONG that answers our PATH_PING
 * from that exact address, heartbeats on the direct path and the fall back
 * to the relay when they stop being answered.  The session (keys, counters)
 * never changes: only the endpoint DATA goes to.
 *
 * Only for peers with a usable relay: without a base the endpoint is what
 * LAN discovery and authenticated traffic give (hs.c), as before.
 */
#ifndef SUBNETRA_DAEMON_MESH_PATH_H
#define SUBNETRA_DAEMON_MESH_PATH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/mesh/basectl.h"
#include "daemon/mesh/node.h"

/* Timers (research/mesh-design.md §3.3, §3.5; docs/mesh-protocol.md "Timers"). */
#define MESH_PATH_ROUND_NS (5500 * MESH_NS_PER_S / 1000) /* pings at 0, 0.5, 1.5, 3.5 s  \
							  */
#define MESH_PATH_BACKOFF_NS	 (35 * MESH_NS_PER_S)	 /* doubling ... */
#define MESH_PATH_BACKOFF_MAX_NS (300 * MESH_NS_PER_S)	 /* ... to 300 s */
#define MESH_PATH_HB_NS		 (3 * MESH_NS_PER_S)	 /* heartbeat, active peer */
#define MESH_PATH_HB_IDLE_NS	 (25 * MESH_NS_PER_S)	 /* heartbeat, idle peer */
#define MESH_PATH_ACTIVE_NS	 (45 * MESH_NS_PER_S)	 /* data within: active */
#define MESH_PATH_TRUST_NS	 (3500 * MESH_NS_PER_S / 1000) /* unanswered: send both ways \
								*/
#define MESH_PATH_DEAD_NS (10 * MESH_NS_PER_S) /* unanswered: back to the relay */

/* An authenticated message came in directly (not through a base) from
 * from: a peer-reflexive candidate unless it is the direct path itself. */
void mesh_path_nominate(struct mesh_node *n, struct mesh_peer *p,
			const union udp_addr *from, socklen_t from_len, uint64_t now_ns);
/* A direct HS_RESP from `from` answered our HS_INIT: the path is direct. */
void mesh_path_confirmed(struct mesh_node *n, struct mesh_peer *p,
			 const union udp_addr *from, socklen_t from_len, uint64_t now_ns);
/*
 * The HS_INIT msg just went to relayed peer p through its base: a copy to
 * each of up to MESH_HS_CANDS of its candidates too (observed ones first,
 * then peer-reflexive, CALL_ME_MAYBE, its record's), so that a peer that
 * is reachable directly but not through the base still gets it.  The
 * responder takes whichever copy comes first and refuses the others as
 * replays (drop_mesh_hs_stale_timestamp), so one initiation still makes at
 * most one session; each copy is counted (handshakes_sent_direct).
 */
void mesh_path_hs_copies(struct mesh_node *n, struct mesh_peer *p, const uint8_t *msg,
			 size_t len);
/* PEER_INFO with a verified record for p: its candidates. */
void mesh_path_peer_info(struct mesh_node *n, struct mesh_peer *p,
			 const struct basectl *m, uint64_t now_ns);
/* A peer control plaintext (PLAIN_PEER_CTL) from p; n->rx_relay says how
 * it came. */
void mesh_path_on_ctl(struct mesh_node *n, struct mesh_peer *p, const uint8_t *pt,
		      size_t pt_len, const union udp_addr *from, socklen_t from_len,
		      uint64_t now_ns);
/* Rounds, heartbeats, fall back (the node's tick, per peer). */
void mesh_path_tick(struct mesh_node *n, struct mesh_peer *p, uint64_t now_ns);
/* p's smoothed round-trip time on its current path; false: not known. */
bool mesh_path_rtt(const struct mesh_peer *p, uint64_t *ns);

/*
 * Our network changed (netchange.h): a direct path is heartbeaten on the
 * next tick (so a path that died with our old address falls back within
 * MESH_PATH_DEAD_NS of the change), a relayed peer gets a probe round on
 * the next tick, its back-off reset.
 */
void mesh_path_reprobe_now(struct mesh_node *n, struct mesh_peer *p, uint64_t now_ns);
/* Why p is relayed, for status; NULL when it is not. */
const char *mesh_path_why(const struct mesh_node *n, const struct mesh_peer *p);

#endif
