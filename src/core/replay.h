/*
 * 64-entry sliding anti-replay window: highest seq seen plus a bitmap where
 * bit i means "highest - i was seen".  A fresh window (0, 0) accepts seq 0 once.
 */
#ifndef SUBNETRA_REPLAY_H
#define SUBNETRA_REPLAY_H

#include <stdbool.h>
#include <stdint.h>

enum { REPLAY_WINDOW_SIZE = 64 };

struct replay_window {
	uint64_t highest;
	uint64_t bitmap;
};

void replay_reset(struct replay_window *w);
/* Would seq be accepted?  Does not modify the window. */
bool replay_check(const struct replay_window *w, uint64_t seq);
/* Mark seq seen (call only after replay_check returned true). */
void replay_commit(struct replay_window *w, uint64_t seq);

#endif
