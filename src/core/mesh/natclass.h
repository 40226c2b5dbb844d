/*
 * NAT mapping classification (research/mesh-design.md §3.6; docs/mesh.md
 * "Why a peer stays relayed"): from the endpoints that several
 * destinations saw for one local socket, tell whether the NAT in front of
 * it maps ports per destination (an "endpoint-dependent mapping", EDM:
 * hole punching between two of them cannot work without port guessing),
 * keeps one mapping for every destination (endpoint-independent), or
 * whether there is no NAT at all.
 *
 * The daemon gathers the observations: what each base saw in PONG and
 * REGISTER_OK (destination: the base's UDP port) and what the base's probe
 * port saw (destination: the same address, another port), and, with two
 * bases, what each of them saw.  Two observations of one family from two
 * different destinations are a pair; pairs decide:
 *
 *   any pair that differs (address or port)        -> per-destination
 *   every observation is one of our own endpoints  -> none
 *   a pair that agrees                             -> endpoint-independent
 *   otherwise (one destination, or none)           -> unknown
 *
 * One port per destination address is what Linux `masquerade
 * fully-random` and most "symmetric" NATs do; a NAT that maps per
 * destination address only (not port) is seen with two bases on two
 * addresses, not by the probe port.  Pure: no I/O, no clock.
 */
#ifndef SUBNETRA_CORE_MESH_NATCLASS_H
#define SUBNETRA_CORE_MESH_NATCLASS_H

#include <stddef.h>

#include "core/mesh/er.h"

enum nat_class {
	NAT_UNKNOWN = 0, /* not enough observations */
	NAT_NONE,	 /* the destinations saw one of our own addresses and our port */
	NAT_ENDPOINT_INDEPENDENT,
	NAT_PER_DESTINATION,
	NAT_CLASS_END,
};

struct nat_obs {
	struct ep18 dst;  /* where the probe went */
	struct ep18 seen; /* the source it saw (port 0: no answer; ignored) */
};

/*
 * The class from n observations, given our own endpoints (local[0..n_local),
 * the addresses of our interfaces with our listen port, as in our endpoint
 * record).
 */
enum nat_class nat_classify(const struct nat_obs *obs, size_t n, const struct ep18 *local,
			    size_t n_local);

/* "unknown", "none", "endpoint-independent", "per-destination". */
const char *nat_class_name(enum nat_class c);

#endif
