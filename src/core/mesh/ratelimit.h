/*
 * Handshake flood control (research/mesh-design.md §1.6): a per-source
 * token bucket table and the "under load" detector.  Pure: time is a
 * monotonic clock in ns passed in, a source is the caller's bytes.
 *
 * Bucket table: MESH_RATELIMIT_SLOTS entries, open addressing over a window of
 * MESH_RATELIMIT_PROBE slots, indexed by crypto_shorthash (SipHash-2-4) of the
 * source under a random key, so a remote sender cannot aim many sources at
 * one window.  Memory is fixed; an entry whose bucket has refilled is
 * indistinguishable from a new one and is reused in place.  When a
 * window holds only live entries the new source is refused
 * (MESH_RATELIMIT_FULL), never let through: the table is consulted only for
 * messages that already proved their source with a cookie (mac2), so
 * filling it needs that many real addresses.  With 16-slot windows the
 * first refusal comes at about half the table: ~2,000 sources live within
 * one refill time (250 ms by default).
 *
 * Under load: more than `budget` handshake messages (with a valid mac1)
 * counted in the current one-second interval; the state holds for
 * MESH_RATELIMIT_LOAD_HOLD_NS after the last message that exceeded it.
 */
#ifndef SUBNETRA_MESH_RATELIMIT_H
#define SUBNETRA_MESH_RATELIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MESH_RATELIMIT_NS_PER_S	    UINT64_C(1000000000)
#define MESH_RATELIMIT_LOAD_HOLD_NS MESH_RATELIMIT_NS_PER_S

enum {
	MESH_RATELIMIT_SLOTS = 4096, /* power of two */
	MESH_RATELIMIT_PROBE = 16,
	MESH_RATELIMIT_KEY_MAX = 16,	  /* an IPv6 address; IPv4 is 4 bytes */
	MESH_RATELIMIT_DEFAULT_RATE = 20, /* per second */
	MESH_RATELIMIT_DEFAULT_BURST = 5,
	MESH_RATELIMIT_DEFAULT_LOAD_BUDGET = 1024, /* handshake messages per second */
};

_Static_assert((MESH_RATELIMIT_SLOTS & (MESH_RATELIMIT_SLOTS - 1)) == 0,
	       "slots: a power of two");
_Static_assert(MESH_RATELIMIT_PROBE <= MESH_RATELIMIT_SLOTS,
	       "probe window within the table");

struct mesh_ratelimit_config {
	uint32_t rate;	/* tokens per second, 1 .. 1e6 */
	uint32_t burst; /* bucket size, 1 .. 1e6 */
};

struct mesh_ratelimit_entry {
	uint64_t last_ns;
	uint64_t tokens; /* in ns of refill: cost_ns per message */
	uint8_t key_len; /* 0: never used */
	uint8_t key[MESH_RATELIMIT_KEY_MAX];
};

struct mesh_ratelimit {
	uint64_t cost_ns;     /* 1 s / rate */
	uint64_t max_tokens;  /* cost_ns * burst */
	uint8_t hash_key[16]; /* crypto_shorthash key */
	struct mesh_ratelimit_entry slot[MESH_RATELIMIT_SLOTS];
};

/*
 * One token bucket that holds time, not messages (the table's entries and
 * the base registry's per-node lookup limit share it): it gains one ns of
 * credit per ns that passes, up to max_tokens, and a message costs cost_ns.
 * A clock that goes backwards adds no credit.  Returns whether the message
 * may pass (and then takes its cost).
 */
bool mesh_bucket_take(uint64_t *tokens, uint64_t *last_ns, uint64_t cost_ns,
		      uint64_t max_tokens, uint64_t now_ns);

enum mesh_ratelimit_verdict {
	MESH_RATELIMIT_ALLOW,
	MESH_RATELIMIT_DENY, /* the source's bucket is empty */
	MESH_RATELIMIT_FULL, /* no room for a new source: refused */
};

/* cfg NULL: the defaults.  Returns 0, or -EINVAL for a rate or burst out of range. */
int mesh_ratelimit_init(struct mesh_ratelimit *rl,
			const struct mesh_ratelimit_config *cfg);
/*
 * One message from source key[0..key_len) (1 <= key_len <= MESH_RATELIMIT_KEY_MAX;
 * for IPv6 the caller may pass the /64 prefix, since one host commonly owns
 * a whole /64) at now_ns.
 */
enum mesh_ratelimit_verdict mesh_ratelimit_allow(struct mesh_ratelimit *rl,
						 const uint8_t *key, size_t key_len,
						 uint64_t now_ns);
/* Live entries (whose bucket has not yet refilled) at now_ns: for status. */
size_t mesh_ratelimit_live(const struct mesh_ratelimit *rl, uint64_t now_ns);

struct mesh_ratelimit_load {
	uint32_t budget;
	uint32_t count;	      /* messages in the interval */
	uint64_t interval_ns; /* start of the current one-second interval */
	uint64_t until_ns;    /* under load while now < until_ns */
	bool started;
};

/* budget 0: MESH_RATELIMIT_DEFAULT_LOAD_BUDGET. */
void mesh_ratelimit_load_init(struct mesh_ratelimit_load *l, uint32_t budget);
/* Count one handshake message; returns whether we are now under load. */
bool mesh_ratelimit_load_note(struct mesh_ratelimit_load *l, uint64_t now_ns);
/* Under load at now_ns (no message counted)? */
bool mesh_ratelimit_load_active(const struct mesh_ratelimit_load *l, uint64_t now_ns);

#endif
