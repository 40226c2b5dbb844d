/*
 * Mesh wire messages: every layout, size and limit, the classifier that
 * the receive path runs first, and the TCP stream framing.  Pure: buffers
 * in, verdicts out.  The design is research/mesh-design.md §1.3, §2.4 and
 * §3.3; the byte-for-byte description is docs/mesh-protocol.md.
 *
 * Every message starts with a 4-byte common header: type u8, then 3
 * reserved bytes that are zero on send and checked on receive.  Every wire
 * integer is big-endian (core/byteorder.h).  HS_INIT, HS_RESP, COOKIE_REPLY
 * and PUNCH have one exact length; DATA, RELAY and RELAYED a minimum and a
 * maximum.  RELAY and RELAYED carry one peer message (0x01-0x04), which the
 * classifier checks as well, so a relay frame is never nested.
 */
#ifndef SUBNETRA_MESH_MSG_H
#define SUBNETRA_MESH_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/bytes/byteorder.h"

enum msg_type {
	MSG_HS_INIT = 0x01,
	MSG_HS_RESP = 0x02,
	MSG_COOKIE_REPLY = 0x03,
	MSG_DATA = 0x04,
	MSG_RELAY = 0x05,
	MSG_RELAYED = 0x06,
	MSG_PUNCH = 0x07,
};

enum {
	/* Common header. */
	MSG_OFF_TYPE = 0,
	MSG_OFF_RESERVED = 1,
	MSG_RESERVED_LEN = 3,
	MSG_COMMON_LEN = 4,

	MSG_INDEX_LEN = 4,
	MSG_KEY_LEN = 32, /* X25519 public key */
	MSG_TAG_LEN = 16, /* Poly1305 */
	MSG_MAC_LEN = 16, /* mac1, mac2: BLAKE2b-128 */
	MSG_COOKIE_LEN = 16,
	MSG_MACS_LEN = 2 * MSG_MAC_LEN, /* mac1 ‖ mac2, the last 32 bytes */

	/* HS_INIT (0x01): Noise IKpsk2 message 1. */
	MSG_HS_INIT_PAYLOAD_LEN = 32 + 12 + 4, /* ed_pk ‖ TAI64N ‖ flags */
	MSG_HS_INIT_OFF_SENDER = MSG_COMMON_LEN,
	MSG_HS_INIT_OFF_EPHEMERAL = MSG_HS_INIT_OFF_SENDER + MSG_INDEX_LEN,
	MSG_HS_INIT_OFF_STATIC = MSG_HS_INIT_OFF_EPHEMERAL + MSG_KEY_LEN,
	MSG_HS_INIT_OFF_PAYLOAD = MSG_HS_INIT_OFF_STATIC + MSG_KEY_LEN + MSG_TAG_LEN,
	MSG_HS_INIT_OFF_MAC1 =
	    MSG_HS_INIT_OFF_PAYLOAD + MSG_HS_INIT_PAYLOAD_LEN + MSG_TAG_LEN,
	MSG_HS_INIT_OFF_MAC2 = MSG_HS_INIT_OFF_MAC1 + MSG_MAC_LEN,
	MSG_HS_INIT_LEN = MSG_HS_INIT_OFF_MAC2 + MSG_MAC_LEN,

	/* HS_RESP (0x02): Noise IKpsk2 message 2. */
	MSG_HS_RESP_PAYLOAD_LEN = 4, /* flags */
	MSG_HS_RESP_OFF_SENDER = MSG_COMMON_LEN,
	MSG_HS_RESP_OFF_RECEIVER = MSG_HS_RESP_OFF_SENDER + MSG_INDEX_LEN,
	MSG_HS_RESP_OFF_EPHEMERAL = MSG_HS_RESP_OFF_RECEIVER + MSG_INDEX_LEN,
	MSG_HS_RESP_OFF_PAYLOAD = MSG_HS_RESP_OFF_EPHEMERAL + MSG_KEY_LEN,
	MSG_HS_RESP_OFF_MAC1 =
	    MSG_HS_RESP_OFF_PAYLOAD + MSG_HS_RESP_PAYLOAD_LEN + MSG_TAG_LEN,
	MSG_HS_RESP_OFF_MAC2 = MSG_HS_RESP_OFF_MAC1 + MSG_MAC_LEN,
	MSG_HS_RESP_LEN = MSG_HS_RESP_OFF_MAC2 + MSG_MAC_LEN,

	/* COOKIE_REPLY (0x03). */
	MSG_COOKIE_NONCE_LEN = 24, /* XChaCha20-Poly1305 */
	MSG_COOKIE_OFF_RECEIVER = MSG_COMMON_LEN,
	MSG_COOKIE_OFF_NONCE = MSG_COOKIE_OFF_RECEIVER + MSG_INDEX_LEN,
	MSG_COOKIE_OFF_SEALED = MSG_COOKIE_OFF_NONCE + MSG_COOKIE_NONCE_LEN,
	MSG_COOKIE_REPLY_LEN = MSG_COOKIE_OFF_SEALED + MSG_COOKIE_LEN + MSG_TAG_LEN,

	/* DATA (0x04): header, then the AEAD of the plaintext (AD = header). */
	MSG_DATA_OFF_RECEIVER = MSG_COMMON_LEN,
	MSG_DATA_OFF_COUNTER = MSG_DATA_OFF_RECEIVER + MSG_INDEX_LEN,
	MSG_DATA_HEADER_LEN = MSG_DATA_OFF_COUNTER + 8,
	MSG_DATA_MIN_LEN = MSG_DATA_HEADER_LEN + MSG_TAG_LEN, /* a keepalive */
	/* An inner IP packet of up to 1500 bytes (or a padded PMTU probe). */
	MSG_DATA_MAX_PLAINTEXT = 1500,
	MSG_DATA_MAX_LEN = MSG_DATA_MIN_LEN + MSG_DATA_MAX_PLAINTEXT,

	/* RELAY (0x05), node -> base; RELAYED (0x06), base -> node. */
	MSG_RELAY_ID_LEN = 8,
	MSG_RELAY_OFF_SRC = MSG_COMMON_LEN,
	MSG_RELAY_OFF_DST = MSG_RELAY_OFF_SRC + MSG_RELAY_ID_LEN,
	MSG_RELAY_HEADER_LEN = MSG_RELAY_OFF_DST + MSG_RELAY_ID_LEN,
	MSG_RELAYED_OFF_SRC = MSG_COMMON_LEN,
	MSG_RELAYED_HEADER_LEN = MSG_RELAYED_OFF_SRC + MSG_RELAY_ID_LEN,
	/* The smallest and largest peer message a relay frame carries. */
	MSG_INNER_MIN_LEN = MSG_DATA_MIN_LEN,
	MSG_INNER_MAX_LEN = MSG_DATA_MAX_LEN,

	/* PUNCH (0x07): common header and random bytes, unauthenticated. */
	MSG_PUNCH_LEN = 32,
	MSG_PUNCH_RANDOM_LEN = MSG_PUNCH_LEN - MSG_COMMON_LEN,

	/* The largest datagram of any type: a RELAY of the largest DATA. */
	MSG_MAX_LEN = MSG_RELAY_HEADER_LEN + MSG_INNER_MAX_LEN,

	/* TCP fallback: u16 BE length ‖ frame, 1 <= length <= MSG_MAX_LEN. */
	MSG_STREAM_PREFIX_LEN = 2,
	MSG_STREAM_MAX_FRAME = MSG_MAX_LEN,
};

_Static_assert(MSG_HS_INIT_OFF_SENDER == 4 && MSG_HS_INIT_OFF_EPHEMERAL == 8 &&
		   MSG_HS_INIT_OFF_STATIC == 40 && MSG_HS_INIT_OFF_PAYLOAD == 88 &&
		   MSG_HS_INIT_OFF_MAC1 == 152 && MSG_HS_INIT_OFF_MAC2 == 168,
	       "HS_INIT offsets as in the design (§1.3)");
_Static_assert(MSG_HS_INIT_LEN == 184, "HS_INIT is 184 bytes");
_Static_assert(MSG_HS_RESP_OFF_RECEIVER == 8 && MSG_HS_RESP_OFF_EPHEMERAL == 12 &&
		   MSG_HS_RESP_OFF_PAYLOAD == 44 && MSG_HS_RESP_OFF_MAC1 == 64 &&
		   MSG_HS_RESP_OFF_MAC2 == 80,
	       "HS_RESP offsets as in the design (§1.3)");
_Static_assert(MSG_HS_RESP_LEN == 96, "HS_RESP is 96 bytes");
_Static_assert(MSG_HS_INIT_OFF_SENDER == MSG_HS_RESP_OFF_SENDER,
	       "both handshake messages carry the sender index at offset 4");
_Static_assert(MSG_COOKIE_OFF_NONCE == 8 && MSG_COOKIE_OFF_SEALED == 32,
	       "COOKIE_REPLY offsets as in the design (§1.3)");
_Static_assert(MSG_COOKIE_REPLY_LEN == 64, "COOKIE_REPLY is 64 bytes");
_Static_assert(MSG_COOKIE_REPLY_LEN <= MSG_HS_RESP_LEN &&
		   MSG_HS_RESP_LEN <= MSG_HS_INIT_LEN,
	       "a cookie reply is never larger than the message it answers");
_Static_assert(MSG_HS_INIT_OFF_MAC2 + MSG_MAC_LEN == MSG_HS_INIT_LEN &&
		   MSG_HS_RESP_OFF_MAC2 + MSG_MAC_LEN == MSG_HS_RESP_LEN &&
		   MSG_HS_INIT_OFF_MAC1 + MSG_MACS_LEN == MSG_HS_INIT_LEN,
	       "mac1 ‖ mac2 are the last 32 bytes of a handshake message");
_Static_assert(MSG_DATA_HEADER_LEN == 16 && MSG_DATA_MIN_LEN == 32, "DATA header");
_Static_assert(MSG_RELAY_HEADER_LEN == 20 && MSG_RELAYED_HEADER_LEN == 12,
	       "relay headers as in the design (§2.4)");
_Static_assert(MSG_INNER_MIN_LEN <= MSG_COOKIE_REPLY_LEN &&
		   MSG_HS_INIT_LEN <= MSG_INNER_MAX_LEN,
	       "every peer message fits the inner bounds");
_Static_assert(MSG_MAX_LEN == 1552, "largest mesh datagram");
_Static_assert(MSG_STREAM_MAX_FRAME <= UINT16_MAX, "a frame length fits the u16 prefix");

/*
 * The classifier's verdict: a message type (the type byte, 1..7) or a drop
 * reason.  MSG_DROP_REASONS is the one list of reasons: the enum and the
 * names (stable, for counters such as drop_mesh_bad_length) come from it.
 */
#define MSG_DROP_REASONS(X)                                                              \
	X(TOO_SHORT, too_short)	      /* under the 4-byte common header */               \
	X(UNKNOWN_TYPE, unknown_type) /* type byte 0 or above 0x07 */                    \
	X(BAD_RESERVED, bad_reserved) /* a reserved byte is not zero */                  \
	X(BAD_LENGTH, bad_length)     /* not the length (or range) of its type */        \
	X(BAD_INNER, bad_inner)	      /* a relay frame's inner is not a peer message */

enum msg_class {
	MSG_CLASS_HS_INIT = MSG_HS_INIT,
	MSG_CLASS_HS_RESP = MSG_HS_RESP,
	MSG_CLASS_COOKIE_REPLY = MSG_COOKIE_REPLY,
	MSG_CLASS_DATA = MSG_DATA,
	MSG_CLASS_RELAY = MSG_RELAY,
	MSG_CLASS_RELAYED = MSG_RELAYED,
	MSG_CLASS_PUNCH = MSG_PUNCH,
#define MSG_DROP_ENUM(up, low) MSG_DROP_##up,
	MSG_DROP_REASONS(MSG_DROP_ENUM)
#undef MSG_DROP_ENUM
	    MSG_CLASS_END,
	MSG_CLASS_FIRST_DROP = MSG_CLASS_PUNCH + 1,
};

static inline bool msg_class_is_drop(enum msg_class c)
{
	return c >= MSG_CLASS_FIRST_DROP;
}

/*
 * What buf[0..len) is: its type when the type is known, the reserved bytes
 * are zero and the length fits the type (for RELAY and RELAYED, the inner
 * message too); otherwise the first reason, in the order of the list above.
 * Reads only buf[0..len).
 */
enum msg_class msg_classify(const uint8_t *buf, size_t len);

/* "hs_init" ... "punch", "too_short" ... "bad_inner"; "?" out of range. */
const char *msg_class_name(enum msg_class c);

/* Type byte and three zero bytes. */
void msg_common_put(uint8_t out[MSG_COMMON_LEN], enum msg_type type);

/* ---- field access (on a message msg_classify accepted as that type) ---- */

/* The sender index of an HS_INIT or HS_RESP (offset 4 in both). */
static inline uint32_t msg_hs_sender(const uint8_t *msg)
{
	return load_be32(msg + MSG_HS_INIT_OFF_SENDER);
}

/*
 * The index that selects our session: HS_RESP's receiver index, or the
 * receiver index of COOKIE_REPLY and DATA; 0 (never allocated) for other
 * types.
 */
uint32_t msg_receiver(const uint8_t *msg, enum msg_class type);

struct msg_data_header {
	uint32_t receiver;
	uint64_t counter;
};

void msg_data_header_put(uint8_t out[MSG_DATA_HEADER_LEN],
			 const struct msg_data_header *h);
void msg_data_header_get(struct msg_data_header *h,
			 const uint8_t in[MSG_DATA_HEADER_LEN]);

/*
 * Relay frames.  The sender builds the inner message at
 * buf + MSG_RELAY_HEADER_LEN (headroom) and puts the header in front of it.
 */
typedef uint8_t msg_relay_id[MSG_RELAY_ID_LEN];

struct msg_relay_view {
	const uint8_t *src; /* MSG_RELAY_ID_LEN bytes */
	const uint8_t *dst; /* RELAY only; NULL for RELAYED */
	const uint8_t *inner;
	size_t inner_len;
};

void msg_relay_header_put(uint8_t out[MSG_RELAY_HEADER_LEN], const msg_relay_id src,
			  const msg_relay_id dst);
void msg_relayed_header_put(uint8_t out[MSG_RELAYED_HEADER_LEN], const msg_relay_id src);
/*
 * Split a RELAY or RELAYED that msg_classify accepted (type given) into its
 * ids and inner message.  Returns false for any other type.
 */
bool msg_relay_view(const uint8_t *buf, size_t len, enum msg_class type,
		    struct msg_relay_view *v);

/* A PUNCH: the common header and MSG_PUNCH_RANDOM_LEN random bytes. */
void msg_punch_put(uint8_t out[MSG_PUNCH_LEN]);

/* ---- TCP stream framing ---------------------------------------------- */

/*
 * Incremental reassembler for `u16 BE length ‖ frame` records, with a fixed
 * buffer.  A length of 0 or above MSG_STREAM_MAX_FRAME poisons the stream:
 * every later feed returns MSG_STREAM_ERROR and consumes nothing, and the
 * caller closes the connection.  The frame's bytes are not classified here.
 */
struct msg_stream {
	uint8_t buf[MSG_STREAM_MAX_FRAME];
	uint8_t prefix[MSG_STREAM_PREFIX_LEN];
	size_t have_prefix; /* 0..2 bytes of the length read */
	size_t frame_len;   /* once the prefix is complete */
	size_t have;	    /* bytes of the frame in buf */
	bool poisoned;
};

enum msg_stream_result {
	MSG_STREAM_MORE,  /* all input consumed, no frame complete yet */
	MSG_STREAM_FRAME, /* *frame, *frame_len: one frame, valid until the next feed */
	MSG_STREAM_ERROR, /* bad length: the stream is poisoned */
};

void msg_stream_init(struct msg_stream *s);
/*
 * Consume in[0..len) up to the end of the next frame.  *consumed says how
 * many bytes were taken; call again with the rest until it returns MORE
 * (everything consumed) or ERROR.  The frame is writable (in-place
 * decryption) and lives in s.
 */
enum msg_stream_result msg_stream_feed(struct msg_stream *s, const uint8_t *in,
				       size_t len, size_t *consumed, uint8_t **frame,
				       size_t *frame_len);
/* Write the 2-byte prefix for a frame; false if frame_len is 0 or too long. */
bool msg_stream_prefix_put(uint8_t out[MSG_STREAM_PREFIX_LEN], size_t frame_len);

#endif
