/*
 * The mesh peer table: MESH_PEERS_MAX preallocated peers, found by overlay
 * address through a crypto_shorthash-keyed open-addressing index (the
 * addresses come from the network).  A peer exists once its key passed
 * the whitelist (a verified beacon or a completed handshake), so the table
 * fills only with keys the operator allowed; nothing from the network
 * removes one, only the operator taking it off the whitelist
 * (mesh_peer_remove, allow.h).  Also the per-peer queues of packets
 * waiting for a handshake, over one shared pool of buffers.
 */
#ifndef SUBNETRA_DAEMON_MESH_PEERS_H
#define SUBNETRA_DAEMON_MESH_PEERS_H

#include "daemon/mesh/node.h"

/* 0 or -ENOMEM (the tables are calloc'd once). */
int mesh_peers_init(struct mesh_node *n);
/* Wipe every peer's keys and free the tables. */
void mesh_peers_free(struct mesh_node *n);

struct mesh_peer *mesh_peer_find(struct mesh_node *n, const uint8_t addr[IDENTITY_ADDR_LEN]);
/*
 * The peer of ed_pk (address derived here), added when new: its session
 * and cookie state set up.  NULL: the table is full, or the key is no
 * X25519 point (counted by the caller).
 */
struct mesh_peer *mesh_peer_get(struct mesh_node *n, const uint8_t ed_pk[IDENTITY_PK_LEN]);
/*
 * End p (not a base) and take it out of the table: its handshake
 * cancelled, its keys wiped (their indexes removed), its queue dropped
 * (counted); the last peer moves into its slot (every index entry and
 * base link re-pointed).  p is invalid
 * afterwards, and so is any pointer to the last peer.
 */
void mesh_peer_remove(struct mesh_node *n, struct mesh_peer *p);
/* The peer a session belongs to. */
struct mesh_peer *mesh_peer_of_session(struct session *s);

/*
 * Queue the IPv6 packet in n->pkt (at MESH_PKT_OFF, len bytes) for p.
 * false: the peer's queue or the pool is full (the caller counts).
 */
bool mesh_queue_push(struct mesh_node *n, struct mesh_peer *p, size_t len);
/* The oldest queued packet's buffer and length; false when empty. */
bool mesh_queue_peek(struct mesh_node *n, const struct mesh_peer *p, uint8_t **buf,
		     size_t *len);
/* Release the oldest queued packet. */
void mesh_queue_pop(struct mesh_node *n, struct mesh_peer *p);

#endif
