/* Capability and identity drop (see privs.h), through libcap-ng. */
#include "os/linux/privs.h"

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cap-ng.h>

#include "os/linux/sanitizer.h"

int privs_lookup_user(const char *user, uid_t *uid, gid_t *gid)
{
	struct passwd *pw;

	errno = 0;
	pw = getpwnam(user);
	if (pw == NULL)
		return errno ? -errno : -ENOENT;
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	return 0;
}

int privs_drop(uid_t uid, gid_t gid)
{
	capng_clear(CAPNG_SELECT_BOTH);
	if (uid != (uid_t)-1) {
		/* Keeps the (now empty) capability state across setuid. */
		if (capng_change_id((int)uid, (int)gid,
				    CAPNG_DROP_SUPP_GRP | CAPNG_CLEAR_BOUNDING) != 0)
			return -EPERM;
	} else if (capng_apply(CAPNG_SELECT_ALL) != 0) {
		return -EPERM;
	}
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return -errno;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	/* A uid change reset the flag: set it again (for sanitizer builds). */
	return privs_no_dump();
}

int privs_no_dump(void)
{
#ifdef SANITIZER_BUILD
	/*
	 * A non-dumpable process stops LeakSanitizer from inspecting its own
	 * threads at exit.  Test builds only: a release daemon is non-dumpable
	 * (no core files with keys in them).
	 */
	int dumpable = 1;
#else
	int dumpable = 0;
#endif
	return prctl(PR_SET_DUMPABLE, dumpable, 0, 0, 0) < 0 ? -errno : 0;
}

int privs_check_user(const struct config *cfg, const char *file_label,
		   struct config_error *err)
{
	uid_t uid;
	gid_t gid;
	int rc;

	if (cfg->user[0] == '\0')
		return 0;
	rc = privs_lookup_user(cfg->user, &uid, &gid);
	if (rc == 0)
		return 0;
	memset(err, 0, sizeof(*err));
	snprintf(err->file, sizeof(err->file), "%s", file_label ? file_label : "config.json");
	snprintf(err->path, sizeof(err->path), "user");
	err->name = "UnknownUser";
	/* getpwnam(3): any of these may mean "not found", depending on the backend. */
	if (rc == -ENOENT || rc == -ESRCH || rc == -EBADF || rc == -EPERM)
		snprintf(err->detail, sizeof(err->detail),
			 "\"%s\" is not a user of this host, so subnetrad would not start; "
			 "create it (useradd --system %s) or remove \"user\"",
			 cfg->user, cfg->user);
	else
		snprintf(err->detail, sizeof(err->detail), "cannot look up \"%s\": %s",
			 cfg->user, strerror(-rc));
	return -1;
}
