/*
 * seccomp allow-list via libseccomp (see sandbox.h).  With threads the list
 * also allows what pthread_create and a thread's exit need: clone only with
 * CLONE_THREAD (no new process), clone3 refused with ENOSYS so that glibc
 * falls back to clone, mprotect (never PROT_EXEC) for the stack guard page,
 * set_robust_list, rseq, rt_sigaction of libc-internal real-time signals
 * (glibc's first pthread_create), prctl(PR_SET_NAME) for a worker to name
 * itself, and sched_yield for the spin-wait back-off.
 */
#include "os/linux/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <seccomp.h>

#include "os/linux/sanitizer.h"

#ifndef SANITIZER_BUILD
/*
 * Every syscall made after start-up, allowed with any arguments.  glibc
 * wrappers map to different syscalls across versions (fstat ->
 * newfstatat, rename -> renameat2, ...), so each family is listed whole;
 * the ones whose arguments matter are in arg_rules below instead.
 */
static const int allowed[] = {
	/* reactor and timers */
	SCMP_SYS(epoll_wait), SCMP_SYS(epoll_pwait), SCMP_SYS(epoll_pwait2),
	SCMP_SYS(timerfd_settime), SCMP_SYS(clock_gettime), SCMP_SYS(clock_nanosleep),
	SCMP_SYS(nanosleep), SCMP_SYS(getrandom),
	/* a sleep or timed wait interrupted by a stop (a debugger) resumes through it */
	SCMP_SYS(restart_syscall),
	/* packet and control I/O */
	SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(readv), SCMP_SYS(writev),
	SCMP_SYS(recvmmsg), SCMP_SYS(sendmmsg), SCMP_SYS(recvfrom), SCMP_SYS(sendto),
	SCMP_SYS(recvmsg), SCMP_SYS(sendmsg),
	/* policy snapshot (relative to the socket directory): stat the tmp
	 * name, create it, write, fsync, rename, fsync the directory; remove
	 * the socket */
	SCMP_SYS(openat), SCMP_SYS(close), SCMP_SYS(fsync), SCMP_SYS(fdatasync),
	SCMP_SYS(renameat),
	SCMP_SYS(fstat), SCMP_SYS(newfstatat), SCMP_SYS(statx), SCMP_SYS(lseek),
	/* memory (stdio buffers), signals, exit */
	SCMP_SYS(brk), SCMP_SYS(munmap), SCMP_SYS(mremap), SCMP_SYS(madvise),
	SCMP_SYS(futex), SCMP_SYS(rt_sigreturn), SCMP_SYS(rt_sigprocmask),
	SCMP_SYS(exit), SCMP_SYS(exit_group),
	/* mesh mode: reaping the hosts helper at exit (hostsfile.h) */
	SCMP_SYS(wait4),
	/* abort() (a failed assertion, the stack protector): raise(SIGABRT) */
	SCMP_SYS(getpid), SCMP_SYS(gettid),
	/*
	 * 32-bit ABIs (armhf, mipsel): a 64-bit time_t libc (musl 1.2, glibc
	 * with _TIME_BITS=64) calls the *_time64 variant first, falling back
	 * only on ENOSYS, never on EPERM; and 32-bit file offsets have their
	 * own calls.  Negative (skipped) on 64-bit ABIs.
	 */
	SCMP_SYS(clock_gettime64), SCMP_SYS(clock_nanosleep_time64),
	SCMP_SYS(timerfd_settime64), SCMP_SYS(recvmmsg_time64), SCMP_SYS(futex_time64),
	SCMP_SYS(_llseek), SCMP_SYS(fstat64), SCMP_SYS(fstatat64), SCMP_SYS(sigreturn),
};

/* Worker threads: start-up (pthread_create), spin back-off, exit. */
static const int allowed_threads[] = {
	SCMP_SYS(set_robust_list), SCMP_SYS(rseq), SCMP_SYS(sched_yield),
};

/*
 * Syscalls allowed only with these arguments (each rule one alternative).
 * No new executable memory: code injected into data stays data (mprotect
 * only with threads: the stack guard page).  With threads, a worker may
 * name itself and glibc may install its internal signal handler.  The
 * snapshot's file operations with a mode or flags: exactly 0600, no
 * directory removal, no exchange or whiteout on rename.  Which paths may
 * be opened, created or removed is Landlock's to decide (sandbox_fs.h):
 * a filter sees a path only as a pointer.
 */
struct arg_rule {
	int nr;
	bool threads; /* only when worker threads are allowed */
	unsigned n;
	struct scmp_arg_cmp cmp[2];
};

#define CMP(a, o, x, y) {.arg = (a), .op = (o), .datum_a = (x), .datum_b = (y)}
#define EQ(a, x) CMP(a, SCMP_CMP_EQ, x, 0)
#define NO_EXEC(a) CMP(a, SCMP_CMP_MASKED_EQ, PROT_EXEC, 0)

static const struct arg_rule arg_rules[] = {
	{SCMP_SYS(mmap), false, 1, {NO_EXEC(2)}},
	{SCMP_SYS(mmap2), false, 1, {NO_EXEC(2)}},
	{SCMP_SYS(mprotect), true, 1, {NO_EXEC(2)}},
	/* a worker names itself (pthread_setname_np on pthread_self) */
	{SCMP_SYS(prctl), true, 1, {EQ(0, PR_SET_NAME)}},
	/* glibc's first pthread_create installs its SIGSETXID handler: only
	 * libc-internal real-time signals, never SIGSYS's handler */
	{SCMP_SYS(rt_sigaction), true, 1, {CMP(0, SCMP_CMP_GE, 32, 0)}},
	{SCMP_SYS(fchmod), false, 1, {EQ(1, 0600)}},
	{SCMP_SYS(unlinkat), false, 1, {EQ(2, 0)}},
	{SCMP_SYS(renameat2), false, 1, {EQ(4, 0)}},
};

/*
 * Names of syscall numbers [names_base, names_base + NAMES_MAX), resolved
 * before the filter goes in: the SIGSYS handler may only format and write.
 * The base is 0 except where the ABI numbers from elsewhere (MIPS o32 4000).
 */
enum { NAMES_MAX = 1024, NAME_LEN = 28 };
static char names[NAMES_MAX][NAME_LEN];
static long names_base;

static void resolve_names(void)
{
	names_base = SCMP_SYS(read) / 1000 * 1000;
	for (long i = 0; i < NAMES_MAX; i++) {
		int nr = (int)(names_base + i);
		char *n = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);

		if (n != NULL && strlen(n) < NAME_LEN)
			memcpy(names[i], n, strlen(n) + 1);
		free(n);
	}
}

static size_t put(char *buf, size_t n, size_t cap, const char *s)
{
	while (*s != '\0' && n < cap)
		buf[n++] = *s++;
	return n;
}

/*
 * A forbidden syscall is a bug or an attack: name it and stop.  Only
 * async-signal-safe work here (formatting into a local buffer, write, _exit),
 * and nothing the filter forbids.
 */
static void on_sigsys(int sig, siginfo_t *si, void *uctx)
{
	char msg[128], digits[16];
	long nr = si->si_syscall;
	size_t n = 0, d = 0;
	unsigned long v = nr < 0 ? 0 : (unsigned long)nr;

	(void)sig;
	(void)uctx;
	do
		digits[d++] = (char)('0' + v % 10);
	while ((v /= 10) != 0 && d < sizeof(digits));
	n = put(msg, n, sizeof(msg), "subnetrad: seccomp: forbidden system call ");
	while (d > 0 && n < sizeof(msg))
		msg[n++] = digits[--d];
	if (nr >= names_base && nr - names_base < NAMES_MAX && names[nr - names_base][0]) {
		n = put(msg, n, sizeof(msg), " (");
		n = put(msg, n, sizeof(msg), names[nr - names_base]);
		n = put(msg, n, sizeof(msg), ")");
	}
	n = put(msg, n, sizeof(msg), "; stopping\n");
	if (write(STDERR_FILENO, msg, n) < 0) {
		/* nothing else to tell it with */
	}
	_exit(SANDBOX_EXIT_VIOLATION);
}

static int allow_all(scmp_filter_ctx ctx, const int *list, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int err;

		/* A syscall this architecture lacks resolves negative: skip it. */
		if (list[i] < 0)
			continue;
		err = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, list[i], 0);
		if (err < 0)
			return err;
	}
	return 0;
}

static int allow_args(scmp_filter_ctx ctx, bool threads)
{
	for (size_t i = 0; i < sizeof(arg_rules) / sizeof(arg_rules[0]); i++) {
		const struct arg_rule *r = &arg_rules[i];
		int err;

		if (r->nr < 0 || (r->threads && !threads))
			continue;
		err = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, r->nr, r->n, r->cmp);
		if (err < 0)
			return err;
	}
	/*
	 * abort(): SIGABRT to this process (glibc: tgkill with our pid), or to
	 * the main thread (musl: tkill with its tid, which is the pid; a worker
	 * aborting under musl is stopped as a violation instead).
	 */
	{
		const struct scmp_arg_cmp self[] = {EQ(0, (scmp_datum_t)getpid()),
						    EQ(2, SIGABRT)};
		const struct scmp_arg_cmp main_thread[] = {EQ(0, (scmp_datum_t)getpid()),
							   EQ(1, SIGABRT)};
		int err = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 2, self);

		if (err == 0)
			err = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, SCMP_SYS(tkill), 2,
						     main_thread);
		return err;
	}
}

/* clone with CLONE_THREAD only: threads of this process, never a new one. */
static int allow_thread_clone(scmp_filter_ctx ctx)
{
	/* s390 passes the stack first and the flags second. */
#if defined(__s390__) || defined(__s390x__)
	struct scmp_arg_cmp flags = SCMP_A1(SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD);
#else
	struct scmp_arg_cmp flags = SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD);
#endif
	int err = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1, flags);

	/* clone3 takes its flags in memory, out of a filter's reach: ENOSYS
	 * makes glibc fall back to clone. */
	if (err == 0 && SCMP_SYS(clone3) >= 0)
		err = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
	return err;
}

static int install_handler(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigsys;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	return sigaction(SIGSYS, &sa, NULL) < 0 ? -errno : 0;
}
#endif

int sandbox_apply(bool threads)
{
#ifdef SANITIZER_BUILD
	(void)threads;
	return 1;
#else
	scmp_filter_ctx ctx;
	int err;

	resolve_names();
	err = install_handler();
	if (err < 0)
		return err;
	/* Anything not allowed raises SIGSYS at the offending call (on_sigsys). */
	ctx = seccomp_init(SCMP_ACT_TRAP);
	if (ctx == NULL)
		return -ENOMEM;
	err = allow_all(ctx, allowed, sizeof(allowed) / sizeof(allowed[0]));
	if (err == 0 && threads)
		err = allow_all(ctx, allowed_threads,
				sizeof(allowed_threads) / sizeof(allowed_threads[0]));
	if (err == 0)
		err = allow_args(ctx, threads);
	if (err == 0 && threads)
		err = allow_thread_clone(ctx);
	if (err < 0)
		goto out;
	err = seccomp_load(ctx);
out:
	seccomp_release(ctx);
	return err;
#endif
}
