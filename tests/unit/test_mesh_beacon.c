/*
 * LAN beacons: round trips (names of 0 and 63 bytes, the query flag), every
 * refusal reason, a flipped bit anywhere, and the replay guard: a replayed
 * or older beacon is refused, a forged one moves nothing, and the least
 * recently accepted key is the one evicted from a full table.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/bytes/byteorder.h"
#include "core/mesh/beacon.h"
#include "mesh_fixture.h"

static struct identity id1, id2, id50;

static int setup(void **state)
{
	(void)state;
	fix_identity(&id1, FIX_SEED1);
	fix_identity(&id2, FIX_SEED2);
	fix_identity(&id50, FIX_SEED50);
	return 0;
}

static size_t make(uint8_t *buf, const struct identity *id, uint64_t seq, const char *name,
		   uint8_t flags)
{
	struct beacon b = {.flags = flags, .port = 5582, .seq = seq};
	size_t len = 0;

	b.name_len = (uint8_t)strlen(name);
	memcpy(b.name, name, b.name_len);
	assert_int_equal(beacon_sign(&b, id, buf, BEACON_MAX_LEN, &len), BEACON_OK);
	return len;
}

static void test_names(void **state)
{
	(void)state;
	for (int r = 0; r < BEACON_RESULT_END; r++) {
		assert_string_not_equal(beacon_result_name(r), "?");
		for (int q = 0; q < r; q++)
			assert_string_not_equal(beacon_result_name(r), beacon_result_name(q));
	}
	assert_string_equal(beacon_result_name(BEACON_REPLAYED), "replayed");
	assert_string_equal(beacon_result_name(BEACON_RESULT_END), "?");
}

static void test_round_trip(void **state)
{
	static const char *const names[] = {
	    "", "x", "abcdefghij-abcdefghij-abcdefghij-abcdefghij-abcdefghij-abcdefgh"};
	uint8_t buf[BEACON_MAX_LEN], again[BEACON_MAX_LEN];
	struct beacon b;
	size_t len, len2;

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		len = make(buf, &id1, 42 + i, names[i], i == 1 ? BEACON_FLAG_QUERY : 0);
		assert_int_equal(len, BEACON_MIN_LEN + strlen(names[i]));
		assert_memory_equal(buf, "SNB\x01", 4);
		assert_int_equal(beacon_parse(&b, buf, len, NULL), BEACON_OK);
		assert_int_equal(b.seq, 42 + i);
		assert_int_equal(b.port, 5582);
		assert_int_equal(b.flags, i == 1 ? BEACON_FLAG_QUERY : 0);
		assert_memory_equal(b.ed_pk, id1.pk, 32);
		assert_string_equal(b.name, names[i]);
		assert_int_equal(beacon_encode(&b, again, sizeof(again), &len2), BEACON_OK);
		assert_int_equal(len2, len);
		assert_memory_equal(again, buf, len);
	}
	assert_int_equal(len, BEACON_MAX_LEN);
	assert_int_equal(beacon_encode(&b, again, BEACON_MAX_LEN - 1, &len2), BEACON_NO_SPACE);
}

/* Byte edits (then re-signed unless the case is about the signature). */
static const struct {
	const char *name;
	size_t off;
	uint8_t value;
	int extra;
	bool resign;
	enum beacon_result want;
} edits[] = {
    {"valid", 0, 'S', 0, true, BEACON_OK},
    {"magic", 0, 'X', 0, true, BEACON_BAD_MAGIC},
    {"magic byte 2", 2, 'b', 0, true, BEACON_BAD_MAGIC},
    {"version 0", 3, 0, 0, true, BEACON_BAD_VERSION},
    {"version 2", 3, 2, 0, true, BEACON_BAD_VERSION},
    {"flag bit 1", 4, 0x02, 0, true, BEACON_BAD_FLAGS},
    {"flag bit 7", 4, 0x80, 0, true, BEACON_BAD_FLAGS},
    {"name_len 64", 5, 64, 0, true, BEACON_BAD_NAME_LEN},
    {"name_len 5 for 4", 5, 5, 0, true, BEACON_BAD_LENGTH},
    {"name_len 3 for 4", 5, 3, 0, true, BEACON_BAD_LENGTH},
    {"one byte more", 0, 'S', 1, true, BEACON_BAD_LENGTH},
    {"one byte cut", 0, 'S', -1, true, BEACON_BAD_LENGTH},
    {"port 0", 6, 0, 0, true, BEACON_BAD_PORT}, /* with byte 7 zeroed below */
    {"seq 0", 40, 0, 0, true, BEACON_BAD_SEQ},	/* all of seq zeroed below */
    {"name upper", 48, 'N', 0, true, BEACON_BAD_NAME},
    {"name starts with -", 48, '-', 0, true, BEACON_BAD_NAME},
    {"name with .", 49, '.', 0, true, BEACON_BAD_NAME},
    {"signature", 111, 0, 0, false, BEACON_BAD_SIGNATURE},
    {"seq changed", 47, 0x77, 0, false, BEACON_BAD_SIGNATURE},
};

static void test_refusals(void **state)
{
	uint8_t buf[BEACON_MAX_LEN + 1];
	struct beacon b;

	(void)state;
	for (size_t i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
		size_t len = make(buf, &id1, 1000, "node", 0);
		enum beacon_result r;

		buf[edits[i].off] = edits[i].value;
		if (edits[i].want == BEACON_BAD_PORT)
			buf[7] = 0;
		if (edits[i].want == BEACON_BAD_SEQ)
			memset(buf + 40, 0, 8);
		if (edits[i].want == BEACON_BAD_SIGNATURE && edits[i].off == 111)
			buf[111 + 4] ^= 0x40;
		len = (size_t)((long)len + edits[i].extra);
		if (edits[i].resign)
			fix_resign(&id1, BEACON_SIGN_DOMAIN, buf, len);
		r = beacon_parse(&b, buf, len, NULL);
		if (r != edits[i].want)
			fail_msg("%s: got %s, want %s", edits[i].name, beacon_result_name(r),
				 beacon_result_name(edits[i].want));
	}
	assert_int_equal(beacon_parse(&b, buf, BEACON_MIN_LEN - 1, NULL), BEACON_TOO_SHORT);
	/* A key that fails the filter, well signed. */
	{
		struct beacon s = {.port = 1, .seq = 1};
		size_t len;

		assert_int_equal(beacon_sign(&s, &id50, buf, sizeof(buf), &len), BEACON_OK);
		assert_int_equal(beacon_parse(&b, buf, len, NULL), BEACON_BAD_KEY);
	}
	/* An ER signature is not a beacon signature. */
	{
		size_t len = make(buf, &id1, 5, "", 0);

		fix_resign(&id1, "subnetra-mesh-er-v1", buf, len);
		assert_int_equal(beacon_parse(&b, buf, len, NULL), BEACON_BAD_SIGNATURE);
	}
}

static void test_flip_every_bit(void **state)
{
	uint8_t buf[BEACON_MAX_LEN];
	struct beacon b;
	size_t len = make(buf, &id1, 77, "lan-box", BEACON_FLAG_QUERY);

	(void)state;
	for (size_t i = 0; i < len; i++)
		for (int bit = 0; bit < 8; bit++) {
			buf[i] ^= (uint8_t)(1u << bit);
			if (beacon_parse(&b, buf, len, NULL) == BEACON_OK)
				fail_msg("byte %zu bit %d flipped and still accepted", i, bit);
			buf[i] ^= (uint8_t)(1u << bit);
		}
	assert_int_equal(beacon_parse(&b, buf, len, NULL), BEACON_OK);
}

static void test_replay(void **state)
{
	static struct beacon_guard g;
	uint8_t b100[BEACON_MAX_LEN], b99[BEACON_MAX_LEN], b101[BEACON_MAX_LEN];
	uint8_t other[BEACON_MAX_LEN], forged[BEACON_MAX_LEN];
	size_t l100, l99, l101, lo, lf;
	struct beacon b;

	(void)state;
	beacon_guard_init(&g);
	l100 = make(b100, &id1, 100, "", 0);
	l99 = make(b99, &id1, 99, "", 0);
	l101 = make(b101, &id1, 101, "", 0);
	lo = make(other, &id2, 50, "", 0);
	lf = make(forged, &id1, 500, "", 0);
	forged[lf - 1] ^= 1;

	assert_int_equal(beacon_parse(&b, b100, l100, &g), BEACON_OK);
	assert_int_equal(beacon_parse(&b, b100, l100, &g), BEACON_REPLAYED);
	assert_int_equal(beacon_parse(&b, b99, l99, &g), BEACON_REPLAYED);
	/* Another key has its own seq. */
	assert_int_equal(beacon_parse(&b, other, lo, &g), BEACON_OK);
	/* A forged beacon with a high seq does not move the guard. */
	assert_int_equal(beacon_parse(&b, forged, lf, &g), BEACON_BAD_SIGNATURE);
	assert_true(beacon_guard_fresh(&g, id1.pk, 101));
	assert_int_equal(beacon_parse(&b, b101, l101, &g), BEACON_OK);
	assert_int_equal(beacon_parse(&b, b100, l100, &g), BEACON_REPLAYED);
	/* Without a guard, the caller keeps state: everything valid passes. */
	assert_int_equal(beacon_parse(&b, b99, l99, NULL), BEACON_OK);
}

static void test_guard_eviction(void **state)
{
	static struct beacon_guard g;
	uint8_t pk[BEACON_GUARD_SLOTS + 2][IDENTITY_PK_LEN];

	(void)state;
	beacon_guard_init(&g);
	memset(pk, 0, sizeof(pk));
	for (int i = 0; i < BEACON_GUARD_SLOTS + 2; i++)
		store_be32(pk[i], (uint32_t)i + 1);
	for (int i = 0; i < BEACON_GUARD_SLOTS; i++)
		beacon_guard_commit(&g, pk[i], 10);
	/* Key 0 accepted again: key 1 is now the least recent. */
	beacon_guard_commit(&g, pk[0], 11);
	for (int i = 0; i < BEACON_GUARD_SLOTS; i++)
		assert_false(beacon_guard_fresh(&g, pk[i], 10));
	beacon_guard_commit(&g, pk[BEACON_GUARD_SLOTS], 10);
	assert_true(beacon_guard_fresh(&g, pk[1], 10)); /* evicted: forgotten */
	assert_false(beacon_guard_fresh(&g, pk[0], 11));
	assert_false(beacon_guard_fresh(&g, pk[2], 10));
	assert_false(beacon_guard_fresh(&g, pk[BEACON_GUARD_SLOTS], 10));
	beacon_guard_commit(&g, pk[BEACON_GUARD_SLOTS + 1], 10);
	assert_true(beacon_guard_fresh(&g, pk[2], 10));
	assert_false(beacon_guard_fresh(&g, pk[0], 11));
	/* A lower seq never lowers what is held. */
	beacon_guard_commit(&g, pk[0], 5);
	assert_false(beacon_guard_fresh(&g, pk[0], 11));
	assert_true(beacon_guard_fresh(&g, pk[0], 12));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_names),	   cmocka_unit_test(test_round_trip),
	    cmocka_unit_test(test_refusals),	   cmocka_unit_test(test_flip_every_bit),
	    cmocka_unit_test(test_replay),	   cmocka_unit_test(test_guard_eviction),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
