/*
 * Opening files by a name that someone else may be able to change, while
 * privileged.  The daemon reads its config and its policy snapshot as root
 * and keeps its control socket in a directory that, from the second start
 * on, belongs to its service user; a tool may run as root on a path a user
 * gave.  Three rules hold everywhere:
 *
 *  - a read never waits: files are opened O_NONBLOCK, so a FIFO (or a
 *    device) planted at the name is seen and refused instead of hanging the
 *    caller;
 *  - only regular files are read (the type is checked on the open
 *    descriptor, after the open, so it cannot change in between);
 *  - names in a directory someone else can write are opened relative to a
 *    descriptor of that directory and without following a final symbolic
 *    link (O_NOFOLLOW), so a link swapped in after a check cannot redirect
 *    a privileged open.
 *
 * Return convention: an fd (>= 0) or -errno.
 */
#ifndef SUBNETRA_SAFEFILE_H
#define SUBNETRA_SAFEFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

/*
 * path split at its last '/': the directory part into dir (cap bytes; "."
 * for a bare name, "/" for a name in the root) and a pointer to the last
 * component.  -ENAMETOOLONG, or -EISDIR when path ends in '/' or is empty.
 */
int safefile_split(const char *path, char *dir, size_t cap, const char **base);

/*
 * Open a directory (O_RDONLY | O_DIRECTORY, so it can be fsync'ed).  If dir
 * is a symbolic link it is followed only when root owns the link itself
 * (/var/run -> /run), as the kernel's protected_symlinks would in a sticky
 * directory, whatever that sysctl says: -ELOOP for a link anyone else owns.
 */
int safefile_open_dir(const char *dir);

/*
 * Open name (relative to dirfd, which may be AT_FDCWD) for reading, without
 * waiting, and check on the descriptor that it is a regular file; *st gets
 * its fstat.  follow: whether a final symbolic link is followed (a path the
 * operator chose) or refused with -ELOOP (a name in a shared directory).
 * -EINVAL when it is not a regular file (*st says what it is).
 */
int safefile_open_read(int dirfd, const char *name, bool follow, struct stat *st);

/*
 * Read fd until cap bytes or the end (EINTR retried): the byte count, or
 * -errno.  Read cap + 1 to tell "exactly cap" from "too large".
 */
ssize_t safefile_read_all(int fd, char *buf, size_t cap);

/* "a FIFO", "a directory", ... for messages about a file of this mode. */
const char *safefile_kind(mode_t mode);

#endif
