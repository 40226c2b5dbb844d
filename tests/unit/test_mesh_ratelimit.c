/*
 * Handshake flood control with a fake clock: the token bucket's burst and
 * refill as a table of (time, expected verdict), the long-run rate, sources
 * kept apart, the table's bounded memory (refusal when full, reuse of
 * refilled entries), a clock going backwards, and the under-load detector.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "core/mesh/ratelimit.h"

#define MS(x) ((uint64_t)(x)*1000000)
#define T0    (UINT64_C(5) * MESH_RATELIMIT_NS_PER_S)

static struct mesh_ratelimit rl; /* ~150 KiB: off the stack */

static const uint8_t src_a[4] = {192, 0, 2, 1}, src_b[4] = {192, 0, 2, 2};

struct step {
	uint64_t at_ms; /* after T0 */
	enum mesh_ratelimit_verdict want;
};

struct bucket_case {
	const char *name;
	struct mesh_ratelimit_config cfg;
	size_t n;
	struct step steps[12];
};

#define OK MESH_RATELIMIT_ALLOW
#define NO MESH_RATELIMIT_DENY

/* clang-format off */
static const struct bucket_case bucket_cases[] = {
	{"default: burst of 5, then 1 per 50 ms", {20, 5}, 10,
	 {{0, OK}, {0, OK}, {0, OK}, {0, OK}, {0, OK}, {0, NO}, {49, NO}, {50, OK}, {50, NO},
	  {99, NO}}},
	{"refill to the burst, not beyond", {20, 5}, 8,
	 {{0, OK}, {10000, OK}, {10000, OK}, {10000, OK}, {10000, OK}, {10000, OK},
	  {10000, NO}, {10050, OK}}},
	{"denied messages cost nothing", {20, 5}, 10,
	 {{0, OK}, {0, OK}, {0, OK}, {0, OK}, {0, OK}, {1, NO}, {2, NO}, {3, NO}, {50, OK},
	  {51, NO}}},
	{"burst 1, rate 1000", {1000, 1}, 6,
	 {{0, OK}, {0, NO}, {1, OK}, {1, NO}, {3, OK}, {3, NO}}},
	{"clock backwards adds nothing", {20, 1}, 5,
	 {{1000, OK}, {500, NO}, {1000, NO}, {1049, NO}, {1050, OK}}},
};
/* clang-format on */

static void test_bucket_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof bucket_cases / sizeof bucket_cases[0]; i++) {
		const struct bucket_case *c = &bucket_cases[i];

		assert_int_equal(mesh_ratelimit_init(&rl, &c->cfg), 0);
		for (size_t j = 0; j < c->n; j++) {
			enum mesh_ratelimit_verdict v = mesh_ratelimit_allow(
			    &rl, src_a, sizeof src_a, T0 + MS(c->steps[j].at_ms));

			if (v != c->steps[j].want)
				fail_msg("%s: step %zu (+%ju ms): got %d, want %d",
					 c->name, j, (uintmax_t)c->steps[j].at_ms, (int)v,
					 (int)c->steps[j].want);
		}
	}
}

static void test_config(void **state)
{
	static const struct mesh_ratelimit_config bad[] = {
	    {0, 5}, {20, 0}, {1000001, 5}, {20, 1000001}};

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(mesh_ratelimit_init(&rl, &bad[i]), -EINVAL);
	assert_int_equal(mesh_ratelimit_init(&rl, NULL), 0);
	assert_true(rl.cost_ns == MS(50));
	assert_true(rl.max_tokens == MS(250));
}

/* One message a millisecond for 10 s: burst + rate * 10 s get through. */
static void test_long_run_rate(void **state)
{
	size_t allowed = 0;

	(void)state;
	assert_int_equal(mesh_ratelimit_init(&rl, NULL), 0);
	for (uint64_t ms = 0; ms < 10000; ms++)
		allowed +=
		    mesh_ratelimit_allow(&rl, src_a, sizeof src_a, T0 + MS(ms)) == OK;
	assert_true(allowed >= 5 + 199 && allowed <= 5 + 200);
}

/* Sources are separate buckets; a 4-byte key and a 16-byte key differ. */
static void test_sources_apart(void **state)
{
	uint8_t v6[16] = {192, 0, 2, 1};

	(void)state;
	assert_int_equal(mesh_ratelimit_init(&rl, NULL), 0);
	for (int i = 0; i < 5; i++)
		assert_int_equal(mesh_ratelimit_allow(&rl, src_a, sizeof src_a, T0), OK);
	assert_int_equal(mesh_ratelimit_allow(&rl, src_a, sizeof src_a, T0), NO);
	assert_int_equal(mesh_ratelimit_allow(&rl, src_b, sizeof src_b, T0), OK);
	assert_int_equal(mesh_ratelimit_allow(&rl, v6, sizeof v6, T0), OK);
	assert_int_equal(mesh_ratelimit_live(&rl, T0), 3);
}

static void key_of(uint8_t key[16], uint32_t i)
{
	memset(key, 0, 16);
	key[0] = 0x20;
	key[1] = 0x01;
	key[12] = (uint8_t)(i >> 24);
	key[13] = (uint8_t)(i >> 16);
	key[14] = (uint8_t)(i >> 8);
	key[15] = (uint8_t)i;
}

/*
 * Bounded memory: more live sources than slots are refused (FULL), never
 * let through; a source already in the table is never refused for room;
 * once buckets have refilled their slots serve new sources.
 */
static void test_table_full_and_reuse(void **state)
{
	uint8_t key[16];
	size_t full = 0, first_full = 0;

	(void)state;
	assert_int_equal(mesh_ratelimit_init(&rl, NULL), 0);
	for (uint32_t i = 0; i < MESH_RATELIMIT_SLOTS + 100; i++) {
		enum mesh_ratelimit_verdict v;

		key_of(key, i);
		v = mesh_ratelimit_allow(&rl, key, sizeof key, T0);
		assert_true(v == OK || v == MESH_RATELIMIT_FULL);
		if (v == MESH_RATELIMIT_FULL && full++ == 0)
			first_full = i;
	}
	assert_true(full >= 100);
	assert_true(first_full > MESH_RATELIMIT_SLOTS / 4); /* keyed hash spreads them */
	assert_true(mesh_ratelimit_live(&rl, T0) <= MESH_RATELIMIT_SLOTS);
	assert_int_equal(mesh_ratelimit_live(&rl, T0), MESH_RATELIMIT_SLOTS + 100 - full);

	/* Sources in the table get their bucket, not FULL. */
	key_of(key, 0);
	for (int i = 0; i < 4; i++)
		assert_int_equal(mesh_ratelimit_allow(&rl, key, sizeof key, T0 + 1), OK);
	assert_int_equal(mesh_ratelimit_allow(&rl, key, sizeof key, T0 + 1), NO);

	/* A refilled bucket is as good as none: every slot is free again
	 * (source 0 last came at T0 + 1 ns, so its bucket fills 1 ns later). */
	assert_int_equal(mesh_ratelimit_live(&rl, T0 + MS(250)), 1);
	assert_int_equal(mesh_ratelimit_live(&rl, T0 + MS(250) + 1), 0);
	key_of(key, first_full);
	assert_int_equal(mesh_ratelimit_allow(&rl, key, sizeof key, T0 + MS(251)), OK);
	for (uint32_t i = 0; i < MESH_RATELIMIT_SLOTS / 4; i++) {
		key_of(key, 1000000 + i);
		assert_int_equal(mesh_ratelimit_allow(&rl, key, sizeof key, T0 + MS(300)),
				 OK);
	}
}

/* A reused slot starts a full bucket for its new source, nothing inherited. */
static void test_reuse_starts_fresh(void **state)
{
	(void)state;
	assert_int_equal(mesh_ratelimit_init(&rl, NULL), 0);
	for (int i = 0; i < 5; i++)
		assert_int_equal(mesh_ratelimit_allow(&rl, src_a, sizeof src_a, T0), OK);
	assert_int_equal(mesh_ratelimit_allow(&rl, src_a, sizeof src_a, T0), NO);
	/* Refilled: src_a gets the full burst again, as a new source would. */
	for (int i = 0; i < 5; i++)
		assert_int_equal(
		    mesh_ratelimit_allow(&rl, src_a, sizeof src_a, T0 + MS(250)), OK);
	assert_int_equal(mesh_ratelimit_allow(&rl, src_a, sizeof src_a, T0 + MS(250)),
			 NO);
}

/* ---- under load -------------------------------------------------------- */

static void test_load(void **state)
{
	struct mesh_ratelimit_load l;

	(void)state;
	mesh_ratelimit_load_init(&l, 10);
	assert_false(mesh_ratelimit_load_active(&l, T0));
	for (int i = 0; i < 10; i++)
		assert_false(mesh_ratelimit_load_note(&l, T0 + MS(i)));
	/* The 11th in the same second tips it over ... */
	assert_true(mesh_ratelimit_load_note(&l, T0 + MS(500)));
	/* ... and it sticks for 1 s after that message, with or without traffic. */
	assert_true(mesh_ratelimit_load_active(&l, T0 + MS(1499)));
	assert_false(mesh_ratelimit_load_active(&l, T0 + MS(1500)));
	/* A new second starts counting from zero (the interval began at T0). */
	assert_true(mesh_ratelimit_load_note(&l, T0 + MS(999))); /* 12th, still over */
	assert_true(mesh_ratelimit_load_active(&l, T0 + MS(1998)));
	assert_false(mesh_ratelimit_load_active(&l, T0 + MS(1999)));
	assert_false(mesh_ratelimit_load_note(&l, T0 + MS(2000)));
}

static void test_load_budget_per_interval(void **state)
{
	struct mesh_ratelimit_load l;

	(void)state;
	mesh_ratelimit_load_init(&l, 0);
	assert_int_equal(l.budget, MESH_RATELIMIT_DEFAULT_LOAD_BUDGET);
	mesh_ratelimit_load_init(&l, 10);
	/* 10 a second, for 5 s: never under load. */
	for (int s = 0; s < 5; s++)
		for (int i = 0; i < 10; i++)
			assert_false(
			    mesh_ratelimit_load_note(&l, T0 + MS(1000 * s + 90 * i)));
	/* A burst of 11 in 10 ms: under load at once. */
	for (int i = 0; i < 10; i++)
		assert_false(mesh_ratelimit_load_note(&l, T0 + MS(6000 + i)));
	assert_true(mesh_ratelimit_load_note(&l, T0 + MS(6010)));
	/* Sustained over budget: stays under load. */
	for (int s = 0; s < 5; s++)
		for (int i = 0; i < 20; i++)
			mesh_ratelimit_load_note(&l, T0 + MS(7000 + 1000 * s + 40 * i));
	assert_true(mesh_ratelimit_load_active(&l, T0 + MS(11760 + 999)));
	assert_false(mesh_ratelimit_load_active(&l, T0 + MS(11760 + 1000)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_bucket_table),
	    cmocka_unit_test(test_config),
	    cmocka_unit_test(test_long_run_rate),
	    cmocka_unit_test(test_sources_apart),
	    cmocka_unit_test(test_table_full_and_reuse),
	    cmocka_unit_test(test_reuse_starts_fresh),
	    cmocka_unit_test(test_load),
	    cmocka_unit_test(test_load_budget_per_interval),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
