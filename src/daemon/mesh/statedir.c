/* A mesh node's state directory (see statedir.h). */
#include "daemon/mesh/statedir.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/control/privdir.h"
#include "daemon/host/daemon.h"
#include "daemon/mesh/node.h"
#include "os/linux/statefile.h"

static const struct privdir_text state_dir_text = {
	.what = "state_dir",
	.unwritable = "whitelist and hosts changes will fail to save; make it that user's "
		      "(chown) or remove it, so that subnetrad creates it",
	.elsewhere = "create state_dir yourself, or choose one under a directory only root "
		     "can write",
};

int mesh_state_open(struct mesh_node *n)
{
	struct daemon *h = n->host;
	const char *dir = n->cfg->mesh.state_dir;
	bool created = false;
	int err;

	/* Known now: the seccomp filter of the running node has no geteuid. */
	n->state_owner = h->uid != (uid_t)-1 ? h->uid : geteuid();
	err = privdir_open(h, dir, &state_dir_text, &h->state_dirfd, &created);
	if (err < 0) {
		fprintf(stderr, "subnetrad: state_dir %s: %s\n", dir,
			err == -ELOOP ? "a symbolic link not owned by root (not followed)"
				      : strerror(-err));
		return -1;
	}
	if (created)
		fprintf(stderr, "subnetrad: state_dir %s created (mode 0700%s%s)\n", dir,
			h->uid != (uid_t)-1 ? ", for user " : "",
			h->uid != (uid_t)-1 ? n->cfg->user : "");
	return 0;
}

/* The last component of a path. */
static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash != NULL ? slash + 1 : path;
}

void mesh_state_path(const struct mesh_node *n, const char *suffix, char *out, size_t cap)
{
	char old[MESH_STATE_PATH];

	daemon_state_path(old, sizeof(old), n->host->paths.sock, suffix);
	snprintf(out, cap, "%s/%s", n->cfg->mesh.state_dir, base_name(old));
}

/* Root's, or written by the daemon itself (its saves after the drop). */
static uid_t owner(const struct mesh_node *n)
{
	return n->state_owner;
}

int mesh_state_save(struct mesh_node *n, const char *path, const void *data, size_t len,
		    char *why, size_t whycap)
{
	return statefile_save(n->host->state_dirfd, base_name(path), path, data, len, why,
			      whycap);
}

/* Whether dir/name is the configured hosts_file itself (same inode). */
static bool is_hosts_file(const struct mesh_node *n, int dirfd, const char *name)
{
	const char *hf = n->cfg->mesh.hosts_file;
	struct stat a, b;

	return hf[0] != '\0' && fstatat(dirfd, name, &a, AT_SYMLINK_NOFOLLOW) == 0 &&
	       stat(hf, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* The file the control socket's directory held (before state_dir): copied over, removed. */
static int migrate(struct mesh_node *n, const char *suffix, const char *path, char *buf,
		   size_t cap, size_t *len, char *why, size_t whycap)
{
	struct daemon *h = n->host;
	char old[MESH_STATE_PATH], werr[512];
	int rc;

	daemon_state_path(old, sizeof(old), h->paths.sock, suffix);
	/* The old name may be a file of another kind: a hosts_file called
	 * <socket name>.hosts next to the socket is the operator's, not ours. */
	if (is_hosts_file(n, h->sock_dirfd, base_name(old)))
		return -ENOENT;
	rc = statefile_read(h->sock_dirfd, base_name(old), old, owner(n), buf, cap, len, why,
			    whycap);
	if (rc < 0)
		return rc;
	if (mesh_state_save(n, path, buf, *len, werr, sizeof(werr)) < 0) {
		fprintf(stderr, "subnetrad: %s read from its old place, but not moved to %s: %s\n",
			old, path, werr);
		return 0;
	}
	if (unlinkat(h->sock_dirfd, base_name(old), 0) < 0)
		fprintf(stderr, "subnetrad: %s moved to %s, but the old file stays: %s\n", old,
			path, strerror(errno));
	else
		fprintf(stderr, "subnetrad: %s moved to %s (state_dir; a one-time migration)\n",
			old, path);
	return 0;
}

int mesh_state_read_here(struct mesh_node *n, const char *path, char *buf, size_t cap,
			 size_t *len, char *why, size_t whycap)
{
	return statefile_read(n->host->state_dirfd, base_name(path), path, owner(n), buf, cap,
			      len, why, whycap);
}

int mesh_state_read(struct mesh_node *n, const char *suffix, const char *path, char *buf,
		    size_t cap, size_t *len, char *why, size_t whycap)
{
	int rc = mesh_state_read_here(n, path, buf, cap, len, why, whycap);

	if (rc != -ENOENT)
		return rc;
	return migrate(n, suffix, path, buf, cap, len, why, whycap);
}
