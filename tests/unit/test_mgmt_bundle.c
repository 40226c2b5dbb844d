/*
 * core/mgmt/bundle.c: a bundle encodes canonically and decodes back to
 * itself (4096 peers included); a bad hostname, alias or peer costs only
 * itself and is counted; structure errors and 4097 peers refuse the whole
 * bundle; and the daemon's rule: another device's, another instance's, an
 * older, a conflicting, a tampered or a foreign-signed bundle is refused
 * with its verdict, an equal one is a no-op, a higher serial or epoch is
 * applied.  Pre-encoded peer entries (the server's path) give the same
 * bytes as the struct encoder.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "core/mgmt/bundle.h"
#include "tests/unit/mgmt_fixture.h"

static uint8_t work[MGMT_WORK_MAX];
static char payload[MGMT_PAYLOAD_MAX + 1], text[MGMT_ENVELOPE_MAX + 1];
static struct mgmt_bundle b, back;
static struct fix_signer k1, k2;
static struct mgmt_keyset pinned;

static size_t seal_with(const struct mgmt_bundle *x, const struct fix_signer *s)
{
	size_t plen = mgmt_bundle_encode(x, payload, sizeof(payload));

	assert_true(plen > 0);
	return fix_seal(MGMT_DOMAIN_CONFIG, payload, plen, s, text, sizeof(text));
}

static enum mgmt_bundle_verdict try_accept(struct mgmt_bundle_state *st, size_t len)
{
	uint8_t instance[MGMT_INSTANCE_LEN], device[16];

	fix_instance(instance, 1);
	fix_addr(device, 0);
	device[13] = 1;
	return mgmt_bundle_accept(st, &pinned, instance, device, text, len, work, sizeof(work),
				  &back, NULL, NULL);
}

static void test_round_trip(void **state)
{
	struct mgmt_bundle_skips sk = { 0 };
	char again[4096];
	size_t len;

	(void)state;
	fix_bundle(&b, 1, 1795443923456ULL, 2);
	strcpy(b.peers[1].names.aliases[0], "db");
	b.peers[1].names.n_aliases = 1;
	len = mgmt_bundle_encode(&b, payload, sizeof(payload));
	assert_string_equal(payload,
		"{\"type\":\"device-config\",\"v\":1,\"instance\":\"11111111111111111111111111111111\","
		"\"device\":\"fc94::1:0\",\"epoch\":1,\"serial\":1795443923456,"
		"\"issued\":\"2026-11-23T14:25:23Z\",\"license_serial\":7,\"hostname\":\"robot-1\","
		"\"aliases\":[\"master\"],\"peers\":[{\"address\":\"fc94::1\",\"hostname\":\"peer-1\","
		"\"aliases\":[]},{\"address\":\"fc94::2\",\"hostname\":\"peer-2\",\"aliases\":[\"db\"]}],"
		"\"mgmt\":{\"wait_s\":50,\"status_s\":60}}");
	assert_true(mgmt_bundle_decode((const uint8_t *)payload, len, &back, &sk));
	assert_int_equal(sk.bad_names + sk.bad_peers, 0);
	assert_memory_equal(&back, &b, offsetof(struct mgmt_bundle, peers) +
					       b.n_peers * sizeof(b.peers[0]));
	assert_int_equal(mgmt_bundle_encode(&back, again, sizeof(again)), len);
	assert_string_equal(again, payload);
}

/* MGMT_PEERS_MAX peers with long names fit; one more is refused whole. */
static void test_peer_limit(void **state)
{
	size_t len;
	char *over;

	(void)state;
	fix_bundle(&b, 1, 1, MGMT_PEERS_MAX);
	for (size_t i = 0; i < b.n_peers; i++) {
		memset(b.peers[i].names.hostname, 'a', MGMT_NAME_MAX);
		snprintf(b.peers[i].names.hostname + MGMT_NAME_MAX - 5, 6, "%05u", (unsigned)i % 100000);
	}
	len = seal_with(&b, &k1);
	assert_true(len > 0 && len <= MGMT_ENVELOPE_MAX);
	{
		struct mgmt_bundle_state st = { 0 };

		assert_int_equal(try_accept(&st, len), MGMT_BUNDLE_NEWER);
		assert_int_equal(back.n_peers, MGMT_PEERS_MAX);
	}
	/* 4097 peers: add one by hand to the encoded text */
	fix_bundle(&b, 1, 1, MGMT_PEERS_MAX);
	len = mgmt_bundle_encode(&b, payload, sizeof(payload));
	over = malloc(len + 100);
	assert_non_null(over);
	{
		const char *at = strstr(payload, "\"peers\":[") + 9;
		int n = snprintf(over, len + 100, "%.*s{\"address\":\"fc94::ffff\",\"hostname\":\"x\",\"aliases\":[]},%s",
				 (int)(at - payload), payload, at);

		assert_false(mgmt_bundle_decode((const uint8_t *)over, (size_t)n, &back, NULL));
	}
	free(over);
}

/* Names checked one by one: a bad one is left out and counted, the rest stay. */
static void test_bad_entries_skipped(void **state)
{
	static const struct {
		const char *from, *to;
		unsigned names, peers; /* counted */
		size_t n_peers;       /* left */
	} edits[] = {
		{ "\"hostname\":\"peer-1\"", "\"hostname\":\"Peer_1\"", 1, 0, 3 },
		{ "\"hostname\":\"peer-1\"", "\"hostname\":\"-peer\"", 1, 0, 3 },
		{ "\"hostname\":\"peer-1\"", "\"hostname\":\"peer.one\"", 1, 0, 3 },
		{ "\"hostname\":\"peer-1\"", "\"hostname\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"", 1, 0, 3 },
		{ "\"hostname\":\"peer-1\"", "\"hostname\":\"\"", 0, 0, 3 }, /* no name: not bad */
		{ "\"hostname\":\"robot-1\"", "\"hostname\":\"ROBOT\"", 1, 0, 3 },
		{ "\"aliases\":[\"master\"]", "\"aliases\":[\"ok\",\"b@d\",\"ok\",\"robot-1\",\"\",\"fine\"]", 4, 0, 3 },
		{ "\"address\":\"fc94::2\"", "\"address\":\"fc94::1\"", 0, 1, 2 },   /* repeated */
		{ "\"address\":\"fc94::2\"", "\"address\":\"fc94::1:0\"", 0, 1, 2 }, /* the device */
		{ "\"address\":\"fc94::2\"", "\"address\":\"fd00::2\"", 0, 1, 2 },
		{ "\"address\":\"fc94::2\"", "\"address\":\"fc94:0::2\"", 0, 1, 2 },
		{ "\"address\":\"fc94::2\"", "\"address\":\"robot\"", 0, 1, 2 },
	};
	char edited[4096];

	(void)state;
	fix_bundle(&b, 1, 1, 3);
	assert_true(mgmt_bundle_encode(&b, payload, sizeof(payload)) > 0);
	for (size_t i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
		struct mgmt_bundle_skips sk = { 0 };
		const char *at = strstr(payload, edits[i].from);
		char again[4096];
		size_t len2;
		int n;

		assert_non_null(at);
		n = snprintf(edited, sizeof(edited), "%.*s%s%s", (int)(at - payload), payload,
			     edits[i].to, at + strlen(edits[i].from));
		if (!mgmt_bundle_decode((const uint8_t *)edited, (size_t)n, &back, &sk))
			fail_msg("edit %zu refused whole: %s", i, edited);
		assert_int_equal(sk.bad_names, edits[i].names);
		assert_int_equal(sk.bad_peers, edits[i].peers);
		assert_int_equal(back.n_peers, edits[i].n_peers);
		/* what is left encodes, and decodes with nothing more to skip */
		len2 = mgmt_bundle_encode(&back, again, sizeof(again));
		memset(&sk, 0, sizeof(sk));
		assert_true(mgmt_bundle_decode((const uint8_t *)again, len2, &b, &sk));
		assert_int_equal(sk.bad_names + sk.bad_peers, 0);
		fix_bundle(&b, 1, 1, 3);
	}
	/* the nameless peer is still a peer */
	{
		struct mgmt_bundle_skips sk = { 0 };
		const char *at = strstr(payload, "\"hostname\":\"peer-1\"");
		int n = snprintf(edited, sizeof(edited), "%.*s\"hostname\":\"B@D\"%s",
				 (int)(at - payload), payload, at + 19);

		assert_true(mgmt_bundle_decode((const uint8_t *)edited, (size_t)n, &back, &sk));
		assert_string_equal(back.peers[0].names.hostname, "");
		assert_int_equal(back.peers[0].address[15], 1);
	}
}

/*
 * Peers given as pre-encoded entries (mgmt_bundle_encode_texts, what the
 * server builds a network's bundles from): the same bytes as the struct
 * encoder, with the same entries left out (a repeat, the device's own
 * address, one outside fc94::/16, bad names), for 0, 6 and 4096 peers.
 */
static void check_texts_same(const struct mgmt_bundle *x)
{
	static char pt[MGMT_PEERS_MAX][768], viatexts[MGMT_PAYLOAD_MAX + 1];
	static struct mgmt_peer_text texts[MGMT_PEERS_MAX];
	size_t len, len2;

	for (size_t i = 0; i < x->n_peers; i++) {
		memcpy(texts[i].address, x->peers[i].address, 16);
		texts[i].len = mgmt_bundle_peer_text(&x->peers[i], pt[i], sizeof(pt[i]));
		texts[i].text = pt[i];
		assert_true(texts[i].len > 0);
	}
	len = mgmt_bundle_encode(x, payload, sizeof(payload));
	len2 = mgmt_bundle_encode_texts(x, texts, x->n_peers, viatexts, sizeof(viatexts));
	assert_true(len > 0);
	assert_int_equal(len2, len);
	assert_memory_equal(viatexts, payload, len);
	/* too small: 0, as mgmt_bundle_encode */
	assert_int_equal(mgmt_bundle_encode_texts(x, texts, x->n_peers, viatexts, len), 0);
	assert_int_equal(mgmt_bundle_peer_text(&x->peers[0], pt[0], 8), 0);
}

static void test_texts_same_bytes(void **state)
{
	(void)state;
	fix_bundle(&b, 1, 1795443923456ULL, 6);
	strcpy(b.peers[0].names.aliases[0], "db");
	strcpy(b.peers[0].names.aliases[1], "B@D");
	strcpy(b.peers[0].names.aliases[2], "db");
	b.peers[0].names.n_aliases = 3;
	strcpy(b.peers[1].names.hostname, "Not_A_Name");
	memcpy(b.peers[2].address, b.peers[0].address, 16); /* a repeat */
	memcpy(b.peers[3].address, b.device, 16);           /* the device itself */
	b.peers[4].address[0] = 0xfd;                       /* not an overlay address */
	check_texts_same(&b);
	b.n_peers = 0;
	check_texts_same(&b);
	fix_bundle(&b, 1, 1, MGMT_PEERS_MAX);
	check_texts_same(&b);
}

/* Structure errors refuse the whole bundle. */
static void test_structure_refused(void **state)
{
	static const struct {
		const char *from, *to;
	} edits[] = {
		{ "\"type\":\"device-config\"", "\"type\":\"license\"" },
		{ "\"v\":1", "\"v\":2" },
		{ "\"epoch\":1", "\"epoch\":-1" },
		{ "\"epoch\":1", "\"epoch\":9007199254740992" },
		{ "\"device\":\"fc94::1:0\"", "\"device\":\"fd00::1\"" },
		{ "\"hostname\":\"peer-1\"", "\"hostname\":1" },
		{ "\"aliases\":[]", "\"aliases\":[1]" },
		{ "\"aliases\":[]", "\"aliases\":{}" },
		{ "\"address\":\"fc94::1\"", "\"addr\":\"fc94::1\"" },
		{ "\"address\":\"fc94::1\",", "" },
		{ "\"wait_s\":50", "\"wait_s\":0" },
		{ "\"wait_s\":50", "\"wait_s\":301" },
		{ "\"status_s\":60", "\"status_s\":4" },
		{ "\"status_s\":60", "\"status_s\":60,\"x\":1" },
		{ "\"license_serial\":7,", "" },
		{ "\"license_serial\":7", "\"license_serial\":7,\"claimed\":true" },
		{ "\"issued\":\"2026-11-23T14:25:23Z\"", "\"issued\":1795443923" },
	};
	char edited[4096];

	(void)state;
	fix_bundle(&b, 1, 1, 2);
	assert_true(mgmt_bundle_encode(&b, payload, sizeof(payload)) > 0);
	for (size_t i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
		const char *at = strstr(payload, edits[i].from);
		int n;

		assert_non_null(at);
		n = snprintf(edited, sizeof(edited), "%.*s%s%s", (int)(at - payload), payload,
			     edits[i].to, at + strlen(edits[i].from));
		if (mgmt_bundle_decode((const uint8_t *)edited, (size_t)n, &back, NULL))
			fail_msg("edit %zu accepted: %s", i, edited);
	}
	/* out-of-range fields do not encode */
	fix_bundle(&b, 1, 1, 0);
	b.status_s = 1;
	assert_int_equal(mgmt_bundle_encode(&b, payload, sizeof(payload)), 0);
}

static void test_version_rule(void **state)
{
	struct mgmt_bundle_state st = { 0 };
	size_t len;

	(void)state;
	fix_bundle(&b, 1, 100, 2);
	len = seal_with(&b, &k1);
	assert_int_equal(try_accept(&st, len), MGMT_BUNDLE_NEWER);
	assert_true(st.have);
	assert_int_equal(st.applied.serial, 100);
	assert_int_equal(back.n_peers, 2);
	/* the same again (a re-poll, or a replay of the current one): no-op */
	assert_int_equal(try_accept(&st, len), MGMT_BUNDLE_SAME);
	/* same version, other content */
	b.n_peers = 1;
	len = seal_with(&b, &k1);
	assert_int_equal(try_accept(&st, len), MGMT_BUNDLE_CONFLICT);
	/* lower serial */
	b.serial = 99;
	len = seal_with(&b, &k1);
	assert_int_equal(try_accept(&st, len), MGMT_BUNDLE_STALE);
	/* higher serial */
	b.serial = 101;
	len = seal_with(&b, &k1);
	assert_int_equal(try_accept(&st, len), MGMT_BUNDLE_NEWER);
	/* an epoch bump wins over any serial (a restored database) */
	b.epoch = 2;
	b.serial = 5;
	len = seal_with(&b, &k1);
	assert_int_equal(try_accept(&st, len), MGMT_BUNDLE_NEWER);
	/* and the old epoch's higher serial is stale now */
	b.epoch = 1;
	b.serial = 1000;
	len = seal_with(&b, &k1);
	assert_int_equal(try_accept(&st, len), MGMT_BUNDLE_STALE);
	assert_int_equal(st.applied.epoch, 2);
	assert_int_equal(st.applied.serial, 5);
}

static void test_refused(void **state)
{
	struct mgmt_bundle_state st = { 0 };
	enum mgmt_env_verdict ev;
	uint8_t instance[MGMT_INSTANCE_LEN], device[16];
	size_t len;

	(void)state;
	/* for another device (the same otherwise): refused even though newer */
	fix_bundle(&b, 1, 100, 2);
	b.device[13] = 2;
	len = seal_with(&b, &k1);
	assert_int_equal(try_accept(&st, len), MGMT_BUNDLE_OTHER_DEVICE);
	assert_false(st.have);
	/* another instance */
	fix_bundle(&b, 1, 100, 2);
	fix_instance(b.instance, 2);
	len = seal_with(&b, &k1);
	assert_int_equal(try_accept(&st, len), MGMT_BUNDLE_FOREIGN);
	/* signed by a key not pinned */
	fix_bundle(&b, 1, 100, 2);
	len = seal_with(&b, &k2);
	assert_int_equal(try_accept(&st, len), MGMT_BUNDLE_ENVELOPE);
	/* a license's signature */
	len = mgmt_bundle_encode(&b, payload, sizeof(payload));
	len = fix_seal(MGMT_DOMAIN_LICENSE, payload, len, &k1, text, sizeof(text));
	fix_instance(instance, 1);
	fix_addr(device, 0);
	device[13] = 1;
	assert_int_equal(mgmt_bundle_accept(&st, &pinned, instance, device, text, len, work,
					    sizeof(work), &back, &ev, NULL),
			 MGMT_BUNDLE_ENVELOPE);
	assert_int_equal(ev, MGMT_ENV_BAD_SIG);
	/* a tampered byte in the payload text */
	len = seal_with(&b, &k1);
	text[20] = text[20] == 'A' ? 'B' : 'A';
	assert_int_equal(try_accept(&st, len), MGMT_BUNDLE_ENVELOPE);
	/* signed, not a bundle */
	len = fix_seal(MGMT_DOMAIN_CONFIG, "[]", 2, &k1, text, sizeof(text));
	assert_int_equal(try_accept(&st, len), MGMT_BUNDLE_MALFORMED);
	assert_false(st.have);
	assert_string_equal(mgmt_bundle_verdict_name(MGMT_BUNDLE_OTHER_DEVICE), "other_device");
}

static int setup(void **state)
{
	(void)state;
	fix_signer(&k1, 1);
	fix_signer(&k2, 2);
	return fix_pin(&pinned, &k1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_peer_limit),
		cmocka_unit_test(test_bad_entries_skipped),
		cmocka_unit_test(test_texts_same_bytes),
		cmocka_unit_test(test_structure_refused),
		cmocka_unit_test(test_version_rule),
		cmocka_unit_test(test_refused),
	};

	return cmocka_run_group_tests_name("mgmt_bundle", tests, setup, NULL);
}
