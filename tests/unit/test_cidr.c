/* Table tests for src/core/cidr.c: strict parsing, sub-errors, formatting, set relations. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/cidr.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static uint32_t ip(unsigned a, unsigned b, unsigned c, unsigned d)
{
	return (uint32_t)a << 24 | (uint32_t)b << 16 | (uint32_t)c << 8 | (uint32_t)d;
}

struct cidr_case {
	const char *in;
	enum addr_err want;
	uint32_t addr;
	uint8_t prefix;
};

static const struct cidr_case cidr_cases[] = {
	{ "0.0.0.0/0", ADDR_OK, 0, 0 },
	{ "10.0.0.0/24", ADDR_OK, 0x0a000000, 24 },
	{ "255.255.255.255/32", ADDR_OK, 0xffffffff, 32 },
	{ "192.168.1.7/16", ADDR_OK, 0xc0a80107, 16 }, /* host bits kept */
	{ "1.2.3.4/0", ADDR_OK, 0x01020304, 0 },
	{ "", ADDR_MISSING_SLASH, 0, 0 },
	{ "10.0.0.0", ADDR_MISSING_SLASH, 0, 0 },
	{ "10.0.0/24", ADDR_INVALID_OCTET, 0, 0 },
	{ "10.0.0.256/24", ADDR_INVALID_OCTET, 0, 0 },
	{ "256.0.0.0/8", ADDR_INVALID_OCTET, 0, 0 },
	{ "010.0.0.0/8", ADDR_INVALID_OCTET, 0, 0 },  /* leading zero */
	{ "10.00.0.0/16", ADDR_INVALID_OCTET, 0, 0 }, /* leading zero */
	{ "10.0.0.0.0/8", ADDR_INVALID_OCTET, 0, 0 },
	{ "10..0.0/8", ADDR_INVALID_OCTET, 0, 0 },
	{ "a.b.c.d/8", ADDR_INVALID_OCTET, 0, 0 },
	{ " 10.0.0.0/8", ADDR_INVALID_OCTET, 0, 0 },
	{ "10.0.0.-1/8", ADDR_INVALID_OCTET, 0, 0 },
	{ "/8", ADDR_INVALID_OCTET, 0, 0 },
	{ "10.0.0.0/33", ADDR_INVALID_PREFIX, 0, 0 },
	{ "10.0.0.0/100", ADDR_INVALID_PREFIX, 0, 0 },
	{ "10.0.0.0/", ADDR_INVALID_PREFIX, 0, 0 },
	{ "10.0.0.0/08", ADDR_INVALID_PREFIX, 0, 0 }, /* leading zero */
	{ "10.0.0.0/-1", ADDR_INVALID_PREFIX, 0, 0 },
	{ "10.0.0.0/8 ", ADDR_INVALID_PREFIX, 0, 0 },
	{ "10.0.0.0/8/8", ADDR_INVALID_PREFIX, 0, 0 },
};

static void test_cidr_parse_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cidr_cases); i++) {
		const struct cidr_case *tc = &cidr_cases[i];
		struct cidr c = { 0, 0 };
		enum addr_err e = cidr_parse(&c, tc->in, strlen(tc->in));

		if (e != tc->want)
			fail_msg("cidr_parse(\"%s\") = %s, want %s", tc->in, addr_err_name(e),
				 addr_err_name(tc->want));
		if (e == ADDR_OK) {
			char s[CIDR_STR_MAX];

			assert_int_equal(c.addr, tc->addr);
			assert_int_equal(c.prefix, tc->prefix);
			/* format round-trip */
			assert_int_equal(cidr_format(&c, s), strlen(tc->in));
			assert_string_equal(s, tc->in);
		}
	}
}

static void test_cidr_parse_uses_len_not_nul(void **state)
{
	const char *s = "10.0.0.0/24xyz";
	struct cidr c;

	(void)state;
	assert_int_equal(cidr_parse(&c, s, 11), ADDR_OK);
	assert_int_equal(c.prefix, 24);
	assert_int_equal(cidr_parse(&c, s, 12), ADDR_INVALID_PREFIX);
	/* an embedded NUL is just a bad byte */
	assert_int_equal(cidr_parse(&c, "10.0.0.0/2\0", 11), ADDR_INVALID_PREFIX);
}

struct ipv4_case {
	const char *in;
	enum addr_err want;
	uint32_t addr;
};

static const struct ipv4_case ipv4_cases[] = {
	{ "0.0.0.0", ADDR_OK, 0 },
	{ "1.2.3.4", ADDR_OK, 0x01020304 },
	{ "255.255.255.255", ADDR_OK, 0xffffffff },
	{ "1.2.3", ADDR_INVALID_OCTET, 0 },
	{ "1.2.3.4.", ADDR_INVALID_OCTET, 0 },
	{ "00.1.2.3", ADDR_INVALID_OCTET, 0 },
	{ "1.2.3.0256", ADDR_INVALID_OCTET, 0 },
	{ "1.2.3.256", ADDR_INVALID_OCTET, 0 },
	{ "1.2.3.+4", ADDR_INVALID_OCTET, 0 },
	{ "", ADDR_INVALID_OCTET, 0 },
};

static void test_ipv4_parse_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(ipv4_cases); i++) {
		const struct ipv4_case *tc = &ipv4_cases[i];
		uint32_t a = 0;
		enum addr_err e = ipv4_parse(&a, tc->in, strlen(tc->in));

		if (e != tc->want)
			fail_msg("ipv4_parse(\"%s\") = %s, want %s", tc->in, addr_err_name(e),
				 addr_err_name(tc->want));
		if (e == ADDR_OK) {
			char s[IPV4_STR_MAX];

			assert_int_equal(a, tc->addr);
			assert_int_equal(ipv4_format(a, s), strlen(tc->in));
			assert_string_equal(s, tc->in);
		}
	}
}

struct endpoint_case {
	const char *in;
	enum addr_err want;
	uint32_t addr;
	uint16_t port;
};

static const struct endpoint_case endpoint_cases[] = {
	{ "203.0.113.2:18020", ADDR_OK, 0xcb007102, 18020 },
	{ "0.0.0.0:1", ADDR_OK, 0, 1 },
	{ "255.255.255.255:65535", ADDR_OK, 0xffffffff, 65535 },
	{ "203.0.113.2", ADDR_MISSING_COLON, 0, 0 },
	{ "", ADDR_MISSING_COLON, 0, 0 },
	{ "203.0.113.2:0", ADDR_INVALID_PORT, 0, 0 },
	{ "203.0.113.2:65536", ADDR_INVALID_PORT, 0, 0 },
	{ "203.0.113.2:", ADDR_INVALID_PORT, 0, 0 },
	{ "203.0.113.2:018020", ADDR_INVALID_PORT, 0, 0 }, /* leading zero */
	{ "203.0.113.2:80:1", ADDR_INVALID_PORT, 0, 0 },
	{ "203.0.113.2:-1", ADDR_INVALID_PORT, 0, 0 },
	{ "203.0.113.2:100000", ADDR_INVALID_PORT, 0, 0 },
	{ "hub.example.com:18020", ADDR_INVALID_OCTET, 0, 0 }, /* no hostnames */
	{ "203.0.113.256:18020", ADDR_INVALID_OCTET, 0, 0 },
	{ "203.0.113.02:18020", ADDR_INVALID_OCTET, 0, 0 },
	{ "[::1]:18020", ADDR_INVALID_OCTET, 0, 0 },
};

static void test_endpoint_parse_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(endpoint_cases); i++) {
		const struct endpoint_case *tc = &endpoint_cases[i];
		struct endpoint4 ep = { 0, 0 };
		enum addr_err e = endpoint_parse(&ep, tc->in, strlen(tc->in));

		if (e != tc->want)
			fail_msg("endpoint_parse(\"%s\") = %s, want %s", tc->in, addr_err_name(e),
				 addr_err_name(tc->want));
		if (e == ADDR_OK) {
			char s[ENDPOINT_STR_MAX];

			assert_int_equal(ep.addr, tc->addr);
			assert_int_equal(ep.port, tc->port);
			assert_int_equal(endpoint_format(&ep, s), strlen(tc->in));
			assert_string_equal(s, tc->in);
		}
	}
}

static void test_addr_err_names(void **state)
{
	(void)state;
	assert_string_equal(addr_err_name(ADDR_OK), "Ok");
	assert_string_equal(addr_err_name(ADDR_MISSING_SLASH), "MissingSlash");
	assert_string_equal(addr_err_name(ADDR_MISSING_COLON), "MissingColon");
	assert_string_equal(addr_err_name(ADDR_INVALID_OCTET), "InvalidOctet");
	assert_string_equal(addr_err_name(ADDR_INVALID_PREFIX), "InvalidPrefix");
	assert_string_equal(addr_err_name(ADDR_INVALID_PORT), "InvalidPort");
}

static void test_mask_and_network(void **state)
{
	struct cidr c = { ip(192, 168, 1, 7), 16 };
	struct cidr any = { ip(1, 2, 3, 4), 0 };

	(void)state;
	assert_int_equal(cidr_mask(0), 0);
	assert_int_equal(cidr_mask(1), 0x80000000u);
	assert_int_equal(cidr_mask(24), 0xffffff00u);
	assert_int_equal(cidr_mask(32), 0xffffffffu);
	assert_int_equal(cidr_network(&c), ip(192, 168, 0, 0));
	assert_int_equal(cidr_network(&any), 0);
}

struct contains_case {
	struct cidr c;
	uint32_t addr;
	bool want;
};

static void test_contains_table(void **state)
{
	const struct contains_case cases[] = {
		{ { ip(10, 0, 0, 0), 24 }, ip(10, 0, 0, 255), true },
		{ { ip(10, 0, 0, 0), 24 }, ip(10, 0, 0, 0), true },
		{ { ip(10, 0, 0, 0), 24 }, ip(10, 0, 1, 0), false },
		{ { ip(10, 0, 0, 9), 24 }, ip(10, 0, 0, 1), true }, /* host bits ignored */
		{ { 0, 0 }, ip(203, 0, 113, 9), true },
		{ { ip(9, 9, 9, 9), 0 }, 0xffffffffu, true },
		{ { ip(10, 0, 0, 2), 32 }, ip(10, 0, 0, 2), true },
		{ { ip(10, 0, 0, 2), 32 }, ip(10, 0, 0, 3), false },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		if (cidr_contains(&cases[i].c, cases[i].addr) != cases[i].want)
			fail_msg("contains case %zu", i);
	}
}

struct overlap_case {
	struct cidr a, b;
	bool want;
};

static void test_overlap_table(void **state)
{
	const struct overlap_case cases[] = {
		{ { ip(10, 0, 0, 0), 24 }, { ip(10, 0, 0, 0), 16 }, true },
		{ { ip(10, 0, 0, 0), 24 }, { ip(10, 0, 1, 0), 24 }, false },
		{ { ip(10, 0, 0, 0), 24 }, { ip(192, 168, 1, 0), 24 }, false },
		{ { ip(10, 0, 0, 2), 32 }, { ip(10, 0, 0, 3), 32 }, false },
		{ { ip(10, 0, 0, 2), 32 }, { ip(10, 0, 0, 2), 32 }, true },
		{ { ip(10, 0, 0, 2), 32 }, { ip(10, 0, 0, 0), 24 }, true },
		{ { 0, 0 }, { ip(192, 168, 1, 0), 24 }, true },
		{ { 0, 0 }, { 0, 0 }, true },
		{ { ip(10, 0, 0, 128), 25 }, { ip(10, 0, 0, 0), 25 }, false },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		/* overlap is symmetric */
		if (cidr_overlap(&cases[i].a, &cases[i].b) != cases[i].want ||
		    cidr_overlap(&cases[i].b, &cases[i].a) != cases[i].want)
			fail_msg("overlap case %zu", i);
	}
}

static void test_equal(void **state)
{
	struct cidr a = { ip(10, 0, 0, 0), 24 }, b = a, c = { ip(10, 0, 0, 1), 24 },
		    d = { ip(10, 0, 0, 0), 25 };

	(void)state;
	assert_true(cidr_equal(&a, &b));
	assert_false(cidr_equal(&a, &c)); /* host bits count: not masked */
	assert_false(cidr_equal(&a, &d));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cidr_parse_table),
		cmocka_unit_test(test_cidr_parse_uses_len_not_nul),
		cmocka_unit_test(test_ipv4_parse_table),
		cmocka_unit_test(test_endpoint_parse_table),
		cmocka_unit_test(test_addr_err_names),
		cmocka_unit_test(test_mask_and_network),
		cmocka_unit_test(test_contains_table),
		cmocka_unit_test(test_overlap_table),
		cmocka_unit_test(test_equal),
	};

	return cmocka_run_group_tests_name("cidr", tests, NULL, NULL);
}
