/*
 * The seccomp allow-list installed after start-up: only the syscalls the
 * running daemon still makes (the reactor, packet I/O, control replies, the
 * policy snapshot write, shutdown).  Anything else fails with EPERM.
 */
#ifndef SUBNETRA_SANDBOX_H
#define SUBNETRA_SANDBOX_H

/*
 * With threads (config "workers" > 1; the workers are created after the
 * filter is installed and inherit it) the list also allows what
 * pthread_create and a thread's exit need: clone only with CLONE_THREAD (no
 * new process), clone3 refused with ENOSYS so that glibc falls back to
 * clone, mprotect for the stack guard page, set_robust_list, rseq, and
 * sched_yield for the spin-wait back-off.  Without threads the list is
 * exactly the single-threaded daemon's.
 *
 * 0 when installed, 1 when skipped (sanitizer builds: their runtimes need
 * syscalls such as ptrace and clone at exit), or -errno.
 */
#include <stdbool.h>

int sandbox_apply(bool threads);

#endif
