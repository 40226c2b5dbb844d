/*
 * High-entropy secrets the server stores only as hashes (join codes, and
 * later API tokens and sessions): BLAKE2b-256 keyed with the instance's
 * pepper (32 random bytes kept outside the database), personalised with
 * the kind of secret, so a database alone reveals nothing and a hash of
 * one kind never matches another.  No argon2: these secrets carry 128
 * bits or more, so a fast hash loses nothing.  Pure.
 */
#ifndef SUBNETRA_MGMT_SECRET_H
#define SUBNETRA_MGMT_SECRET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
	MGMT_PEPPER_LEN = 32,
	MGMT_SECRET_HASH_LEN = 32,
	MGMT_SECRET_KIND_MAX = 16, /* BLAKE2b's personalisation: bytes of a kind */
};

/* The kinds (personalisation strings, at most 16 bytes). */
#define MGMT_SECRET_JOIN_CODE "subnetra/join"
#define MGMT_SECRET_SESSION "subnetra/session"
#define MGMT_SECRET_TOKEN "subnetra/token"
#define MGMT_SECRET_CLAIM "subnetra/claim"

/*
 * out := BLAKE2b-256(secret[0..len), key = pepper, personal = kind padded
 * with NULs).  false (out wiped) when kind is longer than 16 bytes.
 */
bool mgmt_secret_hash(const uint8_t pepper[MGMT_PEPPER_LEN], const char *kind,
		      const uint8_t *secret, size_t len, uint8_t out[MGMT_SECRET_HASH_LEN]);
/* Constant time: whether two hashes are equal. */
bool mgmt_secret_equal(const uint8_t a[MGMT_SECRET_HASH_LEN],
		       const uint8_t b[MGMT_SECRET_HASH_LEN]);

#endif
