/*
 * src/mgmt/http.c's route patterns and src/mgmt/settings.c's base server
 * spelling, the parts of the HTTP layer and the settings that need no
 * connection (t_mgmtd_http drives the rest over real sockets):
 *
 *  - a pattern matches its literal path only; "{name}" takes one
 *    non-empty segment, never a '/', and the parameters come out cut;
 *  - "HOST:UDP:TCP:PUBKEYHEX" with IPv4, DNS, bare and bracketed IPv6
 *    hosts, and the refusals (ports, key, host).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "core/mesh/identity.h"
#include "core/mgmt/text.h"
#include "mgmt/http.h"
#include "mgmt/settings.h"

/* Whether pattern matches path; params joined by '|' into got. */
static bool try_match(const char *pattern, const char *path, char *got, size_t cap)
{
	char copy[256];
	const char *param[HTTP_PARAMS_MAX];
	size_t n = 0, o = 0;

	snprintf(copy, sizeof copy, "%s", path);
	got[0] = '\0';
	if (!http_route_match(pattern, copy, param, &n))
		return false;
	for (size_t i = 0; i < n; i++)
		o += (size_t)snprintf(got + o, cap - o, "%s%s", i ? "|" : "", param[i]);
	return true;
}

static void test_route_match(void **state)
{
	static const struct {
		const char *pattern, *path;
		bool match;
		const char *params;
	} cases[] = {
	    {"/healthz", "/healthz", true, ""},
	    {"/healthz", "/healthz/", false, ""},
	    {"/healthz", "/healthzz", false, ""},
	    {"/healthz", "/health", false, ""},
	    {"/api/v1/networks/{id}", "/api/v1/networks/42", true, "42"},
	    {"/api/v1/networks/{id}", "/api/v1/networks/", false, ""},
	    {"/api/v1/networks/{id}", "/api/v1/networks/4/2", false, ""},
	    {"/api/v1/networks/{id}/devices/{address}",
	     "/api/v1/networks/n1/devices/fc94::1", true, "n1|fc94::1"},
	    {"/api/v1/networks/{id}/devices/{address}", "/api/v1/networks//devices/x",
	     false, ""},
	    {"/api/v1/networks/{id}/devices/{address}", "/api/v1/networks/n1/devices",
	     false, ""},
	    {"/api/v1/networks/{id}/devices/{address}", "/api/v1/networks/n1/devices/a/b",
	     false, ""},
	    {"/a/{b}/c/{d}/e/{f}/g/{h}", "/a/1/c/2/e/3/g/4", true, "1|2|3|4"},
	    {"/a/{b}/{c}/{d}/{e}/{f}", "/a/1/2/3/4/5", false,
	     ""}, /* 5 > HTTP_PARAMS_MAX */
	};
	char got[256];

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		bool m = try_match(cases[i].pattern, cases[i].path, got, sizeof got);

		if (m != cases[i].match)
			fail_msg("%s ~ %s: %d", cases[i].pattern, cases[i].path, m);
		if (m)
			assert_string_equal(got, cases[i].params);
	}
}

/* A key that passes the identity filter (an identity's). */
static void good_key(char hex[2 * IDENTITY_PK_LEN + 1])
{
	struct identity id;

	identity_generate(&id);
	mgmt_hex_encode(hex, id.pk, IDENTITY_PK_LEN);
	identity_wipe(&id);
}

static void test_base_spec(void **state)
{
	struct mgmt_base_server b;
	char pk[2 * IDENTITY_PK_LEN + 1], spec[512], why[SETTINGS_WHY_MAX];
	static const struct {
		const char *prefix; /* the spec before ":PUBKEYHEX" */
		const char *host;   /* NULL: refused */
		unsigned udp, tcp;
	} cases[] = {
	    {"203.0.113.5:5582:443", "203.0.113.5", 5582, 443},
	    {"base.example.org:1:65535", "base.example.org", 1, 65535},
	    {"2001:db8::1:5582:443", "2001:db8::1", 5582, 443},
	    {"[2001:db8::1]:5582:443", "2001:db8::1", 5582, 443},
	    {"203.0.113.5:0:443", NULL, 0, 0},
	    {"203.0.113.5:5582:65536", NULL, 0, 0},
	    {"203.0.113.5:05582:443", NULL, 0, 0},
	    {"203.0.113.5:+1:443", NULL, 0, 0},
	    {":5582:443", NULL, 0, 0},
	    {"[]:5582:443", NULL, 0, 0},
	    {"bad host:5582:443", NULL, 0, 0},
	    {"5582:443", NULL, 0, 0},
	};

	(void)state;
	good_key(pk);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int rc;

		snprintf(spec, sizeof spec, "%s:%s", cases[i].prefix, pk);
		rc = settings_base_parse(spec, &b, why, sizeof why);
		if ((rc == 0) != (cases[i].host != NULL))
			fail_msg("%s: rc %d (%s)", spec, rc, why);
		if (rc != 0)
			continue;
		assert_string_equal(b.host, cases[i].host);
		assert_int_equal(b.udp_port, cases[i].udp);
		assert_int_equal(b.tcp_port, cases[i].tcp);
	}
	/* A key of the right length that is no identity key; upper-case hex. */
	snprintf(spec, sizeof spec, "203.0.113.5:1:2:%064d", 0);
	assert_int_equal(settings_base_parse(spec, &b, why, sizeof why), -EINVAL);
	assert_non_null(strstr(why, "not a subnetra identity key"));
	for (char *p = pk; *p; p++)
		*p = (char)(*p >= 'a' && *p <= 'f' ? *p - 32 : *p);
	snprintf(spec, sizeof spec, "203.0.113.5:1:2:%s", pk);
	assert_int_equal(settings_base_parse(spec, &b, why, sizeof why), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_route_match),
	    cmocka_unit_test(test_base_spec),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests_name("mgmtd_http", tests, NULL, NULL);
}
