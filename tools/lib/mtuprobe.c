/* Probe format, size search, recommendation and rate limit (see mtuprobe.h). */
#include "tools/lib/mtuprobe.h"

#include <string.h>

#include "core/wire.h"

static const uint8_t magic[MTUPROBE_MAGIC_LEN] = {'S', 'N', 'R', 'M', 'T', 'U', 'P', '1'};

enum {
	OFF_TYPE = MTUPROBE_MAGIC_LEN,
	OFF_SEQ = OFF_TYPE + 4,
	OFF_NONCE = OFF_SEQ + 4,
};

static const uint64_t NS_PER_S = 1000000000u;

void mtuprobe_encode(uint8_t *buf, size_t len, const struct mtuprobe_hdr *h)
{
	memset(buf, 0, len);
	memcpy(buf, magic, sizeof magic);
	buf[OFF_TYPE] = h->type;
	buf[OFF_SEQ] = (uint8_t)(h->seq >> 24);
	buf[OFF_SEQ + 1] = (uint8_t)(h->seq >> 16);
	buf[OFF_SEQ + 2] = (uint8_t)(h->seq >> 8);
	buf[OFF_SEQ + 3] = (uint8_t)h->seq;
	memcpy(buf + OFF_NONCE, h->nonce, MTUPROBE_NONCE_LEN);
}

bool mtuprobe_parse(const uint8_t *buf, size_t len, struct mtuprobe_hdr *h)
{
	if (len < MTUPROBE_HDR_LEN || memcmp(buf, magic, sizeof magic) != 0)
		return false;
	if (buf[OFF_TYPE] != MTUPROBE_REQUEST && buf[OFF_TYPE] != MTUPROBE_REPLY)
		return false;
	if (buf[OFF_TYPE + 1] != 0 || buf[OFF_TYPE + 2] != 0 || buf[OFF_TYPE + 3] != 0)
		return false;
	h->type = buf[OFF_TYPE];
	h->seq = (uint32_t)buf[OFF_SEQ] << 24 | (uint32_t)buf[OFF_SEQ + 1] << 16 |
		 (uint32_t)buf[OFF_SEQ + 2] << 8 | buf[OFF_SEQ + 3];
	memcpy(h->nonce, buf + OFF_NONCE, MTUPROBE_NONCE_LEN);
	return true;
}

bool mtuprobe_answer(uint8_t *buf, size_t len)
{
	struct mtuprobe_hdr h;

	if (!mtuprobe_parse(buf, len, &h) || h.type != MTUPROBE_REQUEST)
		return false;
	buf[OFF_TYPE] = MTUPROBE_REPLY;
	return true;
}

void mtu_search_init(struct mtu_search *s, size_t min_payload, size_t max_payload)
{
	s->min = min_payload;
	s->max = max_payload < min_payload ? min_payload : max_payload;
	s->good = 0;
	s->bad = s->max + 1;
	s->min_failed = false;
}

size_t mtu_search_next(const struct mtu_search *s)
{
	if (s->min_failed)
		return 0; /* nothing gets through: no point in larger sizes */
	if (s->good == 0)
		return s->min;
	if (s->bad == s->max + 1 && s->good < s->max)
		return s->max;
	if (s->bad > s->good + 1)
		return s->good + (s->bad - s->good) / 2;
	return 0;
}

void mtu_search_report(struct mtu_search *s, size_t payload, bool ok)
{
	if (ok) {
		if (payload > s->good)
			s->good = payload;
	} else {
		if (payload == s->min && s->good == 0)
			s->min_failed = true;
		else if (payload < s->bad && payload > s->good)
			s->bad = payload;
	}
}

size_t mtu_search_result(const struct mtu_search *s)
{
	return s->good;
}

unsigned mtuprobe_recommend(unsigned path_mtu, bool *capped)
{
	unsigned mtu;

	*capped = false;
	if (path_mtu < WIRE_OVERHEAD + MTUPROBE_MIN_PATH)
		return 0;
	mtu = path_mtu - WIRE_OVERHEAD;
	if (mtu > WIRE_MAX_PLAINTEXT) {
		*capped = true;
		mtu = WIRE_MAX_PLAINTEXT;
	}
	return mtu;
}

void ratelimit_init(struct ratelimit *rl, unsigned rate, unsigned burst)
{
	memset(rl, 0, sizeof(*rl));
	rl->rate = rate ? rate : 1;
	rl->burst = burst ? burst : 1;
	rl->credit = rl->burst * NS_PER_S;
}

bool ratelimit_take(struct ratelimit *rl, uint64_t now_ns)
{
	uint64_t cap = rl->burst * NS_PER_S;

	if (rl->started && now_ns > rl->last_ns) {
		uint64_t elapsed = now_ns - rl->last_ns;

		/* Past a full refill the exact figure does not matter; keep the product
		 * small. */
		if (elapsed > cap / rl->rate + 1)
			elapsed = cap / rl->rate + 1;
		rl->credit += elapsed * rl->rate;
		if (rl->credit > cap)
			rl->credit = cap;
	}
	if (!rl->started || now_ns > rl->last_ns)
		rl->last_ns = now_ns;
	rl->started = true;
	if (rl->credit < NS_PER_S)
		return false;
	rl->credit -= NS_PER_S;
	return true;
}
