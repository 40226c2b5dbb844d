/*
 * The seccomp allow-list (see sandbox.h), compiled at build time: the rules
 * are in sandbox_rules.h, scripts/seccomp-gen.c turns them into BPF with
 * the build host's libseccomp for the target architecture
 * ($(BUILD)/gen/seccomp_bpf.h), and this file only loads that program.  The
 * one run-time value in it, the pid abort() may signal, is patched in.
 * The daemon does not link libseccomp.
 */
#include "os/linux/sandbox.h"

#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/filter.h>
#include <linux/seccomp.h>

#include "os/linux/sanitizer.h"
#include "seccomp_bpf.h"

enum {
	MAX_INSNS = sizeof(seccomp_bpf_single) > sizeof(seccomp_bpf_threads)
			? sizeof(seccomp_bpf_single) / sizeof(seccomp_bpf_single[0])
			: sizeof(seccomp_bpf_threads) / sizeof(seccomp_bpf_threads[0])
};

size_t sandbox_filter(bool threads, long pid, struct sock_filter *out, size_t cap)
{
	const struct sock_filter *prog =
	    threads ? seccomp_bpf_threads : seccomp_bpf_single;
	size_t len = threads
			 ? sizeof(seccomp_bpf_threads) / sizeof(seccomp_bpf_threads[0])
			 : sizeof(seccomp_bpf_single) / sizeof(seccomp_bpf_single[0]);
	const unsigned short *at = threads ? seccomp_pid_threads : seccomp_pid_single;
	size_t n_at = threads
			  ? sizeof(seccomp_pid_threads) / sizeof(seccomp_pid_threads[0])
			  : sizeof(seccomp_pid_single) / sizeof(seccomp_pid_single[0]);

	if (out == NULL || cap < len || pid <= 0 || (unsigned long)pid > UINT32_MAX)
		return len;
	memcpy(out, prog, len * sizeof(*prog));
	for (size_t i = 0; i < n_at; i++)
		out[at[i]].k = (uint32_t)pid;
	return len;
}

#ifndef SANITIZER_BUILD
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
	if (nr >= SECCOMP_NAMES_BASE && nr - SECCOMP_NAMES_BASE < SECCOMP_NAMES_COUNT) {
		const char *name = seccomp_names;

		for (long i = SECCOMP_NAMES_BASE; i < nr; i++)
			while (*name++ != '\0')
				;
		if (*name != '\0') {
			n = put(msg, n, sizeof(msg), " (");
			n = put(msg, n, sizeof(msg), name);
			n = put(msg, n, sizeof(msg), ")");
		}
	}
	n = put(msg, n, sizeof(msg), "; stopping\n");
	if (write(STDERR_FILENO, msg, n) < 0) {
		/* nothing else to tell it with */
	}
	_exit(SANDBOX_EXIT_VIOLATION);
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
	static struct sock_filter prog[MAX_INSNS];
	struct sock_fprog fprog;
	int err;

	fprog.len =
	    (unsigned short)sandbox_filter(threads, (long)getpid(), prog, MAX_INSNS);
	fprog.filter = prog;
	err = install_handler();
	if (err < 0)
		return err;
	/*
	 * As libseccomp's seccomp_load with default attributes: no_new_privs
	 * first (required without CAP_SYS_ADMIN), then seccomp(2) with no
	 * flags (the filter goes in before any worker thread exists, which
	 * inherits it: no TSYNC), PR_SET_SECCOMP where seccomp(2) is missing.
	 */
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1 &&
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return -errno;
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog) == 0)
		return 0;
	if (errno != ENOSYS)
		return -errno;
	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fprog, 0, 0) == 0 ? 0 : -errno;
#endif
}
