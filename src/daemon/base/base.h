/*
 * Base mode's entry points for main.c: start a base server (every
 * privileged step, then the privilege drop), run it until SIGINT/SIGTERM,
 * free it.  The server itself: server.h.
 */
#ifndef SUBNETRA_DAEMON_BASE_BASE_H
#define SUBNETRA_DAEMON_BASE_BASE_H

#include "core/config.h"
#include "core/mesh/identity.h"

struct base_server;

/*
 * Start-up order: identity -> control socket (daemon_host_start) ->
 * handshake keys, registry, tables -> the UDP and TCP ports -> epoll, signalfd,
 * timerfd -> privilege drop, Landlock, seccomp (daemon_confine).  No TUN.
 * cfg must outlive the server.  NULL after printing why.
 */
struct base_server *base_start(const struct config *cfg, const char *config_path);
const struct identity *base_identity(const struct base_server *b);
const char *base_sock(const struct base_server *b);
/* Serve until SIGINT or SIGTERM.  0, or -1 (epoll failed). */
int base_run(struct base_server *b);
/* Close everything, wipe every key, remove the control socket, free. */
void base_free(struct base_server *b);

#endif
