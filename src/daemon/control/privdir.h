/*
 * A directory of the daemon's own, opened (and created when missing) by the
 * privileged start-up for the user it runs as afterwards: the control
 * socket's directory (control.h), a mesh node's state directory
 * (mesh/statedir.h).  Every later access goes through the descriptor.
 */
#ifndef SUBNETRA_PRIVDIR_H
#define SUBNETRA_PRIVDIR_H

#include <stdbool.h>
#include <sys/stat.h>

struct daemon;

/* The words of the log lines about one kind of directory. */
struct privdir_text {
	const char *what;       /* "control socket directory" */
	const char *unwritable; /* what an existing directory d->uid cannot write costs */
	const char *elsewhere;  /* what to do when a level cannot be created safely */
};

/*
 * Open dir into *fdp (set as soon as it is open: the caller closes it, on
 * failure too), creating it and any missing level above it: mode 0700, the
 * levels above it 0711 with "user" (d->uid), never through a level another
 * user could replace.  Only a directory created here is handed over to
 * d->uid (*created says whether it was); an existing one is never chowned,
 * and one line says so when d->uid cannot write it, or, for a root daemon,
 * when another user can.  A symbolic link is followed only if root owns it
 * (safefile_open_dir).  0 or -errno: -EPERM when a level would be created
 * where another user could replace it (one line says why), -ELOOP for a
 * symbolic link root does not own.
 */
int privdir_open(const struct daemon *d, const char *dir, const struct privdir_text *text,
		 int *fdp, bool *created);

/* Can uid:gid create and remove names in a directory of this stat? */
bool privdir_writable_by(const struct stat *st, uid_t uid, gid_t gid);

#endif
