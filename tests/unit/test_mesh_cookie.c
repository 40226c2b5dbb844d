/*
 * mac1 / mac2 / cookies: the formulas recomputed here straight from
 * libsodium, every byte of a mac'ed message tampered, the mesh psk, the
 * cookie round trip, replies that must not open, the initiator's validity
 * and the responder's rotation with its grace period.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "core/mesh/cookie.h"

#define S(x) ((uint64_t)(x)*COOKIE_NS_PER_S)
#define T0   (S(1000))

static uint8_t resp_pk[MSG_KEY_LEN], other_pk[MSG_KEY_LEN];
static const uint8_t src_a[] = {192, 0, 2, 1, 0x15, 0xce}; /* 192.0.2.1:5582 */
static const uint8_t src_b[] = {192, 0, 2, 1, 0x15, 0xcf}; /* another port */

/* Both sizes of mac'ed message. */
static const size_t msg_lens[] = {MSG_HS_INIT_LEN, MSG_HS_RESP_LEN};

static void fill_msg(uint8_t *msg, size_t len)
{
	randombytes_buf(msg, len);
	msg_common_put(msg, len == MSG_HS_INIT_LEN ? MSG_HS_INIT : MSG_HS_RESP);
}

static int setup(void **state)
{
	(void)state;
	randombytes_buf(resp_pk, sizeof resp_pk);
	randombytes_buf(other_pk, sizeof other_pk);
	return 0;
}

/* The documented formulas, computed here without the module. */
static void test_formulas(void **state)
{
	uint8_t in[40], key[32], psk[32], mac[16], msg[MSG_HS_INIT_LEN];
	struct cookie_keys k;
	struct cookie_sender s;

	(void)state;
	memcpy(in, "mac1----", 8);
	memcpy(in + 8, resp_pk, 32);
	crypto_generichash(key, 32, in, 40, NULL, 0);
	cookie_keys_derive(&k, resp_pk, NULL);
	assert_memory_equal(k.mac1, key, 32);

	randombytes_buf(psk, sizeof psk);
	crypto_generichash(key, 32, in, 40, psk, 32);
	cookie_keys_derive(&k, resp_pk, psk);
	assert_memory_equal(k.mac1, key, 32);

	memcpy(in, "cookie--", 8);
	crypto_generichash(key, 32, in, 40, NULL, 0);
	assert_memory_equal(k.cookie, key, 32); /* the psk does not change it */

	fill_msg(msg, sizeof msg);
	cookie_sender_init(&s, resp_pk, NULL);
	cookie_sender_add_macs(&s, msg, sizeof msg, T0);
	cookie_keys_derive(&k, resp_pk, NULL);
	crypto_generichash(mac, 16, msg, MSG_HS_INIT_OFF_MAC1, k.mac1, 32);
	assert_memory_equal(msg + MSG_HS_INIT_OFF_MAC1, mac, 16);
	assert_true(sodium_is_zero(msg + MSG_HS_INIT_OFF_MAC2, 16)); /* no cookie yet */
}

/* Any change to the bytes before mac2 breaks mac1; mac2's bytes do not. */
static void test_tamper_every_byte(void **state)
{
	struct cookie_sender s;
	struct cookie_checker c;
	uint8_t msg[MSG_HS_INIT_LEN];

	(void)state;
	cookie_sender_init(&s, resp_pk, NULL);
	cookie_checker_init(&c, resp_pk, NULL);
	for (size_t l = 0; l < sizeof msg_lens / sizeof msg_lens[0]; l++) {
		size_t len = msg_lens[l];

		fill_msg(msg, len);
		cookie_sender_add_macs(&s, msg, len, T0);
		assert_true(cookie_checker_mac1_ok(&c, msg, len));
		for (size_t i = 0; i < len; i++) {
			for (unsigned bit = 0; bit < 8; bit += 7) {
				msg[i] ^= (uint8_t)(1u << bit);
				assert_int_equal(cookie_checker_mac1_ok(&c, msg, len),
						 i >= len - MSG_MAC_LEN);
				msg[i] ^= (uint8_t)(1u << bit);
			}
		}
	}
}

/* mac1 is bound to the receiver's key and, when set, the mesh psk. */
static void test_mac1_keys_and_psk(void **state)
{
	uint8_t psk[32], zero[32] = {0}, msg[MSG_HS_RESP_LEN];
	struct cookie_sender s_plain, s_psk, s_zero, s_other;
	struct cookie_checker c_plain, c_psk;

	(void)state;
	randombytes_buf(psk, sizeof psk);
	cookie_sender_init(&s_plain, resp_pk, NULL);
	cookie_sender_init(&s_psk, resp_pk, psk);
	cookie_sender_init(&s_zero, resp_pk, zero);
	cookie_sender_init(&s_other, other_pk, NULL);
	cookie_checker_init(&c_plain, resp_pk, NULL);
	cookie_checker_init(&c_psk, resp_pk, psk);
	fill_msg(msg, sizeof msg);

	cookie_sender_add_macs(&s_plain, msg, sizeof msg, T0);
	assert_true(cookie_checker_mac1_ok(&c_plain, msg, sizeof msg));
	assert_false(cookie_checker_mac1_ok(&c_psk, msg, sizeof msg));
	cookie_sender_add_macs(&s_zero, msg, sizeof msg, T0); /* all-zero psk = none */
	assert_true(cookie_checker_mac1_ok(&c_plain, msg, sizeof msg));
	cookie_sender_add_macs(&s_psk, msg, sizeof msg, T0);
	assert_true(cookie_checker_mac1_ok(&c_psk, msg, sizeof msg));
	assert_false(cookie_checker_mac1_ok(&c_plain, msg, sizeof msg));
	cookie_sender_add_macs(&s_other, msg, sizeof msg, T0); /* aimed at another node */
	assert_false(cookie_checker_mac1_ok(&c_plain, msg, sizeof msg));
}

/* Under load: zero mac2 -> reply -> cookie -> mac2 valid from that source only. */
static void test_cookie_round_trip(void **state)
{
	struct cookie_sender s;
	struct cookie_checker c;
	uint8_t msg[MSG_HS_INIT_LEN], reply[MSG_COOKIE_REPLY_LEN];

	(void)state;
	for (size_t l = 0; l < sizeof msg_lens / sizeof msg_lens[0]; l++) {
		size_t len = msg_lens[l];

		cookie_sender_init(&s, resp_pk, NULL);
		cookie_checker_init(&c, resp_pk, NULL);
		fill_msg(msg, len);
		cookie_sender_add_macs(&s, msg, len, T0);
		assert_true(cookie_checker_mac1_ok(&c, msg, len));
		assert_false(
		    cookie_checker_mac2_ok(&c, msg, len, src_a, sizeof src_a, T0));

		cookie_checker_make_reply(&c, reply, msg, len, src_a, sizeof src_a, T0);
		/* Never larger than what it answers: no amplification. */
		assert_true(sizeof reply <= len);
		assert_int_equal(msg_classify(reply, sizeof reply),
				 MSG_CLASS_COOKIE_REPLY);
		assert_int_equal(msg_receiver(reply, MSG_CLASS_COOKIE_REPLY),
				 msg_hs_sender(msg));

		assert_true(cookie_sender_consume_reply(&s, reply, T0 + S(1)));
		assert_false(
		    cookie_sender_consume_reply(&s, reply, T0 + S(1))); /* only once */

		fill_msg(msg, len);
		cookie_sender_add_macs(&s, msg, len, T0 + S(2));
		assert_false(sodium_is_zero(msg + len - MSG_MAC_LEN, MSG_MAC_LEN));
		assert_true(cookie_checker_mac1_ok(&c, msg, len));
		assert_true(
		    cookie_checker_mac2_ok(&c, msg, len, src_a, sizeof src_a, T0 + S(2)));
		assert_false(
		    cookie_checker_mac2_ok(&c, msg, len, src_b, sizeof src_b, T0 + S(2)));
		/* Every byte before mac2 is covered by mac2 too. */
		for (size_t i = 0; i < len; i++) {
			msg[i] ^= 0x01;
			assert_false(cookie_checker_mac2_ok(&c, msg, len, src_a,
							    sizeof src_a, T0 + S(2)));
			msg[i] ^= 0x01;
		}
		cookie_sender_wipe(&s);
		cookie_checker_wipe(&c);
		assert_true(sodium_is_zero((const uint8_t *)&c, sizeof c));
		assert_true(sodium_is_zero((const uint8_t *)&s, sizeof s));
	}
}

/* Replies that must not open: another mac1, tampered, another responder. */
static void test_reply_refused(void **state)
{
	struct cookie_sender s, s_other;
	struct cookie_checker c, c_other;
	uint8_t first[MSG_HS_INIT_LEN], second[MSG_HS_INIT_LEN],
	    reply[MSG_COOKIE_REPLY_LEN];

	(void)state;
	cookie_sender_init(&s, resp_pk, NULL);
	cookie_checker_init(&c, resp_pk, NULL);
	assert_false(cookie_sender_consume_reply(&s, reply, T0)); /* nothing sent yet */

	fill_msg(first, sizeof first);
	fill_msg(second, sizeof second);
	cookie_sender_add_macs(&s, first, sizeof first, T0);
	cookie_sender_add_macs(&s, second, sizeof second, T0);
	/* A reply to the first message: the sender's last mac1 is the second's. */
	cookie_checker_make_reply(&c, reply, first, sizeof first, src_a, sizeof src_a,
				  T0);
	assert_false(cookie_sender_consume_reply(&s, reply, T0));
	assert_false(s.have_cookie);

	/* Tampered anywhere in the nonce or the sealed cookie. */
	cookie_checker_make_reply(&c, reply, second, sizeof second, src_a, sizeof src_a,
				  T0);
	for (size_t i = MSG_COOKIE_OFF_NONCE; i < sizeof reply; i++) {
		reply[i] ^= 0x80;
		assert_false(cookie_sender_consume_reply(&s, reply, T0));
		reply[i] ^= 0x80;
	}
	/* From a node whose key is not the one we sent to. */
	cookie_checker_init(&c_other, other_pk, NULL);
	cookie_sender_init(&s_other, other_pk, NULL);
	cookie_checker_make_reply(&c_other, reply, second, sizeof second, src_a,
				  sizeof src_a, T0);
	assert_false(cookie_sender_consume_reply(&s, reply, T0));
	assert_false(s.have_cookie);
	/* The genuine one still opens. */
	cookie_checker_make_reply(&c, reply, second, sizeof second, src_a, sizeof src_a,
				  T0);
	assert_true(cookie_sender_consume_reply(&s, reply, T0));
}

/* The initiator uses a cookie for COOKIE_VALID_NS after receiving it. */
static void test_sender_validity(void **state)
{
	struct cookie_sender s;
	struct cookie_checker c;
	uint8_t msg[MSG_HS_RESP_LEN], reply[MSG_COOKIE_REPLY_LEN];

	(void)state;
	cookie_sender_init(&s, resp_pk, NULL);
	cookie_checker_init(&c, resp_pk, NULL);
	fill_msg(msg, sizeof msg);
	cookie_sender_add_macs(&s, msg, sizeof msg, T0);
	cookie_checker_make_reply(&c, reply, msg, sizeof msg, src_a, sizeof src_a, T0);
	assert_true(cookie_sender_consume_reply(&s, reply, T0));

	cookie_sender_add_macs(&s, msg, sizeof msg, T0 + COOKIE_VALID_NS - 1);
	assert_false(sodium_is_zero(msg + MSG_HS_RESP_OFF_MAC2, MSG_MAC_LEN));
	assert_true(cookie_checker_mac2_ok(&c, msg, sizeof msg, src_a, sizeof src_a,
					   T0 + COOKIE_VALID_NS - 1));
	cookie_sender_add_macs(&s, msg, sizeof msg, T0 + COOKIE_VALID_NS);
	assert_true(sodium_is_zero(msg + MSG_HS_RESP_OFF_MAC2, MSG_MAC_LEN));
	assert_false(s.have_cookie);
}

/* A cookie made at `made` (checker first used at T0), checked at `at`. */
struct rotation_case {
	uint64_t made, at;
	bool ok;
};

/* clang-format off */
static const struct rotation_case rotation_cases[] = {
	{T0, T0 + S(119), true},
	{T0, T0 + S(120), true},                /* R replaced, previous in grace */
	{T0, T0 + S(240) - 1, true},
	{T0, T0 + S(240), false},               /* grace over */
	{T0 + S(119), T0 + S(239), true},
	{T0 + S(119), T0 + S(240), false},      /* 121 s old: its R expired */
	{T0 + S(120), T0 + S(359), true},       /* made with the second R */
	{T0 + S(120), T0 + S(360), false},
	{T0, T0 + S(1000), false},              /* long idle: both R gone */
};
/* clang-format on */

static void test_rotation(void **state)
{
	uint8_t msg[MSG_HS_INIT_LEN], reply[MSG_COOKIE_REPLY_LEN];

	(void)state;
	for (size_t i = 0; i < sizeof rotation_cases / sizeof rotation_cases[0]; i++) {
		const struct rotation_case *rc = &rotation_cases[i];
		struct cookie_sender s;
		struct cookie_checker c;

		cookie_sender_init(&s, resp_pk, NULL);
		cookie_checker_init(&c, resp_pk, NULL);
		fill_msg(msg, sizeof msg);
		/* The checker starts its first R at T0. */
		assert_false(
		    cookie_checker_mac2_ok(&c, msg, sizeof msg, src_a, sizeof src_a, T0));
		cookie_sender_add_macs(&s, msg, sizeof msg, rc->made);
		cookie_checker_make_reply(&c, reply, msg, sizeof msg, src_a, sizeof src_a,
					  rc->made);
		assert_true(cookie_sender_consume_reply(&s, reply, rc->made));
		/* Build mac2 with the cookie as it was received, whatever its age. */
		s.cookie_received_ns = rc->at;
		cookie_sender_add_macs(&s, msg, sizeof msg, rc->at);
		if (cookie_checker_mac2_ok(&c, msg, sizeof msg, src_a, sizeof src_a,
					   rc->at) != rc->ok)
			fail_msg("case %zu: cookie made at +%ju s, checked at +%ju ns: "
				 "want %s",
				 i, (uintmax_t)((rc->made - T0) / COOKIE_NS_PER_S),
				 (uintmax_t)(rc->at - T0), rc->ok ? "valid" : "invalid");
	}
}

/*
 * Random timelines: the checker is used at random times (so R is replaced
 * at random moments); every cookie the initiator still uses (younger than
 * COOKIE_VALID_NS since it arrived) is accepted.
 */
static void test_initiator_never_outlives_responder(void **state)
{
	uint8_t msg[MSG_HS_INIT_LEN], reply[MSG_COOKIE_REPLY_LEN];
	struct cookie_checker c;
	struct cookie_sender s;
	uint64_t now = T0;

	(void)state;
	cookie_checker_init(&c, resp_pk, NULL);
	cookie_sender_init(&s, resp_pk, NULL);
	for (int round = 0; round < 300; round++) {
		uint64_t used_until;

		now += randombytes_uniform(200) * COOKIE_NS_PER_S / 3;
		fill_msg(msg, sizeof msg);
		cookie_sender_add_macs(&s, msg, sizeof msg, now);
		cookie_checker_make_reply(&c, reply, msg, sizeof msg, src_a, sizeof src_a,
					  now);
		assert_true(cookie_sender_consume_reply(&s, reply, now));
		used_until = now + COOKIE_VALID_NS - 1;
		while (now < used_until) {
			now += randombytes_uniform(40) * COOKIE_NS_PER_S + 1;
			if (now > used_until)
				now = used_until;
			cookie_sender_add_macs(&s, msg, sizeof msg, now);
			assert_true(cookie_checker_mac2_ok(&c, msg, sizeof msg, src_a,
							   sizeof src_a, now));
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_formulas),
	    cmocka_unit_test(test_tamper_every_byte),
	    cmocka_unit_test(test_mac1_keys_and_psk),
	    cmocka_unit_test(test_cookie_round_trip),
	    cmocka_unit_test(test_reply_refused),
	    cmocka_unit_test(test_sender_validity),
	    cmocka_unit_test(test_rotation),
	    cmocka_unit_test(test_initiator_never_outlives_responder),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, setup, NULL);
}
