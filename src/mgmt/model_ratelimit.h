/*
 * Login rate limiting, pure and in memory: a token bucket per key (a
 * client address, or an account's address), in a fixed table of slots.
 * A bucket holds up to burst tokens and refills one every refill_ms; a
 * login attempt takes one, and is refused when there is none.  Keys are
 * hashed with a random key (the table is fed by attackers); when the table
 * is full, the slot idle longest is reused (a full bucket is what an
 * unknown key gets anyway, so only a key being limited loses, at worst).
 * The state is lost on restart, by design: a restart is no attack's tool.
 */
#ifndef SUBNETRA_MGMT_MODEL_RATELIMIT_H
#define SUBNETRA_MGMT_MODEL_RATELIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
	RATELIMIT_SLOTS = 4096,
	RATELIMIT_KEY_LEN = 16,
};

struct ratelimit_slot {
	uint8_t key[8]; /* keyed hash of the key text; all zero: free */
	int64_t last_ms; /* when tokens was last brought up to date */
	uint32_t tokens_milli; /* tokens x 1000 */
};

struct ratelimit {
	uint32_t burst;
	int64_t refill_ms;
	uint8_t hash_key[RATELIMIT_KEY_LEN];
	struct ratelimit_slot slot[RATELIMIT_SLOTS];
};

/* burst >= 1, refill_ms >= 1; hash_key: random bytes (the caller's). */
void ratelimit_init(struct ratelimit *rl, uint32_t burst, int64_t refill_ms,
		    const uint8_t hash_key[RATELIMIT_KEY_LEN]);
/* Take one token for key at now_ms: true if there was one. */
bool ratelimit_take(struct ratelimit *rl, const char *key, int64_t now_ms);
/* Forget key (a successful login clears its account's bucket). */
void ratelimit_reset(struct ratelimit *rl, const char *key);

/* Logins: one bucket per client address, one per account address. */
struct login_limits {
	struct ratelimit per_ip;
	struct ratelimit per_account;
};

/* Both buckets must have a token; both take one either way (no free probe). */
bool login_limits_take(struct login_limits *ll, const char *ip, const char *email,
		       int64_t now_ms);

#endif
