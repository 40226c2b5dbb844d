/* The nonce replay cache (see nonce.h). */
#include "core/mgmt/nonce.h"

#include <stdbool.h>
#include <string.h>

#include <sodium.h>

void mgmt_nonce_init(struct mgmt_nonce_cache *c, struct mgmt_nonce_bucket *buckets,
		     size_t n_buckets, const uint8_t key[16])
{
	memset(buckets, 0, n_buckets * sizeof(*buckets));
	c->buckets = buckets;
	c->mask = n_buckets - 1;
	memcpy(c->key, key, sizeof(c->key));
	c->evicted = 0;
}

static uint64_t tag_of(const struct mgmt_nonce_cache *c, const uint8_t pk[MGMT_PK_LEN],
		       const uint8_t nonce[MGMT_NONCE_LEN])
{
	uint8_t in[MGMT_PK_LEN + MGMT_NONCE_LEN], h[crypto_shorthash_BYTES];
	uint64_t tag;

	_Static_assert(crypto_shorthash_BYTES == sizeof(tag), "SipHash-2-4 gives 64 bits");
	_Static_assert(crypto_shorthash_KEYBYTES == sizeof(c->key), "SipHash takes 16 bytes");
	memcpy(in, pk, MGMT_PK_LEN);
	memcpy(in + MGMT_PK_LEN, nonce, MGMT_NONCE_LEN);
	crypto_shorthash(h, in, sizeof(in), c->key);
	memcpy(&tag, h, sizeof(tag));
	return tag != 0 ? tag : 1; /* 0 marks an empty slot */
}

static bool live(const struct mgmt_nonce_slot *s, uint64_t now_ms)
{
	return s->tag != 0 && s->time_ms + MGMT_NONCE_TTL_MS > now_ms;
}

enum mgmt_nonce_verdict mgmt_nonce_check(struct mgmt_nonce_cache *c,
					 const uint8_t pk[MGMT_PK_LEN],
					 const uint8_t nonce[MGMT_NONCE_LEN],
					 uint64_t time_ms, uint64_t now_ms)
{
	uint64_t tag = tag_of(c, pk, nonce);
	struct mgmt_nonce_bucket *b = &c->buckets[tag & c->mask];
	struct mgmt_nonce_slot *free_slot = NULL, *oldest = NULL;

	for (size_t i = 0; i < MGMT_NONCE_WAYS; i++) {
		struct mgmt_nonce_slot *s = &b->slot[i];

		if (!live(s, now_ms)) {
			if (free_slot == NULL)
				free_slot = s;
			continue;
		}
		if (s->tag == tag)
			return MGMT_NONCE_REPLAY;
		if (oldest == NULL || s->time_ms < oldest->time_ms)
			oldest = s;
	}
	if (time_ms <= b->floor_ms)
		return MGMT_NONCE_TOO_OLD;
	if (free_slot == NULL) {
		/*
		 * Full of live entries.  Older than all of them: refused, nothing
		 * changes.  Else the oldest is forgotten, and its time and any
		 * earlier are refused here from now on (its replay would be one).
		 */
		if (time_ms < oldest->time_ms)
			return MGMT_NONCE_TOO_OLD;
		if (oldest->time_ms > b->floor_ms)
			b->floor_ms = oldest->time_ms;
		c->evicted++;
		free_slot = oldest;
	}
	free_slot->tag = tag;
	free_slot->time_ms = time_ms;
	return MGMT_NONCE_FRESH;
}

const char *mgmt_nonce_verdict_name(enum mgmt_nonce_verdict v)
{
	switch (v) {
	case MGMT_NONCE_FRESH:
		return "fresh";
	case MGMT_NONCE_REPLAY:
		return "replay";
	case MGMT_NONCE_TOO_OLD:
		return "too_old";
	}
	return "?";
}
