/*
 * Files written so that a reader sees either the old file or the whole new
 * one, never a partial one, and nobody else ever sees it: a temporary file
 * in the target's directory, created mode 0600 with O_EXCL (so the mode
 * holds from the first byte, whatever the umask), written, fsync'ed, then
 * moved into place and the directory fsync'ed.  The one implementation for
 * the tools' key and config files and the daemon's policy snapshot.
 *
 * Two-phase, so a tool writing a set of files can prepare them all before
 * committing any, and take back the ones it created if a later one fails:
 *
 *   atomicfile_begin[_at] -> atomicfile_write... -> atomicfile_commit | atomicfile_abort
 *
 * Without replace, commit uses link(2), which fails with EEXIST if the target
 * appeared meanwhile: an existing file is never clobbered, not even by a race.
 * Return convention: 0 or -errno; on failure af->step says which step failed
 * and the temporary file is gone.
 */
#ifndef SUBNETRA_ATOMICFILE_H
#define SUBNETRA_ATOMICFILE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

enum atomicfile_step {
	ATOMICFILE_CREATE,   /* creating the temporary file */
	ATOMICFILE_WRITE,    /* its mode, its contents, fsync and close */
	ATOMICFILE_MOVE,     /* rename or link into place */
	ATOMICFILE_SYNC_DIR, /* fsync of the directory (the file is in place) */
};

struct atomicfile {
	int dirfd;           /* path and tmp are relative to it (AT_FDCWD: plain paths) */
	char path[PATH_MAX];
	char tmp[PATH_MAX];  /* "" once gone */
	int fd;              /* -1 once closed */
	bool committed;
	enum atomicfile_step step;
};

/*
 * Create a temporary file ".<name>.<random>.tmp" next to path (mode 0600).
 * Requires sodium_init().
 */
int atomicfile_begin(struct atomicfile *af, const char *path);
/*
 * The same for name in the directory open as dirfd, through the fixed
 * temporary name tmp there (O_EXCL: it must not exist), so that nothing
 * outside that directory is ever named (the daemon, under Landlock).
 */
int atomicfile_begin_at(struct atomicfile *af, int dirfd, const char *name, const char *tmp);
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
