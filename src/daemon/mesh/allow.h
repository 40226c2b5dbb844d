/*
 * The whitelist while the node runs (docs/mesh.md, "Whitelist"): loaded at
 * start-up from its state file when there is a trusted one, else from the
 * config; changed by the control commands (whitelist add|rm|enable|disable),
 * which apply at once and save the whole list atomically to the state
 * file next to the control socket (statefile.h).
 *
 * The list in force is the effective one (mesh_allowed): this manual list
 * and the managed set's peers and servers (managed.h), which this file
 * never saves and `whitelist rm` never removes.
 *
 * What "at once" means: the list is consulted for every beacon and every
 * handshake (lan.c, hs.c), so an added node gets in on its next beacon or
 * handshake (a QUERY beacon asks the LAN for them right away); a removed
 * node, or every unlisted one when the list is enabled again, is cut off:
 * its session ended, its keys wiped, its table entry gone
 * (mesh_peer_remove), so nothing more of it is decrypted or sent to it.
 */
#ifndef SUBNETRA_DAEMON_MESH_ALLOW_H
#define SUBNETRA_DAEMON_MESH_ALLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/ctlproto.h"
#include "daemon/mesh/node.h"

/*
 * n->wl and n->wl_file at start-up (after daemon_host_start: the socket's
 * directory and the daemon's user are known).  Never fails: a state file
 * that cannot be used is one log line, and the config's list is taken.
 */
void mesh_allow_load(struct mesh_node *n);
/*
 * Whether addr may complete a handshake, send us beacons, be looked up:
 * the list is off, or addr is on the effective whitelist (the manual one
 * and the managed set's peers and servers, docs/mesh.md "Managed entries").
 */
bool mesh_allowed(const struct mesh_node *n, const uint8_t addr[16]);
/*
 * The effective whitelist, ascending, into out (at most cap written); how
 * many addresses it has (more than cap: not all written).
 */
size_t mesh_allow_list(const struct mesh_node *n, uint8_t (*out)[16], size_t cap);
/*
 * After the managed set changed: end the sessions of peers no longer
 * allowed, tell the bases and the LAN.  How many sessions ended.
 */
size_t mesh_allow_managed_changed(struct mesh_node *n);
/* A whitelist command's reply into buf (cap bytes); its length. */
size_t mesh_allow_execute(struct mesh_node *n, const struct ctl_cmd *cmd, char *buf,
			  size_t cap);

#endif
