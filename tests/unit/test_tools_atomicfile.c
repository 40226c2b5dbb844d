/*
 * src/os/linux/atomicfile.c, which keygen -o and config-gen write secrets
 * with, and the daemon its policy snapshot (atomicfile_begin_at): mode 0600
 * from creation whatever the umask, no-replace really never replaces (not
 * even a file that appears between begin and commit), replace does, and no
 * temporary file is ever left behind.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
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
#include <sodium.h>

#include "os/linux/atomicfile.h"

static char dir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof dir, "/tmp/snr-atomicfile.XXXXXX");
	return mkdtemp(dir) != NULL ? 0 : -1;
}

static int teardown(void **state)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char p[PATH_MAX];

	(void)state;
	while (d != NULL && (e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
		unlink(p);
	}
	if (d != NULL)
		closedir(d);
	return rmdir(dir);
}

static size_t entries(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

static void slurp(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	assert_true(fd >= 0);
	n = read(fd, buf, cap - 1);
	assert_true(n >= 0);
	buf[n] = '\0';
	close(fd);
}

static mode_t mode_of(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_mode & 07777;
}

static void test_create_replace(void **state)
{
	char path[PATH_MAX], got[64];
	mode_t old = umask(0);

	(void)state;
	snprintf(path, sizeof path, "%s/key.txt", dir);
	assert_int_equal(atomicfile_save(path, "one\n", 4, false), 0);
	assert_int_equal(mode_of(path), 0600); /* umask 0 would have allowed 0666 */
	slurp(path, got, sizeof got);
	assert_string_equal(got, "one\n");

	assert_int_equal(atomicfile_save(path, "two\n", 4, false), -EEXIST);
	slurp(path, got, sizeof got);
	assert_string_equal(got, "one\n");

	chmod(path, 0644);
	assert_int_equal(atomicfile_save(path, "three\n", 6, true), 0);
	slurp(path, got, sizeof got);
	assert_string_equal(got, "three\n");
	assert_int_equal(mode_of(path), 0600);
	assert_int_equal(entries(), 1); /* no temporaries left */

	umask(0277); /* would strip the owner's write bit */
	assert_int_equal(atomicfile_save(path, "four\n", 5, true), 0);
	assert_int_equal(mode_of(path), 0600);
	umask(old);
	unlink(path);
}

static void test_race_and_abort(void **state)
{
	struct atomicfile af;
	char path[PATH_MAX], got[64];
	int fd;

	(void)state;
	snprintf(path, sizeof path, "%s/cfg.json", dir);
	assert_int_equal(atomicfile_begin(&af, path), 0);
	assert_int_equal(mode_of(af.tmp), 0600);
	assert_int_equal(atomicfile_write(&af, "new", 3), 0);
	/* Someone creates the file meanwhile: no-replace must not clobber it. */
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "theirs", 6), 6);
	close(fd);
	assert_int_equal(atomicfile_commit(&af, false), -EEXIST);
	slurp(path, got, sizeof got);
	assert_string_equal(got, "theirs");
	assert_int_equal(entries(), 1);

	/* Abort leaves nothing behind. */
	assert_int_equal(atomicfile_begin(&af, path), 0);
	assert_int_equal(atomicfile_write(&af, "x", 1), 0);
	assert_int_equal(entries(), 2);
	atomicfile_abort(&af);
	assert_int_equal(entries(), 1);
	unlink(path);

	/* Errors are -errno, never a crash. */
	snprintf(path, sizeof path, "%s/missing/cfg.json", dir);
	assert_int_equal(atomicfile_save(path, "x", 1, false), -ENOENT);
	snprintf(path, sizeof path, "%s/", dir);
	assert_int_equal(atomicfile_begin(&af, path), -EISDIR);
}

/* Inside a directory descriptor, through a fixed temporary name. */
static void test_at_dirfd(void **state)
{
	struct atomicfile af;
	char path[PATH_MAX], got[64];
	int dirfd, fd;

	(void)state;
	dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(dirfd >= 0);
	assert_int_equal(atomicfile_begin_at(&af, dirfd, "snap", "snap.tmp"), 0);
	assert_int_equal(atomicfile_write(&af, "one\n", 4), 0);
	assert_int_equal(atomicfile_commit(&af, true), 0);
	snprintf(path, sizeof path, "%s/snap", dir);
	slurp(path, got, sizeof got);
	assert_string_equal(got, "one\n");
	assert_int_equal(mode_of(path), 0600);
	assert_int_equal(entries(), 1);

	/* The temporary name must be free: nothing is touched otherwise. */
	fd = openat(dirfd, "snap.tmp", O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(atomicfile_begin_at(&af, dirfd, "snap", "snap.tmp"), -EEXIST);
	assert_int_equal(af.step, ATOMICFILE_CREATE);
	atomicfile_abort(&af);
	assert_int_equal(entries(), 2);
	assert_int_equal(unlinkat(dirfd, "snap.tmp", 0), 0);
	unlink(path);
	close(dirfd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_create_replace),
	    cmocka_unit_test(test_race_and_abort),
	    cmocka_unit_test(test_at_dirfd),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests_name("tools_atomicfile", tests, setup, teardown);
}
