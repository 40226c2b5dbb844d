/*
 * The signed envelope around every management payload (license.json, a
 * device's config bundle):
 *
 *   {"payload":"<base64url of the payload bytes>",
 *    "sig":"<base64url Ed25519 signature>",
 *    "key":"<16 hex: BLAKE2b-64 of the signing public key>"}
 *
 * The signature is over domain ‖ NUL ‖ payload bytes (proto.h's domains),
 * so a license never passes for a bundle or the reverse.  The payload is
 * verified as the exact bytes received and parsed only afterwards; nobody
 * re-serialises JSON to check a signature.
 *
 * Memory: the caller gives a work buffer (MGMT_WORK_MAX bytes suffice);
 * the message domain ‖ NUL ‖ payload is built there, and an opened
 * payload points into it.  The only allocation is json_parse's tree of the
 * three strings, freed before returning.  Pure; requires sodium_init().
 */
#ifndef SUBNETRA_MGMT_ENVELOPE_H
#define SUBNETRA_MGMT_ENVELOPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/mgmt/proto.h"

struct mgmt_pubkey {
	uint8_t pk[MGMT_PK_LEN];
	uint8_t id[MGMT_KEY_ID_LEN]; /* mgmt_key_id(pk) */
};

/* The pinned signing keys: what a license or bundle must verify under. */
struct mgmt_keyset {
	size_t n;
	struct mgmt_pubkey keys[MGMT_KEYS_MAX];
};

/* BLAKE2b-64 of pk: the envelope's "key". */
void mgmt_key_id(const uint8_t pk[MGMT_PK_LEN], uint8_t id[MGMT_KEY_ID_LEN]);
/* BLAKE2b-128 of pk: the fingerprint a join code carries. */
void mgmt_key_fingerprint(const uint8_t pk[MGMT_PK_LEN], uint8_t fpr[MGMT_FPR_LEN]);

void mgmt_keyset_init(struct mgmt_keyset *ks);
/* 0, -EEXIST (already in), or -ENOSPC. */
int mgmt_keyset_add(struct mgmt_keyset *ks, const uint8_t pk[MGMT_PK_LEN]);
bool mgmt_keyset_contains(const struct mgmt_keyset *ks, const uint8_t pk[MGMT_PK_LEN]);

/* Why an envelope was refused; each is a counted drop. */
enum mgmt_env_verdict {
	MGMT_ENV_OK,
	MGMT_ENV_TOO_BIG,     /* text over MGMT_ENVELOPE_MAX, or payload over MGMT_PAYLOAD_MAX */
	MGMT_ENV_MALFORMED,   /* not the JSON object above, or not canonical base64url/hex */
	MGMT_ENV_UNKNOWN_KEY, /* "key" names no key of the set */
	MGMT_ENV_BAD_SIG,     /* the signature does not verify under that key */
	MGMT_ENV_VERDICTS,
};

/* "ok", "too_big", "malformed", "unknown_key", "bad_signature" */
const char *mgmt_env_verdict_name(enum mgmt_env_verdict v);

struct mgmt_envelope {
	const uint8_t *payload; /* in the work buffer */
	size_t payload_len;
	uint8_t sig[MGMT_SIG_LEN];
	uint8_t key_id[MGMT_KEY_ID_LEN];
	const uint8_t *msg; /* domain ‖ NUL ‖ payload: what the signature covers */
	size_t msg_len;
};

/*
 * The envelope in text[0..len) for domain (one of proto.h's), its payload
 * decoded into work[0..work_cap) after the domain: OK, TOO_BIG or
 * MALFORMED (a work buffer too small for the payload is TOO_BIG).  Nothing
 * is verified: use mgmt_envelope_verify, or mgmt_envelope_open.
 */
enum mgmt_env_verdict mgmt_envelope_parse(const char *text, size_t len, const char *domain,
					  uint8_t *work, size_t work_cap,
					  struct mgmt_envelope *env);
/*
 * OK when the signature verifies under a key of ks whose id is "key"
 * (*which: its index, may be NULL); else UNKNOWN_KEY or BAD_SIG.
 */
enum mgmt_env_verdict mgmt_envelope_verify(const struct mgmt_envelope *env,
					   const struct mgmt_keyset *ks, size_t *which);
/* parse, then verify: OK only for a good signature under a key of ks. */
enum mgmt_env_verdict mgmt_envelope_open(const char *text, size_t len, const char *domain,
					 const struct mgmt_keyset *ks, uint8_t *work,
					 size_t work_cap, struct mgmt_envelope *env,
					 size_t *which);

/*
 * Sign payload[0..plen) for domain with sk (libsodium's 64-byte secret
 * key) and write the envelope, canonical (members in the order above, no
 * whitespace), into out[0..cap) with a NUL.  Returns its length, or 0 when
 * plen exceeds MGMT_PAYLOAD_MAX, domain is too long, or work or out is too
 * small.  work (work_cap >= strlen(domain) + 1 + plen) holds the signed
 * message afterwards; no secret is left there.
 */
size_t mgmt_envelope_seal(const char *domain, const uint8_t *payload, size_t plen,
			  const uint8_t sk[MGMT_SK_LEN], uint8_t *work, size_t work_cap,
			  char *out, size_t cap);

#endif
