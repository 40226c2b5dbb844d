/* Peer sets over membership arrays (see peers.h). */
#include "core/mgmt/peers.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int cmp_u64(uint64_t a, uint64_t b)
{
	return (a > b) - (a < b);
}

static int by_network(const void *x, const void *y)
{
	const struct mgmt_membership *a = x, *b = y;
	int c = cmp_u64(a->network, b->network);

	return c != 0 ? c : cmp_u64(a->device, b->device);
}

static int by_device(const void *x, const void *y)
{
	const struct mgmt_membership *a = x, *b = y;
	int c = cmp_u64(a->device, b->device);

	return c != 0 ? c : cmp_u64(a->network, b->network);
}

size_t mgmt_peer_graph_sort(struct mgmt_membership *bn, struct mgmt_membership *bd, size_t n)
{
	size_t k = 0;

	qsort(bn, n, sizeof(*bn), by_network);
	for (size_t i = 0; i < n; i++) {
		if (k == 0 || by_network(&bn[k - 1], &bn[i]) != 0)
			bn[k++] = bn[i];
	}
	memcpy(bd, bn, k * sizeof(*bd));
	qsort(bd, k, sizeof(*bd), by_device);
	return k;
}

/* The first index in a[lo..hi) whose key (network or device) is >= key. */
static size_t lower(const struct mgmt_membership *a, size_t lo, size_t hi, bool net,
		    uint64_t key, uint64_t second)
{
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		uint64_t k1 = net ? a[mid].network : a[mid].device;
		uint64_t k2 = net ? a[mid].device : a[mid].network;

		if (k1 < key || (k1 == key && k2 < second))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static bool is_blocked(const struct mgmt_peer_graph *g, uint64_t d)
{
	size_t lo = 0, hi = g->n_blocked;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (g->blocked[mid] == d)
			return true;
		if (g->blocked[mid] < d)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

/* The run of network n's members in by_network: [*b, *e). */
static void members(const struct mgmt_peer_graph *g, uint64_t n, size_t *b, size_t *e)
{
	*b = lower(g->by_network, 0, g->n, true, n, 0);
	*e = n == UINT64_MAX ? g->n : lower(g->by_network, *b, g->n, true, n + 1, 0);
}

struct merge {
	const struct mgmt_peer_graph *g;
	uint64_t self;     /* left out (0: none) */
	bool skip_blocked; /* leave blocked devices out */
	uint64_t extra;    /* added (0: none) */
	uint64_t *out;
	size_t cap, n;
	bool full;
};

static void emit(struct merge *m, uint64_t d)
{
	if (m->n < m->cap)
		m->out[m->n++] = d;
	else
		m->full = true;
}

/*
 * The union of the member runs of networks nets[0..r) (taken from the
 * by_device run of the device they are read from), ascending: each step
 * takes the least member above the last one emitted, over all runs.
 */
static void merge_networks(struct merge *m, const struct mgmt_membership *nets, size_t r)
{
	const struct mgmt_peer_graph *g = m->g;
	uint64_t last = 0; /* ids are nonzero */
	bool extra_done = m->extra == 0;

	for (;;) {
		uint64_t next = UINT64_MAX;
		bool any = false;

		if (last == UINT64_MAX)
			return; /* the largest id was the last one */

		for (size_t i = 0; i < r; i++) {
			uint64_t n = nets[i].network;
			size_t b, e, at;

			members(g, n, &b, &e);
			at = lower(g->by_network, b, e, true, n, last + 1);
			if (at < e && g->by_network[at].device <= next) {
				next = g->by_network[at].device;
				any = true;
			}
		}
		if (!extra_done && (!any || m->extra <= next)) {
			extra_done = true;
			if (!any || m->extra < next) {
				next = m->extra;
				any = true;
			}
		}
		if (!any)
			return;
		last = next;
		if (next == m->self || (m->skip_blocked && is_blocked(g, next)))
			continue;
		emit(m, next);
		if (m->full)
			return;
	}
}

/* The by_device run of d. */
static const struct mgmt_membership *networks_of(const struct mgmt_peer_graph *g, uint64_t d,
						 size_t *r)
{
	size_t b = lower(g->by_device, 0, g->n, false, d, 0);
	size_t e = b;

	while (e < g->n && g->by_device[e].device == d)
		e++;
	*r = e - b;
	return g->by_device + b;
}

static long result(const struct merge *m)
{
	return m->full ? -ENOSPC : (long)m->n;
}

long mgmt_peers_of(const struct mgmt_peer_graph *g, uint64_t d, uint64_t *out, size_t cap)
{
	struct merge m = { .g = g, .self = d, .skip_blocked = true, .out = out, .cap = cap };
	size_t r;
	const struct mgmt_membership *nets = networks_of(g, d, &r);

	if (d == 0 || is_blocked(g, d))
		return 0;
	merge_networks(&m, nets, r);
	return result(&m);
}

long mgmt_affected_by_membership(const struct mgmt_peer_graph *g, uint64_t n, uint64_t d,
				 uint64_t *out, size_t cap)
{
	struct merge m = { .g = g, .extra = d, .out = out, .cap = cap };
	struct mgmt_membership one = { .network = n, .device = d };

	merge_networks(&m, &one, 1);
	return result(&m);
}

long mgmt_affected_by_device(const struct mgmt_peer_graph *g, uint64_t d, uint64_t *out,
			     size_t cap)
{
	struct merge m = { .g = g, .extra = d, .out = out, .cap = cap };
	size_t r;
	const struct mgmt_membership *nets = networks_of(g, d, &r);

	merge_networks(&m, nets, r);
	return result(&m);
}
