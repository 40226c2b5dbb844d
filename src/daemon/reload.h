/*
 * Reload (SIGHUP, `subnetra reload`): read the config file the daemon
 * started with again and apply it without closing the TUN or the sockets
 * and without touching the sessions of peers whose keys and endpoint did
 * not change (peer_table_reload); the policy's derived rules are derived
 * again, and rules added at run time stay after them.  What is set up once at start-up (listen
 * ports, workers, user, the interface's set-up: MTU, address, whether the
 * daemon configures it) keeps its running value and is reported as needing
 * a restart; so do the interface's routes, which the daemon, without
 * CAP_NET_ADMIN by then, cannot change.  A config that does not load
 * or validate changes nothing.
 */
#ifndef SUBNETRA_RELOAD_H
#define SUBNETRA_RELOAD_H

#include <stdbool.h>
#include <stddef.h>

struct daemon;

/*
 * Worker 0 only.  Logs the outcome (one line) and, with reply != NULL,
 * writes it there too ("reloaded ...\n" or "reload failed: ...\n").
 * Returns the reply length, or 0 without a reply buffer; *ok tells.
 */
size_t daemon_reload(struct daemon *d, char *reply, size_t cap, bool *ok);

#endif
