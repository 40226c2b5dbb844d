/*
 * The daemon's seccomp filter as libseccomp rules: the one source of the
 * two programs sandbox.c loads (sandbox.h).  Not compiled into the daemon:
 * scripts/seccomp-gen.c builds both variants with libseccomp on the build
 * host, for the target architecture, and writes them out as BPF
 * ($(BUILD)/gen/seccomp_bpf.h); tests/unit/test_sandbox.c builds them again
 * at test time and checks that the loaded program is the same, byte for
 * byte.  Only those two include this header (it needs <seccomp.h>).
 *
 * With threads the list also allows what pthread_create and a thread's exit
 * need: clone only with CLONE_THREAD (no new process), clone3 refused with
 * ENOSYS so that glibc falls back to clone, mprotect (never PROT_EXEC) for
 * the stack guard page, set_robust_list, rseq, rt_sigaction of libc-internal
 * real-time signals (glibc's first pthread_create), prctl(PR_SET_NAME) for a
 * worker to name itself, and sched_yield for the spin-wait back-off.
 */
#ifndef SUBNETRA_SANDBOX_RULES_H
#define SUBNETRA_SANDBOX_RULES_H

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>

#include <seccomp.h>

/*
 * Every syscall made after start-up, allowed with any arguments.  glibc
 * wrappers map to different syscalls across versions (fstat ->
 * newfstatat, rename -> renameat2, ...), so each family is listed whole;
 * the ones whose arguments matter are in sandbox_arg_rules below instead.
 * By name: a call the target architecture lacks is skipped.
 */
static const char *const sandbox_allowed[] = {
	/* reactor and timers */
	"epoll_wait", "epoll_pwait", "epoll_pwait2", "timerfd_settime", "clock_gettime",
	"clock_nanosleep", "nanosleep", "getrandom",
	/* a sleep or timed wait interrupted by a stop (a debugger) resumes through it */
	"restart_syscall",
	/* packet and control I/O */
	"read", "write", "readv", "writev", "recvmmsg", "sendmmsg", "recvfrom", "sendto",
	"recvmsg", "sendmsg",
	/* policy snapshot (relative to the socket directory): stat the tmp
	 * name, create it, write, fsync, rename, fsync the directory; remove
	 * the socket */
	"openat", "close", "fsync", "fdatasync", "renameat", "fstat", "newfstatat", "statx",
	"lseek",
	/* memory (stdio buffers), signals, exit */
	"brk", "munmap", "mremap", "madvise", "futex", "rt_sigreturn", "rt_sigprocmask", "exit",
	"exit_group",
	/*
	 * mesh TCP fallback (os/linux/tcp.h): a base accepts connections and
	 * arms EPOLLOUT on a full one; a node connects to a base (socket is
	 * in sandbox_arg_rules: AF_INET6 only), sets TCP_NODELAY and
	 * TCP_USER_TIMEOUT, reads SO_ERROR after the connect, and watches it
	 */
	"accept4", "connect", "setsockopt", "getsockopt", "epoll_ctl",
	/* mesh mode: reaping the hosts helper at exit (hostsfile.h) */
	"wait4",
	/* abort() (a failed assertion, the stack protector): raise(SIGABRT) */
	"getpid", "gettid",
	/*
	 * 32-bit ABIs (armhf, mipsel): a 64-bit time_t libc (musl 1.2, glibc
	 * with _TIME_BITS=64) calls the *_time64 variant first, falling back
	 * only on ENOSYS, never on EPERM; and 32-bit file offsets have their
	 * own calls.  Absent (skipped) on 64-bit ABIs.
	 */
	"clock_gettime64", "clock_nanosleep_time64", "timerfd_settime64", "recvmmsg_time64",
	"futex_time64", "_llseek", "fstat64", "fstatat64", "sigreturn",
};

/* Worker threads: start-up (pthread_create), spin back-off, exit. */
static const char *const sandbox_allowed_threads[] = {
	"set_robust_list",
	"rseq",
	"sched_yield",
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
struct sandbox_arg_rule {
	const char *name;
	bool threads; /* only when worker threads are allowed */
	unsigned n;
	struct scmp_arg_cmp cmp[2];
};

#define SANDBOX_CMP(a, o, x, y) {.arg = (a), .op = (o), .datum_a = (x), .datum_b = (y)}
#define SANDBOX_EQ(a, x) SANDBOX_CMP(a, SCMP_CMP_EQ, x, 0)
#define SANDBOX_NO_EXEC(a) SANDBOX_CMP(a, SCMP_CMP_MASKED_EQ, PROT_EXEC, 0)

static const struct sandbox_arg_rule sandbox_arg_rules[] = {
	{"mmap", false, 1, {SANDBOX_NO_EXEC(2)}},
	{"mmap2", false, 1, {SANDBOX_NO_EXEC(2)}},
	{"mprotect", true, 1, {SANDBOX_NO_EXEC(2)}},
	/* a worker names itself (pthread_setname_np on pthread_self) */
	{"prctl", true, 1, {SANDBOX_EQ(0, PR_SET_NAME)}},
	/* glibc's first pthread_create installs its SIGSETXID handler: only
	 * libc-internal real-time signals, never SIGSYS's handler */
	{"rt_sigaction", true, 1, {SANDBOX_CMP(0, SCMP_CMP_GE, 32, 0)}},
	/* a node's TCP connection to a base: IPv6 (v4-mapped) sockets only */
	{"socket", false, 1, {SANDBOX_EQ(0, AF_INET6)}},
	{"fchmod", false, 1, {SANDBOX_EQ(1, 0600)}},
	{"unlinkat", false, 1, {SANDBOX_EQ(2, 0)}},
	{"renameat2", false, 1, {SANDBOX_EQ(4, 0)}},
};

/*
 * The syscall number to give libseccomp for name: the native one (rules
 * are translated by name to a foreign filter architecture), or -1 when
 * the target architecture lacks the call (the rule is skipped).
 */
static inline int sandbox_rules_nr(uint32_t arch, const char *name)
{
	if (seccomp_syscall_resolve_name_arch(arch, name) < 0)
		return -1;
	return seccomp_syscall_resolve_name(name);
}

static inline int sandbox_rules_allow(scmp_filter_ctx ctx, uint32_t arch,
				      const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int nr = sandbox_rules_nr(arch, list[i]), err;

		if (nr == -1)
			continue;
		err = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
		if (err < 0)
			return err;
	}
	return 0;
}

/*
 * ENOSYS as the target architecture numbers it: the generator may run on
 * another one, and MIPS numbers its errors its own way.  The other
 * constants in the rules (PROT_EXEC, PR_SET_NAME, SIGABRT, CLONE_THREAD,
 * modes) are the same on every Linux architecture.
 */
static inline int sandbox_rules_enosys(uint32_t arch)
{
	switch (arch) {
	case SCMP_ARCH_MIPS:
	case SCMP_ARCH_MIPSEL:
	case SCMP_ARCH_MIPS64:
	case SCMP_ARCH_MIPSEL64:
	case SCMP_ARCH_MIPS64N32:
	case SCMP_ARCH_MIPSEL64N32:
		return 89;
	default:
		return arch == seccomp_arch_native() ? ENOSYS : 38; /* asm-generic */
	}
}

/*
 * The filter for the target architecture arch (a SCMP_ARCH_* token; ctx
 * filters exactly that one) and a process pid: abort() may signal only it.
 * The generator passes a placeholder pid that sandbox.c replaces at run
 * time.  Anything not allowed raises SIGSYS at the offending call: ctx is
 * made with seccomp_init(SCMP_ACT_TRAP) and no attribute changed, so the
 * kernel gets it with no_new_privs set and no filter flags.
 */
static inline int sandbox_rules_build(scmp_filter_ctx ctx, uint32_t arch, bool threads,
				      scmp_datum_t pid)
{
	int err = sandbox_rules_allow(ctx, arch, sandbox_allowed,
				      sizeof(sandbox_allowed) / sizeof(sandbox_allowed[0]));

	if (err == 0 && threads)
		err = sandbox_rules_allow(ctx, arch, sandbox_allowed_threads,
					  sizeof(sandbox_allowed_threads) /
						  sizeof(sandbox_allowed_threads[0]));
	for (size_t i = 0; err == 0 && i < sizeof(sandbox_arg_rules) / sizeof(sandbox_arg_rules[0]);
	     i++) {
		const struct sandbox_arg_rule *r = &sandbox_arg_rules[i];
		int nr = sandbox_rules_nr(arch, r->name);

		if (nr == -1 || (r->threads && !threads))
			continue;
		err = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, nr, r->n, r->cmp);
	}
	/*
	 * abort(): SIGABRT to this process (glibc: tgkill with our pid), or to
	 * the main thread (musl: tkill with its tid, which is the pid; a worker
	 * aborting under musl is stopped as a violation instead).
	 */
	if (err == 0) {
		const struct scmp_arg_cmp self[] = {SANDBOX_EQ(0, pid), SANDBOX_EQ(2, SIGABRT)};

		err = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, sandbox_rules_nr(arch, "tgkill"),
					     2, self);
	}
	if (err == 0) {
		const struct scmp_arg_cmp main_thread[] = {SANDBOX_EQ(0, pid),
							   SANDBOX_EQ(1, SIGABRT)};

		err = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, sandbox_rules_nr(arch, "tkill"),
					     2, main_thread);
	}
	/* clone with CLONE_THREAD only: threads of this process, never a new one. */
	if (err == 0 && threads) {
		/* s390 passes the stack first and the flags second. */
		unsigned flags_arg = arch == SCMP_ARCH_S390 || arch == SCMP_ARCH_S390X ? 1 : 0;
		const struct scmp_arg_cmp flags =
			SANDBOX_CMP(flags_arg, SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD);
		int clone3 = sandbox_rules_nr(arch, "clone3");

		err = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, sandbox_rules_nr(arch, "clone"), 1,
					     &flags);
		/* clone3 takes its flags in memory, out of a filter's reach: ENOSYS
		 * makes glibc fall back to clone. */
		if (err == 0 && clone3 != -1)
			err = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(sandbox_rules_enosys(arch)), clone3, 0);
	}
	return err;
}

#endif
