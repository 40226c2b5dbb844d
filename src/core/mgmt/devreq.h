/*
 * Device request signatures: every request to /device/v1/... carries
 *
 *   Subnetra-Key:   base64url of the device's Ed25519 public key (43)
 *   Subnetra-Time:  unix milliseconds, decimal, no leading zero (1..15 digits)
 *   Subnetra-Nonce: base64url of 16 random bytes (22)
 *   Subnetra-Sig:   base64url of the Ed25519 signature (86)
 *
 * and the signature covers (docs/management-protocol.md):
 *
 *   "subnetra/device-req/v1" NUL METHOD "\n" PATH?QUERY "\n" TIME "\n"
 *   NONCE "\n" BLAKE2b-256(body)
 *
 * where TIME and NONCE are the header texts and the digest is 32 raw
 * bytes (of the empty body for a GET).  The server derives the device's
 * address from the key (core/mesh/identity.h), checks the signature, then
 * the clock (|time - now| <= 300 s), then, for requests that change
 * something, the nonce (nonce.h).  Parsing is strict: each header has one
 * spelling, so format(parse(x)) == x.  Pure; requires sodium_init().
 */
#ifndef SUBNETRA_MGMT_DEVREQ_H
#define SUBNETRA_MGMT_DEVREQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/mgmt/proto.h"

#define MGMT_HDR_KEY "Subnetra-Key"
#define MGMT_HDR_TIME "Subnetra-Time"
#define MGMT_HDR_NONCE "Subnetra-Nonce"
#define MGMT_HDR_SIG "Subnetra-Sig"

enum {
	/* the signed message: domain, method, target, time, nonce, three '\n's, digest */
	MGMT_DEVREQ_MSG_MAX = MGMT_DOMAIN_MAX + MGMT_REQ_METHOD_MAX + MGMT_REQ_TARGET_MAX +
			      MGMT_REQ_TIME_DIGITS + MGMT_B64_LEN(MGMT_NONCE_LEN) + 4 +
			      MGMT_DIGEST_LEN,
};

struct mgmt_devreq_auth {
	uint8_t pk[MGMT_PK_LEN];
	uint64_t time_ms; /* 0 .. 10^15 - 1 */
	uint8_t nonce[MGMT_NONCE_LEN];
	uint8_t sig[MGMT_SIG_LEN];
};

/* The four header values as received (not NUL-terminated). */
struct mgmt_devreq_headers {
	const char *key, *time, *nonce, *sig;
	size_t key_len, time_len, nonce_len, sig_len;
};

/* The four header values to send, NUL-terminated. */
struct mgmt_devreq_text {
	char key[MGMT_B64_LEN(MGMT_PK_LEN) + 1];
	char time[MGMT_REQ_TIME_DIGITS + 1];
	char nonce[MGMT_B64_LEN(MGMT_NONCE_LEN) + 1];
	char sig[MGMT_B64_LEN(MGMT_SIG_LEN) + 1];
};

/* Strict: each header canonical, and present (a NULL value is a missing header). */
bool mgmt_devreq_parse(const struct mgmt_devreq_headers *h, struct mgmt_devreq_auth *a);
void mgmt_devreq_format(const struct mgmt_devreq_auth *a, struct mgmt_devreq_text *out);

/*
 * The signed message into out (MGMT_DEVREQ_MSG_MAX bytes suffice): its
 * length, or 0 when method is not 1..16 uppercase letters, target not
 * 1..2048 bytes of printable ASCII starting with '/', or time_ms too big.
 */
size_t mgmt_devreq_message(const char *method, size_t method_len, const char *target,
			   size_t target_len, uint64_t time_ms,
			   const uint8_t nonce[MGMT_NONCE_LEN], const uint8_t *body,
			   size_t body_len, uint8_t *out, size_t cap);

/*
 * Sign a request as the device sk (libsodium's 64 bytes: seed ‖ pk), at
 * time_ms with nonce: *a filled.  0, or -EINVAL (what
 * mgmt_devreq_message refuses).
 */
int mgmt_devreq_sign(const uint8_t sk[MGMT_SK_LEN], const char *method, size_t method_len,
		     const char *target, size_t target_len, uint64_t time_ms,
		     const uint8_t nonce[MGMT_NONCE_LEN], const uint8_t *body,
		     size_t body_len, struct mgmt_devreq_auth *a);

enum mgmt_devreq_verdict {
	MGMT_DEVREQ_OK,
	MGMT_DEVREQ_MALFORMED, /* headers, method or target not as above */
	MGMT_DEVREQ_BAD_KEY,   /* not a mesh identity key (core/mesh/identity.h) */
	MGMT_DEVREQ_BAD_SIG,
	MGMT_DEVREQ_SKEW,      /* signed, but |time - now| > MGMT_REQ_SKEW_MS */
	MGMT_DEVREQ_VERDICTS,
};

const char *mgmt_devreq_verdict_name(enum mgmt_devreq_verdict v);

/* |time_ms - now_ms| <= MGMT_REQ_SKEW_MS */
bool mgmt_devreq_time_ok(uint64_t time_ms, uint64_t now_ms);

/*
 * The key, then the signature over this request, then the clock.  OK means
 * the device at identity_address(a->pk) sent it (the nonce is the
 * caller's next check, for requests that change something).
 */
enum mgmt_devreq_verdict mgmt_devreq_verify(const struct mgmt_devreq_auth *a,
					    const char *method, size_t method_len,
					    const char *target, size_t target_len,
					    const uint8_t *body, size_t body_len,
					    uint64_t now_ms);

#endif
