/* Runtime peer table (see peer.h). */
#include "peer.h"

#include <sodium.h>
#include <string.h>

void peer_table_init(struct peer_table *t, const struct config *cfg, uint64_t epoch)
{
	memset(t, 0, sizeof(*t));
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
	}
	t->n = cfg->n_peers;
}

void peer_table_wipe(struct peer_table *t)
{
	sodium_memzero(t->peers, sizeof(t->peers));
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
	for (size_t i = 0; i < t->n; i++) {
		struct peer *p = &t->peers[i];

		if (p->endpoint.addr == e->addr && p->endpoint.port == e->port)
			return p;
	}
	return NULL;
}
