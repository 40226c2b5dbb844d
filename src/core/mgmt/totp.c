/* RFC 6238 TOTP with HMAC-SHA256 (see totp.h). */
#include "core/mgmt/totp.h"

#include <stdio.h>
#include <string.h>

#include <sodium.h>

static const uint32_t pow10[] = {1,	 10,	  100,	    1000,      10000,
				 100000, 1000000, 10000000, 100000000, 1000000000};

uint32_t totp_code(const uint8_t *key, size_t key_len, uint64_t step, unsigned digits)
{
	uint8_t msg[8], mac[crypto_auth_hmacsha256_BYTES];
	crypto_auth_hmacsha256_state st;
	uint32_t bin;
	unsigned off;

	for (int i = 7; i >= 0; i--, step >>= 8)
		msg[i] = (uint8_t)step;
	crypto_auth_hmacsha256_init(&st, key, key_len);
	crypto_auth_hmacsha256_update(&st, msg, sizeof msg);
	crypto_auth_hmacsha256_final(&st, mac);
	/* RFC 4226 5.3 dynamic truncation: the low nibble of the last byte. */
	off = mac[sizeof mac - 1] & 0x0f;
	bin = (uint32_t)(mac[off] & 0x7f) << 24 | (uint32_t)mac[off + 1] << 16 |
	      (uint32_t)mac[off + 2] << 8 | mac[off + 3];
	sodium_memzero(&st, sizeof st);
	sodium_memzero(mac, sizeof mac);
	return bin % pow10[digits < 1 || digits > 9 ? TOTP_DIGITS : digits];
}

bool totp_verify(const uint8_t *key, size_t key_len, const char *text, uint64_t now_step,
		 uint64_t last_step, uint64_t *step)
{
	char want[TOTP_DIGITS + 1];
	bool found = false;

	if (strlen(text) != TOTP_DIGITS || strspn(text, "0123456789") != TOTP_DIGITS)
		return false;
	for (uint64_t s = now_step - TOTP_WINDOW; s <= now_step + TOTP_WINDOW; s++) {
		snprintf(want, sizeof want, "%0*u", TOTP_DIGITS,
			 (unsigned)totp_code(key, key_len, s, TOTP_DIGITS));
		/* The latest matching step wins; none at or before last_step. */
		if (sodium_memcmp(want, text, TOTP_DIGITS) == 0 && s > last_step) {
			*step = s;
			found = true;
		}
	}
	sodium_memzero(want, sizeof want);
	return found;
}

size_t totp_base32(char *out, size_t cap, const uint8_t *in, size_t n)
{
	static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
	size_t len = 0, need = (n * 8 + 4) / 5;
	unsigned bits = 0, acc = 0;

	if (cap < need + 1)
		return 0;
	for (size_t i = 0; i < n; i++) {
		acc = (acc << 8 | in[i]) & 0xfff;
		bits += 8;
		while (bits >= 5) {
			out[len++] = abc[(acc >> (bits - 5)) & 31];
			bits -= 5;
		}
	}
	if (bits > 0)
		out[len++] = abc[(acc << (5 - bits)) & 31];
	out[len] = '\0';
	return len;
}

_Static_assert(TOTP_SEAL_KEY_LEN == crypto_kdf_KEYBYTES, "the pepper is a crypto_kdf key");
_Static_assert(TOTP_SEALED_LEN == crypto_aead_xchacha20poly1305_ietf_NPUBBYTES +
				     TOTP_SECRET_LEN + crypto_aead_xchacha20poly1305_ietf_ABYTES,
	       "nonce, secret, tag");

enum { SEAL_SUBKEY_ID = 1, NPUB = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES };

static void seal_key(uint8_t k[crypto_aead_xchacha20poly1305_ietf_KEYBYTES],
		     const uint8_t key[TOTP_SEAL_KEY_LEN], int64_t account_id, uint8_t ad[8])
{
	crypto_kdf_derive_from_key(k, crypto_aead_xchacha20poly1305_ietf_KEYBYTES,
				   SEAL_SUBKEY_ID, "snrtotp1", key);
	for (int i = 7; i >= 0; i--, account_id = (int64_t)((uint64_t)account_id >> 8))
		ad[i] = (uint8_t)account_id;
}

void totp_seal(uint8_t out[TOTP_SEALED_LEN], const uint8_t secret[TOTP_SECRET_LEN],
	       const uint8_t key[TOTP_SEAL_KEY_LEN], int64_t account_id)
{
	uint8_t k[crypto_aead_xchacha20poly1305_ietf_KEYBYTES], ad[8];

	seal_key(k, key, account_id, ad);
	randombytes_buf(out, NPUB);
	crypto_aead_xchacha20poly1305_ietf_encrypt(out + NPUB, NULL, secret, TOTP_SECRET_LEN, ad,
						   sizeof ad, NULL, out, k);
	sodium_memzero(k, sizeof k);
}

bool totp_open(uint8_t secret[TOTP_SECRET_LEN], const uint8_t *sealed, size_t len,
	       const uint8_t key[TOTP_SEAL_KEY_LEN], int64_t account_id)
{
	uint8_t k[crypto_aead_xchacha20poly1305_ietf_KEYBYTES], ad[8];
	int rc;

	if (len != TOTP_SEALED_LEN)
		return false;
	seal_key(k, key, account_id, ad);
	rc = crypto_aead_xchacha20poly1305_ietf_decrypt(secret, NULL, NULL, sealed + NPUB,
							len - NPUB, ad, sizeof ad, sealed, k);
	sodium_memzero(k, sizeof k);
	if (rc != 0)
		sodium_memzero(secret, TOTP_SECRET_LEN);
	return rc == 0;
}
