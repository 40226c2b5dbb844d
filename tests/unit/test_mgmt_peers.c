/*
 * core/mgmt/peers.c: peer sets and affected sets over membership
 * fixtures (table), then a randomized comparison with a naive reference
 * (for every device of random graphs: the set from first principles).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/mgmt/peers.h"
#include "tests/unit/splitmix.h"

enum { MAXM = 64, MAXOUT = 32 };

/*
 * Networks 1..3:  1 = {1, 2, 3}   2 = {3, 4}   3 = {5}   device 6 in none
 * (pairs given unsorted, with one repeated); device 2 blocked in some cases.
 */
static const struct mgmt_membership fixture[] = {
	{ 2, 4 }, { 1, 3 }, { 1, 1 }, { 3, 5 }, { 1, 2 }, { 2, 3 }, { 1, 2 },
};

struct graph {
	struct mgmt_membership bn[MAXM], bd[MAXM];
	struct mgmt_peer_graph g;
};

static void build(struct graph *x, const struct mgmt_membership *m, size_t n,
		  const uint64_t *blocked, size_t n_blocked)
{
	memcpy(x->bn, m, n * sizeof(*m));
	x->g.n = mgmt_peer_graph_sort(x->bn, x->bd, n);
	x->g.by_network = x->bn;
	x->g.by_device = x->bd;
	x->g.blocked = blocked;
	x->g.n_blocked = n_blocked;
}

/* want: 0-terminated list */
static void expect(long got, const uint64_t *out, const uint64_t *want)
{
	size_t n = 0;

	while (want[n] != 0)
		n++;
	assert_int_equal(got, (long)n);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(out[i], want[i]);
}

static void test_table(void **state)
{
	static const uint64_t blocked2[] = { 2 };
	static const struct {
		enum { PEERS, AFF_MEMBERSHIP, AFF_DEVICE } what;
		bool block2;
		uint64_t a, b; /* device; or network and device */
		uint64_t want[8];
	} cases[] = {
		{ PEERS, false, 1, 0, { 2, 3 } },
		{ PEERS, false, 3, 0, { 1, 2, 4 } }, /* two networks, merged */
		{ PEERS, false, 4, 0, { 3 } },
		{ PEERS, false, 5, 0, { 0 } },       /* alone in its network */
		{ PEERS, false, 6, 0, { 0 } },       /* in none */
		{ PEERS, false, 99, 0, { 0 } },
		{ PEERS, true, 1, 0, { 3 } },        /* 2 blocked: nobody sees it */
		{ PEERS, true, 3, 0, { 1, 4 } },
		{ PEERS, true, 2, 0, { 0 } },        /* and it sees nobody */
		{ AFF_MEMBERSHIP, false, 2, 4, { 3, 4 } }, /* 4 leaves 2 */
		{ AFF_MEMBERSHIP, false, 2, 1, { 1, 3, 4 } }, /* 1 joins 2 */
		{ AFF_MEMBERSHIP, false, 3, 6, { 5, 6 } },
		{ AFF_MEMBERSHIP, false, 9, 6, { 6 } },       /* a new network */
		{ AFF_MEMBERSHIP, false, 1, 0, { 1, 2, 3 } }, /* network 1 deleted */
		{ AFF_MEMBERSHIP, true, 1, 0, { 1, 2, 3 } },  /* blocked ones too */
		{ AFF_DEVICE, false, 3, 0, { 1, 2, 3, 4 } },
		{ AFF_DEVICE, true, 2, 0, { 1, 2, 3 } },      /* 2 blocked: whom it touches */
		{ AFF_DEVICE, false, 6, 0, { 6 } },
	};
	struct graph x;
	uint64_t out[MAXOUT];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		long got = 0;

		build(&x, fixture, sizeof(fixture) / sizeof(fixture[0]),
		      cases[i].block2 ? blocked2 : NULL, cases[i].block2 ? 1 : 0);
		assert_int_equal(x.g.n, 6); /* the repeated pair is gone */
		switch (cases[i].what) {
		case PEERS:
			got = mgmt_peers_of(&x.g, cases[i].a, out, MAXOUT);
			break;
		case AFF_MEMBERSHIP:
			got = mgmt_affected_by_membership(&x.g, cases[i].a, cases[i].b, out, MAXOUT);
			break;
		case AFF_DEVICE:
			got = mgmt_affected_by_device(&x.g, cases[i].a, out, MAXOUT);
			break;
		}
		expect(got, out, cases[i].want);
	}
	/* no room: -ENOSPC, the first cap in out */
	build(&x, fixture, sizeof(fixture) / sizeof(fixture[0]), NULL, 0);
	assert_int_equal(mgmt_peers_of(&x.g, 3, out, 2), -ENOSPC);
	assert_int_equal(out[0], 1);
	assert_int_equal(out[1], 2);
	assert_int_equal(mgmt_peers_of(&x.g, 3, out, 3), 3);
}

/* The largest ids work (no overflow past UINT64_MAX). */
static void test_extreme_ids(void **state)
{
	const struct mgmt_membership m[] = {
		{ UINT64_MAX, UINT64_MAX }, { UINT64_MAX, 1 }, { 1, UINT64_MAX },
	};
	uint64_t out[4];
	struct graph x;

	(void)state;
	build(&x, m, 3, NULL, 0);
	assert_int_equal(mgmt_peers_of(&x.g, 1, out, 4), 1);
	assert_true(out[0] == UINT64_MAX);
	assert_int_equal(mgmt_peers_of(&x.g, UINT64_MAX, out, 4), 1);
	assert_int_equal(out[0], 1);
	assert_int_equal(mgmt_affected_by_membership(&x.g, UINT64_MAX, 7, out, 4), 3);
	assert_true(out[0] == 1 && out[1] == 7 && out[2] == UINT64_MAX);
}

static bool in(const struct mgmt_membership *m, size_t n, uint64_t net, uint64_t dev)
{
	for (size_t i = 0; i < n; i++) {
		if (m[i].network == net && m[i].device == dev)
			return true;
	}
	return false;
}

static void test_randomized(void **state)
{
	uint64_t rng = 42;

	(void)state;
	for (int round = 0; round < 300; round++) {
		struct mgmt_membership m[MAXM];
		uint64_t blocked[4], out[MAXOUT], want[MAXOUT];
		size_t n = splitmix64(&rng) % MAXM, nb = 0;
		struct graph x;

		for (size_t i = 0; i < n; i++)
			m[i] = (struct mgmt_membership){ 1 + splitmix64(&rng) % 6,
							 1 + splitmix64(&rng) % 20 };
		for (uint64_t d = 1; d <= 20 && nb < 4; d++) {
			if (splitmix64(&rng) % 8 == 0)
				blocked[nb++] = d;
		}
		build(&x, m, n, blocked, nb);
		for (uint64_t d = 1; d <= 21; d++) {
			size_t k = 0;
			bool d_blocked = false;

			for (size_t i = 0; i < nb; i++)
				d_blocked = d_blocked || blocked[i] == d;
			/* naive peers(d): every e != d, not blocked, sharing some network */
			for (uint64_t e = 1; e <= 21 && !d_blocked; e++) {
				bool share = false, e_blocked = false;

				for (size_t i = 0; i < nb; i++)
					e_blocked = e_blocked || blocked[i] == e;
				for (uint64_t net = 1; net <= 6; net++)
					share = share || (in(m, n, net, d) && in(m, n, net, e));
				if (e != d && share && !e_blocked)
					want[k++] = e;
			}
			assert_int_equal(mgmt_peers_of(&x.g, d, out, MAXOUT), (long)k);
			assert_memory_equal(out, want, k * sizeof(want[0]));
			/* naive affected by (net 1 change of d): members(1) ∪ {d} */
			k = 0;
			for (uint64_t e = 1; e <= 21; e++) {
				if (e == d || in(m, n, 1, e))
					want[k++] = e;
			}
			assert_int_equal(mgmt_affected_by_membership(&x.g, 1, d, out, MAXOUT), (long)k);
			assert_memory_equal(out, want, k * sizeof(want[0]));
			/* naive affected by d: everyone sharing a network with d, and d */
			k = 0;
			for (uint64_t e = 1; e <= 21; e++) {
				bool share = e == d;

				for (uint64_t net = 1; net <= 6; net++)
					share = share || (in(m, n, net, d) && in(m, n, net, e));
				if (share)
					want[k++] = e;
			}
			assert_int_equal(mgmt_affected_by_device(&x.g, d, out, MAXOUT), (long)k);
			assert_memory_equal(out, want, k * sizeof(want[0]));
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_extreme_ids),
		cmocka_unit_test(test_randomized),
	};

	return cmocka_run_group_tests_name("mgmt_peers", tests, NULL, NULL);
}
