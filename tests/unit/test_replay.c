/*
 * Anti-replay window: the rules of vectors README point 4 as a table of
 * (seq, accepted?) sequences, then a randomized comparison with a naive
 * reference that remembers every accepted seq.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "core/replay.h"
#include "splitmix.h"
#include "window_table.h"

#define BIG (UINT64_C(1) << 63) /* 2^63 */

/* clang-format off */
/* Each case starts from a fresh window; an accepted seq is committed. */
static const struct window_case cases[] = {
	{"fresh window accepts seq 0 once", 3, {A(0), D(0), A(1)}},
	{"fresh window, first seq 5 leaves 0..4 open", 6,
	 {A(5), A(0), D(0), A(4), D(5), D(4)}},
	{"in-window reorder (receiver case)", 8,
	 {A(10), A(12), A(11), D(11), A(3), A(9), D(12), A(13)}},
	{"too old (receiver case)", 5, {A(5), A(100), D(5), D(30), A(90)}},
	{"63 behind is the oldest acceptable", 5, {A(100), A(37), D(37), D(36), D(0)}},
	{"shift by 63 keeps the oldest bit", 5, {A(1), A(64), D(1), A(2), D(64)}},
	/*
	 * A shift of 64 or more must clear the bitmap.  On x86 `x << 64`
	 * behaves as `x << 0`, which would keep bits 0 and 1 and wrongly
	 * drop 74 and 73 below.
	 */
	{"shift by exactly 64 clears the bitmap", 7,
	 {A(10), A(11), A(75), A(74), A(73), D(11), A(12)}},
	{"shift by 65 clears the bitmap", 5, {A(10), A(11), A(76), A(75), A(74)}},
	{"shift by 128", 5, {A(1), A(2), A(130), A(129), A(128)}},
	{"jump to 2^63+5", 9,
	 {A(1), A(2), A(BIG + 5), A(BIG + 4), D(BIG + 5), D(2), A(BIG + 5 - 63),
	  D(BIG + 5 - 64), D(BIG + 4)}},
	{"jump from 0 straight to 2^63+5", 4, {A(0), A(BIG + 5), D(0), A(BIG + 5 - 1)}},
	{"up to UINT64_MAX", 6,
	 {A(0), A(UINT64_MAX), D(UINT64_MAX), A(UINT64_MAX - 1), A(UINT64_MAX - 63),
	  D(UINT64_MAX - 64)}},
	{"seq 0 after a small advance", 4, {A(3), A(0), D(0), D(3)}},
	{"monotonic run", 6, {A(1), A(2), A(3), A(4), D(2), D(4)}},
};
/* clang-format on */

static void reset(void *w)
{
	replay_reset(w);
}

static bool check(const void *w, uint64_t seq)
{
	return replay_check(w, seq);
}

static bool commit(void *w, uint64_t seq)
{
	replay_commit(w, seq);
	return true;
}

static void test_window_table(void **state)
{
	static const struct window_ops ops = {reset, check, commit};
	struct replay_window w;

	(void)state;
	window_table_run(cases, sizeof cases / sizeof cases[0], &w, &ops);
}

static void test_check_does_not_modify(void **state)
{
	struct replay_window w, before;

	(void)state;
	replay_reset(&w);
	replay_commit(&w, 40);
	replay_commit(&w, 38);
	before = w;
	for (uint64_t s = 0; s < 200; s++)
		(void)replay_check(&w, s);
	(void)replay_check(&w, UINT64_MAX);
	assert_memory_equal(&w, &before, sizeof w);
}

static void test_reset(void **state)
{
	struct replay_window w;

	(void)state;
	replay_reset(&w);
	replay_commit(&w, 7);
	replay_commit(&w, 5);
	assert_false(replay_check(&w, 7));
	replay_reset(&w);
	assert_int_equal(w.highest, 0);
	assert_int_equal(w.bitmap, 0);
	assert_true(replay_check(&w, 0));
	assert_true(replay_check(&w, 7));
	assert_true(replay_check(&w, 5));
}

/* ---- randomized comparison ------------------------------------------- */

enum {
	RANDOM_OPS = 300000,
	EPISODE_OPS = 1000,  /* the window is reset every EPISODE_OPS */
	SET_SLOTS = 1 << 12, /* > 2 * EPISODE_OPS, power of two */
};

/* Naive reference: the set of every seq accepted in this episode. */
struct naive {
	uint64_t highest;
	uint32_t generation; /* bumping it empties the set */
	uint32_t slot_gen[SET_SLOTS];
	uint64_t slot_seq[SET_SLOTS];
};

static size_t naive_slot(const struct naive *n, uint64_t seq)
{
	size_t i = (size_t)((seq * UINT64_C(0x9e3779b97f4a7c15)) >> 52) & (SET_SLOTS - 1);

	while (n->slot_gen[i] == n->generation && n->slot_seq[i] != seq)
		i = (i + 1) & (SET_SLOTS - 1);
	return i;
}

static bool naive_seen(const struct naive *n, uint64_t seq)
{
	return n->slot_gen[naive_slot(n, seq)] == n->generation;
}

static void naive_reset(struct naive *n)
{
	n->highest = 0;
	n->generation++;
}

/* Same rules, with memory instead of a bitmap. */
static bool naive_accept(struct naive *n, uint64_t seq)
{
	size_t i;

	if (seq <= n->highest &&
	    (n->highest - seq >= REPLAY_WINDOW_SIZE || naive_seen(n, seq)))
		return false;
	i = naive_slot(n, seq);
	n->slot_gen[i] = n->generation;
	n->slot_seq[i] = seq;
	if (seq > n->highest)
		n->highest = seq;
	return true;
}

static uint64_t add_sat(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static uint64_t sub_sat(uint64_t a, uint64_t b)
{
	return a < b ? 0 : a - b;
}

static uint64_t episode_base(uint64_t *rng)
{
	switch (splitmix64(rng) % 5) {
	case 0:
		return 0;
	case 1:
		return splitmix64(rng) % 1000;
	case 2:
		return BIG;
	case 3:
		return UINT64_MAX - 3 * EPISODE_OPS;
	default:
		return splitmix64(rng);
	}
}

static uint64_t next_seq(uint64_t *rng, uint64_t highest)
{
	uint64_t r = splitmix64(rng), pick = r % 100, amount = (r >> 8) % 140;

	/* Mostly in order or late around the window edge, some jumps of
	 * 62..66 and larger, and now and then anywhere at all. */
	if (pick < 45)
		return add_sat(highest, amount % 4);
	if (pick < 85)
		return sub_sat(highest, amount);
	if (pick < 95)
		return add_sat(highest, 62 + amount % 5);
	if (pick < 98)
		return add_sat(highest, amount * 1000);
	return splitmix64(rng);
}

static struct naive ref; /* 48 KiB: kept off the stack */

static void test_random_vs_naive(void **state)
{
	uint64_t rng = UINT64_C(0x5eed5eed2024);
	struct replay_window w;
	size_t accepted = 0, dropped = 0;

	(void)state;
	memset(&ref, 0, sizeof ref);
	for (size_t op = 0; op < RANDOM_OPS; op++) {
		uint64_t seq;
		bool got, want;

		if (op % EPISODE_OPS == 0) {
			uint64_t base = episode_base(&rng);

			replay_reset(&w);
			naive_reset(&ref);
			/* Start each episode at base like a window that saw it. */
			if (base) {
				replay_commit(&w, base);
				assert_true(naive_accept(&ref, base));
			}
		}
		seq = next_seq(&rng, ref.highest);
		got = replay_check(&w, seq);
		want = naive_accept(&ref, seq);
		if (got != want)
			fail_msg(
			    "op %zu: seq %ju highest %ju: window says %d, reference %d",
			    op, (uintmax_t)seq, (uintmax_t)ref.highest, got, want);
		if (got)
			replay_commit(&w, seq);
		assert_int_equal(w.highest, ref.highest);
		accepted += got;
		dropped += !got;
	}
	/* The generator must exercise both outcomes substantially. */
	assert_true(accepted > RANDOM_OPS / 5);
	assert_true(dropped > RANDOM_OPS / 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_window_table),
	    cmocka_unit_test(test_check_does_not_modify),
	    cmocka_unit_test(test_reset),
	    cmocka_unit_test(test_random_vs_naive),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
