/*
 * Token buckets and the under-load detector (see ratelimit.h).
 *
 * A bucket holds time, not messages: it gains one ns of credit per ns that
 * passes, up to max_tokens = burst * cost_ns, and a message costs cost_ns.
 * Integer arithmetic only; a clock that goes backwards adds no credit.
 */
#include "core/mesh/ratelimit.h"

#include <assert.h>
#include <errno.h>
#include <string.h>

#include <sodium.h>

_Static_assert(sizeof(((struct mesh_ratelimit *)0)->hash_key) ==
		   crypto_shorthash_KEYBYTES,
	       "SipHash key");

enum { SLOT_MASK = MESH_RATELIMIT_SLOTS - 1, RATE_MAX = 1000000, BURST_MAX = 1000000 };

int mesh_ratelimit_init(struct mesh_ratelimit *rl,
			const struct mesh_ratelimit_config *cfg)
{
	struct mesh_ratelimit_config def = {MESH_RATELIMIT_DEFAULT_RATE,
					    MESH_RATELIMIT_DEFAULT_BURST};

	if (!cfg)
		cfg = &def;
	if (cfg->rate == 0 || cfg->rate > RATE_MAX || cfg->burst == 0 ||
	    cfg->burst > BURST_MAX)
		return -EINVAL;
	memset(rl, 0, sizeof(*rl));
	rl->cost_ns = MESH_RATELIMIT_NS_PER_S / cfg->rate;
	rl->max_tokens = rl->cost_ns * cfg->burst;
	randombytes_buf(rl->hash_key, sizeof rl->hash_key);
	return 0;
}

static size_t slot_of(const struct mesh_ratelimit *rl, const uint8_t *key, size_t key_len)
{
	uint8_t h[crypto_shorthash_BYTES];
	uint64_t v = 0;

	crypto_shorthash(h, key, key_len, rl->hash_key);
	for (int i = 0; i < 8; i++)
		v = v << 8 | h[i];
	return (size_t)(v & SLOT_MASK);
}

/* An entry whose bucket has refilled holds nothing a new one would not. */
static bool entry_idle(const struct mesh_ratelimit *rl,
		       const struct mesh_ratelimit_entry *e, uint64_t now_ns)
{
	return e->key_len == 0 ||
	       (now_ns >= e->last_ns && now_ns - e->last_ns >= rl->max_tokens);
}

enum mesh_ratelimit_verdict mesh_ratelimit_allow(struct mesh_ratelimit *rl,
						 const uint8_t *key, size_t key_len,
						 uint64_t now_ns)
{
	size_t home, i;
	struct mesh_ratelimit_entry *e, *reuse = NULL;

	assert(key_len >= 1 && key_len <= MESH_RATELIMIT_KEY_MAX);
	home = slot_of(rl, key, key_len);
	for (i = 0; i < MESH_RATELIMIT_PROBE; i++) {
		e = &rl->slot[(home + i) & SLOT_MASK];
		if (e->key_len == key_len && memcmp(e->key, key, key_len) == 0)
			break;
		if (!reuse && entry_idle(rl, e, now_ns))
			reuse = e;
	}
	if (i == MESH_RATELIMIT_PROBE) {
		/* A new source: a full bucket, minus this message. */
		if (!reuse)
			return MESH_RATELIMIT_FULL;
		reuse->key_len = (uint8_t)key_len;
		memcpy(reuse->key, key, key_len);
		reuse->last_ns = now_ns;
		reuse->tokens = rl->max_tokens - rl->cost_ns;
		return MESH_RATELIMIT_ALLOW;
	}
	return mesh_bucket_take(&e->tokens, &e->last_ns, rl->cost_ns, rl->max_tokens,
				now_ns)
		   ? MESH_RATELIMIT_ALLOW
		   : MESH_RATELIMIT_DENY;
}

bool mesh_bucket_take(uint64_t *tokens, uint64_t *last_ns, uint64_t cost_ns,
		      uint64_t max_tokens, uint64_t now_ns)
{
	if (now_ns > *last_ns) {
		uint64_t gain = now_ns - *last_ns;

		*tokens = gain >= max_tokens - *tokens ? max_tokens : *tokens + gain;
		*last_ns = now_ns;
	}
	if (*tokens < cost_ns)
		return false;
	*tokens -= cost_ns;
	return true;
}

size_t mesh_ratelimit_live(const struct mesh_ratelimit *rl, uint64_t now_ns)
{
	size_t n = 0;

	for (size_t i = 0; i < MESH_RATELIMIT_SLOTS; i++)
		n += !entry_idle(rl, &rl->slot[i], now_ns);
	return n;
}

void mesh_ratelimit_load_init(struct mesh_ratelimit_load *l, uint32_t budget)
{
	memset(l, 0, sizeof(*l));
	l->budget = budget ? budget : MESH_RATELIMIT_DEFAULT_LOAD_BUDGET;
}

bool mesh_ratelimit_load_note(struct mesh_ratelimit_load *l, uint64_t now_ns)
{
	if (!l->started || now_ns < l->interval_ns ||
	    now_ns - l->interval_ns >= MESH_RATELIMIT_NS_PER_S) {
		l->started = true;
		l->interval_ns = now_ns;
		l->count = 0;
	}
	if (l->count < UINT32_MAX)
		l->count++;
	if (l->count > l->budget)
		l->until_ns = now_ns + MESH_RATELIMIT_LOAD_HOLD_NS;
	return mesh_ratelimit_load_active(l, now_ns);
}

bool mesh_ratelimit_load_active(const struct mesh_ratelimit_load *l, uint64_t now_ns)
{
	return now_ns < l->until_ns;
}
