/*
 * os/linux/hostsfile.c in a temporary directory: the block rewritten with
 * the old file's mode kept, no write at all when nothing changes (same
 * inode), a missing file created 0644, a symbolic link or malformed markers
 * refused with the file untouched, a crash's temporary file no obstacle; and the helper process: it writes what
 * it is asked, refuses a malformed request and an entry that is not an
 * fc94 address and a host name, holds no capability and no new privileges
 * and no copy of the caller's secrets,
 * and exits when the daemon closes its end.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/mesh/identity.h"
#include "os/linux/hostsfile.h"

static char dir[64], path[128];
static int dirfd_;

static void write_file(const char *p, const char *text, mode_t mode)
{
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static const char *read_file(const char *p)
{
	static char buf[8192];
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	assert_true(fd >= 0);
	n = read(fd, buf, sizeof(buf) - 1);
	assert_true(n >= 0);
	buf[n] = '\0';
	close(fd);
	return buf;
}

static struct hosts_entry entry(const char *addr, const char *name)
{
	struct hosts_entry e = { 0 };

	assert_true(identity_address_parse(addr, strlen(addr), e.addr));
	snprintf(e.name, sizeof(e.name), "%s", name);
	return e;
}

static int setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/snr-hosts.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/hosts", dir);
	dirfd_ = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return dirfd_ < 0 ? -1 : 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	close(dirfd_);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_apply(void **state)
{
	struct hosts_entry e[2] = { entry("fc94::1", "alpha"), entry("fc94::2", "beta") };
	struct stat a, b;
	char why[256];

	(void)state;
	write_file(path, "127.0.0.1 localhost\n", 0640);
	assert_int_equal(hostsfile_apply(dirfd_, "hosts", path, e, 2, why, sizeof(why)), 0);
	assert_string_equal(read_file(path), "127.0.0.1 localhost\n" HOSTS_BEGIN "\nfc94::1 alpha\n"
					     "fc94::2 beta\n" HOSTS_END "\n");
	assert_int_equal(stat(path, &a), 0);
	assert_int_equal(a.st_mode & 07777, 0640);
	/* the same entries again: not written at all */
	assert_int_equal(hostsfile_apply(dirfd_, "hosts", path, e, 2, why, sizeof(why)), 0);
	assert_int_equal(stat(path, &b), 0);
	assert_int_equal(a.st_ino, b.st_ino);
	/* none: the block goes */
	assert_int_equal(hostsfile_apply(dirfd_, "hosts", path, e, 0, why, sizeof(why)), 0);
	assert_string_equal(read_file(path), "127.0.0.1 localhost\n");
	/* no temporary file left behind */
	assert_int_equal(faccessat(dirfd_, ".subnetra-hosts.tmp", F_OK, 0), -1);
}

static void test_missing_and_refused(void **state)
{
	struct hosts_entry e = entry("fc94::1", "alpha");
	char why[256], target[160];
	struct stat st;

	(void)state;
	unlink(path);
	/* a temporary file left by a crash does not block the next write */
	snprintf(target, sizeof(target), "%s/.subnetra-hosts.tmp", dir);
	write_file(target, "half", 0600);
	assert_int_equal(hostsfile_apply(dirfd_, "hosts", path, &e, 1, why, sizeof(why)), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	/* a symbolic link at the name: refused, its target untouched */
	snprintf(target, sizeof(target), "%s/target", dir);
	write_file(target, "x\n", 0644);
	unlink(path);
	assert_int_equal(symlink(target, path), 0);
	assert_int_equal(hostsfile_apply(dirfd_, "hosts", path, &e, 1, why, sizeof(why)), -ELOOP);
	assert_non_null(strstr(why, path));
	assert_string_equal(read_file(target), "x\n");
	unlink(path);
	/* malformed markers: refused, the file untouched */
	write_file(path, HOSTS_BEGIN "\nfc94::9 x\n", 0644);
	assert_int_equal(hostsfile_apply(dirfd_, "hosts", path, &e, 1, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "not rewritten"));
	assert_string_equal(read_file(path), HOSTS_BEGIN "\nfc94::9 x\n");
}

/* What the caller's forget() must wipe in the helper, and only there. */
static uint8_t secret[32];

static void forget(void *arg)
{
	memset(arg, 0, sizeof(secret));
}

static long status_field(pid_t pid, const char *key)
{
	char p[64], line[256];
	FILE *f;
	long v = -1;

	snprintf(p, sizeof(p), "/proc/%d/status", (int)pid);
	f = fopen(p, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, key, strlen(key)) == 0)
			v = strtol(line + strlen(key), NULL, 16);
	fclose(f);
	return v;
}

static void test_helper(void **state)
{
	struct hosts_entry e[2] = { entry("fc94::1", "alpha"), entry("fc94::2", "beta") };
	struct hosts_entry bad = entry("fd00::1", "alpha");
	struct hosts_helper h;
	char why[256];
	uint8_t junk[5] = { 9, 9, 9, 9, 9 };
	int32_t rc;
	char rep[4 + 256];

	(void)state;
	memset(secret, 0xaa, sizeof(secret));
	write_file(path, "# mine\n", 0644);
	assert_int_equal(hosts_helper_start(&h, path, forget, secret, why, sizeof(why)), 0);
	assert_int_equal(hosts_helper_set(&h, e, 2, why, sizeof(why)), 0);
	assert_string_equal(read_file(path), "# mine\n" HOSTS_BEGIN "\nfc94::1 alpha\n"
					     "fc94::2 beta\n" HOSTS_END "\n");
	/* the helper's copy of the secret is gone; ours is not */
	{
		char mem[64];
		uint8_t copy[sizeof(secret)], zero[sizeof(secret)] = { 0 };
		int fd;

		snprintf(mem, sizeof(mem), "/proc/%d/mem", (int)h.pid);
		fd = open(mem, O_RDONLY | O_CLOEXEC);
		assert_true(fd >= 0);
		assert_int_equal(pread(fd, copy, sizeof(copy), (off_t)(uintptr_t)secret),
				 (ssize_t)sizeof(copy));
		close(fd);
		assert_memory_equal(copy, zero, sizeof(copy));
		assert_int_equal(secret[0], 0xaa);
	}
	/* no capability, no new privileges */
	assert_int_equal(status_field(h.pid, "CapEff:"), 0);
	assert_int_equal(status_field(h.pid, "CapPrm:"), 0);
	assert_int_equal(status_field(h.pid, "NoNewPrivs:"), 1);
	/* what a hostile daemon might send: refused, the file unchanged */
	assert_int_equal(hosts_helper_set(&h, &bad, 1, why, sizeof(why)), -EINVAL);
	strcpy(bad.name, "bad_name");
	bad.addr[0] = 0xfc;
	bad.addr[1] = 0x94;
	assert_int_equal(hosts_helper_set(&h, &bad, 1, why, sizeof(why)), -EINVAL);
	assert_int_equal(send(h.fd, junk, sizeof(junk), 0), (ssize_t)sizeof(junk));
	assert_true(recv(h.fd, rep, sizeof(rep), 0) > 4);
	memcpy(&rc, rep, 4);
	assert_int_equal(rc, -EINVAL);
	assert_non_null(strstr(read_file(path), "fc94::2 beta\n"));
	/* none: the block goes, the rest stays */
	assert_int_equal(hosts_helper_set(&h, e, 0, why, sizeof(why)), 0);
	assert_string_equal(read_file(path), "# mine\n");
	hosts_helper_stop(&h);
	assert_int_equal(h.pid, -1);
	assert_int_equal(hosts_helper_set(&h, e, 1, why, sizeof(why)), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_apply),
		cmocka_unit_test(test_missing_and_refused),
		cmocka_unit_test(test_helper),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
