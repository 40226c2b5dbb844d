/*
 * Mesh mode's entry points for main.c: start a node (every privileged
 * step, then the privilege drop), run it until SIGINT/SIGTERM, free it.
 * The node itself: node.h.
 */
#ifndef SUBNETRA_DAEMON_MESH_MESH_H
#define SUBNETRA_DAEMON_MESH_MESH_H

#include "core/config.h"
#include "core/mesh/identity.h"

struct mesh_node;

/*
 * Start-up order: the hosts helper (hosts_file) -> identity -> control
 * socket and its directory (daemon_host_start) -> handshake keys, whitelist
 * (its state file or the config), manual host names, tables -> TUN (checksum and
 * TSO6 offloads) ->
 * its address, MTU and route (netconf_apply6) -> the mesh UDP port ->
 * the rtnetlink watch and one scan of the host (netchange.h) -> bases and
 * their endpoint record -> beacon sockets -> epoll, signalfd, timerfd ->
 * privilege drop, Landlock,
 * seccomp (daemon_confine).  cfg must outlive the node.  NULL after
 * printing why; everything made so far is undone (the TUN goes with its
 * descriptor).
 */
struct mesh_node *mesh_start(const struct config *cfg, const char *config_path);
/* The node's identity (for the banner), its TUN and control socket names. */
const struct identity *mesh_identity(const struct mesh_node *n);
const char *mesh_tun(const struct mesh_node *n);
const char *mesh_sock(const struct mesh_node *n);
/* Announce, then serve until SIGINT or SIGTERM.  0, or -1 (epoll failed). */
int mesh_run(struct mesh_node *n);
/* Close everything, wipe every key, remove the control socket, free. */
void mesh_free(struct mesh_node *n);

#endif
