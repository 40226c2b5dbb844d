/*
 * The framed mesh handshake: HS_INIT / HS_RESP (core/mesh/msg.h) carrying
 * Noise_IKpsk2_25519_ChaChaPoly_SHA256 (core/mesh/noise.h) with mac1/mac2
 * and cookies (core/mesh/cookie.h), and the identity binding of
 * core/mesh/identity.h.  Byte for byte: docs/mesh-protocol.md, "Handshake".
 *
 *   prologue   "subnetra-mesh v1" (16 bytes, no NUL)
 *   psk        the mesh-wide psk, or 32 zero bytes
 *   statics    X25519 keys derived from each node's Ed25519 identity
 *   HS_INIT    payload ed_pk 32 ‖ TAI64N 12 ‖ flags u32 BE
 *   HS_RESP    payload flags u32 BE
 *
 * The responder checks, cheapest first, and stops at the first failure:
 * length, type, reserved -> mac1 -> (under load: mac2, else a COOKIE_REPLY
 * if hs_ops.cookie_reply_allowed agrees;
 * then the source's token bucket) -> Noise message 1 -> the identity's
 * proof of work -> the caller's whitelist -> X25519(ed_pk) == the Noise
 * static -> TAI64N newer than the last accepted from that identity ->
 * HS_RESP.  Every refusal is an enum hs_reason with a stable name (the
 * counter drop_mesh_hs_<name>) and changes nothing the caller keeps: the
 * Noise state of a refused message lives on the stack and is wiped, and a
 * pending initiation survives a forged HS_RESP (it is read on a copy).
 *
 * Pure: no I/O, no clock (both clocks are parameters: a monotonic one for
 * cookies and load, the wall clock only for TAI64N), randomness only from
 * libsodium.  The load detector, rate limiter and whitelist are the
 * caller's, reached through struct hs_ops.  Test vectors fix ephemerals and
 * indexes through struct hs_fixed, an explicit parameter that production
 * callers pass as NULL.  Requires sodium_init().
 */
#ifndef SUBNETRA_MESH_HANDSHAKE_H
#define SUBNETRA_MESH_HANDSHAKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/mesh/cookie.h"
#include "core/mesh/identity.h"
#include "core/mesh/msg.h"
#include "core/mesh/noise.h"
#include "core/mesh/ratelimit.h"

#define HS_PROLOGUE "subnetra-mesh v1"

enum {
	HS_PROLOGUE_LEN = sizeof HS_PROLOGUE - 1,
	HS_TAI64N_LEN = 12,    /* u64 BE 2^62 + seconds ‖ u32 BE nanoseconds */
	HS_INIT_OFF_ED_PK = 0, /* in the HS_INIT payload */
	HS_INIT_OFF_TAI64N = HS_INIT_OFF_ED_PK + IDENTITY_PK_LEN,
	HS_INIT_OFF_FLAGS = HS_INIT_OFF_TAI64N + HS_TAI64N_LEN,
	/* The largest reply either side may send back: an HS_RESP. */
	HS_REPLY_MAX = MSG_HS_RESP_LEN,
};

_Static_assert(HS_PROLOGUE_LEN == 16, "the prologue is 16 bytes");
_Static_assert((int)HS_INIT_OFF_FLAGS + 4 == (int)MSG_HS_INIT_PAYLOAD_LEN,
	       "HS_INIT payload layout");
_Static_assert((int)MSG_COOKIE_REPLY_LEN <= (int)HS_REPLY_MAX,
	       "a cookie reply fits the reply buffer");

/*
 * Why a handshake message was refused: HS_OK, or the counter
 * drop_mesh_hs_<name>.  The one list: enum and names come from it.
 */
#define HS_REASONS(X)                                                                    \
	X(BAD_LENGTH, bad_length)	      /* not the exact length of the type */     \
	X(BAD_TYPE, bad_type)		      /* not the expected type byte */           \
	X(BAD_RESERVED, bad_reserved)	      /* a reserved byte is set */               \
	X(UNKNOWN_RECEIVER, unknown_receiver) /* HS_RESP: no initiation of that index */ \
	X(BAD_MAC1, bad_mac1)		      /* mac1 is not keyed by our static key */  \
	X(UNDER_LOAD, under_load)	    /* no valid mac2: a COOKIE_REPLY is sent */  \
	X(RATE_LIMITED, rate_limited)	    /* the source's token bucket is empty */     \
	X(RATELIMIT_FULL, ratelimit_full)   /* no room for the source's bucket */        \
	X(DECRYPT, decrypt)		    /* Noise: a tag failed or a low-order key */ \
	X(BAD_IDENTITY, bad_identity)	    /* ed_pk fails the proof of work */          \
	X(NOT_ALLOWED, not_allowed)	    /* the whitelist refused the identity */     \
	X(STATIC_MISMATCH, static_mismatch) /* X25519(ed_pk) is not the Noise static */  \
	X(STALE_TIMESTAMP, stale_timestamp) /* TAI64N not newer than the last one */

enum hs_reason {
	HS_OK = 0,
#define HS_REASON_ENUM(up, low) HS_DROP_##up,
	HS_REASONS(HS_REASON_ENUM)
#undef HS_REASON_ENUM
	    HS_REASON_END,
};

/* "ok", "bad_length" ... "stale_timestamp"; "?" out of range. */
const char *hs_reason_name(enum hs_reason r);

/* This node's keys, computed once at start-up. */
struct hs_local {
	uint8_t ed_pk[IDENTITY_PK_LEN];
	uint8_t addr[IDENTITY_ADDR_LEN];
	uint8_t x_priv[NOISE_DHLEN];
	uint8_t x_pub[NOISE_DHLEN];
	uint8_t psk[NOISE_PSKLEN];     /* zeros: none */
	struct cookie_checker checker; /* mac1 of what we receive; cookies (R) */
};

/* psk: the mesh psk or NULL.  0, or -EINVAL (identity unusable; l wiped). */
int hs_local_init(struct hs_local *l, const struct identity *id, const uint8_t *psk);
void hs_local_wipe(struct hs_local *l);

/* What the whitelist callback tells about an identity it accepts. */
struct hs_peer {
	/* The newest TAI64N accepted from this identity; zeros: none yet. */
	uint8_t last_tai64n[HS_TAI64N_LEN];
	/* Our cookie state for this peer (mac2 of our HS_RESP), or NULL: zeros. */
	struct cookie_sender *cookie;
};

/* The caller's policy.  Any callback may be NULL: never under load / allow. */
struct hs_ops {
	void *ctx;
	/*
	 * Count one handshake message whose mac1 verified; true while under
	 * load (mesh_ratelimit_load_note does exactly this).
	 */
	bool (*under_load)(void *ctx, uint64_t now_ns);
	/*
	 * Under load, mac2 missing or wrong: may a COOKIE_REPLY go to src?
	 * false: HS_DROP_UNDER_LOAD with nothing to send (and no reply made).
	 * NULL: always.
	 */
	bool (*cookie_reply_allowed)(void *ctx, const uint8_t *src, size_t src_len,
				     uint64_t now_ns);
	/* Under load, after mac2: the source's token bucket (mesh_ratelimit_allow). */
	enum mesh_ratelimit_verdict (*rate_limit)(void *ctx, const uint8_t *src,
						  size_t src_len, uint64_t now_ns);
	/*
	 * The whitelist, asked once the initiator's identity is authenticated
	 * and before any further work: may ed_pk (address addr) handshake
	 * with us?  When yes, fill *peer.  NULL callback: nobody may (a
	 * responder without a whitelist answers no one).
	 */
	bool (*peer_allowed)(void *ctx, const uint8_t ed_pk[IDENTITY_PK_LEN],
			     const uint8_t addr[IDENTITY_ADDR_LEN], struct hs_peer *peer);
};

/* Test hooks (vectors only; NULL in production: random values). */
struct hs_fixed {
	uint32_t local_index;	  /* 0: random, non-zero */
	const uint8_t *ephemeral; /* NOISE_DHLEN private bytes, or NULL */
};

/* A finished handshake: one keypair, not yet installed in a session. */
struct hs_keys {
	struct noise_cipher send, recv;
	uint32_t local_index;  /* receives DATA for this keypair */
	uint32_t remote_index; /* we put it on DATA we send */
	bool initiator;
	uint8_t peer_ed_pk[IDENTITY_PK_LEN];
	uint8_t peer_addr[IDENTITY_ADDR_LEN];
	uint8_t tai64n[HS_TAI64N_LEN]; /* responder: store as the peer's last_tai64n */
	uint32_t flags;		       /* the peer's payload flags (ignored for now) */
};

void hs_keys_wipe(struct hs_keys *k);

/* TAI64N of a wall-clock time in ns since 1970 (leap seconds ignored). */
void hs_tai64n(uint8_t out[HS_TAI64N_LEN], uint64_t wall_ns);

/* ---- initiator --------------------------------------------------------- */

struct hs_initiator {
	struct noise_handshake noise;
	uint32_t local_index;
	uint8_t peer_ed_pk[IDENTITY_PK_LEN];
	uint8_t peer_addr[IDENTITY_ADDR_LEN];
	bool active; /* an HS_INIT is out and its HS_RESP not yet consumed */
};

/*
 * Start a handshake with peer_ed_pk and write the HS_INIT.  cs: the
 * caller's cookie state for that peer (cookie_sender_init with the peer's
 * X25519 key and our psk): it makes mac1, and mac2 from a held cookie.  A
 * retransmission is a new call (new ephemeral, new timestamp): the
 * responder refuses a timestamp it has seen.  Returns 0 or -EINVAL (the
 * peer's key is not a valid point); hs is overwritten.
 */
int hs_initiator_start(struct hs_initiator *hs, const struct hs_local *l,
		       const uint8_t peer_ed_pk[IDENTITY_PK_LEN],
		       struct cookie_sender *cs, uint32_t flags, uint64_t wall_ns,
		       uint64_t now_ns, const struct hs_fixed *fixed,
		       uint8_t out[MSG_HS_INIT_LEN]);

/*
 * Consume an HS_RESP from src (the caller's address encoding, at most
 * COOKIE_SOURCE_MAX bytes).  Order: length, type, reserved, receiver index
 * == hs's -> mac1 -> the load gate as for HS_INIT -> Noise message 2.
 * HS_OK: *keys is filled and hs is wiped (inactive).  HS_DROP_UNDER_LOAD:
 * out[0..*out_len) is a COOKIE_REPLY to send to src.  Any other refusal
 * leaves hs as it was.  *out_len is 0 unless there is something to send.
 */
enum hs_reason hs_initiator_consume(struct hs_initiator *hs, struct hs_local *l,
				    const struct hs_ops *ops, const uint8_t *msg,
				    size_t len, const uint8_t *src, size_t src_len,
				    uint64_t now_ns, uint8_t out[HS_REPLY_MAX],
				    size_t *out_len, struct hs_keys *keys);
void hs_initiator_wipe(struct hs_initiator *hs);

/* ---- responder --------------------------------------------------------- */

/*
 * Answer an HS_INIT from src in the order above.  HS_OK: out holds the
 * HS_RESP (*out_len = MSG_HS_RESP_LEN) and *keys the keypair; the caller
 * stores keys->tai64n as the identity's last timestamp when it installs
 * the keypair.  HS_DROP_UNDER_LOAD: out holds a COOKIE_REPLY.  Otherwise
 * *out_len = 0 and nothing was sent or kept.
 */
enum hs_reason hs_respond(struct hs_local *l, const struct hs_ops *ops,
			  const uint8_t *msg, size_t len, const uint8_t *src,
			  size_t src_len, uint32_t flags, uint64_t now_ns,
			  const struct hs_fixed *fixed, uint8_t out[HS_REPLY_MAX],
			  size_t *out_len, struct hs_keys *keys);

#endif
