/*
 * The managed set while the node runs (docs/mesh.md, "Managed entries"):
 * the management agent writes <state_dir>/managed (core/mesh/managed.h)
 * and says `managed reload`; the node reads it at start-up too.  Its peers
 * and servers join the manual whitelist (allow.h: mesh_allowed), its
 * names the hosts block after the manual ones (hosts.c).
 *
 * A file that is refused changes nothing: the set in force stays (at
 * start-up: the empty set), one log line says why, the reply too.  A
 * missing file is the empty set.  Taking a new set ends the sessions of
 * peers it no longer allows, as `whitelist rm` does.
 */
#ifndef SUBNETRA_DAEMON_MESH_MANAGED_H
#define SUBNETRA_DAEMON_MESH_MANAGED_H

#include <stddef.h>

#include "core/ctlproto.h"
#include "daemon/mesh/node.h"

/*
 * n->managed from the file, after mesh_allow_load.  0, or -1 only when out
 * of memory (a file that cannot be used is one log line and the empty set).
 */
int mesh_managed_load(struct mesh_node *n);
/* A managed command's reply into buf (cap bytes); its length. */
size_t mesh_managed_execute(struct mesh_node *n, const struct ctl_cmd *cmd, char *buf,
			    size_t cap);
void mesh_managed_free(struct mesh_node *n);

#endif
