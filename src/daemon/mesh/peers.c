/* The mesh peer table and handshake queues (see peers.h). */
#include "daemon/mesh/peers.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "daemon/mesh/bases.h"
#include "daemon/mesh/data.h"
#include "daemon/mesh/hs.h"

int mesh_peers_init(struct mesh_node *n)
{
	n->peers = calloc(MESH_PEERS_MAX, sizeof(*n->peers));
	n->pool = calloc(1, sizeof(*n->pool));
	if (n->peers == NULL || n->pool == NULL)
		return -ENOMEM;
	n->n_peers = 0;
	for (size_t i = 0; i < MESH_PEER_HASH; i++)
		n->hash[i] = -1;
	crypto_shorthash_keygen(n->hash_key);
	for (size_t i = 0; i < MESH_QUEUE_POOL; i++)
		n->pool->free[i] = (uint16_t)(MESH_QUEUE_POOL - 1 - i);
	n->pool->n_free = MESH_QUEUE_POOL;
	return 0;
}

void mesh_peers_free(struct mesh_node *n)
{
	if (n->peers != NULL) {
		for (size_t i = 0; i < n->n_peers; i++) {
			session_wipe_keys(&n->peers[i].session, NULL);
			hs_initiator_wipe(&n->peers[i].init);
			cookie_sender_wipe(&n->peers[i].cookie);
		}
		sodium_memzero(n->peers, MESH_PEERS_MAX * sizeof(*n->peers));
		free(n->peers);
		n->peers = NULL;
	}
	if (n->pool != NULL) {
		sodium_memzero(n->pool, sizeof(*n->pool));
		free(n->pool);
		n->pool = NULL;
	}
}

static size_t home(const struct mesh_node *n, const uint8_t addr[IDENTITY_ADDR_LEN])
{
	uint8_t h[crypto_shorthash_BYTES];
	uint64_t v = 0;

	crypto_shorthash(h, addr, IDENTITY_ADDR_LEN, n->hash_key);
	for (size_t i = 0; i < sizeof(v); i++)
		v = v << 8 | h[i];
	return (size_t)(v & (MESH_PEER_HASH - 1));
}

struct mesh_peer *mesh_peer_find(struct mesh_node *n, const uint8_t addr[IDENTITY_ADDR_LEN])
{
	size_t at = home(n, addr);

	/* The index is at most half full: an empty slot ends every probe. */
	for (size_t i = 0; i < MESH_PEER_HASH; i++, at = (at + 1) & (MESH_PEER_HASH - 1)) {
		int16_t k = n->hash[at];

		if (k < 0)
			return NULL;
		if (memcmp(n->peers[k].addr, addr, IDENTITY_ADDR_LEN) == 0)
			return &n->peers[k];
	}
	return NULL;
}

struct mesh_peer *mesh_peer_get(struct mesh_node *n, const uint8_t ed_pk[IDENTITY_PK_LEN])
{
	uint8_t addr[IDENTITY_ADDR_LEN], x_pub[IDENTITY_X25519_LEN];
	struct mesh_peer *p;
	size_t at;

	identity_address(ed_pk, addr);
	p = mesh_peer_find(n, addr);
	if (p != NULL)
		return p;
	if (n->n_peers == MESH_PEERS_MAX || identity_x25519_public(ed_pk, x_pub) < 0)
		return NULL;
	p = &n->peers[n->n_peers];
	memset(p, 0, sizeof(*p));
	p->used = true;
	memcpy(p->addr, addr, sizeof(addr));
	memcpy(p->ed_pk, ed_pk, IDENTITY_PK_LEN);
	session_init(&p->session, n->id.addr, addr);
	session_timers_init(&p->session.timers, n->cfg->mesh.rekey_interval);
	cookie_sender_init(&p->cookie, x_pub, n->local.psk);
	for (at = home(n, addr); n->hash[at] >= 0; at = (at + 1) & (MESH_PEER_HASH - 1))
		;
	n->hash[at] = (int16_t)n->n_peers;
	n->n_peers++;
	return p;
}

void mesh_peer_remove(struct mesh_node *n, struct mesh_peer *p)
{
	struct mesh_peer *last = &n->peers[n->n_peers - 1];
	struct session_index *t = &n->index;

	mesh_hs_cancel(n, p);
	session_wipe_keys(&p->session, t);
	mesh_peer_drop_queue(n, p);
	cookie_sender_wipe(&p->cookie);
	if (p != last) {
		/* Sessions and base links point at the moved peer: re-point them. */
		for (size_t i = 0; i < SESSION_INDEX_SLOTS; i++)
			if (t->slot[i].session == &last->session)
				t->slot[i].session = &p->session;
		for (size_t i = 0; n->bases != NULL && i < n->bases->n; i++)
			if (n->bases->link[i].peer == last)
				n->bases->link[i].peer = p;
		memcpy(p, last, sizeof(*p));
	}
	sodium_memzero(last, sizeof(*last));
	n->n_peers--;
	/* Rare (an operator's command): rebuilding beats tombstones. */
	for (size_t i = 0; i < MESH_PEER_HASH; i++)
		n->hash[i] = -1;
	for (size_t k = 0; k < n->n_peers; k++) {
		size_t at = home(n, n->peers[k].addr);

		while (n->hash[at] >= 0)
			at = (at + 1) & (MESH_PEER_HASH - 1);
		n->hash[at] = (int16_t)k;
	}
}

struct mesh_peer *mesh_peer_of_session(struct session *s)
{
	return (struct mesh_peer *)(void *)((char *)s - offsetof(struct mesh_peer, session));
}

bool mesh_queue_push(struct mesh_node *n, struct mesh_peer *p, size_t len)
{
	struct mesh_queue_pool *q = n->pool;
	uint16_t slot;

	if (p->q_n == MESH_QUEUE_MAX || q->n_free == 0)
		return false;
	slot = q->free[--q->n_free];
	memcpy(q->buf[slot] + MESH_PKT_OFF, n->pkt + MESH_PKT_OFF, len);
	q->len[slot] = (uint16_t)len;
	p->queue[(p->q_head + p->q_n) % MESH_QUEUE_MAX] = slot;
	p->q_n++;
	return true;
}

bool mesh_queue_peek(struct mesh_node *n, const struct mesh_peer *p, uint8_t **buf,
		     size_t *len)
{
	uint16_t slot;

	if (p->q_n == 0)
		return false;
	slot = p->queue[p->q_head];
	*buf = n->pool->buf[slot];
	*len = n->pool->len[slot];
	return true;
}

void mesh_queue_pop(struct mesh_node *n, struct mesh_peer *p)
{
	if (p->q_n == 0)
		return;
	n->pool->free[n->pool->n_free++] = p->queue[p->q_head];
	p->q_head = (uint8_t)((p->q_head + 1) % MESH_QUEUE_MAX);
	p->q_n--;
}
