/*
 * The daemon context: one struct, passed by pointer, owns every fd, table,
 * buffer and counter.  It is allocated once at start-up; the data plane
 * works only inside it and never allocates.
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

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/un.h>

#include "core/aead.h"
#include "core/bounds.h"
#include "core/config.h"
#include "core/counters.h"
#include "core/ctlproto.h"
#include "core/offload.h"
#include "core/peer.h"
#include "core/policy.h"
#include "core/qsbr.h"
#include "core/status.h"
#include "os/linux/tun.h"
#include "os/linux/udp.h"

struct daemon_paths {
	char sock[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char policy[sizeof(((struct sockaddr_un *)0)->sun_path) + 16];
	char tun[TUN_NAME_MAX];
};

struct worker;

struct daemon {
	const struct config *cfg; /* the running config; replaced by a reload */
	struct config *cfg_loaded; /* cfg when a reload loaded it (freed here), else NULL */
	char config_path[4096];    /* re-read by a reload */
	struct daemon_paths paths;
	uint64_t epoch; /* our boot epoch */
	uid_t uid;      /* the config's "user" after start-up; (uid_t)-1: stays root */
	gid_t gid;
	uint8_t cfg_digest[CONFIG_DIGEST_LEN]; /* stamps the policy snapshot */
	int sock_dirfd;        /* the control socket's directory (control.h) */
	const char *sock_name; /* its last component, inside paths.sock */
	bool sock_dir_created; /* by this start: only then is it handed to uid */

	unsigned n_workers; /* cfg->workers; worker 0 is the main thread */
	struct worker *workers[MAX_WORKERS];
	size_t n_udp;       /* listen ports (sockets per worker) */
	int ctl_fd;
	int sig_fd;
	int ka_timer_fd; /* keepalive; -1 when disabled */
	int stop_fd;     /* eventfd: readable once the daemon stops (wakes every worker) */
	/* Reload: worker 0 parks the others between wake-ups (pause.h). */
	int pause_fd;    /* eventfd: readable while a pause is requested */
	atomic_bool pause_req;
	pthread_mutex_t pause_mu;
	pthread_cond_t pause_cv; /* parked workers wait on it, worker 0 for them */
	unsigned n_parked;       /* under pause_mu */

	/* Shared by every worker (see peer.h, policy.h, qsbr.h). */
	struct peer_table peers;
	struct policy policy;
	struct qsbr qsbr;

	/* Control plane buffers (worker 0 only). */
	uint8_t ctl_rx[CTL_RX_BUF + 1];
	char ctl_reply[CTL_REPLY_MAX];
	struct status_peer status_peers[MAX_PEERS];
	struct counters status_counters;

	atomic_bool stop;
	atomic_bool failed; /* a worker's epoll failed: exit status 1 */
};

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
