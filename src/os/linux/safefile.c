/* Opening files by names others may change (see safefile.h). */
#include "os/linux/safefile.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

int safefile_split(const char *path, char *dir, size_t cap, const char **base)
{
	const char *slash = strrchr(path, '/');
	size_t len;

	if (slash == NULL) {
		if (*path == '\0')
			return -EISDIR;
		if (cap < 2)
			return -ENAMETOOLONG;
		memcpy(dir, ".", 2);
		*base = path;
		return 0;
	}
	if (slash[1] == '\0')
		return -EISDIR;
	len = slash == path ? 1 : (size_t)(slash - path);
	if (len >= cap)
		return -ENAMETOOLONG;
	memcpy(dir, path, len);
	dir[len] = '\0';
	*base = slash + 1;
	return 0;
}

int safefile_open_dir(const char *dir)
{
	const int flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC;
	struct stat st;
	int fd = open(dir, flags | O_NOFOLLOW), err;

	/* A final link gives ELOOP, or ENOTDIR together with O_DIRECTORY. */
	if (fd >= 0 || (errno != ELOOP && errno != ENOTDIR))
		return fd >= 0 ? fd : -errno;
	err = -errno;
	/*
	 * A link: followed only if root owns it.  Whoever can replace a
	 * root-owned link can write its directory, and then owns the path
	 * anyway; in a sticky directory (/tmp) nobody else can replace it.
	 */
	if (lstat(dir, &st) < 0)
		return -errno;
	if (!S_ISLNK(st.st_mode))
		return err;
	if (st.st_uid != 0)
		return -ELOOP;
	fd = open(dir, flags);
	return fd >= 0 ? fd : -errno;
}

int safefile_open_read(int dirfd, const char *name, bool follow, struct stat *st)
{
	int flags = O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW);
	int fd = openat(dirfd, name, flags);

	if (fd < 0)
		return -errno;
	if (fstat(fd, st) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	if (!S_ISREG(st->st_mode)) {
		close(fd);
		return -EINVAL;
	}
	return fd;
}

ssize_t safefile_read_all(int fd, char *buf, size_t cap)
{
	size_t got = 0;

	while (got < cap) {
		ssize_t n = read(fd, buf + got, cap - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

const char *safefile_kind(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG:
		return "a regular file";
	case S_IFDIR:
		return "a directory";
	case S_IFLNK:
		return "a symbolic link";
	case S_IFIFO:
		return "a FIFO";
	case S_IFSOCK:
		return "a socket";
	case S_IFCHR:
		return "a character device";
	case S_IFBLK:
		return "a block device";
	default:
		return "not a regular file";
	}
}
