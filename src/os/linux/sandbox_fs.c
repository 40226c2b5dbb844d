/* Landlock file-system confinement (see sandbox_fs.h). */
#include "os/linux/sandbox_fs.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/landlock.h>

#include "os/linux/sanitizer.h"

/*
 * Rights newer than the build's kernel headers (Debian 12 ships those of
 * Linux 6.1, Landlock ABI 2).  Their values are kernel ABI and never change.
 */
#ifndef LANDLOCK_ACCESS_FS_REFER
#define LANDLOCK_ACCESS_FS_REFER (1ULL << 13) /* ABI 2 */
#endif
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14) /* ABI 3 */
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV
#define LANDLOCK_ACCESS_FS_IOCTL_DEV (1ULL << 15) /* ABI 5 */
#endif

/* What a rule on a file (not a directory) may carry. */
#define FILE_RIGHTS                                                                  \
	(LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE |                  \
	 LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_TRUNCATE |                  \
	 LANDLOCK_ACCESS_FS_IOCTL_DEV)

/*
 * The file-system rights of each ABI version (ABI 4 added network rights, 6
 * scopes, 7 logging: none of them file rights).  A right added after 5 is
 * not handled, so it stays allowed: it is unknown to this code, and handling
 * it would forbid it everywhere.
 */
static uint64_t handled_for(int abi)
{
	uint64_t h = (LANDLOCK_ACCESS_FS_MAKE_SYM << 1) - 1; /* ABI 1: EXECUTE .. MAKE_SYM */

	if (abi >= 2)
		h |= LANDLOCK_ACCESS_FS_REFER;
	if (abi >= 3)
		h |= LANDLOCK_ACCESS_FS_TRUNCATE;
	if (abi >= 5)
		h |= LANDLOCK_ACCESS_FS_IOCTL_DEV;
	return h;
}

/* LeakSanitizer reads /proc at exit: sanitizer builds run unconfined. */
#ifdef SANITIZER_BUILD
enum { SKIP_IN_THIS_BUILD = 1 };
#else
enum { SKIP_IN_THIS_BUILD = 0 };
#endif

static uint64_t rights_of(unsigned access)
{
	uint64_t r = 0;

	if (access & SANDBOX_FS_READ)
		r |= LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR;
	if (access & SANDBOX_FS_FILES)
		r |= LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_TRUNCATE |
		     LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_REMOVE_FILE;
	return r;
}

int sandbox_fs_init(struct sandbox_fs *s)
{
	struct landlock_ruleset_attr attr;
	long abi;

	memset(s, 0, sizeof(*s));
	s->ruleset_fd = -1;
	if (SKIP_IN_THIS_BUILD)
		return SANDBOX_FS_SKIPPED;
	abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
	if (abi < 1) {
		/* ENOSYS: built without it; EOPNOTSUPP: disabled at boot; EPERM: a
		 * service manager's system-call filter. */
		s->why = abi < 0 ? errno : EOPNOTSUPP;
		return SANDBOX_FS_UNAVAILABLE;
	}
	s->abi = (int)abi;
	s->handled = handled_for(s->abi);
	memset(&attr, 0, sizeof(attr));
	attr.handled_access_fs = s->handled;
	s->ruleset_fd = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr), 0);
	return s->ruleset_fd < 0 ? -errno : SANDBOX_FS_READY;
}

const char *sandbox_fs_why(const struct sandbox_fs *s)
{
	return strerror(s->why);
}

int sandbox_fs_allow_fd(struct sandbox_fs *s, int fd, unsigned access)
{
	struct landlock_path_beneath_attr rule;
	struct stat st;

	if (s->ruleset_fd < 0)
		return 0;
	if (fstat(fd, &st) < 0)
		return -errno;
	memset(&rule, 0, sizeof(rule));
	rule.parent_fd = fd;
	rule.allowed_access = rights_of(access) & s->handled;
	/* Directory rights on a file are EINVAL; a file only has file rights. */
	if (!S_ISDIR(st.st_mode))
		rule.allowed_access &= FILE_RIGHTS;
	if (rule.allowed_access == 0)
		return 0;
	if (syscall(SYS_landlock_add_rule, s->ruleset_fd, LANDLOCK_RULE_PATH_BENEATH, &rule,
		    0) < 0)
		return -errno;
	return 0;
}

int sandbox_fs_allow_path(struct sandbox_fs *s, const char *path, unsigned access)
{
	int fd, err;

	if (s->ruleset_fd < 0)
		return 0;
	fd = open(path, O_PATH | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	err = sandbox_fs_allow_fd(s, fd, access);
	close(fd);
	return err;
}

int sandbox_fs_restrict(struct sandbox_fs *s)
{
	int err = 0;

	if (s->ruleset_fd < 0)
		return 0;
	if (syscall(SYS_landlock_restrict_self, s->ruleset_fd, 0) < 0)
		err = -errno;
	sandbox_fs_close(s);
	return err;
}

void sandbox_fs_close(struct sandbox_fs *s)
{
	if (s->ruleset_fd >= 0)
		close(s->ruleset_fd);
	s->ruleset_fd = -1;
}
