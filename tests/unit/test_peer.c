/*
 * The peer table's endpoint index against a naive scan, over a long random
 * sequence of roaming peers (collisions, moves back and forth, shared
 * endpoints): whenever exactly one peer is at an endpoint, the index finds
 * it; whatever it returns is at that endpoint; unknown endpoints give NULL.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "config.h"
#include "peer.h"

static struct config cfg;
static struct peer_table table;

static struct endpoint4 random_ep(unsigned *seed)
{
	/* A small space, so endpoints collide and chains grow long. */
	return (struct endpoint4){.addr = 0xcb007100u + (unsigned)(rand_r(seed) % 8),
				  .port = (uint16_t)(18020 + rand_r(seed) % 8)};
}

static void check_all(unsigned *seed)
{
	for (int probe = 0; probe < 80; probe++) {
		struct endpoint4 e = random_ep(seed);
		struct peer *got = peer_find_by_endpoint(&table, &e), *only = NULL;
		size_t owners = 0;

		for (size_t i = 0; i < table.n; i++)
			if (peer_endpoint(&table.peers[i]).addr == e.addr &&
			    peer_endpoint(&table.peers[i]).port == e.port) {
				owners++;
				only = &table.peers[i];
			}
		if (owners == 0)
			assert_null(got);
		if (owners == 1)
			assert_ptr_equal(got, only);
		if (got != NULL)
			assert_true(peer_endpoint(got).addr == e.addr &&
				    peer_endpoint(got).port == e.port);
	}
}

static void test_endpoint_index_random_roaming(void **state)
{
	unsigned seed = 12345;

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	cfg.local_id = 1;
	cfg.n_peers = MAX_PEERS < 24 ? MAX_PEERS : 24;
	for (size_t i = 0; i < cfg.n_peers; i++) {
		cfg.peers[i].id = (uint32_t)(2 + i);
		cfg.peers[i].endpoint = (struct endpoint4){.addr = 0xcb007100u + (uint32_t)i,
							   .port = 18020};
		cfg.peers[i].psk[0] = (uint8_t)(i + 1);
	}
	peer_table_init(&table, &cfg, UINT64_C(1746843357141467429));
	for (size_t i = 0; i < table.n; i++)
		assert_ptr_equal(peer_find_by_endpoint(&table, &cfg.peers[i].endpoint),
				 &table.peers[i]);
	for (int step = 0; step < 20000; step++) {
		struct peer *p = &table.peers[(size_t)rand_r(&seed) % table.n];
		struct endpoint4 e = random_ep(&seed);

		struct peer *got;

		peer_set_endpoint(&table, p, &e);
		/* Someone is found at the new endpoint: p, or a peer sharing it. */
		got = peer_find_by_endpoint(&table, &e);
		assert_non_null(got);
		assert_true(peer_endpoint(got).addr == e.addr && peer_endpoint(got).port == e.port);
		if (step % 50 == 0)
			check_all(&seed);
	}
	peer_table_wipe(&table);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_endpoint_index_random_roaming),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
