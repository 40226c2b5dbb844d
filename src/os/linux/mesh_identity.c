/*
 * Reading a mesh config's identity file: the I/O half of the identity
 * check, the parse half being core/mesh/identity.c.  The text buffer holds
 * the seed: it is wiped before this returns, whatever happened.
 */
#include "os/linux/mesh_identity.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "os/linux/safefile.h"

/* The file into text[0..*len), or -1 with err naming what went wrong. */
static int read_text(const char *file, char *text, size_t cap, size_t *len, bool *readable,
		     struct config_error *err)
{
	const char *why = NULL;
	struct stat st;
	ssize_t n;
	int fd = safefile_open_read(AT_FDCWD, file, true, &st);

	if (fd == -EINVAL)
		return config_error_set(err, "identity_file", "IdentityUnreadable",
			    "%s: %s, not a regular file", file, safefile_kind(st.st_mode));
	if (fd < 0)
		return config_error_set(err, "identity_file", "IdentityUnreadable",
			    "%s: cannot open: %s (create it with `subnetra identity new --out %s`)",
			    file, strerror(-fd), file);
	/* One byte over the limit tells "exactly the limit" from "too large". */
	n = safefile_read_all(fd, text, cap);
	close(fd);
	if (n < 0)
		why = strerror((int)-n);
	else if ((size_t)n > IDENTITY_FILE_MAX)
		why = "larger than an identity file can be";
	if (why != NULL) {
		sodium_memzero(text, cap);
		return config_error_set(err, "identity_file", "IdentityUnreadable", "%s: %s", file,
			    why);
	}
	*len = (size_t)n;
	*readable = (st.st_mode & (S_IRGRP | S_IROTH)) != 0;
	return 0;
}

int mesh_identity_load(const struct config *cfg, const char *file_label, struct identity *id,
		       bool *readable_by_others, struct config_error *err)
{
	const char *file = cfg->mesh.identity_file;
	char text[IDENTITY_FILE_MAX + 1];
	struct identity_error ierr;
	size_t len = 0;
	int rc = -1;

	config_error_reset(err, file_label);
	memset(id, 0, sizeof(*id));
	*readable_by_others = false;
	if (read_text(file, text, sizeof(text), &len, readable_by_others, err) != 0)
		return -1;
	if (!identity_file_parse(id, text, len, &ierr)) {
		if (ierr.line > 0)
			config_error_set(err, "identity_file", "InvalidIdentity", "%s: line %u: %s",
				    file, ierr.line, ierr.msg);
		else
			config_error_set(err, "identity_file", "InvalidIdentity", "%s: %s", file,
				    ierr.msg);
		goto out;
	}
	for (size_t i = 0; cfg->mode == CONFIG_MODE_MESH && i < cfg->mesh.n_bases; i++) {
		char path[sizeof(err->path)];

		if (memcmp(cfg->mesh.bases[i].public_key, id->pk, IDENTITY_PK_LEN) != 0)
			continue;
		snprintf(path, sizeof(path), "bases[%zu].public_key", i);
		config_error_set(err, path, "SelfReference",
			    "this is the node's own key (%s): a node is not its own base", file);
		goto out;
	}
	rc = 0;
out:
	sodium_memzero(text, sizeof(text));
	if (rc != 0)
		identity_wipe(id);
	return rc;
}
