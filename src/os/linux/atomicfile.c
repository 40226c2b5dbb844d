/* Atomic 0600 file replacement (see atomicfile.h). */
#include "os/linux/atomicfile.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

static int fsync_dir(const char *path)
{
	char dir[PATH_MAX];
	int fd, rc = 0;

	dir_of(path, dir, sizeof dir);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0 &&
	    errno != EINVAL) /* some filesystems cannot sync a directory */
		rc = -errno;
	close(fd);
	return rc;
}

int atomicfile_begin(struct atomicfile *af, const char *path)
{
	const char *slash = strrchr(path, '/');
	size_t dirlen = slash ? (size_t)(slash - path) + 1 : 0;
	const char *base = path + dirlen;

	memset(af, 0, sizeof(*af));
	af->fd = -1;
	if (*base == '\0')
		return -EISDIR;
	if (strlen(path) >= sizeof af->path)
		return -ENAMETOOLONG;
	memcpy(af->path, path, strlen(path) + 1);

	/* ".<name>.<random>.tmp" in the same directory, so rename/link stay on one
	 * filesystem. */
	for (int i = 0; i < TMP_TRIES; i++) {
		int n = snprintf(af->tmp, sizeof af->tmp, "%.*s.%s.%08x.tmp", (int)dirlen,
				 path, base, (unsigned)randombytes_random());

		if (n < 0 || (size_t)n >= sizeof af->tmp)
			return -ENAMETOOLONG;
		af->fd = open(af->tmp,
			      O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (af->fd >= 0)
			break;
		if (errno != EEXIST)
			return -errno;
	}
	if (af->fd < 0)
		return -EEXIST;
	/* A restrictive umask may have taken bits away; never more than 0600. */
	if (fchmod(af->fd, 0600) < 0) {
		int e = -errno;

		atomicfile_abort(af);
		return e;
	}
	return 0;
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
	return fd_write_all(af->fd, data, len);
}

int atomicfile_commit(struct atomicfile *af, bool replace)
{
	int rc = 0;

	if (fsync(af->fd) < 0)
		rc = -errno;
	if (close(af->fd) < 0 && rc == 0)
		rc = -errno;
	af->fd = -1;
	if (rc != 0)
		goto fail;
	if (replace) {
		if (rename(af->tmp, af->path) < 0) {
			rc = -errno;
			goto fail;
		}
	} else {
		if (link(af->tmp, af->path) < 0) {
			rc = -errno;
			goto fail;
		}
		unlink(af->tmp);
	}
	af->tmp[0] = '\0';
	af->committed = true;
	return fsync_dir(af->path);
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
		unlink(af->tmp);
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
