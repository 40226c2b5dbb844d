/*
 * subnetra-mtu-probe's pure parts (tools/lib/mtuprobe.c): the probe format and the
 * listener's answer rule (requests only, same length, never a reply to a
 * reply), the size search against simulated paths (every path MTU from 40
 * to 1600 under several ceilings, with and without random loss), the
 * local_tun_mtu recommendation and the listener's token bucket.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tools/lib/mtuprobe.h"

static void test_format(void **state)
{
	struct mtuprobe_hdr h = {.type = MTUPROBE_REQUEST, .seq = 0x01020304};
	struct mtuprobe_hdr back;
	uint8_t buf[200];

	(void)state;
	for (int i = 0; i < MTUPROBE_NONCE_LEN; i++)
		h.nonce[i] = (uint8_t)(0xc0 + i);
	memset(buf, 0xff, sizeof buf);
	mtuprobe_encode(buf, sizeof buf, &h);
	assert_memory_equal(buf, "SNRMTUP1", 8);
	assert_int_equal(buf[8], MTUPROBE_REQUEST);
	assert_int_equal(buf[12], 0x01);
	assert_int_equal(buf[15], 0x04);
	for (size_t i = MTUPROBE_HDR_LEN; i < sizeof buf; i++)
		assert_int_equal(buf[i], 0); /* padding is zero */

	assert_true(mtuprobe_parse(buf, sizeof buf, &back));
	assert_int_equal(back.type, MTUPROBE_REQUEST);
	assert_int_equal(back.seq, 0x01020304);
	assert_memory_equal(back.nonce, h.nonce, MTUPROBE_NONCE_LEN);

	/* The listener turns a request into a reply in place, same length... */
	assert_true(mtuprobe_answer(buf, sizeof buf));
	assert_true(mtuprobe_parse(buf, sizeof buf, &back));
	assert_int_equal(back.type, MTUPROBE_REPLY);
	assert_memory_equal(back.nonce, h.nonce, MTUPROBE_NONCE_LEN);
	/* ... and never answers a reply (two listeners cannot ping-pong). */
	assert_false(mtuprobe_answer(buf, sizeof buf));

	/* Anything else is ignored. */
	mtuprobe_encode(buf, sizeof buf, &h);
	assert_false(mtuprobe_answer(buf, MTUPROBE_HDR_LEN - 1));
	buf[0] = 's';
	assert_false(mtuprobe_answer(buf, sizeof buf));
	buf[0] = 'S';
	buf[9] = 1; /* reserved */
	assert_false(mtuprobe_answer(buf, sizeof buf));
	buf[9] = 0;
	buf[8] = 3; /* unknown type */
	assert_false(mtuprobe_answer(buf, sizeof buf));
	buf[8] = MTUPROBE_REQUEST;
	assert_true(mtuprobe_answer(buf, MTUPROBE_HDR_LEN)); /* the smallest request */
}

static uint64_t rng_state = 0x853c49e6748fea9bu;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/*
 * Runs the search against a path; loss_pct of the probes that fit are lost
 * anyway (the tool retries, modelled here as `tries` attempts per size).
 */
static size_t simulate(unsigned path, unsigned ceil, unsigned loss_pct, unsigned tries,
		       unsigned *steps)
{
	struct mtu_search s;
	size_t len;

	*steps = 0;
	mtu_search_init(&s, MTUPROBE_MIN_PAYLOAD, ceil - MTUPROBE_IPV4_UDP);
	while ((len = mtu_search_next(&s)) != 0) {
		bool ok = false;

		assert_true(len >= MTUPROBE_MIN_PAYLOAD &&
			    len <= ceil - MTUPROBE_IPV4_UDP);
		for (unsigned t = 0; t < tries && !ok; t++)
			ok = len + MTUPROBE_IPV4_UDP <= path && rng() % 100 >= loss_pct;
		mtu_search_report(&s, len, ok);
		assert_true(++*steps < 40);
	}
	return mtu_search_result(&s);
}

static void test_search(void **state)
{
	static const unsigned ceils[] = {68, 69, 576, 1400, 1500, 9000};
	unsigned steps;

	(void)state;
	for (size_t c = 0; c < sizeof ceils / sizeof ceils[0]; c++) {
		for (unsigned path = 40; path <= 1600; path++) {
			unsigned ceil = ceils[c];
			size_t got = simulate(path, ceil, 0, 1, &steps);
			unsigned want =
			    path < MTUPROBE_MIN_PATH
				? 0
				: (path < ceil ? path : ceil) - MTUPROBE_IPV4_UDP;

			if (got != want)
				fail_msg("path %u ceil %u: got payload %zu, want %u",
					 path, ceil, got, want);
			/* min, ceiling, then a bisection: about log2(ceil) probes. */
			assert_true(steps <= 2 + 14);
		}
	}
	/* Common cases take few probes: a clean 1500 path is two. */
	assert_int_equal(simulate(1500, 1500, 0, 1, &steps), 1472);
	assert_int_equal(steps, 2);
	/* Nothing gets through: one size, then give up. */
	assert_int_equal(simulate(30, 1500, 0, 1, &steps), 0);
	assert_int_equal(steps, 1);
}

static void test_search_with_loss(void **state)
{
	unsigned steps;

	(void)state;
	/* With retries, moderate random loss does not move the answer (seeded, so
	 * stable). */
	for (unsigned path = 1280; path <= 1500; path += 4)
		assert_int_equal(simulate(path, 1500, 20, 6, &steps),
				 path - MTUPROBE_IPV4_UDP);
	/* Heavy loss can only make the answer smaller, never larger. */
	for (unsigned path = 600; path <= 1500; path += 50) {
		size_t got = simulate(path, 1500, 70, 1, &steps);

		assert_true(got == 0 || got + MTUPROBE_IPV4_UDP <= path);
	}
}

static void test_recommend(void **state)
{
	bool capped;

	(void)state;
	assert_int_equal(mtuprobe_recommend(1500, &capped), 1436);
	assert_false(capped);
	assert_int_equal(mtuprobe_recommend(1492, &capped),
			 1428); /* PPPoE, as the docs show */
	assert_int_equal(mtuprobe_recommend(1400, &capped), 1336);
	assert_int_equal(mtuprobe_recommend(1420, &capped), 1356);
	assert_int_equal(mtuprobe_recommend(1516, &capped), 1452);
	assert_false(capped);
	assert_int_equal(mtuprobe_recommend(1517, &capped), 1452);
	assert_true(capped);
	assert_int_equal(mtuprobe_recommend(9000, &capped), 1452);
	assert_true(capped);
	assert_int_equal(mtuprobe_recommend(132, &capped), 68);
	assert_int_equal(mtuprobe_recommend(131, &capped), 0);
	assert_int_equal(mtuprobe_recommend(68, &capped), 0);
}

static void test_ratelimit(void **state)
{
	struct ratelimit rl;
	uint64_t t = 5000000000u;
	int n = 0;

	(void)state;
	ratelimit_init(&rl, 10, 5);
	/* A burst of 5, then nothing at the same instant. */
	for (int i = 0; i < 20; i++)
		n += ratelimit_take(&rl, t);
	assert_int_equal(n, 5);
	/* 10 per second: one token every 100 ms. */
	assert_false(ratelimit_take(&rl, t + 50000000u));
	assert_true(ratelimit_take(&rl, t + 100000000u));
	assert_false(ratelimit_take(&rl, t + 150000000u));
	/* A long pause refills to the burst size, not beyond. */
	t += UINT64_C(3600) * 1000000000u;
	n = 0;
	for (int i = 0; i < 20; i++)
		n += ratelimit_take(&rl, t);
	assert_int_equal(n, 5);
	/* Over one simulated minute of a flood, about rate * 60 pass. */
	n = 0;
	for (uint64_t ns = 0; ns < UINT64_C(60) * 1000000000u; ns += 1000000u)
		n += ratelimit_take(&rl, t + 1 + ns);
	if (n < 599 || n > 606)
		fail_msg("%d passed in 60 s", n);
	/* A clock that steps back never mints tokens. */
	n = 0;
	for (int i = 0; i < 100; i++)
		n += ratelimit_take(&rl, t - (uint64_t)i * 1000000000u);
	assert_true(n <= 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_format),	     cmocka_unit_test(test_search),
	    cmocka_unit_test(test_search_with_loss), cmocka_unit_test(test_recommend),
	    cmocka_unit_test(test_ratelimit),
	};

	return cmocka_run_group_tests_name("tools_mtuprobe", tests, NULL, NULL);
}
