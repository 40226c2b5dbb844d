/*
 * A base server (mode "base"): the one context struct that owns every fd,
 * table and buffer, passed by pointer to each concern:
 *
 *   server.c   start-up, the event loop, teardown
 *   rx.c       the UDP port, and every frame whatever its transport:
 *              handshakes with nodes (responder only), base control inside
 *              those sessions (registry.h), RELAY -> RELAYED
 *   probe.c    the NAT probe port: a node's PING answered from a second
 *              UDP port with the source seen there (docs/mesh.md)
 *   tcp.c      the TCP port (the fallback for nodes whose UDP is blocked):
 *              bounded connections, `u16 length ‖ frame` records, each
 *              frame handled exactly as a datagram from that connection
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
#include "os/linux/udpstage.h"
#include "os/linux/tcp.h"

struct daemon;

enum {
	BASE_CLIENTS_MAX = 16384, /* nodes with a session at once */
	BASE_CLIENT_HASH = 2 * BASE_CLIENTS_MAX,
	BASE_REGISTRY_NODES = BASE_CLIENTS_MAX,
	BASE_UDP_BUDGET = 8, /* recvmmsg batches per wake-up */
	BASE_EVENTS = 8,
	/* The TCP port (tcp.c). */
	BASE_TCP_CONNS = 1024,	      /* at once; beyond: closed, counted */
	BASE_TCP_BACKLOG = 128,
	BASE_TCP_OUTBUF = 8192,	      /* per connection; full: frames dropped */
	BASE_TCP_ACCEPT_BUDGET = 64,  /* accepts per wake-up */
	BASE_TCP_READ_BUDGET = 4,     /* reads of BASE_TCP_RX bytes per wake-up */
	BASE_TCP_RX = 16384,
	BASE_PROBE_BUDGET = 64, /* datagrams read from the probe port per wake-up */
	BASE_TAG_CONN = 16, /* epoll tag of connection slot i: BASE_TAG_CONN + i */
};

#define BASE_TCP_FIRST_NS (10 * REGISTRY_NS_PER_S) /* the first frame by then */
#define BASE_TCP_IDLE_NS  (60 * REGISTRY_NS_PER_S) /* then a frame at least this often */

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
	X(drop_seal)			/* a reply that could not be sealed */        \
	X(probe_rx_packets)	  /* datagrams on the NAT probe port */                  \
	X(probe_pongs_sent)	  /* PINGs answered there */                             \
	X(drop_probe_not_ping)	  /* there, anything but an authentic PING */            \
	X(drop_probe_not_registered) /* a PING from no registered UDP node's address */  \
	X(tcp_accepted)                                                                  \
	X(tcp_closed)		   /* every close, whatever the reason */                \
	X(tcp_rx_frames)                                                                 \
	X(tcp_rx_bytes)                                                                  \
	X(tcp_tx_frames)                                                                 \
	X(tcp_tx_bytes)                                                                  \
	X(drop_tcp_conn_limit)	   /* accepted and closed: BASE_TCP_CONNS open */        \
	X(drop_tcp_bad_length)	   /* a record length of 0 or too long: closed */        \
	X(drop_tcp_first_timeout)  /* no complete frame within 10 s: closed */           \
	X(drop_tcp_idle_timeout)   /* no frame for 60 s: closed */                       \
	X(drop_tcp_reset)	   /* read or write error (RST, timeout): closed */      \
	X(drop_tcp_send_full)	   /* a frame for a full send buffer */                  \
	X(drop_tcp_no_conn)	   /* a frame for a connection that is gone */

struct base_counters {
#define BASE_COUNTER_FIELD(name) uint64_t name;
	BASE_COUNTERS(BASE_COUNTER_FIELD)
#undef BASE_COUNTER_FIELD
	uint64_t msg[MSG_CLASS_END];	      /* drop_mesh_<reason> */
	uint64_t hs[HS_REASON_END];	      /* drop_mesh_hs_<reason> */
	uint64_t data[SESSION_VERDICT_END];   /* drop_mesh_data_<reason> */
	uint64_t basectl[BASECTL_RESULT_END]; /* drop_basectl_<reason> */
};

/* Where a frame came from, and where a reply goes: UDP or a TCP connection. */
struct base_src {
	union udp_addr ep; /* the peer's address (a TCP connection's too) */
	socklen_t ep_len;
	uint32_t conn; /* 0: UDP; else a struct base_conn's id */
};

/* A node with a session to us (not necessarily registered). */
struct base_client {
	bool used;
	uint8_t addr[IDENTITY_ADDR_LEN];
	uint8_t ed_pk[IDENTITY_PK_LEN];
	struct session session;
	struct cookie_sender cookie;
	uint8_t last_tai64n[HS_TAI64N_LEN];
	struct base_src src; /* where its last authenticated message came from */
};

/* One TCP connection: a slot of b->conns, free unless open (zeroed). */
struct base_conn {
	bool open;
	int fd;
	uint32_t id; /* registry_transport.tcp_conn: generation << 16 | slot + 1 */
	bool got_frame;
	bool want_out; /* EPOLLOUT armed */
	uint64_t opened_ns, last_frame_ns;
	union udp_addr peer;
	struct msg_stream in;
	size_t out_len;
	uint8_t out[BASE_TCP_OUTBUF];
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

	int udp_fd, epfd, timer_fd, sig_fd, tcp_fd;
	int probe_fd;	     /* the NAT probe port; -1: none */
	uint16_t probe_port; /* 0: none */
	struct base_conn *conns; /* BASE_TCP_CONNS */
	size_t n_conns;		 /* open */
	uint16_t conn_gen;
	uint8_t *tcp_rx; /* BASE_TCP_RX */
	bool stop;
	uint64_t started_ns;

	struct udp_rx_batch rx;
	uint8_t *rx_slots;
	struct udp_stage *tx;          /* relayed frames of one receive batch */
	uint8_t pkt[MSG_DATA_MAX_LEN]; /* every control reply we seal */

	struct base_counters c;
};

/* rx.c */
int base_clients_init(struct base_server *b);
void base_clients_free(struct base_server *b);
void base_udp_readable(struct base_server *b, uint64_t now_ns);
/* One frame from a TCP connection, handled as a datagram (buf is writable). */
void base_tcp_frame(struct base_server *b, uint8_t *buf, size_t len,
		    const struct base_src *src, uint64_t now_ns);

/*
 * A DATA frame (classified): its session by receiver index, session_open
 * (replay window, AEAD).  The node, with *v, *pt and *pt_len; NULL after
 * counting the drop.
 */
struct base_client *base_data_open(struct base_server *b, uint8_t *buf, size_t len,
				   uint64_t now_ns, enum session_verdict *v, const uint8_t **pt,
				   size_t *pt_len);

/* probe.c: read the NAT probe port, answer each registered node's PING. */
void base_probe_readable(struct base_server *b, uint64_t now_ns);

/* tcp.c */
int base_tcp_open(struct base_server *b); /* listener and slots; 0 or -errno */
void base_tcp_close_all(struct base_server *b);
void base_tcp_acceptable(struct base_server *b, uint64_t now_ns);
void base_tcp_event(struct base_server *b, size_t slot, uint32_t events, uint64_t now_ns);
/* Close connections past their first-frame or idle deadline (the tick). */
void base_tcp_tick(struct base_server *b, uint64_t now_ns);
/* Queue one frame (prefixed) on connection `conn`; never blocks. */
void base_tcp_send(struct base_server *b, uint32_t conn, const uint8_t *buf, size_t len);
/* registry_config.push: PEER_INFO NOTIFY / CHANGED to a registered node. */
void base_push(void *ctx, const struct registry_transport *to,
	       const struct registry_msg *m);

/* status.c: every counter, in a fixed order (mesh_counter_fn, counters.h) */
typedef void base_counter_fn(void *ctx, const char *name, uint64_t value);
void base_counters_each(const struct base_server *b, base_counter_fn *fn, void *ctx);

#endif
