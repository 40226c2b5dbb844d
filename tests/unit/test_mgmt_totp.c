/*
 * core/mgmt/totp.c: RFC 6238 appendix B's HMAC-SHA256 vectors (8 digits,
 * the 32-byte seed "1234...9012"), the 6-digit window (one step either
 * side, a used or older step refused, malformed text refused), base32
 * against RFC 4648's vectors, and sealing a secret at rest (only the same
 * key and account open it; any change of a byte, or of the length, fails).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "core/mgmt/totp.h"

static const uint8_t seed32[] = "12345678901234567890123456789012";

static void rfc6238_sha256(void **state)
{
	static const struct {
		uint64_t t;
		uint32_t code;
	} v[] = {
	    {59, 46119246},	     {1111111109, 68084774}, {1111111111, 67062674},
	    {1234567890, 91819424}, {2000000000, 90698825}, {20000000000ULL, 77737706},
	};

	(void)state;
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
		assert_int_equal(totp_code(seed32, 32, v[i].t / TOTP_PERIOD_S, 8), v[i].code);
	/* 6 digits: the same number's last six. */
	assert_int_equal(totp_code(seed32, 32, 59 / TOTP_PERIOD_S, 6), 119246);
}

static void window(void **state)
{
	const uint64_t now = 1111111111 / TOTP_PERIOD_S;
	char text[16];
	uint64_t step = 0;

	(void)state;
	for (int d = -2; d <= 2; d++) {
		snprintf(text, sizeof text, "%06u",
			 (unsigned)totp_code(seed32, 32, now + (uint64_t)(int64_t)d, 6));
		step = 0;
		bool ok = totp_verify(seed32, 32, text, now, 0, &step);

		if (d >= -1 && d <= 1) {
			assert_true(ok);
			assert_int_equal(step, now + (uint64_t)(int64_t)d);
		} else {
			assert_false(ok);
		}
	}
	snprintf(text, sizeof text, "%06u", (unsigned)totp_code(seed32, 32, now, 6));
	/* Used (its step is the last used) or older: refused. */
	assert_false(totp_verify(seed32, 32, text, now, now, &step));
	assert_false(totp_verify(seed32, 32, text, now, now + 1, &step));
	assert_true(totp_verify(seed32, 32, text, now, now - 1, &step));
	/* Not six digits. */
	assert_false(totp_verify(seed32, 32, "12345", now, 0, &step));
	assert_false(totp_verify(seed32, 32, "1234567", now, 0, &step));
	assert_false(totp_verify(seed32, 32, "12a456", now, 0, &step));
	assert_false(totp_verify(seed32, 32, "", now, 0, &step));
}

static void base32(void **state)
{
	static const struct {
		const char *in, *out;
	} v[] = {{"", ""},	     {"f", "MY"},	   {"fo", "MZXQ"},
		 {"foo", "MZXW6"},   {"foob", "MZXW6YQ"}, {"fooba", "MZXW6YTB"},
		 {"foobar", "MZXW6YTBOI"}};
	char out[64];
	uint8_t k[TOTP_SECRET_LEN] = {0};

	(void)state;
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		assert_int_equal(totp_base32(out, sizeof out, (const uint8_t *)v[i].in,
					     strlen(v[i].in)),
				 strlen(v[i].out));
		assert_string_equal(out, v[i].out);
	}
	assert_int_equal(totp_base32(out, sizeof out, k, sizeof k), TOTP_SECRET_B32);
	assert_int_equal(totp_base32(out, TOTP_SECRET_B32, k, sizeof k), 0); /* no room for NUL */
}

static void seal(void **state)
{
	uint8_t key[TOTP_SEAL_KEY_LEN], other[TOTP_SEAL_KEY_LEN], secret[TOTP_SECRET_LEN];
	uint8_t box[TOTP_SEALED_LEN], box2[TOTP_SEALED_LEN], out[TOTP_SECRET_LEN];

	(void)state;
	randombytes_buf(key, sizeof key);
	memcpy(other, key, sizeof other);
	other[31] ^= 1;
	randombytes_buf(secret, sizeof secret);
	totp_seal(box, secret, key, 7);
	assert_true(totp_open(out, box, sizeof box, key, 7));
	assert_memory_equal(out, secret, sizeof secret);
	/* Not the secret in clear anywhere in the box; a fresh nonce each time. */
	for (size_t i = 0; i + 4 <= sizeof box; i++)
		assert_memory_not_equal(box + i, secret, 4);
	totp_seal(box2, secret, key, 7);
	assert_memory_not_equal(box, box2, sizeof box);
	/* Another key or account, or a flipped byte, or a short box: refused, out wiped. */
	assert_false(totp_open(out, box, sizeof box, other, 7));
	assert_false(totp_open(out, box, sizeof box, key, 8));
	for (size_t i = 0; i < sizeof box; i += 7) {
		memcpy(box2, box, sizeof box);
		box2[i] ^= 0x40;
		assert_false(totp_open(out, box2, sizeof box2, key, 7));
	}
	assert_false(totp_open(out, box, sizeof box - 1, key, 7));
	assert_false(totp_open(out, secret, sizeof secret, key, 7)); /* a clear secret */
	for (size_t i = 0; i < sizeof out; i++)
		assert_int_equal(out[i], 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(rfc6238_sha256),
	    cmocka_unit_test(window),
	    cmocka_unit_test(base32),
	    cmocka_unit_test(seal),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
