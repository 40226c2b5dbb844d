/*
 * Base control codec (see basectl.h).
 *
 * Decoding runs in a fixed order: the 4-byte header (length, type,
 * reserved), the exact length of the type (for ALLOW and PEER_INFO the
 * counts that make it up, each bounded before it is used), then the
 * fields through check(), the one field checker the encoder runs too, and
 * last the embedded record (er_parse: a signature verification).  So a
 * node never sends what a base would refuse, and the other way round.
 */
#include "core/mesh/basectl.h"

#include <string.h>

#include "core/bytes/byteorder.h"
#include "core/mesh/identity.h"

static const char *const names[BASECTL_RESULT_END] = {
    [BASECTL_OK] = "ok",
#define BASECTL_NAME(up, low) [BASECTL_##up] = #low,
    BASECTL_REASONS(BASECTL_NAME)
#undef BASECTL_NAME
};

const char *basectl_result_name(enum basectl_result r)
{
	return (unsigned)r < BASECTL_RESULT_END ? names[r] : "?";
}

const char *basectl_type_name(uint8_t type)
{
	switch (type) {
	case BASECTL_REGISTER: return "register";
	case BASECTL_LOOKUP: return "lookup";
	case BASECTL_PING: return "ping";
	case BASECTL_UNSUBSCRIBE: return "unsubscribe";
	case BASECTL_ALLOW: return "allow";
	case BASECTL_REGISTER_OK: return "register_ok";
	case BASECTL_PEER_INFO: return "peer_info";
	case BASECTL_PONG: return "pong";
	case BASECTL_NOTICE: return "notice";
	default: return NULL;
	}
}

static bool all_zero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;

	for (size_t i = 0; i < n; i++)
		acc |= p[i];
	return acc == 0;
}

/* Offset of PEER_INFO's er_len for n_obs observed endpoints. */
static size_t peer_info_off_er_len(unsigned n_obs)
{
	return BASECTL_PEER_INFO_OFF_OBS + (size_t)n_obs * EP18_LEN;
}

/* The length m encodes to (its counts bounded by check() first). */
static size_t encoded_len(const struct basectl *m)
{
	switch (m->type) {
	case BASECTL_REGISTER: return BASECTL_HEADER_LEN + er_len(&m->er);
	case BASECTL_LOOKUP: return BASECTL_LOOKUP_LEN;
	case BASECTL_PING: return BASECTL_PING_LEN;
	case BASECTL_UNSUBSCRIBE: return BASECTL_UNSUBSCRIBE_LEN;
	case BASECTL_ALLOW:
		return BASECTL_ALLOW_FIXED_LEN + (size_t)m->n_allow * BASECTL_ADDR_LEN;
	case BASECTL_REGISTER_OK: return BASECTL_REGISTER_OK_LEN;
	case BASECTL_PEER_INFO:
		return peer_info_off_er_len(m->n_obs) + 2 + (m->has_er ? er_len(&m->er) : 0);
	case BASECTL_PONG: return BASECTL_PONG_LEN;
	case BASECTL_NOTICE: return BASECTL_NOTICE_LEN;
	}
	return 0;
}

/* Every field rule except the record's own (er.c checks those). */
static enum basectl_result check(const struct basectl *m)
{
	switch (m->type) {
	case BASECTL_REGISTER:
		if (m->arg != 0)
			return BASECTL_BAD_FLAGS; /* no flag is defined yet */
		break;
	case BASECTL_LOOKUP:
		if (m->arg & ~BASECTL_LOOKUP_NOTIFY)
			return BASECTL_BAD_FLAGS;
		if (!identity_address_in_overlay(m->addr))
			return BASECTL_BAD_ADDRESS;
		break;
	case BASECTL_UNSUBSCRIBE:
		if (m->arg != 0)
			return BASECTL_BAD_RESERVED;
		if (!identity_address_in_overlay(m->addr))
			return BASECTL_BAD_ADDRESS;
		break;
	case BASECTL_PING:
	case BASECTL_PONG:
		if (m->arg != 0)
			return BASECTL_BAD_RESERVED;
		if (m->type == BASECTL_PONG && !ep18_observed(&m->observed))
			return BASECTL_BAD_ENDPOINT;
		break;
	case BASECTL_ALLOW:
		if (m->arg & ~BASECTL_ALLOW_RESTRICT)
			return BASECTL_BAD_FLAGS;
		if (m->n_allow > BASECTL_ALLOW_MAX ||
		    (m->n_allow > 0 && !(m->arg & BASECTL_ALLOW_RESTRICT)))
			return BASECTL_BAD_COUNT;
		for (unsigned i = 0; i < m->n_allow; i++)
			if (!identity_address_in_overlay(m->allow[i]))
				return BASECTL_BAD_ADDRESS;
		break;
	case BASECTL_REGISTER_OK:
		if (m->arg > BASECTL_STATUS_MAX)
			return BASECTL_BAD_STATUS;
		if (!ep18_observed(&m->observed))
			return BASECTL_BAD_ENDPOINT;
		if (m->refresh_s == 0)
			return BASECTL_BAD_REFRESH;
		break;
	case BASECTL_PEER_INFO:
		if (m->arg > BASECTL_PEER_REASON_MAX)
			return BASECTL_BAD_REASON;
		if (m->n_obs > BASECTL_OBS_MAX)
			return BASECTL_BAD_COUNT;
		if (!identity_address_in_overlay(m->addr))
			return BASECTL_BAD_ADDRESS;
		for (unsigned i = 0; i < m->n_obs; i++)
			if (!ep18_observed(&m->obs[i]))
				return BASECTL_BAD_ENDPOINT;
		if (m->arg >= BASECTL_PEER_UNKNOWN) {
			if (m->has_er || m->n_obs != 0 || m->age_s != 0 ||
			    !all_zero(m->relay_id, BASECTL_RELAY_ID_LEN))
				return BASECTL_EXTRA_FIELDS;
		} else if (!m->has_er) {
			return BASECTL_BAD_RECORD;
		}
		break;
	case BASECTL_NOTICE:
		if (m->arg == 0 || m->arg > BASECTL_NOTICE_MAX)
			return BASECTL_BAD_CODE;
		break;
	default:
		return BASECTL_UNKNOWN_TYPE;
	}
	return BASECTL_OK;
}

/*
 * Layout: the exact length of the type, then every field into m (an ER
 * only located: *er_at, *er_n).  Counts are bounded before they size
 * anything.
 */
static enum basectl_result layout(struct basectl *m, const uint8_t *buf, size_t len,
				  size_t *er_at, size_t *er_n)
{
	const uint8_t *b = buf + BASECTL_HEADER_LEN;
	size_t off;

	switch (m->type) {
	case BASECTL_REGISTER:
		if (len < BASECTL_REGISTER_MIN_LEN || len > BASECTL_REGISTER_MAX_LEN)
			return BASECTL_BAD_LENGTH;
		m->has_er = true;
		*er_at = BASECTL_HEADER_LEN;
		*er_n = len - BASECTL_HEADER_LEN;
		return BASECTL_OK;
	case BASECTL_LOOKUP:
	case BASECTL_UNSUBSCRIBE:
		if (len != BASECTL_LOOKUP_LEN)
			return BASECTL_BAD_LENGTH;
		memcpy(m->addr, b, BASECTL_ADDR_LEN);
		return BASECTL_OK;
	case BASECTL_PING:
		if (len != BASECTL_PING_LEN)
			return BASECTL_BAD_LENGTH;
		memcpy(m->txid, b, BASECTL_TXID_LEN);
		return BASECTL_OK;
	case BASECTL_ALLOW:
		if (len < BASECTL_ALLOW_FIXED_LEN)
			return BASECTL_BAD_LENGTH;
		m->n_allow = load_be16(b);
		if (m->n_allow > BASECTL_ALLOW_MAX)
			return BASECTL_BAD_COUNT;
		if (len != encoded_len(m))
			return BASECTL_BAD_LENGTH;
		memcpy(m->allow, buf + BASECTL_ALLOW_FIXED_LEN,
		       (size_t)m->n_allow * BASECTL_ADDR_LEN);
		return BASECTL_OK;
	case BASECTL_REGISTER_OK:
		if (len != BASECTL_REGISTER_OK_LEN)
			return BASECTL_BAD_LENGTH;
		memcpy(m->relay_id, b, BASECTL_RELAY_ID_LEN);
		ep18_get(&m->observed, b + BASECTL_RELAY_ID_LEN);
		m->refresh_s = load_be16(b + BASECTL_RELAY_ID_LEN + EP18_LEN);
		return BASECTL_OK;
	case BASECTL_PEER_INFO:
		if (len < BASECTL_PEER_INFO_EMPTY_LEN)
			return BASECTL_BAD_LENGTH;
		m->n_obs = buf[BASECTL_PEER_INFO_OFF_N_OBS];
		if (m->n_obs > BASECTL_OBS_MAX)
			return BASECTL_BAD_COUNT;
		off = peer_info_off_er_len(m->n_obs);
		if (off + 2 > len)
			return BASECTL_BAD_LENGTH;
		*er_n = load_be16(buf + off);
		if (len != off + 2 + *er_n)
			return BASECTL_BAD_LENGTH;
		memcpy(m->addr, buf + BASECTL_PEER_INFO_OFF_ADDR, BASECTL_ADDR_LEN);
		memcpy(m->relay_id, buf + BASECTL_PEER_INFO_OFF_RELAY_ID, BASECTL_RELAY_ID_LEN);
		m->age_s = load_be16(buf + BASECTL_PEER_INFO_OFF_AGE);
		for (unsigned i = 0; i < m->n_obs; i++)
			ep18_get(&m->obs[i], buf + BASECTL_PEER_INFO_OFF_OBS + i * EP18_LEN);
		/* A record's presence is its length: 0 for none. */
		m->has_er = *er_n != 0;
		*er_at = off + 2;
		return BASECTL_OK;
	case BASECTL_PONG:
		if (len != BASECTL_PONG_LEN)
			return BASECTL_BAD_LENGTH;
		memcpy(m->txid, b, BASECTL_TXID_LEN);
		ep18_get(&m->observed, b + BASECTL_TXID_LEN);
		return BASECTL_OK;
	case BASECTL_NOTICE:
		return len == BASECTL_NOTICE_LEN ? BASECTL_OK : BASECTL_BAD_LENGTH;
	}
	return BASECTL_UNKNOWN_TYPE;
}

static enum basectl_result decode(struct basectl *m, const uint8_t *buf, size_t len,
				  enum er_result *er_why)
{
	size_t er_at = 0, er_n = 0;
	enum basectl_result r;

	if (len < BASECTL_HEADER_LEN)
		return BASECTL_TOO_SHORT;
	if (basectl_type_name(buf[0]) == NULL)
		return BASECTL_UNKNOWN_TYPE;
	if ((buf[2] | buf[3]) != 0)
		return BASECTL_BAD_RESERVED;
	m->type = (enum basectl_type)buf[0];
	m->arg = buf[1];
	r = layout(m, buf, len, &er_at, &er_n);
	if (r == BASECTL_OK)
		r = check(m);
	if (r != BASECTL_OK || !m->has_er)
		return r;
	*er_why = er_parse(&m->er, buf + er_at, er_n,
			   m->type == BASECTL_PEER_INFO ? m->addr : NULL);
	return *er_why == ER_OK ? BASECTL_OK : BASECTL_BAD_RECORD;
}

enum basectl_result basectl_decode(struct basectl *m, const uint8_t *buf, size_t len,
				   enum er_result *er_why)
{
	enum er_result why = ER_OK;
	enum basectl_result r;

	memset(m, 0, sizeof(*m));
	r = decode(m, buf, len, &why);
	if (r != BASECTL_OK)
		memset(m, 0, sizeof(*m));
	if (er_why != NULL)
		*er_why = why;
	return r;
}

enum basectl_result basectl_encode(const struct basectl *m, uint8_t *out, size_t cap,
				   size_t *len)
{
	enum basectl_result r = check(m);
	uint8_t *b = out + BASECTL_HEADER_LEN;
	size_t n, off = 0, er_n = 0;

	if (r != BASECTL_OK)
		return r;
	if (m->has_er && m->type != BASECTL_REGISTER && m->type != BASECTL_PEER_INFO)
		return BASECTL_EXTRA_FIELDS;
	n = encoded_len(m);
	if (cap < n)
		return BASECTL_NO_SPACE;
	out[0] = (uint8_t)m->type;
	out[1] = m->arg;
	out[2] = out[3] = 0;
	switch (m->type) {
	case BASECTL_REGISTER:
		off = BASECTL_HEADER_LEN;
		break;
	case BASECTL_LOOKUP:
	case BASECTL_UNSUBSCRIBE:
		memcpy(b, m->addr, BASECTL_ADDR_LEN);
		break;
	case BASECTL_PING:
		memcpy(b, m->txid, BASECTL_TXID_LEN);
		break;
	case BASECTL_ALLOW:
		store_be16(b, m->n_allow);
		memcpy(out + BASECTL_ALLOW_FIXED_LEN, m->allow,
		       (size_t)m->n_allow * BASECTL_ADDR_LEN);
		break;
	case BASECTL_REGISTER_OK:
		memcpy(b, m->relay_id, BASECTL_RELAY_ID_LEN);
		ep18_put(b + BASECTL_RELAY_ID_LEN, &m->observed);
		store_be16(b + BASECTL_RELAY_ID_LEN + EP18_LEN, m->refresh_s);
		break;
	case BASECTL_PEER_INFO:
		memcpy(out + BASECTL_PEER_INFO_OFF_ADDR, m->addr, BASECTL_ADDR_LEN);
		memcpy(out + BASECTL_PEER_INFO_OFF_RELAY_ID, m->relay_id, BASECTL_RELAY_ID_LEN);
		store_be16(out + BASECTL_PEER_INFO_OFF_AGE, m->age_s);
		out[BASECTL_PEER_INFO_OFF_N_OBS] = m->n_obs;
		for (unsigned i = 0; i < m->n_obs; i++)
			ep18_put(out + BASECTL_PEER_INFO_OFF_OBS + i * EP18_LEN, &m->obs[i]);
		off = peer_info_off_er_len(m->n_obs);
		store_be16(out + off, (uint16_t)(m->has_er ? er_len(&m->er) : 0));
		off += 2;
		break;
	case BASECTL_PONG:
		memcpy(b, m->txid, BASECTL_TXID_LEN);
		ep18_put(b + BASECTL_TXID_LEN, &m->observed);
		break;
	case BASECTL_NOTICE:
		break;
	}
	if (m->has_er) {
		if (er_encode(&m->er, out + off, cap - off, &er_n) != ER_OK)
			return BASECTL_BAD_RECORD;
	}
	*len = n;
	return BASECTL_OK;
}
