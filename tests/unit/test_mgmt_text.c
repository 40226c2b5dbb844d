/*
 * core/mgmt/text.c: base64url, hex and UTC times have one spelling each
 * (every other is refused), times round-trip across the whole range
 * against the C library's gmtime, and the UTF-8 check refuses overlong
 * forms, surrogates and control characters.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <sodium.h>

#include "core/mgmt/proto.h"
#include "core/mgmt/text.h"
#include "tests/unit/splitmix.h"

static void test_b64(void **state)
{
	static const struct {
		const char *text;
		size_t n; /* bytes expected, exact */
		bool ok;
	} cases[] = {
		{ "", 0, true },
		{ "AA", 1, true },
		{ "AB", 1, false },   /* unused bits set */
		{ "AA==", 1, false }, /* padding */
		{ "A", 1, false },    /* a dangling group */
		{ "_-8", 2, true },
		{ "/+8", 2, false },  /* the standard alphabet */
		{ "AAA", 1, false },  /* too long for 1 byte */
		{ "AAAA", 3, true },
		{ "AA A", 3, false },
		{ "AA\xca\x8f", 3, false }, /* libsodium 1.0.18 decodes these */
		{ "AA\x80" "A", 3, false },
		{ "AA.A", 3, false },
	};
	uint8_t out[8];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(mgmt_b64_decode_exact(cases[i].text, strlen(cases[i].text), out,
						       cases[i].n),
				 cases[i].ok);
}

static void test_b64_round_trip(void **state)
{
	uint64_t rng = 1;
	uint8_t bin[70], back[70];
	char text[MGMT_B64_LEN(70) + 1], ref[MGMT_B64_LEN(70) + 1];

	(void)state;
	for (size_t n = 0; n <= sizeof(bin); n++) {
		size_t got;

		for (size_t i = 0; i < n; i++)
			bin[i] = (uint8_t)splitmix64(&rng);
		assert_int_equal(mgmt_b64_encode(text, sizeof(text), bin, n), MGMT_B64_LEN(n));
		assert_int_equal(strlen(text), MGMT_B64_LEN(n));
		/* the table encoder against libsodium's */
		sodium_bin2base64(ref, sizeof(ref), bin, n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
		assert_string_equal(text, ref);
		assert_true(mgmt_b64_decode(text, strlen(text), back, n, &got));
		assert_int_equal(got, n);
		assert_memory_equal(bin, back, n);
		if (n > 0) /* one byte short of room: refused */
			assert_false(mgmt_b64_decode(text, strlen(text), back, n - 1, &got));
	}
	assert_int_equal(mgmt_b64_encode(text, MGMT_B64_LEN(3), bin, 3), 0); /* no room for the NUL */
}

static void test_hex(void **state)
{
	uint8_t out[2];
	char text[5];

	(void)state;
	assert_true(mgmt_hex_decode("0aff", 4, out, 2));
	assert_int_equal(out[0], 0x0a);
	assert_int_equal(out[1], 0xff);
	assert_false(mgmt_hex_decode("0AFF", 4, out, 2)); /* uppercase */
	assert_false(mgmt_hex_decode("0af", 3, out, 2));
	assert_false(mgmt_hex_decode("0afff", 5, out, 2));
	assert_false(mgmt_hex_decode("0ag0", 4, out, 2));
	mgmt_hex_encode(text, out, 2);
	assert_string_equal(text, "0aff");
}

static void test_time_table(void **state)
{
	static const struct {
		const char *text;
		int64_t t; /* -1: refused */
	} cases[] = {
		{ "1970-01-01T00:00:00Z", 0 },
		{ "2026-11-23T10:00:00Z", 1795428000 },
		{ "2000-02-29T23:59:59Z", 951868799 },
		{ "9999-12-31T23:59:59Z", 253402300799LL },
		{ "1969-12-31T23:59:59Z", -1 },
		{ "2001-02-29T00:00:00Z", -1 }, /* not a leap year */
		{ "1900-02-29T00:00:00Z", -1 },
		{ "2026-13-01T00:00:00Z", -1 },
		{ "2026-00-01T00:00:00Z", -1 },
		{ "2026-04-31T00:00:00Z", -1 },
		{ "2026-01-01T24:00:00Z", -1 },
		{ "2026-01-01T00:60:00Z", -1 },
		{ "2026-01-01T00:00:60Z", -1 }, /* no leap second */
		{ "2026-01-01T00:00:00z", -1 },
		{ "2026-01-01 00:00:00Z", -1 },
		{ "2026-01-01T00:00:00+00:00", -1 },
		{ "2026-01-01T00:00:00.0Z", -1 },
		{ "2026-1-01T00:00:00Z", -1 },
		{ "+026-01-01T00:00:00Z", -1 },
	};
	char text[MGMT_TIME_TEXT];
	int64_t t;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bool ok = mgmt_time_parse(cases[i].text, strlen(cases[i].text), &t);

		assert_int_equal(ok, cases[i].t >= 0);
		if (!ok)
			continue;
		assert_int_equal(t, cases[i].t);
		assert_true(mgmt_time_format(t, text));
		assert_string_equal(text, cases[i].text);
	}
	assert_false(mgmt_time_format(-1, text));
	assert_false(mgmt_time_format(253402300800LL, text));
}

/* Every day from 1970 to 9999 (and a random second in it) against gmtime_r. */
static void test_time_against_gmtime(void **state)
{
	uint64_t rng = 7;
	char text[MGMT_TIME_TEXT], want[32];

	(void)state;
	for (int64_t day = 0; day <= 2932896; day += 1 + (int64_t)(splitmix64(&rng) % 3)) {
		int64_t t = day * 86400 + (int64_t)(splitmix64(&rng) % 86400), back;
		time_t tt = (time_t)t;
		struct tm tm;

		assert_non_null(gmtime_r(&tt, &tm));
		strftime(want, sizeof(want), "%Y-%m-%dT%H:%M:%SZ", &tm);
		assert_true(mgmt_time_format(t, text));
		assert_string_equal(text, want);
		assert_true(mgmt_time_parse(text, 20, &back));
		assert_int_equal(back, t);
	}
}

static void test_printable(void **state)
{
	static const struct {
		const char *s;
		bool ok;
	} cases[] = {
		{ "Acme robots", true },
		{ "Z\xc3\xbcrich", true },          /* ü */
		{ "\xe2\x82\xac", true },           /* € */
		{ "\xf0\x9f\x98\x80", true },       /* U+1F600 */
		{ "tab\there", false },
		{ "del\x7f", false },
		{ "\xc2\x85", false },              /* C1 control (NEL) */
		{ "\xc0\xaf", false },              /* overlong '/' */
		{ "\xe0\x80\xaf", false },          /* overlong */
		{ "\xed\xa0\x80", false },          /* a surrogate */
		{ "\xf4\x90\x80\x80", false },      /* above U+10FFFF */
		{ "\xc3", false },                  /* cut short */
		{ "\x80", false },                  /* a lone continuation byte */
		{ "\xff", false },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(mgmt_text_printable(cases[i].s, strlen(cases[i].s)), cases[i].ok);
}

static int setup(void **state)
{
	(void)state;
	return sodium_init() < 0 ? -1 : 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_b64),
		cmocka_unit_test(test_b64_round_trip),
		cmocka_unit_test(test_hex),
		cmocka_unit_test(test_time_table),
		cmocka_unit_test(test_time_against_gmtime),
		cmocka_unit_test(test_printable),
	};

	return cmocka_run_group_tests_name("mgmt_text", tests, setup, NULL);
}
