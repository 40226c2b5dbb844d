/*
 * Daemon start-up, run and teardown.  daemon_start sets everything up in a
 * fixed order (daemon.c) and drops privileges before it returns; nothing
 * touches the network before the config is known good.  Worker threads
 * start only in daemon_run, after the drop: they inherit no capability, the
 * Landlock domain and the seccomp filter.
 */
#ifndef SUBNETRA_DAEMON_H
#define SUBNETRA_DAEMON_H

#include "core/config.h"
#include "daemon/state/context.h" /* the context these build, for their callers */

/*
 * A context with every fd closed (-1), cfg->workers workers allocated and
 * their batches wired to their slots; nothing opened, no keys, no threads.
 * daemon_start builds on it; so do the fuzzer and the unit tests (through
 * worker 0).
 */
struct daemon *daemon_alloc(const struct config *cfg);
/*
 * The privilege drop after start-up, on the calling thread (threads created
 * later inherit it): capabilities, d->uid when set, Landlock (files only in
 * d->sock_dirfd), then the seccomp filter.  Prints why and returns -1 on
 * failure.  Public for the unit test.
 */
int daemon_confine(struct daemon *d);
/*
 * Allocate and start with cfg, loaded from config_path (NULL: the default,
 * "config.json"), which a reload reads again.  On failure prints the
 * reason and returns NULL.  cfg stays the caller's.
 */
struct daemon *daemon_start(const struct config *cfg, const char *config_path);
/*
 * Mesh mode's host context: the config path, the paths ($SUBNETRA_SOCK,
 * $SUBNETRA_TUN), the service user, the control socket's directory and the
 * bound control socket; no workers, no v1 peers, no policy.  The caller
 * sets d->mesh, opens its own TUN and sockets, then calls daemon_confine.
 * NULL after printing why.
 */
struct daemon *daemon_host_start(const struct config *cfg, const char *config_path);
/*
 * Starts workers 1..n-1 and runs worker 0 on the calling thread until
 * SIGINT/SIGTERM; then stops and joins every worker.  0 on a clean stop.
 */
int daemon_run(struct daemon *d);
/* Close everything, wipe keys, unlink the control socket, free. */
void daemon_free(struct daemon *d);

/*
 * Where a state file kept next to the control socket sock lives: the
 * socket path with its ".sock" suffix replaced by suffix
 * (/run/subnetra/subnetra.sock, ".policy" -> /run/subnetra/subnetra.policy),
 * or suffix appended otherwise.  `save` writes the policy snapshot there,
 * mesh mode its whitelist and host names (docs/mesh.md).
 */
void daemon_state_path(char *out, size_t cap, const char *sock, const char *suffix);
/*
 * The TUN device name: $SUBNETRA_TUN, or "snr0" when unset or empty.  NULL
 * (after printing why) when it is not a usable interface name (tun.h).
 */
const char *daemon_tun_name(void);

#endif
