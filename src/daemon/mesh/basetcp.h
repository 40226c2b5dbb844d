/*
 * A node's TCP fallback to a base (docs/mesh.md "TCP fallback",
 * research/mesh-design.md §2.4, §2.5).  When a base answers neither the
 * handshake nor PINGs over UDP for MESH_BASE_DEAD_NS, the node connects to
 * the base's tcp_port (non-blocking, TCP_NODELAY, TCP_USER_TIMEOUT 30 s)
 * and runs the same session, registration and RELAY frames over it as
 * `u16 BE length ‖ frame` records: every datagram mesh_udp_send would send
 * to that base goes on the connection instead, and every frame read from
 * it is handled as a datagram from the base.  While on TCP, a PING goes
 * over UDP every 30 s; its PONG arriving over UDP moves the node back.
 * Reconnects back off 1 s -> 30 s; a TCP that gets nowhere for 30 s gives
 * UDP another try.
 */
#ifndef SUBNETRA_DAEMON_MESH_BASETCP_H
#define SUBNETRA_DAEMON_MESH_BASETCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/mesh/basectl.h"
#include "daemon/mesh/node.h"

enum {
	MESH_TCP_OFF = 0,
	MESH_TCP_CONNECTING,
	MESH_TCP_UP,
	MESH_TAG_BASE_TCP = 32, /* epoll tag of base i's connection: + i */
	MESH_TCP_USER_TIMEOUT_MS = 30000,
};

#define MESH_TCP_BACKOFF_MIN_NS (MESH_NS_PER_S)
#define MESH_TCP_BACKOFF_MAX_NS (30 * MESH_NS_PER_S)
#define MESH_TCP_CONNECT_NS	(10 * MESH_NS_PER_S) /* connect, then register, by then */
#define MESH_TCP_IDLE_NS	(25 * MESH_NS_PER_S) /* a keepalive PING after this */
#define MESH_UDP_PROBE_NS	(30 * MESH_NS_PER_S) /* UDP tried again this often */

/* The base whose TCP carries datagrams for `to`, or -1 (send over UDP). */
int mesh_base_tcp_of(const struct mesh_node *n, const union udp_addr *to);
/* hdr ‖ buf as one record on base i's connection; false: dropped (counted). */
bool mesh_base_tcp_send(struct mesh_node *n, size_t i, const uint8_t *hdr, size_t hdr_len,
			const uint8_t *buf, size_t len);
/* Fallback, connect, reconnect, keepalive, UDP probe (the bases' tick). */
void mesh_base_tcp_tick(struct mesh_node *n, size_t i, uint64_t now_ns);
/* Base i was lost (mesh_base_lost): on UDP, fall back now; on TCP, reconnect. */
void mesh_base_tcp_lost(struct mesh_node *n, size_t i, uint64_t now_ns);
/* REGISTER_OK status OK from base i. */
void mesh_base_tcp_registered(struct mesh_node *n, size_t i, uint64_t now_ns);
/* A PONG from base i: true when it answered our UDP probe (handled). */
bool mesh_base_tcp_probe_pong(struct mesh_node *n, size_t i, const struct basectl *m,
			      uint64_t now_ns);
void mesh_base_tcp_event(struct mesh_node *n, size_t i, uint32_t events, uint64_t now_ns);
void mesh_base_tcp_close_all(struct mesh_node *n);

#endif
