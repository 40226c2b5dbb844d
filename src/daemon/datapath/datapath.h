/*
 * The two packet directions and the shared transmit queue, on a worker
 * (worker.h):
 *   rx.c  UDP -> select peer -> open -> verify -> TUN or relay
 *   tx.c  TUN -> route -> UDP, and the spoke NAT keepalive
 *   txq.c seal, batch and send every outgoing datagram
 * Each entry point does a bounded amount of work per call (the reactor calls
 * it again while the fd stays readable: level-triggered epoll).  Each runs on
 * one worker with that worker's fds, buffers and counters; what it shares
 * with the other workers (peers, policy) is safe through peer.h and policy.h.
 */
#ifndef SUBNETRA_DATAPATH_H
#define SUBNETRA_DATAPATH_H

#include <stdint.h>

#include "core/bytes/byteorder.h" /* load_be32: an inner packet's addresses */
#include "daemon/state/context.h"
#include "daemon/datapath/worker.h"

enum {
	RX_BATCHES_PER_WAKE = 4, /* recvmmsg calls per socket per wake-up */
};

void rx_drain(struct worker *w, unsigned sock);
/*
 * The whole receive decision for one datagram (buf has PKT_BUF_LEN bytes of
 * room; trunc = the kernel truncated it).  Relayed datagrams are queued:
 * call txq_flush() before reusing buf.  Exposed for the fuzzer.
 */
void rx_datagram(struct worker *w, unsigned sock, uint8_t *buf, size_t len, bool trunc,
		 const struct endpoint4 *from, uint64_t now);
/* Write the coalesced TCP/UDP super-packet pending for the TUN, if any. */
void rx_flush_tun(struct worker *w);
void tx_drain_tun(struct worker *w);
void tx_keepalive(struct worker *w);

/*
 * Seal the plaintext at buf + WIRE_HEADER_LEN (pt_len bytes, with room for
 * the tag behind it) for peer p and queue it for p's current endpoint; buf
 * must stay untouched until the next txq_flush.  One worker seals here;
 * several seal at the flush (txq.c says why).  A session that ran out of
 * sequence numbers drops it, counted as a failed send of its kind.
 */
void txq_push(struct worker *w, struct peer *p, enum txq_kind kind, uint8_t *buf,
	      size_t pt_len);
/* Several workers: seal what is pending (a no-op otherwise).  For the fuzzer. */
void txq_seal(struct worker *w);
/* Send everything queued and account for each datagram's fate. */
void txq_flush(struct worker *w);

#endif
