/*
 * UDP ingress.  The receive order is fixed and security-critical:
 *   1. size: over-long -> oversized; shorter than 36 -> auth_or_invalid
 *   2. peer selection, then header validation (version, flags, epoch != 0):
 *      cleartext by key_id; obfuscated by trial de-masking (source-endpoint
 *      fast path first, then a metered full scan of every peer's receive
 *      link key; a peer's own endpoint that no key de-masks is a key
 *      mismatch, auth_or_invalid, as a bad tag is in cleartext mode)
 *   3-6. wire_rx_open: stale epoch before crypto, AEAD, then commit a newer
 *      epoch, then anti-replay -- no state changes before authentication
 *   7. inner packet must be IPv4 with a source inside the peer's allowed_src
 *   8. only now learn last-seen time and, from the session's newest
 *      datagram only, the endpoint (roaming/NAT)
 *   9. route: local TUN, relay (never back to the source), or drop
 * Every failure is a silent drop, counted by reason; nothing is ever sent in
 * reply to a datagram that does not authenticate.
 */
#include <string.h>

#include "daemon/datapath/datapath.h"
#include "core/offload.h"
#include "core/wire.h"
#include "os/linux/clock.h"

/*
 * Obfuscated mode: find the peer whose receive link key de-masks the header.
 * On success hdr holds the unmasked header: the trial's pad, computed once,
 * is the one the de-mask uses (wire_obfs_unmask).
 *
 * A datagram from a peer's current endpoint that no key de-masks is that
 * peer with the wrong key (or ids): counted in drop_udp_auth_or_invalid, the
 * key-mismatch alarm, as it is in cleartext mode.  From anywhere else it is
 * an unknown sender.
 */
static struct peer *select_obfuscated(struct worker *w, const uint8_t *buf, size_t len,
				      const struct endpoint4 *from,
				      uint8_t hdr[WIRE_HEADER_LEN])
{
	struct daemon *d = w->d;
	struct peer *p = peer_find_by_endpoint(&d->peers, from);

	if (p != NULL && wire_obfs_trial(buf, len, p->rx_link_key, p->id, hdr))
		return p;
	/*
	 * A full scan (another peer may have moved to this address) costs one
	 * BLAKE2b per peer, so it is metered per drain to bound the CPU an
	 * attacker can make us burn.
	 */
	if (w->scans_left == 0) {
		if (p != NULL)
			w->ctr.drop_udp_auth_or_invalid++;
		else
			w->ctr.drop_udp_scan_budget++;
		return NULL;
	}
	w->scans_left--;
	for (size_t i = 0; i < d->peers.n; i++) {
		struct peer *q = &d->peers.peers[i];

		if (q != p && wire_obfs_trial(buf, len, q->rx_link_key, q->id, hdr))
			return q;
	}
	if (p != NULL)
		w->ctr.drop_udp_auth_or_invalid++;
	else
		w->ctr.drop_udp_unknown_peer++;
	return NULL;
}

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

static void route(struct worker *w, struct peer *src_peer, uint8_t *buf, size_t pt_len)
{
	struct daemon *d = w->d;
	const uint8_t *ip = buf + WIRE_HEADER_LEN;
	const struct policy_rule *r;
	struct peer *t;

	r = policy_lookup(policy_active(&d->policy), load_be32(ip + 12), load_be32(ip + 16));
	if (r == NULL) {
		w->ctr.drop_udp_no_route++;
		return;
	}
	if (r->action == POLICY_DROP) {
		w->ctr.drop_udp_drop_rule++;
		return;
	}
	if (r->target == POLICY_TARGET_LOCAL) {
		deliver_local(w, buf, pt_len);
		return;
	}
	if (r->target == src_peer->id) {
		w->ctr.drop_udp_no_reflect++;
		return;
	}
	t = peer_find_by_id(&d->peers, r->target);
	if (t == NULL) {
		w->ctr.drop_udp_unknown_target++;
		return;
	}
	/* Re-sealed in place for the next hop; the slot stays ours until flush. */
	txq_push(w, t, TXQ_RELAY, buf, pt_len);
}

void rx_datagram(struct worker *w, unsigned sock, uint8_t *buf, size_t len, bool trunc,
		 const struct endpoint4 *from, uint64_t now)
{
	struct daemon *d = w->d;
	struct counters *c = &w->ctr;
	uint8_t unmasked[WIRE_HEADER_LEN];
	struct wire_header h;
	struct peer *p;
	size_t pt_len;

	c->udp_rx_packets++;
	c->udp_rx_bytes += len;
	if (trunc || len > WIRE_MAX_DATAGRAM) {
		c->drop_udp_oversized++;
		return;
	}
	if (len < WIRE_MIN_DATAGRAM) {
		c->drop_udp_auth_or_invalid++;
		return;
	}
	if (d->cfg->obfuscate) {
		p = select_obfuscated(w, buf, len, from, unmasked);
		if (p == NULL)
			return;
		wire_obfs_unmask(buf, unmasked);
		if (!wire_header_check(buf, len, &h)) {
			c->drop_udp_auth_or_invalid++;
			return;
		}
	} else {
		/* Identity first (normative step 1), then the header (step 2). */
		p = peer_find_by_id(&d->peers, (uint16_t)(buf[2] | buf[3] << 8));
		if (p == NULL) {
			c->drop_udp_unknown_peer++;
			return;
		}
		if (!wire_header_check(buf, len, &h)) {
			c->drop_udp_auth_or_invalid++;
			return;
		}
	}

	switch (peer_rx_open(&d->peers, p, &h, buf, len, &pt_len)) {
	case WIRE_RX_INVALID:
		c->drop_udp_auth_or_invalid++;
		return;
	case WIRE_RX_KEEPALIVE:
		c->keepalive_rx++;
		learn(w, p, &h, sock, from, now);
		return;
	case WIRE_RX_DATA:
		break;
	}

	if (pt_len < 20 || (buf[WIRE_HEADER_LEN] >> 4) != 4) {
		c->drop_udp_not_ipv4++;
		return;
	}
	if (!cidr_contains(&p->cfg->allowed_src, load_be32(buf + WIRE_HEADER_LEN + 12))) {
		c->drop_udp_spoof++;
		return;
	}
	learn(w, p, &h, sock, from, now);
	route(w, p, buf, pt_len);
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

			endpoint_from_sockaddr(&from, &b->from[i]);
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
