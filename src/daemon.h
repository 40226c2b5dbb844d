/*
 * The daemon context: one struct, passed by pointer, owns every fd, table,
 * buffer and counter.  It is allocated once at start-up; the data plane
 * works only inside it and never allocates.
 *
 * Start-up order (daemon_start): config already loaded and validated ->
 * boot epoch (fail closed) -> peer keys -> policy (role + snapshot) -> TUN ->
 * UDP sockets -> control socket -> epoll.  Nothing touches the network
 * before the config is known good.
 */
#ifndef SUBNETRA_DAEMON_H
#define SUBNETRA_DAEMON_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/un.h>

#include "bounds.h"
#include "config.h"
#include "counters.h"
#include "ctlproto.h"
#include "offload.h"
#include "peer.h"
#include "policy.h"
#include "status.h"
#include "tun.h"
#include "udp.h"

/* Why a queued datagram is sent decides which counter its fate moves. */
enum txq_kind {
	TXQ_LOCAL,     /* sealed from a TUN packet: udp_tx / drop_tun_send_err */
	TXQ_RELAY,     /* re-sealed for another peer: relay / drop_udp_send_err */
	TXQ_KEEPALIVE, /* NAT keepalive: keepalive_tx */
};

/*
 * Datagrams waiting for sendmmsg, one batch per listen socket, tagged with
 * their txq_kind.  Entries point into rx/tun/keepalive buffers, so every
 * producer flushes before it reuses its buffer.
 */
struct txq {
	struct udp_tx_batch batch[MAX_LISTEN_PORTS];
};

struct daemon_paths {
	char sock[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char policy[sizeof(((struct sockaddr_un *)0)->sun_path) + 16];
	char tun[TUN_NAME_MAX];
};

struct daemon {
	const struct config *cfg;
	struct daemon_paths paths;
	uint64_t epoch; /* our boot epoch */

	int epfd;
	int tun_fd;
	int udp_fd[MAX_LISTEN_PORTS];
	size_t n_udp;
	int ctl_fd;
	int sig_fd;
	int ka_timer_fd; /* keepalive; -1 when disabled */

	struct peer_table peers;
	struct policy policy;
	struct counters ctr;

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

	/* Control plane buffers. */
	uint8_t ctl_rx[CTL_RX_BUF + 1];
	char ctl_reply[CTL_REPLY_MAX];
	struct status_peer status_peers[MAX_PEERS];

	volatile bool stop;
};

/*
 * A context with every fd closed (-1) and the batches wired to their slots;
 * nothing opened, no keys.  daemon_start builds on it; so does the fuzzer.
 */
struct daemon *daemon_alloc(const struct config *cfg);
/* Allocate and start; on failure prints the reason and returns NULL. */
struct daemon *daemon_start(const struct config *cfg);
/* Runs the reactor until SIGINT/SIGTERM. Returns 0 on a clean stop. */
int daemon_run(struct daemon *d);
/* Close everything, wipe keys, unlink the control socket, free. */
void daemon_free(struct daemon *d);

/* Current wall clock in ns (CLOCK_REALTIME). */
uint64_t wall_ns(void);

#endif
