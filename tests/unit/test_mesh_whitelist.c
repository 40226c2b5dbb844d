/*
 * core/mesh/whitelist.c: add, remove and look up keep the list sorted and
 * refuse what they must; the list off allows everyone, on and empty allows
 * nobody; the file round-trips, comes out the same for the same set in any
 * order of adding, and every malformed file is refused with its line and
 * leaves an empty, enforced list (fail closed).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/mesh/identity.h"
#include "core/mesh/whitelist.h"

static struct whitelist wl, wl2;

static void addr_of(const char *s, uint8_t out[16])
{
	assert_true(identity_address_parse(s, strlen(s), out));
}

static void test_add_remove(void **state)
{
	uint8_t a[16], b[16], c[16], v4[16];

	(void)state;
	addr_of("fc94::2", a);
	addr_of("fc94::1", b);
	addr_of("fc94:ffff::", c);
	addr_of("fd00::1", v4);
	whitelist_init(&wl);
	assert_true(wl.enabled);
	assert_false(whitelist_allows(&wl, a)); /* on and empty: nobody */
	assert_int_equal(whitelist_add(&wl, a), 0);
	assert_int_equal(whitelist_add(&wl, c), 0);
	assert_int_equal(whitelist_add(&wl, b), 0);
	assert_int_equal(whitelist_add(&wl, b), -EEXIST);
	assert_int_equal(whitelist_add(&wl, v4), -EINVAL);
	assert_int_equal(wl.n, 3);
	assert_memory_equal(wl.addr[0], b, 16); /* sorted */
	assert_memory_equal(wl.addr[2], c, 16);
	assert_true(whitelist_allows(&wl, a));
	assert_int_equal(whitelist_remove(&wl, a), 0);
	assert_int_equal(whitelist_remove(&wl, a), -ENOENT);
	assert_false(whitelist_allows(&wl, a));
	wl.enabled = false;
	assert_true(whitelist_allows(&wl, a)); /* off: everyone */
	assert_false(whitelist_contains(&wl, a));
}

static void test_full(void **state)
{
	uint8_t a[16] = { 0xfc, 0x94 };

	(void)state;
	whitelist_init(&wl);
	/* added in descending order: every add inserts at the front */
	for (int i = WHITELIST_MAX - 1; i >= 0; i--) {
		a[14] = (uint8_t)(i >> 8);
		a[15] = (uint8_t)i;
		assert_int_equal(whitelist_add(&wl, a), 0);
	}
	a[13] = 1;
	assert_int_equal(whitelist_add(&wl, a), -ENOSPC);
	for (size_t i = 1; i < wl.n; i++)
		assert_true(memcmp(wl.addr[i - 1], wl.addr[i], 16) < 0);
}

static void test_file_round_trip(void **state)
{
	static char text[WHITELIST_FILE_MAX], text2[WHITELIST_FILE_MAX];
	struct whitelist_error err;
	uint8_t a[16];
	size_t len;

	(void)state;
	whitelist_init(&wl);
	whitelist_init(&wl2);
	addr_of("fc94:1234::9", a);
	whitelist_add(&wl, a);
	addr_of("fc94::1", a);
	whitelist_add(&wl, a);
	len = whitelist_format(&wl, text, sizeof(text));
	assert_string_equal(text, "subnetra-whitelist 1\nenabled yes\nfc94::1\nfc94:1234::9\n");
	assert_true(whitelist_parse(&wl2, text, len, &err));
	assert_int_equal(wl2.n, 2);
	assert_memory_equal(wl2.addr, wl.addr, 2 * 16);
	/* the same set, added the other way round: the same file */
	whitelist_init(&wl2);
	whitelist_add(&wl2, a);
	addr_of("fc94:1234::9", a);
	whitelist_add(&wl2, a);
	whitelist_format(&wl2, text2, sizeof(text2));
	assert_string_equal(text, text2);
	/* off, empty */
	whitelist_init(&wl);
	wl.enabled = false;
	len = whitelist_format(&wl, text, sizeof(text));
	assert_string_equal(text, "subnetra-whitelist 1\nenabled no\n");
	assert_true(whitelist_parse(&wl2, text, len, &err));
	assert_false(wl2.enabled);
	/* too small a buffer: 0 */
	assert_int_equal(whitelist_format(&wl, text, 10), 0);
}

static void test_file_refused(void **state)
{
	static const struct {
		const char *text;
		unsigned line;
	} bad[] = {
		{ "", 1 },
		{ "subnetra-whitelist 2\nenabled yes\n", 1 },
		{ "subnetra-whitelist 1\n", 2 },
		{ "subnetra-whitelist 1\nenabled maybe\n", 2 },
		{ "subnetra-whitelist 1\nenabled no\nfc94::1\nfc94::1\n", 4 },
		{ "subnetra-whitelist 1\nenabled no\nfd00::1\n", 3 },
		{ "subnetra-whitelist 1\nenabled no\n10.0.0.1\n", 3 },
		{ "subnetra-whitelist 1\nenabled no\nfc94::1 \n", 3 },
		{ "subnetra-whitelist 1\nenabled no\n\n", 3 },
		{ "subnetra-whitelist 1\nenabled no\nfc94::1", 3 }, /* cut */
	};
	struct whitelist_error err;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err.line = 0;
		if (whitelist_parse(&wl, bad[i].text, strlen(bad[i].text), &err))
			fail_msg("case %zu accepted", i);
		assert_int_equal(err.line, bad[i].line);
		assert_non_null(err.msg);
		assert_true(wl.enabled); /* fail closed */
		assert_int_equal(wl.n, 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_remove),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_file_round_trip),
		cmocka_unit_test(test_file_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
