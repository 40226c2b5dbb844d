/*
 * The seccomp allow-list installed after start-up: only the syscalls the
 * running daemon still makes (the reactor, packet I/O, control replies, the
 * policy snapshot write, shutdown).  Anything else fails with EPERM.
 */
#ifndef SUBNETRA_SANDBOX_H
#define SUBNETRA_SANDBOX_H

/*
 * 0 when installed, 1 when skipped (sanitizer builds: their runtimes need
 * syscalls such as ptrace and clone at exit), or -errno.
 */
int sandbox_apply(void);

#endif
