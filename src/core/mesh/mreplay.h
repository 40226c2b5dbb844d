/*
 * Mesh anti-replay window (RFC 6479): a ring of 128 blocks of 64 bits, of
 * which 127 are always usable, so the window covers MREPLAY_WINDOW = 8,128
 * counters behind the highest one accepted.  1 KiB per keypair, no
 * allocation.  v1's 64-entry window (core/replay.h) is a separate module.
 *
 * The rule, for a counter c against the highest counter accepted, `last`:
 *   c >= MREPLAY_REJECT_AFTER       -> drop (the keypair is used up)
 *   c > last                        -> accept
 *   last - c > MREPLAY_WINDOW       -> drop (too old to tell)
 *   c seen before                   -> drop (replay)
 *   otherwise                       -> accept
 * A fresh window accepts counter 0 exactly once, as v1's does.
 *
 * Receive order: mreplay_check (cheap, const) before the AEAD, and
 * mreplay_mark only after the AEAD verified.  mark checks again, because
 * other packets of the same keypair may have been marked in between (a
 * duplicate decrypted in parallel, or a jump that slid c out of the window).
 */
#ifndef SUBNETRA_MESH_MREPLAY_H
#define SUBNETRA_MESH_MREPLAY_H

#include <stdbool.h>
#include <stdint.h>

enum {
	MREPLAY_BLOCK_BITS = 64,
	MREPLAY_BLOCK_SHIFT = 6,
	MREPLAY_RING_BLOCKS = 128,
	/* One block is the one being overwritten as the window slides. */
	MREPLAY_WINDOW = (MREPLAY_RING_BLOCKS - 1) * MREPLAY_BLOCK_BITS,
};

_Static_assert(1 << MREPLAY_BLOCK_SHIFT == MREPLAY_BLOCK_BITS, "block shift");
_Static_assert((MREPLAY_RING_BLOCKS & (MREPLAY_RING_BLOCKS - 1)) == 0,
	       "ring size is a power of two");
_Static_assert(MREPLAY_WINDOW == 8128, "the design's window is 8,128 counters");

/* REJECT_AFTER_MESSAGES = 2^64 - 2^13 - 1: no counter at or above it. */
#define MREPLAY_REJECT_AFTER (UINT64_MAX - (UINT64_C(1) << 13))

struct mreplay {
	uint64_t last; /* highest counter accepted (0 when fresh) */
	uint64_t ring[MREPLAY_RING_BLOCKS];
};

_Static_assert(sizeof(struct mreplay) == 8 + 1024, "1 KiB of bitmap per keypair");

void mreplay_init(struct mreplay *w);
/* Would counter be accepted?  Does not modify the window. */
bool mreplay_check(const struct mreplay *w, uint64_t counter);
/*
 * Record counter as seen, after its packet authenticated.  Returns false
 * (and changes nothing) when it is no longer acceptable: the caller drops
 * the packet as a replay.
 */
bool mreplay_mark(struct mreplay *w, uint64_t counter);

#endif
