/* Runtime peer table (see peer.h). */
#include "core/peer.h"

#include <sched.h>
#include <string.h>

#include <sodium.h>

enum {
	SPIN_BEFORE_YIELD = 128,
	EP_READ_TRIES = 64, /* index reads racing a writer before giving up */
};

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

/*
 * The critical sections are a few dozen instructions, so a spinlock; a
 * holder preempted on a busy machine is waited out with sched_yield.
 */
static void spin_lock(_Atomic bool *l)
{
	unsigned spins = 0;

	while (atomic_exchange_explicit(l, true, memory_order_acquire)) {
		while (atomic_load_explicit(l, memory_order_relaxed)) {
			if (++spins % SPIN_BEFORE_YIELD == 0)
				sched_yield();
			else
				cpu_relax();
		}
	}
}

static void spin_unlock(_Atomic bool *l)
{
	atomic_store_explicit(l, false, memory_order_release);
}

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

/* The endpoint part of a path, for comparisons. */
static uint64_t ep_bits(uint64_t path)
{
	return path >> 16;
}

static uint32_t slot_get(const struct peer_table *t, size_t i)
{
	return atomic_load_explicit(&t->ep_slots[i], memory_order_relaxed);
}

/*
 * Release: a reader that sees this store also sees the odd ep_seq before it
 * (the seqlock's write side without a standalone fence, which
 * ThreadSanitizer does not model; a plain store on x86-64).
 */
static void slot_set(struct peer_table *t, size_t i, uint32_t v)
{
	atomic_store_explicit(&t->ep_slots[i], v, memory_order_release);
}

/*
 * Writers (endpoint changes: rare) serialise on ep_lock and make ep_seq odd
 * while they work, so a reader can tell that what it read may be torn.
 */
static void ep_write_begin(struct peer_table *t)
{
	spin_lock(&t->ep_lock);
	atomic_store_explicit(&t->ep_seq, atomic_load_explicit(&t->ep_seq, memory_order_relaxed) + 1,
			      memory_order_relaxed);
}

static void ep_write_end(struct peer_table *t)
{
	atomic_store_explicit(&t->ep_seq, atomic_load_explicit(&t->ep_seq, memory_order_relaxed) + 1,
			      memory_order_release);
	spin_unlock(&t->ep_lock);
}

/*
 * One entry per peer, even when two peers are at the same endpoint (a lookup
 * then finds either; the obfuscation fast path falls back to a scan if it
 * picked the wrong one).  At most MAX_PEERS entries in 2 * MAX_PEERS + 1
 * slots, so a free slot always exists.  Writer side only.
 */
static void ep_insert(struct peer_table *t, struct peer *p)
{
	struct endpoint4 e = peer_endpoint(p);
	size_t i = ep_hash(t, &e);

	while (slot_get(t, i) != 0)
		i = (i + 1) % PEER_EP_SLOTS;
	slot_set(t, i, (uint32_t)(p - t->peers) + 1);
}

/* Remove p's entry (found under p's current endpoint).  Writer side only. */
static void ep_remove(struct peer_table *t, const struct peer *p)
{
	struct endpoint4 e = peer_endpoint(p);
	size_t i = ep_hash(t, &e), j;

	while (slot_get(t, i) != 0 && &t->peers[slot_get(t, i) - 1] != p)
		i = (i + 1) % PEER_EP_SLOTS;
	if (slot_get(t, i) == 0)
		return;
	/* Backward-shift deletion keeps every probe chain unbroken. */
	for (j = (i + 1) % PEER_EP_SLOTS; slot_get(t, j) != 0; j = (j + 1) % PEER_EP_SLOTS) {
		struct endpoint4 ej = peer_endpoint(&t->peers[slot_get(t, j) - 1]);
		size_t home = ep_hash(t, &ej);

		/* Move j into the hole at i unless its home lies cyclically in (i, j]. */
		if (i <= j ? (home <= i || home > j) : (home <= i && home > j)) {
			slot_set(t, i, slot_get(t, j));
			i = j;
		}
	}
	slot_set(t, i, 0);
}

/* Under ep_write_begin: move p to (e, sock); false if it is at e already. */
static bool move_locked(struct peer_table *t, struct peer *p, const struct endpoint4 *e,
			unsigned sock)
{
	uint64_t want = peer_path_pack(e, sock);

	if (ep_bits(peer_path(p)) == ep_bits(want)) {
		atomic_store_explicit(&p->path, want, memory_order_relaxed);
		return false;
	}
	ep_remove(t, p);
	atomic_store_explicit(&p->path, want, memory_order_release); /* as slot_set */
	ep_insert(t, p);
	return true;
}

void peer_set_endpoint(struct peer_table *t, struct peer *p, const struct endpoint4 *e)
{
	ep_write_begin(t);
	(void)move_locked(t, p, e, peer_path_sock(peer_path(p)));
	ep_write_end(t);
}

/* last-seen = max(last-seen, now): batches of two workers end in any order. */
static void seen_at(const struct peer_table *t, struct peer *p, uint64_t now)
{
	uint64_t cur = atomic_load_explicit(&p->last_seen_wall_ns, memory_order_relaxed);

	if (!t->shared) {
		if (now > cur)
			atomic_store_explicit(&p->last_seen_wall_ns, now, memory_order_relaxed);
		return;
	}
	while (now > cur && !atomic_compare_exchange_weak_explicit(&p->last_seen_wall_ns, &cur,
								   now, memory_order_relaxed,
								   memory_order_relaxed))
		;
}

bool peer_learn(struct peer_table *t, struct peer *p, const struct wire_header *h,
		const struct endpoint4 *from, unsigned sock, uint64_t now)
{
	uint64_t want = peer_path_pack(from, sock);
	bool moved = false;

	seen_at(t, p, now);
	/* The common case: nothing to write, so the line is not bounced between threads. */
	if (peer_path(p) == want)
		return false;
	/*
	 * Under the receive lock, no other worker commits a datagram of this
	 * session meanwhile: if h is the newest now, any later one commits
	 * after the move below and sees (and if need be undoes) it.
	 */
	if (t->shared)
		spin_lock(&p->rx_lock);
	if (wire_rx_is_newest(&p->rx, h)) {
		ep_write_begin(t);
		moved = move_locked(t, p, from, sock);
		ep_write_end(t);
	}
	if (t->shared)
		spin_unlock(&p->rx_lock);
	return moved;
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
		atomic_store_explicit(&p->path, peer_path_pack(&pc->endpoint, 0),
				      memory_order_relaxed);
		t->slot_by_id[p->id] = (uint16_t)(i + 1);
		ep_insert(t, p);
	}
	t->n = cfg->n_peers;
}

static void note_id(uint32_t *ids, size_t *n, uint32_t id)
{
	if (*n < 8)
		ids[*n] = id;
	(*n)++;
}

void peer_table_reload(struct peer_table *t, struct peer_table *scratch,
		       const struct config *cfg, uint64_t epoch, uint64_t now,
		       struct peer_reload_report *rep)
{
	/* Fresh keys for the new config; runtime state is carried over below. */
	peer_table_init(scratch, cfg, epoch);
	scratch->shared = t->shared;
	memset(rep, 0, sizeof(*rep));
	for (size_t i = 0; i < scratch->n; i++) {
		struct peer *np = &scratch->peers[i];
		const struct peer *op = peer_find_by_id(t, np->id);
		bool same_keys, same_ep;

		if (op == NULL) {
			/* Above any seq this id's key could have used earlier in this run. */
			uint64_t floor = now > epoch ? now - epoch : 1;

			atomic_store_explicit(&np->tx_seq, floor, memory_order_relaxed);
			atomic_store_explicit(&np->tx_released, floor, memory_order_relaxed);
			note_id(rep->added_ids, &rep->added, np->id);
			continue;
		}
		same_keys = sodium_memcmp(op->tx_link_key, np->tx_link_key, WIRE_KEY_LEN) == 0 &&
			    sodium_memcmp(op->rx_link_key, np->rx_link_key, WIRE_KEY_LEN) == 0;
		same_ep = op->cfg->endpoint.addr == np->cfg->endpoint.addr &&
			  op->cfg->endpoint.port == np->cfg->endpoint.port;
		/* Nonces stay unique whatever changed: the counter only goes on. */
		atomic_store_explicit(&np->tx_seq,
				      atomic_load_explicit(&op->tx_seq, memory_order_relaxed),
				      memory_order_relaxed);
		atomic_store_explicit(&np->tx_released,
				      atomic_load_explicit(&op->tx_released, memory_order_relaxed),
				      memory_order_relaxed);
		np->rx = op->rx;
		if (!same_keys)
			wire_rx_session_wipe(&np->rx); /* the epoch and window stay */
		if (same_ep)
			atomic_store_explicit(&np->path, peer_path(op), memory_order_relaxed);
		atomic_store_explicit(&np->last_seen_wall_ns, peer_last_seen(op),
				      memory_order_relaxed);
		if (same_keys && same_ep &&
		    cidr_equal(&op->cfg->allowed_src, &np->cfg->allowed_src) &&
		    strcmp(op->cfg->name, np->cfg->name) == 0) {
			rep->unchanged++;
			continue;
		}
		if (!same_keys)
			rep->rekeyed++;
		else if (!same_ep)
			rep->moved++;
		else
			rep->other++;
		note_id(rep->changed_ids, &rep->n_changed_ids, np->id);
	}
	for (size_t i = 0; i < t->n; i++)
		if (peer_find_by_id(scratch, t->peers[i].id) == NULL)
			note_id(rep->removed_ids, &rep->removed, t->peers[i].id);
	/* The endpoint index, for the endpoints now in use. */
	memset(scratch->ep_slots, 0, sizeof(scratch->ep_slots));
	for (size_t i = 0; i < scratch->n; i++)
		ep_insert(scratch, &scratch->peers[i]);
	memcpy(t, scratch, sizeof(*t));
	peer_table_wipe(scratch);
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

/*
 * One probe; bounded, since a concurrent writer may keep the chain busy.
 * Acquire loads keep the re-read of ep_seq after them (the seqlock's read
 * side without a fence; plain loads on x86-64).
 */
static struct peer *ep_probe(struct peer_table *t, const struct endpoint4 *e)
{
	uint64_t key = ep_bits(peer_path_pack(e, 0));
	size_t i = ep_hash(t, e);

	for (size_t k = 0; k < PEER_EP_SLOTS; k++, i = (i + 1) % PEER_EP_SLOTS) {
		uint32_t v = atomic_load_explicit(&t->ep_slots[i], memory_order_acquire);
		struct peer *p;

		if (v == 0)
			return NULL;
		p = &t->peers[v - 1];
		if (ep_bits(atomic_load_explicit(&p->path, memory_order_acquire)) == key)
			return p;
	}
	return NULL;
}

struct peer *peer_find_by_endpoint(struct peer_table *t, const struct endpoint4 *e)
{
	for (int tries = 0; tries < EP_READ_TRIES; tries++) {
		uint64_t seq = atomic_load_explicit(&t->ep_seq, memory_order_acquire);
		struct peer *p;

		if (seq & 1) {
			cpu_relax();
			continue;
		}
		p = ep_probe(t, e);
		if (atomic_load_explicit(&t->ep_seq, memory_order_relaxed) == seq)
			return p;
	}
	return NULL;
}

size_t peer_reserve_seqs(struct peer *p, size_t k, uint64_t *first)
{
	uint64_t cur = atomic_load_explicit(&p->tx_seq, memory_order_relaxed);
	uint64_t n;

	/* Uniqueness needs only atomicity, not ordering: relaxed. */
	do {
		n = UINT64_MAX - cur < k ? UINT64_MAX - cur : k;
		if (n == 0)
			return 0;
	} while (!atomic_compare_exchange_weak_explicit(&p->tx_seq, &cur, cur + n,
							memory_order_relaxed,
							memory_order_relaxed));
	*first = cur + 1;
	return (size_t)n;
}

void peer_tx_wait(const struct peer *p, uint64_t first)
{
	unsigned spins = 0;

	while (!peer_tx_ready(p, first)) {
		if (++spins % SPIN_BEFORE_YIELD == 0)
			sched_yield();
		else
			cpu_relax();
	}
}

enum wire_rx_verdict peer_rx_open_shared(struct peer *p, const struct wire_header *h,
					 uint8_t *dgram, size_t len, size_t *pt_len)
{
	enum wire_rx_verdict verdict = WIRE_RX_INVALID;
	enum wire_rx_key k;
	wire_key key;

	*pt_len = 0;
	spin_lock(&p->rx_lock);
	k = wire_rx_begin(&p->rx, h, key);
	spin_unlock(&p->rx_lock);
	if (k == WIRE_RX_KEY_STALE)
		return WIRE_RX_INVALID;
	if (k == WIRE_RX_KEY_DERIVE)
		wire_session_key(key, p->rx_link_key, h->epoch);
	if (wire_rx_decrypt(key, h, dgram, len)) {
		spin_lock(&p->rx_lock);
		verdict = wire_rx_commit(&p->rx, key, h, len, pt_len);
		spin_unlock(&p->rx_lock);
	}
	sodium_memzero(key, sizeof(key));
	return verdict;
}
