/*
 * core/mgmt/nonce.c: a nonce is fresh once and a replay after that, per
 * device key; entries outlive the clock window; a full bucket evicts its
 * oldest entry and raises its floor, so the evicted request is refused
 * (too_old), never taken as fresh; and in a randomized run over a tiny
 * cache no replay within the clock window is ever fresh (compared with an
 * unbounded naive record), while with room to spare nothing fresh is
 * refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "core/mgmt/devreq.h"
#include "core/mgmt/nonce.h"
#include "tests/unit/splitmix.h"

static const uint8_t key[16] = { 7 };
static const uint64_t T = 1795443923456ULL;

static void nonce_of(uint8_t n[MGMT_NONCE_LEN], uint64_t i)
{
	memset(n, 0, MGMT_NONCE_LEN);
	memcpy(n, &i, sizeof(i));
}

static void test_fresh_replay_expiry(void **state)
{
	struct mgmt_nonce_bucket buckets[16];
	struct mgmt_nonce_cache c;
	uint8_t pk1[32] = { 1 }, pk2[32] = { 2 }, n[MGMT_NONCE_LEN];

	(void)state;
	mgmt_nonce_init(&c, buckets, 16, key);
	nonce_of(n, 1);
	assert_int_equal(mgmt_nonce_check(&c, pk1, n, T, T), MGMT_NONCE_FRESH);
	assert_int_equal(mgmt_nonce_check(&c, pk1, n, T, T + 1), MGMT_NONCE_REPLAY);
	/* the same nonce from another device is another request */
	assert_int_equal(mgmt_nonce_check(&c, pk2, n, T, T), MGMT_NONCE_FRESH);
	/* still remembered at the last moment the clock check could pass, and past it */
	assert_int_equal(mgmt_nonce_check(&c, pk1, n, T, T + MGMT_REQ_SKEW_MS), MGMT_NONCE_REPLAY);
	assert_int_equal(mgmt_nonce_check(&c, pk1, n, T, T + MGMT_NONCE_TTL_MS - 1),
			 MGMT_NONCE_REPLAY);
	/* forgotten after the TTL (the clock check refuses such a request anyway) */
	assert_int_equal(mgmt_nonce_check(&c, pk1, n, T, T + MGMT_NONCE_TTL_MS),
			 MGMT_NONCE_FRESH);
	assert_int_equal(c.evicted, 0);
	assert_string_equal(mgmt_nonce_verdict_name(MGMT_NONCE_TOO_OLD), "too_old");
}

/* One bucket of MGMT_NONCE_WAYS: the ninth request evicts the oldest. */
static void test_eviction_floor(void **state)
{
	struct mgmt_nonce_bucket one[1];
	struct mgmt_nonce_cache c;
	uint8_t pk[32] = { 1 }, n[MGMT_NONCE_LEN];

	(void)state;
	mgmt_nonce_init(&c, one, 1, key);
	for (uint64_t i = 0; i < MGMT_NONCE_WAYS; i++) {
		nonce_of(n, i);
		assert_int_equal(mgmt_nonce_check(&c, pk, n, T + 10 * i, T), MGMT_NONCE_FRESH);
	}
	/* older than every entry: refused, and nothing changes */
	nonce_of(n, 100);
	assert_int_equal(mgmt_nonce_check(&c, pk, n, T - 1, T), MGMT_NONCE_TOO_OLD);
	assert_int_equal(c.evicted, 0);
	assert_int_equal(one[0].floor_ms, 0);
	/* newer: the oldest (nonce 0 at T) goes, the floor becomes T */
	nonce_of(n, 101);
	assert_int_equal(mgmt_nonce_check(&c, pk, n, T + 5, T), MGMT_NONCE_FRESH);
	assert_int_equal(c.evicted, 1);
	assert_int_equal(one[0].floor_ms, T);
	/* the evicted request again: not fresh */
	nonce_of(n, 0);
	assert_int_equal(mgmt_nonce_check(&c, pk, n, T, T + 1), MGMT_NONCE_TOO_OLD);
	/* the kept ones are still replays */
	nonce_of(n, 1);
	assert_int_equal(mgmt_nonce_check(&c, pk, n, T + 10, T + 1), MGMT_NONCE_REPLAY);
	nonce_of(n, 101);
	assert_int_equal(mgmt_nonce_check(&c, pk, n, T + 5, T + 1), MGMT_NONCE_REPLAY);
	/* once entries expire, their slots are reused without raising the floor */
	nonce_of(n, 200);
	assert_int_equal(mgmt_nonce_check(&c, pk, n, T + MGMT_NONCE_TTL_MS + 100,
					  T + MGMT_NONCE_TTL_MS + 100),
			 MGMT_NONCE_FRESH);
	assert_int_equal(c.evicted, 1);
}

/*
 * Requests stamped with the same millisecond: the evicted one ties with
 * the oldest left, so only the floor tells that it may be a replay.
 */
static void test_eviction_ties(void **state)
{
	struct mgmt_nonce_bucket one[1];
	struct mgmt_nonce_cache c;
	uint8_t pk[32] = { 1 }, n[MGMT_NONCE_LEN];

	(void)state;
	mgmt_nonce_init(&c, one, 1, key);
	for (uint64_t i = 0; i <= MGMT_NONCE_WAYS; i++) {
		nonce_of(n, i);
		assert_int_equal(mgmt_nonce_check(&c, pk, n, T, T), MGMT_NONCE_FRESH);
	}
	assert_int_equal(c.evicted, 1);
	for (uint64_t i = 0; i <= MGMT_NONCE_WAYS; i++) {
		nonce_of(n, i);
		assert_int_not_equal(mgmt_nonce_check(&c, pk, n, T, T + 1), MGMT_NONCE_FRESH);
	}
}

struct seen {
	uint64_t id; /* device << 32 | nonce */
	uint64_t time_ms;
};

/*
 * A stream of requests (new ones and replays of old ones, times within the
 * clock window of a clock moving forward) over a cache of n buckets.
 * Returns how many fresh requests were refused.
 */
static unsigned run_stream(size_t n_buckets, unsigned steps, uint64_t seed, bool *replay_passed)
{
	struct mgmt_nonce_bucket *b = calloc(n_buckets, sizeof(*b));
	struct seen *seen = calloc(steps, sizeof(*seen));
	struct mgmt_nonce_cache c;
	uint64_t rng = seed, now = T;
	size_t n_seen = 0;
	unsigned refused = 0;

	assert_non_null(b);
	assert_non_null(seen);
	mgmt_nonce_init(&c, b, n_buckets, key);
	*replay_passed = false;
	for (unsigned s = 0; s < steps; s++) {
		uint64_t r = splitmix64(&rng), id, t;
		uint8_t pk[32] = { 0 }, n[MGMT_NONCE_LEN];
		bool replay = n_seen > 0 && r % 3 == 0;
		enum mgmt_nonce_verdict v;

		now += splitmix64(&rng) % 400; /* 0.4 s at most between requests */
		if (replay) {
			struct seen *old = &seen[splitmix64(&rng) % n_seen];

			if (!mgmt_devreq_time_ok(old->time_ms, now))
				continue; /* the clock check would refuse it first */
			id = old->id;
			t = old->time_ms;
		} else {
			id = splitmix64(&rng);
			t = now - MGMT_REQ_SKEW_MS + splitmix64(&rng) % (2 * MGMT_REQ_SKEW_MS + 1);
		}
		memcpy(pk, &id, 4);
		nonce_of(n, id >> 32);
		v = mgmt_nonce_check(&c, pk, n, t, now);
		if (replay && v == MGMT_NONCE_FRESH)
			*replay_passed = true;
		if (!replay && v != MGMT_NONCE_FRESH)
			refused++;
		if (!replay && v == MGMT_NONCE_FRESH)
			seen[n_seen++] = (struct seen){ id, t };
	}
	free(seen);
	free(b);
	return refused;
}

static void test_randomized_never_replays(void **state)
{
	bool replay_passed;
	unsigned refused;

	(void)state;
	/* tiny: 4 buckets for thousands of live requests (constant eviction) */
	refused = run_stream(4, 20000, 1, &replay_passed);
	assert_false(replay_passed);
	assert_true(refused > 0); /* the pressure was real */
	/* ample: 4096 buckets (32768 entries) for the 2000 or so live at a time */
	refused = run_stream(4096, 20000, 2, &replay_passed);
	assert_false(replay_passed);
	assert_int_equal(refused, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fresh_replay_expiry),
		cmocka_unit_test(test_eviction_floor),
		cmocka_unit_test(test_eviction_ties),
		cmocka_unit_test(test_randomized_never_replays),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests_name("mgmt_nonce", tests, NULL, NULL);
}
