/*
 * Time-based one-time passwords (RFC 6238) for the dashboard's optional
 * second sign-in step, with HMAC-SHA256 (libsodium's
 * crypto_auth_hmacsha256; it has no HMAC-SHA1, so authenticator apps must
 * support SHA256: docs/management.md names some), 30-second steps.  Pure:
 * the caller supplies the step (unix seconds / TOTP_PERIOD_S) and keeps
 * the last step used, so a code is accepted once (model_totp.c).
 */
#ifndef SUBNETRA_CORE_MGMT_TOTP_H
#define SUBNETRA_CORE_MGMT_TOTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
	TOTP_SECRET_LEN = 20,	/* bytes of a secret this server makes (160 bits) */
	TOTP_SECRET_B32 = 32,	/* its base32 text, no padding (20 * 8 / 5) */
	TOTP_DIGITS = 6,
	TOTP_PERIOD_S = 30,
	TOTP_WINDOW = 1,	/* steps accepted either side of now (clock skew) */
	TOTP_SEAL_KEY_LEN = 32, /* the key a sealed secret is derived from (the pepper) */
	TOTP_SEALED_LEN = 24 + TOTP_SECRET_LEN + 16, /* nonce ‖ secret ‖ tag */
};

/* The code of step (RFC 6238: HOTP of the step), digits 1..9 of them. */
uint32_t totp_code(const uint8_t *key, size_t key_len, uint64_t step, unsigned digits);

/*
 * The step in [now_step - TOTP_WINDOW, now_step + TOTP_WINDOW] whose
 * TOTP_DIGITS-digit code is text (exactly that many ASCII digits) and that
 * is after last_step (a used code, or an older one, is refused): true with
 * *step set.  Every candidate is compared (constant time per candidate).
 */
bool totp_verify(const uint8_t *key, size_t key_len, const char *text, uint64_t now_step,
		 uint64_t last_step, uint64_t *step);

/*
 * A secret at rest: XChaCha20-Poly1305 under a key derived (crypto_kdf,
 * context "snrtotp1") from the instance pepper, a random nonce, and the
 * account id as associated data, so that the database alone (a backup)
 * does not reveal the secret, and a sealed secret copied to another
 * account's row does not open there.  Every derived key is wiped.
 */
void totp_seal(uint8_t out[TOTP_SEALED_LEN], const uint8_t secret[TOTP_SECRET_LEN],
	       const uint8_t key[TOTP_SEAL_KEY_LEN], int64_t account_id);
/* The secret of a sealed one: false when len is wrong or it does not open. */
bool totp_open(uint8_t secret[TOTP_SECRET_LEN], const uint8_t *sealed, size_t len,
	       const uint8_t key[TOTP_SEAL_KEY_LEN], int64_t account_id);

/* RFC 4648 base32 of in[0..n), upper case, no padding, NUL-terminated: its length. */
size_t totp_base32(char *out, size_t cap, const uint8_t *in, size_t n);

#endif
