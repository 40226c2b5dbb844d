/*
 * The hosts file's managed block on disk (core/mesh/hostsblock.h does the
 * text), and the minimal privileged process that writes it.
 *
 * hostsfile_apply reads the file (a regular file, never through a final
 * symbolic link, at most HOSTS_FILE_MAX bytes), rewrites the block and, if
 * anything changed, replaces the file atomically with the old file's mode
 * and owner: a reader (and a crash at any point) sees the old file or the
 * new one.  A missing file is created mode 0644.
 *
 * hosts_helper_start forks that job into a process of its own before the
 * daemon drops its privileges.  The helper keeps its uid (root writes
 * /etc/hosts as its owner) but no capability at all, closes every other
 * descriptor, may reach only the file's directory (Landlock, where the
 * kernel has it), and accepts one request: "these entries".  It checks each
 * one itself (an fc94::/16 address, a valid name), so a compromised daemon
 * can change nothing in the file but the block.
 */
#ifndef SUBNETRA_HOSTSFILE_H
#define SUBNETRA_HOSTSFILE_H

#include <stddef.h>
#include <sys/types.h>

#include "core/mesh/hostsblock.h"

/* 0, or -errno with why (cap bytes) naming the file and the problem. */
int hostsfile_apply(int dirfd, const char *name, const char *label,
		    const struct hosts_entry *entries, size_t n, char *why, size_t cap);

struct hosts_helper {
	pid_t pid; /* -1 when not running */
	int fd;    /* our end of the socket pair */
};

/*
 * Start the helper for path.  0 or -errno (why says which step).  The
 * caller must be single-threaded (fork).  forget(arg), when given, runs
 * first thing in the helper: it wipes the helper's copy of whatever secret
 * the caller holds (the config's keys), which the helper never needs.
 */
int hosts_helper_start(struct hosts_helper *h, const char *path, void (*forget)(void *),
		       void *arg, char *why, size_t cap);
/* Replace the block with entries (n <= HOSTS_BLOCK_MAX).  0, or -errno with why. */
int hosts_helper_set(struct hosts_helper *h, const struct hosts_entry *entries, size_t n,
		     char *why, size_t cap);
/* Close our end (the helper exits on EOF) and reap it. */
void hosts_helper_stop(struct hosts_helper *h);

#endif
