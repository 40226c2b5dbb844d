/*
 * The framed mesh handshake: both roles to the end and the keys agreeing,
 * every refusal reason in the responder's order (each one leaving the
 * responder's state and the policy's storage untouched), the cookie round
 * trip under load, the rate-limit verdicts, a pending initiation surviving
 * a forged HS_RESP, and the stable reason names.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "core/bytes/byteorder.h"
#include "mesh_nodes.h"

static struct mn_node A, B, C;
static struct cookie_sender cs_ab; /* A's cookie state towards B */

static int setup(void **state)
{
	uint8_t x[NOISE_DHLEN];

	(void)state;
	mn_node_init(&A, NULL);
	mn_node_init(&B, NULL);
	mn_node_init(&C, NULL);
	assert_int_equal(identity_x25519_public(B.id.pk, x), 0);
	cookie_sender_init(&cs_ab, x, NULL);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	mn_node_wipe(&A);
	mn_node_wipe(&B);
	mn_node_wipe(&C);
	return 0;
}

/* Fresh policies: B allows A, nothing stored, no load. */
static void reset(void)
{
	memset(&A.pol, 0, sizeof A.pol);
	memset(&B.pol, 0, sizeof B.pol);
	mn_allow(&B, A.id.pk);
	mn_allow(&A, B.id.pk);
	{
		uint8_t x[NOISE_DHLEN];

		identity_x25519_public(B.id.pk, x);
		cookie_sender_init(&cs_ab, x, NULL);
	}
}

static void test_reason_names(void **state)
{
	static const char *const want[] = {
	    "ok",
	    "bad_length",
	    "bad_type",
	    "bad_reserved",
	    "unknown_receiver",
	    "bad_mac1",
	    "under_load",
	    "rate_limited",
	    "ratelimit_full",
	    "decrypt",
	    "bad_identity",
	    "not_allowed",
	    "static_mismatch",
	    "stale_timestamp",
	};

	(void)state;
	assert_int_equal(sizeof want / sizeof want[0], HS_REASON_END);
	for (int r = 0; r < HS_REASON_END; r++)
		assert_string_equal(hs_reason_name((enum hs_reason)r), want[r]);
	assert_string_equal(hs_reason_name(HS_REASON_END), "?");
}

static void test_tai64n(void **state)
{
	uint8_t t[HS_TAI64N_LEN], u[HS_TAI64N_LEN];

	(void)state;
	hs_tai64n(t, UINT64_C(1500000000123456789));
	assert_int_equal(load_be64(t), (UINT64_C(1) << 62) + 1500000000);
	assert_int_equal(load_be32(t + 8), 123456789);
	hs_tai64n(u, UINT64_C(1500000000123456790));
	assert_true(memcmp(t, u, sizeof t) < 0);
}

static void test_full_handshake(void **state)
{
	struct hs_keys ki, kr;
	uint8_t pt[5] = "hello", ct[64], back[64];
	size_t n, m;

	(void)state;
	reset();
	assert_true(mn_handshake(&A, &B, MN_WALL0, MN_S(10), &ki, &kr));
	assert_true(ki.initiator);
	assert_false(kr.initiator);
	assert_int_equal(ki.local_index, kr.remote_index);
	assert_int_equal(ki.remote_index, kr.local_index);
	assert_memory_equal(kr.peer_ed_pk, A.id.pk, IDENTITY_PK_LEN);
	assert_memory_equal(kr.peer_addr, A.id.addr, IDENTITY_ADDR_LEN);
	assert_memory_equal(ki.peer_addr, B.id.addr, IDENTITY_ADDR_LEN);
	assert_memory_equal(ki.send.k, kr.recv.k, NOISE_KEYLEN);
	assert_memory_equal(ki.recv.k, kr.send.k, NOISE_KEYLEN);
	assert_int_equal(
	    noise_cipher_encrypt_at(&ki.send, 7, NULL, 0, pt, 5, ct, sizeof ct, &n), 0);
	assert_int_equal(
	    noise_cipher_decrypt_at(&kr.recv, 7, NULL, 0, ct, n, back, sizeof back, &m),
	    0);
	assert_memory_equal(back, pt, 5);
	/* Without load nothing consulted the rate limiter. */
	assert_int_equal(B.pol.rate_calls, 0);
	assert_int_equal(B.pol.load_calls, 1);
	hs_keys_wipe(&ki);
	hs_keys_wipe(&kr);
}

/* A psk on both ends works; on one end only, mac1 already fails. */
static void test_psk(void **state)
{
	struct mn_node P, Q;
	uint8_t psk[32], out[HS_REPLY_MAX], init[MSG_HS_INIT_LEN], x[32];
	struct hs_keys ki, kr;
	struct hs_initiator hs;
	struct cookie_sender cs;
	size_t out_len;

	(void)state;
	randombytes_buf(psk, sizeof psk);
	mn_node_init(&P, psk);
	mn_node_init(&Q, psk);
	mn_allow(&Q, P.id.pk);
	assert_true(mn_handshake(&P, &Q, MN_WALL0, MN_S(1), &ki, &kr));
	hs_keys_wipe(&ki);
	hs_keys_wipe(&kr);
	/* B has no psk: P's HS_INIT fails mac1 at B before any DH. */
	mn_allow(&B, P.id.pk);
	identity_x25519_public(B.id.pk, x);
	cookie_sender_init(&cs, x, psk);
	assert_int_equal(
	    hs_initiator_start(&hs, &P.local, B.id.pk, &cs, 0, MN_WALL0, 0, NULL, init),
	    0);
	assert_int_equal(hs_respond(&B.local, &B.ops, init, sizeof init, mn_src,
				    sizeof mn_src, 0, 0, NULL, out, &out_len, &kr),
			 HS_DROP_BAD_MAC1);
	hs_initiator_wipe(&hs);
	mn_node_wipe(&P);
	mn_node_wipe(&Q);
}

/* Run the responder on msg and check the reason, no output, no state change. */
static void expect_refusal(const uint8_t *msg, size_t len, enum hs_reason want)
{
	static struct hs_local before;
	struct mn_policy pol_before = B.pol;
	uint8_t out[HS_REPLY_MAX];
	struct hs_keys k;
	size_t out_len = 99;
	enum hs_reason r;

	before = B.local;
	memset(&k, 0xa5, sizeof k);
	r = hs_respond(&B.local, &B.ops, msg, len, mn_src, sizeof mn_src, 0, MN_S(5),
		       NULL, out, &out_len, &k);
	assert_string_equal(hs_reason_name(r), hs_reason_name(want));
	assert_int_equal(out_len, 0);
	assert_memory_equal(&before, &B.local, sizeof before);
	assert_memory_equal(pol_before.last_tai64n, B.pol.last_tai64n, HS_TAI64N_LEN);
}

static void make_init(struct mn_node *from, uint64_t wall, uint8_t init[MSG_HS_INIT_LEN])
{
	struct hs_initiator hs;

	assert_int_equal(hs_initiator_start(&hs, &from->local, B.id.pk, &cs_ab, 0, wall,
					    MN_S(5), NULL, init),
			 0);
	hs_initiator_wipe(&hs);
}

static void test_responder_refusals(void **state)
{
	uint8_t init[MSG_HS_INIT_LEN], bad[MSG_HS_INIT_LEN + 1], out[HS_REPLY_MAX];
	struct hs_keys k;
	size_t out_len;

	(void)state;
	reset();
	make_init(&A, MN_WALL0, init);

	expect_refusal(init, sizeof init - 1, HS_DROP_BAD_LENGTH);
	memcpy(bad, init, sizeof init);
	bad[sizeof init] = 0;
	expect_refusal(bad, sizeof init + 1, HS_DROP_BAD_LENGTH);
	bad[0] = MSG_HS_RESP;
	expect_refusal(bad, sizeof init, HS_DROP_BAD_TYPE);
	for (int i = 1; i < 4; i++) {
		memcpy(bad, init, sizeof init);
		bad[i] = 1;
		expect_refusal(bad, sizeof init, HS_DROP_BAD_RESERVED);
	}
	/* mac1: every byte of the message it covers, and mac1 itself. */
	for (size_t i = 4; i < MSG_HS_INIT_OFF_MAC2; i++) {
		memcpy(bad, init, sizeof init);
		bad[i] ^= 0x40;
		expect_refusal(bad, sizeof init, HS_DROP_BAD_MAC1);
	}
	assert_int_equal(B.pol.load_calls, 0); /* never counted before mac1 */

	/* A tampered ciphertext with a recomputed mac1: Noise refuses it. */
	for (size_t i = MSG_HS_INIT_OFF_EPHEMERAL; i < MSG_HS_INIT_OFF_MAC1; i += 7) {
		memcpy(bad, init, sizeof init);
		bad[i] ^= 0x01;
		cookie_sender_add_macs(&cs_ab, bad, sizeof init, MN_S(5));
		expect_refusal(bad, sizeof init, HS_DROP_DECRYPT);
	}
	assert_int_equal(B.pol.allow_calls, 0); /* never asked before Noise */

	/* Not on the whitelist. */
	B.pol.n_allow = 0;
	expect_refusal(init, sizeof init, HS_DROP_NOT_ALLOWED);
	mn_allow(&B, A.id.pk);

	/* Accepted once; the same message again is a stale timestamp, and so
	 * is an older one. */
	assert_int_equal(hs_respond(&B.local, &B.ops, init, sizeof init, mn_src,
				    sizeof mn_src, 0, MN_S(5), NULL, out, &out_len, &k),
			 HS_OK);
	assert_int_equal(out_len, MSG_HS_RESP_LEN);
	memcpy(B.pol.last_tai64n, k.tai64n, HS_TAI64N_LEN);
	hs_keys_wipe(&k);
	expect_refusal(init, sizeof init, HS_DROP_STALE_TIMESTAMP);
	make_init(&A, MN_WALL0 - 1, init);
	expect_refusal(init, sizeof init, HS_DROP_STALE_TIMESTAMP);
	make_init(&A, MN_WALL0 + 1, init);
	assert_int_equal(hs_respond(&B.local, &B.ops, init, sizeof init, mn_src,
				    sizeof mn_src, 0, MN_S(5), NULL, out, &out_len, &k),
			 HS_OK);
	hs_keys_wipe(&k);
}

/* C claims A's identity in the payload but has its own Noise static. */
static void test_static_mismatch(void **state)
{
	struct hs_local forged;
	uint8_t init[MSG_HS_INIT_LEN];

	(void)state;
	reset();
	forged = C.local;
	memcpy(forged.ed_pk, A.id.pk, IDENTITY_PK_LEN);
	{
		struct hs_initiator hs;

		assert_int_equal(hs_initiator_start(&hs, &forged, B.id.pk, &cs_ab, 0,
						    MN_WALL0, MN_S(5), NULL, init),
				 0);
		hs_initiator_wipe(&hs);
	}
	expect_refusal(init, sizeof init, HS_DROP_STATIC_MISMATCH);
	/* Not allowed wins when the claimed identity is not whitelisted. */
	B.pol.n_allow = 0;
	expect_refusal(init, sizeof init, HS_DROP_NOT_ALLOWED);
	hs_local_wipe(&forged);
}

/* An Ed25519 key that fails the proof of work is refused before the whitelist. */
static void test_bad_identity(void **state)
{
	struct identity weak;
	struct hs_local wl;
	uint8_t init[MSG_HS_INIT_LEN];
	struct hs_initiator hs;

	(void)state;
	reset();
	do
		crypto_sign_keypair(weak.pk, weak.sk);
	while (identity_pk_acceptable(weak.pk));
	identity_address(weak.pk, weak.addr);
	assert_int_equal(hs_local_init(&wl, &weak, NULL), 0);
	mn_allow(&B, weak.pk);
	assert_int_equal(hs_initiator_start(&hs, &wl, B.id.pk, &cs_ab, 0, MN_WALL0,
					    MN_S(5), NULL, init),
			 0);
	expect_refusal(init, sizeof init, HS_DROP_BAD_IDENTITY);
	assert_int_equal(B.pol.allow_calls, 0);
	hs_initiator_wipe(&hs);
	hs_local_wipe(&wl);
	identity_wipe(&weak);
}

/* Under load: no mac2 -> COOKIE_REPLY (64 <= 184); with the cookie -> on. */
static void test_under_load(void **state)
{
	uint8_t init[MSG_HS_INIT_LEN], out[HS_REPLY_MAX];
	struct hs_keys k;
	size_t out_len;

	(void)state;
	reset();
	B.pol.load = true;
	B.pol.rate = MESH_RATELIMIT_ALLOW;
	make_init(&A, MN_WALL0, init);
	assert_int_equal(hs_respond(&B.local, &B.ops, init, sizeof init, mn_src,
				    sizeof mn_src, 0, MN_S(5), NULL, out, &out_len, &k),
			 HS_DROP_UNDER_LOAD);
	assert_int_equal(out_len, MSG_COOKIE_REPLY_LEN);
	assert_int_equal(out[0], MSG_COOKIE_REPLY);
	assert_int_equal(load_be32(out + MSG_COOKIE_OFF_RECEIVER), msg_hs_sender(init));
	assert_int_equal(B.pol.rate_calls, 0);
	assert_int_equal(B.pol.allow_calls, 0);
	assert_true(cookie_sender_consume_reply(&cs_ab, out, MN_S(5)));

	/* With the cookie: mac2 is valid, then the token bucket decides. */
	make_init(&A, MN_WALL0 + 1, init);
	B.pol.rate = MESH_RATELIMIT_DENY;
	expect_refusal(init, sizeof init, HS_DROP_RATE_LIMITED);
	B.pol.rate = MESH_RATELIMIT_FULL;
	expect_refusal(init, sizeof init, HS_DROP_RATELIMIT_FULL);
	B.pol.rate = MESH_RATELIMIT_ALLOW;
	assert_int_equal(hs_respond(&B.local, &B.ops, init, sizeof init, mn_src,
				    sizeof mn_src, 0, MN_S(5), NULL, out, &out_len, &k),
			 HS_OK);
	assert_int_equal(B.pol.rate_calls, 3);
	hs_keys_wipe(&k);
	/* From another source the cookie is not valid: a reply again. */
	{
		static const uint8_t other[] = {192, 0, 2, 2, 0x15, 0xce};

		make_init(&A, MN_WALL0 + 2, init);
		assert_int_equal(hs_respond(&B.local, &B.ops, init, sizeof init, other,
					    sizeof other, 0, MN_S(5), NULL, out, &out_len,
					    &k),
				 HS_DROP_UNDER_LOAD);
	}
}

static unsigned no_reply_calls;

static bool no_reply(void *ctx, const uint8_t *src, size_t src_len, uint64_t now_ns)
{
	(void)ctx;
	(void)src;
	(void)src_len;
	(void)now_ns;
	no_reply_calls++;
	return false;
}

/* Under load, a caller that refuses the reply gets none made: out_len 0. */
static void test_cookie_reply_refused(void **state)
{
	uint8_t init[MSG_HS_INIT_LEN], out[HS_REPLY_MAX];
	struct hs_ops ops;
	struct hs_keys k;
	size_t out_len = 99;

	(void)state;
	reset();
	ops = B.ops;
	ops.cookie_reply_allowed = no_reply;
	no_reply_calls = 0;
	/* Not under load: the question never comes up. */
	make_init(&A, MN_WALL0, init);
	assert_int_equal(hs_respond(&B.local, &ops, init, sizeof init, mn_src, sizeof mn_src, 0,
				    MN_S(5), NULL, out, &out_len, &k),
			 HS_OK);
	assert_int_equal(no_reply_calls, 0);
	hs_keys_wipe(&k);
	B.pol.load = true;
	make_init(&A, MN_WALL0 + 1, init);
	out_len = 99;
	assert_int_equal(hs_respond(&B.local, &ops, init, sizeof init, mn_src, sizeof mn_src, 0,
				    MN_S(5), NULL, out, &out_len, &k),
			 HS_DROP_UNDER_LOAD);
	assert_int_equal(out_len, 0);
	assert_int_equal(no_reply_calls, 1);
	assert_int_equal(B.pol.rate_calls, 0);
}

/* Initiator side: wrong index, bad mac1, forged body; then the real one. */
static void test_initiator_refusals(void **state)
{
	struct hs_initiator hs, before;
	uint8_t init[MSG_HS_INIT_LEN], resp[HS_REPLY_MAX], bad[MSG_HS_RESP_LEN],
	    out[HS_REPLY_MAX];
	struct hs_keys ki, kr;
	struct cookie_sender cs_ba;
	size_t resp_len, out_len;
	uint8_t x[32];

	(void)state;
	reset();
	assert_int_equal(hs_initiator_start(&hs, &A.local, B.id.pk, &cs_ab, 0, MN_WALL0,
					    MN_S(5), NULL, init),
			 0);
	assert_int_equal(hs_respond(&B.local, &B.ops, init, sizeof init, mn_src,
				    sizeof mn_src, 0, MN_S(5), NULL, resp, &resp_len,
				    &kr),
			 HS_OK);
	before = hs;
	identity_x25519_public(A.id.pk, x);
	cookie_sender_init(&cs_ba, x, NULL);

	assert_int_equal(hs_initiator_consume(&hs, &A.local, &A.ops, resp, resp_len - 1,
					      mn_src, sizeof mn_src, MN_S(5), out,
					      &out_len, &ki),
			 HS_DROP_BAD_LENGTH);
	memcpy(bad, resp, sizeof bad);
	store_be32(bad + MSG_HS_RESP_OFF_RECEIVER, hs.local_index + 1);
	cookie_sender_add_macs(&cs_ba, bad, sizeof bad, MN_S(5));
	assert_int_equal(hs_initiator_consume(&hs, &A.local, &A.ops, bad, sizeof bad,
					      mn_src, sizeof mn_src, MN_S(5), out,
					      &out_len, &ki),
			 HS_DROP_UNKNOWN_RECEIVER);
	memcpy(bad, resp, sizeof bad);
	bad[MSG_HS_RESP_OFF_MAC1] ^= 1;
	assert_int_equal(hs_initiator_consume(&hs, &A.local, &A.ops, bad, sizeof bad,
					      mn_src, sizeof mn_src, MN_S(5), out,
					      &out_len, &ki),
			 HS_DROP_BAD_MAC1);
	/* Anyone can compute mac1 over our public key: a forged body. */
	memcpy(bad, resp, sizeof bad);
	bad[MSG_HS_RESP_OFF_PAYLOAD] ^= 1;
	cookie_sender_add_macs(&cs_ba, bad, sizeof bad, MN_S(5));
	assert_int_equal(hs_initiator_consume(&hs, &A.local, &A.ops, bad, sizeof bad,
					      mn_src, sizeof mn_src, MN_S(5), out,
					      &out_len, &ki),
			 HS_DROP_DECRYPT);
	assert_memory_equal(&hs, &before, sizeof hs); /* the initiation survives */

	assert_int_equal(hs_initiator_consume(&hs, &A.local, &A.ops, resp, resp_len,
					      mn_src, sizeof mn_src, MN_S(5), out,
					      &out_len, &ki),
			 HS_OK);
	assert_false(hs.active);
	assert_memory_equal(ki.send.k, kr.recv.k, NOISE_KEYLEN);
	/* Consumed: the same HS_RESP again finds no initiation. */
	assert_int_equal(hs_initiator_consume(&hs, &A.local, &A.ops, resp, resp_len,
					      mn_src, sizeof mn_src, MN_S(5), out,
					      &out_len, &ki),
			 HS_DROP_UNKNOWN_RECEIVER);
	hs_keys_wipe(&ki);
	hs_keys_wipe(&kr);
	cookie_sender_wipe(&cs_ba);
	hs_initiator_wipe(&before);
}

/* Fixed ephemerals and indexes give the same bytes twice. */
static void test_fixed_is_deterministic(void **state)
{
	uint8_t e[32], m1[MSG_HS_INIT_LEN], m2[MSG_HS_INIT_LEN];
	struct hs_fixed fx = {.local_index = 0x01020304, .ephemeral = e};
	struct hs_initiator hs;

	(void)state;
	reset();
	randombytes_buf(e, sizeof e);
	assert_int_equal(
	    hs_initiator_start(&hs, &A.local, B.id.pk, &cs_ab, 0, MN_WALL0, 0, &fx, m1),
	    0);
	assert_int_equal(hs.local_index, 0x01020304);
	assert_int_equal(
	    hs_initiator_start(&hs, &A.local, B.id.pk, &cs_ab, 0, MN_WALL0, 0, &fx, m2),
	    0);
	assert_memory_equal(m1, m2, sizeof m1);
	assert_int_equal(load_be32(m1 + MSG_HS_INIT_OFF_SENDER), 0x01020304);
	assert_int_equal(msg_classify(m1, sizeof m1), MSG_CLASS_HS_INIT);
	hs_initiator_wipe(&hs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_reason_names),
	    cmocka_unit_test(test_tai64n),
	    cmocka_unit_test(test_full_handshake),
	    cmocka_unit_test(test_psk),
	    cmocka_unit_test(test_responder_refusals),
	    cmocka_unit_test(test_static_mismatch),
	    cmocka_unit_test(test_bad_identity),
	    cmocka_unit_test(test_under_load),
	    cmocka_unit_test(test_cookie_reply_refused),
	    cmocka_unit_test(test_initiator_refusals),
	    cmocka_unit_test(test_fixed_is_deterministic),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, setup, teardown);
}
