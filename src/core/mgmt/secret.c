/* Peppered hashes of secrets (see secret.h). */
#include "core/mgmt/secret.h"

#include <string.h>

#include <sodium.h>

bool mgmt_secret_hash(const uint8_t pepper[MGMT_PEPPER_LEN], const char *kind,
		      const uint8_t *secret, size_t len, uint8_t out[MGMT_SECRET_HASH_LEN])
{
	uint8_t personal[crypto_generichash_blake2b_PERSONALBYTES] = { 0 };
	size_t klen = strlen(kind);

	_Static_assert(crypto_generichash_blake2b_PERSONALBYTES == MGMT_SECRET_KIND_MAX,
		       "BLAKE2b personalisation is 16 bytes");
	if (klen > sizeof(personal)) {
		sodium_memzero(out, MGMT_SECRET_HASH_LEN);
		return false;
	}
	memcpy(personal, kind, klen);
	crypto_generichash_blake2b_salt_personal(out, MGMT_SECRET_HASH_LEN, secret, len, pepper,
						 MGMT_PEPPER_LEN, NULL, personal);
	return true;
}

bool mgmt_secret_equal(const uint8_t a[MGMT_SECRET_HASH_LEN],
		       const uint8_t b[MGMT_SECRET_HASH_LEN])
{
	return sodium_memcmp(a, b, MGMT_SECRET_HASH_LEN) == 0;
}
