/*
 * The server's memory of device request nonces, so a captured signed
 * request cannot be sent again: bounded, with no allocation (the caller
 * gives the buckets), keyed by a SipHash of key ‖ nonce under a secret of
 * the caller's (so nobody can aim many nonces at one bucket).
 *
 * Each bucket holds MGMT_NONCE_WAYS entries (tag, signed time).  An entry
 * lives MGMT_NONCE_TTL_MS past its signed time: longer than the ±300 s a
 * request's time may differ from the clock, so a nonce is forgotten only
 * once its request could no longer pass the clock check anyway.
 *
 * When a bucket is full of live entries, a request older than all of them
 * is refused (TOO_OLD); otherwise the entry with the oldest time is
 * evicted and the bucket's floor rises to that time: from then on a
 * request whose time is not above the floor is refused (TOO_OLD) in that
 * bucket, since it might be the evicted one again (requests stamped in the
 * same millisecond tie with the oldest: the floor is what catches those).  So memory stays fixed,
 * no replay ever passes, and under a flood only old-stamped requests in a
 * crowded bucket are refused -- counted, and retried by the device with a
 * fresh time.  Pure.
 */
#ifndef SUBNETRA_MGMT_NONCE_H
#define SUBNETRA_MGMT_NONCE_H

#include <stddef.h>
#include <stdint.h>

#include "core/mgmt/proto.h"

enum { MGMT_NONCE_WAYS = 8 };

struct mgmt_nonce_slot {
	uint64_t tag;     /* 0: empty */
	uint64_t time_ms; /* the request's signed time */
};

struct mgmt_nonce_bucket {
	uint64_t floor_ms; /* times at or below this are refused here */
	struct mgmt_nonce_slot slot[MGMT_NONCE_WAYS];
};

struct mgmt_nonce_cache {
	struct mgmt_nonce_bucket *buckets;
	size_t mask; /* n_buckets - 1 */
	uint8_t key[16];
	uint64_t evicted; /* live entries pushed out (each raised a floor) */
};

enum mgmt_nonce_verdict {
	MGMT_NONCE_FRESH,   /* not seen: recorded now */
	MGMT_NONCE_REPLAY,  /* seen, and still remembered */
	MGMT_NONCE_TOO_OLD, /* time not above the bucket's floor: cannot tell */
};

/*
 * buckets[0..n_buckets), n_buckets a power of two (MGMT_NONCE_WAYS
 * entries each); key: 16 secret random bytes.  Everything is cleared.
 */
void mgmt_nonce_init(struct mgmt_nonce_cache *c, struct mgmt_nonce_bucket *buckets,
		     size_t n_buckets, const uint8_t key[16]);
/*
 * The request of device pk with nonce, signed at time_ms, seen at now_ms
 * (after its signature and clock checks passed).  FRESH records it.
 */
enum mgmt_nonce_verdict mgmt_nonce_check(struct mgmt_nonce_cache *c,
					 const uint8_t pk[MGMT_PK_LEN],
					 const uint8_t nonce[MGMT_NONCE_LEN],
					 uint64_t time_ms, uint64_t now_ms);
/* "fresh", "replay", "too_old" */
const char *mgmt_nonce_verdict_name(enum mgmt_nonce_verdict v);

#endif
