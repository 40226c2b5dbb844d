/*
 * UDP ingress: batches of datagrams from one socket, each decided by
 * rx_decide (core/receive.c: the receive order lives there) and acted on
 * here: the sender's address and time learned (only after it authenticated
 * and passed the inner checks, and the endpoint only from its newest
 * datagram), the inner packet written to the TUN (coalesced where the
 * kernel allows) or queued for relay, every drop counted.  Nothing is ever
 * sent in reply to a datagram that does not authenticate.
 */
#include <string.h>

#include "core/offload.h"
#include "core/receive.h"
#include "core/wire.h"
#include "daemon/datapath/datapath.h"
#include "os/linux/clock.h"

/* Replies leave through the socket the peer was last heard on (NAT). */
static void learn(struct worker *w, struct peer *p, const struct wire_header *h, unsigned sock,
		  const struct endpoint4 *from, uint64_t now)
{
	if (peer_learn(&w->d->peers, p, h, from, sock, now))
		w->ctr.udp_endpoint_learned++;
}

void rx_flush_tun(struct worker *w)
{
	const uint8_t *p;
	size_t n = gro_finish(&w->gro, &p);

	if (n == 0)
		return;
	if (tun_write(w->tun_fd, p, n) < 0) {
		/* Counted as delivered when absorbed; they were not. */
		w->ctr.tun_tx_packets -= w->gro.nsegs;
		w->ctr.tun_tx_bytes -= w->gro.bytes;
		w->ctr.drop_udp_send_err += w->gro.nsegs;
	}
	gro_reset(&w->gro);
}

/*
 * Write an authenticated packet to the TUN: a TCP segment or UDP datagram
 * joins the pending super-packet when it can (written at the end of the
 * batch); anything else goes out at once, after whatever is pending, so
 * order is kept.
 */
static void deliver_local(struct worker *w, uint8_t *buf, size_t pt_len)
{
	const uint8_t *ip = buf + WIRE_HEADER_LEN;
	/* The packet authenticated: the kernel need not verify its checksums. */
	struct vnet_hdr vh = {.flags = VNET_F_DATA_VALID};

	if (!gro_add(&w->gro, ip, pt_len)) {
		rx_flush_tun(w);
		if (!gro_add(&w->gro, ip, pt_len)) {
			/* The vnet header goes over the tail of the parsed wire header. */
			vnet_hdr_encode(buf + WIRE_HEADER_LEN - VNET_HDR_LEN, &vh);
			if (tun_write(w->tun_fd, buf + WIRE_HEADER_LEN - VNET_HDR_LEN,
				      VNET_HDR_LEN + pt_len) < 0) {
				w->ctr.drop_udp_send_err++;
				return;
			}
		}
	}
	w->ctr.tun_tx_packets++;
	w->ctr.tun_tx_bytes += pt_len;
}

void rx_datagram(struct worker *w, unsigned sock, uint8_t *buf, size_t len, bool trunc,
		 const struct endpoint4 *from, uint64_t now)
{
	struct daemon *d = w->d;
	struct rx_input in = {
	    .peers = &d->peers,
	    .policy = policy_active(&d->policy),
	    .obfuscate = d->cfg->obfuscate,
	    .from = from,
	    .scans_left = &w->scans_left,
	};
	struct rx_decision r;

	w->ctr.udp_rx_packets++;
	w->ctr.udp_rx_bytes += len;
	rx_decide(&in, buf, len, trunc, &r);
	if (rx_learns(r.result))
		learn(w, r.peer, &r.hdr, sock, from, now);
	switch (r.result) {
	case RX_TUN:
		deliver_local(w, buf, r.pt_len); /* counts tun_tx or a failed write */
		break;
	case RX_RELAY:
		/* Re-sealed in place for the next hop; the slot stays ours until flush. */
		txq_push(w, r.target, TXQ_RELAY, buf, r.pt_len);
		break;
	default:
		counter_bump(&w->ctr, rx_result_offset(r.result));
		break;
	}
}

void rx_drain(struct worker *w, unsigned sock)
{
	struct udp_rx_batch *b = &w->rx;

	w->scans_left = OBFS_SCAN_BUDGET;
	for (int round = 0; round < RX_BATCHES_PER_WAKE; round++) {
		int n = udp_recv_batch(w->udp_fd[sock], b);
		uint64_t now;

		if (n <= 0)
			break;
		now = wall_ns();
		for (int i = 0; i < n; i++) {
			struct msghdr *m = &b->msgs[i].msg_hdr;
			uint8_t *slot = udp_rx_slot(b, (size_t)i);
			size_t len = b->msgs[i].msg_len;
			size_t seg = udp_rx_segment_size(b, (size_t)i);
			struct endpoint4 from;

			endpoint_from_sockaddr(&from, &b->from[i].v4);
			if (seg == 0) {
				rx_datagram(w, sock, slot, len, (m->msg_flags & MSG_TRUNC) != 0,
					    &from, now);
				continue;
			}
			/* GRO: several datagrams of one flow, each seg long but the last. */
			for (size_t off = 0; off < len; off += seg)
				rx_datagram(w, sock, slot + off, len - off < seg ? len - off : seg,
					    false, &from, now);
		}
		/* Relayed datagrams point into rx slots: send before reuse. */
		rx_flush_tun(w);
		txq_flush(w);
		if (n < UDP_BATCH)
			break;
	}
}
