/*
 * The seccomp allow-list, installed in a forked child: a syscall the daemon
 * needs still works, forbidden ones fail with EPERM.  Privilege drop: the
 * child ends with empty capability sets and no_new_privs.  With threads the
 * list lets pthread_create work and still refuses a new process.
 */
#include <errno.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "privs.h"
#include "sandbox.h"

/*
 * qemu-user (make test-cross) implements neither seccomp(2) nor
 * PR_SET_SECCOMP, so there is no filter to test; a kernel answers this.
 */
static int seccomp_missing(void)
{
	unsigned int action = SECCOMP_RET_ALLOW;

	return syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action) != 0 && errno == ENOSYS;
}

/* Exit codes of the child: 0 ok, 10+n = check n failed, 99 = skipped. */
static int child_sandbox(void)
{
	char *argv[] = {"/bin/true", NULL};
	int fds[2];

	int rc = sandbox_apply(false);
	if (rc == 1)
		return 99;
	if (rc != 0)
		return seccomp_missing() ? 99 : 10;
	if (pipe(fds) == 0) /* pipe2 is not on the list */
		return 11;
	if (errno != EPERM)
		return 12;
	if (socket(AF_INET, SOCK_DGRAM, 0) >= 0 || errno != EPERM)
		return 13;
	execve(argv[0], argv, NULL);
	if (errno != EPERM)
		return 14;
	if (write(STDOUT_FILENO, "", 0) != 0) /* allowed */
		return 15;
	return 0;
}

static void *thread_fn(void *arg)
{
	*(int *)arg = 42;
	return NULL;
}

/* With threads allowed: a worker thread starts and is joined; fork does not. */
static int child_sandbox_threads(void)
{
	pthread_t t;
	int v = 0, rc = sandbox_apply(true);

	if (rc == 1)
		return 99;
	if (rc != 0)
		return seccomp_missing() ? 99 : 10;
	if (pthread_create(&t, NULL, thread_fn, &v) != 0)
		return 11;
	if (pthread_join(t, NULL) != 0 || v != 42)
		return 12;
	if (fork() >= 0) /* a clone without CLONE_THREAD; the child would exit 0 */
		return 13;
	if (errno != EPERM)
		return 14;
	if (socket(AF_INET, SOCK_DGRAM, 0) >= 0 || errno != EPERM)
		return 15;
	return 0;
}

/* Without: no thread can be created at all. */
static int child_sandbox_no_threads(void)
{
	pthread_t t;
	int v = 0, rc = sandbox_apply(false);

	if (rc == 1)
		return 99;
	if (rc != 0)
		return seccomp_missing() ? 99 : 10;
	if (pthread_create(&t, NULL, thread_fn, &v) == 0)
		return 11;
	return 0;
}

static int run_child(int (*fn)(void))
{
	int status;
	pid_t pid = fork();

	if (pid == 0)
		_exit(fn());
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static void test_forbidden_syscalls_refused(void **state)
{
	int rc;

	(void)state;
	rc = run_child(child_sandbox);
	if (rc == 99)
		skip(); /* sanitizer build, or no seccomp: the filter is not installed */
	assert_int_equal(rc, 0);
}

static void test_threads_only_when_asked(void **state)
{
	int rc;

	(void)state;
	rc = run_child(child_sandbox_threads);
	if (rc == 99)
		skip(); /* as above */
	assert_int_equal(rc, 0);
	assert_int_equal(run_child(child_sandbox_no_threads), 0);
}

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
	return bad;
}

static void test_privileges_dropped(void **state)
{
	(void)state;
	if (geteuid() != 0)
		skip();
	assert_int_equal(run_child(child_privs), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forbidden_syscalls_refused),
		cmocka_unit_test(test_threads_only_when_asked),
		cmocka_unit_test(test_privileges_dropped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
