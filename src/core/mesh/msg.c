/*
 * Mesh message classifier, field helpers and TCP framing (see msg.h).
 *
 * The classifier's order is fixed and cheap: length of the common header,
 * type, reserved bytes, then the length for the type; for a relay frame the
 * same again on its inner message, which must be a peer message (0x01-0x04).
 * Nothing is read past len, so a caller may hand it a truncated buffer.
 */
#include "core/mesh/msg.h"

#include <string.h>

#include <sodium.h>

struct type_bounds {
	size_t min, max; /* equal for the fixed-length types */
};

static const struct type_bounds bounds[] = {
    [MSG_HS_INIT] = {MSG_HS_INIT_LEN, MSG_HS_INIT_LEN},
    [MSG_HS_RESP] = {MSG_HS_RESP_LEN, MSG_HS_RESP_LEN},
    [MSG_COOKIE_REPLY] = {MSG_COOKIE_REPLY_LEN, MSG_COOKIE_REPLY_LEN},
    [MSG_DATA] = {MSG_DATA_MIN_LEN, MSG_DATA_MAX_LEN},
    [MSG_RELAY] = {MSG_RELAY_HEADER_LEN + MSG_INNER_MIN_LEN,
		   MSG_RELAY_HEADER_LEN + MSG_INNER_MAX_LEN},
    [MSG_RELAYED] = {MSG_RELAYED_HEADER_LEN + MSG_INNER_MIN_LEN,
		     MSG_RELAYED_HEADER_LEN + MSG_INNER_MAX_LEN},
    [MSG_PUNCH] = {MSG_PUNCH_LEN, MSG_PUNCH_LEN},
};

enum { N_TYPES = sizeof bounds / sizeof bounds[0] };
_Static_assert(N_TYPES == MSG_PUNCH + 1, "a bound for every type");

static const char *const names[MSG_CLASS_END] = {[MSG_CLASS_HS_INIT] = "hs_init",
						 [MSG_CLASS_HS_RESP] = "hs_resp",
						 [MSG_CLASS_COOKIE_REPLY] =
						     "cookie_reply",
						 [MSG_CLASS_DATA] = "data",
						 [MSG_CLASS_RELAY] = "relay",
						 [MSG_CLASS_RELAYED] = "relayed",
						 [MSG_CLASS_PUNCH] = "punch",
#define MSG_DROP_NAME(up, low) [MSG_DROP_##up] = #low,
						 MSG_DROP_REASONS(MSG_DROP_NAME)
#undef MSG_DROP_NAME
};

const char *msg_class_name(enum msg_class c)
{
	if ((unsigned)c >= MSG_CLASS_END || names[c] == NULL)
		return "?";
	return names[c];
}

/* Common header and length; relay frames are not looked into. */
static enum msg_class classify_one(const uint8_t *buf, size_t len)
{
	uint8_t type;

	if (len < MSG_COMMON_LEN)
		return MSG_DROP_TOO_SHORT;
	type = buf[MSG_OFF_TYPE];
	if (type == 0 || type >= N_TYPES)
		return MSG_DROP_UNKNOWN_TYPE;
	if ((buf[1] | buf[2] | buf[3]) != 0)
		return MSG_DROP_BAD_RESERVED;
	if (len < bounds[type].min || len > bounds[type].max)
		return MSG_DROP_BAD_LENGTH;
	return (enum msg_class)type;
}

static bool is_peer_message(enum msg_class c)
{
	return c == MSG_CLASS_HS_INIT || c == MSG_CLASS_HS_RESP ||
	       c == MSG_CLASS_COOKIE_REPLY || c == MSG_CLASS_DATA;
}

enum msg_class msg_classify(const uint8_t *buf, size_t len)
{
	enum msg_class c = classify_one(buf, len);
	size_t hdr;

	if (c == MSG_CLASS_RELAY)
		hdr = MSG_RELAY_HEADER_LEN;
	else if (c == MSG_CLASS_RELAYED)
		hdr = MSG_RELAYED_HEADER_LEN;
	else
		return c;
	/* The outer bounds guarantee len - hdr is within the inner bounds. */
	if (!is_peer_message(classify_one(buf + hdr, len - hdr)))
		return MSG_DROP_BAD_INNER;
	return c;
}

void msg_common_put(uint8_t out[MSG_COMMON_LEN], enum msg_type type)
{
	out[MSG_OFF_TYPE] = (uint8_t)type;
	memset(out + MSG_OFF_RESERVED, 0, MSG_RESERVED_LEN);
}

uint32_t msg_receiver(const uint8_t *msg, enum msg_class type)
{
	switch (type) {
	case MSG_CLASS_HS_RESP:
		return load_be32(msg + MSG_HS_RESP_OFF_RECEIVER);
	case MSG_CLASS_COOKIE_REPLY:
		return load_be32(msg + MSG_COOKIE_OFF_RECEIVER);
	case MSG_CLASS_DATA:
		return load_be32(msg + MSG_DATA_OFF_RECEIVER);
	default:
		return 0;
	}
}

void msg_data_header_put(uint8_t out[MSG_DATA_HEADER_LEN],
			 const struct msg_data_header *h)
{
	msg_common_put(out, MSG_DATA);
	store_be32(out + MSG_DATA_OFF_RECEIVER, h->receiver);
	store_be64(out + MSG_DATA_OFF_COUNTER, h->counter);
}

void msg_data_header_get(struct msg_data_header *h, const uint8_t in[MSG_DATA_HEADER_LEN])
{
	h->receiver = load_be32(in + MSG_DATA_OFF_RECEIVER);
	h->counter = load_be64(in + MSG_DATA_OFF_COUNTER);
}

void msg_relay_header_put(uint8_t out[MSG_RELAY_HEADER_LEN], const msg_relay_id src,
			  const msg_relay_id dst)
{
	msg_common_put(out, MSG_RELAY);
	memcpy(out + MSG_RELAY_OFF_SRC, src, MSG_RELAY_ID_LEN);
	memcpy(out + MSG_RELAY_OFF_DST, dst, MSG_RELAY_ID_LEN);
}

void msg_relayed_header_put(uint8_t out[MSG_RELAYED_HEADER_LEN], const msg_relay_id src)
{
	msg_common_put(out, MSG_RELAYED);
	memcpy(out + MSG_RELAYED_OFF_SRC, src, MSG_RELAY_ID_LEN);
}

bool msg_relay_view(const uint8_t *buf, size_t len, enum msg_class type,
		    struct msg_relay_view *v)
{
	size_t hdr;

	if (type == MSG_CLASS_RELAY) {
		hdr = MSG_RELAY_HEADER_LEN;
		v->dst = buf + MSG_RELAY_OFF_DST;
	} else if (type == MSG_CLASS_RELAYED) {
		hdr = MSG_RELAYED_HEADER_LEN;
		v->dst = NULL;
	} else {
		return false;
	}
	if (len < hdr)
		return false;
	v->src = buf + MSG_COMMON_LEN;
	v->inner = buf + hdr;
	v->inner_len = len - hdr;
	return true;
}

void msg_punch_put(uint8_t out[MSG_PUNCH_LEN])
{
	msg_common_put(out, MSG_PUNCH);
	randombytes_buf(out + MSG_COMMON_LEN, MSG_PUNCH_RANDOM_LEN);
}

/* ---- TCP stream framing ---------------------------------------------- */

void msg_stream_init(struct msg_stream *s)
{
	s->have_prefix = 0;
	s->frame_len = 0;
	s->have = 0;
	s->poisoned = false;
}

bool msg_stream_prefix_put(uint8_t out[MSG_STREAM_PREFIX_LEN], size_t frame_len)
{
	if (frame_len == 0 || frame_len > MSG_STREAM_MAX_FRAME)
		return false;
	store_be16(out, (uint16_t)frame_len);
	return true;
}

enum msg_stream_result msg_stream_feed(struct msg_stream *s, const uint8_t *in,
				       size_t len, size_t *consumed, uint8_t **frame,
				       size_t *frame_len)
{
	size_t used = 0, take;

	*consumed = 0;
	*frame = NULL;
	*frame_len = 0;
	if (s->poisoned)
		return MSG_STREAM_ERROR;
	/* A frame handed out by the previous call is done with. */
	if (s->have_prefix == MSG_STREAM_PREFIX_LEN && s->have == s->frame_len) {
		s->have_prefix = 0;
		s->have = 0;
	}
	while (s->have_prefix < MSG_STREAM_PREFIX_LEN) {
		if (used == len) {
			*consumed = used;
			return MSG_STREAM_MORE;
		}
		s->prefix[s->have_prefix++] = in[used++];
	}
	if (s->have == 0) {
		s->frame_len = load_be16(s->prefix);
		if (s->frame_len == 0 || s->frame_len > MSG_STREAM_MAX_FRAME) {
			s->poisoned = true;
			*consumed = used;
			return MSG_STREAM_ERROR;
		}
	}
	take = s->frame_len - s->have;
	if (take > len - used)
		take = len - used;
	memcpy(s->buf + s->have, in + used, take);
	s->have += take;
	used += take;
	*consumed = used;
	if (s->have < s->frame_len)
		return MSG_STREAM_MORE;
	*frame = s->buf;
	*frame_len = s->frame_len;
	return MSG_STREAM_FRAME;
}
