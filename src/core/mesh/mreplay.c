/*
 * RFC 6479 sliding window (see mreplay.h).
 *
 * Bit (c mod 64) of block ((c / 64) mod 128) records counter c.  When the
 * window slides forward to a counter in a later block, every block between
 * the old and the new highest block is cleared (at most the whole ring),
 * so the ring only ever holds bits for the blocks last/64 - 127 .. last/64.
 * Counters up to MREPLAY_WINDOW behind `last` fall in those blocks; an older
 * one would alias a newer block and is refused before its bit is read.
 */
#include "core/mesh/mreplay.h"

#include <string.h>

enum { RING_MASK = MREPLAY_RING_BLOCKS - 1, BIT_MASK = MREPLAY_BLOCK_BITS - 1 };

void mreplay_init(struct mreplay *w)
{
	memset(w, 0, sizeof(*w));
}

static uint64_t bit_of(uint64_t counter)
{
	return UINT64_C(1) << (counter & BIT_MASK);
}

static size_t block_of(uint64_t counter)
{
	return (size_t)((counter >> MREPLAY_BLOCK_SHIFT) & RING_MASK);
}

bool mreplay_check(const struct mreplay *w, uint64_t counter)
{
	if (counter >= MREPLAY_REJECT_AFTER)
		return false;
	if (counter > w->last)
		return true;
	if (w->last - counter > MREPLAY_WINDOW)
		return false;
	return (w->ring[block_of(counter)] & bit_of(counter)) == 0;
}

bool mreplay_mark(struct mreplay *w, uint64_t counter)
{
	if (!mreplay_check(w, counter))
		return false;
	if (counter > w->last) {
		uint64_t cur = w->last >> MREPLAY_BLOCK_SHIFT;
		uint64_t diff = (counter >> MREPLAY_BLOCK_SHIFT) - cur;

		if (diff > MREPLAY_RING_BLOCKS)
			diff = MREPLAY_RING_BLOCKS;
		for (uint64_t i = 1; i <= diff; i++)
			w->ring[(cur + i) & RING_MASK] = 0;
		w->last = counter;
	}
	w->ring[block_of(counter)] |= bit_of(counter);
	return true;
}
