/*
 * The transmit queue: every outgoing datagram (TUN egress, relay,
 * keepalive) is sealed, batched per listen socket and sent here, and its
 * fate is counted by its kind.
 *
 * One worker: a datagram is sealed as it is queued and each socket's batch
 * leaves with one sendmmsg.
 *
 * Several workers share each peer's sequence counter, and the receiver's
 * replay window holds only 64 entries.  Were each worker to seal as it
 * queues and send whenever its flush comes, two workers' datagrams to one
 * peer would drift apart by up to a whole batch and the older ones would be
 * dropped as replays.  So datagrams wait as plaintext until the flush, which
 * takes each peer's in the order first queued: one block of consecutive
 * sequence numbers for all of them, sealed (in parallel with the other
 * workers), then sent once every block reserved before it has left
 * (peer_tx_wait), then released.  Only the sends are serialised per peer,
 * never the crypto.  The pending list holds one sendmmsg batch, so a flush
 * never overflows a socket's batch.
 */
#include "daemon/datapath/datapath.h"

#include <string.h>

#include "core/wire.h"

enum {
	TXQ_KIND_BITS = 2, /* tag = kind | group << TXQ_KIND_BITS */
	TXQ_KIND_MASK = (1 << TXQ_KIND_BITS) - 1,
};
_Static_assert((int)TXQ_KEEPALIVE <= (int)TXQ_KIND_MASK, "every kind fits the tag's low bits");
_Static_assert((UDP_BATCH << TXQ_KIND_BITS) <= 256, "kind and group fit the 8-bit tag");

/*
 * One message's fate: nsegs datagrams of `bytes` bytes in all.  One case
 * per kind, each naming its own counters, so the mapping reads at a glance.
 */
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

static size_t seal(const struct daemon *d, const struct peer *p, uint8_t *buf, size_t pt_len,
		   uint64_t seq)
{
	size_t len = wire_seal(buf, pt_len, p->tx_session_key, (uint16_t)d->cfg->local_id,
			       d->epoch, seq);

	if (d->cfg->obfuscate)
		wire_obfs_apply(buf, len, p->tx_link_key);
	return len;
}

/* Send messages [from, to) of socket s and count each one's fate. */
static void send_range(struct worker *w, unsigned s, size_t from, size_t to)
{
	struct udp_tx_batch *b = &w->txq.batch[s];

	udp_send_range(w->udp_fd[s], b, from, to);
	for (size_t i = from; i < to; i++)
		account(&w->ctr, (enum txq_kind)(b->tag[i] & TXQ_KIND_MASK), b->msgs[i].msg_len != 0,
			b->nsegs[i], b->iov[i].iov_len);
}

void txq_push(struct worker *w, struct peer *p, enum txq_kind kind, uint8_t *buf,
	      size_t pt_len)
{
	struct txq *q = &w->txq;
	struct udp_tx_batch *b;
	struct endpoint4 to;
	uint64_t seq, path;
	size_t len;

	if (w->d->peers.shared) {
		if (q->n_pend == UDP_BATCH)
			txq_flush(w);
		q->pend[q->n_pend++] = (struct txq_pending){
		    .p = p, .buf = buf, .pt_len = (uint16_t)pt_len, .kind = (uint8_t)kind};
		return;
	}
	if (!peer_next_seq(&w->d->peers, p, &seq)) { /* never reuse a nonce */
		account(&w->ctr, kind, false, 1, 0);
		return;
	}
	len = seal(w->d, p, buf, pt_len, seq);
	path = peer_path(p);
	to = peer_path_endpoint(path);
	b = &q->batch[peer_path_sock(path)];
	if (udp_tx_full(b))
		txq_flush(w);
	udp_tx_add(b, buf, len, &to, (uint8_t)kind);
}

/* The group of peer p in this flush, opened on its first datagram. */
static struct txq_group *group_of(struct txq *q, struct peer *p)
{
	for (size_t g = 0; g < q->n_groups; g++)
		if (q->groups[g].p == p)
			return &q->groups[g];
	q->groups[q->n_groups] = (struct txq_group){.p = p};
	return &q->groups[q->n_groups++];
}

void txq_seal(struct worker *w)
{
	struct txq *q = &w->txq;

	if (q->n_pend == 0)
		return;
	for (size_t i = 0; i < q->n_pend; i++)
		group_of(q, q->pend[i].p)->count++;
	for (size_t g = 0; g < q->n_groups; g++) {
		struct txq_group *grp = &q->groups[g];
		uint64_t path = peer_path(grp->p);
		struct endpoint4 to = peer_path_endpoint(path);
		struct udp_tx_batch *b;
		size_t k = 0;

		grp->n = peer_reserve_seqs(grp->p, grp->count, &grp->first);
		grp->sock = peer_path_sock(path);
		b = &q->batch[grp->sock];
		for (size_t i = 0; i < q->n_pend; i++) {
			struct txq_pending *e = &q->pend[i];

			if (e->p != grp->p)
				continue;
			if (k == grp->n) { /* the session ran out: never reuse a nonce */
				account(&w->ctr, (enum txq_kind)e->kind, false, 1, 0);
				continue;
			}
			udp_tx_add(b, e->buf, seal(w->d, e->p, e->buf, e->pt_len, grp->first + k++),
				   &to, (uint8_t)(e->kind | g << TXQ_KIND_BITS));
		}
		grp->msg_end = b->n;
	}
	q->n_pend = 0;
}

static bool group_ready(const struct txq_group *g)
{
	return g->n == 0 || peer_tx_ready(g->p, g->first);
}

/*
 * Send the sealed groups in reservation order: wait for the oldest (only
 * ever the oldest, so waits cannot form a cycle), add every group after it
 * that is ready too, send their messages (a prefix of each socket's batch,
 * where groups are in order), release their blocks, and go on.
 */
static void send_ordered(struct worker *w)
{
	struct txq *q = &w->txq;
	size_t sent[MAX_LISTEN_PORTS] = {0};

	for (size_t head = 0; head < q->n_groups;) {
		size_t last = head, upto[MAX_LISTEN_PORTS];

		if (q->groups[head].n > 0)
			peer_tx_wait(q->groups[head].p, q->groups[head].first);
		while (last + 1 < q->n_groups && group_ready(&q->groups[last + 1]))
			last++;
		memcpy(upto, sent, sizeof(upto));
		for (size_t g = head; g <= last; g++)
			if (q->groups[g].msg_end > upto[q->groups[g].sock])
				upto[q->groups[g].sock] = q->groups[g].msg_end;
		for (unsigned s = 0; s < w->d->n_udp; s++) {
			if (upto[s] > sent[s])
				send_range(w, s, sent[s], upto[s]);
			sent[s] = upto[s];
		}
		for (size_t g = head; g <= last; g++)
			if (q->groups[g].n > 0)
				peer_tx_release(q->groups[g].p,
						q->groups[g].first + q->groups[g].n - 1);
		head = last + 1;
	}
	q->n_groups = 0;
}

void txq_flush(struct worker *w)
{
	if (w->d->peers.shared) {
		txq_seal(w);
		send_ordered(w);
	} else {
		for (unsigned s = 0; s < w->d->n_udp; s++)
			if (w->txq.batch[s].n > 0)
				send_range(w, s, 0, w->txq.batch[s].n);
	}
	for (unsigned s = 0; s < w->d->n_udp; s++)
		w->txq.batch[s].n = 0;
}
