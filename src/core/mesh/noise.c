/*
 * Noise IK / IKpsk1 / IKpsk2 over 25519, ChaChaPoly and SHA256: the spec's
 * CipherState, SymmetricState and HandshakeState (revision 34, §5), with
 * the patterns written as token tables (§7.4, §9) and driven by one loop
 * for writing and one for reading, so that both sides run the same code
 * path per token.
 *
 * Spec details this file relies on:
 *  - §5.2 InitializeSymmetric: a name of at most HASHLEN bytes is used as
 *    h itself, zero-padded; a longer one is hashed.  "Noise_IK_25519_
 *    ChaChaPoly_SHA256" is exactly 32 bytes (used as is), the psk names
 *    are 36 (hashed).
 *  - §4.3 HKDF(ck, ikm, n): temp = HMAC(ck, ikm); out1 = HMAC(temp, 0x01);
 *    out_i = HMAC(temp, out_{i-1} || i).  HASHLEN is 32, so no truncation.
 *  - §9.2: in a psk handshake the e token also calls MixKey(e.public_key),
 *    on both sides.
 *  - §12.3: the ChaChaPoly nonce is 4 zero bytes then n little-endian.
 *  - §5.1: n = 2^64-1 is reserved; a cipher that reaches it refuses.
 */
#include "core/mesh/noise.h"

#include <errno.h>
#include <string.h>

#include <sodium.h>

_Static_assert(NOISE_DHLEN == crypto_scalarmult_BYTES, "X25519 key size");
_Static_assert(NOISE_DHLEN == crypto_scalarmult_SCALARBYTES, "X25519 scalar size");
_Static_assert(NOISE_HASHLEN == crypto_hash_sha256_BYTES, "SHA-256 size");
_Static_assert(NOISE_HASHLEN == crypto_auth_hmacsha256_BYTES, "HMAC-SHA256 size");
_Static_assert(NOISE_KEYLEN == crypto_aead_chacha20poly1305_ietf_KEYBYTES, "key size");
_Static_assert(NOISE_TAGLEN == crypto_aead_chacha20poly1305_ietf_ABYTES, "tag size");
_Static_assert(crypto_aead_chacha20poly1305_ietf_NPUBBYTES == 12, "nonce size");

enum token { T_END = 0, T_E, T_S, T_EE, T_ES, T_SE, T_SS, T_PSK };
enum { MAX_TOKENS = 6 };

/* Spec §7.4 (IK) and §9.2 (psk1 after the first message's tokens, psk2
 * after the second's); T_END-terminated. */
static const uint8_t patterns[3][2][MAX_TOKENS] = {
    [NOISE_IK] = {{T_E, T_ES, T_S, T_SS}, {T_E, T_EE, T_SE}},
    [NOISE_IKPSK1] = {{T_E, T_ES, T_S, T_SS, T_PSK}, {T_E, T_EE, T_SE}},
    [NOISE_IKPSK2] = {{T_E, T_ES, T_S, T_SS}, {T_E, T_EE, T_SE, T_PSK}},
};

static const char *const names[3] = {
    [NOISE_IK] = "Noise_IK_25519_ChaChaPoly_SHA256",
    [NOISE_IKPSK1] = "Noise_IKpsk1_25519_ChaChaPoly_SHA256",
    [NOISE_IKPSK2] = "Noise_IKpsk2_25519_ChaChaPoly_SHA256",
};

/* ---- CipherState (§5.1) ------------------------------------------------ */

static void nonce_bytes(uint8_t out[12], uint64_t n)
{
	memset(out, 0, 4);
	for (int i = 0; i < 8; i++)
		out[4 + i] = (uint8_t)(n >> (8 * i));
}

/* ENCRYPT(k, n, ad, pt): out gets pt_len + tag; out may equal pt. */
static void aead_seal(const uint8_t k[NOISE_KEYLEN], uint64_t n, const uint8_t *ad,
		      size_t ad_len, const uint8_t *pt, size_t pt_len, uint8_t *out)
{
	uint8_t nonce[12];

	nonce_bytes(nonce, n);
	crypto_aead_chacha20poly1305_ietf_encrypt(out, NULL, pt, pt_len, ad, ad_len, NULL,
						  nonce, k);
}

/* DECRYPT: false when the tag does not verify (libsodium then zeroes out). */
static bool aead_open(const uint8_t k[NOISE_KEYLEN], uint64_t n, const uint8_t *ad,
		      size_t ad_len, const uint8_t *ct, size_t ct_len, uint8_t *out)
{
	uint8_t nonce[12];

	nonce_bytes(nonce, n);
	return crypto_aead_chacha20poly1305_ietf_decrypt(out, NULL, NULL, ct, ct_len, ad,
							 ad_len, nonce, k) == 0;
}

static int transport_check(const struct noise_cipher *c, uint64_t n)
{
	if (c == NULL || !c->has_key)
		return -EINVAL;
	if (n == UINT64_MAX)
		return -EOVERFLOW;
	return 0;
}

int noise_cipher_encrypt_at(const struct noise_cipher *c, uint64_t n, const uint8_t *ad,
			    size_t ad_len, const uint8_t *pt, size_t pt_len, uint8_t *out,
			    size_t out_cap, size_t *out_len)
{
	int err = transport_check(c, n);

	if (err)
		return err;
	if (pt_len > NOISE_MAX_MSG - NOISE_TAGLEN)
		return -EMSGSIZE;
	if (out_cap < pt_len + NOISE_TAGLEN)
		return -ENOBUFS;
	aead_seal(c->k, n, ad, ad_len, pt, pt_len, out);
	*out_len = pt_len + NOISE_TAGLEN;
	return 0;
}

int noise_cipher_decrypt_at(const struct noise_cipher *c, uint64_t n, const uint8_t *ad,
			    size_t ad_len, const uint8_t *ct, size_t ct_len, uint8_t *out,
			    size_t out_cap, size_t *out_len)
{
	int err = transport_check(c, n);

	if (err)
		return err;
	if (ct_len < NOISE_TAGLEN || ct_len > NOISE_MAX_MSG)
		return -EMSGSIZE;
	if (out_cap < ct_len - NOISE_TAGLEN)
		return -ENOBUFS;
	if (!aead_open(c->k, n, ad, ad_len, ct, ct_len, out))
		return -EBADMSG;
	*out_len = ct_len - NOISE_TAGLEN;
	return 0;
}

/* EncryptWithAd / DecryptWithAd: the explicit-nonce call at c->n, then n++. */
typedef int noise_cipher_at_fn(const struct noise_cipher *c, uint64_t n,
			       const uint8_t *ad, size_t ad_len, const uint8_t *in,
			       size_t in_len, uint8_t *out, size_t out_cap,
			       size_t *out_len);

static int at_own_nonce(noise_cipher_at_fn *op, struct noise_cipher *c, const uint8_t *ad,
			size_t ad_len, const uint8_t *in, size_t in_len, uint8_t *out,
			size_t out_cap, size_t *out_len)
{
	int err;

	if (c == NULL)
		return -EINVAL;
	err = op(c, c->n, ad, ad_len, in, in_len, out, out_cap, out_len);
	if (err == 0)
		c->n++;
	return err;
}

int noise_cipher_encrypt(struct noise_cipher *c, const uint8_t *ad, size_t ad_len,
			 const uint8_t *pt, size_t pt_len, uint8_t *out, size_t out_cap,
			 size_t *out_len)
{
	return at_own_nonce(noise_cipher_encrypt_at, c, ad, ad_len, pt, pt_len, out,
			    out_cap, out_len);
}

int noise_cipher_decrypt(struct noise_cipher *c, const uint8_t *ad, size_t ad_len,
			 const uint8_t *ct, size_t ct_len, uint8_t *out, size_t out_cap,
			 size_t *out_len)
{
	return at_own_nonce(noise_cipher_decrypt_at, c, ad, ad_len, ct, ct_len, out,
			    out_cap, out_len);
}

void noise_cipher_set_nonce(struct noise_cipher *c, uint64_t n)
{
	c->n = n;
}

void noise_cipher_wipe(struct noise_cipher *c)
{
	sodium_memzero(c, sizeof *c);
}

/* ---- SymmetricState (§5.2) --------------------------------------------- */

/* HMAC-SHA256(key, a || b) for a 32-byte key. */
static void hmac(uint8_t out[NOISE_HASHLEN], const uint8_t key[NOISE_HASHLEN],
		 const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len)
{
	crypto_auth_hmacsha256_state st;

	crypto_auth_hmacsha256_init(&st, key, NOISE_HASHLEN);
	crypto_auth_hmacsha256_update(&st, a, a_len);
	crypto_auth_hmacsha256_update(&st, b, b_len);
	crypto_auth_hmacsha256_final(&st, out);
	sodium_memzero(&st, sizeof st);
}

/*
 * HKDF(ck, ikm, 2 or 3) of §4.3: o1, o2 and, when o3 is not NULL, o3.
 * The outputs may alias ck (MixKey overwrites it).
 */
static void hkdf(const uint8_t ck[NOISE_HASHLEN], const uint8_t *ikm, size_t ikm_len,
		 uint8_t *o1, uint8_t *o2, uint8_t *o3)
{
	static const uint8_t one = 1, two = 2, three = 3;
	uint8_t temp[NOISE_HASHLEN], out1[NOISE_HASHLEN], out2[NOISE_HASHLEN];

	hmac(temp, ck, ikm, ikm_len, NULL, 0);
	hmac(out1, temp, &one, 1, NULL, 0);
	hmac(out2, temp, out1, sizeof out1, &two, 1);
	if (o3)
		hmac(o3, temp, out2, sizeof out2, &three, 1);
	memcpy(o1, out1, sizeof out1);
	memcpy(o2, out2, sizeof out2);
	sodium_memzero(temp, sizeof temp);
	sodium_memzero(out1, sizeof out1);
	sodium_memzero(out2, sizeof out2);
}

static void mix_hash(struct noise_symmetric *sym, const uint8_t *data, size_t len)
{
	crypto_hash_sha256_state st;

	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, sym->h, sizeof sym->h);
	crypto_hash_sha256_update(&st, data, len);
	crypto_hash_sha256_final(&st, sym->h);
	sodium_memzero(&st, sizeof st);
}

static void mix_key(struct noise_symmetric *sym, const uint8_t *ikm, size_t len)
{
	hkdf(sym->ck, ikm, len, sym->ck, sym->cs.k, NULL);
	sym->cs.n = 0;
	sym->cs.has_key = true;
}

static void mix_key_and_hash(struct noise_symmetric *sym, const uint8_t *ikm, size_t len)
{
	uint8_t temp_h[NOISE_HASHLEN];

	hkdf(sym->ck, ikm, len, sym->ck, temp_h, sym->cs.k);
	mix_hash(sym, temp_h, sizeof temp_h);
	sym->cs.n = 0;
	sym->cs.has_key = true;
	sodium_memzero(temp_h, sizeof temp_h);
}

/* The length EncryptAndHash gives len bytes now. */
static size_t sealed_len(const struct noise_symmetric *sym, size_t len)
{
	return len + (sym->cs.has_key ? NOISE_TAGLEN : 0);
}

/*
 * EncryptAndHash / DecryptAndHash.  The handshake's nonce starts at 0
 * after every MixKey and is used at most twice, so it never nears 2^64-1.
 */
static void encrypt_and_hash(struct noise_symmetric *sym, const uint8_t *pt, size_t len,
			     uint8_t *out)
{
	if (sym->cs.has_key)
		aead_seal(sym->cs.k, sym->cs.n++, sym->h, sizeof sym->h, pt, len, out);
	else if (len)
		memcpy(out, pt, len);
	mix_hash(sym, out, sealed_len(sym, len));
}

static bool decrypt_and_hash(struct noise_symmetric *sym, const uint8_t *ct,
			     size_t ct_len, uint8_t *out)
{
	if (sym->cs.has_key) {
		if (!aead_open(sym->cs.k, sym->cs.n, sym->h, sizeof sym->h, ct, ct_len,
			       out))
			return false;
		sym->cs.n++;
	} else if (ct_len) {
		memcpy(out, ct, ct_len);
	}
	mix_hash(sym, ct, ct_len);
	return true;
}

static void initialize_symmetric(struct noise_symmetric *sym, const char *name)
{
	size_t len = strlen(name);

	memset(sym, 0, sizeof *sym);
	if (len <= NOISE_HASHLEN)
		memcpy(sym->h, name, len);
	else
		crypto_hash_sha256(sym->h, (const uint8_t *)name, len);
	memcpy(sym->ck, sym->h, NOISE_HASHLEN);
}

/* ---- HandshakeState (§5.3) --------------------------------------------- */

const char *noise_protocol_name(enum noise_pattern p)
{
	return (unsigned)p < 3 ? names[p] : NULL;
}

bool noise_pattern_from_name(const char *name, size_t len, enum noise_pattern *out)
{
	for (unsigned p = 0; p < 3; p++) {
		if (strlen(names[p]) == len && memcmp(names[p], name, len) == 0) {
			*out = (enum noise_pattern)p;
			return true;
		}
	}
	return false;
}

static bool is_psk_pattern(enum noise_pattern p)
{
	return p != NOISE_IK;
}

/* The message (0 or 1) whose tokens include psk; -1 for IK. */
static int psk_message(enum noise_pattern p)
{
	return p == NOISE_IKPSK1 ? 0 : p == NOISE_IKPSK2 ? 1 : -1;
}

/* Every IK message has a key from its second token on, so this is fixed. */
static size_t overhead(unsigned msg)
{
	return msg == 0 ? NOISE_IK_MSG1_OVERHEAD : NOISE_IK_MSG2_OVERHEAD;
}

void noise_handshake_wipe(struct noise_handshake *hs)
{
	sodium_memzero(hs, sizeof *hs);
}

static int fail(struct noise_handshake *hs, int err)
{
	noise_handshake_wipe(hs);
	hs->state = NOISE_HS_FAILED;
	return err;
}

static bool in_progress(const struct noise_handshake *hs)
{
	return hs != NULL && (hs->state == NOISE_HS_WRITE || hs->state == NOISE_HS_READ);
}

int noise_handshake_init(struct noise_handshake *hs, enum noise_pattern p, bool initiator,
			 const uint8_t *prologue, size_t prologue_len,
			 const uint8_t s_priv[NOISE_DHLEN], const uint8_t *rs,
			 const uint8_t *psk)
{
	if (hs == NULL || (unsigned)p >= 3 || s_priv == NULL ||
	    (initiator && rs == NULL) || (!initiator && rs != NULL) ||
	    (p == NOISE_IK && psk != NULL) || (prologue == NULL && prologue_len))
		return -EINVAL;
	noise_handshake_wipe(hs);
	hs->pattern = p;
	hs->initiator = initiator;
	memcpy(hs->s_priv, s_priv, NOISE_DHLEN);
	if (crypto_scalarmult_base(hs->s_pub, hs->s_priv) != 0)
		return fail(hs, -EINVAL);
	if (psk) {
		memcpy(hs->psk, psk, NOISE_PSKLEN);
		hs->has_psk = true;
	}
	initialize_symmetric(&hs->sym, names[p]);
	mix_hash(&hs->sym, prologue, prologue_len);
	/* The pre-message "<- s": the responder's static key. */
	if (initiator) {
		memcpy(hs->rs, rs, NOISE_DHLEN);
		hs->has_rs = true;
		mix_hash(&hs->sym, hs->rs, NOISE_DHLEN);
	} else {
		mix_hash(&hs->sym, hs->s_pub, NOISE_DHLEN);
	}
	hs->state = initiator ? NOISE_HS_WRITE : NOISE_HS_READ;
	return 0;
}

int noise_handshake_set_psk(struct noise_handshake *hs, const uint8_t psk[NOISE_PSKLEN])
{
	if (!in_progress(hs) || psk == NULL || (int)hs->msg > psk_message(hs->pattern))
		return -EINVAL;
	memcpy(hs->psk, psk, NOISE_PSKLEN);
	hs->has_psk = true;
	return 0;
}

int noise_handshake_set_ephemeral(struct noise_handshake *hs,
				  const uint8_t e_priv[NOISE_DHLEN])
{
	/* Our e goes out in message 0 (initiator) or 1 (responder). */
	if (!in_progress(hs) || e_priv == NULL || hs->msg > (hs->initiator ? 0u : 1u))
		return -EINVAL;
	memcpy(hs->e_priv, e_priv, NOISE_DHLEN);
	if (crypto_scalarmult_base(hs->e_pub, hs->e_priv) != 0)
		return fail(hs, -EINVAL);
	hs->has_e = true;
	return 0;
}

/* MixKey(DH(priv, pub)); false when the result is all zero (§12.1). */
static bool mix_dh(struct noise_symmetric *sym, const uint8_t priv[NOISE_DHLEN],
		   const uint8_t pub[NOISE_DHLEN])
{
	uint8_t shared[NOISE_DHLEN];
	bool ok = crypto_scalarmult(shared, priv, pub) == 0;

	if (ok)
		mix_key(sym, shared, sizeof shared);
	sodium_memzero(shared, sizeof shared);
	return ok;
}

/*
 * The DH tokens, the same whether writing or reading: which of our keys
 * meets which of theirs depends only on the role (§5.3: "es" is DH(e, rs)
 * for the initiator and DH(s, re) for the responder; "se" the mirror).
 */
static bool dh_token(struct noise_handshake *hs, enum token t)
{
	bool ini = hs->initiator;

	switch (t) {
	case T_EE:
		return mix_dh(&hs->sym, hs->e_priv, hs->re);
	case T_ES:
		return ini ? mix_dh(&hs->sym, hs->e_priv, hs->rs)
			   : mix_dh(&hs->sym, hs->s_priv, hs->re);
	case T_SE:
		return ini ? mix_dh(&hs->sym, hs->s_priv, hs->re)
			   : mix_dh(&hs->sym, hs->e_priv, hs->rs);
	case T_SS:
		return mix_dh(&hs->sym, hs->s_priv, hs->rs);
	default:
		return false;
	}
}

/* Psk handshakes also MixKey the ephemeral (§9.2), on both sides. */
static void mix_ephemeral(struct noise_handshake *hs, const uint8_t pub[NOISE_DHLEN])
{
	mix_hash(&hs->sym, pub, NOISE_DHLEN);
	if (is_psk_pattern(hs->pattern))
		mix_key(&hs->sym, pub, NOISE_DHLEN);
}

static void next_message(struct noise_handshake *hs)
{
	hs->msg++;
	if (hs->msg == 2)
		hs->state = NOISE_HS_DONE;
	else
		hs->state = hs->state == NOISE_HS_WRITE ? NOISE_HS_READ : NOISE_HS_WRITE;
}

/* What both directions refuse before touching anything. */
static int message_check(const struct noise_handshake *hs, enum noise_hs_state want)
{
	if (hs == NULL || hs->state != want)
		return -EINVAL;
	if ((int)hs->msg == psk_message(hs->pattern) && !hs->has_psk)
		return -EINVAL;
	return 0;
}

int noise_handshake_write(struct noise_handshake *hs, const uint8_t *payload,
			  size_t payload_len, uint8_t *out, size_t out_cap,
			  size_t *out_len)
{
	const uint8_t *tok;
	size_t off = 0;
	int err = message_check(hs, NOISE_HS_WRITE);

	if (err)
		return err;
	if ((payload == NULL && payload_len) || out == NULL || out_len == NULL)
		return -EINVAL;
	if (payload_len > NOISE_MAX_MSG - overhead(hs->msg))
		return -EMSGSIZE;
	if (out_cap < payload_len + overhead(hs->msg))
		return -ENOBUFS;
	tok = patterns[hs->pattern][hs->msg];
	for (size_t i = 0; i < MAX_TOKENS && tok[i] != T_END; i++) {
		switch (tok[i]) {
		case T_E:
			if (!hs->has_e) {
				randombytes_buf(hs->e_priv, NOISE_DHLEN);
				if (crypto_scalarmult_base(hs->e_pub, hs->e_priv) != 0)
					goto err_dh;
				hs->has_e = true;
			}
			memcpy(out + off, hs->e_pub, NOISE_DHLEN);
			off += NOISE_DHLEN;
			mix_ephemeral(hs, hs->e_pub);
			break;
		case T_S:
			encrypt_and_hash(&hs->sym, hs->s_pub, NOISE_DHLEN, out + off);
			off += sealed_len(&hs->sym, NOISE_DHLEN);
			break;
		case T_PSK:
			mix_key_and_hash(&hs->sym, hs->psk, NOISE_PSKLEN);
			break;
		default:
			if (!dh_token(hs, (enum token)tok[i]))
				goto err_dh;
			break;
		}
	}
	encrypt_and_hash(&hs->sym, payload, payload_len, out + off);
	*out_len = off + sealed_len(&hs->sym, payload_len);
	next_message(hs);
	return 0;

err_dh:
	sodium_memzero(out, off);
	return fail(hs, -EPROTO);
}

int noise_handshake_read(struct noise_handshake *hs, const uint8_t *msg, size_t msg_len,
			 uint8_t *payload, size_t payload_cap, size_t *payload_len)
{
	const uint8_t *tok;
	size_t off = 0, body;
	int err = message_check(hs, NOISE_HS_READ);

	if (err)
		return err;
	if ((msg == NULL && msg_len) || (payload == NULL && payload_cap) ||
	    payload_len == NULL)
		return -EINVAL;
	if (msg_len < overhead(hs->msg) || msg_len > NOISE_MAX_MSG)
		return fail(hs, -EMSGSIZE);
	body = msg_len - overhead(hs->msg);
	if (payload_cap < body)
		return -ENOBUFS;
	tok = patterns[hs->pattern][hs->msg];
	for (size_t i = 0; i < MAX_TOKENS && tok[i] != T_END; i++) {
		switch (tok[i]) {
		case T_E:
			memcpy(hs->re, msg + off, NOISE_DHLEN);
			off += NOISE_DHLEN;
			mix_ephemeral(hs, hs->re);
			break;
		case T_S:
			if (!decrypt_and_hash(&hs->sym, msg + off,
					      sealed_len(&hs->sym, NOISE_DHLEN),
					      hs->rs)) {
				err = -EBADMSG;
				goto err_wipe;
			}
			off += sealed_len(&hs->sym, NOISE_DHLEN);
			hs->has_rs = true;
			break;
		case T_PSK:
			mix_key_and_hash(&hs->sym, hs->psk, NOISE_PSKLEN);
			break;
		default:
			if (!dh_token(hs, (enum token)tok[i])) {
				err = -EPROTO;
				goto err_wipe;
			}
			break;
		}
	}
	if (!decrypt_and_hash(&hs->sym, msg + off, msg_len - off, payload)) {
		err = -EBADMSG;
		goto err_wipe;
	}
	*payload_len = body;
	next_message(hs);
	return 0;

err_wipe:
	sodium_memzero(payload, body);
	return fail(hs, err);
}

bool noise_handshake_done(const struct noise_handshake *hs)
{
	return hs != NULL && hs->state == NOISE_HS_DONE;
}

int noise_handshake_remote_static(const struct noise_handshake *hs,
				  uint8_t out[NOISE_DHLEN])
{
	if (hs == NULL || !hs->has_rs || (hs->state != NOISE_HS_DONE && !in_progress(hs)))
		return -EINVAL;
	memcpy(out, hs->rs, NOISE_DHLEN);
	return 0;
}

int noise_handshake_hash(const struct noise_handshake *hs, uint8_t out[NOISE_HASHLEN])
{
	if (hs == NULL || (hs->state != NOISE_HS_DONE && !in_progress(hs)))
		return -EINVAL;
	memcpy(out, hs->sym.h, NOISE_HASHLEN);
	return 0;
}

int noise_handshake_split(struct noise_handshake *hs, struct noise_cipher *send,
			  struct noise_cipher *recv, uint8_t *hash)
{
	struct noise_cipher c1 = {.has_key = true}, c2 = {.has_key = true};

	if (!noise_handshake_done(hs) || send == NULL || recv == NULL)
		return -EINVAL;
	hkdf(hs->sym.ck, NULL, 0, c1.k, c2.k, NULL);
	*send = hs->initiator ? c1 : c2;
	*recv = hs->initiator ? c2 : c1;
	if (hash)
		memcpy(hash, hs->sym.h, NOISE_HASHLEN);
	noise_cipher_wipe(&c1);
	noise_cipher_wipe(&c2);
	noise_handshake_wipe(hs);
	return 0;
}
