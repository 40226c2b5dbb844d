/*
 * Mesh replay window (RFC 6479 ring): table-driven window edges, huge jumps,
 * the REJECT_AFTER_MESSAGES limit and the ring wrapping, the check/mark
 * split, then a randomized comparison with a naive reference that keeps a
 * bitmap of every counter seen.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/mesh/mreplay.h"
#include "splitmix.h"
#include "window_table.h"

#define W	  ((uint64_t)MREPLAY_WINDOW)
#define REJ	  MREPLAY_REJECT_AFTER
#define RING_SPAN ((uint64_t)MREPLAY_RING_BLOCKS * MREPLAY_BLOCK_BITS) /* 8192 */

/* clang-format off */
/* Each case starts from a fresh window; an accepted counter is marked. */
static const struct window_case cases[] = {
	{"fresh window accepts 0 once", 3, {A(0), D(0), A(1)}},
	{"fresh window, first 5 leaves 0..4 open", 6, {A(5), A(0), D(0), A(4), D(5), D(4)}},
	{"reorder inside one block", 7, {A(10), A(12), A(11), D(11), A(3), D(12), A(13)}},
	{"window edge: last - 8128 is the oldest", 5,
	 {A(10000), A(10000 - W), D(10000 - W), D(10000 - W - 1), D(0)}},
	{"window edge at a block boundary", 5,
	 {A(64 * 200), A(64 * 200 - W), D(64 * 200 - W - 1), A(64 * 200 - 1), D(64 * 200)}},
	{"window edge at the block's last bit", 4,
	 {A(64 * 200 + 63), A(64 * 200 + 63 - W), D(64 * 200 + 62 - W), A(64 * 200 + 62)}},
	{"slide by exactly the window keeps the oldest", 4, {A(1), A(1 + W), D(1), A(2)}},
	{"slide by window + 1 drops it", 3, {A(1), A(2 + W), D(1)}},
	/* A slide by a whole ring must clear every block, not alias. */
	{"slide by a whole ring", 6,
	 {A(100), A(100 + RING_SPAN), D(100 + RING_SPAN), A(101 + RING_SPAN - 64),
	  D(100), A(100 + RING_SPAN - 1)}},
	{"slide by ring - 1 block", 5,
	 {A(64), A(65), A(64 + RING_SPAN - 64), A(65 + RING_SPAN - 128), D(64)}},
	{"huge jump", 6,
	 {A(1), A(UINT64_C(1) << 62), D(1), A((UINT64_C(1) << 62) - 1),
	  A((UINT64_C(1) << 62) - W), D((UINT64_C(1) << 62) - W - 1)}},
	{"jump to just under the limit", 6,
	 {A(0), A(REJ - 1), D(REJ - 1), D(REJ), D(UINT64_MAX), A(REJ - 1 - W)}},
	{"the limit itself is refused, even fresh", 3, {D(REJ), D(UINT64_MAX), A(0)}},
};
/* clang-format on */

static void reset(void *w)
{
	mreplay_init(w);
}

static bool check(const void *w, uint64_t counter)
{
	return mreplay_check(w, counter);
}

static bool mark(void *w, uint64_t counter)
{
	return mreplay_mark(w, counter);
}

static void test_window_table(void **state)
{
	static const struct window_ops ops = {reset, check, mark};
	struct mreplay w;

	(void)state;
	window_table_run(cases, sizeof cases / sizeof cases[0], &w, &ops);
}

/* Walking forward over many ring cycles: every third counter, the gaps stay
 * open while they are in the window, and nothing older than it passes. */
static void test_ring_wrap(void **state)
{
	struct mreplay w;

	(void)state;
	mreplay_init(&w);
	for (uint64_t c = 0; c < 5 * RING_SPAN; c += 3) {
		assert_true(mreplay_mark(&w, c));
		assert_false(mreplay_check(&w, c));
		if (c >= 3) {
			assert_false(mreplay_check(&w, c - 3));
			assert_true(mreplay_check(&w, c - 1));
			assert_true(mreplay_check(&w, c - 2));
		}
		if (c > W) {
			assert_int_equal(mreplay_check(&w, c - W), (c - W) % 3 != 0);
			assert_false(mreplay_check(&w, c - W - 1));
		}
	}
}

static void test_check_does_not_modify(void **state)
{
	struct mreplay w, before;

	(void)state;
	mreplay_init(&w);
	assert_true(mreplay_mark(&w, 40000));
	assert_true(mreplay_mark(&w, 38000));
	before = w;
	for (uint64_t s = 0; s < 50000; s += 7)
		(void)mreplay_check(&w, s);
	(void)mreplay_check(&w, UINT64_MAX);
	(void)mreplay_check(&w, REJ - 1);
	assert_memory_equal(&w, &before, sizeof w);
}

/* check before the AEAD, mark after: mark must check again. */
static void test_mark_rechecks(void **state)
{
	struct mreplay w, before;

	(void)state;
	mreplay_init(&w);
	/* Two copies of counter 7 both pass the check, only one is marked. */
	assert_true(mreplay_check(&w, 7));
	assert_true(mreplay_check(&w, 7));
	assert_true(mreplay_mark(&w, 7));
	before = w;
	assert_false(mreplay_mark(&w, 7));
	assert_memory_equal(&w, &before, sizeof w);

	/* 100 passes its check, then 100 + W + 1 slides it out before its mark. */
	assert_true(mreplay_check(&w, 100));
	assert_true(mreplay_mark(&w, 101 + W));
	before = w;
	assert_false(mreplay_mark(&w, 100));
	assert_memory_equal(&w, &before, sizeof w);

	/* Over the limit: never marked, window unchanged. */
	assert_false(mreplay_mark(&w, REJ));
	assert_memory_equal(&w, &before, sizeof w);
}

/* ---- randomized comparison ------------------------------------------- */

enum {
	RANDOM_OPS = 400000,
	EPISODE_OPS = 2000, /* drifts by a few million: well inside SPAN */
	SPAN_LOG = 24,
	SPAN = 1 << SPAN_LOG, /* counters the reference bitmap covers */
};

/* Naive reference: one bit per counter in [origin, origin + SPAN). */
static struct {
	uint64_t origin, highest;
	uint8_t seen[SPAN / 8];
} ref;

static bool ref_accept(uint64_t c)
{
	uint64_t i = c - ref.origin;

	if (c >= REJ || (ref.seen[i / 8] >> (i % 8)) & 1)
		return false;
	if (c <= ref.highest && ref.highest - c > W)
		return false;
	ref.seen[i / 8] |= (uint8_t)(1u << (i % 8));
	if (c > ref.highest)
		ref.highest = c;
	return true;
}

static uint64_t clamp(uint64_t lo, uint64_t v, uint64_t hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/* The next counter, mostly near the window's edges, inside the bitmap. */
static uint64_t next_counter(uint64_t *rng)
{
	uint64_t r = splitmix64(rng), pick = r % 100, amount = (r >> 8) % 200;
	uint64_t lo = ref.origin, hi = ref.origin + (SPAN - 1), h = ref.highest, c;
	bool back = false;

	if (pick < 35) {
		c = h + amount % 5;
	} else if (pick < 60) {
		c = h - amount * 45; /* anywhere in the window and beyond */
		back = true;
	} else if (pick < 75) {
		c = h - W + amount % 8 - 4; /* the window's trailing edge */
		back = amount % 8 < 4;
	} else if (pick < 85) {
		c = h + W + amount % 8 - 4; /* slides of about a window */
	} else if (pick < 92) {
		c = h + RING_SPAN + amount % 130 - 65; /* about a whole ring */
	} else if (pick < 97) {
		c = h + amount * 64; /* whole blocks */
	} else {
		return lo + splitmix64(rng) % SPAN; /* anywhere */
	}
	/* Wrapped arithmetic near 0 or UINT64_MAX: clamp instead. */
	if (back && c > h)
		c = lo;
	else if (!back && c < h - W - 8)
		c = hi;
	return clamp(lo, c, hi);
}

static void episode_start(uint64_t *rng, struct mreplay *w)
{
	uint64_t base;

	memset(ref.seen, 0, sizeof ref.seen);
	switch (splitmix64(rng) % 4) {
	case 0: /* fresh, from counter 0 */
		ref.origin = 0;
		base = 0;
		break;
	case 1: /* close below the counter limit */
		ref.origin = UINT64_MAX - (SPAN - 1);
		base = REJ - 200000;
		break;
	default:
		ref.origin = splitmix64(rng) >> 2;
		base = ref.origin + 2 * W + splitmix64(rng) % 1000;
		break;
	}
	/* Start like a window that has accepted base (for 0: a fresh one). */
	mreplay_init(w);
	if (base != 0)
		assert_true(mreplay_mark(w, base));
	ref.highest = base;
	if (base != 0)
		ref.seen[(base - ref.origin) / 8] |=
		    (uint8_t)(1u << ((base - ref.origin) % 8));
}

static void test_random_vs_naive(void **state)
{
	uint64_t rng = UINT64_C(0x6479ab12cd34);
	struct mreplay w;
	size_t accepted = 0, dropped = 0, slid_out = 0;

	(void)state;
	for (size_t op = 0; op < RANDOM_OPS; op++) {
		uint64_t c;
		bool checked, want;

		if (op % EPISODE_OPS == 0)
			episode_start(&rng, &w);
		c = next_counter(&rng);
		checked = mreplay_check(&w, c);
		want = ref_accept(c);
		if (checked != want)
			fail_msg("op %zu: counter %ju (highest %ju): window says %d, "
				 "reference %d",
				 op, (uintmax_t)c, (uintmax_t)ref.highest, checked, want);
		if (mreplay_mark(&w, c) != want)
			fail_msg("op %zu: mark of %ju disagrees with check", op,
				 (uintmax_t)c);
		assert_true(w.last == ref.highest);
		accepted += want;
		dropped += !want;
		slid_out += !want && c + W < ref.highest;
	}
	/* The generator exercises both outcomes and the trailing edge. */
	assert_true(accepted > RANDOM_OPS / 5);
	assert_true(dropped > RANDOM_OPS / 5);
	assert_true(slid_out > RANDOM_OPS / 50);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_window_table),
	    cmocka_unit_test(test_ring_wrap),
	    cmocka_unit_test(test_check_does_not_modify),
	    cmocka_unit_test(test_mark_rechecks),
	    cmocka_unit_test(test_random_vs_naive),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
