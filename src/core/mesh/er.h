/*
 * The signed endpoint record (ER) and the EP18 endpoint encoding.
 *
 * A node signs an ER with its identity key and sends it to a base in
 * REGISTER; the base checks it and hands it to peers verbatim (PEER_INFO),
 * so a peer can check that the candidates really came from the key holder.
 * The design is research/mesh-design.md §2.2; the byte-for-byte text is
 * docs/mesh-protocol.md.
 *
 *   off  len  field
 *   0    32   ed_pk (Ed25519; the address is derived from it)
 *   32   8    seq (u64: unix ms, strictly increasing; 0 is never valid)
 *   40   2    listen_port (u16, non-zero)
 *   42   1    nat_flags (bits 0-2 defined, the rest zero)
 *   43   1    n: endpoints, 0..16
 *   44   18n  n × EP18, each an acceptable candidate, no two equal
 *   ..   1    name_len, 0..63
 *   ..   k    name: one RFC 1123 label in [a-z0-9-]
 *   ..   64   sig: Ed25519 over "subnetra-mesh-er-v1\n" ‖ every byte before it
 *
 * EP18 = 16-byte IPv6 address (an IPv4 address as ::ffff:a.b.c.d) ‖ u16
 * port.  Every integer is big-endian.
 *
 * The encoding is canonical: an accepted record encodes back to exactly the
 * bytes it was parsed from (er_encode), which is what lets a base forward
 * it and a fuzzer check the round trip.
 *
 * Pure: no I/O, no clock.  Signing and verifying go through identity.h;
 * requires sodium_init().
 */
#ifndef SUBNETRA_CORE_MESH_ER_H
#define SUBNETRA_CORE_MESH_ER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/mesh/identity.h"

#define ER_SIGN_DOMAIN "subnetra-mesh-er-v1"

enum {
	EP18_LEN = 18,
	EP18_ADDR_LEN = 16,

	ER_OFF_PK = 0,
	ER_OFF_SEQ = ER_OFF_PK + IDENTITY_PK_LEN,
	ER_OFF_PORT = ER_OFF_SEQ + 8,
	ER_OFF_NAT_FLAGS = ER_OFF_PORT + 2,
	ER_OFF_N = ER_OFF_NAT_FLAGS + 1,
	ER_OFF_ENDPOINTS = ER_OFF_N + 1,
	ER_MAX_ENDPOINTS = 16,
	ER_NAME_MAX = 63, /* MESH_NAME_MAX (core/mesh/name.h), which checks names */
	/* No endpoint, no name: the fixed part, name_len and the signature. */
	ER_MIN_LEN = ER_OFF_ENDPOINTS + 1 + IDENTITY_SIG_LEN,
	ER_MAX_LEN = ER_MIN_LEN + ER_MAX_ENDPOINTS * EP18_LEN + ER_NAME_MAX,

	/* nat_flags */
	ER_NAT_EDM = 1u << 0,	     /* endpoint-dependent mapping detected */
	ER_NAT_PORT_MAPPED = 1u << 1, /* a PCP / NAT-PMP mapping is held */
	ER_NAT_UDP_BASE_FAILED = 1u << 2,
	ER_NAT_FLAGS_KNOWN = ER_NAT_EDM | ER_NAT_PORT_MAPPED | ER_NAT_UDP_BASE_FAILED,
};

_Static_assert(ER_OFF_ENDPOINTS == 44, "ER fixed part as in the design (§2.2)");
_Static_assert(ER_MIN_LEN == 109 && ER_MAX_LEN == 460, "ER bounds");
_Static_assert(ER_MAX_LEN <= IDENTITY_SIGNED_MAX - 32, "an ER fits identity_sign");

struct ep18 {
	uint8_t addr[EP18_ADDR_LEN];
	uint16_t port;
};

struct er {
	uint8_t ed_pk[IDENTITY_PK_LEN];
	uint64_t seq;
	uint16_t listen_port;
	uint8_t nat_flags;
	uint8_t n;
	struct ep18 ep[ER_MAX_ENDPOINTS];
	uint8_t name_len;
	char name[ER_NAME_MAX + 1]; /* NUL-terminated copy of the name */
	uint8_t sig[IDENTITY_SIG_LEN];
};

/*
 * Why a record was refused (or could not be built).  ER_REASONS is the one
 * list: the enum and the stable names (for counters, "drop_er_<name>")
 * come from it.  A parser reports the first reason in this order.
 */
#define ER_REASONS(X)                                                                    \
	X(TOO_SHORT, too_short)		  /* under ER_MIN_LEN */                             \
	X(TOO_MANY_ENDPOINTS, too_many_endpoints) /* n > 16 */                           \
	X(BAD_NAME_LEN, bad_name_len)	  /* name_len > 63 */                                \
	X(BAD_LENGTH, bad_length)	  /* length is not the one n and name_len give */    \
	X(BAD_PORT, bad_port)		  /* listen_port 0 */                                \
	X(BAD_SEQ, bad_seq)		  /* seq 0 */                                        \
	X(BAD_FLAGS, bad_flags)		  /* an undefined nat_flags bit */                   \
	X(BAD_ENDPOINT, bad_endpoint)	  /* not an acceptable candidate (ep18_candidate) */ \
	X(DUPLICATE_ENDPOINT, duplicate_endpoint) /* the same EP18 twice */              \
	X(BAD_NAME, bad_name)		  /* not one RFC 1123 label in [a-z0-9-] */          \
	X(BAD_KEY, bad_key)		  /* ed_pk fails the identity filter */              \
	X(WRONG_ADDRESS, wrong_address)	  /* ed_pk's address is not the one expected */      \
	X(BAD_SIGNATURE, bad_signature)	  /* the signature does not verify */                \
	X(NO_SPACE, no_space)		  /* encoding: the output buffer is too small */

enum er_result {
	ER_OK = 0,
#define ER_ENUM(up, low) ER_##up,
	ER_REASONS(ER_ENUM)
#undef ER_ENUM
	    ER_RESULT_END,
};

/* "ok", "too_short" ... "no_space"; "?" out of range. */
const char *er_result_name(enum er_result r);

/* ---- EP18 --------------------------------------------------------------- */

void ep18_put(uint8_t out[EP18_LEN], const struct ep18 *ep);
void ep18_get(struct ep18 *ep, const uint8_t in[EP18_LEN]);
/* a.b.c.d (network order bytes) as ::ffff:a.b.c.d, and the reverse. */
void ep18_from_ipv4(struct ep18 *ep, const uint8_t v4[4], uint16_t port);
void ep18_from_ipv6(struct ep18 *ep, const uint8_t v6[16], uint16_t port);
/* True for ::ffff:0:0/96; v4 (may be NULL) gets the four address bytes. */
bool ep18_is_ipv4(const struct ep18 *ep, uint8_t v4[4]);
bool ep18_equal(const struct ep18 *a, const struct ep18 *b);

/*
 * An acceptable *candidate* (an endpoint a node advertises in an ER or a
 * CALL_ME_MAYBE): port non-zero, and the address none of unspecified,
 * loopback, link-local, multicast, broadcast or limited (0.0.0.0/8,
 * 127/8, 169.254/16, 224/4, 240/4; ::/96 other than IPv4-mapped, fe80::/10,
 * ff00::/8) and not an overlay address (fc94::/16).  Private addresses
 * (RFC 1918, fc00::/7 outside fc94::/16, 100.64/10) are candidates: that is
 * how two nodes behind one NAT find each other.
 */
bool ep18_candidate(const struct ep18 *ep);
/*
 * An acceptable *observed* endpoint (a source address one side saw, in
 * PONG, REGISTER_OK, PEER_INFO and PATH_PONG): port non-zero, and not
 * unspecified, multicast or broadcast.  Loopback and link-local are real
 * sources (a base on the same host, a LAN path) and are allowed here.
 */
bool ep18_observed(const struct ep18 *ep);

/*
 * A list of candidates: ER_OK, ER_BAD_ENDPOINT for the first that is not
 * ep18_candidate, or ER_DUPLICATE_ENDPOINT for the first equal to an
 * earlier one.  Shared by the ER and CALL_ME_MAYBE.
 */
enum er_result ep18_list_check(const struct ep18 *ep, unsigned n);

/* ---- the record ----------------------------------------------------------- */

/* The encoded length of er (from n and name_len; no checks). */
size_t er_len(const struct er *er);

/*
 * Check er's fields (everything but the key, address and signature), set
 * ed_pk to id's, encode, sign, and store the signature in er and out.
 * *len gets the length.  ER_OK, the first field's reason, or ER_NO_SPACE.
 * er->name must hold name_len bytes (its NUL is added here).
 */
enum er_result er_sign(struct er *er, const struct identity *id, uint8_t *out, size_t cap,
		       size_t *len);
/* Encode er as it is (its signature included): the forwarding direction. */
enum er_result er_encode(const struct er *er, uint8_t *out, size_t cap, size_t *len);

/*
 * Parse buf[0..len) as one whole record and verify it: layout, fields, the
 * key filter, the address (when expect_addr is not NULL, it must be the
 * one derived from ed_pk), then the signature.  er is written only on
 * ER_OK (zeroed otherwise).
 */
enum er_result er_parse(struct er *er, const uint8_t *buf, size_t len,
			const uint8_t expect_addr[IDENTITY_ADDR_LEN]);

/*
 * Freshness: a record (or beacon) with this seq replaces what is held only
 * when it is strictly newer than the last seq accepted from the same key
 * (0 when none was).  Equal is a replay, lower is stale.
 */
static inline bool er_seq_fresher(uint64_t seq, uint64_t last_seen)
{
	return seq > last_seen;
}


#endif
