/*
 * TUN egress (TUN -> policy -> seal -> UDP), the transmit queue shared with
 * the relay path, and the spoke NAT keepalive.
 */
#include <string.h>

#include "datapath.h"
#include "wire.h"

void txq_push(struct daemon *d, unsigned sock, enum txq_kind kind, const uint8_t *buf,
	      size_t len, const struct endpoint4 *to)
{
	struct udp_tx_batch *b = &d->txq.batch[sock];

	if (udp_tx_full(b))
		txq_flush(d);
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

void txq_flush(struct daemon *d)
{
	for (size_t s = 0; s < d->n_udp; s++) {
		struct udp_tx_batch *b = &d->txq.batch[s];

		if (b->n == 0)
			continue;
		udp_send_batch(d->udp_fd[s], b);
		for (size_t i = 0; i < b->n; i++)
			account(&d->ctr, (enum txq_kind)b->tag[i], b->msgs[i].msg_len != 0,
				b->nsegs[i], b->iov[i].iov_len);
		b->n = 0;
	}
}

/* Returns the length of the datagram queued from slot, or 0 if dropped. */
static size_t tx_one(struct daemon *d, uint8_t *slot, size_t len)
{
	const uint8_t *ip = slot + WIRE_HEADER_LEN;
	struct counters *c = &d->ctr;
	const struct policy_rule *r;
	struct peer *p;
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
	if (p->tx_seq == UINT64_MAX) { /* never reuse a nonce */
		c->drop_tun_send_err++;
		return 0;
	}
	dlen = wire_seal(slot, len, p->tx_session_key, (uint16_t)d->cfg->local_id, d->epoch,
			 ++p->tx_seq);
	if (d->cfg->obfuscate)
		wire_obfs_apply(slot, dlen, p->tx_link_key);
	txq_push(d, p->sock, TXQ_LOCAL, slot, dlen, &p->endpoint);
	return dlen;
}

void tx_drain_tun(struct daemon *d)
{
	/* Room for the header in front of each packet and the tag behind it. */
	const size_t cap = PKT_BUF_LEN - WIRE_HEADER_LEN - WIRE_TAG_LEN;
	size_t pos = 0;

	for (size_t i = 0; i < TUN_BATCH; i++) {
		ssize_t n = tun_read(d->tun_fd, d->tun_read_buf, sizeof(d->tun_read_buf));
		struct offload_iter it;

		if (n <= 0)
			break;
		if (!offload_begin(&it, d->tun_read_buf, (size_t)n)) {
			/* A super-packet we cannot cut (never IPv4 TCP/UDP). */
			d->ctr.tun_rx_packets++;
			d->ctr.tun_rx_bytes += (size_t)n;
			d->ctr.drop_tun_not_ipv4++;
			continue;
		}
		for (;;) {
			uint8_t *slot;
			size_t len;

			/* Queued datagrams point into the stage: send before reuse. */
			if (pos + PKT_BUF_LEN > sizeof(d->tun_stage)) {
				txq_flush(d);
				pos = 0;
			}
			slot = d->tun_stage + pos;
			len = offload_next(&it, slot + WIRE_HEADER_LEN, cap);
			if (len == 0) {
				if (!it.done) { /* larger than any datagram can carry */
					d->ctr.tun_rx_packets++;
					d->ctr.tun_rx_bytes += it.len;
					d->ctr.drop_tun_oversized++;
				}
				break;
			}
			pos += tx_one(d, slot, len);
		}
	}
	txq_flush(d);
}

void tx_keepalive(struct daemon *d)
{
	size_t used = 0;

	for (size_t i = 0; i < d->peers.n; i++) {
		struct peer *p = &d->peers.peers[i];
		uint8_t *slot;
		size_t len;

		if (p->tx_seq == UINT64_MAX)
			continue;
		if (used == UDP_BATCH) {
			txq_flush(d);
			used = 0;
		}
		slot = d->ka_slots[used++];
		len = wire_seal(slot, 0, p->tx_session_key, (uint16_t)d->cfg->local_id, d->epoch,
				++p->tx_seq);
		if (d->cfg->obfuscate)
			wire_obfs_apply(slot, len, p->tx_link_key);
		txq_push(d, p->sock, TXQ_KEEPALIVE, slot, len, &p->endpoint);
	}
	txq_flush(d);
}
