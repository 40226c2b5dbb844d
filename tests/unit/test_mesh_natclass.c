/*
 * NAT mapping classification: a table of observation sets (the probe port
 * and two bases, EIM, per-destination by port and by address, no NAT,
 * unanswered probes, mixed families) and the class each must give, plus
 * order independence: every rotation of a row gives the same class.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/mesh/natclass.h"
#include "mesh_fixture.h"

enum { MAXOBS = 4 };

struct row {
	const char *what;
	struct {
		const char *dst;
		uint16_t dport;
		const char *seen; /* NULL: unanswered */
		uint16_t sport;
	} o[MAXOBS];
	size_t n;
	enum nat_class want;
};

#define BASE1 "203.0.113.10"
#define BASE2 "198.51.100.20"
#define WAN   "203.0.113.1"

static const struct row rows[] = {
    {"nothing observed", {{0}}, 0, NAT_UNKNOWN},
    {"one destination, behind a NAT", {{BASE1, 5582, WAN, 40000}}, 1, NAT_UNKNOWN},
    {"one destination, our own address", {{BASE1, 5582, "10.0.1.2", 5582}}, 1, NAT_NONE},
    {"probe port agrees: endpoint-independent",
     {{BASE1, 5582, WAN, 40000}, {BASE1, 5583, WAN, 40000}}, 2, NAT_ENDPOINT_INDEPENDENT},
    {"probe port sees another port: per-destination",
     {{BASE1, 5582, WAN, 40000}, {BASE1, 5583, WAN, 51234}}, 2, NAT_PER_DESTINATION},
    {"two bases see two addresses: per-destination (address pool)",
     {{BASE1, 5582, WAN, 40000}, {BASE2, 5582, "203.0.113.99", 40000}}, 2,
     NAT_PER_DESTINATION},
    {"two bases agree", {{BASE1, 5582, WAN, 40000}, {BASE2, 5582, WAN, 40000}}, 2,
     NAT_ENDPOINT_INDEPENDENT},
    {"no NAT: both see our address and port",
     {{BASE1, 5582, "10.0.1.2", 5582}, {BASE1, 5583, "10.0.1.2", 5582}}, 2, NAT_NONE},
    {"the probe went unanswered", {{BASE1, 5582, WAN, 40000}, {BASE1, 5583, NULL, 0}}, 2,
     NAT_UNKNOWN},
    {"one destination twice is no pair",
     {{BASE1, 5582, WAN, 40000}, {BASE1, 5582, WAN, 40001}}, 2, NAT_UNKNOWN},
    {"families are not compared",
     {{BASE1, 5582, WAN, 40000}, {"2001:db8::10", 5582, "2001:db8::2", 5582}}, 2,
     NAT_UNKNOWN},
    {"an IPv6 pair decides while IPv4 has one",
     {{BASE1, 5582, WAN, 40000},
      {"2001:db8::10", 5582, "2001:db8::99", 5582},
      {"2001:db8::10", 5583, "2001:db8::99", 6000}},
     3, NAT_PER_DESTINATION},
    {"three destinations, one differs",
     {{BASE1, 5582, WAN, 40000}, {BASE1, 5583, WAN, 40000}, {BASE2, 5582, WAN, 40002}}, 3,
     NAT_PER_DESTINATION},
};

static void build(const struct row *r, struct nat_obs *obs, size_t shift)
{
	memset(obs, 0, MAXOBS * sizeof(*obs));
	for (size_t i = 0; i < r->n; i++) {
		struct nat_obs *o = &obs[(i + shift) % r->n];

		o->dst = fix_ep(r->o[i].dst, r->o[i].dport);
		if (r->o[i].seen != NULL)
			o->seen = fix_ep(r->o[i].seen, r->o[i].sport);
	}
}

static void test_table(void **state)
{
	const struct ep18 local[] = {fix_ep("10.0.1.2", 5582), fix_ep("2001:db8::2", 5582)};
	struct nat_obs obs[MAXOBS];

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		for (size_t shift = 0; shift < (rows[i].n ? rows[i].n : 1); shift++) {
			enum nat_class got;

			build(&rows[i], obs, shift);
			got = nat_classify(obs, rows[i].n, local, 2);
			if (got != rows[i].want)
				fail_msg("%s (rotation %zu): got %s, want %s", rows[i].what, shift,
					 nat_class_name(got), nat_class_name(rows[i].want));
		}
	}
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(nat_class_name(NAT_UNKNOWN), "unknown");
	assert_string_equal(nat_class_name(NAT_NONE), "none");
	assert_string_equal(nat_class_name(NAT_ENDPOINT_INDEPENDENT), "endpoint-independent");
	assert_string_equal(nat_class_name(NAT_PER_DESTINATION), "per-destination");
	assert_string_equal(nat_class_name(NAT_CLASS_END), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table),
	    cmocka_unit_test(test_names),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
