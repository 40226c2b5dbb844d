/* AEAD backend: libsodium (the default). */
#ifndef SUBNETRA_CRYPTO_OPENSSL
#include "core/aead.h"

#include <sodium.h>

_Static_assert(AEAD_KEY_LEN == crypto_aead_chacha20poly1305_ietf_KEYBYTES, "key size");
_Static_assert(AEAD_NONCE_LEN == crypto_aead_chacha20poly1305_ietf_NPUBBYTES, "nonce size");
_Static_assert(AEAD_TAG_LEN == crypto_aead_chacha20poly1305_ietf_ABYTES, "tag size");

const char *aead_backend(void)
{
	return "libsodium";
}

int aead_init(void)
{
	return 0;
}

/* libsodium keeps no per-call state: every thread shares this empty one. */
struct aead_ctx {
	char unused;
};
static struct aead_ctx stateless;

struct aead_ctx *aead_ctx_new(void)
{
	return &stateless;
}

void aead_ctx_free(struct aead_ctx *c)
{
	(void)c;
}

void aead_ctx_use(struct aead_ctx *c)
{
	(void)c;
}

void aead_seal(uint8_t *buf, size_t len, uint8_t tag[AEAD_TAG_LEN],
	       const uint8_t nonce[AEAD_NONCE_LEN], const uint8_t key[AEAD_KEY_LEN])
{
	crypto_aead_chacha20poly1305_ietf_encrypt_detached(buf, tag, NULL, buf, len, NULL, 0,
							   NULL, nonce, key);
}

bool aead_open(uint8_t *buf, size_t len, const uint8_t tag[AEAD_TAG_LEN],
	       const uint8_t nonce[AEAD_NONCE_LEN], const uint8_t key[AEAD_KEY_LEN])
{
	return crypto_aead_chacha20poly1305_ietf_decrypt_detached(buf, NULL, buf, len, tag,
								  NULL, 0, nonce, key) == 0;
}
#endif
