/*
 * The daemon context: one struct, passed by pointer, owns every fd, table,
 * buffer and counter.  It is allocated once at start-up (daemon.h); the
 * data plane works only inside it and never allocates.
 */
#ifndef SUBNETRA_CONTEXT_H
#define SUBNETRA_CONTEXT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/un.h>

#include "core/bounds.h"
#include "core/config.h"
#include "core/peer.h"
#include "core/policy.h"
#include "core/qsbr.h"
#include "os/linux/tun.h"

struct daemon_paths {
	char sock[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char policy[sizeof(((struct sockaddr_un *)0)->sun_path) + 16];
	char tun[TUN_NAME_MAX];
};

struct control_server;
struct ctl_cmd;
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
	int state_dirfd;       /* mesh: its state_dir (mesh/statedir.h); -1 otherwise */

	unsigned n_workers; /* cfg->workers; worker 0 is the main thread */
	struct worker *workers[MAX_WORKERS];
	size_t n_udp;       /* listen ports (sockets per worker) */
	int ctl_fd;
	int sig_fd;
	int ka_timer_fd; /* keepalive (keepalive.h); disarmed when keepalives are off */
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

	struct control_server *ctl; /* its buffers (worker 0 only; control.h) */
	/*
	 * Mesh and base modes (daemon/mesh/, daemon/base/): this context only
	 * hosts the control socket and the privilege drop for them (no
	 * workers, no v1 peers), and the mode answers every control command
	 * itself: mode_execute(mode, cmd, reply, cap) gives the reply's length.
	 * NULL in v1.  A hook, so that control/ needs no mode's header.
	 */
	void *mode;
	size_t (*mode_execute)(void *mode, const struct ctl_cmd *cmd, char *buf, size_t cap);

	atomic_bool stop;
	atomic_bool failed; /* a worker's epoll failed: exit status 1 */
};

#endif
