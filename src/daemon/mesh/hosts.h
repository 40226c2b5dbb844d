/*
 * Names in the hosts file (docs/mesh.md, "Names"): with hosts_file set,
 * the node keeps the file's managed block equal to its manual entries
 * (subnetra hosts add, saved next to the control socket like the
 * whitelist) followed by every peer's name from its beacon.  The file is
 * written by the privileged helper (os/linux/hostsfile.h), forked before
 * anything else, so the network-facing process never needs the right to
 * write it.
 *
 * When: a change from the network (a peer's new name) marks the block
 * dirty and the next tick writes it; an operator's command writes at once
 * and says how it went.  The helper rewrites the file only when the block
 * differs, and we only ask when our list differs from the last one sent.
 * After a start the old block stays until the first peer is known or
 * MESH_HOSTS_SETTLE_NS passed (names stay resolvable across a restart);
 * a stop leaves the block as it is.
 */
#ifndef SUBNETRA_DAEMON_MESH_HOSTS_H
#define SUBNETRA_DAEMON_MESH_HOSTS_H

#include <stddef.h>
#include <stdint.h>

#include "core/ctlproto.h"
#include "daemon/mesh/node.h"

#define MESH_HOSTS_SETTLE_NS (30 * MESH_NS_PER_S) /* > one beacon interval */
#define MESH_HOSTS_RETRY_NS  (10 * MESH_NS_PER_S) /* after the helper failed */

/* Fork the helper (cfg hosts_file set; nothing otherwise).  0, or -1 after printing why. */
int mesh_hosts_start(struct mesh_node *n);
/* The manual entries from their state file (after daemon_host_start); one log line if unusable. */
void mesh_hosts_load(struct mesh_node *n, uint64_t now_ns);
/* A peer's name appeared, changed or went: write the block at the next tick. */
void mesh_hosts_changed(struct mesh_node *n);
void mesh_hosts_tick(struct mesh_node *n, uint64_t now_ns);
/* A hosts command's reply into buf (cap bytes); its length. */
size_t mesh_hosts_execute(struct mesh_node *n, const struct ctl_cmd *cmd, char *buf,
			  size_t cap);
/* Stop the helper, free; the block stays in the file. */
void mesh_hosts_stop(struct mesh_node *n);

#endif
