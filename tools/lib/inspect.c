/*
 * Offline receive decision (see inspect.h).  The steps and their order are
 * those of rx_datagram() in src/rx.c; each one calls the module the daemon
 * calls (wire, peer, policy, cidr) and only adds the words that explain it.
 * tests/unit/test_tools_inspect.c checks the counters against rx_datagram.
 */
#include "tools/lib/inspect.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/bytes/byteorder.h"
#include "core/receive.h"
#include "core/roles.h"
#include "os/linux/safefile.h"
#include "os/linux/policy_file.h"

enum { IPV4_MIN_HEADER = 20 };

int inspect_init(struct inspect *ix, const struct config *cfg)
{
	ix->cfg = cfg;
	peer_table_init(&ix->peers, cfg, WIRE_MIN_EPOCH);
	policy_init(&ix->policy);
	return roles_derive_policy(cfg, &ix->policy) < 0 ? -ENOSPC : 0;
}

int inspect_load_policy(struct inspect *ix, const char *path, char *err, size_t errcap)
{
	uint8_t stamp[CONFIG_DIGEST_LEN];
	char dir[PATH_MAX];
	const char *base;
	int dirfd, rc;

	rc = safefile_split(path, dir, sizeof(dir), &base);
	if (rc < 0) {
		snprintf(err, errcap, "%s: %s", path, strerror(-rc));
		return rc;
	}
	/* The user named this path: its directories are followed as given. */
	dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0) {
		rc = -errno;
		snprintf(err, errcap, "%s: %s", dir, strerror(-rc));
		return rc;
	}
	/* As the daemon would: this config's stamp; root's file or the caller's own. */
	config_digest(ix->cfg, stamp);
	rc = policy_load(&ix->policy, dirfd, path, stamp, geteuid(), err, errcap);
	close(dirfd);
	return rc;
}

void inspect_wipe(struct inspect *ix)
{
	peer_table_wipe(&ix->peers);
}

void inspect_flags_format(uint8_t flags, char *buf, size_t cap)
{
	const char *base = flags & WIRE_FLAG_KEEPALIVE ? "KEEPALIVE" : "data";

	if (flags & WIRE_FLAGS_RESERVED)
		snprintf(buf, cap, "%s, reserved bits 0x%02x set", base,
			 (unsigned)(flags & WIRE_FLAGS_RESERVED));
	else
		snprintf(buf, cap, "%s", base);
}

__attribute__((format(printf, 3, 4))) static void
verdict(struct inspect_result *res, const char *counter, const char *fmt, ...)
{
	va_list ap;

	res->counter = counter;
	res->accepted = strcmp(counter, "tun_tx_packets") == 0 ||
			strcmp(counter, "relay_packets") == 0 ||
			strcmp(counter, "keepalive_rx") == 0;
	va_start(ap, fmt);
	vsnprintf(res->reason, sizeof res->reason, fmt, ap);
	va_end(ap);
}

__attribute__((format(printf, 2, 3))) static void hint(struct inspect_result *res,
						       const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(res->hint, sizeof res->hint, fmt, ap);
	va_end(ap);
}

/* Why wire_header_check() refused h (same tests, same order). */
static void header_problem(struct inspect_result *res, const struct wire_header *h)
{
	char flags[64];

	if (h->version != WIRE_VERSION) {
		verdict(res, "drop_udp_auth_or_invalid",
			"bad header: version %u (only %d exists)", h->version,
			WIRE_VERSION);
	} else if (h->flags & WIRE_FLAGS_RESERVED) {
		inspect_flags_format(h->flags, flags, sizeof flags);
		verdict(res, "drop_udp_auth_or_invalid",
			"bad header: flags 0x%02x (%s); v1 defines only KEEPALIVE (0x01)",
			h->flags, flags);
	} else if (h->epoch == 0) {
		verdict(res, "drop_udp_auth_or_invalid",
			"bad header: epoch 0 (never valid)");
	} else {
		verdict(res, "drop_udp_auth_or_invalid",
			"bad header: KEEPALIVE flag on a datagram with a body (a keepalive "
			"is exactly %d bytes)", WIRE_MIN_DATAGRAM);
	}
}

/* Cleartext mode: if some peer's link key de-masks the header, the sender obfuscates. */
static void hint_if_masked(struct inspect *ix, const uint8_t *d, size_t len,
			   struct inspect_result *res)
{
	uint8_t out[WIRE_HEADER_LEN];

	for (size_t i = 0; i < ix->peers.n; i++) {
		if (wire_obfs_trial(d, len, ix->peers.peers[i].rx_link_key,
				    ix->peers.peers[i].id, out)) {
			hint(res,
			     "the header is masked with peer %u's link key: the sender "
			     "has obfuscate on, this config has it off",
			     ix->peers.peers[i].id);
			return;
		}
	}
}

/* The inner IPv4 header summary; false if the packet is not IPv4. */
static bool inner_summary(const uint8_t *ip, size_t pt_len, struct inspect_inner *in)
{
	if (pt_len < IPV4_MIN_HEADER || (ip[0] >> 4) != 4)
		return false;
	in->src = load_be32(ip + 12);
	in->dst = load_be32(ip + 16);
	in->proto = ip[9];
	in->total_len = load_be16(ip + 2);
	in->pt_len = pt_len;
	return true;
}

/* A fresh receive session for every peer: each datagram is judged alone. */
static void fresh_sessions(struct inspect *ix)
{
	for (size_t i = 0; i < ix->peers.n; i++) {
		struct wire_rx_session *s = &ix->peers.peers[i].rx;

		wire_rx_session_wipe(s);
		s->cur_epoch = 0;
		replay_reset(&s->window);
	}
}

/* Header check only (no config): the verdict needs keys. */
static void header_only(const uint8_t *dgram, size_t len, struct inspect_result *res)
{
	if (wire_header_check(dgram, len, &res->hdr)) {
		res->have_hdr = true;
		res->counter = NULL;
		snprintf(res->reason, sizeof res->reason,
			 "header is well-formed; acceptance needs the receiver's config");
	} else {
		header_problem(res, &res->raw);
		hint(res, "if the sender obfuscates headers (the default), these fields are "
			  "masked: pass --config");
	}
}

/* The words for an obfuscated datagram that no link key de-masks. */
static void explain_unmasked(struct inspect *ix, const struct rx_decision *r, uint32_t from_id,
			     struct inspect_result *res)
{
	if (r->result == RX_AUTH_OR_INVALID)
		verdict(res, "drop_udp_auth_or_invalid",
			"from peer %" PRIu32 ", but no peer's link key de-masks the header: "
			"a key mismatch",
			from_id);
	else
		verdict(res, "drop_udp_unknown_peer",
			"no peer's link key de-masks the header (%zu peer%s tried)",
			ix->peers.n, ix->peers.n == 1 ? "" : "s");
	/* A readable cleartext header means the two ends disagree on "obfuscate". */
	if (res->raw.version == WIRE_VERSION && peer_find_by_id(&ix->peers, res->raw.key_id))
		hint(res,
		     "the header reads in the clear (key_id %u is a peer): the sender has "
		     "obfuscate off, this config has it on",
		     res->raw.key_id);
	else
		hint(res, "wrong psk or ids, sealed for another node, or not a subnetra "
			  "datagram");
}

/* The words for a datagram that authenticated: its inner packet and route. */
static void explain_inner(const struct rx_decision *r, const uint8_t *ip,
			  struct inspect_result *res)
{
	const struct peer *p = r->peer;
	char a[IPV4_STR_MAX], c[CIDR_STR_MAX];

	if (r->result == RX_NOT_IPV4) {
		verdict(res, "drop_udp_not_ipv4",
			"the inner packet is not IPv4 (%zu bytes, version nibble %u)",
			r->pt_len, r->pt_len ? (unsigned)(ip[0] >> 4) : 0u);
		return;
	}
	res->have_inner = inner_summary(ip, r->pt_len, &res->inner);
	if (r->result == RX_SPOOF) {
		ipv4_format(r->inner_src, a);
		cidr_format(&p->cfg->allowed_src, c);
		verdict(res, "drop_udp_spoof", "inner source %s is outside peer %u's allowed_src %s",
			a, p->id, c);
		return;
	}
	ipv4_format(r->inner_dst, a);
	if (r->rule == NULL) {
		verdict(res, "drop_udp_no_route", "no policy rule matches %s", a);
		return;
	}
	res->have_rule = true;
	res->rule = *r->rule;
	switch (r->result) {
	case RX_DROP_RULE:
		verdict(res, "drop_udp_drop_rule", "a drop rule matches %s", a);
		break;
	case RX_TUN:
		verdict(res, "tun_tx_packets", "delivered to the local TUN");
		break;
	case RX_NO_REFLECT:
		verdict(res, "drop_udp_no_reflect",
			"the rule for %s points back at the sender (peer %u)", a, p->id);
		break;
	case RX_UNKNOWN_TARGET:
		verdict(res, "drop_udp_unknown_target",
			"the rule for %s targets %" PRIu32 ", which is not a peer", a,
			r->rule->target);
		break;
	default:
		verdict(res, "relay_packets", "relayed to peer %" PRIu32, r->rule->target);
		break;
	}
}

void inspect_datagram(struct inspect *ix, const uint8_t *dgram, size_t len,
		      uint32_t from_id, struct inspect_result *res)
{
	uint8_t buf[WIRE_MAX_DATAGRAM];
	struct rx_input in;
	struct rx_decision r;

	memset(res, 0, sizeof(*res));
	res->len = len;
	if (len >= WIRE_HEADER_LEN) {
		wire_header_decode(&res->raw, dgram);
		res->have_raw = true;
	}
	res->evaluated = ix != NULL;
	res->obfuscated = ix != NULL && ix->cfg->obfuscate;

	/* 1. size: the daemon's first step, with or without a config */
	if (len > WIRE_MAX_DATAGRAM) {
		verdict(res, "drop_udp_oversized", "%zu bytes; the largest v1 datagram is %d",
			len, WIRE_MAX_DATAGRAM);
		return;
	}
	if (len < WIRE_MIN_DATAGRAM) {
		verdict(res, "drop_udp_auth_or_invalid",
			"too short: %zu bytes; the smallest v1 datagram is %d (20 header "
			"+ 16 tag)",
			len, WIRE_MIN_DATAGRAM);
		return;
	}
	if (ix == NULL) {
		header_only(dgram, len, res);
		return;
	}

	/* 2-9: the daemon's own decision (core/receive.c), on a fresh session */
	memcpy(buf, dgram, len);
	fresh_sessions(ix);
	in = (struct rx_input){
	    .peers = &ix->peers,
	    .policy = policy_active(&ix->policy),
	    .obfuscate = ix->cfg->obfuscate,
	    /* --from-id stands for "sent from that peer's endpoint". */
	    .from_id = from_id,
	};
	rx_decide(&in, buf, len, false, &r);
	res->unmasked = r.unmasked;
	res->peer = r.peer != NULL ? r.peer->cfg : NULL;
	if (r.have_hdr) {
		res->hdr = r.hdr;
		res->have_hdr = true;
	} else if (!ix->cfg->obfuscate) {
		res->hdr = res->raw; /* cleartext: the header as it came */
		res->have_hdr = true;
	}

	if (r.peer == NULL) {
		if (ix->cfg->obfuscate) {
			explain_unmasked(ix, &r, from_id, res);
		} else {
			verdict(res, "drop_udp_unknown_peer",
				"key_id %u is not a peer of local_id %" PRIu32, res->hdr.key_id,
				ix->cfg->local_id);
			hint_if_masked(ix, dgram, len, res);
		}
		goto out;
	}
	if (!ix->cfg->obfuscate && from_id != 0 && from_id != r.peer->id)
		hint(res,
		     "key_id %u selects peer %u, not --from-id %" PRIu32
		     " (without obfuscation the daemon selects by key_id)",
		     res->hdr.key_id, r.peer->id, from_id);
	if (r.result == RX_AUTH_OR_INVALID && r.why != RX_WHY_OPEN) {
		header_problem(res, &res->hdr);
		if (!ix->cfg->obfuscate)
			hint_if_masked(ix, dgram, len, res);
		goto out;
	}
	switch (r.result) {
	case RX_AUTH_OR_INVALID:
		/* A fresh session refuses no epoch and no replay: the tag. */
		verdict(res, "drop_udp_auth_or_invalid",
			"AEAD failure: the tag does not verify with the key of link %u "
			"-> %" PRIu32 " at epoch %" PRIu64,
			r.peer->id, ix->cfg->local_id, res->hdr.epoch);
		if (res->hint[0] == '\0')
			hint(res, "wrong psk, the datagram was altered, or it was sealed for "
				  "another node");
		break;
	case RX_KEEPALIVE:
		verdict(res, "keepalive_rx", "authenticated keepalive from peer %u", r.peer->id);
		break;
	default:
		explain_inner(&r, buf + WIRE_HEADER_LEN, res);
		break;
	}
out:
	sodium_memzero(buf, sizeof buf);
	fresh_sessions(ix);
}

bool inspect_outgoing(struct inspect *ix, const uint8_t *dgram, size_t len,
		      struct inspect_result *res)
{
	uint16_t self = (uint16_t)ix->cfg->local_id;
	uint8_t buf[WIRE_MAX_DATAGRAM], unmasked[WIRE_HEADER_LEN];
	struct peer *found = NULL;
	struct wire_header h;
	wire_key key;

	if (len < WIRE_MIN_DATAGRAM || len > WIRE_MAX_DATAGRAM)
		return false;
	/* One trial per peer, as a receiver without the endpoint hint would do. */
	for (size_t i = 0; i < ix->peers.n && found == NULL; i++) {
		struct peer *p = &ix->peers.peers[i];

		memcpy(buf, dgram, len);
		if (ix->cfg->obfuscate) {
			if (!wire_obfs_trial(buf, len, p->tx_link_key, self, unmasked))
				continue;
			wire_obfs_unmask(buf, unmasked);
		}
		if (!wire_header_check(buf, len, &h) || h.key_id != self)
			continue;
		wire_session_key(key, p->tx_link_key, h.epoch);
		if (wire_rx_decrypt(key, &h, buf, len))
			found = p;
	}
	sodium_memzero(key, sizeof key);
	if (found != NULL) {
		size_t raw_len = res->len;
		bool have_raw = res->have_raw;
		struct wire_header raw = res->raw;

		memset(res, 0, sizeof(*res));
		res->len = raw_len;
		res->have_raw = have_raw;
		res->raw = raw;
		res->evaluated = true;
		res->obfuscated = ix->cfg->obfuscate;
		res->unmasked = ix->cfg->obfuscate;
		res->outgoing = true;
		res->hdr = h;
		res->have_hdr = true;
		res->peer = found->cfg;
		res->have_inner = len > WIRE_MIN_DATAGRAM &&
				  inner_summary(buf + WIRE_HEADER_LEN, len - WIRE_MIN_DATAGRAM,
						&res->inner);
		snprintf(res->reason, sizeof res->reason,
			 "sealed by this node (local_id %u) for peer %u: outgoing, not a "
			 "receive decision",
			 (unsigned)self, found->id);
	}
	sodium_memzero(buf, sizeof buf);
	return found != NULL;
}
