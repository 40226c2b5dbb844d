/*
 * AEAD backend: OpenSSL libcrypto EVP (make CRYPTO=openssl).  A context pair
 * (seal, open) per thread (see aead.h): the per-packet path only re-keys the
 * calling thread's own pair, so concurrent workers never see each other's
 * key or nonce, and nothing is allocated per packet.
 */
#ifdef SUBNETRA_CRYPTO_OPENSSL
#include "core/aead.h"

#include <pthread.h>
#include <stdlib.h>

#include <openssl/evp.h>

struct aead_ctx {
	EVP_CIPHER_CTX *enc, *dec;
};

/* The calling thread's pair: attached, or created on first use. */
static _Thread_local struct aead_ctx *current;

/* Frees, at thread exit, a pair created on first use (never an attached one). */
static pthread_key_t owned_key;
static pthread_once_t owned_once = PTHREAD_ONCE_INIT;
static int owned_key_err;

const char *aead_backend(void)
{
	return "openssl";
}

static void free_owned(void *c)
{
	aead_ctx_free(c);
}

static void make_owned_key(void)
{
	owned_key_err = pthread_key_create(&owned_key, free_owned);
}

int aead_init(void)
{
	pthread_once(&owned_once, make_owned_key);
	return owned_key_err == 0 ? 0 : -1;
}

struct aead_ctx *aead_ctx_new(void)
{
	struct aead_ctx *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->enc = EVP_CIPHER_CTX_new();
	c->dec = EVP_CIPHER_CTX_new();
	if (c->enc == NULL || c->dec == NULL ||
	    EVP_EncryptInit_ex(c->enc, EVP_chacha20_poly1305(), NULL, NULL, NULL) != 1 ||
	    EVP_DecryptInit_ex(c->dec, EVP_chacha20_poly1305(), NULL, NULL, NULL) != 1) {
		aead_ctx_free(c);
		return NULL;
	}
	return c;
}

void aead_ctx_free(struct aead_ctx *c)
{
	if (c == NULL)
		return;
	if (current == c)
		current = NULL;
	/* EVP_CIPHER_CTX_free wipes the key schedule. */
	EVP_CIPHER_CTX_free(c->enc);
	EVP_CIPHER_CTX_free(c->dec);
	free(c);
}

void aead_ctx_use(struct aead_ctx *c)
{
	current = c;
}

/* Tools and tests may never attach one: give the thread its own. */
static struct aead_ctx *ctx(void)
{
	struct aead_ctx *c = current;

	if (__builtin_expect(c != NULL, 1))
		return c;
	if (aead_init() < 0 || (c = aead_ctx_new()) == NULL)
		abort();
	if (pthread_setspecific(owned_key, c) != 0)
		abort();
	current = c;
	return c;
}

void aead_seal(uint8_t *buf, size_t len, uint8_t tag[AEAD_TAG_LEN],
	       const uint8_t nonce[AEAD_NONCE_LEN], const uint8_t key[AEAD_KEY_LEN])
{
	EVP_CIPHER_CTX *enc = ctx()->enc;
	int n = 0;

	/* The 12-byte nonce is the cipher's default IV length. */
	EVP_EncryptInit_ex(enc, NULL, NULL, key, nonce);
	EVP_EncryptUpdate(enc, buf, &n, buf, (int)len);
	EVP_EncryptFinal_ex(enc, buf + n, &n);
	EVP_CIPHER_CTX_ctrl(enc, EVP_CTRL_AEAD_GET_TAG, AEAD_TAG_LEN, tag);
}

bool aead_open(uint8_t *buf, size_t len, const uint8_t tag[AEAD_TAG_LEN],
	       const uint8_t nonce[AEAD_NONCE_LEN], const uint8_t key[AEAD_KEY_LEN])
{
	EVP_CIPHER_CTX *dec = ctx()->dec;
	int n = 0;

	EVP_DecryptInit_ex(dec, NULL, NULL, key, nonce);
	/* OpenSSL takes a non-const tag pointer; it only reads it. */
	EVP_CIPHER_CTX_ctrl(dec, EVP_CTRL_AEAD_SET_TAG, AEAD_TAG_LEN, (void *)(uintptr_t)tag);
	if (EVP_DecryptUpdate(dec, buf, &n, buf, (int)len) != 1)
		return false;
	return EVP_DecryptFinal_ex(dec, buf + n, &n) == 1;
}
#endif
