/*
 * TUN egress (TUN -> policy -> seal -> UDP), the transmit queue shared with
 * the relay path, and the spoke NAT keepalive.
 */
#include <string.h>

#include "datapath.h"
#include "wire.h"

void txq_push(struct worker *w, unsigned sock, enum txq_kind kind, const uint8_t *buf,
	      size_t len, const struct endpoint4 *to)
{
	struct udp_tx_batch *b = &w->txq.batch[sock];

	if (udp_tx_full(b))
		txq_flush(w);
	udp_tx_add(b, buf, len, to, (uint8_t)kind);
}

/* One message's fate: nsegs datagrams of `bytes` bytes in all. */
static void account(struct counters *c, enum txq_kind kind, bool sent, uint64_t nsegs,
		    uint64_t bytes)
{
	switch (kind) {
	case TXQ_LOCAL:
		if (sent) {
			c->udp_tx_packets += nsegs;
			c->udp_tx_bytes += bytes;
		} else {
			c->drop_tun_send_err += nsegs;
		}
		break;
	case TXQ_RELAY:
		if (sent) {
			c->relay_packets += nsegs;
			c->relay_bytes += bytes;
		} else {
			c->drop_udp_send_err += nsegs;
		}
		break;
	case TXQ_KEEPALIVE:
		/* A refused keepalive is a locally originated datagram that failed. */
		if (sent)
			c->keepalive_tx += nsegs;
		else
			c->drop_tun_send_err += nsegs;
		break;
	}
}

void txq_flush(struct worker *w)
{
	for (size_t s = 0; s < w->d->n_udp; s++) {
		struct udp_tx_batch *b = &w->txq.batch[s];

		if (b->n == 0)
			continue;
		udp_send_batch(w->udp_fd[s], b);
		for (size_t i = 0; i < b->n; i++)
			account(&w->ctr, (enum txq_kind)b->tag[i], b->msgs[i].msg_len != 0,
				b->nsegs[i], b->iov[i].iov_len);
		b->n = 0;
	}
}

/* Returns the length of the datagram queued from slot, or 0 if dropped. */
static size_t tx_one(struct worker *w, uint8_t *slot, size_t len)
{
	struct daemon *d = w->d;
	const uint8_t *ip = slot + WIRE_HEADER_LEN;
	struct counters *c = &w->ctr;
	const struct policy_rule *r;
	struct endpoint4 to;
	struct peer *p;
	uint64_t seq, path;
	size_t dlen;

	c->tun_rx_packets++;
	c->tun_rx_bytes += len;
	if (len < 20 || (ip[0] >> 4) != 4) {
		c->drop_tun_not_ipv4++;
		return 0;
	}
	if (len > WIRE_MAX_PLAINTEXT) {
		c->drop_tun_oversized++;
		return 0;
	}
	r = policy_lookup(policy_active(&d->policy), load_be32(ip + 12), load_be32(ip + 16));
	if (r == NULL) {
		c->drop_tun_no_route++;
		return 0;
	}
	if (r->action == POLICY_DROP) {
		c->drop_tun_drop_rule++;
		return 0;
	}
	if (r->target == POLICY_TARGET_LOCAL) {
		/* Our own packet routed back to us: sending it would loop. */
		c->drop_tun_local_loop++;
		return 0;
	}
	p = peer_find_by_id(&d->peers, r->target);
	if (p == NULL) {
		c->drop_tun_unknown_target++;
		return 0;
	}
	if (!peer_next_seq(&d->peers, p, &seq)) { /* never reuse a nonce */
		c->drop_tun_send_err++;
		return 0;
	}
	dlen = wire_seal(slot, len, p->tx_session_key, (uint16_t)d->cfg->local_id, d->epoch,
			 seq);
	if (d->cfg->obfuscate)
		wire_obfs_apply(slot, dlen, p->tx_link_key);
	path = peer_path(p);
	to = peer_path_endpoint(path);
	txq_push(w, peer_path_sock(path), TXQ_LOCAL, slot, dlen, &to);
	return dlen;
}

void tx_drain_tun(struct worker *w)
{
	/* Room for the header in front of each packet and the tag behind it. */
	const size_t cap = PKT_BUF_LEN - WIRE_HEADER_LEN - WIRE_TAG_LEN;
	size_t pos = 0;

	for (size_t i = 0; i < TUN_BATCH; i++) {
		ssize_t n = tun_read(w->tun_fd, w->tun_read_buf, sizeof(w->tun_read_buf));
		struct offload_iter it;

		if (n <= 0)
			break;
		if (!offload_begin(&it, w->tun_read_buf, (size_t)n)) {
			/* A super-packet we cannot cut (never IPv4 TCP/UDP). */
			w->ctr.tun_rx_packets++;
			w->ctr.tun_rx_bytes += (size_t)n;
			w->ctr.drop_tun_not_ipv4++;
			continue;
		}
		for (;;) {
			uint8_t *slot;
			size_t len;

			/* Queued datagrams point into the stage: send before reuse. */
			if (pos + PKT_BUF_LEN > sizeof(w->tun_stage)) {
				txq_flush(w);
				pos = 0;
			}
			slot = w->tun_stage + pos;
			len = offload_next(&it, slot + WIRE_HEADER_LEN, cap);
			if (len == 0) {
				if (!it.done) { /* larger than any datagram can carry */
					w->ctr.tun_rx_packets++;
					w->ctr.tun_rx_bytes += it.len;
					w->ctr.drop_tun_oversized++;
				}
				break;
			}
			pos += tx_one(w, slot, len);
		}
	}
	txq_flush(w);
}

void tx_keepalive(struct worker *w)
{
	struct daemon *d = w->d;
	size_t used = 0;

	for (size_t i = 0; i < d->peers.n; i++) {
		struct peer *p = &d->peers.peers[i];
		struct endpoint4 to;
		uint64_t seq, path;
		uint8_t *slot;
		size_t len;

		if (used == UDP_BATCH) {
			txq_flush(w);
			used = 0;
		}
		if (!peer_next_seq(&d->peers, p, &seq))
			continue;
		slot = w->ka_slots[used++];
		len = wire_seal(slot, 0, p->tx_session_key, (uint16_t)d->cfg->local_id, d->epoch,
				seq);
		if (d->cfg->obfuscate)
			wire_obfs_apply(slot, len, p->tx_link_key);
		path = peer_path(p);
		to = peer_path_endpoint(path);
		txq_push(w, peer_path_sock(path), TXQ_KEEPALIVE, slot, len, &to);
	}
	txq_flush(w);
}
