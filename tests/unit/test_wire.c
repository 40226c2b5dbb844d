/*
 * Wire codec: KDF and sealing against the first sender vectors, header
 * endianness, seal/open round trips, the receive order (tampering, stale and
 * newer epochs, keepalives), obfuscation and header validation.  The full
 * vector corpus is checked by tools/conformance.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "core/wire.h"

/* From shared/vectors/subnetra-v1-vectors.json, "icmp-echo-request-1-to-2"
 * and "keepalive-1-to-2" (same psk, ids and epoch). */
static const char V_PSK[] =
    "e77d24543b852bdcb6cce43b9ae7d73a1af0c426bf6c46d1926c1eed7af1627b";
static const uint32_t V_FROM = 1, V_TO = 2;
static const uint64_t V_EPOCH = UINT64_C(1746843357141467429);
static const char V_LINK_KEY[] =
    "bef459682638da5a5aeec57104dbeaaf70babf87aeab15bf605faa6976e0f153";
static const char V_SESSION_KEY[] =
    "433a4f75ac734aeb6469cf08ee207ff4b35f2aa47376637a155f127a21e4ced3";
static const uint64_t V_KEEPALIVE_SEQ = 2;
static const char V_KEEPALIVE_DGRAM[] =
    "010101002501ab34c7083e180200000000000000d923afbe33dd1c6b437ef3c0e6d806e1";
static const char V_KEEPALIVE_OBFS[] =
    "340c67b931199133b6cda14af972ccf9a8aa5c7cd923afbe33dd1c6b437ef3c0e6d806e1";

/* A second, later epoch ("icmp-echo-reply-2-to-1"). */
static const uint64_t V_EPOCH2 = UINT64_C(1746845784736060214);

static size_t unhex(uint8_t *out, size_t cap, const char *hex)
{
	size_t n = 0;

	assert_int_equal(sodium_hex2bin(out, cap, hex, strlen(hex), NULL, &n, NULL), 0);
	assert_int_equal(n, strlen(hex) / 2);
	return n;
}

static void vector_link_key(wire_key link)
{
	uint8_t psk[WIRE_PSK_LEN];

	unhex(psk, sizeof psk, V_PSK);
	wire_link_key(link, psk, V_FROM, V_TO);
}

/* Deterministic plaintext; the wire layer does not care what it looks like. */
static void fill(uint8_t *p, size_t n, uint8_t salt)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 31 + salt);
}

/* Seal n pattern bytes for the vector link at epoch/seq; returns the length. */
static size_t seal_test(uint8_t buf[WIRE_MAX_DATAGRAM], size_t n, uint64_t epoch,
			uint64_t seq)
{
	wire_key link, session;
	size_t len;

	vector_link_key(link);
	wire_session_key(session, link, epoch);
	fill(buf + WIRE_HEADER_LEN, n, (uint8_t)seq);
	len = wire_seal(buf, n, session, (uint16_t)V_FROM, epoch, seq);
	sodium_memzero(session, sizeof session);
	return len;
}

static enum wire_rx_verdict open_test(struct wire_rx_session *s, uint8_t *dgram,
				      size_t len, size_t *pt_len)
{
	wire_key link;
	struct wire_header h;

	vector_link_key(link);
	if (!wire_header_check(dgram, len, &h))
		return WIRE_RX_INVALID;
	return wire_rx_open(s, link, &h, dgram, len, pt_len);
}

/* ---- key schedule and header ------------------------------------------ */

static void test_kdf_vector(void **state)
{
	uint8_t want[WIRE_KEY_LEN];
	wire_key link, session;

	(void)state;
	vector_link_key(link);
	unhex(want, sizeof want, V_LINK_KEY);
	assert_memory_equal(link, want, WIRE_KEY_LEN);
	wire_session_key(session, link, V_EPOCH);
	unhex(want, sizeof want, V_SESSION_KEY);
	assert_memory_equal(session, want, WIRE_KEY_LEN);

	/* Directions differ: the reverse link key is a different key. */
	{
		uint8_t psk[WIRE_PSK_LEN];
		wire_key rev;

		unhex(psk, sizeof psk, V_PSK);
		wire_link_key(rev, psk, V_TO, V_FROM);
		assert_memory_not_equal(rev, link, WIRE_KEY_LEN);
	}
}

static void test_seal_keepalive_vector(void **state)
{
	uint8_t buf[WIRE_MAX_DATAGRAM], want[WIRE_MAX_DATAGRAM];
	size_t len, want_len;

	(void)state;
	len = seal_test(buf, 0, V_EPOCH, V_KEEPALIVE_SEQ);
	want_len = unhex(want, sizeof want, V_KEEPALIVE_DGRAM);
	assert_int_equal(len, want_len);
	assert_memory_equal(buf, want, len);
}

static void test_header_endianness(void **state)
{
	static const uint8_t want[WIRE_HEADER_LEN] = {
	    0x01, 0x81, 0x34, 0x12, /* version, flags, key_id LE */
	    0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01, /* epoch LE */
	    0x18, 0x17, 0x16, 0x15, 0x14, 0x13, 0x12, 0x11, /* seq LE */
	};
	const struct wire_header h = {
	    .version = 1,
	    .flags = 0x81,
	    .key_id = 0x1234,
	    .epoch = UINT64_C(0x0102030405060708),
	    .seq = UINT64_C(0x1112131415161718),
	};
	uint8_t out[WIRE_HEADER_LEN];
	struct wire_header back;

	(void)state;
	wire_header_encode(out, &h);
	assert_memory_equal(out, want, sizeof want);
	wire_header_decode(&back, out);
	assert_int_equal(back.version, h.version);
	assert_int_equal(back.flags, h.flags);
	assert_int_equal(back.key_id, h.key_id);
	assert_true(back.epoch == h.epoch);
	assert_true(back.seq == h.seq);

	/* Extremes survive the round trip too. */
	{
		const struct wire_header x = {0xff, 0xff, 0xffff, UINT64_MAX,
					      UINT64_C(1) << 63};

		wire_header_encode(out, &x);
		wire_header_decode(&back, out);
		assert_true(back.key_id == 0xffff && back.epoch == UINT64_MAX &&
			    back.seq == UINT64_C(1) << 63);
	}
}

/* ---- seal / open ------------------------------------------------------ */

static void test_seal_open_round_trip(void **state)
{
	static const size_t sizes[] = {0, 1, 20, WIRE_MAX_PLAINTEXT};
	uint8_t buf[WIRE_MAX_DATAGRAM], pt[WIRE_MAX_PLAINTEXT];
	wire_key link, session;

	(void)state;
	vector_link_key(link);
	wire_session_key(session, link, V_EPOCH);
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		struct wire_rx_session s = {0};
		struct wire_header h;
		size_t n = sizes[i], len, pt_len = 99;
		enum wire_rx_verdict v;

		len = seal_test(buf, n, V_EPOCH, 42);
		assert_int_equal(len, WIRE_HEADER_LEN + n + WIRE_TAG_LEN);
		wire_header_decode(&h, buf);
		assert_int_equal(h.version, WIRE_VERSION);
		assert_int_equal(h.flags, n == 0 ? WIRE_FLAG_KEEPALIVE : 0);
		assert_int_equal(h.key_id, V_FROM);
		assert_true(h.epoch == V_EPOCH && h.seq == 42);

		v = open_test(&s, buf, len, &pt_len);
		if (n == 0) {
			assert_int_equal(v, WIRE_RX_KEEPALIVE);
			assert_int_equal(pt_len, 0);
		} else {
			assert_int_equal(v, WIRE_RX_DATA);
			assert_int_equal(pt_len, n);
			fill(pt, n, 42);
			assert_memory_equal(buf + WIRE_HEADER_LEN, pt, n);
		}
		/* A fresh session adopts the epoch and caches its key. */
		assert_true(s.cur_epoch == V_EPOCH);
		assert_true(s.have_key);
		assert_memory_equal(s.session_key, session, WIRE_KEY_LEN);
	}
}

struct tamper {
	const char *name;
	ptrdiff_t offset; /* negative: from the end */
	uint8_t mask;
};

/* clang-format off */
static const struct tamper tampers[] = {
	{"first tag byte", -WIRE_TAG_LEN, 0x01},
	{"last tag byte", -1, 0x80},
	{"first ciphertext byte", WIRE_HEADER_LEN, 0x01},
	{"last ciphertext byte", -WIRE_TAG_LEN - 1, 0x01},
	{"seq low byte", 12, 0x01},
	{"seq high byte", 19, 0x80},
	{"epoch +2 (newer, wrong key)", 4, 0x02},
	{"epoch -1 (older)", 4, 0x01},
};
/* clang-format on */

/*
 * Every tampered datagram is INVALID and changes neither the session nor
 * the buffer, both on a fresh session and on one already at the epoch.
 */
static void test_tampered_is_invalid_without_side_effects(void **state)
{
	uint8_t buf[WIRE_MAX_DATAGRAM], copy[WIRE_MAX_DATAGRAM];
	size_t len, pt_len;

	(void)state;
	/* The vector epoch's low byte is 0x25: ^0x02 is newer, ^0x01 older. */
	assert_int_equal(V_EPOCH & 0xff, 0x25);
	for (int established = 0; established < 2; established++) {
		for (size_t i = 0; i < sizeof tampers / sizeof tampers[0]; i++) {
			const struct tamper *t = &tampers[i];
			struct wire_rx_session s = {0}, before;
			size_t at;

			if (established) {
				len = seal_test(buf, 60, V_EPOCH, 100);
				assert_int_equal(open_test(&s, buf, len, &pt_len),
						 WIRE_RX_DATA);
			}
			len = seal_test(buf, 60, V_EPOCH, 77);
			memcpy(copy, buf, len);
			at = t->offset < 0 ? len - (size_t)-t->offset : (size_t)t->offset;
			buf[at] ^= t->mask;
			before = s;
			if (open_test(&s, buf, len, &pt_len) != WIRE_RX_INVALID)
				fail_msg("%s (established=%d) was accepted", t->name,
					 established);
			/* The session is untouched (the dropped buffer may not be). */
			assert_memory_equal(&s, &before, sizeof s);

			/* The untampered datagram still goes through afterwards. */
			memcpy(buf, copy, len);
			assert_int_equal(open_test(&s, buf, len, &pt_len), WIRE_RX_DATA);
		}
	}
}

static void test_stale_epoch_before_crypto(void **state)
{
	uint8_t buf[WIRE_MAX_DATAGRAM], copy[WIRE_MAX_DATAGRAM];
	struct wire_rx_session s = {0}, before;
	struct wire_header h;
	size_t len, pt_len;

	(void)state;
	len = seal_test(buf, 30, V_EPOCH2, 1);
	assert_int_equal(open_test(&s, buf, len, &pt_len), WIRE_RX_DATA);

	/* A validly sealed datagram of the older epoch. */
	len = seal_test(buf, 30, V_EPOCH, 5);
	memcpy(copy, buf, len);
	before = s;
	assert_true(wire_header_check(buf, len, &h));
	/*
	 * No link key at all: the stale check must return before the KDF
	 * (or anything else) would read it.
	 */
	assert_int_equal(wire_rx_open(&s, NULL, &h, buf, len, &pt_len), WIRE_RX_INVALID);
	assert_memory_equal(&s, &before, sizeof s);
	assert_memory_equal(buf, copy, len);

	/* Nonzero but below WIRE_MIN_EPOCH: passes the header, dropped as stale. */
	len = seal_test(buf, 30, 1, 6);
	assert_true(wire_header_check(buf, len, &h));
	assert_int_equal(wire_rx_open(&s, NULL, &h, buf, len, &pt_len), WIRE_RX_INVALID);
	assert_memory_equal(&s, &before, sizeof s);
}

static void test_newer_epoch_commits_after_auth(void **state)
{
	uint8_t buf[WIRE_MAX_DATAGRAM];
	struct wire_rx_session s = {0}, before;
	wire_key link, key2;
	size_t len, pt_len;

	(void)state;
	vector_link_key(link);
	wire_session_key(key2, link, V_EPOCH2);

	len = seal_test(buf, 40, V_EPOCH, 200);
	assert_int_equal(open_test(&s, buf, len, &pt_len), WIRE_RX_DATA);

	/* Newer epoch, forged tag: nothing is committed. */
	len = seal_test(buf, 40, V_EPOCH2, 100);
	buf[len - 1] ^= 1;
	before = s;
	assert_int_equal(open_test(&s, buf, len, &pt_len), WIRE_RX_INVALID);
	assert_memory_equal(&s, &before, sizeof s);

	/* The genuine one commits epoch and key and resets the window. */
	len = seal_test(buf, 40, V_EPOCH2, 100);
	assert_int_equal(open_test(&s, buf, len, &pt_len), WIRE_RX_DATA);
	assert_true(s.cur_epoch == V_EPOCH2);
	assert_memory_equal(s.session_key, key2, WIRE_KEY_LEN);
	assert_true(s.window.highest == 100);

	/* The window now starts at E2 seq 100: 100 itself is a replay, and 99
	 * is fresh (in the E1 window 99 would have been too old). */
	len = seal_test(buf, 40, V_EPOCH2, 100);
	assert_int_equal(open_test(&s, buf, len, &pt_len), WIRE_RX_INVALID);
	len = seal_test(buf, 40, V_EPOCH2, 99);
	assert_int_equal(open_test(&s, buf, len, &pt_len), WIRE_RX_DATA);

	/* And the old epoch is now stale. */
	len = seal_test(buf, 40, V_EPOCH, 201);
	assert_int_equal(open_test(&s, buf, len, &pt_len), WIRE_RX_INVALID);
	assert_true(s.cur_epoch == V_EPOCH2);
}

/* cur_epoch preset without a key (as after a wipe, or the vector harness). */
static void test_known_epoch_without_key(void **state)
{
	uint8_t buf[WIRE_MAX_DATAGRAM];
	struct wire_rx_session s = {.cur_epoch = V_EPOCH, .have_key = false};
	size_t len, pt_len;

	(void)state;
	len = seal_test(buf, 25, V_EPOCH, 3);
	assert_int_equal(open_test(&s, buf, len, &pt_len), WIRE_RX_DATA);
	assert_true(s.have_key && s.cur_epoch == V_EPOCH);

	wire_rx_session_wipe(&s);
	assert_false(s.have_key);
	for (size_t i = 0; i < WIRE_KEY_LEN; i++)
		assert_int_equal(s.session_key[i], 0);
	/* The wipe keeps the forward-only state: replay still refused ... */
	len = seal_test(buf, 25, V_EPOCH, 3);
	assert_int_equal(open_test(&s, buf, len, &pt_len), WIRE_RX_INVALID);
	/* ... and the key is derived again for the next fresh seq. */
	len = seal_test(buf, 25, V_EPOCH, 4);
	assert_int_equal(open_test(&s, buf, len, &pt_len), WIRE_RX_DATA);
	assert_true(s.have_key);
}

static void test_keepalive_verdict(void **state)
{
	uint8_t buf[WIRE_MAX_DATAGRAM];
	struct wire_rx_session s = {0};
	size_t len, pt_len = 99;

	(void)state;
	len = seal_test(buf, 0, V_EPOCH, 1);
	assert_int_equal(len, WIRE_MIN_DATAGRAM);
	assert_int_equal(buf[1], WIRE_FLAG_KEEPALIVE);
	assert_int_equal(open_test(&s, buf, len, &pt_len), WIRE_RX_KEEPALIVE);
	assert_int_equal(pt_len, 0);
	/* Keepalives ride the replay window. */
	assert_int_equal(open_test(&s, buf, len, &pt_len), WIRE_RX_INVALID);

	/*
	 * The flags are outside the AEAD: KEEPALIVE set on a data datagram
	 * still authenticates, so the header check refuses a keepalive with a
	 * body, before any state change: the genuine datagram with the same
	 * seq is still accepted afterwards.
	 */
	len = seal_test(buf, 50, V_EPOCH, 2);
	buf[1] = WIRE_FLAG_KEEPALIVE;
	assert_int_equal(open_test(&s, buf, len, &pt_len), WIRE_RX_INVALID);
	assert_int_equal(s.window.highest, 1);
	buf[1] = 0;
	assert_int_equal(open_test(&s, buf, len, &pt_len), WIRE_RX_DATA);
	assert_int_equal(pt_len, 50);

	/* An empty body without the flag is DATA of length 0. */
	len = seal_test(buf, 0, V_EPOCH, 3);
	buf[1] = 0;
	assert_int_equal(open_test(&s, buf, len, &pt_len), WIRE_RX_DATA);
	assert_int_equal(pt_len, 0);
}

static void test_oversized_is_invalid(void **state)
{
	uint8_t buf[WIRE_MAX_DATAGRAM + 1];
	struct wire_rx_session s = {0};
	struct wire_header h;
	wire_key link;
	size_t len, pt_len;

	(void)state;
	vector_link_key(link);
	len = seal_test(buf, WIRE_MAX_PLAINTEXT, V_EPOCH, 1);
	assert_int_equal(len, WIRE_MAX_DATAGRAM);
	assert_true(wire_header_check(buf, len + 1, &h));
	assert_int_equal(wire_rx_open(&s, link, &h, buf, len + 1, &pt_len),
			 WIRE_RX_INVALID);
	assert_true(s.cur_epoch == 0 && !s.have_key);
}

/* ---- obfuscation ------------------------------------------------------ */

static void test_obfs(void **state)
{
	uint8_t buf[WIRE_MAX_DATAGRAM], orig[WIRE_MAX_DATAGRAM], want[WIRE_MAX_DATAGRAM];
	uint8_t hdr[WIRE_HEADER_LEN];
	wire_key link, other;
	size_t len;

	(void)state;
	vector_link_key(link);

	/* Known answer: the keepalive vector, masked. */
	len = seal_test(buf, 0, V_EPOCH, V_KEEPALIVE_SEQ);
	wire_obfs_apply(buf, len, link);
	assert_int_equal(unhex(want, sizeof want, V_KEEPALIVE_OBFS), len);
	assert_memory_equal(buf, want, len);

	len = seal_test(buf, 100, V_EPOCH, 9);
	memcpy(orig, buf, len);
	wire_obfs_apply(buf, len, link);
	assert_memory_not_equal(buf, orig, WIRE_HEADER_LEN);
	assert_memory_equal(buf + WIRE_HEADER_LEN, orig + WIRE_HEADER_LEN,
			    len - WIRE_HEADER_LEN);

	/* Trial with the right key and id: true, header recovered, dgram untouched. */
	memcpy(want, buf, len);
	assert_true(wire_obfs_trial(buf, len, link, (uint16_t)V_FROM, hdr));
	assert_memory_equal(hdr, orig, WIRE_HEADER_LEN);
	assert_memory_equal(buf, want, len);
	/* Wrong expected id, wrong key, runt: no match. */
	assert_false(wire_obfs_trial(buf, len, link, (uint16_t)V_TO, hdr));
	memcpy(other, link, sizeof other);
	other[0] ^= 1;
	assert_false(wire_obfs_trial(buf, len, other, (uint16_t)V_FROM, hdr));
	assert_false(
	    wire_obfs_trial(buf, WIRE_MIN_DATAGRAM - 1, link, (uint16_t)V_FROM, hdr));

	/* Applying twice is the identity. */
	wire_obfs_apply(buf, len, link);
	assert_memory_equal(buf, orig, len);

	/*
	 * The receiver de-masks with the trial's header (one pad, not two):
	 * byte for byte what wire_obfs_apply gives, for data and keepalives.
	 */
	for (size_t pt = 0; pt <= 1400; pt += 700) {
		len = seal_test(buf, pt, V_EPOCH, 10 + pt);
		memcpy(orig, buf, len);
		wire_obfs_apply(buf, len, link);
		memcpy(want, buf, len);
		wire_obfs_apply(want, len, link);
		assert_true(wire_obfs_trial(buf, len, link, (uint16_t)V_FROM, hdr));
		wire_obfs_unmask(buf, hdr);
		assert_memory_equal(buf, want, len);
		assert_memory_equal(buf, orig, len);
	}
}

/* ---- header validation ------------------------------------------------ */

struct header_case {
	const char *name;
	size_t len;
	uint8_t version;
	uint8_t flags;
	uint64_t epoch;
	bool ok;
};

/* clang-format off */
static const struct header_case header_cases[] = {
	{"keepalive, 36 bytes", 36, 1, 0x01, UINT64_C(1746843357141467429), true},
	{"data, max size", WIRE_MAX_DATAGRAM, 1, 0x00, UINT64_C(1746843357141467429), true},
	{"35 bytes", 35, 1, 0x01, UINT64_C(1746843357141467429), false},
	{"20 bytes", 20, 1, 0x00, UINT64_C(1746843357141467429), false},
	{"0 bytes", 0, 1, 0x00, UINT64_C(1746843357141467429), false},
	{"version 0", 36, 0, 0x00, UINT64_C(1746843357141467429), false},
	{"version 2", 36, 2, 0x00, UINT64_C(1746843357141467429), false},
	{"version 255", 36, 255, 0x00, UINT64_C(1746843357141467429), false},
	{"flags 0x02", 36, 1, 0x02, UINT64_C(1746843357141467429), false},
	{"flags 0x80", 36, 1, 0x80, UINT64_C(1746843357141467429), false},
	{"flags 0x03", 36, 1, 0x03, UINT64_C(1746843357141467429), false},
	{"flags 0xfe", 36, 1, 0xfe, UINT64_C(1746843357141467429), false},
	{"epoch 0", 36, 1, 0x00, 0, false},
	/* Lower epochs are the session's business (stale rule), not the header's. */
	{"epoch 1", 36, 1, 0x00, 1, true},
	{"epoch below WIRE_MIN_EPOCH", 36, 1, 0x00, WIRE_MIN_EPOCH - 1, true},
	{"epoch max", 36, 1, 0x01, UINT64_MAX, true},
};
/* clang-format on */

static void test_header_check(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof header_cases / sizeof header_cases[0]; i++) {
		const struct header_case *c = &header_cases[i];
		const struct wire_header in = {c->version, c->flags, 7, c->epoch, 1};
		uint8_t buf[WIRE_MAX_DATAGRAM] = {0};
		struct wire_header out;

		wire_header_encode(buf, &in);
		if (wire_header_check(buf, c->len, &out) != c->ok)
			fail_msg("%s: expected %s", c->name, c->ok ? "ok" : "rejected");
		if (c->ok)
			assert_true(out.epoch == c->epoch && out.key_id == 7 &&
				    out.seq == 1);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_kdf_vector),
	    cmocka_unit_test(test_seal_keepalive_vector),
	    cmocka_unit_test(test_header_endianness),
	    cmocka_unit_test(test_seal_open_round_trip),
	    cmocka_unit_test(test_tampered_is_invalid_without_side_effects),
	    cmocka_unit_test(test_stale_epoch_before_crypto),
	    cmocka_unit_test(test_newer_epoch_commits_after_auth),
	    cmocka_unit_test(test_known_epoch_without_key),
	    cmocka_unit_test(test_keepalive_verdict),
	    cmocka_unit_test(test_oversized_is_invalid),
	    cmocka_unit_test(test_obfs),
	    cmocka_unit_test(test_header_check),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
