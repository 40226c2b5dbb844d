/*
 * license.json (core/mgmt/license.c) on arbitrary bytes: as a payload, and
 * as a whole envelope.
 *
 * Invariants:
 *  - a decoded license passes mgmt_license_check, encodes, and the
 *    encoding decodes to the identical struct and encodes to the identical
 *    text (canonical); a refused one leaves the struct zeroed;
 *  - the input sealed by k1 is accepted by a fresh device whose join code
 *    names k1 exactly when it decodes and lists k1 among its signing keys,
 *    and then pins exactly that list;
 *  - the input as an envelope, against a device that pinned k1: accepted
 *    only with a signature libsodium verifies under k1.
 */
#include <string.h>

#include <sodium.h>

#include "common.h"
#include "core/mgmt/license.h"
#include "tests/unit/mgmt_fixture.h"

static struct fix_signer k1;
static uint8_t fpr1[MGMT_FPR_LEN];
static uint8_t work[MGMT_WORK_MAX];
static char text[MGMT_ENVELOPE_MAX + 1], enc[MGMT_PAYLOAD_MAX + 1], enc2[MGMT_PAYLOAD_MAX + 1];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	fix_signer(&k1, 1);
	mgmt_key_fingerprint(k1.pk, fpr1);
	return 0;
}

static bool lists_k1(const struct mgmt_license *l)
{
	for (size_t i = 0; i < l->n_keys; i++) {
		if (memcmp(l->signing_keys[i], k1.pk, MGMT_PK_LEN) == 0)
			return true;
	}
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct mgmt_license l, back, got;
	struct mgmt_trust t;
	enum mgmt_license_verdict v;
	bool ok = mgmt_license_decode(data, size, &l);
	size_t n, n2, len;

	if (ok) {
		FUZZ_CHECK(mgmt_license_check(&l), "decoded license fails the check");
		n = mgmt_license_encode(&l, enc, sizeof(enc));
		FUZZ_CHECK(n > 0, "decoded license does not encode");
		FUZZ_CHECK(mgmt_license_decode((const uint8_t *)enc, n, &back), "own encoding refused");
		FUZZ_CHECK(memcmp(&l, &back, sizeof(l)) == 0, "round trip changed the license");
		n2 = mgmt_license_encode(&back, enc2, sizeof(enc2));
		FUZZ_CHECK(n2 == n && memcmp(enc, enc2, n) == 0, "encoding is not canonical");
	} else {
		FUZZ_CHECK(sodium_is_zero((const unsigned char *)&l, sizeof(l)), "refused, not zeroed");
	}

	/* the input as a payload signed by k1, for a device that knows only k1's fingerprint */
	len = mgmt_envelope_seal(MGMT_DOMAIN_LICENSE, data, size, k1.sk, work, sizeof(work), text,
				 sizeof(text));
	if (len > 0) {
		mgmt_trust_init(&t, fpr1);
		v = mgmt_license_accept(&t, text, len, 0, false, work, sizeof(work), &got, NULL);
		FUZZ_CHECK((v == MGMT_LICENSE_NEWER) == (ok && lists_k1(&l)),
			   "verdict %s for a license that %s and %s k1",
			   mgmt_license_verdict_name(v), ok ? "decodes" : "does not decode",
			   ok && lists_k1(&l) ? "lists" : "does not list");
		if (v == MGMT_LICENSE_NEWER) {
			FUZZ_CHECK(t.pinned && t.keys.n == l.n_keys, "pinned %zu keys of %zu", t.keys.n,
				   l.n_keys);
			for (size_t i = 0; i < l.n_keys; i++)
				FUZZ_CHECK(mgmt_keyset_contains(&t.keys, l.signing_keys[i]),
					   "signing key %zu not pinned", i);
			/* the same again: nothing to do */
			v = mgmt_license_accept(&t, text, len, 0, false, work, sizeof(work), &got, NULL);
			FUZZ_CHECK(v == MGMT_LICENSE_SAME, "again: %s", mgmt_license_verdict_name(v));
		}
	}

	/* the input as an envelope, against k1 pinned */
	mgmt_trust_init(&t, fpr1);
	t.pinned = true;
	mgmt_keyset_add(&t.keys, k1.pk);
	v = mgmt_license_accept(&t, (const char *)data, size, 0, false, work, sizeof(work), &got,
				NULL);
	if (v == MGMT_LICENSE_NEWER || v == MGMT_LICENSE_SAME) {
		FUZZ_CHECK(fix_signed_by((const char *)data, size, MGMT_DOMAIN_LICENSE, k1.pk, work,
					 sizeof(work)),
			   "accepted without a valid signature");
	}
	return 0;
}
