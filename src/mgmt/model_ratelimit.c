/* Token buckets for logins (see model_ratelimit.h). */
#include "mgmt/model_ratelimit.h"

#include <string.h>

#include <sodium.h>

void ratelimit_init(struct ratelimit *rl, uint32_t burst, int64_t refill_ms,
		    const uint8_t hash_key[RATELIMIT_KEY_LEN])
{
	memset(rl, 0, sizeof *rl);
	rl->burst = burst > 0 ? burst : 1;
	rl->refill_ms = refill_ms > 0 ? refill_ms : 1;
	memcpy(rl->hash_key, hash_key, RATELIMIT_KEY_LEN);
}

static void key_of(const struct ratelimit *rl, const char *key, uint8_t out[8])
{
	static const uint8_t zero[8];

	crypto_shorthash(out, (const unsigned char *)key, strlen(key), rl->hash_key);
	if (memcmp(out, zero, 8) == 0)
		out[0] = 1; /* all zero marks a free slot */
}

/* The slot of key, or the slot to reuse for it (a free one, else the idlest). */
static struct ratelimit_slot *find(struct ratelimit *rl, const uint8_t k[8], bool *found)
{
	static const uint8_t zero[8];
	size_t start = ((size_t)k[0] << 8 | k[1]) % RATELIMIT_SLOTS;
	struct ratelimit_slot *victim = NULL;

	/* Open addressing over a short window: bounded work per attempt. */
	for (size_t i = 0; i < 32; i++) {
		struct ratelimit_slot *s = &rl->slot[(start + i) % RATELIMIT_SLOTS];

		if (memcmp(s->key, k, 8) == 0) {
			*found = true;
			return s;
		}
		if (memcmp(s->key, zero, 8) == 0) {
			if (victim == NULL || memcmp(victim->key, zero, 8) != 0)
				victim = s;
		} else if (victim == NULL ||
			   (memcmp(victim->key, zero, 8) != 0 && s->last_ms < victim->last_ms)) {
			victim = s;
		}
	}
	*found = false;
	return victim;
}

bool ratelimit_take(struct ratelimit *rl, const char *key, int64_t now_ms)
{
	uint8_t k[8];
	bool found;
	struct ratelimit_slot *s;
	uint64_t full = (uint64_t)rl->burst * 1000;

	key_of(rl, key, k);
	s = find(rl, k, &found);
	if (!found) {
		memcpy(s->key, k, 8);
		s->tokens_milli = (uint32_t)full;
		s->last_ms = now_ms;
	} else if (now_ms > s->last_ms) {
		uint64_t add = (uint64_t)(now_ms - s->last_ms) * 1000 / (uint64_t)rl->refill_ms;
		uint64_t t = s->tokens_milli + add;

		/* Advance only by the time turned into tokens: no fraction lost. */
		if (t >= full) {
			s->tokens_milli = (uint32_t)full;
			s->last_ms = now_ms;
		} else {
			s->tokens_milli = (uint32_t)t;
			s->last_ms += (int64_t)(add * (uint64_t)rl->refill_ms / 1000);
		}
	} /* a clock stepping back refills nothing */
	if (s->tokens_milli < 1000)
		return false;
	s->tokens_milli -= 1000;
	return true;
}

void ratelimit_reset(struct ratelimit *rl, const char *key)
{
	uint8_t k[8];
	bool found;
	struct ratelimit_slot *s;

	key_of(rl, key, k);
	s = find(rl, k, &found);
	if (found)
		memset(s, 0, sizeof *s);
}

bool login_limits_take(struct login_limits *ll, const char *ip, const char *email,
		       int64_t now_ms)
{
	bool a = ratelimit_take(&ll->per_ip, ip, now_ms);
	bool b = ratelimit_take(&ll->per_account, email, now_ms);

	return a && b;
}
