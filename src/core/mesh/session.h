/*
 * Mesh sessions: one peer's keypairs (previous / current / next), DATA
 * seal and open, and the timers as pure functions of time.  Byte for
 * byte and the timer table: docs/mesh-protocol.md, "Sessions and timers".
 *
 * Keypairs (wireguard-go's rules, research/mesh-design.md §1.5):
 *  - the initiator's new keypair becomes current at once (it has seen
 *    HS_RESP, so the responder has the keys);
 *  - the responder's waits in next, unusable for sending, until the first
 *    DATA that decrypts under it (key confirmation) promotes it;
 *  - simultaneous initiations need no tie-break here: each handshake makes
 *    its own keypair with its own local index, and each side keeps the
 *    other's as previous, so DATA under either one is received.  (The
 *    node still breaks the tie, daemon/mesh/hs.c: with both kept, the next
 *    rekey drops the DATA in flight; docs/mesh-protocol.md.)
 *
 * Receive order (session_open), each failure a counted drop that changes
 * nothing: length, type, reserved -> receiver index selects a keypair of
 * this peer -> keypair age (reject_after) -> replay window check -> AEAD (AD =
 * the 16-byte header) -> inner packet check -> window mark -> key
 * confirmation.  The inner check comes before the mark so that a refused
 * packet leaves the window untouched; it is authentic, so its counter is
 * never reused by an honest peer either way.
 *
 * Index table: local index -> session, open addressing over a fixed array,
 * hashed with crypto_shorthash under a random key (the index is chosen by
 * us but echoed by anyone, so a keyed hash keeps probes short).
 *
 * Pure: no I/O, no clock (now_ns is a monotonic clock passed in).
 */
#ifndef SUBNETRA_MESH_SESSION_H
#define SUBNETRA_MESH_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/mesh/handshake.h"
#include "core/mesh/mreplay.h"
#include "core/mesh/msg.h"
#include "core/mesh/noise.h"

#define SESSION_NS_PER_S UINT64_C(1000000000)
/*
 * The time-based timers derive from one rekey interval r (the mesh
 * config's "rekey_interval", default SESSION_REKEY_DEFAULT_S), in the
 * proportions of wireguard-go's device/constants.go at r = 120 s:
 *   rekey after r (initiator, sending)      120 s
 *   reject after r * 3 / 2 (no keypair used past it)   180 s
 *   rekey on receive at reject - r / 8 (initiator)  165 s (180 - 10 - 5)
 *   wipe keys 3 * reject after the last handshake   540 s
 * Each peer uses its own: r is local, never negotiated, and any two
 * values interoperate (the initiator of a keypair drives its rekey).
 */
#define SESSION_REKEY_DEFAULT_S 120
#define SESSION_REKEY_MIN_S	10
#define SESSION_REKEY_MAX_S	SESSION_REKEY_DEFAULT_S /* the "at least every 120 s" */

struct session_timers {
	uint64_t rekey_after_ns;
	uint64_t reject_after_ns;
	uint64_t rekey_on_recv_ns;
	uint64_t zero_after_ns;
};

/* The timers of rekey interval rekey_s (SESSION_REKEY_MIN_S..MAX_S). */
void session_timers_init(struct session_timers *t, unsigned rekey_s);

/* Fixed: wireguard-go's device/constants.go, in ns. */
#define SESSION_KEEPALIVE_TIMEOUT_NS (10 * SESSION_NS_PER_S)
#define SESSION_REKEY_TIMEOUT_NS     (5 * SESSION_NS_PER_S)
/* Our change: the first HS_INIT is retransmitted after 1 s, then every 5 s. */
#define SESSION_REKEY_FIRST_NS	 (1 * SESSION_NS_PER_S)
#define SESSION_REKEY_ATTEMPT_NS (90 * SESSION_NS_PER_S)
#define SESSION_REKEY_AFTER_MESSAGES  (UINT64_C(1) << 60)
#define SESSION_REJECT_AFTER_MESSAGES MREPLAY_REJECT_AFTER

_Static_assert(SESSION_REKEY_AFTER_MESSAGES < SESSION_REJECT_AFTER_MESSAGES,
	       "rekey well before the counter limit");

enum {
	/* Power of two; up to 2 indexes per peer (one per keypair slot), and
	 * after its first rekey every session holds 2: a node's 1,024 peers
	 * need 2,048, a base's 16,384 clients 32,768 (10,000 nodes: 20,000),
	 * so the table stays at most half full with probes of 32. */
	SESSION_INDEX_SLOTS = 65536,
	SESSION_INDEX_PROBE = 32,
	SESSION_IPV6_HEADER = 40,
	/*
	 * Three roles (previous, current, next) in two slots: no operation
	 * ever leaves more than two roles set.  session_install first drops
	 * previous (and, for a responder, next; for an initiator with a next,
	 * current), so at most one role is left when the new keypair takes a
	 * slot; a key confirmation drops previous before current becomes it.
	 * wireguard-go's rules keep the same two keypairs alive; a third slot
	 * was 1,160 bytes per peer never used (docs/performance.md,
	 * mesh-base-scale).  test_mesh_session checks it on random sequences.
	 */
	SESSION_KEYPAIRS = 2,
};

_Static_assert((SESSION_INDEX_SLOTS & (SESSION_INDEX_SLOTS - 1)) == 0, "power of two");

/*
 * What session_open did with a DATA message: one of the three deliveries,
 * or a drop counted as drop_mesh_data_<name>.
 */
#define SESSION_DROP_REASONS(X)                                                          \
	X(BAD_LENGTH, bad_length)	    /* outside DATA's length range */            \
	X(BAD_TYPE, bad_type)		    /* not a DATA message */                     \
	X(BAD_RESERVED, bad_reserved)	    /* a reserved byte is set */                 \
	X(UNKNOWN_INDEX, unknown_index)	    /* no keypair of this peer has that index */ \
	X(EXPIRED, expired)		    /* the keypair is reject_after old */        \
	X(COUNTER_LIMIT, counter_limit)	    /* counter >= REJECT_AFTER_MESSAGES */       \
	X(TOO_OLD, too_old)		    /* counter behind the window */              \
	X(REPLAY, replay)		    /* counter seen before */                    \
	X(BAD_TAG, bad_tag)		    /* the AEAD did not verify */                \
	X(INNER_NOT_IPV6, inner_not_ipv6)   /* neither IPv6, control nor keepalive */    \
	X(INNER_TRUNCATED, inner_truncated) /* shorter than an IPv6 header */            \
	X(INNER_BAD_SOURCE, inner_bad_source) /* source is not the peer's address */     \
	X(INNER_BAD_DEST, inner_bad_dest)     /* destination: not ours, not multicast */

enum session_verdict {
	SESSION_KEEPALIVE = 0, /* empty plaintext */
	SESSION_PACKET,	       /* an IPv6 packet from the peer to us */
	SESSION_CONTROL,       /* plaintext starting 0x01..0x2F: control codecs */
#define SESSION_DROP_ENUM(up, low) SESSION_DROP_##up,
	SESSION_DROP_REASONS(SESSION_DROP_ENUM)
#undef SESSION_DROP_ENUM
	    SESSION_VERDICT_END,
	SESSION_FIRST_DROP = SESSION_CONTROL + 1,
};

static inline bool session_verdict_is_drop(enum session_verdict v)
{
	return v >= SESSION_FIRST_DROP;
}

/* "keepalive", "packet", "control", "bad_length" ...; "?" out of range. */
const char *session_verdict_name(enum session_verdict v);

struct session_keypair {
	struct noise_cipher send, recv;
	struct mreplay replay;
	uint64_t send_counter; /* the next counter to send */
	uint64_t birth_ns;
	uint32_t local_index, remote_index;
	bool initiator;
	bool valid;
};

struct session {
	uint8_t our_addr[IDENTITY_ADDR_LEN];
	uint8_t peer_addr[IDENTITY_ADDR_LEN];
	struct session_keypair slot[SESSION_KEYPAIRS];
	int8_t previous, current, next; /* slot numbers, -1: none */
	uint64_t last_derived_ns;	/* when the newest keypair was installed */
	bool have_keys;			/* some keypair was ever installed */
	struct session_timers timers;	/* session_init: the default; the owner may set */
};

struct session_index_entry {
	uint32_t index; /* 0: free */
	struct session *session;
};

struct session_index {
	uint8_t hash_key[16];
	struct session_index_entry slot[SESSION_INDEX_SLOTS];
};

void session_index_init(struct session_index *t);
/* Map index (non-zero) to s: 0, -EEXIST (taken), -ENOSPC (window full). */
int session_index_insert(struct session_index *t, uint32_t index, struct session *s);
/* A fresh random non-zero index mapped to s: 0, or -ENOSPC. */
int session_index_alloc(struct session_index *t, struct session *s, uint32_t *index);
struct session *session_index_lookup(const struct session_index *t, uint32_t index);
void session_index_remove(struct session_index *t, uint32_t index);

/* An empty session with the default timers (s->timers may then be set). */
void session_init(struct session *s, const uint8_t our_addr[IDENTITY_ADDR_LEN],
		  const uint8_t peer_addr[IDENTITY_ADDR_LEN]);
/*
 * Install a finished handshake's keypair born at now_ns, as its role says;
 * keys is wiped.  The local indexes of keypairs this drops are removed from
 * t (may be NULL when the caller keeps its own table).
 */
void session_install(struct session *s, struct session_index *t, struct hs_keys *keys,
		     uint64_t now_ns);
/* Wipe every keypair (and remove their indexes from t, may be NULL). */
void session_wipe_keys(struct session *s, struct session_index *t);

/*
 * Seal buf[MSG_DATA_HEADER_LEN .. + pt_len) in place under the current
 * keypair: buf gets the header, the ciphertext and the tag; *out_len is
 * MSG_DATA_HEADER_LEN + pt_len + MSG_TAG_LEN.  pt_len 0 is a keepalive.
 * 0; -ENOKEY (no current keypair, or it expired); -EMSGSIZE (pt_len above
 * MSG_DATA_MAX_PLAINTEXT); -ENOBUFS (cap too small).
 */
int session_seal(struct session *s, uint64_t now_ns, uint8_t *buf, size_t pt_len,
		 size_t cap, size_t *out_len);
/*
 * Open a DATA message in place (msg is writable; a refused one may be
 * left zeroed).  On delivery *pt, *pt_len point at the plaintext inside
 * msg.  See the receive order above.  A key confirmation drops the
 * previous keypair, whose index is removed from t (may be NULL).
 */
enum session_verdict session_open(struct session *s, struct session_index *t,
				  uint64_t now_ns, uint8_t *msg, size_t len,
				  const uint8_t **pt, size_t *pt_len);

/* ---- timers: pure functions of time, counters and role ---------------- */

/* The keypair may no longer be used: reject_after old, or its counter is used up. */
bool session_keypair_expired(const struct session_keypair *kp, const struct session_timers *t,
			     uint64_t now_ns);
/*
 * Start a new handshake when sending on kp?  Its send counter passed
 * REKEY_AFTER_MESSAGES, or we initiated it and it is rekey_after old.
 * NULL: yes.
 */
bool session_should_rekey_send(const struct session_keypair *kp,
			       const struct session_timers *t, uint64_t now_ns);
/* Having received on kp: we initiated it and it is rekey_on_recv old. */
bool session_should_rekey_recv(const struct session_keypair *kp,
			       const struct session_timers *t, uint64_t now_ns);

enum session_retransmit {
	SESSION_RETX_WAIT,    /* nothing to do before *next_ns */
	SESSION_RETX_SEND,    /* send a fresh HS_INIT now */
	SESSION_RETX_GIVE_UP, /* 90 s of attempts: stop, drop queued packets */
};
/*
 * The handshake retransmit schedule: the first HS_INIT went out at
 * started_ns, the latest at last_sent_ns, sent of them in all.  The second
 * goes 1 s after the first, every later one 5 s after the one before; at
 * started_ns + 90 s the attempt ends.  The caller adds any jitter.
 */
enum session_retransmit session_retransmit_due(uint64_t started_ns, uint64_t last_sent_ns,
					       unsigned sent, uint64_t now_ns,
					       uint64_t *next_ns);
/* Wipe the keys now?  s->timers.zero_after since the last keypair was derived. */
bool session_zero_due(const struct session *s, uint64_t now_ns);

/* The current (sending) keypair, or NULL. */
const struct session_keypair *session_current(const struct session *s);

#endif
