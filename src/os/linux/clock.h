/*
 * The clocks, in nanoseconds.  wall_ns: since the epoch, for boot epochs,
 * last-seen times and their ages; not monotonic (a clock stepped back makes
 * ages smaller, which their users clamp: status.h).  mono_ns: CLOCK_MONOTONIC,
 * for timeouts and rates.
 */
#ifndef SUBNETRA_OS_LINUX_CLOCK_H
#define SUBNETRA_OS_LINUX_CLOCK_H

#include <stdint.h>

/* CLOCK_REALTIME in ns; 0 if it cannot be read. */
uint64_t wall_ns(void);
/* CLOCK_MONOTONIC in ns. */
uint64_t mono_ns(void);

#endif
