/*
 * The Noise core (core/mesh/noise.c) end to end with random keys, and every
 * way a handshake must fail: a flipped bit anywhere in either message, a
 * truncated or extended message, the wrong psk, the wrong responder key, a
 * prologue mismatch, a low-order DH key, misuse of the state machine, and
 * the transport nonce limit.  The published known-answer vectors are run
 * by subnetra-conformance --noise (tests/vectors/noise/).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "core/mesh/noise.h"

enum { PAYLOAD1 = 48, PAYLOAD2 = 4, BUF = 512 };

static const uint8_t prologue[] = "subnetra-mesh v1";

struct keys {
	uint8_t si[NOISE_DHLEN], sr[NOISE_DHLEN], sr_pub[NOISE_DHLEN];
	uint8_t ei[NOISE_DHLEN], er[NOISE_DHLEN];
	uint8_t psk[NOISE_PSKLEN];
};

/* Both ends of one handshake, with the messages as they were sent. */
struct pair {
	struct noise_handshake ini, resp;
	uint8_t msg1[BUF], msg2[BUF];
	size_t len1, len2;
	uint8_t pl1[PAYLOAD1], pl2[PAYLOAD2];
};

static void random_keys(struct keys *k)
{
	randombytes_buf(k, sizeof *k);
	assert_int_equal(crypto_scalarmult_base(k->sr_pub, k->sr), 0);
}

/* Both sides started; psk patterns get the psk on both (resp: later for psk2). */
static void pair_start(struct pair *p, const struct keys *k, enum noise_pattern pat)
{
	const uint8_t *psk = pat == NOISE_IK ? NULL : k->psk;

	memset(p, 0, sizeof *p);
	randombytes_buf(p->pl1, sizeof p->pl1);
	randombytes_buf(p->pl2, sizeof p->pl2);
	assert_int_equal(noise_handshake_init(&p->ini, pat, true, prologue,
					      sizeof prologue, k->si, k->sr_pub, psk),
			 0);
	assert_int_equal(noise_handshake_init(&p->resp, pat, false, prologue,
					      sizeof prologue, k->sr, NULL,
					      pat == NOISE_IKPSK1 ? psk : NULL),
			 0);
	assert_int_equal(noise_handshake_set_ephemeral(&p->ini, k->ei), 0);
	assert_int_equal(noise_handshake_set_ephemeral(&p->resp, k->er), 0);
}

static void write1(struct pair *p)
{
	assert_int_equal(noise_handshake_write(&p->ini, p->pl1, sizeof p->pl1, p->msg1,
					       sizeof p->msg1, &p->len1),
			 0);
	assert_int_equal(p->len1, sizeof p->pl1 + NOISE_IK_MSG1_OVERHEAD);
}

static int read1(struct pair *p, const uint8_t *msg, size_t len, uint8_t *out,
		 size_t *out_len)
{
	return noise_handshake_read(&p->resp, msg, len, out, BUF, out_len);
}

/* Responder: read message 1 (checked), then (psk2) learn the psk, write message 2. */
static void respond(struct pair *p, const struct keys *k, enum noise_pattern pat)
{
	uint8_t out[BUF], rs[NOISE_DHLEN], si_pub[NOISE_DHLEN];
	size_t n;

	assert_int_equal(read1(p, p->msg1, p->len1, out, &n), 0);
	assert_int_equal(n, sizeof p->pl1);
	assert_memory_equal(out, p->pl1, n);
	assert_int_equal(noise_handshake_remote_static(&p->resp, rs), 0);
	assert_int_equal(crypto_scalarmult_base(si_pub, k->si), 0);
	assert_memory_equal(rs, si_pub, sizeof rs);
	if (pat == NOISE_IKPSK2)
		assert_int_equal(noise_handshake_set_psk(&p->resp, k->psk), 0);
	assert_int_equal(noise_handshake_write(&p->resp, p->pl2, sizeof p->pl2, p->msg2,
					       sizeof p->msg2, &p->len2),
			 0);
	assert_int_equal(p->len2, sizeof p->pl2 + NOISE_IK_MSG2_OVERHEAD);
	assert_true(noise_handshake_done(&p->resp));
}

/* A failed handshake: every call refused, every secret gone. */
static void assert_unusable(struct noise_handshake *hs)
{
	struct noise_handshake zero;
	struct noise_cipher a, b;
	uint8_t buf[BUF], h[NOISE_HASHLEN];
	size_t n;

	memset(&zero, 0, sizeof zero);
	zero.state = NOISE_HS_FAILED;
	assert_memory_equal(hs, &zero, sizeof zero);
	assert_false(noise_handshake_done(hs));
	assert_int_equal(noise_handshake_write(hs, NULL, 0, buf, sizeof buf, &n),
			 -EINVAL);
	assert_int_equal(noise_handshake_read(hs, buf, 100, buf, sizeof buf, &n),
			 -EINVAL);
	assert_int_equal(noise_handshake_split(hs, &a, &b, NULL), -EINVAL);
	assert_int_equal(noise_handshake_hash(hs, h), -EINVAL);
	assert_int_equal(noise_handshake_remote_static(hs, h), -EINVAL);
}

static void test_handshake_and_transport(void **state)
{
	static const enum noise_pattern pats[] = {NOISE_IK, NOISE_IKPSK1, NOISE_IKPSK2};
	(void)state;

	for (size_t i = 0; i < sizeof pats / sizeof pats[0]; i++) {
		struct noise_cipher is, ir, rs, rr;
		uint8_t out[BUF], ct[BUF], hi[NOISE_HASHLEN], hr[NOISE_HASHLEN];
		uint8_t fi[NOISE_HASHLEN], fr[NOISE_HASHLEN];
		struct pair p;
		struct keys k;
		size_t n, m;

		random_keys(&k);
		pair_start(&p, &k, pats[i]);
		write1(&p);
		respond(&p, &k, pats[i]);
		assert_int_equal(
		    noise_handshake_read(&p.ini, p.msg2, p.len2, out, sizeof out, &n), 0);
		assert_int_equal(n, sizeof p.pl2);
		assert_memory_equal(out, p.pl2, n);
		assert_true(noise_handshake_done(&p.ini));

		/* Both sides agree on the handshake hash, before and at the split. */
		assert_int_equal(noise_handshake_hash(&p.ini, hi), 0);
		assert_int_equal(noise_handshake_hash(&p.resp, hr), 0);
		assert_memory_equal(hi, hr, sizeof hi);
		assert_int_equal(noise_handshake_split(&p.ini, &is, &ir, fi), 0);
		assert_int_equal(noise_handshake_split(&p.resp, &rs, &rr, fr), 0);
		assert_memory_equal(fi, hi, sizeof fi);
		assert_memory_equal(fr, hi, sizeof fr);
		assert_int_equal(p.ini.state, NOISE_HS_EMPTY);
		assert_memory_equal(is.k, rr.k, NOISE_KEYLEN);
		assert_memory_equal(ir.k, rs.k, NOISE_KEYLEN);
		assert_memory_not_equal(is.k, ir.k, NOISE_KEYLEN);

		/* Transport, both directions, several messages, with ad. */
		for (int j = 0; j < 3; j++) {
			uint8_t msg[40];

			randombytes_buf(msg, sizeof msg);
			assert_int_equal(noise_cipher_encrypt(&is, hi, 8, msg, sizeof msg,
							      ct, sizeof ct, &n),
					 0);
			assert_int_equal(n, sizeof msg + NOISE_TAGLEN);
			assert_int_equal(
			    noise_cipher_decrypt(&rr, hi, 8, ct, n, out, sizeof out, &m),
			    0);
			assert_memory_equal(out, msg, sizeof msg);
			/* in place, the other way */
			memcpy(ct, msg, sizeof msg);
			assert_int_equal(noise_cipher_encrypt(&rs, NULL, 0, ct,
							      sizeof msg, ct, sizeof ct,
							      &n),
					 0);
			assert_int_equal(
			    noise_cipher_decrypt(&ir, NULL, 0, ct, n, ct, sizeof ct, &m),
			    0);
			assert_int_equal(m, sizeof msg);
			assert_memory_equal(ct, msg, sizeof msg);
		}
		/* A tampered transport message fails and does not move the nonce. */
		assert_int_equal(
		    noise_cipher_encrypt(&is, NULL, 0, out, 10, ct, sizeof ct, &n), 0);
		ct[3] ^= 1;
		assert_int_equal(
		    noise_cipher_decrypt(&rr, NULL, 0, ct, n, out, sizeof out, &m),
		    -EBADMSG);
		assert_int_equal(rr.n, 3);
		ct[3] ^= 1;
		assert_int_equal(
		    noise_cipher_decrypt(&rr, NULL, 0, ct, n, out, sizeof out, &m), 0);
		noise_cipher_wipe(&is);
		noise_cipher_wipe(&ir);
		noise_cipher_wipe(&rs);
		noise_cipher_wipe(&rr);
	}
}

/*
 * Damage i of a message of len bytes: i < len flips the low bit of byte i,
 * then one byte short, nothing at all, one byte extra.  The new length.
 */
static size_t damage(uint8_t *msg, const uint8_t *src, size_t len, size_t i)
{
	memcpy(msg, src, len);
	if (i < len)
		msg[i] ^= 1;
	else if (i == len)
		return len - 1;
	else if (i == len + 1)
		return 0;
	else
		msg[len++] = 0;
	return len;
}

/*
 * Every damage of message 1 (which = 1) or message 2 (which = 2), each to a
 * fresh handshake: the reader fails, keeps nothing, and its payload buffer
 * holds no plaintext.
 */
static void tamper(const struct keys *k, enum noise_pattern pat, int which)
{
	size_t ovh = which == 1 ? NOISE_IK_MSG1_OVERHEAD : NOISE_IK_MSG2_OVERHEAD;
	size_t full = ovh + (which == 1 ? PAYLOAD1 : PAYLOAD2), n = 0, len;
	uint8_t msg[BUF + 1], out[BUF];
	struct noise_handshake *reader;
	struct pair p;

	for (size_t i = 0; i < full + 3; i++) {
		pair_start(&p, k, pat);
		write1(&p);
		if (which == 1) {
			len = damage(msg, p.msg1, p.len1, i);
			reader = &p.resp;
		} else {
			respond(&p, k, pat);
			len = damage(msg, p.msg2, p.len2, i);
			reader = &p.ini;
		}
		memset(out, 0xaa, sizeof out);
		assert_int_not_equal(
		    noise_handshake_read(reader, msg, len, out, sizeof out, &n), 0);
		assert_unusable(reader);
		for (size_t j = 0; j + ovh < len; j++)
			assert_int_equal(out[j], 0);
	}
}

static void test_tampered_messages(void **state)
{
	struct keys k;
	(void)state;

	random_keys(&k);
	for (int pat = NOISE_IK; pat <= NOISE_IKPSK2; pat++) {
		tamper(&k, (enum noise_pattern)pat, 1);
		tamper(&k, (enum noise_pattern)pat, 2);
	}
}

static void test_wrong_psk(void **state)
{
	struct keys k;
	struct pair p;
	uint8_t out[BUF], other[NOISE_PSKLEN];
	size_t n;
	(void)state;

	random_keys(&k);
	randombytes_buf(other, sizeof other);
	/* psk2: the responder cannot tell at message 1; the initiator fails at 2. */
	pair_start(&p, &k, NOISE_IKPSK2);
	write1(&p);
	assert_int_equal(read1(&p, p.msg1, p.len1, out, &n), 0);
	assert_int_equal(noise_handshake_set_psk(&p.resp, other), 0);
	assert_int_equal(noise_handshake_write(&p.resp, p.pl2, sizeof p.pl2, p.msg2,
					       sizeof p.msg2, &p.len2),
			 0);
	assert_int_equal(
	    noise_handshake_read(&p.ini, p.msg2, p.len2, out, sizeof out, &n), -EBADMSG);
	assert_unusable(&p.ini);

	/* psk1: the responder fails at message 1. */
	pair_start(&p, &k, NOISE_IKPSK1);
	write1(&p);
	assert_int_equal(noise_handshake_init(&p.resp, NOISE_IKPSK1, false, prologue,
					      sizeof prologue, k.sr, NULL, other),
			 0);
	assert_int_equal(read1(&p, p.msg1, p.len1, out, &n), -EBADMSG);
	assert_unusable(&p.resp);
}

static void test_wrong_responder_static(void **state)
{
	struct keys k, other;
	struct pair p;
	uint8_t out[BUF];
	size_t n;
	(void)state;

	random_keys(&k);
	random_keys(&other);
	pair_start(&p, &k, NOISE_IKPSK2);
	/* The initiator believes the responder's key is other.sr_pub. */
	assert_int_equal(noise_handshake_init(&p.ini, NOISE_IKPSK2, true, prologue,
					      sizeof prologue, k.si, other.sr_pub, k.psk),
			 0);
	write1(&p);
	assert_int_equal(read1(&p, p.msg1, p.len1, out, &n), -EBADMSG);
	assert_unusable(&p.resp);
}

static void test_prologue_mismatch(void **state)
{
	static const uint8_t other[] = "subnetra-mesh v2";
	struct keys k;
	struct pair p;
	uint8_t out[BUF];
	size_t n;
	(void)state;

	random_keys(&k);
	pair_start(&p, &k, NOISE_IKPSK2);
	write1(&p);
	assert_int_equal(noise_handshake_init(&p.resp, NOISE_IKPSK2, false, other,
					      sizeof other, k.sr, NULL, NULL),
			 0);
	assert_int_equal(read1(&p, p.msg1, p.len1, out, &n), -EBADMSG);
	assert_unusable(&p.resp);
}

/* Points of small order on Curve25519 (libsodium refuses them, or the result is 0). */
static const char *const low_order_hex[] = {
    "0000000000000000000000000000000000000000000000000000000000000000",
    "0100000000000000000000000000000000000000000000000000000000000000",
    "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
    "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
};

static void test_low_order_dh(void **state)
{
	struct keys k;
	struct pair p;
	uint8_t pt[NOISE_DHLEN], out[BUF];
	size_t n;
	(void)state;

	random_keys(&k);
	for (size_t i = 0; i < sizeof low_order_hex / sizeof low_order_hex[0]; i++) {
		assert_int_equal(
		    sodium_hex2bin(pt, sizeof pt, low_order_hex[i], 64, NULL, &n, NULL),
		    0);
		/* Their ephemeral: the responder's es fails. */
		pair_start(&p, &k, NOISE_IKPSK2);
		write1(&p);
		memcpy(p.msg1, pt, NOISE_DHLEN);
		assert_int_equal(read1(&p, p.msg1, p.len1, out, &n), -EPROTO);
		assert_unusable(&p.resp);

		/* A low-order responder key: the initiator's es fails on writing,
		 * and nothing it had written is left in the buffer. */
		assert_int_equal(noise_handshake_init(&p.ini, NOISE_IKPSK2, true,
						      prologue, sizeof prologue, k.si, pt,
						      k.psk),
				 0);
		memset(p.msg1, 0xaa, sizeof p.msg1);
		assert_int_equal(noise_handshake_write(&p.ini, p.pl1, sizeof p.pl1,
						       p.msg1, sizeof p.msg1, &p.len1),
				 -EPROTO);
		assert_unusable(&p.ini);
		for (size_t j = 0; j < NOISE_DHLEN; j++)
			assert_int_equal(p.msg1[j], 0);
	}
}

static void test_misuse(void **state)
{
	struct keys k;
	struct pair p;
	uint8_t out[BUF], small[NOISE_IK_MSG1_OVERHEAD];
	size_t n;
	(void)state;

	random_keys(&k);
	pair_start(&p, &k, NOISE_IKPSK2);
	/* Wrong turn, split too early, no psk token in IK, keys missing. */
	assert_int_equal(noise_handshake_read(&p.ini, p.msg1, 100, out, sizeof out, &n),
			 -EINVAL);
	assert_int_equal(noise_handshake_write(&p.resp, NULL, 0, out, sizeof out, &n),
			 -EINVAL);
	assert_int_equal(noise_handshake_split(&p.ini, NULL, NULL, NULL), -EINVAL);
	assert_int_equal(
	    noise_handshake_init(&p.resp, NOISE_IK, false, NULL, 0, k.sr, NULL, k.psk),
	    -EINVAL);
	assert_int_equal(
	    noise_handshake_init(&p.resp, NOISE_IK, true, NULL, 0, k.sr, NULL, NULL),
	    -EINVAL);
	/* A buffer too small: refused, nothing changes, and the retry works. */
	assert_int_equal(
	    noise_handshake_write(&p.ini, p.pl1, sizeof p.pl1, small, sizeof small, &n),
	    -ENOBUFS);
	write1(&p);
	assert_int_equal(read1(&p, p.msg1, p.len1, out, &n), 0);
	/* psk2 without the psk: the responder may not write message 2. */
	assert_int_equal(noise_handshake_write(&p.resp, NULL, 0, out, sizeof out, &n),
			 -EINVAL);
	assert_int_equal(noise_handshake_set_psk(&p.resp, k.psk), 0);
	assert_int_equal(noise_handshake_write(&p.resp, NULL, 0, out, sizeof out, &n), 0);
	/* Our e was sent: it can no longer be replaced. */
	assert_int_equal(noise_handshake_set_ephemeral(&p.ini, k.ei), -EINVAL);
	assert_int_equal(noise_handshake_read(&p.ini, out, n, small, 0, &n), 0);
	assert_true(noise_handshake_done(&p.ini));
	assert_int_equal(noise_handshake_set_psk(&p.ini, k.psk), -EINVAL);
	noise_handshake_wipe(&p.ini);
	noise_handshake_wipe(&p.resp);
}

static void test_nonce_limit(void **state)
{
	struct noise_cipher a, b, none;
	uint8_t ct[64], out[64];
	size_t n, m;
	(void)state;

	memset(&a, 0, sizeof a);
	memset(&none, 0, sizeof none);
	randombytes_buf(a.k, sizeof a.k);
	a.has_key = true;
	b = a;
	/* The last usable nonce is 2^64-2; after it every call refuses. */
	noise_cipher_set_nonce(&a, UINT64_MAX - 1);
	noise_cipher_set_nonce(&b, UINT64_MAX - 1);
	assert_int_equal(noise_cipher_encrypt(&a, NULL, 0, out, 8, ct, sizeof ct, &n), 0);
	assert_int_equal(a.n, UINT64_MAX);
	assert_int_equal(noise_cipher_encrypt(&a, NULL, 0, out, 8, ct + 32, 32, &m),
			 -EOVERFLOW);
	assert_int_equal(noise_cipher_decrypt(&b, NULL, 0, ct, n, out, sizeof out, &m),
			 0);
	assert_int_equal(noise_cipher_decrypt(&b, NULL, 0, ct, n, out, sizeof out, &m),
			 -EOVERFLOW);
	assert_int_equal(
	    noise_cipher_encrypt_at(&a, UINT64_MAX, NULL, 0, out, 8, ct, sizeof ct, &n),
	    -EOVERFLOW);
	assert_int_equal(
	    noise_cipher_decrypt_at(&a, UINT64_MAX, NULL, 0, ct, 24, out, sizeof out, &n),
	    -EOVERFLOW);
	/* Explicit nonces leave n alone; the nonce is 4 zero bytes || LE64(n). */
	assert_int_equal(
	    noise_cipher_encrypt_at(&a, 7, NULL, 0, out, 8, ct, sizeof ct, &n), 0);
	{
		uint8_t nonce[12] = {0, 0, 0, 0, 7}, ref[64];
		unsigned long long rl;

		crypto_aead_chacha20poly1305_ietf_encrypt(ref, &rl, out, 8, NULL, 0, NULL,
							  nonce, a.k);
		assert_memory_equal(ct, ref, n);
	}
	assert_int_equal(a.n, UINT64_MAX);
	/* A cipher without a key never passes plaintext through. */
	assert_int_equal(noise_cipher_encrypt(&none, NULL, 0, out, 8, ct, sizeof ct, &n),
			 -EINVAL);
	noise_cipher_wipe(&a);
	noise_cipher_wipe(&b);
	assert_false(a.has_key);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_handshake_and_transport),
	    cmocka_unit_test(test_tampered_messages),
	    cmocka_unit_test(test_wrong_psk),
	    cmocka_unit_test(test_wrong_responder_static),
	    cmocka_unit_test(test_prologue_mismatch),
	    cmocka_unit_test(test_low_order_dh),
	    cmocka_unit_test(test_misuse),
	    cmocka_unit_test(test_nonce_limit),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
