/*
 * core/mgmt/envelope.c: a sealed payload opens under its key and domain
 * and nowhere else.  Refused, each with its verdict: any byte of the
 * payload or signature changed, another key, a key not pinned, the other
 * domain (a license passed off as a bundle), a payload or text over the
 * limits, and every malformed shape.  Key ids and fingerprints are
 * BLAKE2b of the public key.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "core/mgmt/envelope.h"
#include "core/mgmt/text.h"
#include "tests/unit/mgmt_fixture.h"

static uint8_t work[MGMT_WORK_MAX];
static char text[MGMT_ENVELOPE_MAX + 64];
static struct fix_signer k1, k2;
static struct mgmt_keyset pinned; /* k1 only */

static const char payload[] = "{\"type\":\"license\",\"v\":1}";

static enum mgmt_env_verdict open_text(const char *t, size_t len, const char *domain)
{
	struct mgmt_envelope env;

	return mgmt_envelope_open(t, len, domain, &pinned, work, sizeof(work), &env, NULL);
}

static void test_round_trip(void **state)
{
	struct mgmt_envelope env;
	size_t len, which = 9;
	uint8_t id[MGMT_KEY_ID_LEN];
	char hex[2 * MGMT_KEY_ID_LEN + 1];

	(void)state;
	len = fix_seal(MGMT_DOMAIN_LICENSE, payload, strlen(payload), &k1, text, sizeof(text));
	assert_true(len > 0);
	assert_int_equal(strlen(text), len);
	assert_int_equal(len, MGMT_B64_LEN(strlen(payload)) + MGMT_ENVELOPE_OVERHEAD);
	assert_int_equal(mgmt_envelope_open(text, len, MGMT_DOMAIN_LICENSE, &pinned, work,
					    sizeof(work), &env, &which),
			 MGMT_ENV_OK);
	assert_int_equal(which, 0);
	assert_int_equal(env.payload_len, strlen(payload));
	assert_memory_equal(env.payload, payload, strlen(payload));
	/* the key member is BLAKE2b-64 of the key, in hex */
	mgmt_key_id(k1.pk, id);
	mgmt_hex_encode(hex, id, sizeof(id));
	assert_non_null(strstr(text, hex));
	assert_memory_equal(text, "{\"payload\":\"", 12);
	/* what is signed: domain, NUL, payload */
	assert_int_equal(env.msg_len, sizeof(MGMT_DOMAIN_LICENSE) + strlen(payload));
	assert_int_equal(crypto_sign_verify_detached(env.sig, env.msg, env.msg_len, k1.pk), 0);
	assert_memory_equal(env.msg, MGMT_DOMAIN_LICENSE "\0", sizeof(MGMT_DOMAIN_LICENSE));
}

/* Flipping any bit of the payload or signature text is refused. */
static void test_tampered(void **state)
{
	size_t len;
	char *copy;

	(void)state;
	len = fix_seal(MGMT_DOMAIN_CONFIG, payload, strlen(payload), &k1, text, sizeof(text));
	copy = malloc(len);
	assert_non_null(copy);
	for (size_t i = 12; i < len - 30; i++) {
		enum mgmt_env_verdict v;

		if (text[i] == '"' || text[i] == ',' || text[i] == ':')
			continue;
		memcpy(copy, text, len);
		copy[i] = copy[i] == 'A' ? 'B' : 'A';
		v = open_text(copy, len, MGMT_DOMAIN_CONFIG);
		assert_int_not_equal(v, MGMT_ENV_OK);
	}
	free(copy);
}

static void test_wrong_key_and_domain(void **state)
{
	struct mgmt_keyset both;
	struct mgmt_envelope env;
	size_t len, which;

	(void)state;
	len = fix_seal(MGMT_DOMAIN_CONFIG, payload, strlen(payload), &k2, text, sizeof(text));
	assert_int_equal(open_text(text, len, MGMT_DOMAIN_CONFIG), MGMT_ENV_UNKNOWN_KEY);
	/* a key listed under k2's id that is not k2: a bad signature */
	mgmt_keyset_init(&both);
	both.n = 1;
	memcpy(both.keys[0].pk, k1.pk, MGMT_PK_LEN);
	mgmt_key_id(k2.pk, both.keys[0].id);
	assert_int_equal(mgmt_envelope_open(text, len, MGMT_DOMAIN_CONFIG, &both, work,
					    sizeof(work), &env, NULL),
			 MGMT_ENV_BAD_SIG);
	assert_null(env.payload);
	/* both pinned: k2's index */
	mgmt_keyset_init(&both);
	assert_int_equal(mgmt_keyset_add(&both, k1.pk), 0);
	assert_int_equal(mgmt_keyset_add(&both, k2.pk), 0);
	assert_int_equal(mgmt_keyset_add(&both, k2.pk), -EEXIST);
	assert_int_equal(mgmt_envelope_open(text, len, MGMT_DOMAIN_CONFIG, &both, work,
					    sizeof(work), &env, &which),
			 MGMT_ENV_OK);
	assert_int_equal(which, 1);
	/* a bundle's signature does not make a license, nor the reverse */
	assert_int_equal(mgmt_envelope_open(text, len, MGMT_DOMAIN_LICENSE, &both, work,
					    sizeof(work), &env, NULL),
			 MGMT_ENV_BAD_SIG);
	len = fix_seal(MGMT_DOMAIN_LICENSE, payload, strlen(payload), &k1, text, sizeof(text));
	assert_int_equal(open_text(text, len, MGMT_DOMAIN_CONFIG), MGMT_ENV_BAD_SIG);
	/* an empty set trusts nothing */
	mgmt_keyset_init(&both);
	assert_int_equal(mgmt_envelope_open(text, len, MGMT_DOMAIN_LICENSE, &both, work,
					    sizeof(work), &env, NULL),
			 MGMT_ENV_UNKNOWN_KEY);
}

static void test_keyset_full(void **state)
{
	struct mgmt_keyset ks;
	uint8_t pk[MGMT_PK_LEN] = { 0 };

	(void)state;
	mgmt_keyset_init(&ks);
	for (int i = 0; i < MGMT_KEYS_MAX; i++) {
		pk[0] = (uint8_t)i;
		assert_int_equal(mgmt_keyset_add(&ks, pk), 0);
	}
	pk[0] = 0xee;
	assert_int_equal(mgmt_keyset_add(&ks, pk), -ENOSPC);
	assert_false(mgmt_keyset_contains(&ks, pk));
}

static void test_limits(void **state)
{
	static char big[MGMT_PAYLOAD_MAX + 2];
	struct mgmt_envelope env;
	size_t len;

	(void)state;
	memset(big, 'x', sizeof(big));
	/* the largest payload seals and opens, and its envelope is within the limit */
	len = fix_seal(MGMT_DOMAIN_CONFIG, big, MGMT_PAYLOAD_MAX, &k1, text, sizeof(text));
	assert_true(len > 0 && len <= MGMT_ENVELOPE_MAX);
	assert_int_equal(open_text(text, len, MGMT_DOMAIN_CONFIG), MGMT_ENV_OK);
	/* a work buffer one byte short: too big, not a crash */
	assert_int_equal(mgmt_envelope_open(text, len, MGMT_DOMAIN_CONFIG, &pinned, work,
					    sizeof(MGMT_DOMAIN_CONFIG) + MGMT_PAYLOAD_MAX - 1,
					    &env, NULL),
			 MGMT_ENV_TOO_BIG);
	/* one byte more will not seal */
	assert_int_equal(fix_seal(MGMT_DOMAIN_CONFIG, big, MGMT_PAYLOAD_MAX + 1, &k1, text,
				  sizeof(text)),
			 0);
	/* out too small: nothing */
	assert_int_equal(fix_seal(MGMT_DOMAIN_CONFIG, payload, strlen(payload), &k1, text,
				  MGMT_B64_LEN(strlen(payload)) + MGMT_ENVELOPE_OVERHEAD),
			 0);
	/* a text over 1 MiB is refused before it is parsed */
	memset(text, ' ', MGMT_ENVELOPE_MAX + 1);
	assert_int_equal(open_text(text, MGMT_ENVELOPE_MAX + 1, MGMT_DOMAIN_CONFIG),
			 MGMT_ENV_TOO_BIG);
	/* a payload over the limit inside a text under it */
	len = (size_t)snprintf(text, sizeof(text), "{\"payload\":\"%*s", MGMT_B64_LEN(MGMT_PAYLOAD_MAX + 3), "");
	memset(text + 12, 'A', MGMT_B64_LEN(MGMT_PAYLOAD_MAX + 3));
	len += (size_t)snprintf(text + len, sizeof(text) - len,
				"\",\"sig\":\"%.86s\",\"key\":\"0000000000000000\"}",
				"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
	assert_true(len <= MGMT_ENVELOPE_MAX);
	assert_int_equal(open_text(text, len, MGMT_DOMAIN_CONFIG), MGMT_ENV_TOO_BIG);
}

static void test_malformed_table(void **state)
{
	char sig[MGMT_B64_LEN(MGMT_SIG_LEN) + 1], good[512];
	static const char *const shapes[] = {
		"",
		"[]",
		"{}",
		"{\"payload\":\"e30\",\"sig\":\"%s\"}",                                    /* no key */
		"{\"payload\":\"e30\",\"sig\":\"%s\",\"key\":\"%s\",\"x\":1}",             /* extra */
		"{\"payload\":\"e30\",\"sig\":\"%s\",\"key\":\"%.15s\"}",                  /* short key */
		"{\"payload\":\"e30\",\"sig\":\"%s\",\"key\":\"%.15sG\"}",                 /* not hex */
		"{\"payload\":\"e30=\",\"sig\":\"%s\",\"key\":\"%s\"}",                    /* padding */
		"{\"payload\":\"e3+\",\"sig\":\"%s\",\"key\":\"%s\"}",                     /* alphabet */
		"{\"payload\":1,\"sig\":\"%s\",\"key\":\"%s\"}",                           /* type */
		"{\"payload\":\"e30\",\"sig\":\"%.85s\",\"key\":\"%s\"}",                  /* short sig */
		"{\"payload\":\"e30\",\"sig\":\"%s\",\"key\":\"%s\"} x",                   /* trailing */
		"{\"payload\":\"e30\",\"payload\":\"e30\",\"sig\":\"%s\",\"key\":\"%s\"}", /* repeated */
	};
	uint8_t id[MGMT_KEY_ID_LEN];
	char hex[17];

	(void)state;
	memset(sig, 'A', sizeof(sig) - 1);
	sig[sizeof(sig) - 1] = '\0';
	mgmt_key_id(k1.pk, id);
	mgmt_hex_encode(hex, id, sizeof(id));
	for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral" /* the table's own shapes */
		int n = snprintf(good, sizeof(good), shapes[i], sig, hex);
#pragma GCC diagnostic pop

		assert_int_equal(open_text(good, (size_t)n, MGMT_DOMAIN_CONFIG), MGMT_ENV_MALFORMED);
	}
	/* the same with a NUL inside: refused, not read up to the NUL */
	snprintf(good, sizeof(good), "{\"payload\":\"e30\",\"sig\":\"%s\",\"key\":\"%s\"}", sig, hex);
	assert_int_equal(open_text(good, strlen(good), MGMT_DOMAIN_CONFIG), MGMT_ENV_BAD_SIG);
	memcpy(good + strlen(good), "\0  ", 3);
	assert_int_equal(open_text(good, strlen(good) + 3, MGMT_DOMAIN_CONFIG), MGMT_ENV_MALFORMED);
	assert_string_equal(mgmt_env_verdict_name(MGMT_ENV_BAD_SIG), "bad_signature");
	assert_string_equal(mgmt_env_verdict_name(MGMT_ENV_VERDICTS), "?");
}

static void test_ids(void **state)
{
	uint8_t id[MGMT_KEY_ID_LEN], fpr[MGMT_FPR_LEN], want[MGMT_FPR_LEN];

	(void)state;
	mgmt_key_id(k1.pk, id);
	crypto_generichash(want, 8, k1.pk, 32, NULL, 0);
	assert_memory_equal(id, want, 8);
	mgmt_key_fingerprint(k1.pk, fpr);
	crypto_generichash(want, 16, k1.pk, 32, NULL, 0);
	assert_memory_equal(fpr, want, 16);
}

static int setup(void **state)
{
	(void)state;
	fix_signer(&k1, 1);
	fix_signer(&k2, 2);
	return fix_pin(&pinned, &k1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_tampered),
		cmocka_unit_test(test_wrong_key_and_domain),
		cmocka_unit_test(test_keyset_full),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_malformed_table),
		cmocka_unit_test(test_ids),
	};

	return cmocka_run_group_tests_name("mgmt_envelope", tests, setup, NULL);
}
