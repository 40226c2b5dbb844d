/*
 * tun_holders on a fake procfs tree: who holds TUN device "snr0" is read
 * from descriptors of the TUN device (10, 200: the fake fd links point at
 * this machine's /dev/net/tun) whose fdinfo says "iff:\tsnr0", in the
 * caller's network namespace only, never the caller itself.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "os/linux/tun_holder.h"

static char root[64];

static void put_file(const char *rel, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static void put_dir(const char *rel)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	assert_int_equal(mkdir(path, 0700), 0);
}

static void put_link(const char *rel, const char *target)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	assert_int_equal(symlink(target, path), 0);
}

/* proc/PID with ns/net: the caller's namespace (a hard link) or another one. */
static void put_pid(const char *pid, bool same_netns, const char *comm)
{
	char rel[64], a[256], b[256];

	put_dir(pid);
	snprintf(rel, sizeof(rel), "%s/ns", pid);
	put_dir(rel);
	snprintf(rel, sizeof(rel), "%s/fd", pid);
	put_dir(rel);
	snprintf(rel, sizeof(rel), "%s/fdinfo", pid);
	put_dir(rel);
	snprintf(rel, sizeof(rel), "%s/comm", pid);
	put_file(rel, comm);
	snprintf(rel, sizeof(rel), "%s/ns/net", pid);
	if (same_netns) {
		snprintf(a, sizeof(a), "%s/self/ns/net", root);
		snprintf(b, sizeof(b), "%s/%s", root, rel);
		assert_int_equal(link(a, b), 0);
	} else {
		put_file(rel, "another namespace\n");
	}
}

static void put_fd(const char *pid, const char *fd, const char *target, const char *info)
{
	char rel[64];

	snprintf(rel, sizeof(rel), "%s/fd/%s", pid, fd);
	put_link(rel, target);
	snprintf(rel, sizeof(rel), "%s/fdinfo/%s", pid, fd);
	put_file(rel, info);
}

static int setup(void **state)
{
	char me[16];

	(void)state;
	snprintf(root, sizeof(root), "/tmp/subnetra-proc.XXXXXX");
	if (mkdtemp(root) == NULL)
		return -1;
	put_dir("self");
	put_dir("self/ns");
	put_file("self/ns/net", "this namespace\n");

	/* 100: the holder, among other descriptors */
	put_pid("100", true, "subnetrad\n");
	put_fd("100", "0", "/dev/null", "pos:\t0\n");
	put_fd("100", "7", "/dev/net/tun", "pos:\t0\nflags:\t02004002\nmnt_id:\t24\niff:\tsnr0\n");
	/* 101: a device whose name starts with ours */
	put_pid("101", true, "other\n");
	put_fd("101", "5", "/dev/net/tun", "pos:\t0\niff:\tsnr01\n");
	/* 102: "iff" on something that is no TUN descriptor */
	put_pid("102", true, "liar\n");
	put_fd("102", "5", "/dev/null", "iff:\tsnr0\n");
	/* 103: snr0, but of another network namespace */
	put_pid("103", false, "elsewhere\n");
	put_fd("103", "5", "/dev/net/tun", "iff:\tsnr0\n");
	/* 104: opened, not attached (the failing daemon itself looks like this) */
	put_pid("104", true, "unattached\n");
	put_fd("104", "3", "/dev/net/tun", "pos:\t0\niff:\t\n");
	/* 105: a second holder (a multi-queue device), its last line without '\n' */
	put_pid("105", true, "worker\n");
	put_fd("105", "9", "/dev/net/tun", "pos:\t0\niff:\tsnr0");
	/* the caller itself is never named */
	snprintf(me, sizeof(me), "%d", (int)getpid());
	put_pid(me, true, "me\n");
	put_fd(me, "4", "/dev/net/tun", "iff:\tsnr0\n");
	/* not a process */
	put_dir("sys");
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd) == 0 ? 0 : -1;
}

static int cmp_pid(const void *a, const void *b)
{
	return ((const struct tun_holder *)a)->pid - ((const struct tun_holder *)b)->pid;
}

static void test_finds_holders(void **state)
{
	struct tun_holder h[8];
	struct stat st;
	size_t n;

	(void)state;
	/* A holder is told by its descriptor's device: the fake fd links point at it. */
	if (stat("/dev/net/tun", &st) < 0)
		skip();
	n = tun_holders(root, "snr0", h, 8);
	assert_int_equal(n, 2);
	qsort(h, n, sizeof(h[0]), cmp_pid);
	assert_int_equal(h[0].pid, 100);
	assert_string_equal(h[0].comm, "subnetrad");
	assert_int_equal(h[1].pid, 105);
	assert_string_equal(h[1].comm, "worker");
	/* cap respected */
	assert_int_equal(tun_holders(root, "snr0", h, 1), 1);
	assert_int_equal(tun_holders(root, "snr01", h, 8), 1);
	assert_int_equal(h[0].pid, 101);
	assert_int_equal(tun_holders(root, "snr9", h, 8), 0);
}

static void test_no_procfs(void **state)
{
	struct tun_holder h[2];

	(void)state;
	assert_int_equal(tun_holders("/nonexistent", "snr0", h, 2), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_finds_holders),
	    cmocka_unit_test(test_no_procfs),
	};

	return cmocka_run_group_tests_name("tun_holder", tests, setup, teardown);
}
