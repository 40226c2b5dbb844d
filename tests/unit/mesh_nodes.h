/*
 * Two (or more) mesh nodes for the handshake and session tests: an
 * identity, its hs_local, and a caller policy (struct hs_ops) whose
 * whitelist, last timestamp, load and rate-limit verdicts the test sets.
 * Header-only, like splitmix.h; each test includes it once.
 */
#ifndef SUBNETRA_TESTS_MESH_NODES_H
#define SUBNETRA_TESTS_MESH_NODES_H

#include <string.h>

#include <sodium.h>

#include "core/mesh/handshake.h"

#define MN_S(x)	 ((uint64_t)(x)*UINT64_C(1000000000))
#define MN_WALL0 (UINT64_C(1700000000) * UINT64_C(1000000000))

enum { MN_ALLOW_MAX = 4 };

struct mn_policy {
	uint8_t allow[MN_ALLOW_MAX][IDENTITY_PK_LEN];
	size_t n_allow;
	uint8_t last_tai64n[HS_TAI64N_LEN];
	bool load;
	enum mesh_ratelimit_verdict rate;
	unsigned load_calls, rate_calls, allow_calls;
};

struct mn_node {
	struct identity id;
	struct hs_local local;
	struct mn_policy pol;
	struct hs_ops ops;
};

static bool mn_under_load(void *ctx, uint64_t now_ns)
{
	struct mn_policy *p = ctx;

	(void)now_ns;
	p->load_calls++;
	return p->load;
}

static enum mesh_ratelimit_verdict mn_rate(void *ctx, const uint8_t *src, size_t len,
					   uint64_t now_ns)
{
	struct mn_policy *p = ctx;

	(void)src, (void)len, (void)now_ns;
	p->rate_calls++;
	return p->rate;
}

static bool mn_allowed(void *ctx, const uint8_t ed_pk[IDENTITY_PK_LEN],
		       const uint8_t addr[IDENTITY_ADDR_LEN], struct hs_peer *peer)
{
	struct mn_policy *p = ctx;

	p->allow_calls++;
	if (!identity_address_check(ed_pk, addr))
		return false;
	for (size_t i = 0; i < p->n_allow; i++) {
		if (memcmp(p->allow[i], ed_pk, IDENTITY_PK_LEN) == 0) {
			memcpy(peer->last_tai64n, p->last_tai64n, HS_TAI64N_LEN);
			peer->cookie = NULL;
			return true;
		}
	}
	return false;
}

static inline void mn_node_init(struct mn_node *n, const uint8_t *psk)
{
	memset(n, 0, sizeof *n);
	identity_generate(&n->id);
	if (hs_local_init(&n->local, &n->id, psk) != 0)
		abort();
	n->ops.ctx = &n->pol;
	n->ops.under_load = mn_under_load;
	n->ops.rate_limit = mn_rate;
	n->ops.peer_allowed = mn_allowed;
}

static inline void mn_allow(struct mn_node *n, const uint8_t ed_pk[IDENTITY_PK_LEN])
{
	if (n->pol.n_allow < MN_ALLOW_MAX)
		memcpy(n->pol.allow[n->pol.n_allow++], ed_pk, IDENTITY_PK_LEN);
}

static inline void mn_node_wipe(struct mn_node *n)
{
	hs_local_wipe(&n->local);
	identity_wipe(&n->id);
}

static const uint8_t mn_src[] = {192, 0, 2, 1, 0x15, 0xce};

/*
 * A full handshake i -> r at now: both keypairs out, r's policy stores the
 * accepted timestamp.  Returns false if any step refused.
 */
static inline bool mn_handshake(struct mn_node *i, struct mn_node *r, uint64_t wall_ns,
				uint64_t now_ns, struct hs_keys *ki, struct hs_keys *kr)
{
	struct hs_initiator hs;
	struct cookie_sender cs;
	uint8_t init[MSG_HS_INIT_LEN], out[HS_REPLY_MAX], x[NOISE_DHLEN];
	size_t out_len, n2;
	bool ok;

	if (identity_x25519_public(r->id.pk, x) != 0)
		return false;
	cookie_sender_init(&cs, x, i->local.psk);
	if (hs_initiator_start(&hs, &i->local, r->id.pk, &cs, 0, wall_ns, now_ns, NULL,
			       init) != 0)
		return false;
	ok = hs_respond(&r->local, &r->ops, init, sizeof init, mn_src, sizeof mn_src, 0,
			now_ns, NULL, out, &out_len, kr) == HS_OK &&
	     hs_initiator_consume(&hs, &i->local, &i->ops, out, out_len, mn_src,
				  sizeof mn_src, now_ns, out, &n2, ki) == HS_OK;
	if (ok)
		memcpy(r->pol.last_tai64n, kr->tai64n, HS_TAI64N_LEN);
	hs_initiator_wipe(&hs);
	cookie_sender_wipe(&cs);
	return ok;
}

#endif
