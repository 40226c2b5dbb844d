/*
 * AEAD backend: OpenSSL libcrypto EVP (make CRYPTO=openssl).  One cipher
 * context per process, created at aead_init: the per-packet path only re-keys
 * it (no allocation).  The daemon is single-threaded; a multi-reactor build
 * needs one context per thread.
 */
#ifdef SUBNETRA_CRYPTO_OPENSSL
#include "aead.h"

#include <openssl/evp.h>
#include <stdlib.h>

static EVP_CIPHER_CTX *enc_ctx, *dec_ctx;

const char *aead_backend(void)
{
	return "openssl";
}

int aead_init(void)
{
	if (enc_ctx != NULL)
		return 0;
	enc_ctx = EVP_CIPHER_CTX_new();
	dec_ctx = EVP_CIPHER_CTX_new();
	if (enc_ctx == NULL || dec_ctx == NULL ||
	    EVP_EncryptInit_ex(enc_ctx, EVP_chacha20_poly1305(), NULL, NULL, NULL) != 1 ||
	    EVP_DecryptInit_ex(dec_ctx, EVP_chacha20_poly1305(), NULL, NULL, NULL) != 1)
		return -1;
	return 0;
}

void aead_seal(uint8_t *buf, size_t len, uint8_t tag[AEAD_TAG_LEN],
	       const uint8_t nonce[AEAD_NONCE_LEN], const uint8_t key[AEAD_KEY_LEN])
{
	int n = 0;

	/* Tools and tests may skip aead_init(); the daemon calls it at start-up. */
	if (__builtin_expect(enc_ctx == NULL, 0) && aead_init() < 0)
		abort();

	/* The 12-byte nonce is the cipher's default IV length. */
	EVP_EncryptInit_ex(enc_ctx, NULL, NULL, key, nonce);
	EVP_EncryptUpdate(enc_ctx, buf, &n, buf, (int)len);
	EVP_EncryptFinal_ex(enc_ctx, buf + n, &n);
	EVP_CIPHER_CTX_ctrl(enc_ctx, EVP_CTRL_AEAD_GET_TAG, AEAD_TAG_LEN, tag);
}

bool aead_open(uint8_t *buf, size_t len, const uint8_t tag[AEAD_TAG_LEN],
	       const uint8_t nonce[AEAD_NONCE_LEN], const uint8_t key[AEAD_KEY_LEN])
{
	int n = 0;

	if (__builtin_expect(dec_ctx == NULL, 0) && aead_init() < 0)
		abort();
	EVP_DecryptInit_ex(dec_ctx, NULL, NULL, key, nonce);
	/* OpenSSL takes a non-const tag pointer; it only reads it. */
	EVP_CIPHER_CTX_ctrl(dec_ctx, EVP_CTRL_AEAD_SET_TAG, AEAD_TAG_LEN, (void *)(uintptr_t)tag);
	if (EVP_DecryptUpdate(dec_ctx, buf, &n, buf, (int)len) != 1)
		return false;
	return EVP_DecryptFinal_ex(dec_ctx, buf + n, &n) == 1;
}
#endif
