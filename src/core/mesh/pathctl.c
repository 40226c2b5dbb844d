/*
 * Peer control codec and the DATA plaintext dispatcher (see pathctl.h).
 *
 * Decoding order, as for base control: the 4-byte header (length, type,
 * reserved), the exact length, then the fields through check(), which the
 * encoder runs too.
 */
#include "core/mesh/pathctl.h"

#include <string.h>

static const char *const names[PATHCTL_RESULT_END] = {
    [PATHCTL_OK] = "ok",
#define PATHCTL_NAME(up, low) [PATHCTL_##up] = #low,
    PATHCTL_REASONS(PATHCTL_NAME)
#undef PATHCTL_NAME
};

const char *pathctl_result_name(enum pathctl_result r)
{
	return (unsigned)r < PATHCTL_RESULT_END ? names[r] : "?";
}

static const char *const class_names[PLAIN_CLASS_END] = {
#define PLAIN_NAME(up, low) [PLAIN_##up] = #low,
    PLAIN_CLASSES(PLAIN_NAME)
#undef PLAIN_NAME
};

const char *plain_class_name(enum plain_class c)
{
	return (unsigned)c < PLAIN_CLASS_END ? class_names[c] : "?";
}

enum plain_class plain_classify(const uint8_t *buf, size_t len)
{
	if (len == 0)
		return PLAIN_KEEPALIVE;
	switch (buf[0] >> 4) {
	case 4:
		return PLAIN_IPV4;
	case 6:
		return PLAIN_IPV6;
	case 0:
		return buf[0] == 0 ? PLAIN_UNKNOWN : PLAIN_PEER_CTL;
	case 1:
	case 2:
		return PLAIN_BASE_CTL;
	default:
		return PLAIN_UNKNOWN;
	}
}

static enum pathctl_result check(const struct pathctl *m)
{
	switch (m->type) {
	case PATHCTL_PING:
		if (m->size < PATHCTL_PING_MIN_LEN || m->size > PATHCTL_PING_MAX_LEN)
			return PATHCTL_BAD_LENGTH;
		return PATHCTL_OK;
	case PATHCTL_PONG:
		return ep18_observed(&m->observed) ? PATHCTL_OK : PATHCTL_BAD_ENDPOINT;
	case PATHCTL_CALL_ME_MAYBE:
		if (m->n > PATHCTL_CMM_MAX)
			return PATHCTL_BAD_COUNT;
		switch (ep18_list_check(m->ep, m->n)) {
		case ER_OK:
			return PATHCTL_OK;
		case ER_DUPLICATE_ENDPOINT:
			return PATHCTL_DUPLICATE_ENDPOINT;
		default:
			return PATHCTL_BAD_ENDPOINT;
		}
	}
	return PATHCTL_UNKNOWN_TYPE;
}

static enum pathctl_result decode(struct pathctl *m, const uint8_t *buf, size_t len)
{
	const uint8_t *b = buf + PATHCTL_HEADER_LEN;

	if (len < PATHCTL_HEADER_LEN)
		return PATHCTL_TOO_SHORT;
	if (buf[0] < PATHCTL_PING || buf[0] > PATHCTL_CALL_ME_MAYBE)
		return PATHCTL_UNKNOWN_TYPE;
	m->type = (enum pathctl_type)buf[0];
	if ((buf[2] | buf[3]) != 0 || (m->type != PATHCTL_CALL_ME_MAYBE && buf[1] != 0))
		return PATHCTL_BAD_RESERVED;
	switch (m->type) {
	case PATHCTL_PING:
		if (len < PATHCTL_PING_MIN_LEN || len > PATHCTL_PING_MAX_LEN)
			return PATHCTL_BAD_LENGTH;
		for (size_t i = PATHCTL_PING_MIN_LEN; i < len; i++)
			if (buf[i] != 0)
				return PATHCTL_BAD_PADDING;
		memcpy(m->txid, b, PATHCTL_TXID_LEN);
		m->size = (uint16_t)len;
		break;
	case PATHCTL_PONG:
		if (len != PATHCTL_PONG_LEN)
			return PATHCTL_BAD_LENGTH;
		memcpy(m->txid, b, PATHCTL_TXID_LEN);
		ep18_get(&m->observed, b + PATHCTL_TXID_LEN);
		break;
	case PATHCTL_CALL_ME_MAYBE:
		m->n = buf[1];
		if (m->n > PATHCTL_CMM_MAX)
			return PATHCTL_BAD_COUNT;
		if (len != PATHCTL_HEADER_LEN + (size_t)m->n * EP18_LEN)
			return PATHCTL_BAD_LENGTH;
		for (unsigned i = 0; i < m->n; i++)
			ep18_get(&m->ep[i], b + i * EP18_LEN);
		break;
	}
	return check(m);
}

enum pathctl_result pathctl_decode(struct pathctl *m, const uint8_t *buf, size_t len)
{
	enum pathctl_result r;

	memset(m, 0, sizeof(*m));
	r = decode(m, buf, len);
	if (r != PATHCTL_OK)
		memset(m, 0, sizeof(*m));
	return r;
}

enum pathctl_result pathctl_encode(const struct pathctl *m, uint8_t *out, size_t cap,
				   size_t *len)
{
	enum pathctl_result r = check(m);
	uint8_t *b = out + PATHCTL_HEADER_LEN;
	size_t n;

	if (r != PATHCTL_OK)
		return r;
	switch (m->type) {
	case PATHCTL_PING:
		n = m->size;
		break;
	case PATHCTL_PONG:
		n = PATHCTL_PONG_LEN;
		break;
	default:
		n = PATHCTL_HEADER_LEN + (size_t)m->n * EP18_LEN;
		break;
	}
	if (cap < n)
		return PATHCTL_NO_SPACE;
	out[0] = (uint8_t)m->type;
	out[1] = m->type == PATHCTL_CALL_ME_MAYBE ? m->n : 0;
	out[2] = out[3] = 0;
	switch (m->type) {
	case PATHCTL_PING:
		memcpy(b, m->txid, PATHCTL_TXID_LEN);
		memset(out + PATHCTL_PING_MIN_LEN, 0, n - PATHCTL_PING_MIN_LEN);
		break;
	case PATHCTL_PONG:
		memcpy(b, m->txid, PATHCTL_TXID_LEN);
		ep18_put(b + PATHCTL_TXID_LEN, &m->observed);
		break;
	case PATHCTL_CALL_ME_MAYBE:
		for (unsigned i = 0; i < m->n; i++)
			ep18_put(b + i * EP18_LEN, &m->ep[i]);
		break;
	}
	*len = n;
	return PATHCTL_OK;
}
