/*
 * The mesh node's periodic tick (every MESH_TICK_NS from a timerfd): per
 * peer, the handshake retransmit schedule (session_retransmit_due), the
 * passive keepalive, wiping keys 540 s after the last handshake; and the
 * periodic beacon.  At most MESH_PEERS_MAX peers per tick.
 */
#ifndef SUBNETRA_DAEMON_MESH_TIMERS_H
#define SUBNETRA_DAEMON_MESH_TIMERS_H

#include "daemon/mesh/node.h"

void mesh_tick(struct mesh_node *n, uint64_t now_ns);

#endif
