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

#include <stdbool.h>
#include <stddef.h>

/* Exit status of a daemon stopped by the filter (documented in subnetrad(8)). */
enum { SANDBOX_EXIT_VIOLATION = 3 };

/*
 * threads: worker threads are created after it (config "workers" > 1) and
 * inherit it, so it also allows what starting and ending a thread needs;
 * without, the list is exactly the single-threaded daemon's.  0 when
 * installed, 1 when skipped (sanitizer builds: their runtimes need syscalls
 * such as ptrace and clone at exit), or -errno.
 */
int sandbox_apply(bool threads);

/*
 * The program sandbox_apply installs, as loaded for process pid: copied
 * into out (cap instructions; nothing copied when too small, out NULL or
 * pid not a pid).  Returns its length in instructions.  Built at build
 * time from sandbox_rules.h (scripts/seccomp-gen.c); test_sandbox checks it
 * against libseccomp's own output.
 */
struct sock_filter;
size_t sandbox_filter(bool threads, long pid, struct sock_filter *out, size_t cap);

#endif
