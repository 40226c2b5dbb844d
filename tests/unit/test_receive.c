/*
 * The receive decision (core/receive.c), table-driven: one datagram built
 * for each result and each reason a datagram is refused, in cleartext and
 * obfuscated mode, on a hub whose policy reaches every routing branch; the
 * session state a decision commits (replay) and the one it must not
 * (anything before authentication); the obfuscation scan budget; the
 * counter each result names.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "core/config.h"
#include "core/peer.h"
#include "core/policy.h"
#include "core/receive.h"
#include "core/roles.h"
#include "core/wire.h"

#define IP4(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))

static const uint64_t EPOCH = UINT64_C(1767225600000000000);

static struct config cfg;
static struct peer_table peers;
static struct policy pol;

/* A hub (id 1) with spokes 2 and 3, each owning 10.0.0.<id>/32. */
static void hub_setup(bool obfuscate)
{
	static const struct policy_rule extra[] = {
	    {.dst = {IP4(10, 0, 0, 98), 32}, .action = POLICY_DROP},
	    {.dst = {IP4(10, 0, 0, 77), 32}, .action = POLICY_FORWARD, .target = 77},
	    {.dst = {IP4(10, 0, 0, 1), 32}, .action = POLICY_FORWARD, .target = 0},
	};

	memset(&cfg, 0, sizeof(cfg));
	cfg.role = ROLE_HUB;
	cfg.local_id = 1;
	cfg.obfuscate = obfuscate;
	cfg.virtual_subnet = (struct cidr){IP4(10, 0, 0, 0), 24};
	cfg.n_peers = 2;
	for (uint32_t i = 0; i < 2; i++) {
		cfg.peers[i].id = 2 + i;
		cfg.peers[i].endpoint = (struct endpoint4){IP4(203, 0, 113, 2 + i), 18020};
		cfg.peers[i].allowed_src = (struct cidr){IP4(10, 0, 0, 2 + i), 32};
		memset(cfg.peers[i].psk, (int)(0x20 + i), WIRE_PSK_LEN);
	}
	peer_table_init(&peers, &cfg, EPOCH);
	policy_init(&pol);
	assert_int_equal(roles_derive_policy(&cfg, &pol), 0);
	for (size_t i = 0; i < sizeof(extra) / sizeof(extra[0]); i++)
		assert_int_equal(policy_add(&pol, &extra[i]), 0);
}

/* A datagram from spoke `from` (2 or 3) carrying an IPv4 packet src -> dst. */
static size_t sealed(uint8_t *buf, uint32_t from, uint64_t seq, uint32_t src, uint32_t dst,
		     size_t pt_len)
{
	const struct peer_config *pc = &cfg.peers[from - 2];
	wire_key link, session;
	uint8_t *ip = buf + WIRE_HEADER_LEN;
	size_t len;

	memset(ip, 0, pt_len);
	if (pt_len >= 20) {
		ip[0] = 0x45;
		for (int k = 0; k < 4; k++) {
			ip[12 + k] = (uint8_t)(src >> (24 - 8 * k));
			ip[16 + k] = (uint8_t)(dst >> (24 - 8 * k));
		}
	}
	wire_link_key(link, pc->psk, from, cfg.local_id);
	wire_session_key(session, link, EPOCH);
	len = wire_seal(buf, pt_len, session, (uint16_t)from, EPOCH, seq);
	if (cfg.obfuscate)
		wire_obfs_apply(buf, len, link);
	return len;
}

static void decide(uint8_t *buf, size_t len, const struct endpoint4 *from, unsigned *scans,
		   struct rx_decision *r)
{
	struct rx_input in = {
	    .peers = &peers,
	    .policy = policy_active(&pol),
	    .obfuscate = cfg.obfuscate,
	    .from = from,
	    .scans_left = scans,
	};

	rx_decide(&in, buf, len, false, r);
}

#define EXPECT(r, res, why_)                                                               \
	do {                                                                               \
		if ((r).result != (res) || (r).why != (why_))                              \
			fail_msg("result %d why %d, want %d %d", (int)(r).result,          \
				 (int)(r).why, (int)(res), (int)(why_));                   \
	} while (0)

static void test_cleartext_every_result(void **state)
{
	uint8_t buf[WIRE_MAX_DATAGRAM + 16];
	const uint32_t a = IP4(10, 0, 0, 2);
	struct rx_decision r;
	size_t len;

	(void)state;
	hub_setup(false);
	memset(buf, 0, sizeof(buf));
	decide(buf, WIRE_MAX_DATAGRAM + 1, NULL, NULL, &r);
	EXPECT(r, RX_OVERSIZED, RX_WHY_TOO_LONG);
	decide(buf, WIRE_MIN_DATAGRAM - 1, NULL, NULL, &r);
	EXPECT(r, RX_AUTH_OR_INVALID, RX_WHY_RUNT);

	len = sealed(buf, 2, 1, a, IP4(10, 0, 0, 3), 84);
	buf[2] = 9; /* key_id 9: no such peer */
	decide(buf, len, NULL, NULL, &r);
	EXPECT(r, RX_UNKNOWN_PEER, RX_WHY_NONE);
	assert_null(r.peer);

	struct {
		int byte;
		uint8_t value;
		enum rx_why why;
	} header[] = {{0, 2, RX_WHY_VERSION}, {1, 0x04, RX_WHY_FLAGS},
		      {1, 0x01, RX_WHY_KEEPALIVE_BODY}};
	for (size_t i = 0; i < sizeof(header) / sizeof(header[0]); i++) {
		len = sealed(buf, 2, 1, a, IP4(10, 0, 0, 3), 84);
		buf[header[i].byte] = header[i].value;
		decide(buf, len, NULL, NULL, &r);
		EXPECT(r, RX_AUTH_OR_INVALID, header[i].why);
		assert_int_equal(r.peer->id, 2);
	}
	len = sealed(buf, 2, 1, a, IP4(10, 0, 0, 3), 84);
	memset(buf + 4, 0, 8); /* epoch 0 */
	decide(buf, len, NULL, NULL, &r);
	EXPECT(r, RX_AUTH_OR_INVALID, RX_WHY_EPOCH_ZERO);
	/* Nothing before authentication touched the session. */
	assert_true(peers.peers[0].rx.cur_epoch == 0);

	len = sealed(buf, 2, 1, a, IP4(10, 0, 0, 3), 84);
	buf[len - 1] ^= 1;
	decide(buf, len, NULL, NULL, &r);
	EXPECT(r, RX_AUTH_OR_INVALID, RX_WHY_OPEN);
	assert_true(peers.peers[0].rx.cur_epoch == 0);

	len = sealed(buf, 2, 2, 0, 0, 0);
	decide(buf, len, NULL, NULL, &r);
	EXPECT(r, RX_KEEPALIVE, RX_WHY_NONE);
	assert_true(rx_learns(r.result));
	assert_true(peers.peers[0].rx.cur_epoch == EPOCH);

	/* One byte of plaintext (0x00): not an IPv4 packet. */
	len = sealed(buf, 2, 3, 0, 0, 1);
	decide(buf, len, NULL, NULL, &r);
	EXPECT(r, RX_NOT_IPV4, RX_WHY_NONE);
	assert_false(rx_learns(r.result));

	len = sealed(buf, 2, 4, IP4(10, 0, 0, 3), IP4(10, 0, 0, 1), 84);
	decide(buf, len, NULL, NULL, &r);
	EXPECT(r, RX_SPOOF, RX_WHY_NONE);
	assert_false(rx_learns(r.result));

	struct {
		uint32_t dst;
		enum rx_result result;
	} routes[] = {
	    {IP4(10, 0, 0, 9), RX_NO_ROUTE},	   {IP4(10, 0, 0, 98), RX_DROP_RULE},
	    {IP4(10, 0, 0, 77), RX_UNKNOWN_TARGET}, {IP4(10, 0, 0, 2), RX_NO_REFLECT},
	    {IP4(10, 0, 0, 1), RX_TUN},		   {IP4(10, 0, 0, 3), RX_RELAY},
	};
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		len = sealed(buf, 2, 10 + i, a, routes[i].dst, 84);
		decide(buf, len, NULL, NULL, &r);
		EXPECT(r, routes[i].result, RX_WHY_NONE);
		assert_true(rx_learns(r.result));
		assert_int_equal(r.pt_len, 84);
		assert_true(r.inner_src == a && r.inner_dst == routes[i].dst);
		assert_int_equal(buf[WIRE_HEADER_LEN], 0x45); /* decrypted in place */
		if (routes[i].result != RX_NO_ROUTE)
			assert_non_null(r.rule);
	}
	assert_int_equal(r.target->id, 3);
	/* The same datagram again: a replay. */
	len = sealed(buf, 2, 15, a, IP4(10, 0, 0, 3), 84);
	decide(buf, len, NULL, NULL, &r);
	EXPECT(r, RX_AUTH_OR_INVALID, RX_WHY_OPEN);
	peer_table_wipe(&peers);
}

static void test_obfuscated_selection(void **state)
{
	uint8_t buf[WIRE_MAX_DATAGRAM + 16];
	struct endpoint4 spoke2 = {IP4(203, 0, 113, 2), 18020};
	struct endpoint4 stranger = {IP4(198, 51, 100, 7), 40000};
	struct rx_decision r;
	unsigned scans = 2;
	size_t len;

	(void)state;
	hub_setup(true);
	len = sealed(buf, 2, 1, IP4(10, 0, 0, 2), IP4(10, 0, 0, 3), 84);
	decide(buf, len, &spoke2, &scans, &r);
	EXPECT(r, RX_RELAY, RX_WHY_NONE);
	assert_true(r.unmasked);
	assert_int_equal(scans, 2); /* the sender's own key: no scan */

	/* From another address: found by the scan, which costs one unit. */
	len = sealed(buf, 3, 1, IP4(10, 0, 0, 3), IP4(10, 0, 0, 2), 84);
	decide(buf, len, &stranger, &scans, &r);
	EXPECT(r, RX_RELAY, RX_WHY_NONE);
	assert_int_equal(r.peer->id, 3);
	assert_int_equal(scans, 1);

	/* Junk from a stranger: unknown; from spoke 2's address: a key mismatch. */
	memset(buf, 0x5a, 100);
	decide(buf, 100, &stranger, &scans, &r);
	EXPECT(r, RX_UNKNOWN_PEER, RX_WHY_NONE);
	assert_int_equal(scans, 0);
	decide(buf, 100, &stranger, &scans, &r);
	EXPECT(r, RX_SCAN_BUDGET, RX_WHY_NONE);
	decide(buf, 100, &spoke2, &scans, &r);
	EXPECT(r, RX_AUTH_OR_INVALID, RX_WHY_NO_KEY);
	decide(buf, 100, &spoke2, NULL, &r); /* no limit: a full scan, then the same */
	EXPECT(r, RX_AUTH_OR_INVALID, RX_WHY_NO_KEY);

	/* from_id names the peer directly (wire-decode's --from-id). */
	{
		struct rx_input in = {.peers = &peers,
				      .policy = policy_active(&pol),
				      .obfuscate = true,
				      .from_id = 3};

		rx_decide(&in, buf, 100, false, &r);
		EXPECT(r, RX_AUTH_OR_INVALID, RX_WHY_NO_KEY);
	}
	peer_table_wipe(&peers);
}

static void test_result_counters(void **state)
{
	static const char *const names[] = {
	    "tun_tx_packets",	    "relay_packets",	     "keepalive_rx",
	    "drop_udp_oversized",   "drop_udp_auth_or_invalid", "drop_udp_unknown_peer",
	    "drop_udp_scan_budget", "drop_udp_not_ipv4",	   "drop_udp_spoof",
	    "drop_udp_no_route",    "drop_udp_drop_rule",	   "drop_udp_unknown_target",
	    "drop_udp_no_reflect",
	};

	(void)state;
	for (int r = RX_TUN; r <= RX_NO_REFLECT; r++) {
		assert_string_equal(rx_result_counter((enum rx_result)r)->name, names[r]);
		assert_int_equal(rx_result_offset((enum rx_result)r),
				 rx_result_counter((enum rx_result)r)->offset);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cleartext_every_result),
	    cmocka_unit_test(test_obfuscated_selection),
	    cmocka_unit_test(test_result_counters),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
