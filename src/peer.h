/*
 * The runtime peer table: per-peer directional keys, the transmit session,
 * the receive session (epoch + replay window), the learned endpoint and the
 * socket the peer was last heard on.  Built once from the immutable config;
 * no allocation afterwards.  Secrets are wiped by peer_table_wipe().
 */
#ifndef SUBNETRA_PEER_H
#define SUBNETRA_PEER_H

#include <stdbool.h>
#include <stdint.h>

#include "bounds.h"
#include "cidr.h"
#include "config.h"
#include "wire.h"

struct peer {
	const struct peer_config *cfg;
	uint16_t id;
	wire_key tx_link_key;    /* link_key(psk, local_id, id) */
	wire_key rx_link_key;    /* link_key(psk, id, local_id) */
	wire_key tx_session_key; /* session_key(tx_link_key, our boot epoch) */
	uint64_t tx_seq;         /* last seq sent; the next datagram uses tx_seq + 1 */
	struct wire_rx_session rx;
	struct endpoint4 endpoint; /* configured, then learned */
	unsigned sock;             /* index of the listen socket last heard on */
	uint64_t last_seen_wall_ns; /* 0 = never authenticated */
};

enum { PEER_EP_SLOTS = 2 * MAX_PEERS + 1 }; /* odd: index = hash % size */

struct peer_table {
	size_t n;
	struct peer peers[MAX_PEERS];
	uint16_t slot_by_id[65536]; /* 0 = no such peer, else index + 1 */
	/*
	 * Current endpoint -> peer, open addressing with linear probing:
	 * 0 = empty, else peer index + 1.  Source addresses are chosen by
	 * whoever sends, so the hash is keyed (SipHash, random key).
	 */
	uint32_t ep_slots[PEER_EP_SLOTS];
	uint8_t ep_key[16];
};

/* Derive every key for our boot epoch.  Requires sodium_init(). */
void peer_table_init(struct peer_table *t, const struct config *cfg, uint64_t epoch);
void peer_table_wipe(struct peer_table *t);

struct peer *peer_find_by_id(struct peer_table *t, uint32_t id);
/* The peer whose current endpoint is e, or NULL.  O(1). */
struct peer *peer_find_by_endpoint(struct peer_table *t, const struct endpoint4 *e);
/* Move p to endpoint e (keeps the endpoint index in step). */
void peer_set_endpoint(struct peer_table *t, struct peer *p, const struct endpoint4 *e);

#endif
