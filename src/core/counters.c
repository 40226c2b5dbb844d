/* The counter table generated from COUNTERS_LIST (see counters.h). */
#include "core/counters.h"

#include <string.h>

const struct counter_desc counter_descs[N_COUNTERS] = {
#define COUNTER_DESC(n) {#n, offsetof(struct counters, n)},
	COUNTERS_LIST(COUNTER_DESC)
#undef COUNTER_DESC
};

uint64_t counter_value(const struct counters *c, const struct counter_desc *d)
{
	uint64_t v;

	memcpy(&v, (const unsigned char *)c + d->offset, sizeof(v));
	return v;
}

/* Every field is a uint64_t (the X-macro makes them so): index them as such. */
_Static_assert(sizeof(struct counters) == N_COUNTERS * sizeof(uint64_t),
	       "struct counters must be exactly N_COUNTERS uint64_t");

static void counter_store(struct counters *c, const struct counter_desc *d, uint64_t v)
{
	memcpy((unsigned char *)c + d->offset, &v, sizeof(v));
}

void counters_publish(struct counters_shared *dst, const struct counters *src)
{
	for (size_t i = 0; i < N_COUNTERS; i++)
		atomic_store_explicit(&dst->v[i], counter_value(src, &counter_descs[i]),
				      memory_order_relaxed);
}

void counters_accumulate(struct counters *sum, const struct counters_shared *src)
{
	for (size_t i = 0; i < N_COUNTERS; i++) {
		const struct counter_desc *d = &counter_descs[i];

		counter_store(sum, d,
			      counter_value(sum, d) +
				  atomic_load_explicit(&src->v[i], memory_order_relaxed));
	}
}

void counters_add(struct counters *sum, const struct counters *src)
{
	for (size_t i = 0; i < N_COUNTERS; i++) {
		const struct counter_desc *d = &counter_descs[i];

		counter_store(sum, d, counter_value(sum, d) + counter_value(src, d));
	}
}
