/*
 * Quiescent-state grace periods: the writer never waits for an offline
 * reader or for itself, waits exactly as long as an online reader stays
 * online, and gives up (false) at the deadline.  Then the property the
 * daemon relies on: reader threads doing policy lookups while the writer
 * keeps adding rules never see a torn or rebuilt-under-them table (run it
 * under TSan too: make TSAN=1).
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "core/policy.h"
#include "core/qsbr.h"

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000};

	nanosleep(&ts, NULL);
}

static struct qsbr q;

static void test_offline_and_writer_not_waited_for(void **state)
{
	uint64_t t0;

	(void)state;
	qsbr_init(&q, 3, 0);
	t0 = now_ms();
	assert_true(qsbr_synchronize(&q, UINT64_C(5000000000)));
	/* The writer (reader 0) is online while it publishes: never waited for. */
	qsbr_online(&q, 0);
	assert_true(qsbr_synchronize(&q, UINT64_C(5000000000)));
	qsbr_offline(&q, 0);
	/* A reader that went online and offline again is past it, too. */
	qsbr_online(&q, 2);
	qsbr_offline(&q, 2);
	assert_true(qsbr_synchronize(&q, UINT64_C(5000000000)));
	assert_true(now_ms() - t0 < 1000);
}

static void test_deadline(void **state)
{
	uint64_t t0;

	(void)state;
	qsbr_init(&q, 2, 0);
	qsbr_online(&q, 1);
	t0 = now_ms();
	assert_false(qsbr_synchronize(&q, UINT64_C(30000000))); /* 30 ms */
	assert_true(now_ms() - t0 >= 30);
	qsbr_offline(&q, 1);
	assert_true(qsbr_synchronize(&q, UINT64_C(30000000)));
}

static atomic_bool reader_online;

static void *online_for_100ms(void *arg)
{
	(void)arg;
	qsbr_online(&q, 1);
	atomic_store(&reader_online, true);
	sleep_ms(100);
	qsbr_offline(&q, 1);
	return NULL;
}

static void test_waits_for_online_reader(void **state)
{
	pthread_t t;
	uint64_t t0;

	(void)state;
	qsbr_init(&q, 2, 0);
	atomic_store(&reader_online, false);
	assert_int_equal(pthread_create(&t, NULL, online_for_100ms, NULL), 0);
	while (!atomic_load(&reader_online))
		sleep_ms(1);
	t0 = now_ms();
	assert_true(qsbr_synchronize(&q, UINT64_C(5000000000)));
	/* It returned only once the reader had left (the sleep ends it). */
	assert_true(now_ms() - t0 >= 50);
	assert_int_equal(pthread_join(t, NULL), 0);
}

/* ---- policy_add under concurrent lookups ---- */

enum { READERS = 3, RULES = 120 };

static struct policy *pol;
static atomic_bool done;
static atomic_ulong lookups;
static atomic_ulong torn; /* cmocka asserts belong to the main thread */

/* Rule i: dst 10.1.i.0/24 (i < 256) -> target i + 1. */
static struct policy_rule rule_n(unsigned i)
{
	return (struct policy_rule){.src = {0, 0},
				    .dst = {UINT32_C(0x0a010000) | i << 8, 24},
				    .action = POLICY_FORWARD,
				    .target = i + 1};
}

static void *reader(void *arg)
{
	unsigned id = (unsigned)(uintptr_t)arg, k = 0;


	while (!atomic_load_explicit(&done, memory_order_relaxed)) {
		qsbr_online(&q, id);
		for (int burst = 0; burst < 4; burst++, k++) {
			const struct policy_table *t = policy_active(pol);
			size_t n = t->n;

			/* Every rule of a published table is there and indexed. */
			for (size_t i = 0; i < n; i += 1 + k % 7) {
				const struct policy_rule *r =
				    policy_lookup(t, 1, UINT32_C(0x0a010005) | (uint32_t)i << 8);

				if (r == NULL || r->target != i + 1 || t->n != n)
					atomic_fetch_add(&torn, 1);
			}
			atomic_fetch_add_explicit(&lookups, 1, memory_order_relaxed);
		}
		qsbr_offline(&q, id);
	}
	return NULL;
}

/* A fresh table in pol, shared with READERS threads running fn. */
static void start_readers(pthread_t t[READERS], void *(*fn)(void *))
{
	pol = malloc(sizeof(*pol));
	assert_non_null(pol);
	policy_init(pol);
	qsbr_init(&q, READERS + 1, 0);
	pol->readers = &q;
	atomic_store(&done, false);
	atomic_store(&lookups, 0);
	atomic_store(&torn, 0);
	for (unsigned i = 0; i < READERS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, fn, (void *)(uintptr_t)(i + 1)), 0);
}

/* Join them; they looked things up and never saw a torn table. */
static void stop_readers(pthread_t t[READERS])
{
	atomic_store(&done, true);
	for (unsigned i = 0; i < READERS; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	assert_true(atomic_load(&lookups) > 0);
	assert_int_equal(atomic_load(&torn), 0);
}

static void test_policy_add_under_readers(void **state)
{
	pthread_t t[READERS];

	(void)state;
	start_readers(t, reader);
	for (unsigned i = 0; i < RULES; i++) {
		struct policy_rule r = rule_n(i);

		assert_int_equal(policy_add(pol, &r), 0);
		if (i % 4 == 0)
			sleep_ms(1); /* let the readers see many generations */
	}
	stop_readers(t);
	assert_int_equal(policy_active(pol)->n, RULES);
	free(pol);
}

/*
 * Every kind of update (rederive, add, replace, del, flush) under concurrent
 * lookups: in every table a reader holds, each rule is the one the index
 * finds for its own dst (the dsts are distinct), so a torn or half-indexed
 * table shows.
 */
static void *reader_self(void *arg)
{
	unsigned id = (unsigned)(uintptr_t)arg;

	while (!atomic_load_explicit(&done, memory_order_relaxed)) {
		qsbr_online(&q, id);
		for (int burst = 0; burst < 4; burst++) {
			const struct policy_table *t = policy_active(pol);
			size_t n = t->n;

			for (size_t i = 0; i < n; i++) {
				const struct policy_rule *r = &t->rules[i];

				if (policy_lookup(t, 1, r->dst.addr | 5) != r || t->n != n)
					atomic_fetch_add(&torn, 1);
			}
			atomic_fetch_add_explicit(&lookups, 1, memory_order_relaxed);
		}
		qsbr_offline(&q, id);
	}
	return NULL;
}

static void test_policy_updates_under_readers(void **state)
{
	enum { DERIVED = 20, ROUNDS = 40 };
	struct policy_rule derived[DERIVED];
	pthread_t t[READERS];

	(void)state;
	for (unsigned i = 0; i < DERIVED; i++)
		derived[i] = rule_n(i);
	start_readers(t, reader_self);
	for (unsigned round = 0; round < ROUNDS; round++) {
		/* a reload that drops one derived rule each round, then puts it back */
		assert_int_equal(policy_rederive(pol, derived, DERIVED - round % 2), 0);
		for (unsigned i = DERIVED; i < DERIVED + 30; i++) {
			struct policy_rule r = rule_n(i);

			assert_int_equal(policy_add(pol, &r), 0);
		}
		for (unsigned i = DERIVED; i < DERIVED + 30; i += 3) {
			struct policy_rule r = rule_n(i);

			r.target = 99;
			assert_int_equal(policy_replace(pol, &r), 1);
			r = rule_n(i + 1);
			assert_int_equal(policy_del(pol, &r.src, &r.dst), 1);
		}
		sleep_ms(1);
		assert_int_equal(policy_active(pol)->n, DERIVED - round % 2 + 20);
		assert_int_equal(policy_flush_added(pol), 20);
	}
	stop_readers(t);
	assert_int_equal(policy_active(pol)->n, DERIVED - (ROUNDS - 1) % 2);
	free(pol);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_offline_and_writer_not_waited_for),
		cmocka_unit_test(test_deadline),
		cmocka_unit_test(test_waits_for_online_reader),
		cmocka_unit_test(test_policy_add_under_readers),
		cmocka_unit_test(test_policy_updates_under_readers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
