/*
 * 64-entry anti-replay window (see replay.h).
 *
 * State is the highest sequence number accepted so far plus a bitmap in which
 * bit i records "highest - i was accepted".  The rules, in this order:
 *   seq > highest            -> accept; the window slides forward
 *   highest - seq >= 64      -> drop (too old to tell)
 *   bit (highest - seq) set  -> drop (replay)
 *   otherwise                -> accept and set the bit
 * A fresh window is (0, 0): bit 0 is clear, so seq 0 is accepted exactly once.
 *
 * Check and commit are separate because the receiver may only record a seq
 * after the datagram authenticated; committing a forged seq would let an
 * attacker slide the window and make genuine packets look too old.
 */
#include "core/replay.h"

#include <assert.h>

void replay_reset(struct replay_window *w)
{
	w->highest = 0;
	w->bitmap = 0;
}

bool replay_check(const struct replay_window *w, uint64_t seq)
{
	uint64_t behind;

	if (seq > w->highest)
		return true;
	behind = w->highest - seq;
	if (behind >= REPLAY_WINDOW_SIZE)
		return false;
	return (w->bitmap & (UINT64_C(1) << behind)) == 0;
}

void replay_commit(struct replay_window *w, uint64_t seq)
{
	uint64_t shift;

	assert(replay_check(w, seq));
	if (seq > w->highest) {
		shift = seq - w->highest;
		/* Shifting a 64-bit value by 64 or more is undefined in C. */
		w->bitmap = shift >= REPLAY_WINDOW_SIZE ? 0 : w->bitmap << shift;
		w->bitmap |= 1;
		w->highest = seq;
		return;
	}
	w->bitmap |= UINT64_C(1) << (w->highest - seq);
}
