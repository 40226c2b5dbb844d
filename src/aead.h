/*
 * The data-plane AEAD: ChaCha20-Poly1305-IETF (12-byte nonce, 16-byte tag,
 * empty AAD), in place.  libsodium by default; OpenSSL's libcrypto (EVP) with
 * `make CRYPTO=openssl`, which is faster on CPUs with wide vector units.  Both
 * produce identical bytes (the vectors run against each).  Every other
 * primitive (BLAKE2b, RNG, wiping) always comes from libsodium.
 */
#ifndef SUBNETRA_AEAD_H
#define SUBNETRA_AEAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
	AEAD_KEY_LEN = 32,
	AEAD_NONCE_LEN = 12,
	AEAD_TAG_LEN = 16,
};

/* "libsodium" or "openssl". */
const char *aead_backend(void);
/* Once per process (after sodium_init). 0 or -1. */
int aead_init(void);
/* buf[0..len) is encrypted in place; the tag is written to tag. */
void aead_seal(uint8_t *buf, size_t len, uint8_t tag[AEAD_TAG_LEN],
	       const uint8_t nonce[AEAD_NONCE_LEN], const uint8_t key[AEAD_KEY_LEN]);
/* Verify and decrypt in place; false on a bad tag (buf contents unspecified). */
bool aead_open(uint8_t *buf, size_t len, const uint8_t tag[AEAD_TAG_LEN],
	       const uint8_t nonce[AEAD_NONCE_LEN], const uint8_t key[AEAD_KEY_LEN]);

#endif
