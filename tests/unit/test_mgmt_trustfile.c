/*
 * core/mgmt/trustfile.c: a device's trust state as text.  A fresh trust
 * and a pinned one with four keys round-trip byte for byte; every
 * single-byte change of a valid text is refused or decodes to a state that
 * encodes back to exactly the changed text (one spelling); truncations and
 * the documented bad shapes are refused and leave the struct zeroed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "core/mgmt/trustfile.h"

static void pinned_trust(struct mgmt_trust *t)
{
	uint8_t fpr[MGMT_FPR_LEN], pk[MGMT_PK_LEN];

	memset(fpr, 0xab, sizeof(fpr));
	mgmt_trust_init(t, fpr);
	t->pinned = true;
	memset(t->instance, 0x11, sizeof(t->instance));
	t->license.serial = 9007199254740991ULL;
	memset(t->license.digest, 0xcd, sizeof(t->license.digest));
	for (int i = 0; i < MGMT_KEYS_MAX; i++) {
		memset(pk, 0x20 + i, sizeof(pk));
		assert_int_equal(mgmt_keyset_add(&t->keys, pk), 0);
	}
}

static void test_round_trip(void **state)
{
	struct mgmt_trust t, back;
	char text[MGMT_TRUSTFILE_MAX], again[MGMT_TRUSTFILE_MAX];
	uint8_t fpr[MGMT_FPR_LEN] = { 1, 2, 3 };
	size_t n;

	(void)state;
	mgmt_trust_init(&t, fpr);
	n = mgmt_trustfile_encode(&t, text, sizeof(text));
	assert_string_equal(text, "subnetra-mgmt-trust 1\n"
				  "fingerprint 01020300000000000000000000000000\n"
				  "pinned 0\n"
				  "instance 00000000000000000000000000000000\n"
				  "license 0 0000000000000000000000000000000000000000000000000000000000000000\n");
	assert_true(mgmt_trustfile_decode(text, n, &back));
	assert_memory_equal(&t, &back, sizeof(t));
	pinned_trust(&t);
	n = mgmt_trustfile_encode(&t, text, sizeof(text));
	assert_true(n > 0 && n < sizeof(text));
	assert_true(mgmt_trustfile_decode(text, n, &back));
	assert_memory_equal(&t, &back, sizeof(t));
	assert_int_equal(mgmt_trustfile_encode(&back, again, sizeof(again)), n);
	assert_string_equal(again, text);
	assert_int_equal(mgmt_trustfile_encode(&t, again, n), 0); /* no room for the NUL */
}

static void test_every_change(void **state)
{
	struct mgmt_trust t, back;
	char text[MGMT_TRUSTFILE_MAX], edit[MGMT_TRUSTFILE_MAX], again[MGMT_TRUSTFILE_MAX];
	static const char subs[] = "0a1A9f \n-gz";
	size_t n;

	(void)state;
	pinned_trust(&t);
	n = mgmt_trustfile_encode(&t, text, sizeof(text));
	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < sizeof(subs) - 1; k++) {
			if (text[i] == subs[k])
				continue;
			memcpy(edit, text, n);
			edit[i] = subs[k];
			if (mgmt_trustfile_decode(edit, n, &back)) {
				assert_int_equal(mgmt_trustfile_encode(&back, again, sizeof(again)),
						 n);
				assert_memory_equal(again, edit, n);
			} else {
				assert_true(sodium_is_zero((const unsigned char *)&back,
							   sizeof(back)));
			}
		}
		/* a truncation is refused, but after a whole key line (69 bytes) but the first */
		assert_int_equal(mgmt_trustfile_decode(text, i, &back),
				 i > 0 && text[i - 1] == '\n' && i >= n - 69 * 3);
	}
}

static void test_refused(void **state)
{
	static const char *const bad[] = {
		"",
		"subnetra-mgmt-trust 2\n",
		/* pinned with no key */
		"subnetra-mgmt-trust 1\nfingerprint 00000000000000000000000000000000\npinned 1\n"
		"instance 00000000000000000000000000000000\n"
		"license 0 0000000000000000000000000000000000000000000000000000000000000000\n",
		/* a leading zero */
		"subnetra-mgmt-trust 1\nfingerprint 00000000000000000000000000000000\npinned 0\n"
		"instance 00000000000000000000000000000000\n"
		"license 01 0000000000000000000000000000000000000000000000000000000000000000\n",
		/* 2^53 */
		"subnetra-mgmt-trust 1\nfingerprint 00000000000000000000000000000000\npinned 0\n"
		"instance 00000000000000000000000000000000\n"
		"license 9007199254740992 0000000000000000000000000000000000000000000000000000000000000000\n",
		/* uppercase hex */
		"subnetra-mgmt-trust 1\nfingerprint 0000000000000000000000000000000A\npinned 0\n"
		"instance 00000000000000000000000000000000\n"
		"license 0 0000000000000000000000000000000000000000000000000000000000000000\n",
		/* no final newline */
		"subnetra-mgmt-trust 1\nfingerprint 00000000000000000000000000000000\npinned 0\n"
		"instance 00000000000000000000000000000000\n"
		"license 0 0000000000000000000000000000000000000000000000000000000000000000",
	};
	struct mgmt_trust back;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_false(mgmt_trustfile_decode(bad[i], strlen(bad[i]), &back));
		assert_true(sodium_is_zero((const unsigned char *)&back, sizeof(back)));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_every_change),
		cmocka_unit_test(test_refused),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests_name("mgmt_trustfile", tests, NULL, NULL);
}
