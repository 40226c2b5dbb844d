/*
 * The base server's state: who is registered, where each node was last
 * authenticated, who subscribed to whom, and the relay table.  The design
 * is research/mesh-design.md §2; docs/mesh-protocol.md "Base server state"
 * says what a base keeps and does.
 *
 * Pure: no I/O, no clock (time is a monotonic ns count passed in), no
 * allocation after registry_init; randomness (relay ids, the hash key)
 * from libsodium.  Requires sodium_init().
 *
 * Division of labour with the caller (the daemon's base mode):
 *  - the caller owns the Noise sessions.  It decodes base control with
 *    basectl_decode, which parses and verifies a REGISTER's ER (er_parse:
 *    layout, key filter, signature); the registry never verifies a
 *    signature and trusts that `er` passed that check.  It checks what is
 *    cheap: the ER's key is the session's key (`wrong_key`).  So a base
 *    pays one Ed25519 verification per REGISTER, never two;
 *  - a node is named by its overlay address, which the caller takes from
 *    the authenticated session (derived from the session's key);
 *  - `from` is the transport the authenticated message (or the relay
 *    frame) arrived on.  Every authenticated message from a registered
 *    node refreshes it and moves its transport there ("the base answers on
 *    whichever transport last carried an authenticated packet");
 *  - replies (REGISTER_OK, PEER_INFO to a LOOKUP, PONG) come back in
 *    *reply, for the session the request came on; pushes (PEER_INFO
 *    CHANGED and NOTIFY) go through the push callback, and only ever to a
 *    registered node's transport.  The callback must not call back into
 *    the registry; struct registry_msg and its ER pointer are valid only
 *    during the call;
 *  - the caller calls registry_expire about every REGISTRY_EXPIRE_PERIOD;
 *    each call does bounded work.
 *
 * Tables: a node array, a subscription pool and an ALLOW chunk pool of
 * fixed capacity, carved from one block the caller allocates
 * (registry_mem_size), and three
 * open-addressing indexes (linear probing, at most half full, backward-
 * shift deletion so no tombstones pile up): address -> node, keyed with
 * crypto_shorthash under a random key so registrations cannot be aimed
 * at one chain; relay id -> node, indexed by the id's own bytes, which
 * the base drew at random (a sender cannot choose them, so the relay
 * path hashes nothing); (subscriber, target) -> subscription, keyed.
 *
 * Memory (x86-64): REGISTRY_NODE_BYTES per node slot (the struct, 464
 * of which is the ER) plus 2-4 index entries of 8 bytes,
 * REGISTRY_ALLOW_BYTES per node for its ALLOW list, and REGISTRY_SUB_BYTES
 * per subscription slot plus its index entries.  ALLOW lists live out of
 * line in chunks of REGISTRY_ALLOW_CHUNK addresses: most lists are short
 * (a whitelist of a few peers, or none), and an inline 93-address array
 * was 1,488 of a node slot's 2,056 bytes.  The chunk pool holds every
 * node's longest list (12 chunks each), so an ALLOW is never refused for
 * want of room, yet only chunks ever handed out are touched.  Nothing is
 * written at registry_init: node slots, subscription slots and chunks are
 * taken from never-used ones in order (then from free lists), so pages
 * of slots never used stay the shared zero page.  registry_mem_size gives
 * the exact total; with 10,000 nodes in a table of 16,384 and the default
 * pool (4 per node), about 38 MiB is reserved and about 6 MiB of it is
 * touched (no ALLOW lists, no subscriptions).
 */
#ifndef SUBNETRA_CORE_MESH_REGISTRY_H
#define SUBNETRA_CORE_MESH_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/mesh/basectl.h"
#include "core/mesh/er.h"

#define REGISTRY_NS_PER_S UINT64_C(1000000000)
/* The design's limits (§2.3, §2.5). */
/* No refresh for this long: gone.  A lookup subscribes for this long.  One
 * NOTIFY per (A, B) per this long. */
#define REGISTRY_EXPIRY_NS     (75 * REGISTRY_NS_PER_S)
#define REGISTRY_SUB_TTL_NS    (120 * REGISTRY_NS_PER_S)
#define REGISTRY_NOTIFY_GAP_NS (2 * REGISTRY_NS_PER_S)
/* A node's changes are pushed at most once per second; a change inside
 * that is pushed by the expiry sweep once the second is over. */
#define REGISTRY_PUSH_GAP_NS   REGISTRY_NS_PER_S
#define REGISTRY_EXPIRE_PERIOD (REGISTRY_NS_PER_S / 10) /* how often to call expire */

enum {
	REGISTRY_NODES_MAX = 1u << 22,
	REGISTRY_SUBS_MAX = 1u << 26,
	REGISTRY_SUBS_PER_NODE = 1024,
	REGISTRY_LOOKUP_RATE = 20, /* per second per node */
	REGISTRY_LOOKUP_BURST = 50,
	REGISTRY_REFRESH_S = 25,	    /* REGISTER_OK refresh_s */
	REGISTRY_DEFAULT_SUBS_PER_NODE = 4, /* pool size / node capacity */
	/* registry_expire: node slots and subscription slots per call. */
	REGISTRY_EXPIRE_BUDGET = 512,
	/* A full table sweeps this many slots for an expired node before it
	 * refuses a new one. */
	REGISTRY_FULL_SWEEP = 64,
	REGISTRY_NONE = UINT32_MAX, /* no node, no subscription */
};

enum registry_transport_kind {
	REGISTRY_UDP = 1,
	REGISTRY_TCP = 2,
};

/*
 * Where a node was last authenticated: the source address and port (an
 * IPv4 source as ::ffff:a.b.c.d, as in EP18), the kind, and for TCP the
 * caller's connection id (0 for UDP).  Two transports are the same when
 * every field is.
 */
struct registry_transport {
	uint8_t addr[EP18_ADDR_LEN];
	uint16_t port;
	uint8_t kind; /* enum registry_transport_kind */
	uint8_t zero; /* padding, kept 0 */
	uint32_t tcp_conn;
};

_Static_assert(sizeof(struct registry_transport) == 24, "no hidden padding");

/*
 * What an operation did.  REGISTRY_VERDICTS is the one list: the enum, the
 * stable names (counters "base_<name>") and the counter array come from
 * it.  An operation returns one verdict and counts it; the ones marked
 * "event" are counted on the side (a LOOKUP that also notified counts
 * `reply` and `notify_sent`).
 */
#define REGISTRY_VERDICTS(X)                                                             \
	/* REGISTER */                                                                   \
	X(REGISTERED, registered) /* a new node: REGISTER_OK */                          \
	X(UPDATED, updated)	  /* a fresher ER replaced the held one */               \
	X(REFRESHED, refreshed)	  /* the held ER again: a refresh */                     \
	X(STALE, stale)		  /* older seq, or same seq other bytes: status 1 */     \
	X(FULL, full)		  /* no free slot: status 2, nothing held */             \
	X(WRONG_KEY, wrong_key)	  /* drop: the ER is not the session key's */            \
	X(BAD_TRANSPORT, bad_transport) /* drop: not an observable source */             \
	/* LOOKUP */                                                                     \
	X(REPLY, reply)			  /* PEER_INFO 0, subscribed */                  \
	X(UNKNOWN, unknown)		  /* PEER_INFO 3 */                              \
	X(DENIED, denied)		  /* PEER_INFO 4: the target's ALLOW excludes */ \
	X(LOOKUP_LIMITED, lookup_limited) /* drop: over 20/s, burst 50 */                \
	/* PING, UNSUBSCRIBE, ALLOW */                                                   \
	X(PONG, pong)                                                                    \
	X(UNSUBSCRIBED, unsubscribed)                                                    \
	X(NOT_SUBSCRIBED, not_subscribed)                                                \
	X(ALLOW_SET, allow_set)                                                          \
	X(BAD_ALLOW, bad_allow) /* drop: over 93, or a list without RESTRICT */          \
	/* any request from a node that is not registered (or has expired) */            \
	X(UNREGISTERED, unregistered)                                                    \
	/* RELAY */                                                                      \
	X(RELAYED, relayed)                                                              \
	X(UNKNOWN_SRC, unknown_src)	    /* drop: no node has the source relay id */  \
	X(WRONG_TRANSPORT, wrong_transport) /* drop: the sender check */                 \
	X(SRC_EXPIRED, src_expired)                                                      \
	X(UNKNOWN_DST, unknown_dst)                                                      \
	X(DST_EXPIRED, dst_expired)                                                      \
	/* events */                                                                     \
	X(NOTIFY_SENT, notify_sent)                                                      \
	X(NOTIFY_LIMITED, notify_limited) /* within 2 s of the last for the pair */      \
	X(SUB_LIMIT, sub_limit)		  /* the requester holds 1,024 already */        \
	X(SUB_FULL, sub_full)		  /* the pool is full */                         \
	X(PUSHED, pushed)		  /* one PEER_INFO CHANGED sent */               \
	X(PUSH_DEFERRED, push_deferred)	  /* a change inside the push gap */             \
	X(EXPIRED_NODE, expired_node)                                                    \
	X(EXPIRED_SUB, expired_sub)

enum registry_verdict {
#define REGISTRY_ENUM(up, low) REGISTRY_##up,
	REGISTRY_VERDICTS(REGISTRY_ENUM)
#undef REGISTRY_ENUM
	    REGISTRY_VERDICT_END,
};

/* "registered" ... "expired_sub"; "?" out of range. */
const char *registry_verdict_name(enum registry_verdict v);

/*
 * One message for the caller to encode (registry_msg_basectl, then
 * basectl_encode): REGISTER_OK, PEER_INFO or PONG.
 */
struct registry_msg {
	enum basectl_type type;
	uint8_t arg;				/* REGISTER_OK status; PEER_INFO reason */
	uint8_t addr[BASECTL_ADDR_LEN];		/* PEER_INFO: the node described */
	uint8_t relay_id[BASECTL_RELAY_ID_LEN]; /* REGISTER_OK, PEER_INFO */
	struct ep18 observed; /* REGISTER_OK, PONG; PEER_INFO's one observed (n_obs 1) */
	uint8_t n_obs;	      /* PEER_INFO: 1 for a UDP transport, 0 for TCP */
	uint16_t refresh_s;   /* REGISTER_OK */
	uint16_t age_s;	      /* PEER_INFO */
	uint8_t txid[BASECTL_TXID_LEN]; /* PONG */
	const struct er *er; /* PEER_INFO 0-2: the held record (NULL otherwise) */
};

/* Fill m (zeroed first) for basectl_encode. */
void registry_msg_basectl(const struct registry_msg *in, struct basectl *m);

typedef void (*registry_push_fn)(void *ctx, const struct registry_transport *to,
				 const struct registry_msg *m);

struct registry_config {
	uint32_t nodes;	       /* capacity, 1 .. REGISTRY_NODES_MAX */
	uint32_t subs;	       /* subscription pool, .. REGISTRY_SUBS_MAX; 0: 4 x nodes */
	uint16_t refresh_s;    /* 0: REGISTRY_REFRESH_S */
	registry_push_fn push; /* may be NULL: pushes are counted, not sent */
	void *push_ctx;
};

/* A subscription is on two lists: its subscriber's and its target's. */
enum registry_list {
	REGISTRY_MINE = 0,
	REGISTRY_TO_ME = 1,
};

/* One registered node.  Read-only for callers (registry_find). */
struct registry_node {
	/* What the expiry sweep reads first. */
	uint64_t refreshed; /* ns: the last authenticated message */
	bool used;
	bool push_pending; /* a change not yet pushed (inside the push gap) */
	bool restricted;   /* ALLOW with RESTRICT: only allow[] may look me up */
	uint8_t relay_id[BASECTL_RELAY_ID_LEN];
	uint8_t addr[BASECTL_ADDR_LEN];
	struct registry_transport tr;
	uint64_t push_after;		     /* ns: no push before this */
	uint64_t lookup_tokens, lookup_last; /* the lookup bucket */
	uint32_t head[2]; /* [REGISTRY_MINE], [REGISTRY_TO_ME]: the lists */
	uint32_t n_subs;  /* length of head[REGISTRY_MINE]'s list */
	uint16_t n_allow; /* addresses in the ALLOW list: sorted, no repeats */
	uint32_t allow;	  /* its first chunk + 1; 0: none (registry_allow_list) */
	struct er er;	  /* the held record; er.ed_pk is the node's key */
};

enum {
	REGISTRY_ALLOW_CHUNK = 8, /* addresses per chunk */
	REGISTRY_ALLOW_CHUNKS_PER_NODE =
	    (BASECTL_ALLOW_MAX + REGISTRY_ALLOW_CHUNK - 1) / REGISTRY_ALLOW_CHUNK,
};

/* Part of a node's ALLOW list: entries i * 8 .. i * 8 + 7 of it. */
struct registry_allow_chunk {
	uint32_t next; /* the next chunk + 1; 0: the last (or a free chunk's) */
	uint8_t addr[REGISTRY_ALLOW_CHUNK][BASECTL_ADDR_LEN];
};

/* One subscription: subscriber looked target up; on both nodes' lists. */
struct registry_sub {
	uint32_t subscriber, target; /* REGISTRY_NONE: a free slot */
	/* Links in the subscriber's list ([REGISTRY_MINE], also the free
	 * list) and in the target's ([REGISTRY_TO_ME]). */
	uint32_t prev[2], next[2];
	uint64_t expires;     /* ns */
	uint64_t last_notify; /* ns of the last NOTIFY for the pair */
	bool notified;	      /* last_notify is set */
};

/* An index entry: node or subscription number + 1 (0: empty), hash bits. */
struct registry_slot {
	uint32_t ref;
	uint32_t hash;
};

struct registry_index {
	struct registry_slot *slot;
	uint32_t mask; /* slots - 1; slots a power of two >= 2 x entries */
};

struct registry {
	uint32_t cap, sub_cap;
	uint32_t n_nodes, n_subs;
	uint16_t refresh_s;
	registry_push_fn push;
	void *push_ctx;
	struct registry_node *node;
	struct registry_sub *sub;
	struct registry_allow_chunk *chunk; /* cap x REGISTRY_ALLOW_CHUNKS_PER_NODE */
	uint32_t *free_nodes; /* stack of node numbers freed (below node_fresh) */
	uint32_t n_free;
	/* Slots at and above these were never used (zero, untouched). */
	uint32_t node_fresh, sub_fresh, chunk_fresh;
	uint32_t free_sub;   /* head of the free subscription list */
	uint32_t free_chunk; /* chunk + 1 of the free chunk list; 0: empty */
	uint32_t n_chunks;   /* chunks in ALLOW lists */
	struct registry_index by_addr, by_relay, by_pair;
	uint32_t node_cursor, sub_cursor; /* where the expiry sweep goes on */
	uint8_t hash_key[16];		  /* crypto_shorthash */
	uint64_t probes;		  /* index slots examined, for tests */
	uint64_t count[REGISTRY_VERDICT_END];
};

enum {
	/* Bounds the tests hold the structs to (x86-64 and 32-bit alike). */
	REGISTRY_NODE_BYTES = 600,
	REGISTRY_SUB_BYTES = 48,
	REGISTRY_ALLOW_BYTES = REGISTRY_ALLOW_CHUNKS_PER_NODE * (4 + REGISTRY_ALLOW_CHUNK * 16),
	/* Per node slot with its share of both node indexes (at most 4
	 * entries) and the free stack, without subscriptions or ALLOW chunks:
	 * what a registered node touches. */
	REGISTRY_TOUCHED_PER_NODE = REGISTRY_NODE_BYTES + 4 * 8 + 4,
	/* ... and with its ALLOW chunks: what is reserved per node slot. */
	REGISTRY_BYTES_PER_NODE = REGISTRY_TOUCHED_PER_NODE + REGISTRY_ALLOW_BYTES,
};

/* Bytes registry_init needs for cfg (0 for a capacity out of range). */
size_t registry_mem_size(const struct registry_config *cfg);
/*
 * Set reg up over mem[0..len), which must be registry_mem_size(cfg) bytes,
 * aligned for uint64_t and zeroed (calloc, mmap): registry_init writes
 * none of it, and pages of slots not yet used are at most read, so they
 * stay the shared zero page.  0, or -EINVAL for a bad capacity or too
 * small a block.
 */
int registry_init(struct registry *reg, const struct registry_config *cfg, void *mem,
		  size_t len);

/*
 * REGISTER from the node with key ed_pk and address addr, on `from`, with
 * the verified record er.  *reply is always filled unless the verdict is a
 * drop (wrong_key, bad_transport).  A new node gets a fresh relay id; a
 * registered one keeps its id.  Subscribers get PEER_INFO CHANGED when the
 * record's content (port, flags, endpoints, name) or the transport changed.
 * A full table refuses a new node (status FULL); it never evicts a node
 * that has not expired.
 */
enum registry_verdict registry_register(struct registry *reg, uint64_t now,
					const uint8_t ed_pk[IDENTITY_PK_LEN],
					const uint8_t addr[BASECTL_ADDR_LEN],
					const struct registry_transport *from,
					const struct er *er, struct registry_msg *reply);

/*
 * LOOKUP of target by requester.  reply (unless a drop): PEER_INFO REPLY,
 * UNKNOWN or DENIED.  A REPLY subscribes the requester to the target for
 * REGISTRY_SUB_TTL_NS; with notify, the target gets PEER_INFO NOTIFY about
 * the requester (at most one per pair per 2 s).
 */
enum registry_verdict registry_lookup(struct registry *reg, uint64_t now,
				      const uint8_t requester[BASECTL_ADDR_LEN],
				      const struct registry_transport *from,
				      const uint8_t target[BASECTL_ADDR_LEN], bool notify,
				      struct registry_msg *reply);

enum registry_verdict registry_unsubscribe(struct registry *reg, uint64_t now,
					   const uint8_t requester[BASECTL_ADDR_LEN],
					   const struct registry_transport *from,
					   const uint8_t target[BASECTL_ADDR_LEN]);

/*
 * ALLOW: restricted false with n 0 lifts any restriction; n <= 93.  The
 * list replaces the held one (repeats dropped); the chunk pool always has
 * room for it.
 */
enum registry_verdict registry_allow(struct registry *reg, uint64_t now,
				     const uint8_t requester[BASECTL_ADDR_LEN],
				     const struct registry_transport *from,
				     bool restricted,
				     const uint8_t (*list)[BASECTL_ADDR_LEN], size_t n);

/* PING: a refresh; reply PONG with the observed endpoint. */
enum registry_verdict registry_ping(struct registry *reg, uint64_t now,
				    const uint8_t requester[BASECTL_ADDR_LEN],
				    const struct registry_transport *from,
				    const uint8_t txid[BASECTL_TXID_LEN],
				    struct registry_msg *reply);

/*
 * A RELAY frame from `from` (msg_classify accepted it; the inner message
 * is not looked at).  RELAYED: *to is the destination's transport, always
 * a registered node's.  One index probe sequence per relay id, no hashing,
 * no crypto, no state change but the counter.
 */
enum registry_verdict registry_relay(struct registry *reg, uint64_t now,
				     const struct registry_transport *from,
				     const uint8_t src[BASECTL_RELAY_ID_LEN],
				     const uint8_t dst[BASECTL_RELAY_ID_LEN],
				     struct registry_transport *to);

/*
 * Sweep at most `budget` node slots and as many subscription slots from
 * where the last call stopped: remove nodes not refreshed for 75 s (with
 * every subscription of theirs and to them), subscriptions past their
 * TTL, and push deferred changes.  Returns the number removed.
 */
size_t registry_expire(struct registry *reg, uint64_t now, size_t budget);

/* Copy n's ALLOW list (sorted) to out; returns n->n_allow. */
size_t registry_allow_list(const struct registry *reg, const struct registry_node *n,
			   uint8_t out[BASECTL_ALLOW_MAX][BASECTL_ADDR_LEN]);

/* The live node with this address, or NULL (expired ones too). */
const struct registry_node *registry_find(const struct registry *reg,
					  const uint8_t addr[BASECTL_ADDR_LEN],
					  uint64_t now);

/*
 * Recount everything (every index against the tables, lists, counts, the
 * free stack): NULL when consistent, else what is not.  O(capacity): for
 * tests and the fuzzer.
 */
const char *registry_check(const struct registry *reg);

#endif
