/*
 * TUN egress (TUN -> policy -> transmit queue) and the spoke NAT keepalive.
 */
#include "daemon/datapath/datapath.h"

#include <string.h>

#include "core/wire.h"

/* Returns the room the datagram queued from slot takes, or 0 if dropped. */
static size_t tx_one(struct worker *w, uint8_t *slot, size_t len)
{
	struct daemon *d = w->d;
	const uint8_t *ip = slot + WIRE_HEADER_LEN;
	struct counters *c = &w->ctr;
	const struct policy_rule *r;
	struct peer *p;

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
	txq_push(w, p, TXQ_LOCAL, slot, len);
	return WIRE_HEADER_LEN + len + WIRE_TAG_LEN;
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
		/* Keepalive slots are reused after a flush. */
		if (used == UDP_BATCH) {
			txq_flush(w);
			used = 0;
		}
		txq_push(w, &d->peers.peers[i], TXQ_KEEPALIVE, w->ka_slots[used++], 0);
	}
	txq_flush(w);
}
