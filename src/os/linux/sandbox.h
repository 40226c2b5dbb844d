/*
 * The seccomp allow-list installed after start-up: only the syscalls the
 * running daemon still makes (the reactor, packet I/O, control replies, the
 * policy snapshot write, shutdown), some only with the arguments it uses
 * (no executable memory, mode 0600 only, no directory removal).
 * Anything else stops the daemon at the offending call: a SIGSYS handler,
 * installed first, writes "subnetrad: seccomp: forbidden system call 41
 * (socket); stopping" to stderr and exits with SANDBOX_EXIT_VIOLATION (as
 * OpenSSH's sandbox does): a violation is a bug or an attack, and an EPERM
 * the code may shrug off would hide either.
 */
#ifndef SUBNETRA_SANDBOX_H
#define SUBNETRA_SANDBOX_H

/*
 * With threads (config "workers" > 1; the workers are created after the
 * filter is installed and inherit it) the list also allows what
 * pthread_create and a thread's exit need: clone only with CLONE_THREAD (no
 * new process), clone3 refused with ENOSYS so that glibc falls back to
 * clone, mprotect (never PROT_EXEC) for the stack guard page,
 * set_robust_list, rseq, rt_sigaction of libc-internal real-time signals
 * (glibc's first pthread_create), prctl(PR_SET_NAME) for a worker to name
 * itself, and sched_yield for the spin-wait back-off.  Without threads the
 * list is exactly the single-threaded daemon's.
 *
 * 0 when installed, 1 when skipped (sanitizer builds: their runtimes need
 * syscalls such as ptrace and clone at exit), or -errno.
 */
#include <stdbool.h>

/* Exit status of a daemon stopped by the filter (documented in subnetrad(8)). */
enum { SANDBOX_EXIT_VIOLATION = 3 };

int sandbox_apply(bool threads);

#endif
