/*
 * Base control messages: a round trip of every type (and the boundaries:
 * ALLOW of 0 and 93 addresses, PEER_INFO with 0 and 8 observed endpoints),
 * every refusal reason from byte edits of valid messages, a PEER_INFO whose
 * record belongs to another address, and a flipped bit anywhere in the
 * embedded record.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/bytes/byteorder.h"
#include "core/mesh/basectl.h"
#include "mesh_fixture.h"

static struct identity id1, id2;
static struct er rec1; /* signed by id1 */

static int setup(void **state)
{
	uint8_t buf[ER_MAX_LEN];
	size_t len;

	(void)state;
	fix_identity(&id1, FIX_SEED1);
	fix_identity(&id2, FIX_SEED2);
	memset(&rec1, 0, sizeof(rec1));
	rec1.seq = 1;
	rec1.listen_port = 5582;
	rec1.n = 1;
	rec1.ep[0] = fix_ep("198.51.100.4", 5582);
	rec1.name_len = 2;
	memcpy(rec1.name, "n1", 2);
	return er_sign(&rec1, &id1, buf, sizeof(buf), &len) == ER_OK ? 0 : -1;
}

/* A valid message of each type. */
static struct basectl sample(enum basectl_type t)
{
	struct basectl m;

	memset(&m, 0, sizeof(m));
	m.type = t;
	switch (t) {
	case BASECTL_REGISTER:
		m.has_er = true;
		m.er = rec1;
		break;
	case BASECTL_LOOKUP:
		m.arg = BASECTL_LOOKUP_NOTIFY;
		memcpy(m.addr, id2.addr, 16);
		break;
	case BASECTL_UNSUBSCRIBE:
		memcpy(m.addr, id2.addr, 16);
		break;
	case BASECTL_PING:
		memset(m.txid, 0x11, sizeof(m.txid));
		break;
	case BASECTL_ALLOW:
		m.arg = BASECTL_ALLOW_RESTRICT;
		m.n_allow = 2;
		memcpy(m.allow[0], id1.addr, 16);
		memcpy(m.allow[1], id2.addr, 16);
		break;
	case BASECTL_REGISTER_OK:
		memset(m.relay_id, 0x22, sizeof(m.relay_id));
		m.observed = fix_ep("203.0.113.9", 40000);
		m.refresh_s = 25;
		break;
	case BASECTL_PEER_INFO:
		m.arg = BASECTL_PEER_REPLY;
		memcpy(m.addr, id1.addr, 16);
		memset(m.relay_id, 0x33, sizeof(m.relay_id));
		m.age_s = 3;
		m.n_obs = 1;
		m.obs[0] = fix_ep("203.0.113.9", 40000);
		m.has_er = true;
		m.er = rec1;
		break;
	case BASECTL_PONG:
		memset(m.txid, 0x44, sizeof(m.txid));
		m.observed = fix_ep("2001:db8::9", 40001);
		break;
	case BASECTL_NOTICE:
		m.arg = BASECTL_NOTICE_RESTARTING;
		break;
	}
	return m;
}

static const enum basectl_type types[] = {
    BASECTL_REGISTER,	 BASECTL_LOOKUP,    BASECTL_PING, BASECTL_UNSUBSCRIBE, BASECTL_ALLOW,
    BASECTL_REGISTER_OK, BASECTL_PEER_INFO, BASECTL_PONG, BASECTL_NOTICE,
};

static size_t round_trip(const struct basectl *m, uint8_t *buf)
{
	uint8_t again[BASECTL_MAX_LEN];
	struct basectl got;
	enum er_result why;
	size_t len, len2;

	assert_int_equal(basectl_encode(m, buf, BASECTL_MAX_LEN, &len), BASECTL_OK);
	assert_int_equal(basectl_decode(&got, buf, len, &why), BASECTL_OK);
	assert_int_equal(why, ER_OK);
	assert_int_equal(got.type, m->type);
	assert_int_equal(got.arg, m->arg);
	assert_int_equal(basectl_encode(&got, again, sizeof(again), &len2), BASECTL_OK);
	assert_int_equal(len2, len);
	assert_memory_equal(again, buf, len);
	assert_int_equal(basectl_encode(m, again, len - 1, &len2), BASECTL_NO_SPACE);
	return len;
}

static void test_round_trips(void **state)
{
	static const size_t want[] = {4 + 109 + 18 + 2, 20, 12, 20, 6 + 32, 32,
				      33 + 18 + 109 + 18 + 2, 30, 4};
	uint8_t buf[BASECTL_MAX_LEN];
	struct basectl m;

	(void)state;
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		m = sample(types[i]);
		assert_int_equal(round_trip(&m, buf), want[i]);
		assert_non_null(basectl_type_name(types[i]));
		assert_int_equal(basectl_from_base(types[i]), types[i] >= 0x20);
	}
	/* ALLOW: cleared (anyone), and the largest. */
	m = sample(BASECTL_ALLOW);
	m.arg = 0;
	m.n_allow = 0;
	assert_int_equal(round_trip(&m, buf), 6);
	m.arg = BASECTL_ALLOW_RESTRICT;
	m.n_allow = BASECTL_ALLOW_MAX;
	for (unsigned i = 0; i < m.n_allow; i++) {
		memcpy(m.allow[i], id1.addr, 16);
		m.allow[i][15] = (uint8_t)i;
	}
	assert_int_equal(round_trip(&m, buf), BASECTL_MAX_LEN);
	assert_true(BASECTL_MAX_LEN <= 1500);
	/* PEER_INFO: no observed endpoint; eight; reasons without a record. */
	m = sample(BASECTL_PEER_INFO);
	m.n_obs = 0;
	assert_int_equal(round_trip(&m, buf), 33 + 109 + 18 + 2);
	m.n_obs = BASECTL_OBS_MAX;
	for (unsigned i = 0; i < m.n_obs; i++)
		m.obs[i] = fix_ep("127.0.0.1", (uint16_t)(1 + i));
	assert_int_equal(round_trip(&m, buf), 33 + 8 * 18 + 109 + 18 + 2);
	m.arg = BASECTL_PEER_CHANGED;
	round_trip(&m, buf);
	m.arg = BASECTL_PEER_NOTIFY;
	round_trip(&m, buf);
	for (uint8_t reason = BASECTL_PEER_UNKNOWN; reason <= BASECTL_PEER_DENIED; reason++) {
		memset(&m, 0, sizeof(m));
		m.type = BASECTL_PEER_INFO;
		m.arg = reason;
		memcpy(m.addr, id2.addr, 16);
		assert_int_equal(round_trip(&m, buf), BASECTL_PEER_INFO_EMPTY_LEN);
	}
	for (uint8_t code = 1; code <= BASECTL_NOTICE_MAX; code++) {
		m = sample(BASECTL_NOTICE);
		m.arg = code;
		round_trip(&m, buf);
	}
	for (uint8_t st = 0; st <= BASECTL_STATUS_MAX; st++) {
		m = sample(BASECTL_REGISTER_OK);
		m.arg = st;
		round_trip(&m, buf);
	}
}

/* One byte edit of a valid message; len_delta resizes it (bytes are zero). */
static const struct {
	const char *name;
	enum basectl_type type;
	size_t off;
	uint8_t value;
	int len_delta;
	enum basectl_result want;
	enum er_result er_want;
} edits[] = {
    {"type 0x22", BASECTL_PING, 0, 0x22, 0, BASECTL_UNKNOWN_TYPE, ER_OK},
    {"type 0x15", BASECTL_PING, 0, 0x15, 0, BASECTL_UNKNOWN_TYPE, ER_OK},
    {"type 0x01", BASECTL_PING, 0, 0x01, 0, BASECTL_UNKNOWN_TYPE, ER_OK},
    {"reserved 2", BASECTL_NOTICE, 2, 1, 0, BASECTL_BAD_RESERVED, ER_OK},
    {"reserved 3", BASECTL_LOOKUP, 3, 0x80, 0, BASECTL_BAD_RESERVED, ER_OK},
    {"ping arg", BASECTL_PING, 1, 1, 0, BASECTL_BAD_RESERVED, ER_OK},
    {"pong arg", BASECTL_PONG, 1, 1, 0, BASECTL_BAD_RESERVED, ER_OK},
    {"unsubscribe arg", BASECTL_UNSUBSCRIBE, 1, 1, 0, BASECTL_BAD_RESERVED, ER_OK},
    {"ping + 1", BASECTL_PING, 0, 0x12, 1, BASECTL_BAD_LENGTH, ER_OK},
    {"ping - 1", BASECTL_PING, 0, 0x12, -1, BASECTL_BAD_LENGTH, ER_OK},
    {"lookup - 1", BASECTL_LOOKUP, 0, 0x11, -1, BASECTL_BAD_LENGTH, ER_OK},
    {"unsubscribe + 1", BASECTL_UNSUBSCRIBE, 0, 0x13, 1, BASECTL_BAD_LENGTH, ER_OK},
    {"register_ok + 1", BASECTL_REGISTER_OK, 0, 0x20, 1, BASECTL_BAD_LENGTH, ER_OK},
    {"pong - 1", BASECTL_PONG, 0, 0x23, -1, BASECTL_BAD_LENGTH, ER_OK},
    {"notice + 1", BASECTL_NOTICE, 0, 0x24, 1, BASECTL_BAD_LENGTH, ER_OK},
    {"allow + 1", BASECTL_ALLOW, 0, 0x14, 1, BASECTL_BAD_LENGTH, ER_OK},
    {"allow n 3 for 2", BASECTL_ALLOW, 5, 3, 0, BASECTL_BAD_LENGTH, ER_OK},
    {"allow n 94", BASECTL_ALLOW, 5, 94, 0, BASECTL_BAD_COUNT, ER_OK},
    {"allow list, not restricted", BASECTL_ALLOW, 1, 0, 0, BASECTL_BAD_COUNT, ER_OK},
    {"allow flag bit 1", BASECTL_ALLOW, 1, 3, 0, BASECTL_BAD_FLAGS, ER_OK},
    {"allow non-overlay", BASECTL_ALLOW, 6, 0xfd, 0, BASECTL_BAD_ADDRESS, ER_OK},
    {"register flags", BASECTL_REGISTER, 1, 1, 0, BASECTL_BAD_FLAGS, ER_OK},
    {"register - 1", BASECTL_REGISTER, 0, 0x10, -1, BASECTL_BAD_RECORD, ER_BAD_LENGTH},
    {"register header only", BASECTL_REGISTER, 0, 0x10, -129, BASECTL_BAD_LENGTH, ER_OK},
    {"register record flipped", BASECTL_REGISTER, 50, 0xff, 0, BASECTL_BAD_RECORD,
     ER_BAD_SIGNATURE},
    {"lookup flag bit 1", BASECTL_LOOKUP, 1, 2, 0, BASECTL_BAD_FLAGS, ER_OK},
    {"lookup non-overlay", BASECTL_LOOKUP, 5, 0x95, 0, BASECTL_BAD_ADDRESS, ER_OK},
    {"unsubscribe non-overlay", BASECTL_UNSUBSCRIBE, 4, 0xfe, 0, BASECTL_BAD_ADDRESS, ER_OK},
    {"register_ok status 3", BASECTL_REGISTER_OK, 1, 3, 0, BASECTL_BAD_STATUS, ER_OK},
    {"register_ok port 0", BASECTL_REGISTER_OK, 29, 0, 0, BASECTL_OK, ER_OK},
    {"register_ok multicast", BASECTL_REGISTER_OK, 24, 224, 0, BASECTL_BAD_ENDPOINT, ER_OK},
    {"register_ok refresh 0", BASECTL_REGISTER_OK, 31, 0, 0, BASECTL_BAD_REFRESH, ER_OK},
    {"pong port 0", BASECTL_PONG, 29, 0, 0, BASECTL_OK, ER_OK},
    {"pong unspecified", BASECTL_PONG, 12, 0, 0, BASECTL_BAD_ENDPOINT, ER_OK},
    {"notice code 0", BASECTL_NOTICE, 1, 0, 0, BASECTL_BAD_CODE, ER_OK},
    {"notice code 4", BASECTL_NOTICE, 1, 4, 0, BASECTL_BAD_CODE, ER_OK},
    {"peer_info reason 5", BASECTL_PEER_INFO, 1, 5, 0, BASECTL_BAD_REASON, ER_OK},
    {"peer_info - 1", BASECTL_PEER_INFO, 0, 0x21, -1, BASECTL_BAD_LENGTH, ER_OK},
    {"peer_info n_obs 9", BASECTL_PEER_INFO, 30, 9, 0, BASECTL_BAD_COUNT, ER_OK},
    {"peer_info n_obs 2 for 1", BASECTL_PEER_INFO, 30, 2, 0, BASECTL_BAD_LENGTH, ER_OK},
    {"peer_info er_len + 1", BASECTL_PEER_INFO, 50, 132, 0, BASECTL_BAD_LENGTH, ER_OK},
    {"peer_info non-overlay", BASECTL_PEER_INFO, 4, 0xfd, 0, BASECTL_BAD_ADDRESS, ER_OK},
    {"peer_info obs port 0", BASECTL_PEER_INFO, 48, 0, 0, BASECTL_OK, ER_OK},
    {"peer_info unknown with record", BASECTL_PEER_INFO, 1, 3, 0, BASECTL_EXTRA_FIELDS,
     ER_OK},
    {"peer_info forged address", BASECTL_PEER_INFO, 19, 0x55, 0, BASECTL_BAD_RECORD,
     ER_WRONG_ADDRESS},
    {"peer_info record flipped", BASECTL_PEER_INFO, 100, 0x01, 0, BASECTL_BAD_RECORD,
     ER_BAD_SIGNATURE},
};

static void test_refusals(void **state)
{
	uint8_t buf[BASECTL_MAX_LEN + 1];
	struct basectl m, got;
	static const struct basectl zero;

	(void)state;
	for (size_t i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
		size_t len;
		enum basectl_result r;
		enum er_result why;

		m = sample(edits[i].type);
		memset(buf, 0, sizeof(buf));
		assert_int_equal(basectl_encode(&m, buf, sizeof(buf), &len), BASECTL_OK);
		/* The port edits need both bytes; the others are one byte. */
		if (strstr(edits[i].name, "port 0") != NULL) {
			buf[edits[i].off - 1] = 0;
			buf[edits[i].off] = 0;
		} else if (strstr(edits[i].name, "unspecified") != NULL) {
			memset(buf + edits[i].off, 0, 16);
		} else {
			buf[edits[i].off] = edits[i].value;
		}
		len = (size_t)((long)len + edits[i].len_delta);
		r = basectl_decode(&got, buf, len, &why);
		if (strstr(edits[i].name, "port 0") != NULL)
			/* port 0 is never an observed endpoint */
			assert_int_equal(r, BASECTL_BAD_ENDPOINT);
		else if (r != edits[i].want || why != edits[i].er_want)
			fail_msg("%s: got %s/%s, want %s/%s", edits[i].name,
				 basectl_result_name(r), er_result_name(why),
				 basectl_result_name(edits[i].want),
				 er_result_name(edits[i].er_want));
		if (r != BASECTL_OK)
			assert_memory_equal(&got, &zero, sizeof(got));
	}
	assert_int_equal(basectl_decode(&got, buf, 3, NULL), BASECTL_TOO_SHORT);
	assert_int_equal(basectl_decode(&got, buf, 0, NULL), BASECTL_TOO_SHORT);
	/* Reasons 0-2 need a record: a PEER_INFO reply of 33 bytes is refused. */
	m = sample(BASECTL_PEER_INFO);
	m.has_er = false;
	assert_int_equal(basectl_encode(&m, buf, sizeof(buf), &(size_t){0}),
			 BASECTL_BAD_RECORD);
	/* Reasons 3-4 carry nothing but the address. */
	m = sample(BASECTL_PEER_INFO);
	m.arg = BASECTL_PEER_DENIED;
	m.has_er = false;
	assert_int_equal(basectl_encode(&m, buf, sizeof(buf), &(size_t){0}),
			 BASECTL_EXTRA_FIELDS);
	m.n_obs = 0;
	assert_int_equal(basectl_encode(&m, buf, sizeof(buf), &(size_t){0}),
			 BASECTL_EXTRA_FIELDS);
	m.age_s = 0;
	memset(m.relay_id, 0, sizeof(m.relay_id));
	assert_int_equal(basectl_encode(&m, buf, sizeof(buf), &(size_t){0}), BASECTL_OK);
	/* A record on a type that carries none. */
	m = sample(BASECTL_PING);
	m.has_er = true;
	assert_int_equal(basectl_encode(&m, buf, sizeof(buf), &(size_t){0}),
			 BASECTL_EXTRA_FIELDS);
	/* Names: distinct, pinned. */
	for (int r = 0; r < BASECTL_RESULT_END; r++)
		for (int q = 0; q < r; q++)
			assert_string_not_equal(basectl_result_name(r), basectl_result_name(q));
	assert_string_equal(basectl_result_name(BASECTL_EXTRA_FIELDS), "extra_fields");
	assert_null(basectl_type_name(0x22));
}

/* A PEER_INFO for id2's address carrying id1's genuine record. */
static void test_forged_address(void **state)
{
	uint8_t buf[BASECTL_MAX_LEN];
	struct basectl m = sample(BASECTL_PEER_INFO), got;
	enum er_result why;
	size_t len;

	(void)state;
	memcpy(m.addr, id2.addr, 16);
	assert_int_equal(basectl_encode(&m, buf, sizeof(buf), &len), BASECTL_OK);
	assert_int_equal(basectl_decode(&got, buf, len, &why), BASECTL_BAD_RECORD);
	assert_int_equal(why, ER_WRONG_ADDRESS);
}

/* Every bit of the embedded record, flipped: refused. */
static void test_flip_record(void **state)
{
	uint8_t buf[BASECTL_MAX_LEN];
	struct basectl m = sample(BASECTL_REGISTER), got;
	size_t len;

	(void)state;
	assert_int_equal(basectl_encode(&m, buf, sizeof(buf), &len), BASECTL_OK);
	for (size_t i = BASECTL_HEADER_LEN; i < len; i++)
		for (int bit = 0; bit < 8; bit++) {
			buf[i] ^= (uint8_t)(1u << bit);
			if (basectl_decode(&got, buf, len, NULL) == BASECTL_OK)
				fail_msg("byte %zu bit %d flipped and still accepted", i, bit);
			buf[i] ^= (uint8_t)(1u << bit);
		}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_round_trips),
	    cmocka_unit_test(test_refusals),
	    cmocka_unit_test(test_forged_address),
	    cmocka_unit_test(test_flip_record),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
