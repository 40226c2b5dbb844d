/*
 * Who sees whom: the peer set of a device and the devices a change
 * touches, over plain arrays (the server fills them from its database).
 *
 *   peers(d)  = (∪ members(n) for every network n that d is in) \ {d},
 *               without blocked devices; nothing at all when d is blocked
 *
 * A membership is a (network, device) pair of nonzero ids.  The graph
 * holds the pairs twice, sorted by (network, device) and by (device,
 * network) (mgmt_peer_graph_sort), so a device's networks and a network's
 * members are each one contiguous run found by binary search.  Results are
 * ascending and without repeats, merged straight into the caller's array:
 * no allocation and no scratch, O(k · r · log M) for k results from r
 * networks among M memberships.  Pure.
 */
#ifndef SUBNETRA_MGMT_PEERS_H
#define SUBNETRA_MGMT_PEERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mgmt_membership {
	uint64_t network, device; /* nonzero */
};

struct mgmt_peer_graph {
	const struct mgmt_membership *by_network; /* sorted by (network, device) */
	const struct mgmt_membership *by_device;  /* the same pairs, by (device, network) */
	size_t n;
	const uint64_t *blocked; /* ascending device ids */
	size_t n_blocked;
};

/*
 * Sort m[0..n) into by_network order and a copy into by_device order
 * (by_device has n entries); repeated pairs are removed from both, and the
 * new count returned.
 */
size_t mgmt_peer_graph_sort(struct mgmt_membership *by_network,
			    struct mgmt_membership *by_device, size_t n);

/*
 * peers(d) into out[0..cap), ascending: how many, or -ENOSPC when there
 * are more than cap (out then holds the first cap).
 */
long mgmt_peers_of(const struct mgmt_peer_graph *g, uint64_t d, uint64_t *out, size_t cap);

/*
 * The devices whose peer sets a change can alter, ascending, with the
 * same return convention:
 *  - d joins or leaves network n (the graph before or after: the same
 *    answer): members(n) ∪ {d};
 *  - a network n is deleted (d = 0): members(n);
 */
long mgmt_affected_by_membership(const struct mgmt_peer_graph *g, uint64_t n, uint64_t d,
				 uint64_t *out, size_t cap);
/*
 *  - d is blocked, unblocked, renamed or deleted: every device sharing a
 *    network with d, blocked or not, and d itself.
 */
long mgmt_affected_by_device(const struct mgmt_peer_graph *g, uint64_t d, uint64_t *out,
			     size_t cap);

#endif
