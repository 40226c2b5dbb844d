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

/*
 * Obfuscated mode: the trial over every peer, or only from_id's.  On success
 * hdr holds the unmasked header for wire_obfs_unmask, as in rx.c.
 */
static struct peer *select_obfuscated(struct inspect *ix, const uint8_t *d, size_t len,
				      uint32_t from_id, struct inspect_result *res,
				      uint8_t hdr[WIRE_HEADER_LEN])
{
	/* --from-id stands for "sent from that peer's endpoint", as rx.c sees it. */
	struct peer *p = from_id != 0 ? peer_find_by_id(&ix->peers, from_id) : NULL;

	if (p != NULL && wire_obfs_trial(d, len, p->rx_link_key, p->id, hdr))
		return p;
	for (size_t i = 0; i < ix->peers.n; i++) {
		struct peer *q = &ix->peers.peers[i];

		if (q != p && wire_obfs_trial(d, len, q->rx_link_key, q->id, hdr))
			return q;
	}
	if (p != NULL)
		verdict(res, "drop_udp_auth_or_invalid",
			"from peer %" PRIu32 ", but no peer's link key de-masks the header: "
			"a key mismatch",
			from_id);
	else
		verdict(res, "drop_udp_unknown_peer",
			"no peer's link key de-masks the header (%zu peer%s tried)",
			ix->peers.n, ix->peers.n == 1 ? "" : "s");
	/* A readable cleartext header means the two ends disagree on "obfuscate". */
	if (res->raw.version == WIRE_VERSION &&
	    peer_find_by_id(&ix->peers, res->raw.key_id))
		hint(
		    res,
		    "the header reads in the clear (key_id %u is a peer): the sender has "
		    "obfuscate off, this config has it on",
		    res->raw.key_id);
	else
		hint(res, "wrong psk or ids, sealed for another node, or not a subnetra "
			  "datagram");
	return NULL;
}

/* The inner IPv4 header summary; false if the packet is not IPv4. */
static bool inner_summary(const uint8_t *ip, size_t pt_len, struct inspect_inner *in)
{
	if (pt_len < IPV4_MIN_HEADER || (ip[0] >> 4) != 4)
		return false;
	in->src = (uint32_t)ip[12] << 24 | (uint32_t)ip[13] << 16 |
		  (uint32_t)ip[14] << 8 | ip[15];
	in->dst = (uint32_t)ip[16] << 24 | (uint32_t)ip[17] << 16 |
		  (uint32_t)ip[18] << 8 | ip[19];
	in->proto = ip[9];
	in->total_len = (uint16_t)(ip[2] << 8 | ip[3]);
	in->pt_len = pt_len;
	return true;
}

static void inner_packet(struct inspect *ix, struct peer *p, const uint8_t *ip,
			 size_t pt_len, struct inspect_result *res)
{
	const struct policy_rule *r;
	char a[IPV4_STR_MAX], c[CIDR_STR_MAX];
	struct inspect_inner *in = &res->inner;

	if (!inner_summary(ip, pt_len, in)) {
		verdict(res, "drop_udp_not_ipv4",
			"the inner packet is not IPv4 (%zu bytes, version nibble %u)",
			pt_len, pt_len ? (unsigned)(ip[0] >> 4) : 0u);
		return;
	}
	res->have_inner = true;

	if (!cidr_contains(&p->cfg->allowed_src, in->src)) {
		ipv4_format(in->src, a);
		cidr_format(&p->cfg->allowed_src, c);
		verdict(res, "drop_udp_spoof",
			"inner source %s is outside peer %u's allowed_src %s", a, p->id,
			c);
		return;
	}

	r = policy_lookup(policy_active(&ix->policy), in->src, in->dst);
	ipv4_format(in->dst, a);
	if (r == NULL) {
		verdict(res, "drop_udp_no_route", "no policy rule matches %s", a);
		return;
	}
	res->have_rule = true;
	res->rule = *r;
	if (r->action == POLICY_DROP) {
		verdict(res, "drop_udp_drop_rule", "a drop rule matches %s", a);
	} else if (r->target == POLICY_TARGET_LOCAL) {
		verdict(res, "tun_tx_packets", "delivered to the local TUN");
	} else if (r->target == p->id) {
		verdict(res, "drop_udp_no_reflect",
			"the rule for %s points back at the sender (peer %u)", a, p->id);
	} else if (peer_find_by_id(&ix->peers, r->target) == NULL) {
		verdict(res, "drop_udp_unknown_target",
			"the rule for %s targets %" PRIu32 ", which is not a peer", a,
			r->target);
	} else {
		verdict(res, "relay_packets", "relayed to peer %" PRIu32, r->target);
	}
}

void inspect_datagram(struct inspect *ix, const uint8_t *dgram, size_t len,
		      uint32_t from_id, struct inspect_result *res)
{
	uint8_t buf[WIRE_MAX_DATAGRAM], unmasked[WIRE_HEADER_LEN];
	struct wire_rx_session s;
	struct peer *p = NULL;
	size_t pt_len = 0;

	memset(res, 0, sizeof(*res));
	memset(&s, 0, sizeof(s));
	res->len = len;
	if (len >= WIRE_HEADER_LEN) {
		wire_header_decode(&res->raw, dgram);
		res->have_raw = true;
	}
	res->evaluated = ix != NULL;
	res->obfuscated = ix != NULL && ix->cfg->obfuscate;

	/* 1. size */
	if (len > WIRE_MAX_DATAGRAM) {
		verdict(res, "drop_udp_oversized",
			"%zu bytes; the largest v1 datagram is %d", len,
			WIRE_MAX_DATAGRAM);
		return;
	}
	if (len < WIRE_MIN_DATAGRAM) {
		verdict(res, "drop_udp_auth_or_invalid",
			"too short: %zu bytes; the smallest v1 datagram is %d (20 header "
			"+ 16 tag)",
			len, WIRE_MIN_DATAGRAM);
		return;
	}
	memcpy(buf, dgram, len);

	if (ix == NULL) {
		/* Header check only; the verdict needs keys. */
		if (wire_header_check(buf, len, &res->hdr)) {
			res->have_hdr = true;
			res->counter = NULL;
			snprintf(res->reason, sizeof res->reason,
				 "header is well-formed; acceptance needs the receiver's "
				 "config");
		} else {
			header_problem(res, &res->raw);
			hint(res, "if the sender obfuscates headers (the default), these "
				  "fields are "
				  "masked: pass --config");
		}
		goto out;
	}

	/* 2. peer selection, then the header check */
	if (ix->cfg->obfuscate) {
		p = select_obfuscated(ix, buf, len, from_id, res, unmasked);
		if (p == NULL)
			goto out;
		wire_obfs_unmask(buf, unmasked);
		res->unmasked = true;
		wire_header_decode(&res->hdr, buf);
		res->have_hdr = true;
		res->peer = p->cfg;
		if (!wire_header_check(buf, len, &res->hdr)) {
			header_problem(res, &res->hdr);
			goto out;
		}
	} else {
		/* Identity first (key_id), then the header, as rx.c does. */
		wire_header_decode(&res->hdr, buf);
		res->have_hdr = true;
		p = peer_find_by_id(&ix->peers, res->hdr.key_id);
		if (p == NULL) {
			verdict(res, "drop_udp_unknown_peer",
				"key_id %u is not a peer of local_id %" PRIu32,
				res->hdr.key_id, ix->cfg->local_id);
			hint_if_masked(ix, dgram, len, res);
			goto out;
		}
		if (!wire_header_check(buf, len, &res->hdr)) {
			res->peer = p->cfg;
			header_problem(res, &res->hdr);
			hint_if_masked(ix, dgram, len, res);
			goto out;
		}
		res->peer = p->cfg;
		if (from_id != 0 && from_id != p->id)
			hint(res,
			     "key_id %u selects peer %u, not --from-id %" PRIu32
			     " (without obfuscation the daemon selects by key_id)",
			     res->hdr.key_id, p->id, from_id);
	}

	/* 3-6. stale epoch, AEAD, epoch commit, anti-replay: a fresh session */
	switch (wire_rx_open(&s, p->rx_link_key, &res->hdr, buf, len, &pt_len)) {
	case WIRE_RX_INVALID:
		verdict(res, "drop_udp_auth_or_invalid",
			"AEAD failure: the tag does not verify with the key of link %u "
			"-> %" PRIu32 " at epoch %" PRIu64,
			p->id, ix->cfg->local_id, res->hdr.epoch);
		if (res->hint[0] == '\0')
			hint(res,
			     "wrong psk, the datagram was altered, or it was sealed for "
			     "another node");
		goto out;
	case WIRE_RX_KEEPALIVE:
		verdict(res, "keepalive_rx", "authenticated keepalive from peer %u",
			p->id);
		goto out;
	case WIRE_RX_DATA:
		break;
	}
	/* 7-9. inner packet, source check, route */
	inner_packet(ix, p, buf + WIRE_HEADER_LEN, pt_len, res);
out:
	sodium_memzero(buf, sizeof buf);
	wire_rx_session_wipe(&s);
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
