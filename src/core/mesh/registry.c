/*
 * The base server's registry (see registry.h).
 *
 * What must hold between calls (registry_check tests all of it):
 *  - a used node is in by_addr under its address and in by_relay under
 *    its relay id, once each; a free one is in neither; below node_fresh
 *    it is on the free stack, at and above it it was never used;
 *    n_nodes + n_free == node_fresh;
 *  - a used subscription is on its subscriber's list and its target's
 *    list and in by_pair; both ends are used nodes (a node's removal
 *    removes every subscription that names it); a free one below
 *    sub_fresh is on the free list; a node's n_subs is the length of its
 *    subscriber list;
 *  - a node's ALLOW list of n_allow addresses lies in ceil(n_allow / 8)
 *    chunks, sorted across them; every chunk below chunk_fresh is on
 *    exactly one list or on the free chunk list; n_chunks counts those on
 *    lists;
 *  - every index is at most half full, so a probe sequence ends at an
 *    empty slot within a few steps on average.
 *
 * Expiry is checked where it matters (a node or subscription past its time
 * is treated as gone by every operation) and cleaned up by the sweep, so
 * a sweep that has not come round yet never changes an answer.
 */
#include "core/mesh/registry.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/bytes/byteorder.h"
#include "core/mesh/ratelimit.h"

_Static_assert(sizeof(((struct registry *)0)->hash_key) == crypto_shorthash_KEYBYTES,
	       "SipHash key");
_Static_assert(sizeof(struct registry_node) <= REGISTRY_NODE_BYTES,
	       "REGISTRY_NODE_BYTES, documented in registry.h and mesh-protocol.md");
_Static_assert(sizeof(struct registry_sub) <= REGISTRY_SUB_BYTES, "REGISTRY_SUB_BYTES");
_Static_assert(REGISTRY_NODES_MAX < UINT32_MAX / 4 && REGISTRY_SUBS_MAX < UINT32_MAX / 4,
	       "numbers (+ 1 in an index entry) and index sizes fit 32 bits");

static const char *const verdict_names[] = {
#define REGISTRY_NAME(up, low) #low,
    REGISTRY_VERDICTS(REGISTRY_NAME)
#undef REGISTRY_NAME
};

const char *registry_verdict_name(enum registry_verdict v)
{
	return (unsigned)v < REGISTRY_VERDICT_END ? verdict_names[v] : "?";
}

static enum registry_verdict count(struct registry *reg, enum registry_verdict v)
{
	reg->count[v]++;
	return v;
}

/* ---- indexes ------------------------------------------------------------ */

static uint32_t keyed_hash(const struct registry *reg, const uint8_t *key, size_t len)
{
	uint8_t h[crypto_shorthash_BYTES];

	crypto_shorthash(h, key, len, reg->hash_key);
	return load_be32(h);
}

static uint32_t addr_hash(const struct registry *reg,
			  const uint8_t addr[BASECTL_ADDR_LEN])
{
	return keyed_hash(reg, addr, BASECTL_ADDR_LEN);
}

/* Relay ids are the base's own random bytes: they index as they are. */
static uint32_t relay_hash(const uint8_t id[BASECTL_RELAY_ID_LEN])
{
	return load_be32(id);
}

static uint32_t pair_hash(const struct registry *reg, uint32_t subscriber,
			  uint32_t target)
{
	uint8_t k[8];

	store_be32(k, subscriber);
	store_be32(k + 4, target);
	return keyed_hash(reg, k, sizeof k);
}

static bool match_addr(const struct registry *reg, uint32_t ref, const void *key)
{
	return memcmp(reg->node[ref].addr, key, BASECTL_ADDR_LEN) == 0;
}

static bool match_relay(const struct registry *reg, uint32_t ref, const void *key)
{
	return memcmp(reg->node[ref].relay_id, key, BASECTL_RELAY_ID_LEN) == 0;
}

static bool match_pair(const struct registry *reg, uint32_t ref, const void *key)
{
	const uint32_t *k = key;

	return reg->sub[ref].subscriber == k[0] && reg->sub[ref].target == k[1];
}

typedef bool (*match_fn)(const struct registry *reg, uint32_t ref, const void *key);

/* The slot number holding the entry that matches key, or REGISTRY_NONE. */
static uint32_t index_find(struct registry *reg, const struct registry_index *ix,
			   uint32_t hash, match_fn match, const void *key)
{
	for (uint32_t i = hash & ix->mask;; i = (i + 1) & ix->mask) {
		const struct registry_slot *s = &ix->slot[i];

		reg->probes++;
		if (s->ref == 0)
			return REGISTRY_NONE;
		if (s->hash == hash && match(reg, s->ref - 1, key))
			return i;
	}
}

/* The caller made sure the entry is not there; the index has room. */
static void index_insert(struct registry_index *ix, uint32_t hash, uint32_t ref)
{
	uint32_t i = hash & ix->mask;

	while (ix->slot[i].ref != 0)
		i = (i + 1) & ix->mask;
	ix->slot[i].ref = ref + 1;
	ix->slot[i].hash = hash;
}

/*
 * Backward-shift deletion: each later entry of the run moves into the hole
 * when the hole lies between its home and where it sits, so every entry
 * stays reachable from its home and no tombstone is left.
 */
static void index_remove_at(struct registry_index *ix, uint32_t hole)
{
	for (uint32_t j = (hole + 1) & ix->mask; ix->slot[j].ref != 0;
	     j = (j + 1) & ix->mask) {
		uint32_t home = ix->slot[j].hash & ix->mask;

		if (((j - home) & ix->mask) >= ((j - hole) & ix->mask)) {
			ix->slot[hole] = ix->slot[j];
			hole = j;
		}
	}
	ix->slot[hole].ref = 0;
	ix->slot[hole].hash = 0;
}

static uint32_t node_find(struct registry *reg, const uint8_t addr[BASECTL_ADDR_LEN])
{
	uint32_t i =
	    index_find(reg, &reg->by_addr, addr_hash(reg, addr), match_addr, addr);

	return i == REGISTRY_NONE ? REGISTRY_NONE : reg->by_addr.slot[i].ref - 1;
}

static uint32_t node_find_relay(struct registry *reg,
				const uint8_t id[BASECTL_RELAY_ID_LEN])
{
	uint32_t i = index_find(reg, &reg->by_relay, relay_hash(id), match_relay, id);

	return i == REGISTRY_NONE ? REGISTRY_NONE : reg->by_relay.slot[i].ref - 1;
}

static uint32_t sub_find(struct registry *reg, uint32_t subscriber, uint32_t target)
{
	const uint32_t key[2] = {subscriber, target};
	uint32_t i = index_find(reg, &reg->by_pair, pair_hash(reg, subscriber, target),
				match_pair, key);

	return i == REGISTRY_NONE ? REGISTRY_NONE : reg->by_pair.slot[i].ref - 1;
}

/* ---- set-up --------------------------------------------------------------- */

static uint32_t index_slots(uint32_t entries)
{
	uint32_t n = 2;

	while (n < 2 * entries)
		n *= 2;
	return n;
}

struct layout {
	uint32_t nodes, subs;
	size_t off_sub, off_chunk, off_free, off_addr, off_relay, off_pair, total;
};

static size_t round8(size_t n)
{
	return (n + 7) & ~(size_t)7;
}

static bool layout_of(const struct registry_config *cfg, struct layout *l)
{
	if (cfg->nodes == 0 || cfg->nodes > REGISTRY_NODES_MAX)
		return false;
	l->nodes = cfg->nodes;
	l->subs = cfg->subs ? cfg->subs : REGISTRY_DEFAULT_SUBS_PER_NODE * cfg->nodes;
	if (l->subs > REGISTRY_SUBS_MAX)
		return false;
	l->off_sub = round8((size_t)l->nodes * sizeof(struct registry_node));
	l->off_chunk = l->off_sub + round8((size_t)l->subs * sizeof(struct registry_sub));
	l->off_free = l->off_chunk + round8((size_t)l->nodes * REGISTRY_ALLOW_CHUNKS_PER_NODE *
					    sizeof(struct registry_allow_chunk));
	l->off_addr = l->off_free + round8((size_t)l->nodes * sizeof(uint32_t));
	l->off_relay =
	    l->off_addr + (size_t)index_slots(l->nodes) * sizeof(struct registry_slot);
	l->off_pair =
	    l->off_relay + (size_t)index_slots(l->nodes) * sizeof(struct registry_slot);
	l->total =
	    l->off_pair + (size_t)index_slots(l->subs) * sizeof(struct registry_slot);
	return true;
}

size_t registry_mem_size(const struct registry_config *cfg)
{
	struct layout l;

	return layout_of(cfg, &l) ? l.total : 0;
}

int registry_init(struct registry *reg, const struct registry_config *cfg, void *mem,
		  size_t len)
{
	struct layout l;
	uint8_t *base = mem;

	if (!layout_of(cfg, &l) || len < l.total || ((uintptr_t)mem & 7) != 0)
		return -EINVAL;
	memset(reg, 0, sizeof(*reg));
	reg->cap = l.nodes;
	reg->sub_cap = l.subs;
	reg->refresh_s = cfg->refresh_s ? cfg->refresh_s : REGISTRY_REFRESH_S;
	reg->push = cfg->push;
	reg->push_ctx = cfg->push_ctx;
	reg->node = (struct registry_node *)(void *)base;
	reg->sub = (struct registry_sub *)(void *)(base + l.off_sub);
	reg->chunk = (struct registry_allow_chunk *)(void *)(base + l.off_chunk);
	reg->free_nodes = (uint32_t *)(void *)(base + l.off_free);
	reg->by_addr.slot = (struct registry_slot *)(void *)(base + l.off_addr);
	reg->by_addr.mask = index_slots(l.nodes) - 1;
	reg->by_relay.slot = (struct registry_slot *)(void *)(base + l.off_relay);
	reg->by_relay.mask = index_slots(l.nodes) - 1;
	reg->by_pair.slot = (struct registry_slot *)(void *)(base + l.off_pair);
	reg->by_pair.mask = index_slots(l.subs) - 1;
	/* Every slot, chunk and index entry is zero (the caller's promise)
	 * and stays untouched until used: node slots, subscription slots and
	 * chunks are handed out in order (node_fresh, sub_fresh, chunk_fresh),
	 * only freed ones go on the free stack and lists. */
	reg->free_sub = REGISTRY_NONE;
	randombytes_buf(reg->hash_key, sizeof reg->hash_key);
	return 0;
}

/* ---- helpers ----------------------------------------------------------- */

static bool transport_valid(const struct registry_transport *t)
{
	struct ep18 ep;

	if ((t->kind != REGISTRY_UDP && t->kind != REGISTRY_TCP) || t->zero != 0 ||
	    (t->kind == REGISTRY_UDP && t->tcp_conn != 0))
		return false;
	memcpy(ep.addr, t->addr, EP18_ADDR_LEN);
	ep.port = t->port;
	return ep18_observed(&ep);
}

static bool transport_equal(const struct registry_transport *a,
			    const struct registry_transport *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}

static struct ep18 transport_ep(const struct registry_transport *t)
{
	struct ep18 ep;

	memcpy(ep.addr, t->addr, EP18_ADDR_LEN);
	ep.port = t->port;
	return ep;
}

static bool expired(const struct registry_node *n, uint64_t now)
{
	return now >= n->refreshed && now - n->refreshed >= REGISTRY_EXPIRY_NS;
}

/* A used node that has not expired. */
static bool live(const struct registry *reg, uint32_t i, uint64_t now)
{
	return i != REGISTRY_NONE && reg->node[i].used && !expired(&reg->node[i], now);
}

static bool sub_live(const struct registry_sub *s, uint64_t now)
{
	return s->subscriber != REGISTRY_NONE && now < s->expires;
}

static int addr_cmp(const void *a, const void *b)
{
	return memcmp(a, b, BASECTL_ADDR_LEN);
}

static struct registry_allow_chunk *chunk_at(const struct registry *reg, uint32_t ref)
{
	return &reg->chunk[ref - 1];
}

/* Entries of the chunk at position `pos` of a list of n. */
static size_t chunk_len(size_t n, size_t pos)
{
	size_t left = n - pos * REGISTRY_ALLOW_CHUNK;

	return left < REGISTRY_ALLOW_CHUNK ? left : REGISTRY_ALLOW_CHUNK;
}

static bool allows(const struct registry *reg, const struct registry_node *n,
		   const uint8_t addr[BASECTL_ADDR_LEN])
{
	size_t pos = 0;

	if (!n->restricted)
		return true;
	/* Sorted across the chunks: the first chunk whose last entry is not
	 * below addr is the only one that can hold it. */
	for (uint32_t c = n->allow; c != 0; c = chunk_at(reg, c)->next, pos++) {
		const struct registry_allow_chunk *k = chunk_at(reg, c);
		size_t len = chunk_len(n->n_allow, pos);

		if (addr_cmp(addr, k->addr[len - 1]) > 0)
			continue;
		return bsearch(addr, k->addr, len, BASECTL_ADDR_LEN, addr_cmp) != NULL;
	}
	return false;
}

size_t registry_allow_list(const struct registry *reg, const struct registry_node *n,
			   uint8_t out[BASECTL_ALLOW_MAX][BASECTL_ADDR_LEN])
{
	size_t pos = 0;

	for (uint32_t c = n->allow; c != 0; c = chunk_at(reg, c)->next, pos++)
		memcpy(out[pos * REGISTRY_ALLOW_CHUNK], chunk_at(reg, c)->addr,
		       chunk_len(n->n_allow, pos) * BASECTL_ADDR_LEN);
	return n->n_allow;
}

/* Give n's chunks back (pushed on the free list, each already touched). */
static void allow_free(struct registry *reg, struct registry_node *n)
{
	while (n->allow != 0) {
		uint32_t c = n->allow;
		struct registry_allow_chunk *k = chunk_at(reg, c);

		n->allow = k->next;
		memset(k, 0, sizeof(*k));
		k->next = reg->free_chunk;
		reg->free_chunk = c;
		reg->n_chunks--;
	}
	n->n_allow = 0;
}

/*
 * A chunk + 1: from the free list, else the next never used.  The pool
 * holds REGISTRY_ALLOW_CHUNKS_PER_NODE per node slot and a list never
 * needs more, so with the caller's list freed first there is always one.
 */
static uint32_t chunk_take(struct registry *reg)
{
	uint32_t c = reg->free_chunk;

	if (c != 0) {
		reg->free_chunk = chunk_at(reg, c)->next;
		chunk_at(reg, c)->next = 0;
	} else {
		c = ++reg->chunk_fresh;
	}
	reg->n_chunks++;
	return c;
}

/* What a peer learns from an ER: everything but seq and the signature. */
static bool er_same_content(const struct er *a, const struct er *b)
{
	if (a->listen_port != b->listen_port || a->nat_flags != b->nat_flags ||
	    a->n != b->n || a->name_len != b->name_len ||
	    memcmp(a->name, b->name, a->name_len) != 0)
		return false;
	for (unsigned i = 0; i < a->n; i++)
		if (!ep18_equal(&a->ep[i], &b->ep[i]))
			return false;
	return true;
}

static bool er_identical(const struct er *a, const struct er *b)
{
	return a->seq == b->seq && er_same_content(a, b) &&
	       memcmp(a->sig, b->sig, IDENTITY_SIG_LEN) == 0;
}

static uint16_t age_s(const struct registry_node *n, uint64_t now)
{
	uint64_t s = now > n->refreshed ? (now - n->refreshed) / REGISTRY_NS_PER_S : 0;

	return s > UINT16_MAX ? UINT16_MAX : (uint16_t)s;
}

static void peer_info(const struct registry_node *n, uint64_t now, uint8_t reason,
		      struct registry_msg *m)
{
	memset(m, 0, sizeof(*m));
	m->type = BASECTL_PEER_INFO;
	m->arg = reason;
	memcpy(m->addr, n->addr, BASECTL_ADDR_LEN);
	memcpy(m->relay_id, n->relay_id, BASECTL_RELAY_ID_LEN);
	m->age_s = age_s(n, now);
	/* A TCP source port is no UDP mapping a peer could punch. */
	if (n->tr.kind == REGISTRY_UDP) {
		m->observed = transport_ep(&n->tr);
		m->n_obs = 1;
	}
	m->er = &n->er;
}

static void peer_empty(const uint8_t addr[BASECTL_ADDR_LEN], uint8_t reason,
		       struct registry_msg *m)
{
	memset(m, 0, sizeof(*m));
	m->type = BASECTL_PEER_INFO;
	m->arg = reason;
	memcpy(m->addr, addr, BASECTL_ADDR_LEN);
}

void registry_msg_basectl(const struct registry_msg *in, struct basectl *m)
{
	memset(m, 0, sizeof(*m));
	m->type = in->type;
	m->arg = in->arg;
	memcpy(m->addr, in->addr, BASECTL_ADDR_LEN);
	memcpy(m->relay_id, in->relay_id, BASECTL_RELAY_ID_LEN);
	memcpy(m->txid, in->txid, BASECTL_TXID_LEN);
	m->observed = in->observed;
	m->refresh_s = in->refresh_s;
	m->age_s = in->age_s;
	m->n_obs = in->n_obs;
	if (in->n_obs)
		m->obs[0] = in->observed;
	if (in->type == BASECTL_PEER_INFO && in->er) {
		m->has_er = true;
		m->er = *in->er;
	}
	if (in->type != BASECTL_REGISTER_OK && in->type != BASECTL_PONG)
		memset(&m->observed, 0, sizeof m->observed);
}

static void push(struct registry *reg, const struct registry_node *to,
		 const struct registry_msg *m)
{
	if (reg->push)
		reg->push(reg->push_ctx, &to->tr, m);
}

/* ---- subscriptions ------------------------------------------------------ */

static uint32_t list_owner(const struct registry_sub *s, int l)
{
	return l == REGISTRY_MINE ? s->subscriber : s->target;
}

static void sub_unlink(struct registry *reg, uint32_t k)
{
	struct registry_sub *s = &reg->sub[k];
	uint32_t pos =
	    index_find(reg, &reg->by_pair, pair_hash(reg, s->subscriber, s->target),
		       match_pair, (const uint32_t[2]){s->subscriber, s->target});

	index_remove_at(&reg->by_pair, pos);
	for (int l = 0; l < 2; l++) {
		if (s->prev[l] != REGISTRY_NONE)
			reg->sub[s->prev[l]].next[l] = s->next[l];
		else
			reg->node[list_owner(s, l)].head[l] = s->next[l];
		if (s->next[l] != REGISTRY_NONE)
			reg->sub[s->next[l]].prev[l] = s->prev[l];
	}
	reg->node[s->subscriber].n_subs--;
	memset(s, 0, sizeof(*s));
	s->subscriber = s->target = REGISTRY_NONE;
	s->next[REGISTRY_MINE] = reg->free_sub;
	reg->free_sub = k;
	reg->n_subs--;
}

/*
 * Subscribe a to b (or renew it).  Returns the subscription, or
 * REGISTRY_NONE when a holds the maximum or the pool is full (counted).
 */
static uint32_t subscribe(struct registry *reg, uint32_t a, uint32_t b, uint64_t now)
{
	uint32_t k = sub_find(reg, a, b);
	struct registry_sub *s;

	if (k != REGISTRY_NONE) {
		reg->sub[k].expires = now + REGISTRY_SUB_TTL_NS;
		return k;
	}
	if (reg->node[a].n_subs >= REGISTRY_SUBS_PER_NODE) {
		count(reg, REGISTRY_SUB_LIMIT);
		return REGISTRY_NONE;
	}
	if (reg->free_sub != REGISTRY_NONE) {
		k = reg->free_sub;
		reg->free_sub = reg->sub[k].next[REGISTRY_MINE];
	} else if (reg->sub_fresh < reg->sub_cap) {
		k = reg->sub_fresh++;
	} else {
		count(reg, REGISTRY_SUB_FULL);
		return REGISTRY_NONE;
	}
	s = &reg->sub[k];
	s->subscriber = a;
	s->target = b;
	s->expires = now + REGISTRY_SUB_TTL_NS;
	s->last_notify = 0;
	s->notified = false;
	for (int l = 0; l < 2; l++) {
		struct registry_node *owner = &reg->node[list_owner(s, l)];

		s->prev[l] = REGISTRY_NONE;
		s->next[l] = owner->head[l];
		if (s->next[l] != REGISTRY_NONE)
			reg->sub[s->next[l]].prev[l] = k;
		owner->head[l] = k;
	}
	reg->node[a].n_subs++;
	index_insert(&reg->by_pair, pair_hash(reg, a, b), k);
	reg->n_subs++;
	return k;
}

/* PEER_INFO CHANGED about node b to each live subscriber b still allows. */
static void push_changed(struct registry *reg, uint32_t b, uint64_t now)
{
	struct registry_node *n = &reg->node[b];
	struct registry_msg m;

	n->push_pending = false;
	n->push_after = now + REGISTRY_PUSH_GAP_NS;
	peer_info(n, now, BASECTL_PEER_CHANGED, &m);
	for (uint32_t k = n->head[REGISTRY_TO_ME]; k != REGISTRY_NONE;
	     k = reg->sub[k].next[REGISTRY_TO_ME]) {
		const struct registry_sub *s = &reg->sub[k];
		const struct registry_node *a = &reg->node[s->subscriber];

		if (!sub_live(s, now) || !live(reg, s->subscriber, now) ||
		    !allows(reg, n, a->addr))
			continue;
		push(reg, a, &m);
		count(reg, REGISTRY_PUSHED);
	}
}

/* Node b changed: push now, or once the push gap is over. */
static void changed(struct registry *reg, uint32_t b, uint64_t now)
{
	struct registry_node *n = &reg->node[b];

	if (n->head[REGISTRY_TO_ME] == REGISTRY_NONE)
		return;
	if (now < n->push_after) {
		if (!n->push_pending)
			count(reg, REGISTRY_PUSH_DEFERRED);
		n->push_pending = true;
		return;
	}
	push_changed(reg, b, now);
}

/* ---- nodes ---------------------------------------------------------------- */

static void node_remove(struct registry *reg, uint32_t i)
{
	struct registry_node *n = &reg->node[i];
	uint32_t pos;

	for (int l = 0; l < 2; l++)
		while (n->head[l] != REGISTRY_NONE)
			sub_unlink(reg, n->head[l]);
	pos =
	    index_find(reg, &reg->by_addr, addr_hash(reg, n->addr), match_addr, n->addr);
	index_remove_at(&reg->by_addr, pos);
	pos = index_find(reg, &reg->by_relay, relay_hash(n->relay_id), match_relay,
			 n->relay_id);
	index_remove_at(&reg->by_relay, pos);
	allow_free(reg, n);
	memset(n, 0, sizeof(*n));
	reg->free_nodes[reg->n_free++] = i;
	reg->n_nodes--;
}

/*
 * Sweep up to budget node slots and budget subscription slots.  With
 * `stop_at_free`, stop as soon as one node slot is freed (a full table
 * looking for room).
 */
static size_t sweep(struct registry *reg, uint64_t now, size_t budget, bool stop_at_free)
{
	size_t removed = 0;

	for (size_t done = 0; done < budget && reg->cap; done++) {
		uint32_t i = reg->node_cursor;
		struct registry_node *n = &reg->node[i];

		reg->node_cursor = i + 1 < reg->cap ? i + 1 : 0;
		if (!n->used)
			continue;
		if (expired(n, now)) {
			node_remove(reg, i);
			count(reg, REGISTRY_EXPIRED_NODE);
			removed++;
			if (stop_at_free)
				return removed;
		} else if (n->push_pending && now >= n->push_after) {
			push_changed(reg, i, now);
		}
	}
	if (stop_at_free)
		return removed;
	/* Only slots ever used: those above sub_fresh are zero, untouched. */
	for (size_t done = 0; done < budget && reg->sub_fresh; done++) {
		uint32_t k = reg->sub_cursor < reg->sub_fresh ? reg->sub_cursor : 0;

		reg->sub_cursor = k + 1 < reg->sub_fresh ? k + 1 : 0;
		if (reg->sub[k].subscriber != REGISTRY_NONE &&
		    !sub_live(&reg->sub[k], now)) {
			sub_unlink(reg, k);
			count(reg, REGISTRY_EXPIRED_SUB);
			removed++;
		}
	}
	return removed;
}

size_t registry_expire(struct registry *reg, uint64_t now, size_t budget)
{
	return sweep(reg, now, budget, false);
}

static void relay_id_draw(struct registry *reg, uint8_t id[BASECTL_RELAY_ID_LEN])
{
	static const uint8_t zero[BASECTL_RELAY_ID_LEN];

	/* Unique among the live ids and never all zero (PEER_INFO's "none"):
	 * a repeat of 64 random bits is a once-in-the-universe event. */
	do
		randombytes_buf(id, BASECTL_RELAY_ID_LEN);
	while (memcmp(id, zero, sizeof zero) == 0 ||
	       node_find_relay(reg, id) != REGISTRY_NONE);
}

static uint32_t node_add(struct registry *reg, uint64_t now,
			 const uint8_t addr[BASECTL_ADDR_LEN],
			 const struct registry_transport *from, const struct er *er)
{
	struct registry_node *n;
	uint32_t i;

	if (reg->n_free == 0 && reg->node_fresh == reg->cap)
		sweep(reg, now, REGISTRY_FULL_SWEEP, true);
	if (reg->n_free > 0)
		i = reg->free_nodes[--reg->n_free];
	else if (reg->node_fresh < reg->cap)
		i = reg->node_fresh++;
	else
		return REGISTRY_NONE;
	n = &reg->node[i];
	n->used = true;
	n->refreshed = now;
	memcpy(n->addr, addr, BASECTL_ADDR_LEN);
	n->tr = *from;
	n->er = *er;
	n->head[REGISTRY_MINE] = n->head[REGISTRY_TO_ME] = REGISTRY_NONE;
	n->lookup_tokens =
	    (uint64_t)REGISTRY_LOOKUP_BURST * (REGISTRY_NS_PER_S / REGISTRY_LOOKUP_RATE);
	n->lookup_last = now;
	relay_id_draw(reg, n->relay_id);
	index_insert(&reg->by_addr, addr_hash(reg, addr), i);
	index_insert(&reg->by_relay, relay_hash(n->relay_id), i);
	reg->n_nodes++;
	return i;
}

/*
 * An authenticated message from live node i on `from`: refresh it, and
 * when it moved, take the new transport and tell its subscribers.
 */
static void touch(struct registry *reg, uint32_t i, uint64_t now,
		  const struct registry_transport *from, bool er_changed)
{
	struct registry_node *n = &reg->node[i];
	bool moved = !transport_equal(&n->tr, from);

	if (now > n->refreshed)
		n->refreshed = now;
	n->tr = *from;
	if (moved || er_changed)
		changed(reg, i, now);
}

/*
 * The requester of a LOOKUP, PING, UNSUBSCRIBE or ALLOW: live, and the
 * transport one a node can be on.  Touched when it is.
 */
static uint32_t requester_find(struct registry *reg, uint64_t now,
			       const uint8_t addr[BASECTL_ADDR_LEN],
			       const struct registry_transport *from,
			       enum registry_verdict *why)
{
	uint32_t i;

	if (!transport_valid(from)) {
		*why = REGISTRY_BAD_TRANSPORT;
		return REGISTRY_NONE;
	}
	i = node_find(reg, addr);
	if (!live(reg, i, now)) {
		*why = REGISTRY_UNREGISTERED;
		return REGISTRY_NONE;
	}
	return i;
}

/* ---- operations ------------------------------------------------------------ */

enum registry_verdict registry_register(struct registry *reg, uint64_t now,
					const uint8_t ed_pk[IDENTITY_PK_LEN],
					const uint8_t addr[BASECTL_ADDR_LEN],
					const struct registry_transport *from,
					const struct er *er, struct registry_msg *reply)
{
	enum registry_verdict v;
	uint32_t i;

	memset(reply, 0, sizeof(*reply));
	if (memcmp(er->ed_pk, ed_pk, IDENTITY_PK_LEN) != 0)
		return count(reg, REGISTRY_WRONG_KEY);
	if (!transport_valid(from))
		return count(reg, REGISTRY_BAD_TRANSPORT);
	reply->type = BASECTL_REGISTER_OK;
	reply->observed = transport_ep(from);
	reply->refresh_s = reg->refresh_s;
	i = node_find(reg, addr);
	if (i != REGISTRY_NONE &&
	    memcmp(reg->node[i].er.ed_pk, ed_pk, IDENTITY_PK_LEN) != 0) {
		/* Another key for a held address: the caller's derivation
		 * rules this out; refuse rather than hand the slot over. */
		memset(reply, 0, sizeof(*reply));
		return count(reg, REGISTRY_WRONG_KEY);
	}
	if (i != REGISTRY_NONE && expired(&reg->node[i], now)) {
		/* Gone, though not yet swept: this is a new registration. */
		node_remove(reg, i);
		count(reg, REGISTRY_EXPIRED_NODE);
		i = REGISTRY_NONE;
	}
	if (i == REGISTRY_NONE) {
		i = node_add(reg, now, addr, from, er);
		if (i == REGISTRY_NONE) {
			reply->arg = BASECTL_STATUS_FULL;
			return count(reg, REGISTRY_FULL);
		}
		v = REGISTRY_REGISTERED;
	} else if (er_identical(er, &reg->node[i].er)) {
		touch(reg, i, now, from, false);
		v = REGISTRY_REFRESHED;
	} else if (!er_seq_fresher(er->seq, reg->node[i].er.seq)) {
		/* Nothing changes: not the record, the time or the transport. */
		reply->arg = BASECTL_STATUS_STALE;
		memcpy(reply->relay_id, reg->node[i].relay_id, BASECTL_RELAY_ID_LEN);
		return count(reg, REGISTRY_STALE);
	} else {
		bool content = !er_same_content(er, &reg->node[i].er);

		reg->node[i].er = *er;
		touch(reg, i, now, from, content);
		v = REGISTRY_UPDATED;
	}
	reply->arg = BASECTL_STATUS_OK;
	memcpy(reply->relay_id, reg->node[i].relay_id, BASECTL_RELAY_ID_LEN);
	return count(reg, v);
}

enum registry_verdict registry_lookup(struct registry *reg, uint64_t now,
				      const uint8_t requester[BASECTL_ADDR_LEN],
				      const struct registry_transport *from,
				      const uint8_t target[BASECTL_ADDR_LEN], bool notify,
				      struct registry_msg *reply)
{
	enum registry_verdict why;
	struct registry_node *a, *b;
	uint32_t ia, ib, k;
	struct registry_msg m;

	memset(reply, 0, sizeof(*reply));
	ia = requester_find(reg, now, requester, from, &why);
	if (ia == REGISTRY_NONE)
		return count(reg, why);
	a = &reg->node[ia];
	if (!mesh_bucket_take(&a->lookup_tokens, &a->lookup_last,
			      REGISTRY_NS_PER_S / REGISTRY_LOOKUP_RATE,
			      (uint64_t)REGISTRY_LOOKUP_BURST *
				  (REGISTRY_NS_PER_S / REGISTRY_LOOKUP_RATE),
			      now))
		return count(reg, REGISTRY_LOOKUP_LIMITED);
	touch(reg, ia, now, from, false);
	ib = node_find(reg, target);
	if (!live(reg, ib, now)) {
		peer_empty(target, BASECTL_PEER_UNKNOWN, reply);
		return count(reg, REGISTRY_UNKNOWN);
	}
	b = &reg->node[ib];
	if (!allows(reg, b, a->addr)) {
		peer_empty(target, BASECTL_PEER_DENIED, reply);
		return count(reg, REGISTRY_DENIED);
	}
	peer_info(b, now, BASECTL_PEER_REPLY, reply);
	k = subscribe(reg, ia, ib, now);
	if (notify && k != REGISTRY_NONE) {
		struct registry_sub *s = &reg->sub[k];

		if (s->notified && now >= s->last_notify &&
		    now - s->last_notify < REGISTRY_NOTIFY_GAP_NS) {
			count(reg, REGISTRY_NOTIFY_LIMITED);
		} else {
			s->notified = true;
			s->last_notify = now;
			peer_info(a, now, BASECTL_PEER_NOTIFY, &m);
			push(reg, b, &m);
			count(reg, REGISTRY_NOTIFY_SENT);
		}
	}
	return count(reg, REGISTRY_REPLY);
}

enum registry_verdict registry_unsubscribe(struct registry *reg, uint64_t now,
					   const uint8_t requester[BASECTL_ADDR_LEN],
					   const struct registry_transport *from,
					   const uint8_t target[BASECTL_ADDR_LEN])
{
	enum registry_verdict why;
	uint32_t ia, ib, k = REGISTRY_NONE;

	ia = requester_find(reg, now, requester, from, &why);
	if (ia == REGISTRY_NONE)
		return count(reg, why);
	touch(reg, ia, now, from, false);
	ib = node_find(reg, target);
	if (ib != REGISTRY_NONE)
		k = sub_find(reg, ia, ib);
	if (k == REGISTRY_NONE)
		return count(reg, REGISTRY_NOT_SUBSCRIBED);
	sub_unlink(reg, k);
	return count(reg, REGISTRY_UNSUBSCRIBED);
}

enum registry_verdict registry_allow(struct registry *reg, uint64_t now,
				     const uint8_t requester[BASECTL_ADDR_LEN],
				     const struct registry_transport *from,
				     bool restricted,
				     const uint8_t (*list)[BASECTL_ADDR_LEN], size_t n)
{
	uint8_t sorted[BASECTL_ALLOW_MAX][BASECTL_ADDR_LEN];
	enum registry_verdict why;
	struct registry_node *a;
	size_t kept = 0;
	uint32_t ia, last = 0;

	ia = requester_find(reg, now, requester, from, &why);
	if (ia == REGISTRY_NONE)
		return count(reg, why);
	if (n > BASECTL_ALLOW_MAX || (!restricted && n != 0))
		return count(reg, REGISTRY_BAD_ALLOW);
	touch(reg, ia, now, from, false);
	a = &reg->node[ia];
	if (n)
		memcpy(sorted, list, n * BASECTL_ADDR_LEN);
	qsort(sorted, n, BASECTL_ADDR_LEN, addr_cmp);
	for (size_t i = 0; i < n; i++)
		if (kept == 0 || memcmp(sorted[kept - 1], sorted[i], BASECTL_ADDR_LEN) != 0)
			memmove(sorted[kept++], sorted[i], BASECTL_ADDR_LEN);
	/* The old list's chunks first: then the pool has room for any list. */
	allow_free(reg, a);
	for (size_t pos = 0; pos * REGISTRY_ALLOW_CHUNK < kept; pos++) {
		uint32_t c = chunk_take(reg);

		if (pos == 0)
			a->allow = c;
		else
			chunk_at(reg, last)->next = c;
		memcpy(chunk_at(reg, c)->addr, sorted[pos * REGISTRY_ALLOW_CHUNK],
		       chunk_len(kept, pos) * BASECTL_ADDR_LEN);
		last = c;
	}
	a->n_allow = (uint16_t)kept;
	a->restricted = restricted;
	return count(reg, REGISTRY_ALLOW_SET);
}

enum registry_verdict registry_ping(struct registry *reg, uint64_t now,
				    const uint8_t requester[BASECTL_ADDR_LEN],
				    const struct registry_transport *from,
				    const uint8_t txid[BASECTL_TXID_LEN],
				    struct registry_msg *reply)
{
	enum registry_verdict why;
	uint32_t ia;

	memset(reply, 0, sizeof(*reply));
	ia = requester_find(reg, now, requester, from, &why);
	if (ia == REGISTRY_NONE)
		return count(reg, why);
	touch(reg, ia, now, from, false);
	reply->type = BASECTL_PONG;
	memcpy(reply->txid, txid, BASECTL_TXID_LEN);
	reply->observed = transport_ep(from);
	return count(reg, REGISTRY_PONG);
}

enum registry_verdict registry_relay(struct registry *reg, uint64_t now,
				     const struct registry_transport *from,
				     const uint8_t src[BASECTL_RELAY_ID_LEN],
				     const uint8_t dst[BASECTL_RELAY_ID_LEN],
				     struct registry_transport *to)
{
	uint32_t s, d;

	s = node_find_relay(reg, src);
	if (s == REGISTRY_NONE)
		return count(reg, REGISTRY_UNKNOWN_SRC);
	/* The sender check: only the source's own transport may use its id. */
	if (!transport_equal(&reg->node[s].tr, from))
		return count(reg, REGISTRY_WRONG_TRANSPORT);
	if (expired(&reg->node[s], now))
		return count(reg, REGISTRY_SRC_EXPIRED);
	d = node_find_relay(reg, dst);
	if (d == REGISTRY_NONE)
		return count(reg, REGISTRY_UNKNOWN_DST);
	if (expired(&reg->node[d], now))
		return count(reg, REGISTRY_DST_EXPIRED);
	*to = reg->node[d].tr;
	return count(reg, REGISTRY_RELAYED);
}

const struct registry_node *registry_find(const struct registry *reg,
					  const uint8_t addr[BASECTL_ADDR_LEN],
					  uint64_t now)
{
	/* The probe counter is the only thing a lookup writes. */
	uint32_t i = node_find((struct registry *)(uintptr_t)reg, addr);

	return live(reg, i, now) ? &reg->node[i] : NULL;
}

/* ---- the recount -------------------------------------------------------- */

static const char *check_index(const struct registry *reg,
			       const struct registry_index *ix, uint32_t entries,
			       uint32_t limit)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i <= ix->mask; i++) {
		const struct registry_slot *s = &ix->slot[i];

		if (s->ref == 0)
			continue;
		if (s->ref > limit)
			return "an index entry points past its table";
		/* Reachable: no empty slot between its home and where it is. */
		for (uint32_t j = s->hash & ix->mask; j != i; j = (j + 1) & ix->mask)
			if (ix->slot[j].ref == 0)
				return "an index entry is cut off from its home";
		n++;
	}
	(void)reg;
	return n == entries ? NULL
			    : "an index holds more or fewer entries than the table";
}

/* n's ALLOW list: bounds, its chunk count, sorted without repeats. */
static const char *check_allow(const struct registry *reg, const struct registry_node *n,
			       uint32_t *chunks)
{
	const uint8_t *prev = NULL;
	size_t pos = 0;

	if (n->restricted ? n->n_allow > BASECTL_ALLOW_MAX : n->n_allow != 0)
		return "an ALLOW list out of bounds";
	for (uint32_t c = n->allow; c != 0; c = reg->chunk[c - 1].next, pos++) {
		if (c > reg->chunk_fresh || pos * REGISTRY_ALLOW_CHUNK >= n->n_allow)
			return "an ALLOW list has more chunks than entries";
		for (size_t j = 0; j < chunk_len(n->n_allow, pos); j++) {
			const uint8_t *e = reg->chunk[c - 1].addr[j];

			if (prev != NULL && memcmp(prev, e, BASECTL_ADDR_LEN) >= 0)
				return "an ALLOW list is not sorted";
			prev = e;
		}
		(*chunks)++;
	}
	if (pos * REGISTRY_ALLOW_CHUNK < n->n_allow)
		return "an ALLOW list has fewer chunks than entries";
	return NULL;
}

const char *registry_check(const struct registry *reg)
{
	struct registry *r = (struct registry *)(uintptr_t)reg; /* probes only */
	uint32_t used = 0, subs = 0, free_subs = 0, chunks = 0, free_chunks = 0;
	const char *why;

	for (uint32_t i = 0; i < reg->cap; i++) {
		const struct registry_node *n = &reg->node[i];
		uint32_t len = 0, pos;

		if (!n->used)
			continue;
		used++;
		if (i >= reg->node_fresh)
			return "a used node above node_fresh";
		if ((why = check_allow(reg, n, &chunks)) != NULL)
			return why;
		pos = index_find(r, &r->by_addr, addr_hash(reg, n->addr), match_addr,
				 n->addr);
		if (pos == REGISTRY_NONE || reg->by_addr.slot[pos].ref != i + 1)
			return "a node is not found by its address";
		pos = index_find(r, &r->by_relay, relay_hash(n->relay_id), match_relay,
				 n->relay_id);
		if (pos == REGISTRY_NONE || reg->by_relay.slot[pos].ref != i + 1)
			return "a node is not found by its relay id";
		for (int l = 0; l < 2; l++) {
			len = 0;
			for (uint32_t k = n->head[l]; k != REGISTRY_NONE;
			     k = reg->sub[k].next[l])
				if (k >= reg->sub_cap ||
				    list_owner(&reg->sub[k], l) != i ||
				    ++len > reg->sub_cap)
					return "a subscription list is broken";
			if (l == REGISTRY_MINE &&
			    (len != n->n_subs || len > REGISTRY_SUBS_PER_NODE))
				return "a node's n_subs is not its list's length";
		}
	}
	if (used != reg->n_nodes || used + reg->n_free != reg->node_fresh ||
	    reg->node_fresh > reg->cap)
		return "the node count is not the recount";
	for (uint32_t f = 0; f < reg->n_free; f++)
		if (reg->free_nodes[f] >= reg->node_fresh || reg->node[reg->free_nodes[f]].used)
			return "the free stack holds a used node";
	for (uint32_t c = reg->free_chunk; c != 0; c = reg->chunk[c - 1].next)
		if (c > reg->chunk_fresh || ++free_chunks > reg->chunk_fresh)
			return "the free chunk list is broken";
	if (chunks != reg->n_chunks || chunks + free_chunks != reg->chunk_fresh)
		return "the chunk count is not the recount";
	for (uint32_t k = reg->sub_fresh; k < reg->sub_cap; k++)
		if (reg->sub[k].subscriber != 0 || reg->sub[k].target != 0)
			return "a subscription slot above sub_fresh was written";
	for (uint32_t k = 0; k < reg->sub_fresh; k++) {
		const struct registry_sub *s = &reg->sub[k];
		uint32_t pos;

		if (s->subscriber == REGISTRY_NONE)
			continue;
		subs++;
		if (s->subscriber >= reg->cap || s->target >= reg->cap ||
		    !reg->node[s->subscriber].used || !reg->node[s->target].used)
			return "a subscription names a free node";
		pos =
		    index_find(r, &r->by_pair, pair_hash(reg, s->subscriber, s->target),
			       match_pair, (const uint32_t[2]){s->subscriber, s->target});
		if (pos == REGISTRY_NONE || reg->by_pair.slot[pos].ref != k + 1)
			return "a subscription is not found by its pair";
	}
	for (uint32_t k = reg->free_sub; k != REGISTRY_NONE;
	     k = reg->sub[k].next[REGISTRY_MINE])
		if (k >= reg->sub_fresh || reg->sub[k].subscriber != REGISTRY_NONE ||
		    ++free_subs > reg->sub_cap)
			return "the free subscription list is broken";
	if (subs != reg->n_subs || subs + free_subs != reg->sub_fresh)
		return "the subscription count is not the recount";
	if ((why = check_index(reg, &reg->by_addr, used, reg->cap)) ||
	    (why = check_index(reg, &reg->by_relay, used, reg->cap)) ||
	    (why = check_index(reg, &reg->by_pair, subs, reg->sub_cap)))
		return why;
	return NULL;
}
