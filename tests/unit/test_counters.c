/*
 * The counter table and the per-worker sum: every counter is published and
 * summed by name (a field added to COUNTERS_LIST is covered at once), and a
 * worker publishing while the control thread sums never shows a torn or
 * decreasing value (run it under TSan too: make TSAN=1).
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/counters.h"

static void set(struct counters *c, size_t i, uint64_t v)
{
	memcpy((unsigned char *)c + counter_descs[i].offset, &v, sizeof(v));
}

static void test_publish_accumulate_add(void **state)
{
	static struct counters_shared pub[2];
	struct counters a, b, sum, sum2;

	(void)state;
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	for (size_t i = 0; i < N_COUNTERS; i++) {
		set(&a, i, 1000 + i);
		set(&b, i, (uint64_t)1 << 40 | i);
	}
	counters_publish(&pub[0], &a);
	counters_publish(&pub[1], &b);
	memset(&sum, 0, sizeof(sum));
	counters_accumulate(&sum, &pub[0]);
	counters_accumulate(&sum, &pub[1]);
	sum2 = a;
	counters_add(&sum2, &b);
	for (size_t i = 0; i < N_COUNTERS; i++) {
		uint64_t want = 1000 + i + ((uint64_t)1 << 40 | i);

		assert_true(counter_value(&sum, &counter_descs[i]) == want);
		assert_true(counter_value(&sum2, &counter_descs[i]) == want);
	}
	assert_string_equal(counter_descs[0].name, "tun_rx_packets");
	assert_int_equal(counter_descs[N_COUNTERS - 1].offset,
			 offsetof(struct counters, drop_udp_send_err));
}

enum { ROUNDS = 200000 };
static struct counters_shared live;
static atomic_bool writer_done;

/* A worker: counts, publishing after every "wake-up". */
static void *worker(void *arg)
{
	struct counters c;

	(void)arg;
	memset(&c, 0, sizeof(c));
	for (uint64_t r = 1; r <= ROUNDS; r++) {
		c.udp_rx_packets = r;
		c.udp_rx_bytes = r * 1400;
		counters_publish(&live, &c);
	}
	atomic_store(&writer_done, true);
	return NULL;
}

static void test_concurrent_sum_monotonic(void **state)
{
	uint64_t last = 0;
	pthread_t t;

	(void)state;
	memset(&live, 0, sizeof(live));
	atomic_store(&writer_done, false);
	assert_int_equal(pthread_create(&t, NULL, worker, NULL), 0);
	for (;;) {
		bool finished = atomic_load(&writer_done);
		struct counters sum;

		memset(&sum, 0, sizeof(sum));
		counters_accumulate(&sum, &live);
		assert_true(sum.udp_rx_packets >= last);
		assert_true(sum.udp_rx_packets <= ROUNDS);
		last = sum.udp_rx_packets;
		if (finished)
			break;
	}
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_true(last == ROUNDS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_publish_accumulate_add),
		cmocka_unit_test(test_concurrent_sum_monotonic),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
