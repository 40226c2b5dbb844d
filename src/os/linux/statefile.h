/*
 * Small state files the daemon keeps next to its control socket (the
 * policy snapshot, mesh mode's whitelist and manual host names), all under
 * the same rules:
 *
 *  - written atomically through "<name>.tmp" in the directory open as
 *    dirfd (atomicfile_begin_at), so that the running daemon, confined to
 *    that directory by Landlock and no longer root, names nothing else; a
 *    regular tmp file an interrupted save left is replaced, anything else
 *    at that name (a link, a FIFO) is refused;
 *  - read back only when it can be trusted: a regular file, not reached
 *    through a symbolic link (never opened if it is one, never waited on if
 *    it is a FIFO), with one link, owned by root or by the daemon's user,
 *    writable by no one else.
 *
 * name is a file name inside dirfd; label (the full path) only appears in
 * messages.  Return convention: 0 or -errno, err (errcap bytes) saying why.
 */
#ifndef SUBNETRA_OS_LINUX_STATEFILE_H
#define SUBNETRA_OS_LINUX_STATEFILE_H

#include <stddef.h>
#include <sys/types.h>

/* The message of a failure into err (errcap bytes; err may be NULL), for these files and their callers. */
void statefile_why(char *err, size_t errcap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* len bytes of data as the whole new file <name> (mode 0600). */
int statefile_save(int dirfd, const char *name, const char *label, const void *data,
		   size_t len, char *err, size_t errcap);
/* The same with another mode (0644: a file another user's process reads). */
int statefile_save_mode(int dirfd, const char *name, const char *label, const void *data,
			size_t len, mode_t mode, char *err, size_t errcap);
/*
 * The trusted file <name> into buf (at most cap bytes; *len set):
 *   -ENOENT no such file
 *   -EPERM  not trusted (link, type, owner, mode, hard links)
 *   -EFBIG  larger than cap bytes
 *   other   a read error
 */
int statefile_read(int dirfd, const char *name, const char *label, uid_t owner, char *buf,
		   size_t cap, size_t *len, char *err, size_t errcap);

#endif
