/*
 * core/mgmt/url.c: the management URL.  A table of accepted URLs with the
 * host, port, path and Host header each gives; a table of refused ones
 * (https, user info, bad ports, bad hosts, bad paths, NUL bytes) that
 * leave the struct zeroed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "core/mgmt/url.h"

static void test_good(void **state)
{
	static const struct {
		const char *url, *host;
		unsigned port;
		const char *path, *hosthdr;
	} t[] = {
		{ "http://10.0.0.1", "10.0.0.1", 80, "/license.json", "10.0.0.1" },
		{ "http://10.0.0.1:8080/", "10.0.0.1", 8080, "/license.json", "10.0.0.1:8080" },
		{ "http://[fc94::4d]:81/x/license.json?v=1", "fc94::4d", 81,
		  "/x/license.json?v=1", "[fc94::4d]:81" },
		{ "http://[2001:db8::1]/mgmt/", "2001:db8::1", 80, "/mgmt/license.json",
		  "[2001:db8::1]" },
		{ "http://mgmt.example.org:65535/l", "mgmt.example.org", 65535, "/l",
		  "mgmt.example.org:65535" },
	};
	struct mgmt_url u;
	char hh[300];

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		assert_null(mgmt_url_parse(t[i].url, strlen(t[i].url), &u));
		assert_string_equal(u.host, t[i].host);
		assert_int_equal(u.port, t[i].port);
		assert_string_equal(u.path, t[i].path);
		mgmt_url_host_header(&u, hh, sizeof(hh));
		assert_string_equal(hh, t[i].hosthdr);
	}
}

static void test_bad(void **state)
{
	static const char *const bad[] = {
		"",
		"https://10.0.0.1/",
		"HTTP://10.0.0.1/",
		"http://",
		"http:///license.json",
		"http://user@10.0.0.1/",
		"http://10.0.0.1:0/",
		"http://10.0.0.1:080/",
		"http://10.0.0.1:65536/",
		"http://10.0.0.1:/",
		"http://10.0.0.1:80x/",
		"http://[fc94::4d/",
		"http://fc94::4d/",
		"http://[10.0.0.1]/",
		"http://[fc94::4d]x/",
		"http://bad_host/",
		"http://10.0.0.1/a b",
		"http://10.0.0.1/a#b",
		"http://10.0.0.1/a\\b",
		"http://10.0.0.1/\xc3\xa9",
		"http://10.0.0.1?x",
	};
	struct mgmt_url u;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_non_null(mgmt_url_parse(bad[i], strlen(bad[i]), &u));
		assert_true(sodium_is_zero((const unsigned char *)&u, sizeof(u)));
	}
	/* a NUL inside */
	assert_non_null(mgmt_url_parse("http://10.0.0.1\0/", 17, &u));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_bad),
	};

	return cmocka_run_group_tests_name("mgmt_url", tests, NULL, NULL);
}
