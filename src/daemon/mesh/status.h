/*
 * The control socket in mesh mode: status (text), status --json and
 * metrics of the running node, rendered from the node and its counters
 * (counters.h); whitelist and hosts (allow.h, hosts.h); the v1-only
 * commands answer that mesh mode has none.
 * Layouts: docs/mesh.md, "Status".
 */
#ifndef SUBNETRA_DAEMON_MESH_STATUS_H
#define SUBNETRA_DAEMON_MESH_STATUS_H

#include <stddef.h>

#include "core/ctlproto.h"

struct mesh_node;

/* The reply to one command into buf (cap bytes); its length, 0: no reply. */
size_t mesh_control_execute(struct mesh_node *n, const struct ctl_cmd *cmd, char *buf,
			    size_t cap);
/* The same as the host context's mode_execute hook (state/context.h). */
size_t mesh_control_hook(void *node, const struct ctl_cmd *cmd, char *buf, size_t cap);

#endif
