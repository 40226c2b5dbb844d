/*
 * mac1, mac2 and cookies: the cheap checks in front of the handshake's
 * Diffie-Hellman (research/mesh-design.md §1.6; WireGuard's scheme with
 * BLAKE2b).  Exact computations: docs/mesh-protocol.md.
 *
 *   mac1 key    = BLAKE2b-256("mac1----" ‖ S_pk)             no mesh psk
 *               = BLAKE2b-256(key = psk, "mac1----" ‖ S_pk)  with a mesh psk
 *   cookie key  = BLAKE2b-256("cookie--" ‖ S_pk)
 *   mac1        = BLAKE2b-128(key = mac1 key, msg[0 .. len-32))
 *   mac2        = BLAKE2b-128(key = cookie, msg[0 .. len-16)), zeros if no cookie
 *   cookie      = BLAKE2b-128(key = R, source address ‖ port)
 *   COOKIE_REPLY = XChaCha20-Poly1305(key = cookie key, nonce random,
 *                                     AD = the answered message's mac1, cookie)
 * where S_pk is the X25519 static public key of the message's receiver
 * (for the cookie key: of the reply's sender, the same node) and R is a
 * random secret replaced every COOKIE_SECRET_NS.
 *
 * Every message carrying macs ends in mac1 ‖ mac2 (msg.h: MSG_MACS_LEN), so
 * the functions take the whole message and its length (>= MSG_MACS_LEN;
 * callers pass only messages msg_classify accepted as HS_INIT or HS_RESP).
 * Nothing here knows peers or sockets: a source is the caller's bytes.
 * Time is a monotonic clock in ns, passed in.
 */
#ifndef SUBNETRA_MESH_COOKIE_H
#define SUBNETRA_MESH_COOKIE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/mesh/msg.h"

#define COOKIE_NS_PER_S UINT64_C(1000000000)
/* R is replaced this often (COOKIE_REFRESH_TIME). */
#define COOKIE_SECRET_NS (120 * COOKIE_NS_PER_S)
/*
 * After R is replaced, the previous R still verifies mac2 for one more
 * COOKIE_SECRET_NS: a cookie is accepted for at least COOKIE_SECRET_NS after
 * it was made and never for 2 * COOKIE_SECRET_NS or more.
 */
#define COOKIE_GRACE_NS COOKIE_SECRET_NS
/* The initiator uses a cookie for this long after receiving it. */
#define COOKIE_MARGIN_NS (10 * COOKIE_NS_PER_S)
#define COOKIE_VALID_NS	 (COOKIE_SECRET_NS - COOKIE_MARGIN_NS)

enum {
	COOKIE_KEY_LEN = 32,
	COOKIE_PSK_LEN = 32,
	COOKIE_SECRET_LEN = 32,
	/* address (4 or 16 bytes) ‖ port u16 BE, or any caller encoding */
	COOKIE_SOURCE_MAX = 16 + 2,
};

_Static_assert(COOKIE_VALID_NS < COOKIE_SECRET_NS,
	       "the initiator stops before R changes twice");

/* The two keys derived from one node's static public key. */
struct cookie_keys {
	uint8_t mac1[COOKIE_KEY_LEN];
	uint8_t cookie[COOKIE_KEY_LEN];
};

/*
 * psk: the mesh psk (COOKIE_PSK_LEN bytes) or NULL; an all-zero psk is the
 * Noise default "none" and counts as NULL, so both ends agree.
 */
void cookie_keys_derive(struct cookie_keys *k, const uint8_t static_pk[MSG_KEY_LEN],
			const uint8_t *psk);

/* BLAKE2b-128(key = k->mac1, msg[0 .. len - MSG_MACS_LEN)). */
void cookie_mac1(uint8_t out[MSG_MAC_LEN], const struct cookie_keys *k,
		 const uint8_t *msg, size_t len);

/* ---- sender side: one per peer we send handshake messages to ---------- */

struct cookie_sender {
	struct cookie_keys keys; /* from the peer's static public key */
	uint8_t last_mac1[MSG_MAC_LEN];
	bool have_last_mac1; /* a reply may answer it (once) */
	uint8_t cookie[MSG_COOKIE_LEN];
	bool have_cookie;
	uint64_t cookie_received_ns;
};

void cookie_sender_init(struct cookie_sender *s,
			const uint8_t peer_static_pk[MSG_KEY_LEN], const uint8_t *psk);
/*
 * Fill in msg's mac1 and mac2 (its last 32 bytes) just before sending it;
 * mac2 is zero unless a cookie younger than COOKIE_VALID_NS is held.
 * Remembers the mac1 for the COOKIE_REPLY that may answer this message.
 */
void cookie_sender_add_macs(struct cookie_sender *s, uint8_t *msg, size_t len,
			    uint64_t now_ns);
/*
 * Open a COOKIE_REPLY (64 bytes, classified) that answers our last message
 * (the caller matched its receiver index).  On success the cookie is kept
 * with its receive time and true is returned; a reply that does not open
 * with our last mac1 changes nothing.  A second reply for the same mac1 is
 * refused.
 */
bool cookie_sender_consume_reply(struct cookie_sender *s,
				 const uint8_t reply[MSG_COOKIE_REPLY_LEN],
				 uint64_t now_ns);
void cookie_sender_wipe(struct cookie_sender *s);

/* ---- receiver side: one per node (our own static key) ----------------- */

struct cookie_checker {
	struct cookie_keys keys; /* from our static public key */
	uint8_t secret[COOKIE_SECRET_LEN];
	uint8_t prev_secret[COOKIE_SECRET_LEN];
	uint64_t secret_born_ns;
	uint64_t prev_born_ns;
	bool have_secret;
	bool have_prev;
};

void cookie_checker_init(struct cookie_checker *c,
			 const uint8_t our_static_pk[MSG_KEY_LEN], const uint8_t *psk);
/* Is msg's mac1 ours?  (Constant time.) */
bool cookie_checker_mac1_ok(const struct cookie_checker *c, const uint8_t *msg,
			    size_t len);
/*
 * Is msg's mac2 made with the cookie of source (src_len <= COOKIE_SOURCE_MAX)
 * under the current R, or the previous one within COOKIE_GRACE_NS?  Replaces
 * R when it is due.
 */
bool cookie_checker_mac2_ok(struct cookie_checker *c, const uint8_t *msg, size_t len,
			    const uint8_t *src, size_t src_len, uint64_t now_ns);
/*
 * Build the COOKIE_REPLY to msg (whose mac1 verified) from source: receiver
 * index = msg's sender index, a random nonce, the sealed cookie.  Replaces
 * R when it is due.  The reply (64 bytes) is never larger than msg.
 */
void cookie_checker_make_reply(struct cookie_checker *c,
			       uint8_t out[MSG_COOKIE_REPLY_LEN], const uint8_t *msg,
			       size_t len, const uint8_t *src, size_t src_len,
			       uint64_t now_ns);
void cookie_checker_wipe(struct cookie_checker *c);

#endif
