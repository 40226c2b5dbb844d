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

/* Why a queued datagram is sent decides which counter its fate moves. */
enum txq_kind {
	TXQ_LOCAL,     /* sealed from a TUN packet: udp_tx / drop_tun_send_err */
	TXQ_RELAY,     /* re-sealed for another peer: relay / drop_udp_send_err */
	TXQ_KEEPALIVE, /* NAT keepalive: keepalive_tx */
};

/* Several workers: a datagram queued as plaintext, sealed at the flush. */
struct txq_pending {
	struct peer *p;
	uint8_t *buf; /* plaintext at buf + WIRE_HEADER_LEN, room for the tag */
	uint16_t pt_len;
	uint8_t kind; /* enum txq_kind */
};

/* Several workers: one peer's datagrams of a flush and their block of seqs. */
struct txq_group {
	struct peer *p;
	uint64_t first; /* the block is [first, first + n) */
	size_t n;       /* 0: the session ran out, there is nothing to release */
	size_t count;   /* datagrams queued for p */
	unsigned sock;  /* every one goes out on this socket */
	size_t msg_end; /* batch[sock].n once the group was queued */
};

/*
 * Datagrams waiting for sendmmsg, one batch per listen socket, tagged with
 * their txq_kind (and, with several workers, their group).  Entries point
 * into rx/tun/keepalive buffers, so every producer flushes before it reuses
 * its buffer.  With several workers they wait unsealed in pend[] (txq.c).
 */
struct txq {
	struct udp_tx_batch batch[MAX_LISTEN_PORTS];
	struct txq_pending pend[UDP_BATCH];
	size_t n_pend;
	struct txq_group groups[UDP_BATCH];
	size_t n_groups;
};

struct daemon_paths {
	char sock[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char policy[sizeof(((struct sockaddr_un *)0)->sun_path) + 16];
	char tun[TUN_NAME_MAX];
};

struct daemon;

/*
 * One reactor thread's data plane: its own epoll set, TUN queue, one socket
 * per listen port, buffers and counters.  Worker 0 is the main thread and
 * also owns the control socket, the signalfd and the keepalive timer.  A
 * worker writes only its own struct (and the shared peer state through
 * peer.h); the control thread reads `pub`, never `ctr`, of other workers.
 */
struct worker {
	struct daemon *d;
	unsigned id;
	int epfd;
	int tun_fd;                     /* this worker's TUN queue */
	int udp_fd[MAX_LISTEN_PORTS];   /* socket of listen port i (SO_REUSEPORT group) */
	struct counters ctr;            /* plain: only this thread writes it */
	struct counters_shared pub;     /* ctr as of its last wake-up (workers > 1) */
	struct aead_ctx *aead;          /* this thread's cipher state (aead.h) */
	pthread_t thread;
	bool thread_started;

	/* Data-plane buffers, preallocated. */
	struct udp_rx_batch rx;
	uint8_t rx_slots[UDP_BATCH * UDP_RX_SLOT_LEN];
	/* One TUN read: vnet header + up to a 64 KiB super-packet. */
	uint8_t tun_read_buf[VNET_HDR_LEN + OFFLOAD_MAX_PACKET];
	/* TUN packets (and the segments of super-packets) are sealed back to
	 * back here, so equal-size datagrams to one peer are contiguous and
	 * leave as one GSO message. */
	uint8_t tun_stage[64 * PKT_BUF_LEN];
	uint8_t ka_slots[UDP_BATCH][WIRE_MIN_DATAGRAM];
	struct txq txq;
	struct tun_gro gro; /* TCP/UDP segments waiting for one coalesced TUN write */
	unsigned scans_left; /* obfuscation full-scan budget for this drain */
};

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
	/* Reload: worker 0 parks the others between wake-ups (reactor_pause). */
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
/* The daemon-wide counters: every worker's, summed (control thread only). */
void daemon_counters(const struct daemon *d, struct counters *sum);
/* Close everything, wipe keys, unlink the control socket, free. */
void daemon_free(struct daemon *d);

/*
 * The TUN device name: $SUBNETRA_TUN, or "snr0" when unset or empty.  NULL
 * (after printing why) when it is not a usable interface name (tun.h).
 */
const char *daemon_tun_name(void);

#endif
