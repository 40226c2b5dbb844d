/*
 * A mesh node's base servers (research/mesh-design.md §2, docs/mesh.md
 * "Base servers"): for every configured base, a Noise session to it (the
 * base is a peer-table entry flagged is_base, so the handshake, cookie,
 * retransmit and rekey machinery is the peers'; its static key derives
 * from the pinned Ed25519 key), REGISTER with our signed endpoint record,
 * a PING every 25 s ± 20 % (dead after 7 s without a PONG), sooner when a
 * peer relayed through it stops answering (MESH_RELAY_QUIET_NS), LOOKUP with
 * notify for a whitelisted address we have no path to, PEER_INFO to learn
 * a peer's key and relay id, and the relay path: RELAY frames out through
 * a base where both ends are registered, RELAYED frames in.
 *
 * Path choice per peer (mesh_peer_relayed): a confirmed direct endpoint
 * (LAN discovery and a direct handshake, or a PATH_PONG: path.h) keeps
 * priority; otherwise the relay through the base the peer's relay id
 * belongs to, while that base is registered and answers.
 * Home: the base that registered us first among those alive; lookups go
 * there first (then to the next base on UNKNOWN).
 */
#ifndef SUBNETRA_DAEMON_MESH_BASES_H
#define SUBNETRA_DAEMON_MESH_BASES_H

#include "core/mesh/basectl.h"
#include "core/mesh/er.h"
#include "core/outbuf.h"
#include "daemon/mesh/nat.h"
#include "daemon/mesh/node.h"
#include "os/linux/netwatch.h"

enum {
	MESH_LOOKUP_SLOTS = 16, /* addresses being looked up at once */
	MESH_LOOKUP_QUEUE = 4,	/* packets held per address meanwhile */
};

#define MESH_BASE_PING_NS   (25 * MESH_NS_PER_S) /* ± 20 %; REGISTER_OK's refresh_s */
#define MESH_BASE_DEAD_NS   (7 * MESH_NS_PER_S)	 /* no PONG: retries at 1, 2, 4 s */
#define MESH_BASE_RETRY_NS  (5 * MESH_NS_PER_S)	 /* a new handshake / REGISTER */
#define MESH_LOOKUP_GAP_NS  (MESH_NS_PER_S)	 /* one LOOKUP per address per 1 s */
#define MESH_LOOKUP_LIFE_NS (10 * MESH_NS_PER_S) /* then its packets are dropped */
#define MESH_RELAY_QUIET_NS (2 * MESH_NS_PER_S)	 /* relayed peer silent: PING its base */

struct mesh_base_link {
	const struct mesh_base *cfg;
	struct mesh_peer *peer; /* the session, handshake state and endpoint */
	bool registered;	/* REGISTER_OK (status OK) on the current session */
	bool full;		/* the last REGISTER_OK said FULL */
	uint8_t relay_id[BASECTL_RELAY_ID_LEN];
	uint64_t registered_ns; /* for the choice of home */
	uint64_t next_ping_ns, ping_first_ns, ping_last_ns, last_pong_ns;
	unsigned ping_tries;
	bool ping_out;
	uint8_t txid[BASECTL_TXID_LEN];
	uint64_t next_retry_ns; /* handshake or REGISTER */
	struct ep18 observed;	/* what the base saw of us */
	/* TCP fallback (basetcp.c): UDP to this base failed, the session
	 * runs over a TCP connection to its tcp_port. */
	bool use_tcp;
	uint8_t tcp_state;	    /* MESH_TCP_OFF, _CONNECTING, _UP */
	bool tcp_want_out;	    /* EPOLLOUT armed */
	int tcp_fd;		    /* -1: none */
	uint64_t udp_fail_since_ns; /* 0: UDP not failing (or not known yet) */
	uint64_t tcp_next_ns, tcp_backoff_ns, tcp_opened_ns, tcp_last_tx_ns;
	uint64_t next_udp_probe_ns;
	bool probe_out;
	uint8_t probe_txid[BASECTL_TXID_LEN];
	struct msg_stream tcp_in;
	size_t tcp_out_len;
	uint8_t tcp_out[8192];
};

struct mesh_lookup {
	bool used;
	uint8_t addr[IDENTITY_ADDR_LEN];
	uint64_t created_ns, sent_ns;
	uint8_t n;
	uint16_t len[MESH_LOOKUP_QUEUE];
	uint8_t buf[MESH_LOOKUP_QUEUE][MESH_PKT_BUF]; /* packet at MESH_PKT_OFF */
};

struct mesh_bases {
	struct mesh_base_link link[MESH_MAX_BASES];
	size_t n;
	int home; /* -1: none registered */
	struct er rec;
	uint8_t er[ER_MAX_LEN];
	size_t er_len;
	struct mesh_lookup lk[MESH_LOOKUP_SLOTS];
	struct mesh_nat nat; /* our NAT's class (nat.h) */
};

/* The relay frame a datagram's inner message came in (data.c sets it). */
struct mesh_rx_relay {
	size_t base;
	uint8_t src[BASECTL_RELAY_ID_LEN];
};

/*
 * Start-up (privileged, after the TUN exists and before the drop): resolve
 * every base, add it to the peer table, build and sign our endpoint record
 * from the addresses of scan (NULL: none).  A base whose host does not resolve is
 * skipped with a line on stderr.  0, or -ENOMEM.
 */
int mesh_bases_open(struct mesh_node *n, const struct netwatch_scan *scan);
void mesh_bases_free(struct mesh_node *n);

/* Handshake with every base, register, ping, fail over (the node's tick). */
void mesh_bases_tick(struct mesh_node *n, uint64_t now_ns);
/*
 * The host's network changed (netchange.h): rebuild and sign our endpoint
 * record from scan and REGISTER with every base we have a session with
 * now, and PING it (one that no longer answers from here is dead within
 * MESH_BASE_DEAD_NS; a base without a session: a handshake on the next
 * tick).
 */
void mesh_bases_net_changed(struct mesh_node *n, const struct netwatch_scan *scan,
			    uint64_t now_ns);
/* A handshake with base peer p completed: register. */
void mesh_base_established(struct mesh_node *n, struct mesh_peer *p, uint64_t now_ns);
/* A base control plaintext from base peer p. */
void mesh_base_on_ctl(struct mesh_node *n, struct mesh_peer *p, const uint8_t *pt,
		      size_t pt_len, uint64_t now_ns);
/*
 * The TUN packet in n->pkt (len bytes) is for dst, a whitelisted address
 * with no peer: hold it and look dst up.  false: nowhere to ask or no room
 * (the caller counts the drop).
 */
bool mesh_bases_want(struct mesh_node *n, const uint8_t dst[IDENTITY_ADDR_LEN],
		     size_t len, uint64_t now_ns);
/* Look addr up (a peer without a path), at most once per MESH_LOOKUP_GAP_NS. */
void mesh_base_lookup(struct mesh_node *n, const uint8_t addr[IDENTITY_ADDR_LEN],
		      uint64_t now_ns);

/* The whitelist changed: tell every registered base who may look us up. */
void mesh_bases_allow_changed(struct mesh_node *n, uint64_t now_ns);

/* Is p (not a base) reachable through a registered base? */
bool mesh_peer_has_relay(const struct mesh_node *n, const struct mesh_peer *p);
/* Does traffic to p go through a base now?  (See the path choice above.) */
bool mesh_peer_relayed(const struct mesh_node *n, const struct mesh_peer *p);
/* Is there any path to p (direct endpoint or relay)? */
bool mesh_peer_reachable(const struct mesh_node *n, const struct mesh_peer *p);
/* "direct", "relay-udp" or "relay-tcp". */
const char *mesh_peer_path(const struct mesh_node *n, const struct mesh_peer *p);
/* Send buf as the inner message of a RELAY to p (mesh_peer_relayed was true). */
void mesh_relay_send(struct mesh_node *n, struct mesh_peer *p, const uint8_t *buf,
		     size_t len);
/* The base whose endpoint `from` is, or -1. */
int mesh_base_of_endpoint(const struct mesh_node *n, const union udp_addr *from,
			  socklen_t from_len);

/* A base that stopped answering: session gone, relays forgotten, retry. */
void mesh_base_lost(struct mesh_node *n, size_t i, uint64_t now_ns);
/* The PING for base link l; a probe goes over UDP with its own txid. */
void mesh_base_send_ping(struct mesh_node *n, struct mesh_base_link *l, uint64_t now_ns);
void mesh_base_send_probe(struct mesh_node *n, struct mesh_base_link *l, uint64_t now_ns);

/* Our record changed (nat.h): sign it again, REGISTER it with every
 * registered base. */
void mesh_bases_reregister(struct mesh_node *n, uint64_t now_ns);

/* Status: the "bases:" block (text) or the "bases" array (JSON). */
void mesh_bases_status(const struct mesh_node *n, struct outbuf *o, bool json);

#endif
