/* The daemon's own directories, created before the privilege drop (see privdir.h). */
#include "daemon/control/privdir.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/state/context.h"
#include "os/linux/safefile.h"

bool privdir_writable_by(const struct stat *st, uid_t uid, gid_t gid)
{
	mode_t need = st->st_uid == uid   ? S_IWUSR | S_IXUSR
		      : st->st_gid == gid ? S_IWGRP | S_IXGRP
					  : S_IWOTH | S_IXOTH;

	return (st->st_mode & need) == need;
}

/*
 * A directory subnetrad did not create is used as it is, never chowned:
 * say so in one line where that costs something.
 */
static void note_existing_dir(const struct daemon *d, const char *dir,
			      const struct privdir_text *t, const struct stat *st)
{
	if (d->uid != (uid_t)-1) {
		if (st->st_uid != d->uid && !privdir_writable_by(st, d->uid, d->gid))
			fprintf(stderr,
				"subnetrad: %s %s belongs to uid %u and is not handed over to user "
				"'%s' (subnetrad hands over only a directory it creates): %s\n",
				t->what, dir, (unsigned)st->st_uid, d->cfg->user, t->unwritable);
		return;
	}
	/*
	 * No uid change (root, or a service manager's User=): anyone but root
	 * and the daemon itself who can write here (outside a sticky directory)
	 * controls our names.
	 */
	if ((st->st_uid != 0 && st->st_uid != geteuid()) ||
	    ((st->st_mode & (S_IWGRP | S_IWOTH)) && !(st->st_mode & S_ISVTX)))
		fprintf(stderr,
			"subnetrad: warning: %s %s (uid %u, mode %04o) can be written by another "
			"user, who can then replace what subnetrad keeps there; use a directory "
			"only root can write\n",
			t->what, dir, (unsigned)st->st_uid, (unsigned)(st->st_mode & 07777));
}

/*
 * May directories be created in this one?  Only if nobody but root and the
 * daemon could replace them: owned by one of the two, and writable by
 * nobody else (unless sticky, as /tmp: there only an entry's owner can
 * rename or remove it).
 */
static bool safe_to_create_in(const char *dir, const struct privdir_text *t,
			      const struct stat *st)
{
	if ((st->st_uid == 0 || st->st_uid == geteuid()) &&
	    (!(st->st_mode & (S_IWGRP | S_IWOTH)) || (st->st_mode & S_ISVTX)))
		return true;
	fprintf(stderr,
		"subnetrad: %s: not creating directories in %s (uid %u, mode %04o): another "
		"user could replace them; %s\n",
		t->what, dir, (unsigned)st->st_uid, (unsigned)(st->st_mode & 07777), t->elsewhere);
	return false;
}

/*
 * A directory, and any missing level above it, like mkdir -p but
 * without trusting a path twice: the deepest existing ancestor must be
 * safe_to_create_in, and each new level is made inside the descriptor of
 * the one above it, entered without following a link, and must be ours.
 * Mode 0700; the levels above the directory itself 0711 with "user" (the
 * socket's clients must reach it; those levels stay root's).  A level
 * that appears meanwhile stops it: someone else is creating them.  1 when
 * dir was created, 0 when it exists (safefile_open_dir judges what it is),
 * or -errno, with one line saying why.
 */
static int make_dirs(const struct daemon *d, const char *dir, const struct privdir_text *t)
{
	char anc[PATH_MAX];
	const char *name;
	size_t have = strlen(dir);
	struct stat st;
	int fd, err = 0;

	if (lstat(dir, &st) == 0)
		return 0;
	if (errno != ENOENT)
		return -errno;
	/* The deepest existing ancestor: dir[0..have), or the working directory. */
	for (;;) {
		const char *slash = memrchr(dir, '/', have);

		have = slash == NULL ? 0 : slash == dir ? 1 : (size_t)(slash - dir);
		if (have == 0)
			break;
		memcpy(anc, dir, have);
		anc[have] = '\0';
		if (stat(anc, &st) == 0)
			break;
		if (errno != ENOENT)
			return -errno;
	}
	if (have == 0)
		snprintf(anc, sizeof(anc), ".");
	fd = open(anc, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !safe_to_create_in(anc, t, &st)) {
		close(fd);
		return -EPERM;
	}
	/* Each missing level below it, dir's last component included. */
	for (name = dir + have; *name == '/'; name++)
		;
	while (*name != '\0') {
		const char *slash = strchr(name, '/');
		size_t len = slash != NULL ? (size_t)(slash - name) : strlen(name);
		bool last = slash == NULL || slash[strspn(slash, "/")] == '\0';
		mode_t mode = last || d->uid == (uid_t)-1 ? 0700 : 0711;
		char comp[NAME_MAX + 1];
		int next;

		if (len > NAME_MAX) {
			err = -ENAMETOOLONG;
			break;
		}
		memcpy(comp, name, len);
		comp[len] = '\0';
		name += len + strspn(name + len, "/");
		if (mkdirat(fd, comp, 0700) < 0) {
			err = -errno;
			if (err == -EEXIST)
				fprintf(stderr, "subnetrad: %s: %.*s appeared "
						"while subnetrad was creating it; someone else is creating "
						"directories there: look at it, then start again\n",
					t->what, (int)(name - dir), dir);
			break;
		}
		next = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0) {
			err = -errno;
			break;
		}
		if (fstat(next, &st) < 0)
			err = -errno;
		else if (st.st_uid != geteuid())
			err = -EPERM; /* not the directory we just made */
		else if (fchmod(next, mode) < 0)
			err = -errno;
		close(fd);
		fd = next;
		if (err < 0)
			break;
	}
	close(fd);
	return err < 0 ? err : 1;
}

int privdir_open(const struct daemon *d, const char *dir, const struct privdir_text *t,
		 int *fdp, bool *created)
{
	struct stat st;
	int fd, err;

	*created = false;
	if (strlen(dir) >= PATH_MAX)
		return -ENAMETOOLONG;
	err = make_dirs(d, dir, t);
	if (err < 0)
		return err;
	fd = safefile_open_dir(dir);
	if (fd < 0)
		return fd;
	*fdp = fd;
	if (fstat(fd, &st) < 0)
		return -errno;
	/* What we just made is ours; anything else was swapped in meanwhile. */
	if (err == 0 || st.st_uid != geteuid()) {
		note_existing_dir(d, dir, t, &st);
		return 0;
	}
	*created = true;
	/* Exactly 0700 whatever the umask, and the hand-over of our own directory. */
	if (fchmod(fd, 0700) < 0)
		return -errno;
	if (d->uid != (uid_t)-1 && fchown(fd, d->uid, d->gid) < 0)
		return -errno;
	return 0;
}
