/*
 * Secret files written so that a reader sees either the old file or the
 * whole new one, never a partial one, and nobody else ever sees it: a
 * temporary file in the target's directory, created mode 0600 with O_EXCL
 * (so the mode holds from the first byte, whatever the umask), written,
 * fsync'ed, then moved into place and the directory fsync'ed.
 *
 * Two-phase, so a tool writing a set of files can prepare them all before
 * committing any, and take back the ones it created if a later one fails:
 *
 *   atomicfile_begin -> atomicfile_write... -> atomicfile_commit | atomicfile_abort
 *
 * Without replace, commit uses link(2), which fails with EEXIST if the target
 * appeared meanwhile: an existing file is never clobbered, not even by a race.
 * Return convention: 0 or -errno.
 */
#ifndef SUBNETRA_ATOMICFILE_H
#define SUBNETRA_ATOMICFILE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

struct atomicfile {
	char path[PATH_MAX];
	char tmp[PATH_MAX];
	int fd; /* -1 once closed */
	bool committed;
};

/* Create the temporary file next to path (mode 0600).  Requires sodium_init(). */
int atomicfile_begin(struct atomicfile *af, const char *path);
/* All of len bytes, or -errno. */
int atomicfile_write(struct atomicfile *af, const void *data, size_t len);
/* write(2) until done or a real error (EINTR retried). 0 or -errno. */
int fd_write_all(int fd, const void *data, size_t len);
/* fsync, close, move into place (replace: rename; else link + unlink), fsync the dir. */
int atomicfile_commit(struct atomicfile *af, bool replace);
/* Drop the temporary file if it still exists. */
void atomicfile_abort(struct atomicfile *af);

/* begin + write + commit in one call. */
int atomicfile_save(const char *path, const void *data, size_t len, bool replace);

#endif
