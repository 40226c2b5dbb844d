/*
 * A mesh or base config's identity file, read and checked as the daemon
 * would before it starts: fail closed, naming the file and the problem.
 * Used by subnetrad --check and --print-network-plan and by config-lint.
 */
#ifndef SUBNETRA_MESH_IDENTITY_H
#define SUBNETRA_MESH_IDENTITY_H

#include "core/config.h"
#include "core/mesh/identity.h"

/*
 * cfg->mesh.identity_file into id, through safefile (never waits on a FIFO;
 * at most IDENTITY_FILE_MAX bytes) and identity_file_parse.  Then, on a
 * mesh node, its key must not be one of its bases' keys.  0, or -1 with
 * err (file_label, field "identity_file" or "bases[i].public_key"):
 *   IdentityUnreadable  cannot open or read it, not a regular file, too large
 *   InvalidIdentity     identity_file_parse refused it (line and field named)
 *   SelfReference       a base has this node's own key
 * id is wiped on failure; the caller wipes it (identity_wipe) after use.
 * *readable_by_others is set when group or others may read the file.
 */
int mesh_identity_load(const struct config *cfg, const char *file_label, struct identity *id,
		       bool *readable_by_others, struct config_error *err);

#endif
