/*
 * core/mgmt/devreq.c: the signed message is byte for byte the one the spec
 * gives; a signed request verifies, and changing its method, target, body,
 * time, nonce or key does not; the clock window is ±300 s inclusive; a
 * key that is not a mesh identity is refused; the headers have one
 * spelling each (table), and format(parse(x)) == x.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "core/mesh/identity.h"
#include "core/mgmt/devreq.h"
#include "tests/unit/mgmt_fixture.h"

static struct identity dev, bad;
static const uint8_t nonce[MGMT_NONCE_LEN] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };
static const uint64_t T = 1795443923456ULL;

#define S(x) x, strlen(x)

static void test_message_bytes(void **state)
{
	uint8_t msg[MGMT_DEVREQ_MSG_MAX], digest[32];
	static const char head[] = "subnetra/device-req/v1\0GET\n/device/v1/config?have=1.5&wait=50\n"
				   "1795443923456\nAQIDBAUGBwgJCgsMDQ4PEA\n";
	size_t len;

	(void)state;
	len = mgmt_devreq_message(S("GET"), S("/device/v1/config?have=1.5&wait=50"), T, nonce,
				  NULL, 0, msg, sizeof(msg));
	assert_int_equal(len, sizeof(head) - 1 + 32);
	assert_memory_equal(msg, head, sizeof(head) - 1);
	crypto_generichash(digest, 32, (const uint8_t *)"", 0, NULL, 0);
	assert_memory_equal(msg + sizeof(head) - 1, digest, 32);
	/* refused: methods, targets, times */
	assert_int_equal(mgmt_devreq_message(S("get"), S("/"), T, nonce, NULL, 0, msg, sizeof(msg)), 0);
	assert_int_equal(mgmt_devreq_message(S(""), S("/"), T, nonce, NULL, 0, msg, sizeof(msg)), 0);
	assert_int_equal(mgmt_devreq_message(S("GETGETGETGETGETGE"), S("/"), T, nonce, NULL, 0, msg, sizeof(msg)), 0);
	assert_int_equal(mgmt_devreq_message(S("GET"), S("x"), T, nonce, NULL, 0, msg, sizeof(msg)), 0);
	assert_int_equal(mgmt_devreq_message(S("GET"), S("/a b"), T, nonce, NULL, 0, msg, sizeof(msg)), 0);
	assert_int_equal(mgmt_devreq_message(S("GET"), S("/a\nb"), T, nonce, NULL, 0, msg, sizeof(msg)), 0);
	assert_int_equal(mgmt_devreq_message(S("GET"), S("/"), 1000000000000000ULL, nonce, NULL, 0, msg, sizeof(msg)), 0);
	assert_int_equal(mgmt_devreq_message(S("GET"), S("/"), T, nonce, NULL, 0, msg, sizeof(msg) - 1), 0);
	/* the longest target fits */
	{
		char target[MGMT_REQ_TARGET_MAX + 1];

		memset(target, 'a', sizeof(target));
		target[0] = '/';
		assert_true(mgmt_devreq_message(S("OPTIONSOPTIONSOP"), target, MGMT_REQ_TARGET_MAX,
						999999999999999ULL, nonce, NULL, 0, msg, sizeof(msg)) > 0);
		assert_int_equal(mgmt_devreq_message(S("GET"), target, MGMT_REQ_TARGET_MAX + 1, T,
						     nonce, NULL, 0, msg, sizeof(msg)),
				 0);
	}
}

static void test_sign_verify(void **state)
{
	static const char body[] = "{\"applied\":\"1.5\"}";
	struct mgmt_devreq_auth a, x;
	const uint8_t *bb = (const uint8_t *)body;

	(void)state;
	assert_int_equal(mgmt_devreq_sign(dev.sk, S("POST"), S("/device/v1/status"), T, nonce, bb,
					  strlen(body), &a),
			 0);
	assert_memory_equal(a.pk, dev.pk, 32);
	assert_int_equal(mgmt_devreq_verify(&a, S("POST"), S("/device/v1/status"), bb,
					    strlen(body), T),
			 MGMT_DEVREQ_OK);
	/* anything else than what was signed */
	assert_int_equal(mgmt_devreq_verify(&a, S("PUT"), S("/device/v1/status"), bb, strlen(body), T), MGMT_DEVREQ_BAD_SIG);
	assert_int_equal(mgmt_devreq_verify(&a, S("POST"), S("/device/v1/status?x"), bb, strlen(body), T), MGMT_DEVREQ_BAD_SIG);
	assert_int_equal(mgmt_devreq_verify(&a, S("POST"), S("/device/v1/status"), bb, strlen(body) - 1, T), MGMT_DEVREQ_BAD_SIG);
	x = a;
	x.time_ms++;
	assert_int_equal(mgmt_devreq_verify(&x, S("POST"), S("/device/v1/status"), bb, strlen(body), T), MGMT_DEVREQ_BAD_SIG);
	x = a;
	x.nonce[0] ^= 1;
	assert_int_equal(mgmt_devreq_verify(&x, S("POST"), S("/device/v1/status"), bb, strlen(body), T), MGMT_DEVREQ_BAD_SIG);
	x = a;
	x.sig[63] ^= 0x10;
	assert_int_equal(mgmt_devreq_verify(&x, S("POST"), S("/device/v1/status"), bb, strlen(body), T), MGMT_DEVREQ_BAD_SIG);
	/* another device's key with this signature */
	{
		struct identity other;

		fix_identity(&other, FIX_SEED2);
		x = a;
		memcpy(x.pk, other.pk, 32);
		assert_int_equal(mgmt_devreq_verify(&x, S("POST"), S("/device/v1/status"), bb, strlen(body), T), MGMT_DEVREQ_BAD_SIG);
	}
	/* a key that is no mesh identity, even with a good signature */
	assert_int_equal(mgmt_devreq_sign(bad.sk, S("GET"), S("/"), T, nonce, NULL, 0, &x), 0);
	assert_int_equal(mgmt_devreq_verify(&x, S("GET"), S("/"), NULL, 0, T), MGMT_DEVREQ_BAD_KEY);
	/* a malformed method is not a signature failure */
	assert_int_equal(mgmt_devreq_verify(&a, S("post"), S("/device/v1/status"), bb, strlen(body), T), MGMT_DEVREQ_MALFORMED);
	assert_int_equal(mgmt_devreq_sign(dev.sk, S("post"), S("/"), T, nonce, NULL, 0, &x), -EINVAL);
}

static void test_clock_window(void **state)
{
	static const struct {
		int64_t delta_ms; /* now - time */
		bool ok;
	} cases[] = {
		{ 0, true },	      { 300000, true },	  { -300000, true },
		{ 300001, false },    { -300001, false }, { 86400000, false },
		{ -86400000, false },
	};
	struct mgmt_devreq_auth a;

	(void)state;
	assert_int_equal(mgmt_devreq_sign(dev.sk, S("GET"), S("/device/v1/config"), T, nonce, NULL, 0, &a), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t now = (uint64_t)((int64_t)T + cases[i].delta_ms);

		assert_int_equal(mgmt_devreq_time_ok(T, now), cases[i].ok);
		assert_int_equal(mgmt_devreq_verify(&a, S("GET"), S("/device/v1/config"), NULL, 0, now),
				 cases[i].ok ? MGMT_DEVREQ_OK : MGMT_DEVREQ_SKEW);
	}
	/* a robot booted in 1970 against a server in 2026, and the reverse */
	assert_false(mgmt_devreq_time_ok(1000, T));
	assert_false(mgmt_devreq_time_ok(T, 1000));
	assert_true(mgmt_devreq_time_ok(0, 0));
	assert_string_equal(mgmt_devreq_verdict_name(MGMT_DEVREQ_SKEW), "clock_skew");
}

static void test_headers(void **state)
{
	struct mgmt_devreq_auth a, back;
	struct mgmt_devreq_text t;
	struct mgmt_devreq_headers h;

	(void)state;
	assert_int_equal(mgmt_devreq_sign(dev.sk, S("GET"), S("/"), T, nonce, NULL, 0, &a), 0);
	mgmt_devreq_format(&a, &t);
	assert_string_equal(t.time, "1795443923456");
	assert_string_equal(t.nonce, "AQIDBAUGBwgJCgsMDQ4PEA");
	assert_int_equal(strlen(t.key), 43);
	assert_int_equal(strlen(t.sig), 86);
	h = (struct mgmt_devreq_headers){ .key = t.key, .key_len = strlen(t.key),
					  .time = t.time, .time_len = strlen(t.time),
					  .nonce = t.nonce, .nonce_len = strlen(t.nonce),
					  .sig = t.sig, .sig_len = strlen(t.sig) };
	assert_true(mgmt_devreq_parse(&h, &back));
	assert_memory_equal(&a, &back, sizeof(a));

	/* the time header: canonical decimal only */
	{
		static const struct {
			const char *time;
			bool ok;
		} cases[] = {
			{ "0", true },	    { "1795443923456", true }, { "999999999999999", true },
			{ "01", false },    { "", false },	       { "1000000000000000", false },
			{ "+1", false },    { "-1", false },	       { "1.5", false },
			{ " 1", false },    { "1e3", false },
		};
		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			struct mgmt_devreq_headers hh = h;

			hh.time = cases[i].time;
			hh.time_len = strlen(cases[i].time);
			assert_int_equal(mgmt_devreq_parse(&hh, &back), cases[i].ok);
		}
	}
	/* the others: exact base64url lengths, no padding, no other alphabet */
	{
		struct mgmt_devreq_headers hh = h;
		char key[64];

		hh.key_len--;
		assert_false(mgmt_devreq_parse(&hh, &back));
		hh = h;
		snprintf(key, sizeof(key), "%s=", t.key);
		hh.key = key;
		hh.key_len = strlen(key);
		assert_false(mgmt_devreq_parse(&hh, &back));
		hh = h;
		hh.nonce = "AQIDBAUGBwgJCgsMDQ4PEB"; /* unused bits set */
		assert_false(mgmt_devreq_parse(&hh, &back));
		hh = h;
		hh.nonce = "AQIDBAUGBwgJCgsMDQ4PE/";
		assert_false(mgmt_devreq_parse(&hh, &back));
		hh = h;
		hh.sig = NULL; /* missing */
		assert_false(mgmt_devreq_parse(&hh, &back));
	}
}

static int setup(void **state)
{
	(void)state;
	fix_identity(&dev, FIX_SEED1);
	fix_identity(&bad, FIX_SEED50);
	return identity_pk_acceptable(dev.pk) && !identity_pk_acceptable(bad.pk) ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_message_bytes),
		cmocka_unit_test(test_sign_verify),
		cmocka_unit_test(test_clock_window),
		cmocka_unit_test(test_headers),
	};

	return cmocka_run_group_tests_name("mgmt_devreq", tests, setup, NULL);
}
