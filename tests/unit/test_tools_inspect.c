/*
 * subnetra-wire-decode's verdicts (tools/lib/inspect.c):
 *  - the known-answer vectors: the first sender vector and its obfuscated
 *    twin are accepted by a config holding its psk and ids, a flipped tag
 *    byte is an AEAD failure (cleartext) or an unknown peer (obfuscated,
 *    since the tag keys the mask); then every vector of the shared file;
 *  - each drop reason with its explanation.
 * The decision itself is the daemon's (core/receive.c, tests/unit/
 * test_receive.c): this tests the words wire-decode puts around it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>
#include <sodium.h>

#include "core/config.h"
#include "core/counters.h"
#include "core/roles.h"
#include "core/wire.h"
#include "tools/lib/inspect.h"

/* "icmp-echo-request-1-to-2" and its -obfs twin, "keepalive-1-to-2". */
static const char V_PSK[] =
    "e77d24543b852bdcb6cce43b9ae7d73a1af0c426bf6c46d1926c1eed7af1627b";
static const char V1[] =
    "010001002501ab34c7083e1801000000000000009cb30fa13cf4fbf523d5b7911676ddf7f69839c58084"
    "4d4b"
    "d102490e3b5511727ffc18e8bf293cab90aa8d38b33394ab63469ad9a7aecb7faa27389dc51d3bdb4dce"
    "8585"
    "e11bed5897f509034b75059eb6bbe40a53b4bb59626023eb77522a5f0308770d";
static const char V1_OBFS[] =
    "fc8a71b81644e2a646f4ec241b8a4a83a4cb84ad9cb30fa13cf4fbf523d5b7911676ddf7f69839c58084"
    "4d4b"
    "d102490e3b5511727ffc18e8bf293cab90aa8d38b33394ab63469ad9a7aecb7faa27389dc51d3bdb4dce"
    "8585"
    "e11bed5897f509034b75059eb6bbe40a53b4bb59626023eb77522a5f0308770d";
static const char V_KEEPALIVE[] =
    "010101002501ab34c7083e180200000000000000d923afbe33dd1c6b437ef3c0e6d806e1";

#define IP4(a, b, c, d)                                                                  \
	((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))

static size_t unhex(uint8_t *out, size_t cap, const char *hex)
{
	size_t n = 0;

	assert_int_equal(sodium_hex2bin(out, cap, hex, strlen(hex), NULL, &n, NULL), 0);
	return n;
}

/* A spoke (local_id to) whose only peer is `from` with psk_hex, delivering 10.77.0.0/24.
 */
static void receiver_config(struct config *cfg, uint32_t from, uint32_t to,
			    const char *psk_hex, bool obfuscate)
{
	struct config_error err;
	char text[1024];
	char msg[512];
	int n = snprintf(text, sizeof text,
			 "{ \"role\": \"spoke\", \"virtual_subnet\": \"10.77.0.0/24\", "
			 "\"local_id\": %u, \"local_routes\": [\"10.77.0.0/24\"], "
			 "\"obfuscate\": %s, \"peers\": [ { \"id\": %u, \"endpoint\": "
			 "\"192.0.2.1:18020\", \"allowed_src\": \"10.77.0.0/24\", "
			 "\"psk\": \"%s\" } ] }",
			 to, obfuscate ? "true" : "false", from, psk_hex);

	assert_true(n > 0 && (size_t)n < sizeof text);
	if (config_parse(cfg, "vec.json", text, (size_t)n, &err) != 0 ||
	    config_validate(cfg, "vec.json", &err) != 0) {
		config_error_format(&err, msg, sizeof msg);
		fail_msg("%s", msg);
	}
}

struct fixture {
	struct config cfg;
	struct inspect ix;
};

static struct fixture *fixture_new(uint32_t from, uint32_t to, const char *psk, bool obfs)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	receiver_config(&f->cfg, from, to, psk, obfs);
	assert_int_equal(inspect_init(&f->ix, &f->cfg), 0);
	return f;
}

static void fixture_free(struct fixture *f)
{
	inspect_wipe(&f->ix);
	config_wipe(&f->cfg);
	free(f);
}

static void test_first_vector_accepted(void **state)
{
	struct fixture *f = fixture_new(1, 2, V_PSK, false);
	struct inspect_result r;
	uint8_t d[WIRE_MAX_DATAGRAM];
	size_t len = unhex(d, sizeof d, V1);

	(void)state;
	inspect_datagram(&f->ix, d, len, 0, &r);
	assert_true(r.evaluated);
	assert_true(r.accepted);
	assert_string_equal(r.counter, "tun_tx_packets");
	assert_non_null(r.peer);
	assert_int_equal(r.peer->id, 1);
	assert_int_equal(r.hdr.key_id, 1);
	assert_int_equal(r.hdr.seq, 1);
	assert_true(r.hdr.epoch == UINT64_C(1746843357141467429));
	assert_true(r.have_inner);
	assert_int_equal(r.inner.src, IP4(10, 77, 0, 1));
	assert_int_equal(r.inner.dst, IP4(10, 77, 0, 2));
	assert_int_equal(r.inner.proto, 1);
	assert_int_equal(r.inner.total_len, 84);
	assert_int_equal(r.inner.pt_len, 84);
	/* inspect works on a copy: the caller's datagram is untouched. */
	{
		uint8_t again[WIRE_MAX_DATAGRAM];

		assert_int_equal(unhex(again, sizeof again, V1), len);
		assert_memory_equal(again, d, len);
	}

	/* A flipped tag byte: the header still selects peer 1, the AEAD refuses. */
	d[len - 1] ^= 0x01;
	inspect_datagram(&f->ix, d, len, 0, &r);
	assert_false(r.accepted);
	assert_string_equal(r.counter, "drop_udp_auth_or_invalid");
	assert_true(strncmp(r.reason, "AEAD failure", 12) == 0);
	assert_false(r.have_inner);
	fixture_free(f);
}

static void test_first_vector_obfuscated(void **state)
{
	struct fixture *f = fixture_new(1, 2, V_PSK, true);
	struct inspect_result r;
	uint8_t d[WIRE_MAX_DATAGRAM];
	size_t len = unhex(d, sizeof d, V1_OBFS);

	(void)state;
	inspect_datagram(&f->ix, d, len, 0, &r);
	assert_string_equal(r.counter, "tun_tx_packets");
	assert_true(r.unmasked);
	assert_int_equal(r.hdr.key_id, 1);
	assert_int_not_equal(r.raw.version, 1); /* the masked bytes read as nonsense */

	inspect_datagram(&f->ix, d, len, 1, &r); /* --from-id 1 */
	assert_string_equal(r.counter, "tun_tx_packets");

	/* The tag keys the mask: a flipped tag byte de-masks with no key at all. */
	d[len - 1] ^= 0x80;
	inspect_datagram(&f->ix, d, len, 0, &r);
	assert_string_equal(r.counter, "drop_udp_unknown_peer");
	d[len - 1] ^= 0x80;

	/* A flipped ciphertext byte leaves the mask alone: AEAD failure. */
	d[40] ^= 0x01;
	inspect_datagram(&f->ix, d, len, 0, &r);
	assert_string_equal(r.counter, "drop_udp_auth_or_invalid");
	assert_true(strncmp(r.reason, "AEAD failure", 12) == 0);
	d[40] ^= 0x01;

	/* The cleartext datagram at an obfuscating receiver: explained by a hint. */
	len = unhex(d, sizeof d, V1);
	inspect_datagram(&f->ix, d, len, 0, &r);
	assert_string_equal(r.counter, "drop_udp_unknown_peer");
	assert_non_null(strstr(r.hint, "obfuscate off"));
	fixture_free(f);

	/* ... and the obfuscated one at a cleartext receiver. */
	f = fixture_new(1, 2, V_PSK, false);
	len = unhex(d, sizeof d, V1_OBFS);
	inspect_datagram(&f->ix, d, len, 0, &r);
	assert_false(r.accepted);
	assert_non_null(strstr(r.hint, "obfuscate on"));
	fixture_free(f);
}

static void test_keepalive_and_header_drops(void **state)
{
	struct fixture *f = fixture_new(1, 2, V_PSK, false);
	struct inspect_result r;
	uint8_t d[WIRE_MAX_DATAGRAM + 8];
	size_t len = unhex(d, sizeof d, V_KEEPALIVE);

	(void)state;
	inspect_datagram(&f->ix, d, len, 0, &r);
	assert_true(r.accepted);
	assert_string_equal(r.counter, "keepalive_rx");
	assert_false(r.have_inner);

	d[0] = 2; /* version */
	inspect_datagram(&f->ix, d, len, 0, &r);
	assert_string_equal(r.counter, "drop_udp_auth_or_invalid");
	assert_non_null(strstr(r.reason, "version 2"));
	d[0] = 1;

	d[1] = 0x05; /* reserved flag bit */
	inspect_datagram(&f->ix, d, len, 0, &r);
	assert_string_equal(r.counter, "drop_udp_auth_or_invalid");
	assert_non_null(strstr(r.reason, "flags 0x05"));
	d[1] = 0x01;

	memset(d + 4, 0, 8); /* epoch 0 */
	inspect_datagram(&f->ix, d, len, 0, &r);
	assert_non_null(strstr(r.reason, "epoch 0"));

	len = unhex(d, sizeof d, V_KEEPALIVE);
	d[2] = 9; /* key_id 9: nobody */
	inspect_datagram(&f->ix, d, len, 0, &r);
	assert_string_equal(r.counter, "drop_udp_unknown_peer");

	inspect_datagram(&f->ix, d, 35, 0, &r);
	assert_string_equal(r.counter, "drop_udp_auth_or_invalid");
	assert_non_null(strstr(r.reason, "too short"));
	inspect_datagram(&f->ix, d, 3, 0, &r);
	assert_false(r.have_raw);
	assert_string_equal(r.counter, "drop_udp_auth_or_invalid");

	memset(d, 0, sizeof d);
	inspect_datagram(&f->ix, d, WIRE_MAX_DATAGRAM + 1, 0, &r);
	assert_string_equal(r.counter, "drop_udp_oversized");
	fixture_free(f);
}

static void test_no_config(void **state)
{
	struct inspect_result r;
	uint8_t d[WIRE_MAX_DATAGRAM];
	size_t len = unhex(d, sizeof d, V1);

	(void)state;
	inspect_datagram(NULL, d, len, 0, &r);
	assert_false(r.evaluated);
	assert_null(r.counter);
	assert_true(r.have_hdr);
	assert_int_equal(r.hdr.key_id, 1);

	len = unhex(d, sizeof d, V1_OBFS);
	inspect_datagram(NULL, d, len, 0, &r);
	assert_string_equal(r.counter, "drop_udp_auth_or_invalid");
	assert_non_null(strstr(r.hint, "--config"));
}

/* ---- every vector of the shared file ---- */

static json_object *load_vectors(void)
{
	const char *dir = getenv("SUBNETRA_VECTORS");
	char path[512];

	snprintf(path, sizeof path, "%s/subnetra-v1-vectors.json",
		 dir && *dir ? dir : "../shared/vectors");
	return json_object_from_file(path);
}

static const char *jstr(json_object *o, const char *k1, const char *k2)
{
	json_object *a, *b;

	assert_true(json_object_object_get_ex(o, k1, &a));
	assert_true(json_object_object_get_ex(a, k2, &b));
	return json_object_get_string(b);
}

static uint32_t jint(json_object *o, const char *k1, const char *k2)
{
	json_object *a, *b;

	assert_true(json_object_object_get_ex(o, k1, &a));
	assert_true(json_object_object_get_ex(a, k2, &b));
	return (uint32_t)json_object_get_int64(b);
}

static void check_vector_list(json_object *root, const char *list, bool obfs)
{
	json_object *arr;
	size_t checked = 0;

	assert_true(json_object_object_get_ex(root, list, &arr));
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		json_object *v = json_object_array_get_idx(arr, i);
		const char *pt_hex = jstr(v, "input", "plaintext");
		struct fixture *f =
		    fixture_new(jint(v, "input", "from_id"), jint(v, "input", "to_id"),
				jstr(v, "input", "psk"), obfs);
		uint8_t d[WIRE_MAX_DATAGRAM], pt[WIRE_MAX_PLAINTEXT];
		size_t len = unhex(d, sizeof d, jstr(v, "output", "datagram"));
		size_t pt_len = unhex(pt, sizeof pt, pt_hex);
		struct inspect_result r;

		inspect_datagram(&f->ix, d, len, 0, &r);
		if (pt_len == 0) {
			assert_string_equal(r.counter, "keepalive_rx");
		} else {
			assert_string_equal(r.counter, "tun_tx_packets");
			assert_int_equal(r.inner.pt_len, pt_len);
			assert_int_equal(r.inner.src,
					 IP4(pt[12], pt[13], pt[14], pt[15]));
			assert_int_equal(r.inner.dst,
					 IP4(pt[16], pt[17], pt[18], pt[19]));
			assert_int_equal(r.inner.proto, pt[9]);
			assert_int_equal(r.inner.total_len, pt[2] << 8 | pt[3]);
		}
		d[len - 1] ^= 0x01;
		inspect_datagram(&f->ix, d, len, 0, &r);
		assert_string_equal(r.counter, obfs ? "drop_udp_unknown_peer"
						    : "drop_udp_auth_or_invalid");
		fixture_free(f);
		checked++;
	}
	assert_true(checked > 0);
}

static void test_vector_file(void **state)
{
	json_object *root = load_vectors();

	(void)state;
	if (root == NULL)
		skip(); /* the shared corpus is not next to this checkout */
	check_vector_list(root, "vectors", false);
	check_vector_list(root, "obfuscated_vectors", true);
	json_object_put(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_first_vector_accepted),
	    cmocka_unit_test(test_first_vector_obfuscated),
	    cmocka_unit_test(test_keepalive_and_header_drops),
	    cmocka_unit_test(test_no_config),
	    cmocka_unit_test(test_vector_file),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests_name("tools_inspect", tests, NULL, NULL);
}
