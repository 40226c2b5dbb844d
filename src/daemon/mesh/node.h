/*
 * A mesh node (mode "mesh"): the one context struct that owns every fd,
 * table and buffer of the running node, passed by pointer to each concern:
 *
 *   node.c     start-up, the event loop, teardown
 *   peers.c    the peer table (keyed by overlay address) and packet queues
 *   lan.c      LAN discovery: beacon sockets, send, receive
 *   hs.c       handshakes: initiate, respond, consume, cookies
 *   data.c     TUN -> peer and UDP -> classify -> DATA -> TUN
 *   timers.c   the periodic tick: retransmit, keepalive, rekey, beacons
 *   status.c   the control socket's status replies
 *   allow.c    the whitelist: its state file, its commands, cutting a peer off
 *   hosts.c    names in the hosts file (the helper), its commands
 *   netchange.c  local address / route changes: new record, re-register, re-probe
 *
 * Single-threaded: one epoll loop, bounded work per wake-up, nothing
 * allocated after start-up.  Every failure of network input is a counted,
 * silent drop (counters.h).
 */
#ifndef SUBNETRA_DAEMON_MESH_NODE_H
#define SUBNETRA_DAEMON_MESH_NODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/config.h"
#include "core/mesh/beacon.h"
#include "core/mesh/cookie.h"
#include "core/mesh/handshake.h"
#include "core/mesh/identity.h"
#include "core/mesh/managed.h"
#include "core/mesh/msg.h"
#include "core/mesh/pathctl.h"
#include "core/mesh/ratelimit.h"
#include "core/mesh/session.h"
#include "core/mesh/whitelist.h"
#include "core/offload.h"
#include "daemon/mesh/counters.h"
#include "os/linux/tun.h"
#include "os/linux/udp.h"

struct daemon;
struct mesh_bases;
struct mesh_hosts;
struct mesh_rx_relay;
struct mesh_net;

/* A state_dir, '/', a control socket's last component and a suffix (statedir.h). */
enum { MESH_STATE_PATH = MESH_PATH_MAX + 1 + 108 + 16 };

enum {
	MESH_COOKIE_RATE = 500, /* cookie replies a second per source address */
	MESH_COOKIE_BURST = 64,
	MESH_PEERS_MAX = 1024,
	MESH_PEER_HASH = 2 * MESH_PEERS_MAX, /* power of two, linear probing */
	MESH_QUEUE_MAX = 16,		     /* packets per peer waiting for a handshake */
	MESH_QUEUE_POOL = 256,		     /* queued packets over all peers */
	MESH_IFACES_MAX = 16,		     /* interfaces beacons go out on */
	MESH_BEACON_SEEN = 64,		     /* per-address beacon rate limit slots */
	MESH_TUN_BUDGET = 64,		     /* TUN packets per wake-up */
	MESH_UDP_BUDGET = 4,		     /* recvmmsg batches per wake-up */
	MESH_BEACON_BUDGET = 32,	     /* beacons read per wake-up */
	/*
	 * One packet buffer: the DATA header where the vnet header and its
	 * headroom are on the TUN side, the largest plaintext and the tag.
	 * A TUN read lands at MESH_PKT_OFF - VNET_HDR_LEN so that the IPv6
	 * packet starts where DATA's plaintext does: sealing is in place.
	 */
	MESH_PKT_OFF = MSG_DATA_HEADER_LEN,
	MESH_PKT_BUF = MSG_DATA_MAX_LEN,
};

_Static_assert((int)MESH_PKT_OFF >= (int)VNET_HDR_LEN, "the vnet header fits in front");
_Static_assert((MESH_PEER_HASH & (MESH_PEER_HASH - 1)) == 0, "power of two");

#define MESH_NS_PER_S UINT64_C(1000000000)
/* Beacons: research/mesh-design.md §4, docs/mesh-protocol.md "Timers". */
#define MESH_BEACON_INTERVAL_NS (25 * MESH_NS_PER_S) /* ± 20 % */
#define MESH_BEACON_REPLY_NS	(5 * MESH_NS_PER_S)  /* a QUERY answered once per 5 s */
#define MESH_BEACON_VERIFY_NS	(5 * MESH_NS_PER_S)  /* one verification per address */
#define MESH_BEACON_VERIFY_PER_S 50		     /* ... and 50/s in all */
#define MESH_TICK_NS		(MESH_NS_PER_S / 4)

enum {
	MESH_CANDS = 24,   /* direct candidates kept per peer */
	MESH_HS_CANDS = 4, /* candidates an HS_INIT is copied to (path.h) */
};

/* Where a candidate came from (bits: one endpoint can have several). */
enum mesh_cand_src {
	MESH_CAND_ER = 1,	 /* a local endpoint of its signed record */
	MESH_CAND_OBSERVED = 2, /* a base saw it (PEER_INFO) */
	MESH_CAND_CMM = 4,	 /* its CALL_ME_MAYBE */
	MESH_CAND_PRFLX = 8,	 /* the source of an authenticated packet */
};

struct mesh_cand {
	struct ep18 ep;
	uint8_t src;			 /* enum mesh_cand_src bits */
	uint8_t txid[PATHCTL_TXID_LEN]; /* of this round's PATH_PINGs to it */
};

/* Why a peer with a relay is not direct (path.c renders it). */
enum mesh_path_why {
	MESH_WHY_NOT_YET = 0,	/* no round yet */
	MESH_WHY_PROBING,	/* a round is running */
	MESH_WHY_NO_ANSWER,	/* the last round got no PATH_PONG */
	MESH_WHY_STOPPED,	/* the direct path stopped answering */
};

/* A peer's direct path search and heartbeat (path.h). */
struct mesh_path {
	struct mesh_cand cand[MESH_CANDS];
	uint8_t n_cand;
	uint8_t why;			/* enum mesh_path_why */
	bool round;			/* a probe round is running */
	bool round_quiet;		/* ... started by its CALL_ME_MAYBE: no CMM back */
	uint8_t step;			/* PING steps sent in this round */
	uint64_t round_ns, next_round_ns, backoff_ns;
	uint64_t relayed_ns;		/* relayed since (for the upgrade time) */
	/* Heartbeats on the direct path. */
	bool hb_out;			/* a heartbeat PATH_PING is unanswered */
	bool dual;			/* trust expired: DATA goes both ways */
	uint8_t hb_txid[PATHCTL_TXID_LEN];
	uint64_t hb_first_ns, hb_last_ns, last_pong_ns;
	uint32_t upgrades, fallbacks;
	uint8_t peer_nat_flags; /* its endpoint record's (ER_NAT_*) */
	/* Round-trip time on the current path: heartbeats, RTT pings. */
	uint64_t rtt_ns;	/* smoothed; 0: not known */
	bool rtt_out;		/* an RTT PATH_PING is unanswered */
	uint8_t rtt_txid[PATHCTL_TXID_LEN];
	uint64_t rtt_sent_ns;
};

struct mesh_peer {
	bool used;
	uint8_t addr[IDENTITY_ADDR_LEN];
	uint8_t ed_pk[IDENTITY_PK_LEN];
	char hostname[BEACON_NAME_MAX + 1]; /* from its beacon; "" unknown */
	union udp_addr ep;		    /* where to send; family 0: none yet */
	socklen_t ep_len;
	struct session session;
	struct hs_initiator init;	    /* our pending HS_INIT */
	struct cookie_sender cookie;	    /* mac1/mac2 of what we send it */
	uint8_t last_tai64n[HS_TAI64N_LEN]; /* newest HS_INIT timestamp taken */
	bool hs_pending;		    /* an initiation is being retried */
	unsigned hs_sent;
	uint64_t hs_started_ns, hs_last_sent_ns, hs_next_ns;
	uint64_t handshake_wall_ns; /* last completed handshake; 0: none */
	uint64_t last_tx_ns, last_rx_ns;
	uint64_t rx_bytes, tx_bytes; /* DATA on the wire, both ways */
	uint16_t queue[MESH_QUEUE_MAX]; /* pool slots, oldest first */
	uint8_t q_head, q_n;
	/* Bases and the relay path (bases.h). */
	bool is_base;	 /* a configured base, not a peer: no overlay traffic */
	bool direct_ok;	 /* authenticated traffic came directly from ep */
	bool has_relay;	 /* relay_id on base relay_base is known */
	uint8_t relay_base;
	uint8_t relay_id[MSG_RELAY_ID_LEN];
	uint64_t last_data_ns; /* an IP packet either way (heartbeat rate) */
	struct mesh_path path; /* NAT traversal (path.h) */
};

struct mesh_iface {
	unsigned ifindex;
	char name[TUN_NAME_MAX];
	bool v4, v6;		 /* the groups joined on it */
	uint64_t last_reply_ns;	 /* the last answer to a QUERY on it */
};

struct mesh_lan {
	int fd4, fd6; /* bound to BEACON_PORT, -1: not open */
	struct mesh_iface ifs[MESH_IFACES_MAX];
	size_t n_ifs;
	struct beacon_guard guard;
	uint64_t last_seq;	 /* our last beacon's seq (unix ms, strictly increasing) */
	uint64_t next_beacon_ns;
	/* Per-address verification limit and the overall one. */
	struct {
		uint8_t addr[IDENTITY_ADDR_LEN];
		uint64_t at_ns;
	} seen[MESH_BEACON_SEEN];
	uint64_t verify_window_ns;
	unsigned verify_count;
};

struct mesh_queue_pool {
	uint16_t free[MESH_QUEUE_POOL];
	size_t n_free;
	uint16_t len[MESH_QUEUE_POOL];		   /* the IPv6 packet's length */
	uint8_t buf[MESH_QUEUE_POOL][MESH_PKT_BUF]; /* packet at MESH_PKT_OFF */
};

struct mesh_node {
	const struct config *cfg;
	struct daemon *host; /* control socket, paths, privilege drop (daemon.h) */
	struct identity id;
	struct hs_local local;
	struct whitelist wl;
	char wl_file[MESH_STATE_PATH]; /* its state file (allow.h) */
	uid_t state_owner; /* whose state files are trusted besides root's (statedir.c) */
	/* The managed set (daemon/mesh/managed.h); never NULL once started. */
	struct managed *managed;
	char managed_file[MESH_STATE_PATH];
	struct mesh_hosts *hosts;      /* hosts.h; NULL: no hosts_file */
	struct mesh_ratelimit rl;
	struct mesh_ratelimit cookie_rl; /* cookie replies per source (hs.c) */
	struct mesh_ratelimit_load load;
	struct session_index index;
	struct cookie_sender scratch_cookie; /* for an initiator not yet in the table */

	struct mesh_peer *peers; /* MESH_PEERS_MAX, calloc'd at start-up */
	size_t n_peers;
	int16_t hash[MESH_PEER_HASH]; /* peer number, -1: empty */
	uint8_t hash_key[16];	      /* crypto_shorthash key */
	struct mesh_queue_pool *pool;

	struct mesh_lan lan;
	struct mesh_bases *bases;		  /* NULL: no bases configured */
	const struct mesh_rx_relay *rx_relay;	  /* set while a RELAYED's inner is handled */
	bool rx_tcp;	/* the frame being handled came over a base's TCP connection */
	bool force_udp; /* mesh_udp_send: no TCP redirection (a UDP probe) */
	int tun_fd, udp_fd, epfd, timer_fd, sig_fd;
	char tun[TUN_NAME_MAX];
	struct mesh_net *net; /* NULL: not watching (netchange.h) */
	int tun_ifindex;
	bool stop;

	struct udp_rx_batch rx;
	uint8_t *rx_slots;
	uint8_t pkt[MESH_PKT_BUF]; /* the TUN read and every message we build */

	struct mesh_counters c;
};

#endif
