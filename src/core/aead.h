/*
 * The data-plane AEAD: ChaCha20-Poly1305-IETF (12-byte nonce, 16-byte tag,
 * empty AAD), in place.  libsodium by default; OpenSSL's libcrypto (EVP) with
 * `make CRYPTO=openssl`, which is faster on CPUs with wide vector units.  Both
 * produce identical bytes (the vectors run against each).  Every other
 * primitive (BLAKE2b, RNG, wiping) always comes from libsodium.
 *
 * Threads: the OpenSSL backend re-keys a cipher context for every datagram,
 * so a context belongs to exactly one thread.  Each thread seals and opens
 * with the context it attached (aead_ctx_use); a thread that attached none
 * gets one of its own on first use, freed when the thread exits.  The daemon
 * allocates one per worker at start-up, before the sandbox, so the packet
 * path never allocates.  libsodium keeps no state: its contexts are empty.
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

struct aead_ctx;

/* "libsodium" or "openssl". */
const char *aead_backend(void);
/* Once per process (after sodium_init), before any thread starts. 0 or -1. */
int aead_init(void);

/* One thread's cipher state, or NULL (out of memory). */
struct aead_ctx *aead_ctx_new(void);
void aead_ctx_free(struct aead_ctx *c);
/* The calling thread seals and opens with c until it attaches another. */
void aead_ctx_use(struct aead_ctx *c);

/* buf[0..len) is encrypted in place; the tag is written to tag. */
void aead_seal(uint8_t *buf, size_t len, uint8_t tag[AEAD_TAG_LEN],
	       const uint8_t nonce[AEAD_NONCE_LEN], const uint8_t key[AEAD_KEY_LEN]);
/* Verify and decrypt in place; false on a bad tag (buf contents unspecified). */
bool aead_open(uint8_t *buf, size_t len, const uint8_t tag[AEAD_TAG_LEN],
	       const uint8_t nonce[AEAD_NONCE_LEN], const uint8_t key[AEAD_KEY_LEN]);

#endif
