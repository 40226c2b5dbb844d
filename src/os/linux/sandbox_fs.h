/*
 * File-system confinement with Landlock, for a daemon that may keep uid 0:
 * once sandbox_fs_restrict has run, the calling thread (and every thread it
 * creates afterwards) reaches only the paths given to sandbox_fs_allow_fd
 * or sandbox_fs_allow_path, and only with the access given there; root's
 * permissions do not override it.
 * Descriptors opened before keep working (the TUN queues, the sockets, the
 * control socket's directory).
 *
 * Built on the raw system calls and <linux/landlock.h>.  The ruleset
 * handles exactly the access rights the running kernel's Landlock ABI
 * knows, so an old kernel enforces what it can and a newer one (ABI 3:
 * truncate, 5: device ioctls) adds its own; a kernel without Landlock (or
 * with it disabled) leaves the process unconfined and the caller says so.
 *
 * Usage: sandbox_fs_init -> sandbox_fs_allow_fd/_path... -> sandbox_fs_restrict
 * (which needs no_new_privs or CAP_SYS_ADMIN) or sandbox_fs_close.
 */
#ifndef SUBNETRA_SANDBOX_FS_H
#define SUBNETRA_SANDBOX_FS_H

#include <stdint.h>

enum sandbox_fs_access {
	/* Read regular files and list directories beneath the path. */
	SANDBOX_FS_READ = 1,
	/* Create, write, truncate, rename within and remove regular files
	 * beneath the path (a directory; nothing is readable through it). */
	SANDBOX_FS_FILES = 2,
};

struct sandbox_fs {
	int ruleset_fd; /* -1 when not available */
	int abi;	/* the kernel's Landlock ABI version; 0 when none */
	int why;	/* errno of the ABI probe when there is none */
	uint64_t handled;
};

enum sandbox_fs_state {
	SANDBOX_FS_READY = 0,
	SANDBOX_FS_UNAVAILABLE = 1, /* no Landlock here: sandbox_fs_why says why */
	SANDBOX_FS_SKIPPED = 2,	    /* sanitizer build (LSan reads /proc at exit) */
};

/*
 * A ruleset that handles every access right the kernel knows and allows
 * none yet.  SANDBOX_FS_READY, _UNAVAILABLE (then allow and restrict do
 * nothing), _SKIPPED, or -errno.
 */
int sandbox_fs_init(struct sandbox_fs *s);
/* Why sandbox_fs_init found no Landlock, for a log line ("Function not implemented"). */
const char *sandbox_fs_why(const struct sandbox_fs *s);
/*
 * Allow `access` (enum sandbox_fs_access bits) beneath fd (a directory or a
 * file; on a file only its file rights apply).  0 or -errno.
 */
int sandbox_fs_allow_fd(struct sandbox_fs *s, int fd, unsigned access);
/* The same for a path (opened O_PATH for the call only).  0 or -errno. */
int sandbox_fs_allow_path(struct sandbox_fs *s, const char *path, unsigned access);
/* Enforce the ruleset on the calling thread and close it.  0 or -errno. */
int sandbox_fs_restrict(struct sandbox_fs *s);
/* Drop a ruleset that was not enforced. */
void sandbox_fs_close(struct sandbox_fs *s);

#endif
