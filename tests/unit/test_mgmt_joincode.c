/*
 * core/mgmt/joincode.c and secret.c: a code formats to 72 characters of
 * the documented alphabet and parses back to itself, and every other
 * spelling is refused (table, and every single-character change of a
 * valid code); the stored hash matches only the same code under the same
 * pepper; hashes of different kinds differ.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "core/mgmt/envelope.h"
#include "core/mgmt/joincode.h"
#include "core/mgmt/secret.h"

static void sample(struct mgmt_joincode *jc)
{
	for (size_t i = 0; i < sizeof(jc->prefix); i++)
		jc->prefix[i] = (uint8_t)(0x11 * i);
	for (size_t i = 0; i < sizeof(jc->secret); i++)
		jc->secret[i] = (uint8_t)(0xa5 ^ i);
	memset(jc->fingerprint, 0xff, sizeof(jc->fingerprint));
}

static void test_format_parse(void **state)
{
	struct mgmt_joincode jc, back;
	char text[MGMT_JOINCODE_LEN + 1], prefix[9];

	(void)state;
	memset(&jc, 0, sizeof(jc));
	mgmt_joincode_format(&jc, text);
	assert_string_equal(text, "snj_00000000_00000000000000000000000000000000_00000000000000000000000000");
	sample(&jc);
	mgmt_joincode_format(&jc, text);
	assert_int_equal(strlen(text), 72);
	/* 128 bits of ones: 25 'z' and a last character with its 2 spare bits clear */
	assert_string_equal(text + 46, "zzzzzzzzzzzzzzzzzzzzzzzzzw");
	assert_true(mgmt_joincode_parse(text, strlen(text), &back));
	assert_memory_equal(&jc, &back, sizeof(jc));
	mgmt_joincode_prefix_text(&jc, prefix);
	assert_memory_equal(prefix, text + 4, 8);
	assert_int_equal(strspn(text + 4, "0123456789abcdefghjkmnpqrstvwxyz_"), 68);
}

/* A valid code with one thing wrong: refused. */
static void test_parse_refused(void **state)
{
	static const struct {
		size_t at; /* where the edit goes; SIZE_MAX: the length */
		const char *put;
	} edits[] = {
		{ 0, "S" },   { 3, "-" },  { 12, "-" }, { 45, "." }, { 5, "i" }, { 5, "l" },
		{ 5, "o" },   { 5, "u" },  { 5, "A" },  { 20, "=" }, { 71, "x" }, /* spare bits */
		{ 71, "1" }, { 0, " " },
	};
	struct mgmt_joincode jc;
	char text[MGMT_JOINCODE_LEN + 2];

	(void)state;
	sample(&jc);
	for (size_t i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
		mgmt_joincode_format(&jc, text);
		memcpy(text + edits[i].at, edits[i].put, strlen(edits[i].put));
		if (mgmt_joincode_parse(text, MGMT_JOINCODE_LEN, &jc))
			fail_msg("edit %zu accepted: %s", i, text);
		sample(&jc);
	}
	mgmt_joincode_format(&jc, text);
	assert_false(mgmt_joincode_parse(text, MGMT_JOINCODE_LEN - 1, &jc));
	sample(&jc);
	mgmt_joincode_format(&jc, text);
	text[MGMT_JOINCODE_LEN] = 'a';
	assert_false(mgmt_joincode_parse(text, MGMT_JOINCODE_LEN + 1, &jc));
	assert_false(mgmt_joincode_parse("", 0, &jc));
}

/* Any one character changed: refused, or a different code (never the same). */
static void test_every_change(void **state)
{
	struct mgmt_joincode jc, back;
	char text[MGMT_JOINCODE_LEN + 1], edited[MGMT_JOINCODE_LEN + 1];

	(void)state;
	sample(&jc);
	mgmt_joincode_format(&jc, text);
	for (size_t i = 0; i < MGMT_JOINCODE_LEN; i++) {
		for (int ch = 1; ch < 256; ch++) {
			if (ch == (unsigned char)text[i])
				continue;
			memcpy(edited, text, sizeof(text));
			edited[i] = (char)ch;
			if (mgmt_joincode_parse(edited, MGMT_JOINCODE_LEN, &back))
				assert_memory_not_equal(&jc, &back, sizeof(jc));
		}
	}
}

static void test_hash(void **state)
{
	uint8_t pepper[MGMT_PEPPER_LEN], pepper2[MGMT_PEPPER_LEN], stored[32], h[32], h2[32];
	struct mgmt_joincode jc, other;

	(void)state;
	memset(pepper, 1, sizeof(pepper));
	memset(pepper2, 2, sizeof(pepper2));
	sample(&jc);
	mgmt_joincode_hash(pepper, &jc, stored);
	assert_true(mgmt_joincode_matches(pepper, &jc, stored));
	assert_false(mgmt_joincode_matches(pepper2, &jc, stored));
	other = jc;
	other.secret[19] ^= 1;
	assert_false(mgmt_joincode_matches(pepper, &other, stored));
	other = jc;
	other.prefix[0] ^= 1; /* the prefix is bound too */
	assert_false(mgmt_joincode_matches(pepper, &other, stored));
	other = jc;
	other.fingerprint[0] ^= 1; /* the fingerprint is not secret, and not hashed */
	assert_true(mgmt_joincode_matches(pepper, &other, stored));
	/* kinds separate */
	assert_true(mgmt_secret_hash(pepper, "a", jc.secret, 20, h));
	assert_true(mgmt_secret_hash(pepper, "b", jc.secret, 20, h2));
	assert_false(mgmt_secret_equal(h, h2));
	assert_true(mgmt_secret_hash(pepper, "0123456789abcdef", jc.secret, 20, h));
	assert_false(mgmt_secret_hash(pepper, "0123456789abcdefg", jc.secret, 20, h));
	mgmt_joincode_wipe(&jc);
	assert_true(sodium_is_zero((const unsigned char *)&jc, sizeof(jc)));
}

static void test_generate(void **state)
{
	struct mgmt_joincode a, b, back;
	uint8_t pk[32] = { 9 }, fpr[MGMT_FPR_LEN];
	char text[MGMT_JOINCODE_LEN + 1];

	(void)state;
	mgmt_key_fingerprint(pk, fpr);
	mgmt_joincode_generate(&a, fpr);
	mgmt_joincode_generate(&b, fpr);
	assert_memory_not_equal(a.secret, b.secret, sizeof(a.secret));
	assert_memory_equal(a.fingerprint, fpr, sizeof(fpr));
	mgmt_joincode_format(&a, text);
	assert_true(mgmt_joincode_parse(text, strlen(text), &back));
	assert_memory_equal(&a, &back, sizeof(a));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_parse),
		cmocka_unit_test(test_parse_refused),
		cmocka_unit_test(test_every_change),
		cmocka_unit_test(test_hash),
		cmocka_unit_test(test_generate),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests_name("mgmt_joincode", tests, NULL, NULL);
}
