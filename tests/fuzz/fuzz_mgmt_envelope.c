/*
 * The signed envelope (core/mgmt/envelope.c) on arbitrary bytes, as a
 * bundle's and as a license's, against the pinned test key k1.
 *
 * Invariants:
 *  - never accepted without a valid signature: when open says OK, the
 *    signature verifies (libsodium, directly) under k1 over domain ‖ NUL ‖
 *    payload, and the payload is within MGMT_PAYLOAD_MAX;
 *  - an empty key set accepts nothing; a text over MGMT_ENVELOPE_MAX is
 *    TOO_BIG;
 *  - round trip: whatever parses (signed or not), sealed again by k1,
 *    opens under k1 with the same payload, and parses to the same
 *    payload again;
 *  - every verdict has a name.
 */
#include <string.h>

#include <sodium.h>

#include "common.h"
#include "core/mgmt/envelope.h"
#include "tests/unit/mgmt_fixture.h"

static struct fix_signer k1;
static struct mgmt_keyset pinned, none;
static uint8_t work[MGMT_WORK_MAX], work2[MGMT_WORK_MAX];
static char again[MGMT_ENVELOPE_MAX + 1];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	fix_signer(&k1, 1);
	fix_pin(&pinned, &k1);
	mgmt_keyset_init(&none);
	return 0;
}

static void one(const char *text, size_t len, const char *domain)
{
	struct mgmt_envelope env, env2;
	enum mgmt_env_verdict v;
	size_t n;

	v = mgmt_envelope_open(text, len, domain, &none, work, sizeof(work), &env, NULL);
	FUZZ_CHECK(v != MGMT_ENV_OK, "accepted with no key pinned");
	v = mgmt_envelope_open(text, len, domain, &pinned, work, sizeof(work), &env, NULL);
	FUZZ_CHECK(strcmp(mgmt_env_verdict_name(v), "?") != 0, "verdict %d has no name", v);
	FUZZ_CHECK(len <= MGMT_ENVELOPE_MAX || v == MGMT_ENV_TOO_BIG, "oversize text not TOO_BIG");
	if (v == MGMT_ENV_OK) {
		FUZZ_CHECK(env.payload_len <= MGMT_PAYLOAD_MAX, "payload %zu", env.payload_len);
		FUZZ_CHECK(env.msg_len == strlen(domain) + 1 + env.payload_len &&
				   memcmp(env.msg, domain, strlen(domain) + 1) == 0,
			   "signed message is not domain NUL payload");
		FUZZ_CHECK(crypto_sign_verify_detached(env.sig, env.msg, env.msg_len, k1.pk) == 0,
			   "accepted a signature libsodium refuses");
	}
	if (mgmt_envelope_parse(text, len, domain, work, sizeof(work), &env) != MGMT_ENV_OK)
		return;
	n = mgmt_envelope_seal(domain, env.payload, env.payload_len, k1.sk, work2, sizeof(work2),
			       again, sizeof(again));
	FUZZ_CHECK(n > 0, "a parsed payload of %zu bytes does not seal", env.payload_len);
	v = mgmt_envelope_open(again, n, domain, &pinned, work2, sizeof(work2), &env2, NULL);
	FUZZ_CHECK(v == MGMT_ENV_OK, "own envelope refused: %s", mgmt_env_verdict_name(v));
	FUZZ_CHECK(env2.payload_len == env.payload_len &&
			   memcmp(env2.payload, env.payload, env.payload_len) == 0,
		   "payload changed in the round trip");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	one((const char *)data, size, MGMT_DOMAIN_CONFIG);
	one((const char *)data, size, MGMT_DOMAIN_LICENSE);
	return 0;
}
