/*
 * roles.c: the derived policy tables of the Roles page examples, rule by
 * rule and in order, starting from parsed JSON exactly as the daemon does.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/config.h"
#include "core/policy.h"
#include "core/roles.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#define KEY_A "4478406b1ab6c49a71868963cb76f6c2f1c4d4541538cac8a8c28cfc23fb49a4"
#define KEY_B "d10bae5df4e65c268961c9e6cd812aa0ac0bbca644452ea50fc2dbcb78805927"

static struct config cfg;
static struct policy pol;

static uint32_t ip(unsigned a, unsigned b, unsigned c, unsigned d)
{
	return (uint32_t)a << 24 | (uint32_t)b << 16 | (uint32_t)c << 8 | (uint32_t)d;
}

struct want_rule {
	uint32_t dst;
	uint8_t prefix;
	uint32_t target;
};

static void load(const char *json)
{
	struct config_error e;
	char msg[512];

	if (config_parse(&cfg, "roles.json", json, strlen(json), &e) != 0 ||
	    config_validate(&cfg, "roles.json", &e) != 0) {
		config_error_format(&e, msg, sizeof(msg));
		fail_msg("%s", msg);
	}
}

/* Derive from json into a fresh table and compare every rule, in order. */
static void expect_table(const char *json, const struct want_rule *want, size_t n)
{
	const struct policy_table *t;

	load(json);
	policy_init(&pol);
	assert_int_equal(roles_derive_policy(&cfg, &pol), 0);
	t = policy_active(&pol);
	assert_int_equal(t->n, n);
	for (size_t i = 0; i < n; i++) {
		const struct policy_rule *r = &t->rules[i];

		/* the config's own: flush --added keeps them, a reload replaces them */
		assert_int_equal(t->origin[i], POLICY_ORIGIN_DERIVED);
		assert_int_equal(r->src.addr, 0);
		assert_int_equal(r->src.prefix, 0);
		assert_int_equal(r->action, POLICY_FORWARD);
		if (r->dst.addr != want[i].dst || r->dst.prefix != want[i].prefix ||
		    r->target != want[i].target)
			fail_msg("rule %zu: got %08x/%u -> %u, want %08x/%u -> %u", i,
				 (unsigned)r->dst.addr, (unsigned)r->dst.prefix, (unsigned)r->target,
				 (unsigned)want[i].dst, (unsigned)want[i].prefix,
				 (unsigned)want[i].target);
	}
}

#define HUB_PEER(key) \
	"{\"id\":1,\"endpoint\":\"203.0.113.1:18020\",\"allowed_src\":\"10.0.0.0/24\",\"psk\":\"" key "\"}"

/* Roles page, spoke: 10.0.0.2/32 -> LOCAL, then 10.0.0.0/24 -> hub(1). */
static void test_spoke_local_first(void **state)
{
	const struct want_rule want[] = {
		{ ip(10, 0, 0, 2), 32, POLICY_TARGET_LOCAL },
		{ ip(10, 0, 0, 0), 24, 1 },
	};

	(void)state;
	expect_table("{\"role\":\"spoke\",\"virtual_subnet\":\"10.0.0.0/24\",\"local_id\":2,"
		     "\"local_tun_ip\":\"10.0.0.2/24\",\"local_routes\":[\"10.0.0.2/32\"],"
		     "\"peers\":[" HUB_PEER(KEY_A) "]}",
		     want, ARRAY_LEN(want));
}

/* Site-to-Site: every local route is local, in order, before the hub rule. */
static void test_spoke_site_to_site(void **state)
{
	const struct want_rule want[] = {
		{ ip(10, 0, 0, 2), 32, POLICY_TARGET_LOCAL },
		{ ip(192, 168, 2, 0), 24, POLICY_TARGET_LOCAL },
		{ ip(10, 0, 0, 0), 24, 1 },
	};

	(void)state;
	expect_table("{\"role\":\"spoke\",\"local_id\":2,"
		     "\"local_routes\":[\"10.0.0.2/32\",\"192.168.2.0/24\"],"
		     "\"peers\":[" HUB_PEER(KEY_A) "]}",
		     want, ARRAY_LEN(want));
}

/* No local_routes: local_tun_ip collapsed to /32 is the local target. */
static void test_spoke_tun_ip_collapsed(void **state)
{
	const struct want_rule want[] = {
		{ ip(10, 0, 0, 7), 32, POLICY_TARGET_LOCAL },
		{ ip(10, 0, 0, 0), 24, 1 },
	};

	(void)state;
	expect_table("{\"role\":\"spoke\",\"local_id\":7,\"local_tun_ip\":\"10.0.0.7/24\","
		     "\"peers\":[" HUB_PEER(KEY_A) "]}",
		     want, ARRAY_LEN(want));
}

/* remote_routes replace virtual_subnet as what goes to the hub. */
static void test_spoke_remote_routes(void **state)
{
	const struct want_rule want[] = {
		{ ip(10, 0, 0, 2), 32, POLICY_TARGET_LOCAL },
		{ ip(10, 0, 0, 0), 24, 1 },
		{ ip(192, 168, 3, 0), 24, 1 },
	};

	(void)state;
	expect_table("{\"role\":\"spoke\",\"virtual_subnet\":\"10.9.0.0/16\",\"local_id\":2,"
		     "\"local_tun_ip\":\"10.0.0.2/24\","
		     "\"remote_routes\":[\"10.0.0.0/24\",\"192.168.3.0/24\"],"
		     "\"peers\":[" HUB_PEER(KEY_A) "]}",
		     want, ARRAY_LEN(want));
}

/* Roles page, hub: one rule per peer, allowed_src as configured (host bits kept). */
static void test_hub_per_peer(void **state)
{
	const struct want_rule want[] = {
		{ ip(10, 0, 0, 2), 32, 2 },
		{ ip(10, 0, 0, 3), 32, 3 },
		{ ip(192, 168, 3, 9), 24, 7 },
	};

	(void)state;
	expect_table("{\"role\":\"hub\",\"virtual_subnet\":\"10.0.0.0/24\",\"local_id\":1,\"peers\":["
		     "{\"id\":2,\"endpoint\":\"203.0.113.2:18020\",\"allowed_src\":\"10.0.0.2/32\",\"psk\":\"" KEY_A "\"},"
		     "{\"id\":3,\"endpoint\":\"203.0.113.3:18020\",\"allowed_src\":\"10.0.0.3/32\",\"psk\":\"" KEY_B "\"},"
		     "{\"id\":7,\"endpoint\":\"203.0.113.7:18020\",\"allowed_src\":\"192.168.3.9/24\","
		     "\"psk\":\"0000000000000000000000000000000000000000000000000000000000000001\"}]}",
		     want, ARRAY_LEN(want));
}

static void test_manual_empty(void **state)
{
	(void)state;
	expect_table("{\"local_id\":1,\"local_tun_ip\":\"10.0.0.1/24\",\"local_routes\":[\"10.0.0.1/32\"],"
		     "\"peers\":[{\"id\":2,\"endpoint\":\"203.0.113.2:18020\",\"psk\":\"" KEY_A "\"}]}",
		     NULL, 0);
}

/* Local first means a local route wins an equal-prefix tie with the hub rule. */
static void test_spoke_tie_goes_local(void **state)
{
	const struct policy_rule *r;

	(void)state;
	load("{\"role\":\"spoke\",\"local_id\":2,\"local_routes\":[\"10.0.0.0/24\"],"
	     "\"peers\":[" HUB_PEER(KEY_A) "]}");
	policy_init(&pol);
	assert_int_equal(roles_derive_policy(&cfg, &pol), 0);
	r = policy_lookup(policy_active(&pol), ip(10, 0, 0, 2), ip(10, 0, 0, 9));
	assert_non_null(r);
	assert_int_equal(r->target, POLICY_TARGET_LOCAL);
	assert_null(policy_lookup(policy_active(&pol), ip(10, 0, 0, 2), ip(8, 8, 8, 8)));
}

/* A table that cannot take the derived rules is a start-up error. */
static void test_out_of_space(void **state)
{
	struct policy_rule filler = { .src = { 0, 0 }, .action = POLICY_DROP };

	(void)state;
	load("{\"role\":\"hub\",\"local_id\":1,\"peers\":["
	     "{\"id\":2,\"endpoint\":\"203.0.113.2:18020\",\"allowed_src\":\"10.0.0.2/32\",\"psk\":\"" KEY_A "\"},"
	     "{\"id\":3,\"endpoint\":\"203.0.113.3:18020\",\"allowed_src\":\"10.0.0.3/32\",\"psk\":\"" KEY_B "\"}]}");
	policy_init(&pol);
	for (size_t i = 0; i + 1 < MAX_POLICY_ENTRIES; i++) {
		filler.dst = (struct cidr){ .addr = ip(172, 16, 0, 0) + (uint32_t)i, .prefix = 32 };
		assert_int_equal(policy_add(&pol, &filler), 0);
	}
	assert_int_equal(roles_derive_policy(&cfg, &pol), -ENOSPC);
}

/* roles_derive_rules: the same rules as an array (what a reload hands to policy_rederive). */
static void test_derive_rules_array(void **state)
{
	struct policy_rule rules[4];
	size_t n = 99;

	(void)state;
	load("{\"role\":\"hub\",\"local_id\":1,\"peers\":["
	     "{\"id\":2,\"endpoint\":\"203.0.113.2:18020\",\"allowed_src\":\"10.0.0.2/32\",\"psk\":\"" KEY_A "\"},"
	     "{\"id\":3,\"endpoint\":\"203.0.113.3:18020\",\"allowed_src\":\"10.0.0.3/32\",\"psk\":\"" KEY_B "\"}]}");
	assert_int_equal(roles_derive_rules(&cfg, rules, 4, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(rules[0].target, 2);
	assert_int_equal(rules[1].dst.addr, ip(10, 0, 0, 3));
	assert_int_equal(rules[1].action, POLICY_FORWARD);
	/* too small an array: -ENOSPC, the first rules written */
	assert_int_equal(roles_derive_rules(&cfg, rules, 1, &n), -ENOSPC);
	assert_int_equal(n, 1);
	assert_int_equal(rules[0].target, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spoke_local_first),
		cmocka_unit_test(test_spoke_site_to_site),
		cmocka_unit_test(test_spoke_tun_ip_collapsed),
		cmocka_unit_test(test_spoke_remote_routes),
		cmocka_unit_test(test_hub_per_peer),
		cmocka_unit_test(test_manual_empty),
		cmocka_unit_test(test_spoke_tie_goes_local),
		cmocka_unit_test(test_out_of_space),
		cmocka_unit_test(test_derive_rules_array),
	};

	return cmocka_run_group_tests_name("roles", tests, NULL, NULL);
}
