/*
 * Parking the workers while worker 0 changes shared state (a reload): every
 * other worker waits between two of its wake-ups, its batches flushed, its
 * blocks of sequence numbers released and its counters published.  With one
 * worker there is nobody to park and all of this is a no-op.
 */
#ifndef SUBNETRA_PAUSE_H
#define SUBNETRA_PAUSE_H

struct daemon;

/*
 * Worker 0: park every other worker.  0, or -ETIMEDOUT when they did not
 * all park within 2 s (nothing is paused then).  Always followed by
 * pause_end.
 */
int pause_begin(struct daemon *d);
void pause_end(struct daemon *d);
/* A worker other than 0, between wake-ups: wait while a pause is requested. */
void pause_park(struct daemon *d);
/* Wake parked workers so that they see d->stop. */
void pause_wake(struct daemon *d);

#endif
