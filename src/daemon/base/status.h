/*
 * The control socket in base mode: status (text), status --json and
 * metrics of the running base, rendered from the registry and the
 * counters (server.h); the v1-only commands answer that base mode has
 * none.  Layouts: docs/mesh.md, "Base servers".
 */
#ifndef SUBNETRA_DAEMON_BASE_STATUS_H
#define SUBNETRA_DAEMON_BASE_STATUS_H

#include <stddef.h>

#include "core/ctlproto.h"

struct base_server;

/* The reply to one command into buf (cap bytes); its length, 0: no reply. */
size_t base_control_execute(struct base_server *b, enum ctl_kind kind, char *buf,
			    size_t cap);
/*
 * The host context's mode_execute hook (state/context.h); a mesh node's
 * command (whitelist, hosts) gets "failed:" rather than silence.
 */
size_t base_control_hook(void *server, const struct ctl_cmd *cmd, char *buf, size_t cap);

#endif
