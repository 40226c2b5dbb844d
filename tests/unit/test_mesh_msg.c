/*
 * Mesh messages: the classifier on a table of hand-built messages (every
 * type at, under and over its length, reserved bytes, relay inners), the
 * names, the field helpers, and the TCP reassembler fed whole, a byte at a
 * time and in random splits.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "core/mesh/msg.h"
#include "splitmix.h"

/* ---- classifier -------------------------------------------------------- */

/* How a case's message is built: outer type and length, optional inner. */
struct classify_case {
	const char *name;
	uint8_t type;
	size_t len;
	int bad_reserved; /* 1..3: that reserved byte is set (outer); 0: none */
	uint8_t inner_type;
	size_t inner_len; /* 0: no inner */
	int inner_bad_reserved;
	enum msg_class want;
};

#define R_HDR  MSG_RELAY_HEADER_LEN
#define RD_HDR MSG_RELAYED_HEADER_LEN

/* clang-format off */
static const struct classify_case cases[] = {
	{"empty", 0, 0, 0, 0, 0, 0, MSG_DROP_TOO_SHORT},
	{"3 bytes of HS_INIT", MSG_HS_INIT, 3, 0, 0, 0, 0, MSG_DROP_TOO_SHORT},
	{"type 0", 0, 184, 0, 0, 0, 0, MSG_DROP_UNKNOWN_TYPE},
	{"type 8", 8, 32, 0, 0, 0, 0, MSG_DROP_UNKNOWN_TYPE},
	{"type 0xff", 0xff, 4, 0, 0, 0, 0, MSG_DROP_UNKNOWN_TYPE},
	{"unknown type before reserved", 9, 32, 2, 0, 0, 0, MSG_DROP_UNKNOWN_TYPE},
	{"HS_INIT", MSG_HS_INIT, 184, 0, 0, 0, 0, MSG_CLASS_HS_INIT},
	{"HS_INIT - 1", MSG_HS_INIT, 183, 0, 0, 0, 0, MSG_DROP_BAD_LENGTH},
	{"HS_INIT + 1", MSG_HS_INIT, 185, 0, 0, 0, 0, MSG_DROP_BAD_LENGTH},
	{"HS_INIT reserved 1", MSG_HS_INIT, 184, 1, 0, 0, 0, MSG_DROP_BAD_RESERVED},
	{"HS_INIT reserved 2", MSG_HS_INIT, 184, 2, 0, 0, 0, MSG_DROP_BAD_RESERVED},
	{"HS_INIT reserved 3", MSG_HS_INIT, 184, 3, 0, 0, 0, MSG_DROP_BAD_RESERVED},
	{"reserved before length", MSG_HS_INIT, 4, 3, 0, 0, 0, MSG_DROP_BAD_RESERVED},
	{"HS_RESP", MSG_HS_RESP, 96, 0, 0, 0, 0, MSG_CLASS_HS_RESP},
	{"HS_RESP - 1", MSG_HS_RESP, 95, 0, 0, 0, 0, MSG_DROP_BAD_LENGTH},
	{"HS_RESP + 1", MSG_HS_RESP, 97, 0, 0, 0, 0, MSG_DROP_BAD_LENGTH},
	{"COOKIE_REPLY", MSG_COOKIE_REPLY, 64, 0, 0, 0, 0, MSG_CLASS_COOKIE_REPLY},
	{"COOKIE_REPLY - 1", MSG_COOKIE_REPLY, 63, 0, 0, 0, 0, MSG_DROP_BAD_LENGTH},
	{"COOKIE_REPLY + 1", MSG_COOKIE_REPLY, 65, 0, 0, 0, 0, MSG_DROP_BAD_LENGTH},
	{"DATA keepalive", MSG_DATA, 32, 0, 0, 0, 0, MSG_CLASS_DATA},
	{"DATA 31", MSG_DATA, 31, 0, 0, 0, 0, MSG_DROP_BAD_LENGTH},
	{"DATA header only", MSG_DATA, 16, 0, 0, 0, 0, MSG_DROP_BAD_LENGTH},
	{"DATA largest", MSG_DATA, MSG_DATA_MAX_LEN, 0, 0, 0, 0, MSG_CLASS_DATA},
	{"DATA largest + 1", MSG_DATA, MSG_DATA_MAX_LEN + 1, 0, 0, 0, 0, MSG_DROP_BAD_LENGTH},
	{"DATA reserved", MSG_DATA, 100, 1, 0, 0, 0, MSG_DROP_BAD_RESERVED},
	{"PUNCH", MSG_PUNCH, 32, 0, 0, 0, 0, MSG_CLASS_PUNCH},
	{"PUNCH - 1", MSG_PUNCH, 31, 0, 0, 0, 0, MSG_DROP_BAD_LENGTH},
	{"PUNCH + 1", MSG_PUNCH, 33, 0, 0, 0, 0, MSG_DROP_BAD_LENGTH},
	{"PUNCH reserved", MSG_PUNCH, 32, 3, 0, 0, 0, MSG_DROP_BAD_RESERVED},
	{"RELAY of DATA", MSG_RELAY, R_HDR + 32, 0, MSG_DATA, 32, 0, MSG_CLASS_RELAY},
	{"RELAY of HS_INIT", MSG_RELAY, R_HDR + 184, 0, MSG_HS_INIT, 184, 0, MSG_CLASS_RELAY},
	{"RELAY of HS_RESP", MSG_RELAY, R_HDR + 96, 0, MSG_HS_RESP, 96, 0, MSG_CLASS_RELAY},
	{"RELAY of COOKIE_REPLY", MSG_RELAY, R_HDR + 64, 0, MSG_COOKIE_REPLY, 64, 0,
	 MSG_CLASS_RELAY},
	{"RELAY of the largest DATA", MSG_RELAY, MSG_MAX_LEN, 0, MSG_DATA, MSG_DATA_MAX_LEN, 0,
	 MSG_CLASS_RELAY},
	{"RELAY too long", MSG_RELAY, MSG_MAX_LEN + 1, 0, MSG_DATA, MSG_DATA_MAX_LEN + 1, 0,
	 MSG_DROP_BAD_LENGTH},
	{"RELAY header only", MSG_RELAY, R_HDR, 0, 0, 0, 0, MSG_DROP_BAD_LENGTH},
	{"RELAY of 31 bytes", MSG_RELAY, R_HDR + 31, 0, MSG_DATA, 31, 0, MSG_DROP_BAD_LENGTH},
	{"RELAY reserved", MSG_RELAY, R_HDR + 32, 2, MSG_DATA, 32, 0, MSG_DROP_BAD_RESERVED},
	{"RELAY of a PUNCH", MSG_RELAY, R_HDR + 32, 0, MSG_PUNCH, 32, 0, MSG_DROP_BAD_INNER},
	{"RELAY of a RELAY", MSG_RELAY, R_HDR + 52, 0, MSG_RELAY, 52, 0, MSG_DROP_BAD_INNER},
	{"RELAY of a RELAYED", MSG_RELAY, R_HDR + 44, 0, MSG_RELAYED, 44, 0,
	 MSG_DROP_BAD_INNER},
	{"RELAY of type 0", MSG_RELAY, R_HDR + 40, 0, 0, 40, 0, MSG_DROP_BAD_INNER},
	{"RELAY inner reserved", MSG_RELAY, R_HDR + 32, 0, MSG_DATA, 32, 1, MSG_DROP_BAD_INNER},
	{"RELAY inner HS_INIT - 1", MSG_RELAY, R_HDR + 183, 0, MSG_HS_INIT, 183, 0,
	 MSG_DROP_BAD_INNER},
	{"RELAY inner COOKIE_REPLY + 1", MSG_RELAY, R_HDR + 65, 0, MSG_COOKIE_REPLY, 65, 0,
	 MSG_DROP_BAD_INNER},
	{"RELAYED of DATA", MSG_RELAYED, RD_HDR + 32, 0, MSG_DATA, 32, 0, MSG_CLASS_RELAYED},
	{"RELAYED of HS_INIT", MSG_RELAYED, RD_HDR + 184, 0, MSG_HS_INIT, 184, 0,
	 MSG_CLASS_RELAYED},
	{"RELAYED largest", MSG_RELAYED, RD_HDR + MSG_DATA_MAX_LEN, 0, MSG_DATA,
	 MSG_DATA_MAX_LEN, 0, MSG_CLASS_RELAYED},
	{"RELAYED too long", MSG_RELAYED, RD_HDR + MSG_DATA_MAX_LEN + 1, 0, MSG_DATA,
	 MSG_DATA_MAX_LEN + 1, 0, MSG_DROP_BAD_LENGTH},
	{"RELAYED of 31", MSG_RELAYED, RD_HDR + 31, 0, MSG_DATA, 31, 0, MSG_DROP_BAD_LENGTH},
	{"RELAYED of a PUNCH", MSG_RELAYED, RD_HDR + 32, 0, MSG_PUNCH, 32, 0,
	 MSG_DROP_BAD_INNER},
	{"RELAYED of a RELAYED", MSG_RELAYED, RD_HDR + 44, 0, MSG_RELAYED, 44, 0,
	 MSG_DROP_BAD_INNER},
};
/* clang-format on */

static uint8_t msgbuf[MSG_MAX_LEN + 64];

static void build_case(const struct classify_case *c)
{
	memset(msgbuf, 0xa5, sizeof msgbuf);
	if (c->len >= 1)
		msgbuf[0] = c->type;
	for (size_t i = 1; i < 4 && i < c->len; i++)
		msgbuf[i] = (int)i == c->bad_reserved ? 0x80 : 0;
	if (c->inner_len) {
		size_t hdr = c->type == MSG_RELAY ? R_HDR : RD_HDR;

		msgbuf[hdr] = c->inner_type;
		for (size_t i = 1; i < 4; i++)
			msgbuf[hdr + i] = (int)i == c->inner_bad_reserved ? 1 : 0;
		assert_int_equal(hdr + c->inner_len, c->len);
	}
}

static void test_classify_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct classify_case *c = &cases[i];
		enum msg_class got;

		build_case(c);
		got = msg_classify(msgbuf, c->len);
		if (got != c->want)
			fail_msg("%s: got %s, want %s", c->name, msg_class_name(got),
				 msg_class_name(c->want));
	}
}

/* Every length 0..MSG_MAX_LEN + 1 for every fixed-length type. */
static void test_classify_exact_lengths(void **state)
{
	static const struct {
		uint8_t type;
		size_t len;
	} fixed[] = {{MSG_HS_INIT, 184},
		     {MSG_HS_RESP, 96},
		     {MSG_COOKIE_REPLY, 64},
		     {MSG_PUNCH, 32}};

	(void)state;
	for (size_t t = 0; t < sizeof fixed / sizeof fixed[0]; t++) {
		memset(msgbuf, 0, sizeof msgbuf);
		msgbuf[0] = fixed[t].type;
		for (size_t len = 0; len <= MSG_MAX_LEN + 1; len++) {
			enum msg_class got = msg_classify(msgbuf, len);
			enum msg_class want = len < 4 ? MSG_DROP_TOO_SHORT
					      : len == fixed[t].len
						  ? (enum msg_class)fixed[t].type
						  : MSG_DROP_BAD_LENGTH;

			if (got != want)
				fail_msg("type %u len %zu: got %s", fixed[t].type, len,
					 msg_class_name(got));
		}
	}
}

/* The names are the counter suffixes: stable, distinct, never "?". */
static void test_class_names(void **state)
{
	static const char *const want[] = {
	    [MSG_CLASS_HS_INIT] = "hs_init",
	    [MSG_CLASS_HS_RESP] = "hs_resp",
	    [MSG_CLASS_COOKIE_REPLY] = "cookie_reply",
	    [MSG_CLASS_DATA] = "data",
	    [MSG_CLASS_RELAY] = "relay",
	    [MSG_CLASS_RELAYED] = "relayed",
	    [MSG_CLASS_PUNCH] = "punch",
	    [MSG_DROP_TOO_SHORT] = "too_short",
	    [MSG_DROP_UNKNOWN_TYPE] = "unknown_type",
	    [MSG_DROP_BAD_RESERVED] = "bad_reserved",
	    [MSG_DROP_BAD_LENGTH] = "bad_length",
	    [MSG_DROP_BAD_INNER] = "bad_inner",
	};

	(void)state;
	assert_int_equal(sizeof want / sizeof want[0], MSG_CLASS_END);
	for (int c = 1; c < MSG_CLASS_END; c++) {
		assert_string_equal(msg_class_name((enum msg_class)c), want[c]);
		assert_int_equal(msg_class_is_drop((enum msg_class)c),
				 c >= MSG_DROP_TOO_SHORT);
	}
	assert_string_equal(msg_class_name((enum msg_class)0), "?");
	assert_string_equal(msg_class_name(MSG_CLASS_END), "?");
	assert_string_equal(msg_class_name((enum msg_class) - 1), "?");
}

/* ---- field helpers ----------------------------------------------------- */

static void test_data_header(void **state)
{
	struct msg_data_header h = {0x01020304u, UINT64_C(0x1112131415161718)}, back;
	uint8_t buf[MSG_DATA_MIN_LEN] = {0};
	static const uint8_t want[MSG_DATA_HEADER_LEN] = {
	    0x04, 0,	0,    0,    0x01, 0x02, 0x03, 0x04,
	    0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18};

	(void)state;
	memset(buf, 0xee, MSG_DATA_HEADER_LEN);
	msg_data_header_put(buf, &h);
	assert_memory_equal(buf, want, sizeof want);
	msg_data_header_get(&back, buf);
	assert_int_equal(back.receiver, h.receiver);
	assert_true(back.counter == h.counter);
	assert_int_equal(msg_classify(buf, sizeof buf), MSG_CLASS_DATA);
	assert_int_equal(msg_receiver(buf, MSG_CLASS_DATA), 0x01020304u);
}

static void test_receiver_and_sender(void **state)
{
	uint8_t resp[MSG_HS_RESP_LEN] = {MSG_HS_RESP, 0,    0,	  0,	0xa1, 0xa2,
					 0xa3,	      0xa4, 0xb1, 0xb2, 0xb3, 0xb4};
	uint8_t cookie[MSG_COOKIE_REPLY_LEN] = {
	    MSG_COOKIE_REPLY, 0, 0, 0, 0xc1, 0xc2, 0xc3, 0xc4};
	uint8_t init[MSG_HS_INIT_LEN] = {MSG_HS_INIT, 0, 0, 0, 0xd1, 0xd2, 0xd3, 0xd4};

	(void)state;
	assert_int_equal(msg_hs_sender(resp), 0xa1a2a3a4u);
	assert_int_equal(msg_receiver(resp, MSG_CLASS_HS_RESP), 0xb1b2b3b4u);
	assert_int_equal(msg_receiver(cookie, MSG_CLASS_COOKIE_REPLY), 0xc1c2c3c4u);
	assert_int_equal(msg_hs_sender(init), 0xd1d2d3d4u);
	assert_int_equal(msg_receiver(init, MSG_CLASS_HS_INIT), 0);
}

static void test_relay_frames(void **state)
{
	static const msg_relay_id a = {1, 2, 3, 4, 5, 6, 7, 8},
				  b = {9, 10, 11, 12, 13, 14, 15, 16};
	uint8_t buf[MSG_RELAY_HEADER_LEN + MSG_DATA_MIN_LEN];
	struct msg_data_header h = {7, 9};
	struct msg_relay_view v;
	size_t len;

	(void)state;
	/* RELAY: inner built in the headroom first, then the header. */
	memset(buf, 0x5a, sizeof buf);
	msg_data_header_put(buf + MSG_RELAY_HEADER_LEN, &h);
	msg_relay_header_put(buf, a, b);
	assert_int_equal(msg_classify(buf, sizeof buf), MSG_CLASS_RELAY);
	assert_true(msg_relay_view(buf, sizeof buf, MSG_CLASS_RELAY, &v));
	assert_memory_equal(v.src, a, sizeof a);
	assert_memory_equal(v.dst, b, sizeof b);
	assert_ptr_equal(v.inner, buf + 20);
	assert_int_equal(v.inner_len, MSG_DATA_MIN_LEN);
	assert_memory_equal(buf, "\x05\0\0\0\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a",
			    14);

	/* RELAYED: the base swaps the 20-byte header for a 12-byte one. */
	len = sizeof buf - (MSG_RELAY_HEADER_LEN - MSG_RELAYED_HEADER_LEN);
	msg_relayed_header_put(buf + 8, a);
	assert_int_equal(msg_classify(buf + 8, len), MSG_CLASS_RELAYED);
	assert_true(msg_relay_view(buf + 8, len, MSG_CLASS_RELAYED, &v));
	assert_memory_equal(v.src, a, sizeof a);
	assert_null(v.dst);
	assert_ptr_equal(v.inner, buf + 20);
	assert_int_equal(v.inner_len, MSG_DATA_MIN_LEN);

	assert_false(msg_relay_view(buf, sizeof buf, MSG_CLASS_DATA, &v));
}

static void test_punch(void **state)
{
	uint8_t p1[MSG_PUNCH_LEN], p2[MSG_PUNCH_LEN];

	(void)state;
	msg_punch_put(p1);
	msg_punch_put(p2);
	assert_int_equal(msg_classify(p1, sizeof p1), MSG_CLASS_PUNCH);
	assert_memory_not_equal(p1 + 4, p2 + 4, MSG_PUNCH_RANDOM_LEN);
}

/* ---- TCP reassembler --------------------------------------------------- */

enum { N_FRAMES = 64 };

static struct {
	uint8_t bytes[N_FRAMES * (MSG_STREAM_PREFIX_LEN + MSG_STREAM_MAX_FRAME) + 16];
	size_t len;
	size_t frame_off[N_FRAMES], frame_len[N_FRAMES];
	size_t n;
} wire;

static uint8_t got_bytes[sizeof wire.bytes];
static size_t got_len[N_FRAMES + 1], got_n;

/* n random frames: lengths 1, 2, the maximum, and random ones. */
static void make_stream(uint64_t *rng, size_t n)
{
	wire.len = 0;
	wire.n = n;
	for (size_t i = 0; i < n; i++) {
		size_t len = i == 0   ? 1
			     : i == 1 ? MSG_STREAM_MAX_FRAME
			     : i == 2 ? 2
				      : 1 + splitmix64(rng) % MSG_STREAM_MAX_FRAME;

		assert_true(msg_stream_prefix_put(wire.bytes + wire.len, len));
		wire.frame_off[i] = wire.len + MSG_STREAM_PREFIX_LEN;
		wire.frame_len[i] = len;
		randombytes_buf(wire.bytes + wire.frame_off[i], len);
		wire.len += MSG_STREAM_PREFIX_LEN + len;
	}
}

/*
 * Feed wire.bytes in chunks (chunk 0: random sizes; otherwise that size);
 * collect the frames into got_*.  Returns the last result.
 */
static enum msg_stream_result feed_all(struct msg_stream *s, uint64_t *rng, size_t chunk)
{
	enum msg_stream_result r = MSG_STREAM_MORE;
	size_t off = 0, out = 0;

	got_n = 0;
	while (off < wire.len) {
		size_t n = chunk ? chunk : 1 + splitmix64(rng) % 3000, used;

		if (n > wire.len - off)
			n = wire.len - off;
		for (size_t pos = 0; pos < n;) {
			uint8_t *frame;
			size_t flen;

			r = msg_stream_feed(s, wire.bytes + off + pos, n - pos, &used,
					    &frame, &flen);
			assert_true(used <= n - pos);
			pos += used;
			if (r == MSG_STREAM_ERROR)
				return r;
			if (r == MSG_STREAM_MORE) {
				assert_int_equal(pos, n);
				assert_null(frame);
				continue;
			}
			assert_true(got_n < N_FRAMES);
			memcpy(got_bytes + out, frame, flen);
			got_len[got_n++] = flen;
			out += flen;
		}
		off += n;
	}
	return r;
}

static void check_frames(void)
{
	size_t out = 0;

	assert_int_equal(got_n, wire.n);
	for (size_t i = 0; i < wire.n; i++) {
		assert_int_equal(got_len[i], wire.frame_len[i]);
		assert_memory_equal(got_bytes + out, wire.bytes + wire.frame_off[i],
				    wire.frame_len[i]);
		out += wire.frame_len[i];
	}
}

static void test_stream_splits(void **state)
{
	static struct msg_stream s;
	uint64_t rng = 42;
	static const size_t chunks[] = {1,
					2,
					3,
					MSG_STREAM_PREFIX_LEN + 1,
					1000,
					MSG_STREAM_MAX_FRAME + 2,
					sizeof wire.bytes};

	(void)state;
	for (int round = 0; round < 20; round++) {
		make_stream(&rng, round < 10 ? N_FRAMES : 1 + round);
		for (size_t c = 0; c < sizeof chunks / sizeof chunks[0]; c++) {
			msg_stream_init(&s);
			assert_int_equal(feed_all(&s, &rng, chunks[c]), MSG_STREAM_FRAME);
			check_frames();
		}
		for (int k = 0; k < 5; k++) {
			msg_stream_init(&s);
			assert_int_equal(feed_all(&s, &rng, 0), MSG_STREAM_FRAME);
			check_frames();
		}
	}
}

/* A bad length poisons the stream; the frames before it still come out. */
static void test_stream_poison(void **state)
{
	static struct msg_stream s;
	static const uint16_t bad[] = {0, MSG_STREAM_MAX_FRAME + 1, UINT16_MAX};
	uint64_t rng = 7;

	(void)state;
	for (size_t b = 0; b < sizeof bad / sizeof bad[0]; b++) {
		for (size_t chunk = 1; chunk <= 4; chunk += 3) {
			uint8_t *frame = (uint8_t *)&frame;
			size_t used = 99, flen = 99;

			make_stream(&rng, 3);
			store_be16(wire.bytes + wire.len, bad[b]);
			memset(wire.bytes + wire.len + 2, 0, 8);
			wire.len += 10;
			msg_stream_init(&s);
			assert_int_equal(feed_all(&s, &rng, chunk), MSG_STREAM_ERROR);
			check_frames();
			/* Stays poisoned: nothing consumed, no frame. */
			assert_int_equal(
			    msg_stream_feed(&s, wire.bytes, 40, &used, &frame, &flen),
			    MSG_STREAM_ERROR);
			assert_int_equal(used, 0);
			assert_null(frame);
			assert_int_equal(flen, 0);
			msg_stream_init(&s);
			assert_int_equal(
			    msg_stream_feed(&s, wire.bytes, 1, &used, &frame, &flen),
			    MSG_STREAM_MORE);
		}
	}
}

static void test_stream_prefix_put(void **state)
{
	uint8_t p[2];

	(void)state;
	assert_false(msg_stream_prefix_put(p, 0));
	assert_false(msg_stream_prefix_put(p, MSG_STREAM_MAX_FRAME + 1));
	assert_true(msg_stream_prefix_put(p, MSG_STREAM_MAX_FRAME));
	assert_int_equal(load_be16(p), MSG_STREAM_MAX_FRAME);
	assert_true(msg_stream_prefix_put(p, 0x0102));
	assert_int_equal(p[0], 1);
	assert_int_equal(p[1], 2);
}

/* An empty feed is harmless, before and after a frame. */
static void test_stream_empty_feed(void **state)
{
	static struct msg_stream s;
	static const uint8_t rec[] = {0, 3, 'a', 'b', 'c'};
	uint8_t *frame;
	size_t used, flen;

	(void)state;
	msg_stream_init(&s);
	assert_int_equal(msg_stream_feed(&s, rec, 0, &used, &frame, &flen),
			 MSG_STREAM_MORE);
	assert_int_equal(msg_stream_feed(&s, rec, 2, &used, &frame, &flen),
			 MSG_STREAM_MORE);
	assert_int_equal(msg_stream_feed(&s, rec + 2, 0, &used, &frame, &flen),
			 MSG_STREAM_MORE);
	assert_int_equal(msg_stream_feed(&s, rec + 2, 3, &used, &frame, &flen),
			 MSG_STREAM_FRAME);
	assert_int_equal(used, 3);
	assert_int_equal(flen, 3);
	assert_memory_equal(frame, "abc", 3);
	assert_int_equal(msg_stream_feed(&s, rec, 0, &used, &frame, &flen),
			 MSG_STREAM_MORE);
	assert_int_equal(msg_stream_feed(&s, rec, sizeof rec, &used, &frame, &flen),
			 MSG_STREAM_FRAME);
	assert_memory_equal(frame, "abc", 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_classify_table),
	    cmocka_unit_test(test_classify_exact_lengths),
	    cmocka_unit_test(test_class_names),
	    cmocka_unit_test(test_data_header),
	    cmocka_unit_test(test_receiver_and_sender),
	    cmocka_unit_test(test_relay_frames),
	    cmocka_unit_test(test_punch),
	    cmocka_unit_test(test_stream_splits),
	    cmocka_unit_test(test_stream_poison),
	    cmocka_unit_test(test_stream_prefix_put),
	    cmocka_unit_test(test_stream_empty_feed),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
