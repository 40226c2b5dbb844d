/*
 * What kind of NAT this node is behind (docs/mesh.md "Why a peer stays
 * relayed"; the rule is core/mesh/natclass.h).  Observations: the source
 * each base saw (REGISTER_OK, PONG; over UDP only) and the source its NAT
 * probe port saw: after every such answer from a base, the node sends the
 * same session's PING to the base's probe_port too, and compares the two.
 * With two bases, their observations are compared as well.
 *
 * The class goes into our endpoint record (bit 0 of nat_flags when it is
 * per-destination), which is signed again and registered with every base
 * when that bit changes, so that a peer can say why it stays relayed.
 */
#ifndef SUBNETRA_DAEMON_MESH_NAT_H
#define SUBNETRA_DAEMON_MESH_NAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "core/mesh/basectl.h"
#include "core/mesh/natclass.h"
#include "os/linux/udp.h"

struct mesh_node;
struct mesh_peer;

/* An observation counts this long after it was made. */
#define MESH_NAT_FRESH_NS (90 * UINT64_C(1000000000))

struct mesh_nat_link {
	struct ep18 seen_main, seen_probe; /* port 0: none */
	uint64_t main_ns, probe_ns;	   /* when each was seen */
	bool probe_out;
	uint8_t txid[BASECTL_TXID_LEN]; /* of the probe PING out */
};

struct mesh_nat {
	struct mesh_nat_link link[MESH_MAX_BASES];
	uint8_t cls; /* enum nat_class */
};

/* Base i answered over UDP (REGISTER_OK or PONG; its observed is set): note
 * it and send the probe PING to its probe_port. */
void mesh_nat_observed(struct mesh_node *n, size_t i, uint64_t now_ns);
/* A PONG from base i: true when it answered our probe (then it is used up). */
bool mesh_nat_pong(struct mesh_node *n, size_t i, const struct basectl *m, uint64_t now_ns);
/* Did this datagram of base peer p come from its probe port?  (Not its
 * endpoint: the session stays on the base's UDP port.) */
bool mesh_nat_probe_source(const struct mesh_node *n, const struct mesh_peer *p,
			   const union udp_addr *from);
/* Our class now. */
enum nat_class mesh_nat_class(const struct mesh_node *n);

#endif
