/*
 * The confinement of the running daemon, each case in a forked child:
 *  - the loaded program is libseccomp's: both variants built here, at test
 *    time, from sandbox_rules.h, are byte for byte the BPF compiled in at
 *    build time (scripts/seccomp-gen.c), with the process id patched in;
 *  - the seccomp allow-list: the syscalls the daemon needs still work; a
 *    forbidden one (or an allowed one with forbidden arguments: executable
 *    memory, a mode other than 0600)
 *    stops the process with SANDBOX_EXIT_VIOLATION and a line naming the
 *    call; with threads, pthread_create works and a new process does not;
 *  - Landlock (sandbox_fs): a read-only path is one call, and nothing
 *    outside the given paths can be read or created;
 *  - daemon_confine, the daemon's own drop, as root: the policy snapshot is
 *    still written in the socket's directory, a file outside it is neither
 *    created nor read, although the process keeps uid 0;
 *  - privilege drop: empty capability sets, no_new_privs, not dumpable.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/landlock.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <seccomp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon/host/daemon.h"
#include "os/linux/privs.h"
#include "os/linux/sandbox.h"
#include "os/linux/sandbox_fs.h"
#include "os/linux/statefile.h"
#include "os/linux/sandbox_rules.h"
#include "os/linux/sanitizer.h"
#include "os/linux/policy_file.h"

/*
 * qemu-user (make test-cross) implements neither seccomp(2) nor
 * PR_SET_SECCOMP, so there is no filter to test; a kernel answers this.
 */
static int seccomp_missing(void)
{
	unsigned int action = SECCOMP_RET_ALLOW;

	return syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action) != 0 && errno == ENOSYS;
}

/* Landlock is there (not: qemu-user, an old kernel, disabled at boot). */
static int landlock_present(void)
{
	return syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION) >= 1;
}

/* Exit codes of a child: 0 ok, 10+n = check n failed, 99 = skipped. */
enum { SKIPPED = 99 };

/* Run fn in a child with its stderr captured into err; its exit status. */
static int run_child(int (*fn)(void), char *err, size_t cap)
{
	int fds[2], status;
	ssize_t n, got = 0;
	pid_t pid;

	assert_int_equal(pipe(fds), 0);
	pid = fork();
	if (pid == 0) {
		close(fds[0]);
		dup2(fds[1], STDERR_FILENO);
		_exit(fn());
	}
	assert_true(pid > 0);
	close(fds[1]);
	while (cap > 1 && (n = read(fds[0], err + got, cap - 1 - (size_t)got)) > 0)
		got += n;
	close(fds[0]);
	if (cap > 0)
		err[got] = '\0';
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

/* The filter, or SKIPPED where there is none to test. */
static int apply(bool threads)
{
	int rc = sandbox_apply(threads);

	if (rc == 1 || (rc != 0 && seccomp_missing()))
		return SKIPPED;
	return rc == 0 ? 0 : 10;
}

/* ---- seccomp ---- */

/* libseccomp's program for the rules, threads or not, and pid; *len instructions. */
static struct sock_filter *rules_program(bool threads, long pid, size_t *len)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_TRAP);
	struct sock_filter *prog;
	FILE *f = tmpfile();
	long size;

	assert_non_null(ctx);
	assert_non_null(f);
	assert_int_equal(sandbox_rules_build(ctx, seccomp_arch_native(), threads,
					     (scmp_datum_t)pid), 0);
	assert_int_equal(seccomp_export_bpf(ctx, fileno(f)), 0);
	seccomp_release(ctx);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	size = ftell(f);
	assert_true(size > 0 && size % (long)sizeof(*prog) == 0);
	prog = malloc((size_t)size);
	assert_non_null(prog);
	rewind(f);
	assert_int_equal(fread(prog, 1, (size_t)size, f), (size_t)size);
	fclose(f);
	*len = (size_t)size / sizeof(*prog);
	return prog;
}

/* The generated programs cannot drift from the rules (nor miss the pid). */
static void test_filter_is_the_rules(void **state)
{
	const long pids[] = {(long)getpid(), 1, 4194304};

	(void)state;
	for (int threads = 0; threads <= 1; threads++) {
		for (size_t i = 0; i < sizeof(pids) / sizeof(pids[0]); i++) {
			size_t want_len, len = sandbox_filter(threads, pids[i], NULL, 0);
			struct sock_filter *want = rules_program(threads, pids[i], &want_len);
			struct sock_filter *got = calloc(len, sizeof(*got));

			assert_non_null(got);
			if (want_len != len)
				fail_msg("threads %d: %zu instructions built in, libseccomp makes %zu",
					 threads, len, want_len);
			assert_int_equal(sandbox_filter(threads, pids[i], got, len), len);
			for (size_t k = 0; k < len; k++)
				if (memcmp(&got[k], &want[k], sizeof(got[k])) != 0)
					fail_msg("threads %d pid %ld: instruction %zu is "
						 "{%#x %u %u %#x}, libseccomp's {%#x %u %u %#x}",
						 threads, pids[i], k, got[k].code, got[k].jt,
						 got[k].jf, got[k].k, want[k].code, want[k].jt,
						 want[k].jf, want[k].k);
			free(got);
			free(want);
		}
	}
}

static char scratch[64]; /* a file for the open/fchmod cases */

static int child_allowed(void)
{
	int rc = apply(false), fd;

	if (rc != 0)
		return rc;
	if (write(STDOUT_FILENO, "", 0) != 0)
		return 11;
	fd = openat(AT_FDCWD, scratch, O_RDONLY | O_CLOEXEC); /* paths are Landlock's */
	if (fd < 0)
		return 12;
	close(fd);
	if (getpid() <= 0)
		return 13;
	return 0;
}

static int child_socket(void)
{
	int rc = apply(false);

	return rc != 0 ? rc : (socket(AF_INET, SOCK_DGRAM, 0), 20);
}

static int child_pipe(void)
{
	int fds[2], rc = apply(false);

	return rc != 0 ? rc : pipe2(fds, 0) == 0 ? 20 : 21;
}

static int child_execve(void)
{
	char *argv[] = {"/bin/true", NULL};
	int rc = apply(false);

	return rc != 0 ? rc : (execve(argv[0], argv, NULL), 20);
}

static int child_mmap_exec(void)
{
	int rc = apply(false);

	if (rc != 0)
		return rc;
	(void)mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return 20;
}

static int child_fchmod_wide(void)
{
	int fd = open(scratch, O_RDONLY | O_CLOEXEC), rc = apply(false);

	return rc != 0 ? rc : (fchmod(fd, 04755), 20);
}

/* `call` stopped the child with the documented status and a line naming it. */
static void expect_stop(int (*fn)(void), const char *call)
{
	char err[512], want[96];
	int rc = run_child(fn, err, sizeof(err));

	if (rc == SKIPPED)
		return;
	if (rc != SANDBOX_EXIT_VIOLATION)
		fail_msg("%s: exit %d, not %d (stderr: %s)", call, rc, SANDBOX_EXIT_VIOLATION, err);
	snprintf(want, sizeof(want), "subnetrad: seccomp: forbidden system call %d (%s",
		 seccomp_syscall_resolve_name(call), call);
	if (strstr(err, want) == NULL || strstr(err, "); stopping\n") == NULL)
		fail_msg("%s: stderr '%s' lacks '%s...); stopping'", call, err, want);
}

static void test_forbidden_syscalls_stop(void **state)
{
	char err[512];
	int rc, fd;

	(void)state;
	snprintf(scratch, sizeof(scratch), "/tmp/subnetra-sandbox.%ld", (long)getpid());
	fd = open(scratch, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	close(fd);
	rc = run_child(child_allowed, err, sizeof(err));
	if (rc == SKIPPED) {
		unlink(scratch);
		skip(); /* sanitizer build, or no seccomp: the filter is not installed */
	}
	assert_int_equal(rc, 0);
	expect_stop(child_socket, "socket");
	expect_stop(child_pipe, "pipe2");
	expect_stop(child_execve, "execve");
	expect_stop(child_mmap_exec, seccomp_syscall_resolve_name("mmap2") >= 0 ? "mmap2" : "mmap");
	expect_stop(child_fchmod_wide, "fchmod");
	unlink(scratch);
}

static void *thread_fn(void *arg)
{
	*(int *)arg = 42;
	return NULL;
}

/* With threads allowed: a worker thread starts and is joined; fork stops us. */
static int child_sandbox_threads(void)
{
	pthread_t t;
	int v = 0, rc = apply(true);

	if (rc != 0)
		return rc;
	if (pthread_create(&t, NULL, thread_fn, &v) != 0)
		return 11;
	if (pthread_join(t, NULL) != 0 || v != 42)
		return 12;
	/* a clone without CLONE_THREAD; the child would exit 0 */
	return fork() >= 0 ? 13 : 14;
}

/* Without: not even a thread. */
static int child_sandbox_no_threads(void)
{
	pthread_t t;
	int v = 0, rc = apply(false);

	if (rc != 0)
		return rc;
	return pthread_create(&t, NULL, thread_fn, &v) == 0 ? 11 : 12;
}

static void test_threads_only_when_asked(void **state)
{
	char err[512];
	int rc;

	(void)state;
	rc = run_child(child_sandbox_threads, err, sizeof(err));
	if (rc == SKIPPED)
		skip(); /* as above */
	assert_int_equal(rc, SANDBOX_EXIT_VIOLATION);
	assert_non_null(strstr(err, "(clone)"));
	assert_int_equal(run_child(child_sandbox_no_threads, err, sizeof(err)),
			 SANDBOX_EXIT_VIOLATION);
}

/* ---- Landlock ---- */

static char base[64], inside[96], outside[96], readable[96], other[96], state_dir[96];

static void make_tree(void)
{
	int fd;

	snprintf(base, sizeof(base), "/tmp/subnetra-confine.XXXXXX");
	assert_non_null(mkdtemp(base));
	snprintf(inside, sizeof(inside), "%s/run", base);
	snprintf(outside, sizeof(outside), "%s/outside", base);
	snprintf(readable, sizeof(readable), "%s/config.json", base);
	snprintf(other, sizeof(other), "%s/other.json", base);
	snprintf(state_dir, sizeof(state_dir), "%s/state", base);
	assert_int_equal(mkdir(inside, 0700), 0);
	assert_int_equal(mkdir(state_dir, 0700), 0);
	assert_int_equal(mkdir(outside, 0700), 0);
	fd = open(readable, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	assert_true(fd >= 0 && write(fd, "{}", 2) == 2);
	close(fd);
	fd = open(other, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	assert_true(fd >= 0 && write(fd, "{}", 2) == 2);
	close(fd);
}

static void remove_tree(void)
{
	char p[160];

	snprintf(p, sizeof(p), "%s/subnetra.policy", inside);
	unlink(p);
	snprintf(p, sizeof(p), "%s/new", inside);
	unlink(p);
	snprintf(p, sizeof(p), "%s/x", outside);
	unlink(p);
	snprintf(p, sizeof(p), "%s/subnetra.whitelist", state_dir);
	unlink(p);
	rmdir(state_dir);
	unlink(readable);
	unlink(other);
	rmdir(inside);
	rmdir(outside);
	rmdir(base);
}

/* Can this process open path with flags?  0, or the errno. */
static int try_open(const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC, 0600);

	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

/* A read-only path is one call; a FILES directory takes new files; nothing else. */
static int child_fs_rules(void)
{
	struct sandbox_fs fs;
	char p[160];
	int rc = sandbox_fs_init(&fs);

	if (rc != SANDBOX_FS_READY)
		return rc < 0 ? 10 : SKIPPED;
	if (sandbox_fs_allow_path(&fs, readable, SANDBOX_FS_READ) != 0 ||
	    sandbox_fs_allow_path(&fs, inside, SANDBOX_FS_FILES) != 0)
		return 11;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || sandbox_fs_restrict(&fs) != 0)
		return 12;
	if (try_open(readable, O_RDONLY) != 0)
		return 13;
	if (try_open(readable, O_WRONLY) != EACCES) /* read-only means read-only */
		return 14;
	if (try_open(other, O_RDONLY) != EACCES)
		return 15;
	snprintf(p, sizeof(p), "%s/new", inside);
	if (try_open(p, O_WRONLY | O_CREAT | O_EXCL) != 0)
		return 16;
	snprintf(p, sizeof(p), "%s/x", outside);
	if (try_open(p, O_WRONLY | O_CREAT | O_EXCL) != EACCES || access(p, F_OK) == 0)
		return 17;
	return 0;
}

static void test_fs_rules(void **state)
{
	char err[512];
	int rc;

	(void)state;
	if (!landlock_present())
		skip(); /* qemu-user, or a kernel without Landlock */
	make_tree();
	rc = run_child(child_fs_rules, err, sizeof(err));
	remove_tree();
	if (rc == SKIPPED)
		skip(); /* sanitizer build */
	if (rc != 0)
		fail_msg("child exit %d (10+n: check n failed; stderr: %s)", rc, err);
}

/*
 * daemon_confine as the daemon runs it, uid 0 and "user" unset: the
 * snapshot is saved in the socket's directory, a mesh state file in the
 * state directory, and a file outside them is neither created (Landlock's
 * EACCES: seccomp cannot see paths) nor read.
 */
static int child_confine(void)
{
	static const uint8_t stamp[POLICY_STAMP_LEN] = {1};
	static struct config cfg;
	struct daemon *d = daemon_alloc(&cfg);
	char p[160], why[512];

	if (d == NULL)
		return 10;
	d->sock_dirfd = open(inside, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	d->state_dirfd = open(state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (d->sock_dirfd < 0 || d->state_dirfd < 0 || daemon_confine(d) != 0)
		return 11;
	policy_init(&d->policy);
	snprintf(p, sizeof(p), "%s/subnetra.policy", inside);
	if (policy_save(policy_active(&d->policy), d->sock_dirfd, p, stamp, why, sizeof(why)) != 0)
		return 12;
	snprintf(p, sizeof(p), "%s/subnetra.whitelist", state_dir);
	if (statefile_save(d->state_dirfd, "subnetra.whitelist", p, "x\n", 2, why, sizeof(why)) != 0)
		return 13;
	snprintf(p, sizeof(p), "%s/x", outside);
	if (try_open(p, O_WRONLY | O_CREAT) != EACCES)
		return 14;
	if (try_open(other, O_RDONLY) != EACCES || try_open(other, O_WRONLY) != EACCES)
		return 15;
	return 0;
}

static void test_daemon_confine(void **state)
{
	char err[512], p[160];
	int rc;

	(void)state;
#ifdef SANITIZER_BUILD
	skip(); /* daemon_confine applies neither Landlock nor seccomp there */
#endif
	if (geteuid() != 0 || !landlock_present())
		skip(); /* root's case needs root; qemu-user has no Landlock */
	make_tree();
	rc = run_child(child_confine, err, sizeof(err));
	snprintf(p, sizeof(p), "%s/x", outside);
	if (rc == 0)
		assert_int_equal(access(p, F_OK), -1);
	remove_tree();
	if (rc != 0)
		fail_msg("child exit %d (10+n: check n failed; stderr: %s)", rc, err);
}

/* ---- privileges ---- */

static int child_privs(void)
{
	char line[256];
	FILE *f;
	int bad = 0;

	if (privs_drop((uid_t)-1, (gid_t)-1) != 0)
		return 10;
	f = fopen("/proc/self/status", "r");
	if (f == NULL)
		return 11;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "Cap", 3) == 0 && strstr(line, "0000000000000000") == NULL)
			bad = 12;
		if (strncmp(line, "NoNewPrivs:", 11) == 0 && strstr(line, "1") == NULL)
			bad = 13;
	}
	fclose(f);
#ifndef SANITIZER_BUILD
	/* no core file with keys, even without a uid change */
	if (prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0)
		bad = 14;
#endif
	return bad;
}

static void test_privileges_dropped(void **state)
{
	char err[512];

	(void)state;
	if (geteuid() != 0)
		skip();
	assert_int_equal(run_child(child_privs, err, sizeof(err)), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_filter_is_the_rules),
		cmocka_unit_test(test_forbidden_syscalls_stop),
		cmocka_unit_test(test_threads_only_when_asked),
		cmocka_unit_test(test_fs_rules),
		cmocka_unit_test(test_daemon_confine),
		cmocka_unit_test(test_privileges_dropped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
