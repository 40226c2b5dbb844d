/* The counter table generated from COUNTERS_LIST (see counters.h). */
#include "counters.h"

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
