/*
 * Where a mesh node keeps what an operator changes while it runs (the
 * whitelist, allow.h; manual host names, hosts.c): files in the config's
 * "state_dir" (default /var/lib/subnetra), which outlives a reboot, where
 * the control socket's directory (/run) does not.  Each file is named after
 * the control socket ("subnetra.sock" -> "subnetra.whitelist"), so two
 * nodes with their own sockets can share one state_dir.
 */
#ifndef SUBNETRA_MESH_STATEDIR_H
#define SUBNETRA_MESH_STATEDIR_H

#include <stddef.h>

struct mesh_node;

/*
 * Open state_dir as n->host->state_dirfd, creating it (0700, handed to
 * "user" when set: privdir.h) while the node is still privileged; the
 * privilege drop then lets the node write nowhere else (daemon_confine).
 * 0, or -1 after one line saying why.
 */
int mesh_state_open(struct mesh_node *n);
/* The state file named for suffix (".whitelist"): its full path, for every log line. */
void mesh_state_path(const struct mesh_node *n, const char *suffix, char *out, size_t cap);
/*
 * Read the state file at path (from mesh_state_path with suffix) into buf,
 * with statefile_read's trust checks (owner, mode, links): 0, or -errno
 * with why.  When it does not exist, the one-time migration: a file of the
 * same name next to the control socket (where nodes kept it before
 * state_dir) is read with the same checks, copied into state_dir and
 * removed, and one line says so.  -ENOENT when neither exists.
 */
int mesh_state_read(struct mesh_node *n, const char *suffix, const char *path, char *buf,
		    size_t cap, size_t *len, char *why, size_t whycap);
/*
 * The state file at path (in state_dir) into buf with the same trust
 * checks, and no migration: 0, or -errno with why (-ENOENT: none).
 */
int mesh_state_read_here(struct mesh_node *n, const char *path, char *buf, size_t cap,
			 size_t *len, char *why, size_t whycap);
/* Replace the state file at path atomically (statefile_save).  0, or -errno with why. */
int mesh_state_save(struct mesh_node *n, const char *path, const void *data, size_t len,
		    char *why, size_t whycap);

#endif
