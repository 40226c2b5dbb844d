/*
 * core/mgmt/license.c: the payload encodes canonically and decodes back to
 * itself; every field's rule refuses (table); and a device accepts a
 * license only as license.h says: the first one under the join code's
 * fingerprint, later ones under a pinned key and of the pinned instance,
 * never an older, conflicting, expired or not-yet-valid one (but the
 * window only with a good clock), and key rotation pins the new list.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "core/mgmt/license.h"
#include "tests/unit/mgmt_fixture.h"

static uint8_t work[MGMT_WORK_MAX];
static char payload[8192], text[16384];
static struct fix_signer k1, k2, k3;

static const int64_t NOW = 1800000000; /* 2027-01-15: inside the fixture's window */

/* l encoded and sealed by s: the envelope's length. */
static size_t seal(const struct mgmt_license *l, const struct fix_signer *s)
{
	size_t plen = mgmt_license_encode(l, payload, sizeof(payload));

	assert_true(plen > 0);
	return fix_seal(MGMT_DOMAIN_LICENSE, payload, plen, s, text, sizeof(text));
}

static void trust_for(struct mgmt_trust *t, const struct fix_signer *s)
{
	uint8_t fpr[MGMT_FPR_LEN];

	mgmt_key_fingerprint(s->pk, fpr);
	mgmt_trust_init(t, fpr);
}

static enum mgmt_license_verdict try_accept(struct mgmt_trust *t, size_t len, int64_t now,
					bool clock_good, struct mgmt_license *out)
{
	return mgmt_license_accept(t, text, len, now, clock_good, work, sizeof(work), out, NULL);
}

static void test_round_trip(void **state)
{
	struct mgmt_license l, back;
	char again[8192];
	size_t len;

	(void)state;
	fix_license(&l, 7, &k1, &k2);
	len = mgmt_license_encode(&l, payload, sizeof(payload));
	assert_true(len > 0);
	assert_memory_equal(payload, "{\"type\":\"license\",\"v\":1,\"instance\":\"111111", 42);
	assert_non_null(strstr(payload, "\"issued\":\"2026-11-23T10:00:00Z\""));
	assert_non_null(strstr(payload, "\"base_servers\":[{\"host\":\"203.0.113.5\",\"udp_port\":5582,\"tcp_port\":443,\"public_key\":\""));
	assert_true(mgmt_license_decode((const uint8_t *)payload, len, &back));
	assert_memory_equal(&l, &back, sizeof(l));
	assert_int_equal(mgmt_license_encode(&back, again, sizeof(again)), len);
	assert_string_equal(payload, again);
	/* one byte too small: nothing */
	assert_int_equal(mgmt_license_encode(&l, again, len), 0);
}

/* A field edited in the encoded text: refused by the decoder. */
static void test_decode_refused_table(void **state)
{
	static const struct {
		const char *from, *to;
	} edits[] = {
		{ "\"type\":\"license\"", "\"type\":\"device-config\"" },
		{ "\"v\":1", "\"v\":2" },
		{ "\"instance\":\"1111", "\"instance\":\"111" },
		{ "\"instance\":\"1111", "\"instance\":\"A111" },
		{ "\"name\":\"Acme robots\"", "\"name\":\"\"" },
		{ "\"name\":\"Acme robots\"", "\"name\":\"Acme\\nrobots\"" },
		{ "\"name\":\"Acme robots\"", "\"name\":\"Acme\\u0000\"" },
		{ "\"serial\":7", "\"serial\":-7" },
		{ "\"serial\":7", "\"serial\":9007199254740992" },
		{ "\"serial\":7", "\"serial\":7.0" },
		{ "\"serial\":7", "\"serial\":\"7\"" },
		{ "2026-11-23T10:00:00Z", "2026-11-23T10:00:00+00:00" },
		{ "2027-11-23T10:00:00Z", "2026-11-23T10:00:00Z" }, /* until == issued */
		{ "https://mgmt", "ftp://mgmt" },
		{ "https://mgmt", "https://m gmt" },
		{ "\"websetup_host\":\"fc94::4d\"", "\"websetup_host\":\"fd00::4d\"" },
		{ "\"websetup_host\":\"fc94::4d\"", "\"websetup_host\":\"fc94:0::4d\"" }, /* not RFC 5952 */
		{ "\"api_servers\":[\"fc94::4d\"]", "\"api_servers\":[]" },
		{ "\"api_servers\":[\"fc94::4d\"]", "\"api_servers\":[\"fc94::4d\",\"fc94::4d\",\"fc94::4d\",\"fc94::4d\",\"fc94::4d\",\"fc94::4d\",\"fc94::4d\",\"fc94::4d\",\"fc94::4d\"]" },
		{ "\"host\":\"203.0.113.5\"", "\"host\":\"203.0.113.5:5582\"" },
		{ "\"host\":\"203.0.113.5\"", "\"host\":\"-bad-.example\"" },
		{ "\"udp_port\":5582", "\"udp_port\":0" },
		{ "\"tcp_port\":443", "\"tcp_port\":65536" },
		{ "\"tcp_port\":443", "\"tcp_port\":443,\"extra\":1" },
		{ "\"max_devices\":0", "\"max_devices\":null" },
		{ "\"signing_keys\":[", "\"signing_keys\":[\"00\"," },
		{ "\"signing_keys\":[", "\"signing_keys\":[]" },
		{ "\"max_devices\":0", "\"max_devices\":0,\"eb_servers\":[]" },
		{ "{\"type\"", "{\"type\":\"license\",\"type\"" },
	};
	struct mgmt_license l, back;
	char edited[8192];

	(void)state;
	fix_license(&l, 7, &k1, &k2);
	assert_true(mgmt_license_encode(&l, payload, sizeof(payload)) > 0);
	for (size_t i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
		const char *at = strstr(payload, edits[i].from);
		size_t head;
		int n;

		if (at == NULL)
			fail_msg("edit %zu: %s not in %s", i, edits[i].from, payload);
		head = (size_t)(at - payload);
		n = snprintf(edited, sizeof(edited), "%.*s%s%s", (int)head, payload, edits[i].to,
			     at + strlen(edits[i].from));
		if (mgmt_license_decode((const uint8_t *)edited, (size_t)n, &back))
			fail_msg("edit %zu accepted: %s", i, edited);
	}
	/* a base key that is not an identity key, and a repeated signing key */
	fix_license(&l, 7, &k1, &k1);
	assert_int_equal(mgmt_license_encode(&l, payload, sizeof(payload)), 0);
	fix_license(&l, 7, &k1, NULL);
	l.base_servers[0].public_key[0] ^= 1;
	assert_false(mgmt_license_check(&l));
}

static void test_first_license_by_fingerprint(void **state)
{
	struct mgmt_license l, got;
	struct mgmt_trust t;
	enum mgmt_env_verdict ev;
	size_t len;

	(void)state;
	/* signed by k1, listing k1 and k2; the code names k1: accepted, both pinned */
	fix_license(&l, 7, &k1, &k2);
	len = seal(&l, &k1);
	trust_for(&t, &k1);
	assert_int_equal(try_accept(&t, len, NOW, true, &got), MGMT_LICENSE_NEWER);
	assert_true(t.pinned);
	assert_int_equal(t.keys.n, 2);
	assert_true(mgmt_keyset_contains(&t.keys, k2.pk));
	assert_memory_equal(t.instance, l.instance, MGMT_INSTANCE_LEN);
	assert_int_equal(t.license.serial, 7);
	assert_memory_equal(&got, &l, sizeof(l));
	/* the code names k2 (listed), but k1 signed: the envelope's key is not k2 */
	trust_for(&t, &k2);
	assert_int_equal(mgmt_license_accept(&t, text, len, NOW, true, work, sizeof(work), &got,
					     &ev),
			 MGMT_LICENSE_ENVELOPE);
	assert_int_equal(ev, MGMT_ENV_UNKNOWN_KEY);
	assert_false(t.pinned);
	/* the code names k3, which the license does not list: foreign */
	trust_for(&t, &k3);
	assert_int_equal(try_accept(&t, len, NOW, true, &got), MGMT_LICENSE_FOREIGN_KEY);
	/* signed by k3 but claiming k1's list: the signature fails under k1 */
	len = seal(&l, &k3);
	trust_for(&t, &k1);
	assert_int_equal(try_accept(&t, len, NOW, true, &got), MGMT_LICENSE_ENVELOPE);
	assert_false(t.pinned);
}

/* A claim (no code): the first license's own signer is pinned, nothing else. */
static void test_first_use(void **state)
{
	struct mgmt_license l, other, got;
	struct mgmt_trust t;
	size_t len;

	(void)state;
	/* signed by k2, listing k1 and k2: k2 signed it, both pinned */
	fix_license(&l, 7, &k1, &k2);
	len = seal(&l, &k2);
	mgmt_trust_init_first_use(&t);
	assert_int_equal(try_accept(&t, len, NOW, true, &got), MGMT_LICENSE_NEWER);
	assert_true(t.pinned);
	assert_false(t.first_use);
	assert_int_equal(t.keys.n, 2);
	/* signed by k3, which it does not list: refused, nothing pinned */
	len = seal(&l, &k3);
	mgmt_trust_init_first_use(&t);
	assert_int_equal(try_accept(&t, len, NOW, true, &got), MGMT_LICENSE_FOREIGN_KEY);
	assert_false(t.pinned);
	/* once pinned, another instance's license (its own keys) is refused */
	len = seal(&l, &k1);
	assert_int_equal(try_accept(&t, len, NOW, true, &got), MGMT_LICENSE_NEWER);
	fix_license(&other, 9, &k3, NULL);
	other.instance[0] ^= 1;
	len = seal(&other, &k3);
	assert_int_equal(try_accept(&t, len, NOW, true, &got), MGMT_LICENSE_ENVELOPE);
	assert_true(t.pinned);
	assert_int_equal(t.license.serial, 7);
}

static void test_versions_and_instance(void **state)
{
	struct mgmt_license l, got;
	struct mgmt_trust t;
	size_t len;

	(void)state;
	trust_for(&t, &k1);
	fix_license(&l, 7, &k1, NULL);
	len = seal(&l, &k1);
	assert_int_equal(try_accept(&t, len, NOW, true, &got), MGMT_LICENSE_NEWER);
	assert_int_equal(try_accept(&t, len, NOW, true, &got), MGMT_LICENSE_SAME);
	/* same serial, other content */
	strcpy(l.name, "Acme robots 2");
	len = seal(&l, &k1);
	assert_int_equal(try_accept(&t, len, NOW, true, &got), MGMT_LICENSE_CONFLICT);
	/* older */
	l.serial = 6;
	len = seal(&l, &k1);
	assert_int_equal(try_accept(&t, len, NOW, true, &got), MGMT_LICENSE_STALE);
	assert_int_equal(t.license.serial, 7);
	/* newer */
	l.serial = 8;
	len = seal(&l, &k1);
	assert_int_equal(try_accept(&t, len, NOW, true, &got), MGMT_LICENSE_NEWER);
	assert_int_equal(t.license.serial, 8);
	/* another instance, signed by our key, newer: foreign */
	l.serial = 9;
	fix_instance(l.instance, 2);
	len = seal(&l, &k1);
	assert_int_equal(try_accept(&t, len, NOW, true, &got), MGMT_LICENSE_FOREIGN);
	assert_int_equal(t.license.serial, 8);
	/* a bundle's domain is not a license's */
	fix_instance(l.instance, 1);
	assert_true(mgmt_license_encode(&l, payload, sizeof(payload)) > 0);
	len = fix_seal(MGMT_DOMAIN_CONFIG, payload, strlen(payload), &k1, text, sizeof(text));
	assert_int_equal(try_accept(&t, len, NOW, true, &got), MGMT_LICENSE_ENVELOPE);
	/* signed, but not a license */
	len = fix_seal(MGMT_DOMAIN_LICENSE, "{}", 2, &k1, text, sizeof(text));
	assert_int_equal(try_accept(&t, len, NOW, true, &got), MGMT_LICENSE_MALFORMED);
}

static void test_validity_window(void **state)
{
	struct mgmt_license l, got;
	struct mgmt_trust t;
	size_t len;

	(void)state;
	fix_license(&l, 7, &k1, NULL);
	len = seal(&l, &k1);
	trust_for(&t, &k1);
	assert_int_equal(try_accept(&t, len, l.valid_until, true, &got), MGMT_LICENSE_EXPIRED);
	assert_int_equal(try_accept(&t, len, l.issued - MGMT_CLOCK_SLACK_S - 1, true, &got),
			 MGMT_LICENSE_NOT_YET);
	assert_false(t.pinned);
	/* a clock not known good (a robot booting in 1970): the window is not applied */
	assert_int_equal(try_accept(&t, len, 0, false, &got), MGMT_LICENSE_NEWER);
	trust_for(&t, &k1);
	assert_int_equal(try_accept(&t, len, l.valid_until + 86400, false, &got), MGMT_LICENSE_NEWER);
	/* the edges */
	trust_for(&t, &k1);
	assert_int_equal(try_accept(&t, len, l.valid_until - 1, true, &got), MGMT_LICENSE_NEWER);
	trust_for(&t, &k1);
	assert_int_equal(try_accept(&t, len, l.issued - MGMT_CLOCK_SLACK_S, true, &got),
			 MGMT_LICENSE_NEWER);
}

/* k1 -> (k1, k2) -> k2 alone -> k3: each step signed by a key pinned before it. */
static void test_rotation(void **state)
{
	struct mgmt_license l, got;
	struct mgmt_trust t;
	size_t len;

	(void)state;
	trust_for(&t, &k1);
	fix_license(&l, 1, &k1, &k2);
	len = seal(&l, &k1);
	assert_int_equal(try_accept(&t, len, NOW, true, &got), MGMT_LICENSE_NEWER);
	/* signed by the next key, which lists only itself */
	fix_license(&l, 2, &k2, NULL);
	len = seal(&l, &k2);
	assert_int_equal(try_accept(&t, len, NOW, true, &got), MGMT_LICENSE_NEWER);
	assert_int_equal(t.keys.n, 1);
	assert_false(mgmt_keyset_contains(&t.keys, k1.pk));
	/* the retired key signs no more */
	fix_license(&l, 3, &k1, NULL);
	len = seal(&l, &k1);
	assert_int_equal(try_accept(&t, len, NOW, true, &got), MGMT_LICENSE_ENVELOPE);
	/* k2 hands over to k3 */
	fix_license(&l, 4, &k3, NULL);
	len = seal(&l, &k2);
	assert_int_equal(try_accept(&t, len, NOW, true, &got), MGMT_LICENSE_NEWER);
	assert_true(mgmt_keyset_contains(&t.keys, k3.pk));
	/* k3 was never pinned before this step: a license by k3 now passes */
	fix_license(&l, 5, &k3, NULL);
	len = seal(&l, &k3);
	assert_int_equal(try_accept(&t, len, NOW, true, &got), MGMT_LICENSE_NEWER);
	assert_string_equal(mgmt_license_verdict_name(MGMT_LICENSE_FOREIGN_KEY), "foreign_key");
}

static int setup(void **state)
{
	(void)state;
	fix_signer(&k1, 1);
	fix_signer(&k2, 2);
	fix_signer(&k3, 3);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_decode_refused_table),
		cmocka_unit_test(test_first_license_by_fingerprint),
		cmocka_unit_test(test_first_use),
		cmocka_unit_test(test_versions_and_instance),
		cmocka_unit_test(test_validity_window),
		cmocka_unit_test(test_rotation),
	};

	return cmocka_run_group_tests_name("mgmt_license", tests, setup, NULL);
}
