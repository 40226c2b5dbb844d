/*
 * One reactor thread's data plane: its own epoll set, TUN queue, one socket
 * per listen port, buffers, transmit queue and counters.  Worker 0 is the
 * main thread and also owns the control socket, the signalfd and the
 * keepalive timer.  A worker writes only its own struct (and the shared peer
 * state through peer.h); the control thread reads `pub`, never `ctr`, of
 * other workers.
 */
#ifndef SUBNETRA_DATAPATH_WORKER_H
#define SUBNETRA_DATAPATH_WORKER_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/aead.h"
#include "core/bounds.h"
#include "core/counters.h"
#include "core/offload.h"
#include "core/peer.h"
#include "core/wire.h"
#include "os/linux/tun.h"
#include "os/linux/udp.h"

struct daemon;

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

/*
 * Worker id of d, every fd -1, its batches wired to its slots, its cipher
 * state allocated; nothing opened.  NULL when out of memory.
 */
struct worker *worker_alloc(struct daemon *d, unsigned id);
/* Close its fds, free its cipher state, wipe (its slots held plaintext). NULL: no-op. */
void worker_free(struct worker *w);
/*
 * The daemon-wide counters: workers[0]'s own (the caller is worker 0, the
 * control thread) plus every other worker's last published copy.
 */
void worker_counters_sum(struct worker *const workers[], unsigned n, struct counters *sum);

#endif
