/*
 * A device's config bundle (core/mgmt/bundle.c) on arbitrary bytes: as a
 * payload, and as a whole envelope.
 *
 * Invariants:
 *  - a decoded bundle encodes, and the encoding decodes to the same
 *    bundle with nothing more skipped, and encodes to the same text;
 *    every name kept is a mesh name, no peer repeats or is the device, at
 *    most MGMT_PEERS_MAX;
 *  - the input sealed by k1, offered to the device it names: NEWER
 *    exactly when it decodes (then SAME when offered again); offered to
 *    another device: never applied;
 *  - the input as an envelope: applied only with a signature libsodium
 *    verifies under k1.
 */
#include <string.h>

#include <sodium.h>

#include "common.h"
#include "core/mesh/name.h"
#include "core/mgmt/bundle.h"
#include "tests/unit/mgmt_fixture.h"

static struct fix_signer k1;
static struct mgmt_keyset pinned;
static uint8_t work[MGMT_WORK_MAX];
static char text[MGMT_ENVELOPE_MAX + 1], enc[MGMT_PAYLOAD_MAX + 1], enc2[MGMT_PAYLOAD_MAX + 1];
static struct mgmt_bundle b, back, got;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	fix_signer(&k1, 1);
	fix_pin(&pinned, &k1);
	return 0;
}

static void check_names(const struct mgmt_names *n)
{
	FUZZ_CHECK(n->hostname[0] == '\0' || mesh_name_valid(n->hostname, strlen(n->hostname)),
		   "bad hostname kept");
	FUZZ_CHECK(n->n_aliases <= MGMT_ALIASES_MAX, "%zu aliases", n->n_aliases);
	for (size_t i = 0; i < n->n_aliases; i++)
		FUZZ_CHECK(mesh_name_valid(n->aliases[i], strlen(n->aliases[i])), "bad alias kept");
}

static bool same(const struct mgmt_bundle *x, const struct mgmt_bundle *y)
{
	return memcmp(x, y, offsetof(struct mgmt_bundle, peers)) == 0 &&
	       memcmp(x->peers, y->peers, x->n_peers * sizeof(x->peers[0])) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mgmt_bundle_skips sk = { 0 };
	struct mgmt_bundle_state st = { 0 };
	enum mgmt_bundle_verdict v;
	bool ok = mgmt_bundle_decode(data, size, &b, &sk);
	uint8_t other[16];
	size_t n, n2, len;

	if (ok) {
		FUZZ_CHECK(b.n_peers <= MGMT_PEERS_MAX, "%zu peers", b.n_peers);
		check_names(&b.self);
		for (size_t i = 0; i < b.n_peers; i++) {
			check_names(&b.peers[i].names);
			FUZZ_CHECK(memcmp(b.peers[i].address, b.device, 16) != 0, "the device is a peer");
			for (size_t k = 0; k < i; k++)
				FUZZ_CHECK(memcmp(b.peers[i].address, b.peers[k].address, 16) != 0,
					   "peer %zu repeats %zu", i, k);
		}
		n = mgmt_bundle_encode(&b, enc, sizeof(enc));
		FUZZ_CHECK(n > 0, "decoded bundle does not encode");
		memset(&sk, 0, sizeof(sk));
		FUZZ_CHECK(mgmt_bundle_decode((const uint8_t *)enc, n, &back, &sk),
			   "own encoding refused");
		FUZZ_CHECK(sk.bad_names == 0 && sk.bad_peers == 0, "own encoding skips entries");
		FUZZ_CHECK(same(&b, &back), "round trip changed the bundle");
		n2 = mgmt_bundle_encode(&back, enc2, sizeof(enc2));
		FUZZ_CHECK(n2 == n && memcmp(enc, enc2, n) == 0, "encoding is not canonical");
	}

	len = mgmt_envelope_seal(MGMT_DOMAIN_CONFIG, data, size, k1.sk, work, sizeof(work), text,
				 sizeof(text));
	if (len > 0 && ok) {
		memcpy(other, b.device, 16);
		other[15] ^= 1;
		v = mgmt_bundle_accept(&st, &pinned, b.instance, other, text, len, work,
				       sizeof(work), &got, NULL, NULL);
		FUZZ_CHECK(v == MGMT_BUNDLE_OTHER_DEVICE, "another device's: %s",
			   mgmt_bundle_verdict_name(v));
		FUZZ_CHECK(!st.have, "another device's bundle was applied");
		v = mgmt_bundle_accept(&st, &pinned, b.instance, b.device, text, len, work,
				       sizeof(work), &got, NULL, NULL);
		FUZZ_CHECK(v == MGMT_BUNDLE_NEWER, "own bundle: %s", mgmt_bundle_verdict_name(v));
		FUZZ_CHECK(same(&b, &got), "accepted bundle differs from the decoded one");
		v = mgmt_bundle_accept(&st, &pinned, b.instance, b.device, text, len, work,
				       sizeof(work), &got, NULL, NULL);
		FUZZ_CHECK(v == MGMT_BUNDLE_SAME, "again: %s", mgmt_bundle_verdict_name(v));
	} else if (len > 0) {
		uint8_t inst[MGMT_INSTANCE_LEN] = { 0 }, dev[16] = { 0xfc, 0x94 };

		v = mgmt_bundle_accept(&st, &pinned, inst, dev, text, len, work, sizeof(work), &got,
				       NULL, NULL);
		FUZZ_CHECK(v == MGMT_BUNDLE_MALFORMED, "undecodable: %s", mgmt_bundle_verdict_name(v));
	}

	/* the input as an envelope */
	if (mgmt_bundle_accept(&st, &pinned, b.instance, b.device, (const char *)data, size, work,
			       sizeof(work), &got, NULL, NULL) <= MGMT_BUNDLE_SAME) {
		FUZZ_CHECK(fix_signed_by((const char *)data, size, MGMT_DOMAIN_CONFIG, k1.pk, work,
					 sizeof(work)),
			   "applied without a valid signature");
	}
	return 0;
}
