/*
 * Peer control and the DATA plaintext dispatcher: round trips at the
 * boundaries (PATH_PING of 16, 17 and 1500 bytes, CALL_ME_MAYBE of 0, 1 and
 * 16 endpoints), every refusal reason, and the dispatcher against a naive
 * rule for every first byte.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/mesh/pathctl.h"
#include "mesh_fixture.h"

static void check_round_trip(const struct pathctl *m, size_t want_len)
{
	uint8_t buf[PATHCTL_PING_MAX_LEN], again[PATHCTL_PING_MAX_LEN];
	struct pathctl got;
	size_t len, len2;

	assert_int_equal(pathctl_encode(m, buf, sizeof(buf), &len), PATHCTL_OK);
	assert_int_equal(len, want_len);
	assert_int_equal(pathctl_decode(&got, buf, len), PATHCTL_OK);
	assert_int_equal(pathctl_encode(&got, again, sizeof(again), &len2), PATHCTL_OK);
	assert_int_equal(len2, len);
	assert_memory_equal(again, buf, len);
	assert_int_equal(pathctl_encode(m, buf, len - 1, &len2), PATHCTL_NO_SPACE);
}

static void test_round_trips(void **state)
{
	static const uint16_t sizes[] = {16, 17, 1280, 1500};
	static const unsigned counts[] = {0, 1, 16};
	struct pathctl m;

	(void)state;
	for (size_t i = 0; i < 4; i++) {
		memset(&m, 0, sizeof(m));
		m.type = PATHCTL_PING;
		m.size = sizes[i];
		memset(m.txid, 0xa5, sizeof(m.txid));
		check_round_trip(&m, sizes[i]);
	}
	memset(&m, 0, sizeof(m));
	m.type = PATHCTL_PONG;
	memset(m.txid, 7, sizeof(m.txid));
	m.observed = fix_ep("fe80::1", 5582); /* a LAN source is a real one */
	check_round_trip(&m, PATHCTL_PONG_LEN);
	for (size_t i = 0; i < 3; i++) {
		memset(&m, 0, sizeof(m));
		m.type = PATHCTL_CALL_ME_MAYBE;
		m.n = (uint8_t)counts[i];
		for (unsigned k = 0; k < m.n; k++)
			m.ep[k] = fix_ep("2001:db8::5", (uint16_t)(100 + k));
		if (m.n > 0) {
			check_round_trip(&m, 4 + 18 * m.n);
		} else {
			uint8_t buf[4];
			size_t len;

			assert_int_equal(pathctl_encode(&m, buf, 4, &len), PATHCTL_OK);
			assert_int_equal(len, 4);
		}
	}
}

static const struct {
	const char *name;
	const char *hex;
	enum pathctl_result want;
} cases[] = {
    {"empty", "", PATHCTL_TOO_SHORT},
    {"3 bytes", "010000", PATHCTL_TOO_SHORT},
    {"type 0", "00000000", PATHCTL_UNKNOWN_TYPE},
    {"type 4", "04000000", PATHCTL_UNKNOWN_TYPE},
    {"base control", "10000000", PATHCTL_UNKNOWN_TYPE},
    {"ping arg", "01010000" "000000000000000000000000", PATHCTL_BAD_RESERVED},
    {"ping reserved", "01000001" "000000000000000000000000", PATHCTL_BAD_RESERVED},
    {"ping 15", "01000000" "0000000000000000000000", PATHCTL_BAD_LENGTH},
    {"ping 16", "01000000" "000000000000000000000000", PATHCTL_OK},
    {"ping padding", "01000000" "000000000000000000000000" "0001", PATHCTL_BAD_PADDING},
    {"pong", "02000000" "000000000000000000000000" "00000000000000000000ffffcb007107" "15ce",
     PATHCTL_OK},
    {"pong 33", "02000000" "000000000000000000000000" "00000000000000000000ffffcb007107" "15",
     PATHCTL_BAD_LENGTH},
    {"pong port 0", "02000000" "000000000000000000000000" "00000000000000000000ffffcb007107"
     "0000", PATHCTL_BAD_ENDPOINT},
    {"pong multicast", "02000000" "000000000000000000000000"
     "ff020000000000000000000000000001" "15ce", PATHCTL_BAD_ENDPOINT},
    {"cmm empty", "03000000", PATHCTL_OK},
    {"cmm n 1, no endpoint", "03010000", PATHCTL_BAD_LENGTH},
    {"cmm n 0 with one", "03000000" "00000000000000000000ffffcb007107" "15ce",
     PATHCTL_BAD_LENGTH},
    {"cmm n 17", "03110000", PATHCTL_BAD_COUNT},
    {"cmm reserved", "03000100", PATHCTL_BAD_RESERVED},
    {"cmm link-local", "03010000" "fe800000000000000000000000000001" "15ce",
     PATHCTL_BAD_ENDPOINT},
    {"cmm overlay", "03010000" "fc940000000000000000000000000001" "15ce",
     PATHCTL_BAD_ENDPOINT},
    {"cmm duplicate", "03020000" "00000000000000000000ffffcb007107" "15ce"
     "00000000000000000000ffffcb007107" "15ce", PATHCTL_DUPLICATE_ENDPOINT},
    {"cmm two", "03020000" "00000000000000000000ffffcb007107" "15ce"
     "00000000000000000000ffffcb007107" "15cf", PATHCTL_OK},
};

static void test_refusals(void **state)
{
	uint8_t buf[PATHCTL_PING_MAX_LEN + 1];
	struct pathctl m;
	static const struct pathctl zero;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len = 0;
		enum pathctl_result r;

		assert_int_equal(sodium_hex2bin(buf, sizeof(buf), cases[i].hex,
						strlen(cases[i].hex), NULL, &len, NULL),
				 0);
		r = pathctl_decode(&m, buf, len);
		if (r != cases[i].want)
			fail_msg("%s: got %s, want %s", cases[i].name, pathctl_result_name(r),
				 pathctl_result_name(cases[i].want));
		if (r != PATHCTL_OK)
			assert_memory_equal(&m, &zero, sizeof(m));
	}
	/* 1500 bytes is the largest ping, 1501 is not. */
	memset(buf, 0, sizeof(buf));
	buf[0] = PATHCTL_PING;
	assert_int_equal(pathctl_decode(&m, buf, 1500), PATHCTL_OK);
	assert_int_equal(m.size, 1500);
	assert_int_equal(pathctl_decode(&m, buf, 1501), PATHCTL_BAD_LENGTH);
	/* The encoder refuses what the decoder would. */
	memset(&m, 0, sizeof(m));
	m.type = PATHCTL_PING;
	m.size = 15;
	assert_int_equal(pathctl_encode(&m, buf, sizeof(buf), &(size_t){0}), PATHCTL_BAD_LENGTH);
	m.size = 1501;
	assert_int_equal(pathctl_encode(&m, buf, sizeof(buf), &(size_t){0}), PATHCTL_BAD_LENGTH);
	m.type = PATHCTL_CALL_ME_MAYBE;
	m.n = 17;
	assert_int_equal(pathctl_encode(&m, buf, sizeof(buf), &(size_t){0}), PATHCTL_BAD_COUNT);
	for (int r = 0; r < PATHCTL_RESULT_END; r++)
		for (int q = 0; q < r; q++)
			assert_string_not_equal(pathctl_result_name(r), pathctl_result_name(q));
	assert_string_equal(pathctl_result_name(PATHCTL_BAD_PADDING), "bad_padding");
}

static void test_plain_classify(void **state)
{
	uint8_t b[2] = {0, 0};

	(void)state;
	assert_int_equal(plain_classify(NULL, 0), PLAIN_KEEPALIVE);
	for (unsigned v = 0; v < 256; v++) {
		enum plain_class want;

		b[0] = (uint8_t)v;
		if (v >= 0x40 && v <= 0x4f)
			want = PLAIN_IPV4;
		else if (v >= 0x60 && v <= 0x6f)
			want = PLAIN_IPV6;
		else if (v >= 0x01 && v <= 0x0f)
			want = PLAIN_PEER_CTL;
		else if (v >= 0x10 && v <= 0x2f)
			want = PLAIN_BASE_CTL;
		else
			want = PLAIN_UNKNOWN;
		assert_int_equal(plain_classify(b, 1), want);
		assert_int_equal(plain_classify(b, 2), want);
	}
	assert_string_equal(plain_class_name(PLAIN_KEEPALIVE), "keepalive");
	assert_string_equal(plain_class_name(PLAIN_BASE_CTL), "base_ctl");
	assert_string_equal(plain_class_name(PLAIN_UNKNOWN), "unknown");
	assert_string_equal(plain_class_name(PLAIN_CLASS_END), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_round_trips),
	    cmocka_unit_test(test_refusals),
	    cmocka_unit_test(test_plain_classify),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
