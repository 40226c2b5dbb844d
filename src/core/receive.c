/*
 * The receive decision (see receive.h).  The order is fixed and
 * security-critical; it is the protocol's receive order (docs/protocol.md):
 *   1. size: over-long -> oversized; shorter than 36 -> auth_or_invalid
 *   2. peer selection, then header validation (version, flags, epoch != 0,
 *      a KEEPALIVE exactly 36 bytes): cleartext by key_id; obfuscated by
 *      trial de-masking (the sender's peer first, then a metered full scan
 *      of every peer's receive link key; from a peer's own endpoint, no key
 *      de-masking it is a key mismatch, auth_or_invalid, as a bad tag is in
 *      cleartext mode)
 *   3-6. wire_rx_open (peer_rx_open): stale epoch before crypto, AEAD, then
 *      commit a newer epoch, then anti-replay: no state changes before
 *      authentication
 *   7. the inner packet must be IPv4 with a source inside allowed_src
 *   8. (the caller) learn last-seen and, from the newest datagram, the
 *      endpoint
 *   9. route: local TUN, relay (never back to the sender), or drop
 * Every failure is a silent drop with one result; nothing here sends.
 */
#include "core/receive.h"

#include <stddef.h>

#include "core/bytes/byteorder.h"

enum { IPV4_MIN_HEADER = 20 };

static const size_t result_counter[] = {
	[RX_TUN] = offsetof(struct counters, tun_tx_packets),
	[RX_RELAY] = offsetof(struct counters, relay_packets),
	[RX_KEEPALIVE] = offsetof(struct counters, keepalive_rx),
	[RX_OVERSIZED] = offsetof(struct counters, drop_udp_oversized),
	[RX_AUTH_OR_INVALID] = offsetof(struct counters, drop_udp_auth_or_invalid),
	[RX_UNKNOWN_PEER] = offsetof(struct counters, drop_udp_unknown_peer),
	[RX_SCAN_BUDGET] = offsetof(struct counters, drop_udp_scan_budget),
	[RX_NOT_IPV4] = offsetof(struct counters, drop_udp_not_ipv4),
	[RX_SPOOF] = offsetof(struct counters, drop_udp_spoof),
	[RX_NO_ROUTE] = offsetof(struct counters, drop_udp_no_route),
	[RX_DROP_RULE] = offsetof(struct counters, drop_udp_drop_rule),
	[RX_UNKNOWN_TARGET] = offsetof(struct counters, drop_udp_unknown_target),
	[RX_NO_REFLECT] = offsetof(struct counters, drop_udp_no_reflect),
};
_Static_assert(sizeof(result_counter) / sizeof(result_counter[0]) == RX_NO_REFLECT + 1,
	       "one counter per result");

size_t rx_result_offset(enum rx_result r)
{
	return result_counter[r];
}

const struct counter_desc *rx_result_counter(enum rx_result r)
{
	for (size_t i = 0; i < N_COUNTERS; i++)
		if (counter_descs[i].offset == result_counter[r])
			return &counter_descs[i];
	return NULL; /* not reached: every offset above is a counter */
}

bool rx_learns(enum rx_result r)
{
	switch (r) {
	case RX_TUN:
	case RX_RELAY:
	case RX_KEEPALIVE:
	case RX_NO_ROUTE:
	case RX_DROP_RULE:
	case RX_UNKNOWN_TARGET:
	case RX_NO_REFLECT:
		return true;
	default:
		return false;
	}
}

static void drop(struct rx_decision *out, enum rx_result r, enum rx_why why)
{
	out->result = r;
	out->why = why;
}

/* Why wire_header_check refused h (the same tests, in the same order). */
static enum rx_why header_why(const struct wire_header *h)
{
	if (h->version != WIRE_VERSION)
		return RX_WHY_VERSION;
	if (h->flags & WIRE_FLAGS_RESERVED)
		return RX_WHY_FLAGS;
	if (h->epoch == 0)
		return RX_WHY_EPOCH_ZERO;
	return RX_WHY_KEEPALIVE_BODY;
}

/*
 * Obfuscated mode: the peer whose receive link key de-masks the header; the
 * unmasked header replaces the masked one in buf (the trial's pad, computed
 * once, is the one the de-mask uses).
 */
static struct peer *select_obfuscated(const struct rx_input *in, uint8_t *buf, size_t len,
				      struct rx_decision *out)
{
	struct peer_table *t = in->peers;
	uint8_t hdr[WIRE_HEADER_LEN];
	struct peer *p = NULL;

	if (in->from_id != 0)
		p = peer_find_by_id(t, in->from_id);
	else if (in->from != NULL)
		p = peer_find_by_endpoint(t, in->from);
	if (p != NULL && wire_obfs_trial(buf, len, p->rx_link_key, p->id, hdr))
		goto found;
	/*
	 * A full scan (another peer may have moved to this address) costs one
	 * BLAKE2b per peer, so it is metered per drain to bound the CPU an
	 * attacker can make us burn.
	 */
	if (in->scans_left != NULL && *in->scans_left == 0) {
		if (p != NULL)
			drop(out, RX_AUTH_OR_INVALID, RX_WHY_NO_KEY);
		else
			drop(out, RX_SCAN_BUDGET, RX_WHY_NONE);
		return NULL;
	}
	if (in->scans_left != NULL)
		(*in->scans_left)--;
	for (size_t i = 0; i < t->n; i++) {
		struct peer *q = &t->peers[i];

		if (q != p && wire_obfs_trial(buf, len, q->rx_link_key, q->id, hdr)) {
			p = q;
			goto found;
		}
	}
	if (p != NULL)
		drop(out, RX_AUTH_OR_INVALID, RX_WHY_NO_KEY);
	else
		drop(out, RX_UNKNOWN_PEER, RX_WHY_NONE);
	return NULL;
found:
	wire_obfs_unmask(buf, hdr);
	out->unmasked = true;
	return p;
}

static void route(const struct rx_input *in, struct rx_decision *out)
{
	const struct policy_rule *r = policy_lookup(in->policy, out->inner_src, out->inner_dst);

	out->rule = r;
	if (r == NULL) {
		drop(out, RX_NO_ROUTE, RX_WHY_NONE);
		return;
	}
	if (r->action == POLICY_DROP) {
		drop(out, RX_DROP_RULE, RX_WHY_NONE);
		return;
	}
	if (r->target == POLICY_TARGET_LOCAL) {
		out->result = RX_TUN;
		return;
	}
	if (r->target == out->peer->id) {
		drop(out, RX_NO_REFLECT, RX_WHY_NONE);
		return;
	}
	out->target = peer_find_by_id(in->peers, r->target);
	out->result = out->target != NULL ? RX_RELAY : RX_UNKNOWN_TARGET;
}

void rx_decide(const struct rx_input *in, uint8_t *buf, size_t len, bool trunc,
	       struct rx_decision *out)
{
	const uint8_t *ip = buf + WIRE_HEADER_LEN;
	struct peer *p;

	*out = (struct rx_decision){.result = RX_AUTH_OR_INVALID};
	/* 1. size */
	if (trunc || len > WIRE_MAX_DATAGRAM) {
		drop(out, RX_OVERSIZED, trunc ? RX_WHY_TRUNCATED : RX_WHY_TOO_LONG);
		return;
	}
	if (len < WIRE_MIN_DATAGRAM) {
		drop(out, RX_AUTH_OR_INVALID, RX_WHY_RUNT);
		return;
	}
	/* 2. the sender, then the header */
	if (in->obfuscate) {
		p = select_obfuscated(in, buf, len, out);
		if (p == NULL)
			return;
	} else {
		/* Identity first (normative step 1), then the header (step 2). */
		p = peer_find_by_id(in->peers, (uint16_t)(buf[2] | buf[3] << 8));
		if (p == NULL) {
			drop(out, RX_UNKNOWN_PEER, RX_WHY_NONE);
			return;
		}
	}
	out->peer = p;
	if (!wire_header_check(buf, len, &out->hdr)) {
		drop(out, RX_AUTH_OR_INVALID, header_why(&out->hdr));
		out->have_hdr = true;
		return;
	}
	out->have_hdr = true;
	/* 3-6. epoch, AEAD, epoch commit, anti-replay */
	switch (peer_rx_open(in->peers, p, &out->hdr, buf, len, &out->pt_len)) {
	case WIRE_RX_INVALID:
		drop(out, RX_AUTH_OR_INVALID, RX_WHY_OPEN);
		return;
	case WIRE_RX_KEEPALIVE:
		out->result = RX_KEEPALIVE;
		return;
	case WIRE_RX_DATA:
		break;
	}
	/* 7. the inner packet */
	if (out->pt_len < IPV4_MIN_HEADER || (ip[0] >> 4) != 4) {
		drop(out, RX_NOT_IPV4, RX_WHY_NONE);
		return;
	}
	out->inner_src = load_be32(ip + 12);
	out->inner_dst = load_be32(ip + 16);
	if (!cidr_contains(&p->cfg->allowed_src, out->inner_src)) {
		drop(out, RX_SPOOF, RX_WHY_NONE);
		return;
	}
	/* 9. route (step 8 is the caller's, before acting) */
	route(in, out);
}
