/*
 * LAN discovery beacons (research/mesh-design.md §4): a node announces its
 * key and mesh port to its link by multicast; a neighbour on the whitelist
 * caches the key and can then run an IK handshake with no base at all.
 * The byte-for-byte text is docs/mesh-protocol.md.
 *
 *   off   len  field
 *   0     3    magic "SNB"
 *   3     1    version 1
 *   4     1    flags: bit0 = query ("please announce"); the rest zero
 *   5     1    name_len, 0..63
 *   6     2    mesh UDP port (u16 BE, non-zero)
 *   8     32   ed_pk
 *   40    8    seq (u64 BE: unix ms, strictly increasing; 0 never valid)
 *   48    k    name: one RFC 1123 label in [a-z0-9-] (mesh_name_valid)
 *   48+k  64   sig: Ed25519 over "subnetra-mesh-beacon-v1\n" ‖ bytes[0..48+k)
 *
 * 112 to 175 bytes.  A beacon is unencrypted and reaches anyone on the
 * link; the signature makes its port and name the key holder's, and seq
 * (with struct beacon_guard) keeps an old beacon from being replayed.
 *
 * Pure: no I/O, no clock.  Requires sodium_init().
 */
#ifndef SUBNETRA_CORE_MESH_BEACON_H
#define SUBNETRA_CORE_MESH_BEACON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/mesh/identity.h"

#define BEACON_SIGN_DOMAIN "subnetra-mesh-beacon-v1"
#define BEACON_MAGIC "SNB"

/*
 * Where beacons go: Husarnet's groups and port (research/husarnet.md §2.7),
 * so one firewall rule serves both daemons; the magic tells the beacons
 * apart (docs/mesh-protocol.md says why we did not pick our own).
 * IPv4 224.3.252.148 is E0.03.FC.94; both are sent with TTL / hop limit 1.
 */
#define BEACON_GROUP_V4 "224.3.252.148"
#define BEACON_GROUP_V6 "ff02:88bb:31e4:95f7:2b87:6b52:e112:19ac"

enum {
	BEACON_PORT = 5581,
	BEACON_MAGIC_LEN = 3,
	BEACON_VERSION = 1,
	BEACON_OFF_VERSION = 3,
	BEACON_OFF_FLAGS = 4,
	BEACON_OFF_NAME_LEN = 5,
	BEACON_OFF_PORT = 6,
	BEACON_OFF_PK = 8,
	BEACON_OFF_SEQ = BEACON_OFF_PK + IDENTITY_PK_LEN,
	BEACON_OFF_NAME = BEACON_OFF_SEQ + 8,
	BEACON_NAME_MAX = 63,
	BEACON_MIN_LEN = BEACON_OFF_NAME + IDENTITY_SIG_LEN,
	BEACON_MAX_LEN = BEACON_MIN_LEN + BEACON_NAME_MAX,
	BEACON_FLAG_QUERY = 1u << 0,
	BEACON_FLAGS_KNOWN = BEACON_FLAG_QUERY,
	/* The replay guard's table: keys remembered, the least recent evicted. */
	BEACON_GUARD_SLOTS = 128,
};

_Static_assert(BEACON_OFF_SEQ == 40 && BEACON_OFF_NAME == 48, "beacon offsets");
_Static_assert(BEACON_MIN_LEN == 112 && BEACON_MAX_LEN == 175, "beacon sizes");

struct beacon {
	uint8_t flags;
	uint16_t port;
	uint8_t ed_pk[IDENTITY_PK_LEN];
	uint64_t seq;
	uint8_t name_len;
	char name[BEACON_NAME_MAX + 1]; /* NUL-terminated */
	uint8_t sig[IDENTITY_SIG_LEN];
};

#define BEACON_REASONS(X)                                                                \
	X(TOO_SHORT, too_short)	      /* under 112 bytes */                              \
	X(BAD_MAGIC, bad_magic)	      /* not "SNB" */                                    \
	X(BAD_VERSION, bad_version)   /* not version 1 */                                \
	X(BAD_FLAGS, bad_flags)	      /* an undefined flag bit */                        \
	X(BAD_NAME_LEN, bad_name_len) /* name_len > 63 */                                \
	X(BAD_LENGTH, bad_length)     /* not 112 + name_len */                           \
	X(BAD_PORT, bad_port)	      /* port 0 */                                       \
	X(BAD_SEQ, bad_seq)	      /* seq 0 */                                        \
	X(BAD_NAME, bad_name)	      /* not one RFC 1123 label */                       \
	X(BAD_KEY, bad_key)	      /* ed_pk fails the identity filter */              \
	X(REPLAYED, replayed)	      /* seq not above the last accepted for this key */ \
	X(BAD_SIGNATURE, bad_signature) /* the signature does not verify */              \
	X(NO_SPACE, no_space)	      /* encoding: the output buffer is too small */

enum beacon_result {
	BEACON_OK = 0,
#define BEACON_ENUM(up, low) BEACON_##up,
	BEACON_REASONS(BEACON_ENUM)
#undef BEACON_ENUM
	    BEACON_RESULT_END,
};

const char *beacon_result_name(enum beacon_result r);

/*
 * Replay guard: per key, the highest seq accepted; a fixed table of
 * BEACON_GUARD_SLOTS keys.  A new key takes a free slot, or the slot of the
 * key whose beacon was accepted least recently.  Only beacons whose
 * signature verified are recorded, so filling the table takes valid
 * beacons of distinct acceptable keys (and the caller's whitelist check
 * comes before the guard).  No allocation; init is all it needs.
 */
struct beacon_guard {
	struct {
		uint8_t pk[IDENTITY_PK_LEN];
		uint64_t seq;  /* 0: free slot */
		uint64_t used; /* the guard's clock when last accepted */
	} slot[BEACON_GUARD_SLOTS];
	uint64_t clock;
};

void beacon_guard_init(struct beacon_guard *g);
/* Read-only: seq is above the last one accepted for pk (or pk is unknown). */
bool beacon_guard_fresh(const struct beacon_guard *g, const uint8_t pk[IDENTITY_PK_LEN],
			uint64_t seq);
/* Record seq as pk's highest (after the signature verified). */
void beacon_guard_commit(struct beacon_guard *g, const uint8_t pk[IDENTITY_PK_LEN],
			 uint64_t seq);

/*
 * Check b's fields, set ed_pk to id's, encode and sign into out; *len gets
 * the length.  b->name must hold name_len bytes.
 */
enum beacon_result beacon_sign(struct beacon *b, const struct identity *id, uint8_t *out,
			       size_t cap, size_t *len);
/* Encode b as it is, signature included (the fuzzer's round trip). */
enum beacon_result beacon_encode(const struct beacon *b, uint8_t *out, size_t cap,
				 size_t *len);
/*
 * Parse and verify buf[0..len): layout, fields, key filter, then (when g
 * is not NULL) the replay guard, then the signature; on BEACON_OK with a
 * guard, the seq is committed.  b is zeroed unless BEACON_OK.  The
 * caller's own checks (source address, self, whitelist, rate limit) come
 * before this call: see docs/mesh-protocol.md for the whole order.
 */
enum beacon_result beacon_parse(struct beacon *b, const uint8_t *buf, size_t len,
				struct beacon_guard *g);

#endif
