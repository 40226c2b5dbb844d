/* The daemon's small state files (see statefile.h). */
#include "os/linux/statefile.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "os/linux/atomicfile.h"
#include "os/linux/safefile.h"

void statefile_why(char *err, size_t errcap, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errcap == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errcap, fmt, ap);
	va_end(ap);
}

int statefile_save(int dirfd, const char *name, const char *label, const void *data,
		   size_t len, char *err, size_t errcap)
{
	return statefile_save_mode(dirfd, name, label, data, len, 0600, err, errcap);
}

int statefile_save_mode(int dirfd, const char *name, const char *label, const void *data,
			size_t len, mode_t mode, char *err, size_t errcap)
{
	char tmp[NAME_MAX + 1];
	struct atomicfile af;
	struct stat st;
	int rc;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", name) >= sizeof(tmp)) {
		statefile_why(err, errcap, "%s: name too long", label);
		return -ENAMETOOLONG;
	}
	/*
	 * A regular file at the tmp name is what an interrupted save leaves:
	 * it goes.  Anything else (a symbolic link, a FIFO) was put there by
	 * someone else: refused and left for the operator to look at.
	 */
	if (fstatat(dirfd, tmp, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if (!S_ISREG(st.st_mode)) {
			statefile_why(err, errcap, "%s.tmp is %s, not a file subnetrad left: remove it",
				label, safefile_kind(st.st_mode));
			return -EEXIST;
		}
		if (unlinkat(dirfd, tmp, 0) < 0 && errno != ENOENT) {
			rc = -errno;
			statefile_why(err, errcap, "cannot remove the stale %s.tmp: %s", label,
				strerror(-rc));
			return rc;
		}
	}
	/* Only names inside dirfd: Landlock grants the daemon nothing else. */
	rc = atomicfile_begin_at(&af, dirfd, name, tmp);
	if (rc == 0) {
		rc = atomicfile_write(&af, data, len);
		/* a wider mode only once every byte is written (the tmp name is 0600) */
		if (rc == 0 && mode != 0600 && fchmod(af.fd, mode) < 0)
			rc = -errno;
		if (rc == 0)
			rc = atomicfile_commit(&af, true);
		else
			atomicfile_abort(&af);
	}
	if (rc == 0)
		return 0;
	switch (af.step) {
	case ATOMICFILE_CREATE:
		statefile_why(err, errcap, "cannot create %s.tmp: %s", label, strerror(-rc));
		break;
	case ATOMICFILE_WRITE:
		statefile_why(err, errcap, "writing %s.tmp: %s", label, strerror(-rc));
		break;
	case ATOMICFILE_MOVE:
		statefile_why(err, errcap, "cannot rename %s.tmp to %s: %s", label, name,
			strerror(-rc));
		break;
	case ATOMICFILE_SYNC_DIR:
		statefile_why(err, errcap, "syncing the directory of %s: %s", label, strerror(-rc));
		break;
	}
	return rc;
}

/* 0, or -EPERM with err saying why a file of this stat is not trusted. */
static int check_trust(const char *label, const struct stat *st, uid_t owner, char *err,
		       size_t errcap)
{
	if (st->st_uid != 0 && st->st_uid != owner) {
		statefile_why(err, errcap, "%s belongs to uid %u, neither root nor the daemon's user",
			label, (unsigned)st->st_uid);
		return -EPERM;
	}
	if (st->st_mode & (S_IWGRP | S_IWOTH)) {
		statefile_why(err, errcap, "%s is writable by group or others (mode %04o)", label,
			(unsigned)(st->st_mode & 07777));
		return -EPERM;
	}
	/* A hard link could be a name for someone else's file. */
	if (st->st_nlink != 1) {
		statefile_why(err, errcap, "%s has %lu hard links", label, (unsigned long)st->st_nlink);
		return -EPERM;
	}
	return 0;
}

int statefile_read(int dirfd, const char *name, const char *label, uid_t owner, char *buf,
		   size_t cap, size_t *len, char *err, size_t errcap)
{
	struct stat st;
	ssize_t got;
	int fd = safefile_open_read(dirfd, name, false, &st), rc;

	if (fd == -ELOOP) {
		statefile_why(err, errcap, "%s is a symbolic link", label);
		return -EPERM;
	}
	if (fd == -EINVAL) {
		statefile_why(err, errcap, "%s is %s, not a regular file", label,
			safefile_kind(st.st_mode));
		return -EPERM;
	}
	if (fd < 0) {
		statefile_why(err, errcap, "%s: %s", label, strerror(-fd));
		return fd;
	}
	rc = check_trust(label, &st, owner, err, errcap);
	if (rc < 0)
		goto out_close;
	/* One byte more than allowed, so an oversized file is detected. */
	got = safefile_read_all(fd, buf, cap);
	if (got < 0) {
		rc = (int)got;
		statefile_why(err, errcap, "%s: %s", label, strerror(-rc));
	} else if ((size_t)got == cap && safefile_read_all(fd, (char[1]){0}, 1) == 1) {
		rc = -EFBIG;
		statefile_why(err, errcap, "%s: larger than %zu bytes", label, cap);
	} else {
		*len = (size_t)got;
	}
out_close:
	close(fd);
	return rc;
}
