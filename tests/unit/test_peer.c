/*
 * The peer table's endpoint index against a naive scan, over a long random
 * sequence of roaming peers (collisions, moves back and forth, shared
 * endpoints): whenever exactly one peer is at an endpoint, the index finds
 * it; whatever it returns is at that endpoint; unknown endpoints give NULL.
 *
 * The shared-state rules of several workers (peer.h): sequence numbers are
 * unique across threads and never pass 2^64-1; learning counts endpoint
 * changes only; the index stays exact while threads roam peers and look
 * them up; the split receive path gives wire_rx_open's verdicts.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "core/config.h"
#include "core/peer.h"

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

static void table_setup(size_t n)
{
	memset(&cfg, 0, sizeof(cfg));
	cfg.local_id = 1;
	cfg.n_peers = n;
	for (size_t i = 0; i < cfg.n_peers; i++) {
		cfg.peers[i].id = (uint32_t)(2 + i);
		cfg.peers[i].endpoint = (struct endpoint4){.addr = 0xcb007100u + (uint32_t)i,
							   .port = 18020};
		cfg.peers[i].psk[0] = (uint8_t)(i + 1);
	}
	peer_table_init(&table, &cfg, UINT64_C(1746843357141467429));
}

static void test_endpoint_index_random_roaming(void **state)
{
	unsigned seed = 12345;

	(void)state;
	table_setup(MAX_PEERS < 24 ? MAX_PEERS : 24);
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

static void test_next_seq_never_wraps(void **state)
{
	uint64_t seq = 0;

	(void)state;
	table_setup(1);
	for (int shared = 0; shared < 2; shared++) {
		struct peer *p = &table.peers[0];

		table.shared = shared;
		atomic_store(&p->tx_seq, 0);
		assert_true(peer_next_seq(&table, p, &seq));
		assert_int_equal(seq, 1);
		atomic_store(&p->tx_seq, UINT64_MAX - 2);
		assert_true(peer_next_seq(&table, p, &seq));
		assert_true(seq == UINT64_MAX - 1);
		assert_true(peer_next_seq(&table, p, &seq));
		assert_true(seq == UINT64_MAX);
		assert_false(peer_next_seq(&table, p, &seq));
		assert_false(peer_next_seq(&table, p, &seq));
		assert_true(atomic_load(&p->tx_seq) == UINT64_MAX);
	}
	peer_table_wipe(&table);
}

enum { SEQ_THREADS = 4, SEQ_EACH = 50000 };
static uint64_t seqs[SEQ_THREADS * SEQ_EACH];

static void *reserve_seqs(void *arg)
{
	uint64_t *out = arg;

	for (size_t i = 0; i < SEQ_EACH; i++)
		if (!peer_next_seq(&table, &table.peers[0], &out[i]))
			out[i] = 0;
	return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Threads reserving from one peer get 1..N, each exactly once. */
static void test_next_seq_unique_across_threads(void **state)
{
	pthread_t t[SEQ_THREADS];

	(void)state;
	table_setup(1);
	table.shared = true;
	for (int i = 0; i < SEQ_THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, reserve_seqs, &seqs[i * SEQ_EACH]), 0);
	for (int i = 0; i < SEQ_THREADS; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	qsort(seqs, SEQ_THREADS * SEQ_EACH, sizeof(uint64_t), cmp_u64);
	for (size_t i = 0; i < SEQ_THREADS * SEQ_EACH; i++)
		assert_true(seqs[i] == i + 1);
	peer_table_wipe(&table);
}

/* p's session as if it had just accepted (epoch, seq) as its newest datagram. */
static struct wire_header accepted(struct peer *p, uint64_t epoch, uint64_t seq)
{
	p->rx.cur_epoch = epoch;
	p->rx.window.highest = seq;
	return (struct wire_header){.version = WIRE_VERSION, .epoch = epoch, .seq = seq};
}

static void test_learn(void **state)
{
	const uint64_t e0 = UINT64_C(1746843357141467429);
	struct endpoint4 e = {.addr = 0xc6336401u, .port = 40000};
	struct wire_header h;
	struct peer *p;

	(void)state;
	table_setup(3);
	p = &table.peers[1];
	/* Same endpoint, another socket: not a move, but replies follow it. */
	h = accepted(p, e0, 5);
	assert_false(peer_learn(&table, p, &h, &cfg.peers[1].endpoint, 2, 111));
	assert_int_equal(peer_path_sock(peer_path(p)), 2);
	assert_int_equal(peer_last_seen(p), 111);
	/* A new endpoint: a move, found there and no longer at the old one. */
	h = accepted(p, e0, 6);
	assert_true(peer_learn(&table, p, &h, &e, 1, 222));
	assert_ptr_equal(peer_find_by_endpoint(&table, &e), p);
	assert_null(peer_find_by_endpoint(&table, &cfg.peers[1].endpoint));
	assert_int_equal(peer_path_sock(peer_path(p)), 1);
	assert_int_equal(peer_endpoint(p).port, 40000);
	assert_false(peer_learn(&table, p, &h, &e, 1, 333));
	assert_int_equal(peer_last_seen(p), 333);
	peer_table_wipe(&table);
}

/*
 * Two workers' batches end in any order: an older datagram (seq 7 from the
 * old endpoint, accepted in the window after seq 8 from the new one) must
 * neither move the peer back nor turn last-seen back.
 */
static void test_learn_only_from_newest(void **state)
{
	const uint64_t e0 = UINT64_C(1746843357141467429);
	struct endpoint4 old_ep, new_ep = {.addr = 0xc6336402u, .port = 40001};
	struct wire_header h7, h8;
	struct peer *p;

	(void)state;
	for (int shared = 0; shared <= 1; shared++) {
		table_setup(2);
		table.shared = shared;
		p = &table.peers[0];
		old_ep = peer_endpoint(p);
		h8 = accepted(p, e0, 8);
		assert_true(peer_learn(&table, p, &h8, &new_ep, 0, 2000));
		/* seq 7 was accepted later (in the window): highest stays 8. */
		h7 = (struct wire_header){.version = WIRE_VERSION, .epoch = e0, .seq = 7};
		assert_false(peer_learn(&table, p, &h7, &old_ep, 1, 1000));
		assert_int_equal(peer_endpoint(p).addr, new_ep.addr);
		assert_int_equal(peer_endpoint(p).port, new_ep.port);
		assert_int_equal(peer_path_sock(peer_path(p)), 0);
		assert_ptr_equal(peer_find_by_endpoint(&table, &new_ep), p);
		assert_int_equal(peer_last_seen(p), 2000);
		/* A datagram of an older epoch never moves it either. */
		h7.epoch = e0 - 1;
		h7.seq = 100;
		assert_false(peer_learn(&table, p, &h7, &old_ep, 0, 3000));
		assert_int_equal(peer_endpoint(p).addr, new_ep.addr);
		assert_int_equal(peer_last_seen(p), 3000);
		/* The peer really moves back: its newest datagram comes from there. */
		h8 = accepted(p, e0, 9);
		assert_true(peer_learn(&table, p, &h8, &old_ep, 0, 4000));
		assert_int_equal(peer_endpoint(p).addr, old_ep.addr);
		peer_table_wipe(&table);
	}
}

/* ---- reload ---- */

static struct config cfg2;
static struct peer_table scratch;

static void test_reload_keeps_unchanged_state(void **state)
{
	const uint64_t e0 = UINT64_C(1746843357141467429);
	struct endpoint4 learned = {.addr = 0xc6336409u, .port = 40009};
	struct peer_reload_report rep;
	struct wire_header h;
	struct peer *p;
	wire_key old_rx_key;

	(void)state;
	table_setup(4); /* ids 2, 3, 4, 5 */
	/* Runtime state: peer 2 learned an endpoint and has a session. */
	p = &table.peers[0];
	h = accepted(p, e0 + 7, 42);
	p->rx.have_key = true;
	memset(p->rx.session_key, 0x5a, WIRE_KEY_LEN);
	p->rx.window.bitmap = 0x15;
	assert_true(peer_learn(&table, p, &h, &learned, 1, 1234));
	for (size_t i = 0; i < 4; i++)
		table.peers[i].tx_seq = 1000 + i;
	memcpy(old_rx_key, table.peers[1].rx_link_key, WIRE_KEY_LEN);

	/* New config: 2 same, 3 new psk, 4 new endpoint, 5 removed, 9 added. */
	cfg2 = cfg;
	cfg2.peers[1].psk[5] ^= 1;
	cfg2.peers[2].endpoint.port = 19999;
	cfg2.peers[3].id = 9;
	peer_table_reload(&table, &scratch, &cfg2, e0, e0 + 5000, &rep);

	assert_int_equal(table.n, 4);
	assert_int_equal(rep.unchanged, 1);
	assert_int_equal(rep.rekeyed, 1);
	assert_int_equal(rep.moved, 1);
	assert_int_equal(rep.added, 1);
	assert_int_equal(rep.added_ids[0], 9);
	assert_int_equal(rep.removed, 1);
	assert_int_equal(rep.removed_ids[0], 5);
	assert_int_equal(rep.n_changed_ids, 2);

	/* 2: everything kept, found at its learned endpoint. */
	p = peer_find_by_id(&table, 2);
	assert_non_null(p);
	assert_ptr_equal(p->cfg, &cfg2.peers[0]);
	assert_int_equal(p->tx_seq, 1000);
	assert_true(p->rx.cur_epoch == e0 + 7 && p->rx.window.highest == 42 &&
		    p->rx.window.bitmap == 0x15 && p->rx.have_key);
	assert_int_equal(p->rx.session_key[0], 0x5a);
	assert_int_equal(peer_endpoint(p).port, 40009);
	assert_int_equal(peer_path_sock(peer_path(p)), 1);
	assert_ptr_equal(peer_find_by_endpoint(&table, &learned), p);
	assert_int_equal(peer_last_seen(p), 1234);
	/* 3: new keys, the counter goes on, the cached key is gone, the window stays. */
	p = peer_find_by_id(&table, 3);
	assert_non_null(p);
	assert_true(memcmp(p->rx_link_key, old_rx_key, WIRE_KEY_LEN) != 0);
	assert_int_equal(p->tx_seq, 1001);
	assert_false(p->rx.have_key);
	/* 4: the new configured endpoint, in the index. */
	p = peer_find_by_id(&table, 4);
	assert_int_equal(peer_endpoint(p).port, 19999);
	assert_ptr_equal(peer_find_by_endpoint(&table, &cfg2.peers[2].endpoint), p);
	assert_int_equal(p->tx_seq, 1002);
	/* 5 gone; 9 new, its first seq above anything sent in this run. */
	assert_null(peer_find_by_id(&table, 5));
	p = peer_find_by_id(&table, 9);
	assert_non_null(p);
	assert_int_equal(p->tx_seq, 5000);
	assert_int_equal(p->tx_released, 5000);
	assert_int_equal(p->last_seen_wall_ns, 0);
	/* The scratch table holds no key afterwards. */
	for (size_t i = 0; i < sizeof(scratch.peers) / sizeof(scratch.peers[0]); i++)
		for (size_t k = 0; k < WIRE_KEY_LEN; k++)
			assert_int_equal(scratch.peers[i].tx_link_key[k], 0);
	peer_table_wipe(&table);
}

/* ---- roaming threads against looking-up threads ---- */

enum { ROAMERS = 2, LOOKERS = 2, ROAM_STEPS = 20000 };
static atomic_bool roam_done;
static atomic_ulong bad_lookups;

static void *roamer(void *arg)
{
	unsigned seed = (unsigned)(uintptr_t)arg;

	for (int i = 0; i < ROAM_STEPS; i++) {
		/* Each roamer moves its own half of the peers, like one worker per peer. */
		size_t k = (size_t)(rand_r(&seed) % (table.n / ROAMERS)) * ROAMERS +
			   (size_t)(uintptr_t)arg % ROAMERS;
		struct endpoint4 e = random_ep(&seed);
		/* Only this thread receives for peer k: each datagram is the newest. */
		struct wire_header h = accepted(&table.peers[k], 1, (uint64_t)i + 1);

		(void)peer_learn(&table, &table.peers[k], &h, &e, (unsigned)(i & 1), (uint64_t)i + 1);
	}
	return NULL;
}

static void *looker(void *arg)
{
	unsigned seed = (unsigned)(uintptr_t)arg;

	while (!atomic_load(&roam_done)) {
		struct endpoint4 e = random_ep(&seed);
		struct peer *got = peer_find_by_endpoint(&table, &e);

		/* Whatever is returned is a peer of the table, at e when found. */
		if (got != NULL && (got < table.peers || got >= table.peers + table.n))
			atomic_fetch_add(&bad_lookups, 1);
	}
	return NULL;
}

static void test_index_under_concurrent_roaming(void **state)
{
	pthread_t r[ROAMERS], l[LOOKERS];
	unsigned seed = 777;

	(void)state;
	table_setup(MAX_PEERS < 24 ? MAX_PEERS : 24);
	table.shared = true;
	atomic_store(&roam_done, false);
	atomic_store(&bad_lookups, 0);
	for (unsigned i = 0; i < LOOKERS; i++)
		assert_int_equal(pthread_create(&l[i], NULL, looker, (void *)(uintptr_t)(100 + i)), 0);
	for (unsigned i = 0; i < ROAMERS; i++)
		assert_int_equal(pthread_create(&r[i], NULL, roamer, (void *)(uintptr_t)i), 0);
	for (unsigned i = 0; i < ROAMERS; i++)
		assert_int_equal(pthread_join(r[i], NULL), 0);
	atomic_store(&roam_done, true);
	for (unsigned i = 0; i < LOOKERS; i++)
		assert_int_equal(pthread_join(l[i], NULL), 0);
	assert_int_equal(atomic_load(&bad_lookups), 0);
	/* Quiet again: the index is exact. */
	check_all(&seed);
	for (size_t i = 0; i < table.n; i++) {
		struct endpoint4 e = peer_endpoint(&table.peers[i]);
		struct peer *got = peer_find_by_endpoint(&table, &e);

		assert_non_null(got);
		assert_true(peer_endpoint(got).addr == e.addr && peer_endpoint(got).port == e.port);
	}
	peer_table_wipe(&table);
}

/* ---- the split receive path equals wire_rx_open ---- */

static struct peer_table table2;

/* Seal a datagram from peer 0's side (its rx link) for (epoch, seq). */
static size_t seal_from_peer(uint8_t *buf, const struct peer *p, uint64_t epoch, uint64_t seq,
			     size_t pt_len)
{
	wire_key session;

	memset(buf + WIRE_HEADER_LEN, 0x45, pt_len);
	wire_session_key(session, p->rx_link_key, epoch);
	return wire_seal(buf, pt_len, session, p->id, epoch, seq);
}

static void test_rx_open_shared_equals_plain(void **state)
{
	unsigned seed = 4242;
	const uint64_t e0 = UINT64_C(1746843357141467429);

	(void)state;
	table_setup(1);
	table2 = table;
	table.shared = false;
	table2.shared = true;
	for (int i = 0; i < 3000; i++) {
		uint8_t a[PKT_BUF_LEN], b[PKT_BUF_LEN];
		struct wire_header h;
		size_t len, pa = 0, pb = 0;
		uint64_t epoch = e0 + (uint64_t)(rand_r(&seed) % 4);
		uint64_t seq = (uint64_t)(rand_r(&seed) % 200);
		enum wire_rx_verdict va, vb;

		len = seal_from_peer(a, &table.peers[0], epoch, seq, (size_t)(rand_r(&seed) % 3) * 40);
		if (rand_r(&seed) % 10 == 0)
			a[len - 1] ^= 1; /* a forgery */
		memcpy(b, a, len);
		assert_true(wire_header_check(a, len, &h));
		va = peer_rx_open(&table, &table.peers[0], &h, a, len, &pa);
		vb = peer_rx_open(&table2, &table2.peers[0], &h, b, len, &pb);
		assert_int_equal(va, vb);
		assert_int_equal(pa, pb);
		assert_true(table.peers[0].rx.cur_epoch == table2.peers[0].rx.cur_epoch);
		assert_true(table.peers[0].rx.window.highest == table2.peers[0].rx.window.highest);
		assert_true(table.peers[0].rx.window.bitmap == table2.peers[0].rx.window.bitmap);
		assert_memory_equal(table.peers[0].rx.session_key, table2.peers[0].rx.session_key,
				    WIRE_KEY_LEN);
		if (va == WIRE_RX_DATA)
			assert_memory_equal(a + WIRE_HEADER_LEN, b + WIRE_HEADER_LEN, pa);
	}
	peer_table_wipe(&table);
	peer_table_wipe(&table2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_endpoint_index_random_roaming),
		cmocka_unit_test(test_next_seq_never_wraps),
		cmocka_unit_test(test_next_seq_unique_across_threads),
		cmocka_unit_test(test_learn),
		cmocka_unit_test(test_learn_only_from_newest),
		cmocka_unit_test(test_reload_keeps_unchanged_state),
		cmocka_unit_test(test_index_under_concurrent_roaming),
		cmocka_unit_test(test_rx_open_shared_equals_plain),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
