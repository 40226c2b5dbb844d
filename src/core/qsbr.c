/* Quiescent-state grace periods (see qsbr.h). */
#include "core/qsbr.h"

#include <sched.h>
#include <time.h>

void qsbr_init(struct qsbr *q, unsigned n_readers, unsigned writer)
{
	q->n = n_readers;
	q->writer = writer;
	for (unsigned i = 0; i < MAX_WORKERS; i++)
		atomic_init(&q->r[i].state, 0);
}

/* os/linux/clock.h's mono_ns, again: core includes nothing from os/. */
static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

bool qsbr_synchronize(struct qsbr *q, uint64_t timeout_ns)
{
	uint64_t seen[MAX_WORKERS];
	uint64_t deadline = 0;
	unsigned spins = 0;

	/* After the caller's publication in the total order (see qsbr.h). */
	for (unsigned i = 0; i < q->n; i++)
		seen[i] = atomic_load_explicit(&q->r[i].state, memory_order_seq_cst);
	for (unsigned i = 0; i < q->n; i++) {
		if (i == q->writer)
			continue;
		/* Offline (even), or moved on since: past its last old-table read. */
		while ((seen[i] & 1) != 0 &&
		       atomic_load_explicit(&q->r[i].state, memory_order_acquire) == seen[i]) {
			if (deadline == 0)
				deadline = mono_ns() + timeout_ns;
			else if (mono_ns() >= deadline)
				return false;
			/* Usually one wake-up's work: yield first, then sleep briefly. */
			if (++spins < 64) {
				sched_yield();
			} else {
				struct timespec ts = {.tv_sec = 0, .tv_nsec = 50000};

				nanosleep(&ts, NULL);
			}
		}
	}
	return true;
}
