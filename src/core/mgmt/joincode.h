/*
 * Join codes: what an operator pastes into `subnetra join`.  One line,
 * one word (a double click selects it all: only letters, digits and '_'):
 *
 *   snj_<prefix>_<secret>_<fingerprint>
 *
 *   prefix       8 characters, 40 bits: names the code in the database
 *                (looked up, shown in the UI and audit log; not secret)
 *   secret       32 characters, 160 bits: what proves the code; the server
 *                keeps only its peppered hash (secret.h)
 *   fingerprint  26 characters, 128 bits: BLAKE2b-128 of the instance
 *                signing key the device must pin (trust on first use
 *                replaced by trust in the code)
 *
 * in lowercase base32 with Crockford's alphabet
 * "0123456789abcdefghjkmnpqrstvwxyz" (no i, l, o, u: nothing to misread
 * when a code is typed from a screen), most significant bit first; the 2
 * bits the fingerprint leaves in its last character are zero.  "snj_"
 * says what the string is (secret scanners key on such tags); a later
 * format gets another tag.  Parsing is strict: one code, one spelling.
 * 72 characters in all.  Pure; mgmt_joincode_generate needs sodium_init().
 */
#ifndef SUBNETRA_MGMT_JOINCODE_H
#define SUBNETRA_MGMT_JOINCODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/mgmt/proto.h"
#include "core/mgmt/secret.h"

#define MGMT_JOINCODE_TAG "snj_"

enum {
	MGMT_JOINCODE_PREFIX_LEN = 5,  /* bytes: 8 characters */
	MGMT_JOINCODE_SECRET_LEN = 20, /* bytes: 32 characters */
	MGMT_JOINCODE_PREFIX_CHARS = 8,
	MGMT_JOINCODE_SECRET_CHARS = 32,
	MGMT_JOINCODE_FPR_CHARS = 26,
	MGMT_JOINCODE_LEN = 4 + MGMT_JOINCODE_PREFIX_CHARS + 1 + MGMT_JOINCODE_SECRET_CHARS + 1 +
			    MGMT_JOINCODE_FPR_CHARS, /* 72 */
};

struct mgmt_joincode {
	uint8_t prefix[MGMT_JOINCODE_PREFIX_LEN];
	uint8_t secret[MGMT_JOINCODE_SECRET_LEN];
	uint8_t fingerprint[MGMT_FPR_LEN];
};

/* A fresh code (random prefix and secret) for the key with this fingerprint. */
void mgmt_joincode_generate(struct mgmt_joincode *jc, const uint8_t fingerprint[MGMT_FPR_LEN]);
/* The code's text into out[MGMT_JOINCODE_LEN + 1]. */
void mgmt_joincode_format(const struct mgmt_joincode *jc, char out[MGMT_JOINCODE_LEN + 1]);
/* The prefix's 8 characters into out[9]: the database's key for the code. */
void mgmt_joincode_prefix_text(const struct mgmt_joincode *jc,
			       char out[MGMT_JOINCODE_PREFIX_CHARS + 1]);
/* s[0..len) exactly as mgmt_joincode_format writes it; false (jc wiped) otherwise. */
bool mgmt_joincode_parse(const char *s, size_t len, struct mgmt_joincode *jc);
/* What the server stores: the peppered hash of prefix ‖ secret. */
void mgmt_joincode_hash(const uint8_t pepper[MGMT_PEPPER_LEN], const struct mgmt_joincode *jc,
			uint8_t out[MGMT_SECRET_HASH_LEN]);
/* Constant time: whether jc is the code whose hash is stored. */
bool mgmt_joincode_matches(const uint8_t pepper[MGMT_PEPPER_LEN],
			   const struct mgmt_joincode *jc,
			   const uint8_t stored[MGMT_SECRET_HASH_LEN]);
void mgmt_joincode_wipe(struct mgmt_joincode *jc);

#endif
