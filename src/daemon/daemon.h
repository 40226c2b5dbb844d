/*
 * Daemon start-up, run and teardown.
 *
 * Start-up order (daemon_start): config already loaded and validated ->
 * boot epoch (fail closed) -> peer keys -> the service user and the control
 * socket's directory -> policy (role + snapshot) -> TUN
 * (one queue per worker) -> UDP sockets (one per port and worker) -> control
 * socket -> the network plan on the TUN (netconf.h; unless the config's
 * "configure_interface" is false) -> epoll sets -> privilege drop, Landlock
 * and seccomp.  Nothing
 * touches the network before the config is known good.  Worker threads
 * start only in daemon_run, after the drop: they inherit no capability, the
 * Landlock domain and the filter.
 */
#ifndef SUBNETRA_DAEMON_H
#define SUBNETRA_DAEMON_H

#include "core/config.h"
#include "daemon/context.h" /* the context these build, for their callers */

/*
 * A context with every fd closed (-1), cfg->workers workers allocated and
 * their batches wired to their slots; nothing opened, no keys, no threads.
 * daemon_start builds on it; so do the fuzzer and the unit tests (through
 * worker 0).
 */
struct daemon *daemon_alloc(const struct config *cfg);
/*
 * The privilege drop after start-up, on the calling thread (threads created
 * later inherit it): every capability dropped and, with d->uid set, that
 * user; Landlock limits the file system to creating, writing and removing
 * files in the directory open as d->sock_dirfd (nothing at all if it has
 * subdirectories); then the seccomp filter.
 * Prints why and returns -1 on failure.  Public for the unit test.
 */
int daemon_confine(struct daemon *d);
/*
 * Allocate and start with cfg, loaded from config_path (NULL: the default,
 * "config.json"), which a reload reads again.  On failure prints the
 * reason and returns NULL.  cfg stays the caller's.
 */
struct daemon *daemon_start(const struct config *cfg, const char *config_path);
/*
 * Starts workers 1..n-1 and runs worker 0 on the calling thread until
 * SIGINT/SIGTERM; then stops and joins every worker.  0 on a clean stop.
 */
int daemon_run(struct daemon *d);
/* Close everything, wipe keys, unlink the control socket, free. */
void daemon_free(struct daemon *d);

/*
 * The TUN device name: $SUBNETRA_TUN, or "snr0" when unset or empty.  NULL
 * (after printing why) when it is not a usable interface name (tun.h).
 */
const char *daemon_tun_name(void);

#endif
