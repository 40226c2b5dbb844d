/* Atomic 0600 file replacement (see atomicfile.h). */
#include "os/linux/atomicfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

enum { TMP_TRIES = 16 };

/* The directory part of path ("." for a bare name), for the final fsync. */
static void dir_of(const char *path, char *dir, size_t cap)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		snprintf(dir, cap, ".");
	else if (slash == path)
		snprintf(dir, cap, "/");
	else
		snprintf(dir, cap, "%.*s", (int)(slash - path), path);
}

/* The rename itself must be durable; some filesystems cannot sync a directory. */
static int fsync_dir(const struct atomicfile *af)
{
	char dir[PATH_MAX];
	int fd, rc = 0;

	if (af->dirfd != AT_FDCWD)
		return fsync(af->dirfd) < 0 && errno != EINVAL ? -errno : 0;
	dir_of(af->path, dir, sizeof dir);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0 && errno != EINVAL)
		rc = -errno;
	close(fd);
	return rc;
}

static void start(struct atomicfile *af, int dirfd)
{
	memset(af, 0, sizeof(*af));
	af->dirfd = dirfd;
	af->fd = -1;
	af->step = ATOMICFILE_CREATE;
}

/* Create af->tmp; -EEXIST if it exists. */
static int create_tmp(struct atomicfile *af)
{
	af->fd = openat(af->dirfd, af->tmp,
			O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	return af->fd < 0 ? -errno : 0;
}

/* The end of a begin whose create_tmp returned rc: a file of mode 0600, or nothing. */
static int begun(struct atomicfile *af, int rc)
{
	if (rc < 0) {
		af->tmp[0] = '\0';
		return rc;
	}
	/* A restrictive umask may have taken bits away; never more than 0600. */
	if (fchmod(af->fd, 0600) == 0)
		return 0;
	rc = -errno;
	af->step = ATOMICFILE_WRITE;
	atomicfile_abort(af);
	return rc;
}

int atomicfile_begin(struct atomicfile *af, const char *path)
{
	const char *slash = strrchr(path, '/');
	size_t dirlen = slash ? (size_t)(slash - path) + 1 : 0;
	const char *base = path + dirlen;
	int rc = -EEXIST;

	start(af, AT_FDCWD);
	if (*base == '\0')
		return -EISDIR;
	if (strlen(path) >= sizeof af->path)
		return -ENAMETOOLONG;
	memcpy(af->path, path, strlen(path) + 1);

	/* ".<name>.<random>.tmp" in the same directory, so rename/link stay on one
	 * filesystem. */
	for (int i = 0; i < TMP_TRIES && rc == -EEXIST; i++) {
		int n = snprintf(af->tmp, sizeof af->tmp, "%.*s.%s.%08x.tmp", (int)dirlen,
				 path, base, (unsigned)randombytes_random());

		if (n < 0 || (size_t)n >= sizeof af->tmp)
			return -ENAMETOOLONG;
		rc = create_tmp(af);
	}
	return begun(af, rc);
}

int atomicfile_begin_at(struct atomicfile *af, int dirfd, const char *name, const char *tmp)
{
	start(af, dirfd);
	if (snprintf(af->path, sizeof af->path, "%s", name) >= (int)sizeof af->path ||
	    snprintf(af->tmp, sizeof af->tmp, "%s", tmp) >= (int)sizeof af->tmp) {
		af->tmp[0] = '\0';
		return -ENAMETOOLONG;
	}
	return begun(af, create_tmp(af));
}

int fd_write_all(int fd, const void *data, size_t len)
{
	const unsigned char *p = data;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int atomicfile_write(struct atomicfile *af, const void *data, size_t len)
{
	af->step = ATOMICFILE_WRITE;
	return fd_write_all(af->fd, data, len);
}

int atomicfile_commit(struct atomicfile *af, bool replace)
{
	int rc = 0;

	af->step = ATOMICFILE_WRITE;
	if (fsync(af->fd) < 0)
		rc = -errno;
	if (close(af->fd) < 0 && rc == 0)
		rc = -errno;
	af->fd = -1;
	if (rc != 0)
		goto fail;
	af->step = ATOMICFILE_MOVE;
	if (replace) {
		if (renameat(af->dirfd, af->tmp, af->dirfd, af->path) < 0) {
			rc = -errno;
			goto fail;
		}
	} else {
		if (linkat(af->dirfd, af->tmp, af->dirfd, af->path, 0) < 0) {
			rc = -errno;
			goto fail;
		}
		unlinkat(af->dirfd, af->tmp, 0);
	}
	af->tmp[0] = '\0';
	af->committed = true;
	af->step = ATOMICFILE_SYNC_DIR;
	return fsync_dir(af);
fail:
	atomicfile_abort(af);
	return rc;
}

void atomicfile_abort(struct atomicfile *af)
{
	if (af->fd >= 0) {
		close(af->fd);
		af->fd = -1;
	}
	if (af->tmp[0] != '\0') {
		unlinkat(af->dirfd, af->tmp, 0);
		af->tmp[0] = '\0';
	}
}

int atomicfile_save(const char *path, const void *data, size_t len, bool replace)
{
	struct atomicfile af;
	int rc = atomicfile_begin(&af, path);

	if (rc < 0)
		return rc;
	rc = atomicfile_write(&af, data, len);
	if (rc < 0) {
		atomicfile_abort(&af);
		return rc;
	}
	return atomicfile_commit(&af, replace);
}
