/*
 * The wall clock, in nanoseconds since the epoch: boot epochs, last-seen
 * times and their ages.  Not monotonic: a clock stepped back makes ages
 * smaller, which their users clamp (status.h).
 */
#ifndef SUBNETRA_OS_LINUX_CLOCK_H
#define SUBNETRA_OS_LINUX_CLOCK_H

#include <stdint.h>

/* CLOCK_REALTIME in ns; 0 if it cannot be read. */
uint64_t wall_ns(void);

#endif
