/*
 * Privilege drop after start-up: once the TUN device exists and every socket
 * is bound, the daemon needs no capability at all.  Optionally it also
 * becomes an unprivileged user.
 */
#ifndef SUBNETRA_PRIVS_H
#define SUBNETRA_PRIVS_H

#include <stddef.h>
#include <sys/types.h>

#include "core/config.h"

/* Look up a user's uid/gid. 0, or -ENOENT / -errno. */
int privs_lookup_user(const char *user, uid_t *uid, gid_t *gid);
/*
 * Clear every capability set, the bounding set and the ambient set; with
 * uid != (uid_t)-1 switch to uid/gid (supplementary groups dropped) first.
 * Sets no_new_privs and keeps the process non-dumpable.  0 or -errno.
 */
int privs_drop(uid_t uid, gid_t gid);
/*
 * Non-dumpable (PR_SET_DUMPABLE 0): no core file, and no ptrace by other
 * users, can expose the keys in memory.  Set before the config (and its
 * PSKs) is read, whether or not the daemon changes uid; privs_drop sets it
 * again after a uid change.  Sanitizer builds stay dumpable (LeakSanitizer
 * needs it).  0 or -errno.
 */
int privs_no_dump(void);

/*
 * UnknownUser when the config's "user" is not a user of this host (the
 * daemon would refuse to start).  0, or -1 with err filled.  Reads the
 * user database (getpwnam).
 */
int privs_check_user(const struct config *cfg, const char *file_label,
		   struct config_error *err);

#endif
