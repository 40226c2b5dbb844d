/* seccomp allow-list via libseccomp (see sandbox.h). */
#include "sandbox.h"

#include <errno.h>
#include <sched.h>
#include <seccomp.h>
#include <stddef.h>

#include "sanitizer.h"

#ifndef SANITIZER_BUILD
/*
 * Every syscall made after start-up.  glibc wrappers map to different
 * syscalls across versions (fstat -> newfstatat, rename -> renameat2, ...),
 * so each family is listed whole.
 */
static const int allowed[] = {
	/* reactor and timers */
	SCMP_SYS(epoll_wait), SCMP_SYS(epoll_pwait), SCMP_SYS(epoll_pwait2),
	SCMP_SYS(timerfd_settime), SCMP_SYS(clock_gettime), SCMP_SYS(clock_nanosleep),
	SCMP_SYS(nanosleep), SCMP_SYS(getrandom),
	/* packet and control I/O */
	SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(readv), SCMP_SYS(writev),
	SCMP_SYS(recvmmsg), SCMP_SYS(sendmmsg), SCMP_SYS(recvfrom), SCMP_SYS(sendto),
	SCMP_SYS(recvmsg), SCMP_SYS(sendmsg),
	/* policy snapshot: open tmp, write, fsync, rename, fsync dir */
	SCMP_SYS(openat), SCMP_SYS(open), SCMP_SYS(close), SCMP_SYS(fsync),
	SCMP_SYS(fdatasync), SCMP_SYS(rename), SCMP_SYS(renameat), SCMP_SYS(renameat2),
	SCMP_SYS(unlink), SCMP_SYS(unlinkat), SCMP_SYS(fchmod), SCMP_SYS(fstat),
	SCMP_SYS(newfstatat), SCMP_SYS(statx), SCMP_SYS(lseek),
	/* memory (stdio buffers), signals, exit */
	SCMP_SYS(brk), SCMP_SYS(mmap), SCMP_SYS(munmap), SCMP_SYS(mremap), SCMP_SYS(madvise),
	SCMP_SYS(futex), SCMP_SYS(rt_sigreturn), SCMP_SYS(rt_sigprocmask),
	SCMP_SYS(exit), SCMP_SYS(exit_group),
	/*
	 * 32-bit ABIs (armhf, mipsel): a 64-bit time_t libc (musl 1.2, glibc
	 * with _TIME_BITS=64) calls the *_time64 variant first, falling back
	 * only on ENOSYS, never on EPERM; and 32-bit file offsets and mmap
	 * have their own calls.  Negative (skipped) on 64-bit ABIs.
	 */
	SCMP_SYS(clock_gettime64), SCMP_SYS(clock_nanosleep_time64),
	SCMP_SYS(timerfd_settime64), SCMP_SYS(recvmmsg_time64), SCMP_SYS(futex_time64),
	SCMP_SYS(_llseek), SCMP_SYS(mmap2), SCMP_SYS(fstat64), SCMP_SYS(fstatat64),
	SCMP_SYS(sigreturn),
};

/* Worker threads: start-up (pthread_create), spin back-off, exit. */
static const int allowed_threads[] = {
	SCMP_SYS(mprotect), SCMP_SYS(set_robust_list), SCMP_SYS(rseq),
	SCMP_SYS(sched_yield), SCMP_SYS(gettid),
};

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

	/* clone3 takes its flags in memory, out of a filter's reach. */
	if (err == 0 && SCMP_SYS(clone3) >= 0)
		err = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
	return err;
}
#endif

int sandbox_apply(bool threads)
{
#ifdef SANITIZER_BUILD
	(void)threads;
	return 1;
#else
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));
	int err;

	if (ctx == NULL)
		return -ENOMEM;
	err = allow_all(ctx, allowed, sizeof(allowed) / sizeof(allowed[0]));
	if (err == 0 && threads)
		err = allow_all(ctx, allowed_threads,
				sizeof(allowed_threads) / sizeof(allowed_threads[0]));
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
