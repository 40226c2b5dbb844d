/*
 * The runtime peer table: per-peer directional keys, the transmit session,
 * the receive session (epoch + replay window), the learned endpoint and the
 * socket the peer was last heard on.  Built once from the immutable config;
 * no allocation afterwards.  Secrets are wiped by peer_table_wipe().
 *
 * Threads (config "workers" > 1, t->shared): every reactor thread may send
 * to and receive from every peer, so the mutable per-peer state is shared:
 *   - tx_seq: a worker reserves a block of consecutive sequence numbers
 *     with one compare-and-swap, so no two datagrams ever carry the same
 *     (key, seq) and the counter never wraps (peer_reserve_seqs); blocks
 *     leave in the order they were reserved (peer_tx_wait/release), so two
 *     workers' datagrams to one peer never drift apart by more than the
 *     receiver's 64-entry replay window;
 *   - the receive session: a per-peer spinlock around the lookup before
 *     and the commit after the AEAD, never around the crypto
 *     (peer_rx_open; wire.h has the split);
 *   - path (endpoint + socket index) is one 64-bit atomic, so a sender
 *     never sees a new address with an old port; it only changes under the
 *     peer's receive lock (so that only the session's newest datagram can
 *     move it, whichever worker opened it) and the table's writer lock,
 *     which also keeps the endpoint index in step; index readers use a
 *     sequence count and retry (or fall back to a miss, which the
 *     obfuscation path turns into a full scan);
 *   - last_seen_wall_ns: a relaxed atomic that only grows.
 * With one thread (t->shared false) the receive session is opened without
 * the lock and a sequence number is a plain load and store; only an
 * endpoint change, which is rare, still takes the (uncontended) writer lock.
 */
#ifndef SUBNETRA_PEER_H
#define SUBNETRA_PEER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/bounds.h"
#include "core/cidr.h"
#include "core/config.h"
#include "core/wire.h"

struct peer {
	const struct peer_config *cfg;
	uint16_t id;
	wire_key tx_link_key;    /* link_key(psk, local_id, id) */
	wire_key rx_link_key;    /* link_key(psk, id, local_id) */
	wire_key tx_session_key; /* session_key(tx_link_key, our boot epoch) */
	_Atomic uint64_t tx_seq; /* last seq reserved; the next datagram uses tx_seq + 1 */
	/* Several workers: every seq <= tx_released has been handed to the
	 * kernel (or dropped), so the next block may leave (peer_tx_wait). */
	_Atomic uint64_t tx_released;
	/* Current endpoint (configured, then learned from the newest datagram)
	 * and the index of the listen socket it came in on: see peer_path_pack. */
	_Atomic uint64_t path;
	_Atomic bool rx_lock;    /* guards rx when the table is shared */
	struct wire_rx_session rx;
	_Atomic uint64_t last_seen_wall_ns; /* 0 = never authenticated */
};

enum { PEER_EP_SLOTS = 2 * MAX_PEERS + 1 }; /* odd: index = hash % size */

struct peer_table {
	size_t n;
	bool shared; /* several reactor threads use the table */
	struct peer peers[MAX_PEERS];
	uint16_t slot_by_id[65536]; /* 0 = no such peer, else index + 1 */
	/*
	 * Current endpoint -> peer, open addressing with linear probing:
	 * 0 = empty, else peer index + 1.  Source addresses are chosen by
	 * whoever sends, so the hash is keyed (SipHash, random key).
	 * Written only under ep_lock, between two increments of ep_seq.
	 */
	_Atomic uint32_t ep_slots[PEER_EP_SLOTS];
	_Atomic uint64_t ep_seq; /* odd while the index or an endpoint changes */
	_Atomic bool ep_lock;
	uint8_t ep_key[16];
};

/* addr (32 bits) | port (16) | listen-socket index (16). */
static inline uint64_t peer_path_pack(const struct endpoint4 *e, unsigned sock)
{
	return (uint64_t)e->addr << 32 | (uint64_t)e->port << 16 | (uint16_t)sock;
}
static inline struct endpoint4 peer_path_endpoint(uint64_t path)
{
	return (struct endpoint4){.addr = (uint32_t)(path >> 32), .port = (uint16_t)(path >> 16)};
}
static inline unsigned peer_path_sock(uint64_t path)
{
	return (unsigned)(path & 0xffff);
}
/* One consistent (endpoint, socket) pair. */
static inline uint64_t peer_path(const struct peer *p)
{
	return atomic_load_explicit(&p->path, memory_order_relaxed);
}
static inline struct endpoint4 peer_endpoint(const struct peer *p)
{
	return peer_path_endpoint(peer_path(p));
}
static inline uint64_t peer_last_seen(const struct peer *p)
{
	return atomic_load_explicit(&p->last_seen_wall_ns, memory_order_relaxed);
}

/* Derive every key for our boot epoch.  Requires sodium_init(). */
void peer_table_init(struct peer_table *t, const struct config *cfg, uint64_t epoch);
void peer_table_wipe(struct peer_table *t);

/* What a reload did to each peer, by id (for the log line and the reply). */
struct peer_reload_report {
	size_t unchanged, added, removed, rekeyed, moved, other;
	uint32_t added_ids[8], removed_ids[8], changed_ids[8]; /* the first few */
	size_t n_changed_ids;
};

/*
 * Rebuild t for a new config (reload; every worker paused, nothing else
 * touches t).  Peers are matched by id.  A peer whose keys, endpoint and
 * allowed_src are unchanged keeps its whole state: sequence counter,
 * receive session, learned endpoint, last-seen.  New keys keep the sequence
 * counter, the epoch and the replay window (only the cached session key
 * goes); a new configured endpoint replaces the learned one.  A peer new to
 * the table starts its sequence numbers at the nanoseconds elapsed since
 * the boot epoch, so a peer removed and added back within one run never
 * repeats a nonce under the same key.  scratch is caller-provided room for
 * the new table (it is wiped afterwards).  now is the wall clock (ns).
 */
void peer_table_reload(struct peer_table *t, struct peer_table *scratch,
		       const struct config *cfg, uint64_t epoch, uint64_t now,
		       struct peer_reload_report *rep);

struct peer *peer_find_by_id(struct peer_table *t, uint32_t id);
/*
 * The peer whose current endpoint is e, or NULL.  O(1).  With threads, a
 * lookup that keeps meeting a concurrent endpoint change gives up (NULL).
 */
struct peer *peer_find_by_endpoint(struct peer_table *t, const struct endpoint4 *e);
/* Move p to endpoint e, keeping its socket (keeps the endpoint index in step). */
void peer_set_endpoint(struct peer_table *t, struct peer *p, const struct endpoint4 *e);
/*
 * Roaming, after the datagram with header h from `from` on socket `sock`
 * authenticated (p->rx accepted it): record the time (last-seen never goes
 * back) and, if h is still the newest datagram of p's session, the endpoint
 * and the socket.  true iff the endpoint changed (udp_endpoint_learned).
 */
bool peer_learn(struct peer_table *t, struct peer *p, const struct wire_header *h,
		const struct endpoint4 *from, unsigned sock, uint64_t now);

/*
 * Several workers (t->shared): reserve up to k consecutive sequence numbers
 * of p as one block starting at *first.  Returns how many: fewer than k only
 * when the session runs out (never reuse a nonce), 0 once it has.
 */
size_t peer_reserve_seqs(struct peer *p, size_t k, uint64_t *first);
/* Has every block reserved before the one starting at first been released? */
static inline bool peer_tx_ready(const struct peer *p, uint64_t first)
{
	return atomic_load_explicit(&p->tx_released, memory_order_acquire) == first - 1;
}
/*
 * Wait for peer_tx_ready.  Bounded: the blocks before ours belong to
 * workers that are sealing or sending them, and a worker only ever waits
 * for its own oldest unreleased block, so no cycle of waits can form.
 */
void peer_tx_wait(const struct peer *p, uint64_t first);
/* The block ending at last has left (or was dropped): the next may go. */
static inline void peer_tx_release(struct peer *p, uint64_t last)
{
	atomic_store_explicit(&p->tx_released, last, memory_order_release);
}

/*
 * Reserve the sequence number of p's next datagram.  false when the
 * session is exhausted (tx_seq reached 2^64-1): never reuse a nonce.
 */
static inline bool peer_next_seq(const struct peer_table *t, struct peer *p, uint64_t *seq)
{
	uint64_t cur = atomic_load_explicit(&p->tx_seq, memory_order_relaxed);

	if (t->shared)
		return peer_reserve_seqs(p, 1, seq) == 1;
	if (cur == UINT64_MAX)
		return false;
	atomic_store_explicit(&p->tx_seq, cur + 1, memory_order_relaxed);
	*seq = cur + 1;
	return true;
}

/* The split open of a shared table (peer_rx_open's slow path). */
enum wire_rx_verdict peer_rx_open_shared(struct peer *p, const struct wire_header *h,
					 uint8_t *dgram, size_t len, size_t *pt_len);

/*
 * wire_rx_open on p's receive session, safe against other threads.  Inline,
 * so that one worker pays a branch and not a call.
 */
static inline enum wire_rx_verdict peer_rx_open(struct peer_table *t, struct peer *p,
						const struct wire_header *h, uint8_t *dgram,
						size_t len, size_t *pt_len)
{
	if (!t->shared)
		return wire_rx_open(&p->rx, p->rx_link_key, h, dgram, len, pt_len);
	return peer_rx_open_shared(p, h, dgram, len, pt_len);
}

#endif
