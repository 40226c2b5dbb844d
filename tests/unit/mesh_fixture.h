/*
 * Fixed identities and endpoints for the mesh codec tests (header-only,
 * like splitmix.h).  The seeds are test_identity.c's: two keys that pass
 * the address filter and one (h[1] = 50) that does not.
 */
#ifndef SUBNETRA_TESTS_MESH_FIXTURE_H
#define SUBNETRA_TESTS_MESH_FIXTURE_H

#include <arpa/inet.h>
#include <string.h>

#include <sodium.h>

#include "core/mesh/er.h"
#include "core/mesh/identity.h"

#define FIX_SEED1 "bd0000005a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a"
#define FIX_SEED2 "060600005a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a"
#define FIX_SEED50 "620700005a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a"

/*
 * The identity of a hex seed.  A seed whose key fails the filter still
 * gives a usable key pair here (identity_from_seed would refuse it), for
 * the tests that need a signer the parsers must refuse.
 */
static inline void fix_identity(struct identity *id, const char *seed_hex)
{
	uint8_t seed[IDENTITY_SEED_LEN];

	if (sodium_init() < 0 ||
	    sodium_hex2bin(seed, sizeof(seed), seed_hex, 64, NULL, NULL, NULL) != 0)
		__builtin_trap();
	crypto_sign_seed_keypair(id->pk, id->sk, seed);
	identity_address(id->pk, id->addr);
}

/* "203.0.113.7" or "2001:db8::1" and a port as an EP18. */
static inline struct ep18 fix_ep(const char *text, uint16_t port)
{
	struct ep18 ep;
	uint8_t a[16];

	if (inet_pton(AF_INET, text, a) == 1)
		ep18_from_ipv4(&ep, a, port);
	else if (inet_pton(AF_INET6, text, a) == 1)
		ep18_from_ipv6(&ep, a, port);
	else
		__builtin_trap();
	return ep;
}

/*
 * Re-sign a record or beacon in place after a test changed its bytes:
 * the last 64 bytes become the signature of everything before them.
 */
static inline void fix_resign(const struct identity *id, const char *domain, uint8_t *buf,
			      size_t len)
{
	if (identity_sign(id, domain, buf, len - IDENTITY_SIG_LEN,
			  buf + len - IDENTITY_SIG_LEN) != 0)
		__builtin_trap();
}

#endif
