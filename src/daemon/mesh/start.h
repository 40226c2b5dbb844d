/*
 * Start-up steps a mesh node and a base server share: the identity (and
 * the handshake keys made from it), and the event loop's descriptors.
 */
#ifndef SUBNETRA_DAEMON_MESH_START_H
#define SUBNETRA_DAEMON_MESH_START_H

#include <stdbool.h>
#include <stdint.h>

#include "core/config.h"
#include "core/mesh/handshake.h"
#include "core/mesh/identity.h"

/*
 * Read cfg's identity file (warning when others can read it) and make the
 * handshake keys with the config's psk.  0, or -1 after printing why.
 */
int mesh_start_identity(const struct config *cfg, const char *config_path,
			struct identity *id, struct hs_local *local);
/*
 * SIGINT, SIGTERM and SIGHUP blocked and read from *sig_fd; an epoll
 * instance; a timerfd firing every tick_ns (< 1 s).  0 or -errno (the
 * caller closes what was made).
 */
int mesh_start_loop(int *sig_fd, int *epfd, int *timer_fd, uint64_t tick_ns);
/* Drain the signalfd mesh_start_loop made; true if SIGINT or SIGTERM came. */
bool mesh_signal_stop(int sig_fd);

#endif
