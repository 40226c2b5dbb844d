/*
 * The receive decision for one datagram, written once: bytes, the peer
 * table and the policy in; the result (the counter it moves), the sending
 * peer and the relay target out.  The daemon acts on it
 * (daemon/datapath/rx.c), subnetra-wire-decode explains it
 * (tools/lib/inspect.c), the conformance tool and the fuzzers drive it.
 *
 * Deciding commits the sender's receive session (a newer epoch, the replay
 * window: wire.h), since a replay is decided by that state.  Nothing else
 * changes: learning the endpoint and last-seen (they need the socket and
 * the clock) and delivering or relaying are the caller's.
 */
#ifndef SUBNETRA_CORE_RECEIVE_H
#define SUBNETRA_CORE_RECEIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/cidr.h"
#include "core/counters.h"
#include "core/peer.h"
#include "core/policy.h"
#include "core/wire.h"

/* What happens to the datagram: one per counter it moves. */
enum rx_result {
	RX_TUN,             /* deliver the inner packet to the local TUN (tun_tx) */
	RX_RELAY,           /* re-seal it for target (relay) */
	RX_KEEPALIVE,       /* keepalive_rx */
	RX_OVERSIZED,       /* drop_udp_oversized */
	RX_AUTH_OR_INVALID, /* drop_udp_auth_or_invalid: why says which check */
	RX_UNKNOWN_PEER,    /* drop_udp_unknown_peer */
	RX_SCAN_BUDGET,     /* drop_udp_scan_budget */
	RX_NOT_IPV4,        /* drop_udp_not_ipv4 */
	RX_SPOOF,           /* drop_udp_spoof */
	RX_NO_ROUTE,        /* drop_udp_no_route */
	RX_DROP_RULE,       /* drop_udp_drop_rule */
	RX_UNKNOWN_TARGET,  /* drop_udp_unknown_target */
	RX_NO_REFLECT,      /* drop_udp_no_reflect */
};

/* Which check an RX_AUTH_OR_INVALID (or RX_OVERSIZED) failed. */
enum rx_why {
	RX_WHY_NONE,
	RX_WHY_TRUNCATED,      /* longer than the receive slot */
	RX_WHY_TOO_LONG,       /* longer than WIRE_MAX_DATAGRAM */
	RX_WHY_RUNT,           /* shorter than WIRE_MIN_DATAGRAM */
	RX_WHY_VERSION,
	RX_WHY_FLAGS,          /* a reserved flag bit */
	RX_WHY_EPOCH_ZERO,
	RX_WHY_KEEPALIVE_BODY, /* KEEPALIVE with a body */
	RX_WHY_NO_KEY,         /* obfuscated, from a peer's endpoint: no key de-masks it */
	RX_WHY_OPEN,           /* stale epoch, AEAD failure or replay (wire_rx_open) */
};

struct rx_input {
	struct peer_table *peers;
	const struct policy_table *policy;
	bool obfuscate;
	/*
	 * Obfuscated mode only: the sender's address (its peer is tried
	 * first), or from_id != 0 naming that peer directly; neither: every
	 * key is tried.
	 */
	const struct endpoint4 *from;
	uint32_t from_id;
	/* Full scans of every peer's key left for this drain; NULL: no limit. */
	unsigned *scans_left;
};

struct rx_decision {
	enum rx_result result;
	enum rx_why why;
	struct peer *peer;      /* the selected sender; NULL before selection */
	bool have_hdr;          /* hdr holds the header as checked (unmasked) */
	bool unmasked;          /* a link key de-masked it (obfuscated mode) */
	struct wire_header hdr;
	/* After authentication: the inner packet at buf + WIRE_HEADER_LEN. */
	size_t pt_len;
	uint32_t inner_src, inner_dst; /* valid from RX_SPOOF on */
	const struct policy_rule *rule; /* the rule that decided, from RX_DROP_RULE on */
	struct peer *target;            /* RX_RELAY */
};

/*
 * Decide for buf[0..len) (trunc: the kernel cut it short).  buf must have
 * room for a whole datagram (WIRE_MAX_DATAGRAM): it is de-masked and
 * decrypted in place.
 */
void rx_decide(const struct rx_input *in, uint8_t *buf, size_t len, bool trunc,
	       struct rx_decision *out);

/* The counter a result moves: its place in struct counters, and its name. */
size_t rx_result_offset(enum rx_result r);
const struct counter_desc *rx_result_counter(enum rx_result r);

/*
 * Did the datagram authenticate and pass the inner checks, so that its
 * sender's address and time are learned (step 8)?  Keepalives and every
 * result of the routing step.
 */
bool rx_learns(enum rx_result r);

#endif
