/* The policy snapshot file (see policy_file.c). */
#ifndef SUBNETRA_OS_LINUX_POLICY_FILE_H
#define SUBNETRA_OS_LINUX_POLICY_FILE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/policy.h"

enum { POLICY_STAMP_LEN = 32 }; /* = CONFIG_DIGEST_LEN */

/*
 * Atomic snapshot of t: the stamp line ("# subnetra-policy config=<hex of
 * stamp>", stamp being the config's digest) and the dump, written through a
 * fresh "<name>.tmp" (atomicfile_begin_at) and renamed over <name>.  <name>
 * is the last component of path and lives in the directory open as dirfd;
 * path itself only appears in messages.  A regular tmp file left by an
 * interrupted save is replaced; anything else at the tmp name (a link, a
 * FIFO) is refused with -EEXIST.  0, or -errno with err (errcap bytes)
 * saying what failed.
 */
int policy_save(const struct policy_table *t, int dirfd, const char *path,
		const uint8_t stamp[POLICY_STAMP_LEN], char *err, size_t errcap);
/*
 * Replay the snapshot <name> (as above) when it can be trusted: a regular
 * file, not reached through a symbolic link (not opened if it is one; never
 * waited on if it is a FIFO), with one link, owned by root or by `owner`,
 * writable by no one else, and stamped with `stamp`.  Each line is parsed
 * with the control grammar; rules already present are skipped, the others
 * are appended as added rules; all or nothing.  Returns the number of rules
 * added or -errno, err (errcap bytes)
 * always saying why:
 *   -ENOENT  no snapshot
 *   -EPERM   not trusted (link, type, owner, mode, links)
 *   -ESTALE  no stamp, or another config's (err names the stamp line to use)
 *   -EINVAL  a malformed line (err names file and line), -ENOSPC, -EFBIG, ...
 */
int policy_load(struct policy *p, int dirfd, const char *path,
		const uint8_t stamp[POLICY_STAMP_LEN], uid_t owner, char *err, size_t errcap);

#endif
