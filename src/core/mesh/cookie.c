/*
 * mac1 / mac2 / cookie computations (see cookie.h for the formulas).
 *
 * Secrets: R and the previous R live in struct cookie_checker and are wiped
 * by cookie_checker_wipe; a cookie computed on the stack is wiped before
 * every return.  Every comparison of a MAC is sodium_memcmp.
 *
 * R is replaced lazily: whoever uses it first at or after secret_born_ns +
 * COOKIE_SECRET_NS replaces it, so no cookie is ever made with an R older
 * than COOKIE_SECRET_NS, and the previous R is accepted only while it is
 * younger than COOKIE_SECRET_NS + COOKIE_GRACE_NS (prev_born_ns).
 */
#include "core/mesh/cookie.h"

#include <assert.h>
#include <string.h>

#include <sodium.h>

static const char label_mac1[8] = {'m', 'a', 'c', '1', '-', '-', '-', '-'};
static const char label_cookie[8] = {'c', 'o', 'o', 'k', 'i', 'e', '-', '-'};

_Static_assert(MSG_MAC_LEN == 16 && MSG_COOKIE_LEN == 16, "BLAKE2b-128 macs and cookies");
_Static_assert(MSG_COOKIE_NONCE_LEN == crypto_aead_xchacha20poly1305_ietf_NPUBBYTES,
	       "COOKIE_REPLY nonce is an XChaCha20 nonce");
_Static_assert(MSG_TAG_LEN == crypto_aead_xchacha20poly1305_ietf_ABYTES, "Poly1305 tag");
_Static_assert(COOKIE_KEY_LEN == crypto_aead_xchacha20poly1305_ietf_KEYBYTES,
	       "the cookie key is an XChaCha20-Poly1305 key");

/* BLAKE2b-256([key,] label ‖ pk) */
static void label_key(uint8_t out[COOKIE_KEY_LEN], const char label[8],
		      const uint8_t pk[MSG_KEY_LEN], const uint8_t *key, size_t key_len)
{
	uint8_t in[8 + MSG_KEY_LEN];

	memcpy(in, label, 8);
	memcpy(in + 8, pk, MSG_KEY_LEN);
	crypto_generichash(out, COOKIE_KEY_LEN, in, sizeof in, key, key_len);
}

void cookie_keys_derive(struct cookie_keys *k, const uint8_t static_pk[MSG_KEY_LEN],
			const uint8_t *psk)
{
	if (psk && sodium_is_zero(psk, COOKIE_PSK_LEN))
		psk = NULL;
	label_key(k->mac1, label_mac1, static_pk, psk, psk ? COOKIE_PSK_LEN : 0);
	label_key(k->cookie, label_cookie, static_pk, NULL, 0);
}

void cookie_mac1(uint8_t out[MSG_MAC_LEN], const struct cookie_keys *k,
		 const uint8_t *msg, size_t len)
{
	assert(len >= MSG_MACS_LEN);
	crypto_generichash(out, MSG_MAC_LEN, msg, len - MSG_MACS_LEN, k->mac1,
			   COOKIE_KEY_LEN);
}

/* BLAKE2b-128(key = cookie, msg[0 .. len - 16)) */
static void mac2(uint8_t out[MSG_MAC_LEN], const uint8_t cookie[MSG_COOKIE_LEN],
		 const uint8_t *msg, size_t len)
{
	crypto_generichash(out, MSG_MAC_LEN, msg, len - MSG_MAC_LEN, cookie,
			   MSG_COOKIE_LEN);
}

/* ---- sender ------------------------------------------------------------ */

void cookie_sender_init(struct cookie_sender *s,
			const uint8_t peer_static_pk[MSG_KEY_LEN], const uint8_t *psk)
{
	sodium_memzero(s, sizeof(*s));
	cookie_keys_derive(&s->keys, peer_static_pk, psk);
}

void cookie_sender_add_macs(struct cookie_sender *s, uint8_t *msg, size_t len,
			    uint64_t now_ns)
{
	uint8_t *m1, *m2;

	assert(len >= MSG_MACS_LEN);
	m1 = msg + len - MSG_MACS_LEN;
	m2 = msg + len - MSG_MAC_LEN;
	cookie_mac1(m1, &s->keys, msg, len);
	memcpy(s->last_mac1, m1, MSG_MAC_LEN);
	s->have_last_mac1 = true;

	/* A clock going backwards also expires the cookie. */
	if (s->have_cookie && (now_ns < s->cookie_received_ns ||
			       now_ns - s->cookie_received_ns >= COOKIE_VALID_NS)) {
		sodium_memzero(s->cookie, sizeof s->cookie);
		s->have_cookie = false;
	}
	if (s->have_cookie)
		mac2(m2, s->cookie, msg, len);
	else
		memset(m2, 0, MSG_MAC_LEN);
}

bool cookie_sender_consume_reply(struct cookie_sender *s,
				 const uint8_t reply[MSG_COOKIE_REPLY_LEN],
				 uint64_t now_ns)
{
	uint8_t cookie[MSG_COOKIE_LEN];
	unsigned long long clen = 0;

	if (!s->have_last_mac1)
		return false;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(
		cookie, &clen, NULL, reply + MSG_COOKIE_OFF_SEALED,
		MSG_COOKIE_LEN + MSG_TAG_LEN, s->last_mac1, MSG_MAC_LEN,
		reply + MSG_COOKIE_OFF_NONCE, s->keys.cookie) != 0)
		return false;
	memcpy(s->cookie, cookie, MSG_COOKIE_LEN);
	sodium_memzero(cookie, sizeof cookie);
	s->have_cookie = true;
	s->cookie_received_ns = now_ns;
	/* One reply per message sent: a replayed reply cannot refresh it. */
	s->have_last_mac1 = false;
	return true;
}

void cookie_sender_wipe(struct cookie_sender *s)
{
	sodium_memzero(s, sizeof(*s));
}

/* ---- checker ----------------------------------------------------------- */

void cookie_checker_init(struct cookie_checker *c,
			 const uint8_t our_static_pk[MSG_KEY_LEN], const uint8_t *psk)
{
	sodium_memzero(c, sizeof(*c));
	cookie_keys_derive(&c->keys, our_static_pk, psk);
}

bool cookie_checker_mac1_ok(const struct cookie_checker *c, const uint8_t *msg,
			    size_t len)
{
	uint8_t want[MSG_MAC_LEN];
	bool ok;

	cookie_mac1(want, &c->keys, msg, len);
	ok = sodium_memcmp(want, msg + len - MSG_MACS_LEN, MSG_MAC_LEN) == 0;
	sodium_memzero(want, sizeof want);
	return ok;
}

static void rotate_if_due(struct cookie_checker *c, uint64_t now_ns)
{
	if (c->have_secret && now_ns >= c->secret_born_ns &&
	    now_ns - c->secret_born_ns < COOKIE_SECRET_NS)
		return;
	if (c->have_secret) {
		memcpy(c->prev_secret, c->secret, COOKIE_SECRET_LEN);
		c->prev_born_ns = c->secret_born_ns;
		c->have_prev = true;
	}
	randombytes_buf(c->secret, COOKIE_SECRET_LEN);
	c->secret_born_ns = now_ns;
	c->have_secret = true;
}

/* BLAKE2b-128(key = R, src) */
static void make_cookie(uint8_t out[MSG_COOKIE_LEN],
			const uint8_t secret[COOKIE_SECRET_LEN], const uint8_t *src,
			size_t src_len)
{
	assert(src_len <= COOKIE_SOURCE_MAX);
	crypto_generichash(out, MSG_COOKIE_LEN, src, src_len, secret, COOKIE_SECRET_LEN);
}

static bool mac2_with(const uint8_t secret[COOKIE_SECRET_LEN], const uint8_t *msg,
		      size_t len, const uint8_t *src, size_t src_len)
{
	uint8_t cookie[MSG_COOKIE_LEN], want[MSG_MAC_LEN];
	bool ok;

	make_cookie(cookie, secret, src, src_len);
	mac2(want, cookie, msg, len);
	ok = sodium_memcmp(want, msg + len - MSG_MAC_LEN, MSG_MAC_LEN) == 0;
	sodium_memzero(cookie, sizeof cookie);
	sodium_memzero(want, sizeof want);
	return ok;
}

bool cookie_checker_mac2_ok(struct cookie_checker *c, const uint8_t *msg, size_t len,
			    const uint8_t *src, size_t src_len, uint64_t now_ns)
{
	assert(len >= MSG_MACS_LEN);
	rotate_if_due(c, now_ns);
	if (c->have_prev &&
	    (now_ns < c->prev_born_ns ||
	     now_ns - c->prev_born_ns >= COOKIE_SECRET_NS + COOKIE_GRACE_NS)) {
		sodium_memzero(c->prev_secret, sizeof c->prev_secret);
		c->have_prev = false;
	}
	if (mac2_with(c->secret, msg, len, src, src_len))
		return true;
	return c->have_prev && mac2_with(c->prev_secret, msg, len, src, src_len);
}

void cookie_checker_make_reply(struct cookie_checker *c,
			       uint8_t out[MSG_COOKIE_REPLY_LEN], const uint8_t *msg,
			       size_t len, const uint8_t *src, size_t src_len,
			       uint64_t now_ns)
{
	uint8_t cookie[MSG_COOKIE_LEN];

	assert(len >= MSG_COOKIE_REPLY_LEN && len >= MSG_MACS_LEN);
	rotate_if_due(c, now_ns);
	make_cookie(cookie, c->secret, src, src_len);
	msg_common_put(out, MSG_COOKIE_REPLY);
	store_be32(out + MSG_COOKIE_OFF_RECEIVER, msg_hs_sender(msg));
	randombytes_buf(out + MSG_COOKIE_OFF_NONCE, MSG_COOKIE_NONCE_LEN);
	crypto_aead_xchacha20poly1305_ietf_encrypt(
	    out + MSG_COOKIE_OFF_SEALED, NULL, cookie, MSG_COOKIE_LEN,
	    msg + len - MSG_MACS_LEN, MSG_MAC_LEN, NULL, out + MSG_COOKIE_OFF_NONCE,
	    c->keys.cookie);
	sodium_memzero(cookie, sizeof cookie);
}

void cookie_checker_wipe(struct cookie_checker *c)
{
	sodium_memzero(c, sizeof(*c));
}
