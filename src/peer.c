/* Runtime peer table (see peer.h). */
#include "peer.h"

#include <sodium.h>
#include <string.h>

static size_t ep_hash(const struct peer_table *t, const struct endpoint4 *e)
{
	uint8_t in[6] = {(uint8_t)(e->addr >> 24), (uint8_t)(e->addr >> 16),
			 (uint8_t)(e->addr >> 8),  (uint8_t)e->addr,
			 (uint8_t)(e->port >> 8),  (uint8_t)e->port};
	uint8_t out[crypto_shorthash_BYTES];
	uint64_t h;

	crypto_shorthash(out, in, sizeof(in), t->ep_key);
	memcpy(&h, out, sizeof(h));
	return (size_t)(h % PEER_EP_SLOTS);
}

static bool same_endpoint(const struct endpoint4 *a, const struct endpoint4 *b)
{
	return a->addr == b->addr && a->port == b->port;
}

/*
 * One entry per peer, even when two peers are at the same endpoint (a lookup
 * then finds either; the obfuscation fast path falls back to a scan if it
 * picked the wrong one).  At most MAX_PEERS entries in 2 * MAX_PEERS + 1
 * slots, so a free slot always exists.
 */
static void ep_insert(struct peer_table *t, struct peer *p)
{
	size_t i = ep_hash(t, &p->endpoint);

	while (t->ep_slots[i] != 0)
		i = (i + 1) % PEER_EP_SLOTS;
	t->ep_slots[i] = (uint32_t)(p - t->peers) + 1;
}

/* Remove p's entry. */
static void ep_remove(struct peer_table *t, const struct peer *p)
{
	size_t i = ep_hash(t, &p->endpoint), j;

	while (t->ep_slots[i] != 0 && &t->peers[t->ep_slots[i] - 1] != p)
		i = (i + 1) % PEER_EP_SLOTS;
	if (t->ep_slots[i] == 0)
		return;
	/* Backward-shift deletion keeps every probe chain unbroken. */
	for (j = (i + 1) % PEER_EP_SLOTS; t->ep_slots[j] != 0; j = (j + 1) % PEER_EP_SLOTS) {
		size_t home = ep_hash(t, &t->peers[t->ep_slots[j] - 1].endpoint);

		/* Move j into the hole at i unless its home lies cyclically in (i, j]. */
		if (i <= j ? (home <= i || home > j) : (home <= i && home > j)) {
			t->ep_slots[i] = t->ep_slots[j];
			i = j;
		}
	}
	t->ep_slots[i] = 0;
}

void peer_set_endpoint(struct peer_table *t, struct peer *p, const struct endpoint4 *e)
{
	ep_remove(t, p);
	p->endpoint = *e;
	ep_insert(t, p);
}

void peer_table_init(struct peer_table *t, const struct config *cfg, uint64_t epoch)
{
	memset(t, 0, sizeof(*t));
	randombytes_buf(t->ep_key, sizeof(t->ep_key));
	for (size_t i = 0; i < cfg->n_peers; i++) {
		const struct peer_config *pc = &cfg->peers[i];
		struct peer *p = &t->peers[i];

		p->cfg = pc;
		p->id = (uint16_t)pc->id;
		wire_link_key(p->tx_link_key, pc->psk, cfg->local_id, pc->id);
		wire_link_key(p->rx_link_key, pc->psk, pc->id, cfg->local_id);
		wire_session_key(p->tx_session_key, p->tx_link_key, epoch);
		p->endpoint = pc->endpoint;
		t->slot_by_id[p->id] = (uint16_t)(i + 1);
		ep_insert(t, p);
	}
	t->n = cfg->n_peers;
}

void peer_table_wipe(struct peer_table *t)
{
	sodium_memzero(t->peers, sizeof(t->peers));
	sodium_memzero(t->ep_key, sizeof(t->ep_key));
	t->n = 0;
}

struct peer *peer_find_by_id(struct peer_table *t, uint32_t id)
{
	if (id > UINT16_MAX || t->slot_by_id[id] == 0)
		return NULL;
	return &t->peers[t->slot_by_id[id] - 1];
}

struct peer *peer_find_by_endpoint(struct peer_table *t, const struct endpoint4 *e)
{
	for (size_t i = ep_hash(t, e); t->ep_slots[i] != 0; i = (i + 1) % PEER_EP_SLOTS) {
		struct peer *p = &t->peers[t->ep_slots[i] - 1];

		if (same_endpoint(&p->endpoint, e))
			return p;
	}
	return NULL;
}
