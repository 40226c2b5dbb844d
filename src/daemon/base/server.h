/*
 * A base server (mode "base"): the one context struct that owns every fd,
 * table and buffer, passed by pointer to each concern:
 *
 *   server.c   start-up, the event loop, teardown
 *   rx.c       the UDP port: handshakes with nodes (responder only), base
 *              control inside those sessions (registry.h), RELAY -> RELAYED
 *   status.c   the control socket's status replies
 *
 * The base holds no secret of any node: its own identity, and per node a
 * Noise session with it.  Relayed frames are end-to-end encrypted between
 * the nodes; the base rewrites their 20-byte header in place and forwards
 * them, batched, with no crypto per packet.  Single-threaded, nothing
 * allocated after start-up; every refusal is a counted drop.
 */
#ifndef SUBNETRA_DAEMON_BASE_SERVER_H
#define SUBNETRA_DAEMON_BASE_SERVER_H

#include <stdbool.h>
#include <stdint.h>

#include "core/config.h"
#include "core/mesh/basectl.h"
#include "core/mesh/cookie.h"
#include "core/mesh/handshake.h"
#include "core/mesh/identity.h"
#include "core/mesh/msg.h"
#include "core/mesh/ratelimit.h"
#include "core/mesh/registry.h"
#include "core/mesh/session.h"
#include "os/linux/udp.h"

struct daemon;

enum {
	BASE_CLIENTS_MAX = 4096, /* nodes with a session at once */
	BASE_CLIENT_HASH = 2 * BASE_CLIENTS_MAX,
	BASE_REGISTRY_NODES = BASE_CLIENTS_MAX,
	BASE_UDP_BUDGET = 8, /* recvmmsg batches per wake-up */
	BASE_EVENTS = 8,
};

_Static_assert((BASE_CLIENT_HASH & (BASE_CLIENT_HASH - 1)) == 0, "power of two");

#define BASE_TICK_NS (REGISTRY_EXPIRE_PERIOD)

/* The server's own counters; registry verdicts are counted as base_<name>. */
#define BASE_COUNTERS(X)                                                                 \
	X(udp_rx_packets)                                                                \
	X(udp_rx_bytes)                                                                  \
	X(udp_tx_packets)                                                                \
	X(udp_tx_bytes)                                                                  \
	X(handshakes_answered) /* HS_RESP sent: a node's session (re)made */             \
	X(cookie_replies_sent)                                                           \
	X(control_received)	  /* base control messages decrypted */                  \
	X(control_sent)		  /* replies and pushes sealed and sent */               \
	X(relayed_packets)	  /* RELAY frames forwarded as RELAYED */                \
	X(relayed_bytes)	  /* their inner bytes */                                \
	X(drop_udp_truncated)	  /* longer than any mesh message */                     \
	X(drop_udp_send)	  /* sendto/sendmmsg refused */                          \
	X(drop_not_for_base)	  /* HS_RESP, COOKIE_REPLY, RELAYED, PUNCH */            \
	X(drop_unknown_receiver)  /* DATA for no session */                              \
	X(drop_client_table_full) /* no slot for a new node's session */                 \
	X(drop_index_full)	  /* no free local index */                              \
	X(drop_data_not_control)  /* a node sent an IP packet or keepalive-less junk */  \
	X(drop_control_wrong_direction) /* a base -> node type from a node */            \
	X(drop_push_no_session)		/* a push for a node whose session is gone */    \
	X(drop_seal)			/* a reply that could not be sealed */

struct base_counters {
#define BASE_COUNTER_FIELD(name) uint64_t name;
	BASE_COUNTERS(BASE_COUNTER_FIELD)
#undef BASE_COUNTER_FIELD
	uint64_t msg[MSG_CLASS_END];	      /* drop_mesh_<reason> */
	uint64_t hs[HS_REASON_END];	      /* drop_mesh_hs_<reason> */
	uint64_t data[SESSION_VERDICT_END];   /* drop_mesh_data_<reason> */
	uint64_t basectl[BASECTL_RESULT_END]; /* drop_basectl_<reason> */
};

/* A node with a session to us (not necessarily registered). */
struct base_client {
	bool used;
	uint8_t addr[IDENTITY_ADDR_LEN];
	uint8_t ed_pk[IDENTITY_PK_LEN];
	struct session session;
	struct cookie_sender cookie;
	uint8_t last_tai64n[HS_TAI64N_LEN];
	union udp_addr ep; /* where its last authenticated message came from */
	socklen_t ep_len;
};

struct base_server {
	const struct config *cfg;
	struct daemon *host;
	struct identity id;
	struct hs_local local;
	struct mesh_ratelimit rl;
	struct mesh_ratelimit_load load;
	struct session_index index;
	struct cookie_sender scratch_cookie;

	struct base_client *clients; /* BASE_CLIENTS_MAX */
	size_t n_clients;
	int16_t *hash; /* BASE_CLIENT_HASH client numbers, -1 empty */
	uint8_t hash_key[16];

	struct registry reg;
	void *reg_mem;
	size_t reg_mem_len;

	int udp_fd, epfd, timer_fd, sig_fd;
	bool stop;
	uint64_t started_ns;

	struct udp_rx_batch rx;
	uint8_t *rx_slots;
	struct udp_tx_batch *tx;       /* relayed frames of one receive batch */
	uint8_t pkt[MSG_DATA_MAX_LEN]; /* every control reply we seal */

	struct base_counters c;
};

/* rx.c */
int base_clients_init(struct base_server *b);
void base_clients_free(struct base_server *b);
void base_udp_readable(struct base_server *b, uint64_t now_ns);
/* registry_config.push: PEER_INFO NOTIFY / CHANGED to a registered node. */
void base_push(void *ctx, const struct registry_transport *to,
	       const struct registry_msg *m);

/* status.c: every counter, in a fixed order (mesh_counter_fn, counters.h) */
typedef void base_counter_fn(void *ctx, const char *name, uint64_t value);
void base_counters_each(const struct base_server *b, base_counter_fn *fn, void *ctx);

#endif
