/*
 * Mesh message classifier and TCP reassembler (core/mesh/msg.c) on
 * arbitrary bytes.
 *
 * Invariants:
 *  - msg_classify: the verdict is a type or a drop reason and has a name;
 *    it agrees with an oracle written here from the layout constants
 *    (too short, unknown type, reserved, length bounds, relay inner);
 *  - raw stream: the input, fed as a TCP byte stream in input-derived
 *    chunks, gives exactly the frames an independent walk of the
 *    `u16 BE length ‖ frame` records finds, at their offsets, and poisons
 *    exactly where that walk meets a length of 0 or above the maximum;
 *    after that every feed consumes nothing and returns an error;
 *  - well-formed stream: frames cut from the input and framed with
 *    msg_stream_prefix_put come out one for one, byte for byte, in order,
 *    whatever the chunking (one byte at a time included).
 * Every frame handed out is copied to an exact-size heap buffer and
 * classified there, so ASan sees any read past its end.
 */
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "core/mesh/msg.h"

static struct msg_stream stream;

/* Chunk sizes from a tiny LCG seeded by the input: deterministic per input. */
static size_t next_chunk(uint32_t *x, size_t left)
{
	size_t n;

	*x = *x * 1103515245u + 12345u;
	switch ((*x >> 16) % 4) {
	case 0:
		n = 1;
		break;
	case 1:
		n = 1 + (*x >> 8) % 7;
		break;
	case 2:
		n = 1 + (*x >> 4) % (2 * MSG_STREAM_MAX_FRAME);
		break;
	default:
		n = left;
		break;
	}
	return n > left ? left : n;
}

/* The oracle: what the classifier must say, from the layout constants. */
static enum msg_class oracle_one(const uint8_t *b, size_t len, bool relay_inner)
{
	size_t min, max;

	if (len < MSG_COMMON_LEN)
		return MSG_DROP_TOO_SHORT;
	switch (b[0]) {
	case MSG_HS_INIT:
		min = max = MSG_HS_INIT_LEN;
		break;
	case MSG_HS_RESP:
		min = max = MSG_HS_RESP_LEN;
		break;
	case MSG_COOKIE_REPLY:
		min = max = MSG_COOKIE_REPLY_LEN;
		break;
	case MSG_DATA:
		min = MSG_DATA_HEADER_LEN + MSG_TAG_LEN;
		max = min + MSG_DATA_MAX_PLAINTEXT;
		break;
	case MSG_RELAY:
		min = 20 + 32;
		max = 20 + 32 + MSG_DATA_MAX_PLAINTEXT;
		break;
	case MSG_RELAYED:
		min = 12 + 32;
		max = 12 + 32 + MSG_DATA_MAX_PLAINTEXT;
		break;
	case MSG_PUNCH:
		min = max = 32;
		break;
	default:
		return MSG_DROP_UNKNOWN_TYPE;
	}
	if (b[1] || b[2] || b[3])
		return MSG_DROP_BAD_RESERVED;
	if (len < min || len > max)
		return MSG_DROP_BAD_LENGTH;
	if (relay_inner && b[0] > MSG_DATA)
		return MSG_DROP_BAD_INNER;
	if (b[0] == MSG_RELAY || b[0] == MSG_RELAYED) {
		size_t hdr = b[0] == MSG_RELAY ? 20 : 12;

		if (msg_class_is_drop(oracle_one(b + hdr, len - hdr, true)))
			return MSG_DROP_BAD_INNER;
	}
	return (enum msg_class)b[0];
}

static void check_classify(const uint8_t *data, size_t size)
{
	uint8_t *copy = malloc(size ? size : 1);
	enum msg_class c, want;
	struct msg_relay_view v;

	if (!copy)
		return;
	if (size)
		memcpy(copy, data, size);
	c = msg_classify(copy, size);
	want = oracle_one(copy, size, false);
	FUZZ_CHECK(c > 0 && c < MSG_CLASS_END, "verdict %d out of range", (int)c);
	FUZZ_CHECK(strcmp(msg_class_name(c), "?") != 0, "verdict %d has no name", (int)c);
	FUZZ_CHECK(c == want, "len %zu type 0x%02x: classify says %s, oracle %s", size,
		   size ? copy[0] : 0, msg_class_name(c), msg_class_name(want));
	if (c == MSG_CLASS_RELAY || c == MSG_CLASS_RELAYED) {
		FUZZ_CHECK(msg_relay_view(copy, size, c, &v), "relay view refused");
		FUZZ_CHECK(v.inner + v.inner_len == copy + size,
			   "inner does not end the frame");
		FUZZ_CHECK(v.inner_len >= MSG_INNER_MIN_LEN &&
			       v.inner_len <= MSG_INNER_MAX_LEN,
			   "inner length %zu", v.inner_len);
	}
	free(copy);
}

/* Copy a frame out of the stream's buffer to an exact-size one, classify. */
static void touch_frame(const uint8_t *frame, size_t len)
{
	FUZZ_CHECK(len >= 1 && len <= MSG_STREAM_MAX_FRAME, "frame length %zu", len);
	check_classify(frame, len);
}

/* The raw input as a TCP byte stream, against an independent record walk. */
static void check_raw_stream(const uint8_t *data, size_t size, uint32_t seed)
{
	size_t off = 0, walk = 0, frames = 0;
	bool poisoned = false;

	msg_stream_init(&stream);
	while (off < size) {
		size_t n = next_chunk(&seed, size - off), pos = 0;

		while (pos < n) {
			uint8_t *frame = NULL;
			size_t used = 0, flen = 0, rec;
			enum msg_stream_result r = msg_stream_feed(
			    &stream, data + off + pos, n - pos, &used, &frame, &flen);

			FUZZ_CHECK(used <= n - pos, "consumed %zu of %zu", used, n - pos);
			if (poisoned) {
				FUZZ_CHECK(r == MSG_STREAM_ERROR && used == 0 && !frame,
					   "a poisoned stream went on (result %d)",
					   (int)r);
				break;
			}
			pos += used;
			if (r == MSG_STREAM_MORE) {
				FUZZ_CHECK(pos == n && !frame,
					   "MORE before the chunk's end");
				break;
			}
			/* The walk's next record starts at `walk`. */
			FUZZ_CHECK(walk + 2 <= size, "result %d with no record at %zu",
				   (int)r, walk);
			rec = (size_t)data[walk] << 8 | data[walk + 1];
			if (r == MSG_STREAM_ERROR) {
				FUZZ_CHECK(rec == 0 || rec > MSG_STREAM_MAX_FRAME,
					   "error on length %zu at %zu", rec, walk);
				FUZZ_CHECK(off + pos == walk + 2,
					   "error at %zu, prefix ends %zu", off + pos,
					   walk + 2);
				poisoned = true;
				break;
			}
			FUZZ_CHECK(rec >= 1 && rec <= MSG_STREAM_MAX_FRAME,
				   "frame of length %zu", rec);
			FUZZ_CHECK(
			    flen == rec && off + pos == walk + 2 + rec,
			    "frame %zu: length %zu ends at %zu, walk says %zu at %zu",
			    frames, flen, off + pos, rec, walk + 2 + rec);
			FUZZ_CHECK(memcmp(frame, data + walk + 2, rec) == 0,
				   "frame %zu bytes", frames);
			touch_frame(frame, flen);
			walk += 2 + rec;
			frames++;
		}
		if (poisoned && pos < n)
			break;
		off += n;
	}
	/*
	 * Not poisoned: the walk's next record, if its prefix is in, has a
	 * good length (a bad one would have poisoned) and is incomplete
	 * (a complete one would have come out).
	 */
	if (!poisoned && walk + 2 <= size) {
		size_t rec = (size_t)data[walk] << 8 | data[walk + 1];

		FUZZ_CHECK(rec >= 1 && rec <= MSG_STREAM_MAX_FRAME,
			   "bad length %zu at %zu did not poison", rec, walk);
		FUZZ_CHECK(walk + 2 + rec > size, "complete record at %zu never came out",
			   walk);
	}
}

static uint8_t framed[2 * 65536 + 4096];
static size_t cut_off[4096], cut_len[4096];

/* Frames cut from the input, framed correctly: all must come out as they went in. */
static void check_wellformed(const uint8_t *data, size_t size, uint32_t seed)
{
	size_t n_frames = 0, flen = 0, in = 0, out = 0, got = 0;

	while (in + 2 <= size && n_frames < 4096) {
		size_t len =
		    1 + ((size_t)data[in] << 8 | data[in + 1]) % MSG_STREAM_MAX_FRAME;

		in += 2;
		if (len > size - in)
			len = size - in;
		if (len == 0)
			break;
		FUZZ_CHECK(msg_stream_prefix_put(framed + flen, len),
			   "prefix of %zu refused", len);
		memcpy(framed + flen + 2, data + in, len);
		cut_off[n_frames] = in;
		cut_len[n_frames++] = len;
		flen += 2 + len;
		in += len;
	}
	msg_stream_init(&stream);
	while (out < flen) {
		size_t n = next_chunk(&seed, flen - out), pos = 0;

		while (pos < n) {
			uint8_t *frame;
			size_t used, fl;
			enum msg_stream_result r = msg_stream_feed(
			    &stream, framed + out + pos, n - pos, &used, &frame, &fl);

			FUZZ_CHECK(r != MSG_STREAM_ERROR,
				   "well-formed stream refused at %zu", out + pos);
			pos += used;
			if (r == MSG_STREAM_MORE)
				break;
			FUZZ_CHECK(got < n_frames, "more frames out than in");
			FUZZ_CHECK(fl == cut_len[got] &&
				       memcmp(frame, data + cut_off[got], fl) == 0,
				   "frame %zu differs (length %zu, want %zu)", got, fl,
				   cut_len[got]);
			got++;
		}
		out += n;
	}
	FUZZ_CHECK(got == n_frames, "%zu frames in, %zu out", n_frames, got);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t seed = (uint32_t)size * 2654435761u;

	for (size_t i = 0; i < size && i < 8; i++)
		seed = seed * 31 + data[size - 1 - i];
	check_classify(data, size);
	/* The same bytes seen as a relay frame's inner message. */
	if (size > MSG_RELAY_HEADER_LEN)
		check_classify(data + MSG_RELAY_HEADER_LEN, size - MSG_RELAY_HEADER_LEN);
	check_raw_stream(data, size, seed);
	check_wellformed(data, size, seed ^ 0x5a5a5a5au);
	return 0;
}
