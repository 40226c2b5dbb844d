/*
 * Quiescent-state grace periods for the policy table when several reactor
 * threads read it (config "workers" > 1).
 *
 * The policy publishes a new table with one atomic pointer store and later
 * rebuilds the *previous* table in place (two slots, see policy.c).  That is
 * only safe once no reader can still be looking at it.  Readers hold a table
 * pointer only while handling one wake-up's events, never across epoll_wait,
 * so each reader announces two states:
 *
 *   qsbr_online()   after epoll_wait returns, before the first table load;
 *   qsbr_offline()  after the last use of any table, before epoll_wait.
 *
 * Each reader's counter is odd while online and even while offline; it only
 * ever grows.  qsbr_synchronize(), called by the one writer just before it
 * overwrites the spare table, waits until every other reader either is
 * offline or has changed its counter since the wait began: a reader that
 * goes online afterwards loads the table pointer after the writer's
 * publication and so can only see the new table.  That needs store->load
 * order on both sides: the reader's "online" store and the writer's
 * publication are sequentially consistent stores, the reader's table load
 * (policy_active) and the writer's reads of the counters sequentially
 * consistent loads, all in one total order.  (No standalone fences:
 * ThreadSanitizer does not model them.)  On x86-64 and ARMv8 such a load is
 * the same instruction as an acquire load, so the data plane pays nothing.
 * The wait is bounded: a reader is online for one wake-up's bounded work.
 * If the bound passes anyway (a reader stopped by a debugger, starved by
 * the scheduler) the writer gets false and must not touch the spare table.
 *
 * The writer is itself a reader (worker 0 runs the control socket) and is
 * skipped: it never publishes from inside a lookup.
 */
#ifndef SUBNETRA_QSBR_H
#define SUBNETRA_QSBR_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/bounds.h"

/*
 * Readers' counters 64 bytes apart, so no two share a cache line (padding
 * rather than _Alignas: the daemon context is allocated with calloc).
 */
struct qsbr_reader {
	_Atomic uint64_t state; /* odd = online */
	uint8_t pad[64 - sizeof(uint64_t)];
};

struct qsbr {
	unsigned n;      /* readers 0..n-1 */
	unsigned writer; /* the reader that calls qsbr_synchronize (not waited for) */
	struct qsbr_reader r[MAX_WORKERS];
};

/* Every reader starts offline. */
void qsbr_init(struct qsbr *q, unsigned n_readers, unsigned writer);

static inline void qsbr_online(struct qsbr *q, unsigned i)
{
	uint64_t s = atomic_load_explicit(&q->r[i].state, memory_order_relaxed);

	/* Before every table load that follows (see above). */
	atomic_store_explicit(&q->r[i].state, s + 1, memory_order_seq_cst);
}

static inline void qsbr_offline(struct qsbr *q, unsigned i)
{
	uint64_t s = atomic_load_explicit(&q->r[i].state, memory_order_relaxed);

	/* Release: every table read of this wake-up happens before. */
	atomic_store_explicit(&q->r[i].state, s + 1, memory_order_release);
}

/*
 * Wait (polling, at most timeout_ns) until no reader other than the writer
 * can hold a table pointer loaded before this call.  true when done.
 */
bool qsbr_synchronize(struct qsbr *q, uint64_t timeout_ns);

#endif
