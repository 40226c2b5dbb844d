/*
 * A mesh node's identity: one Ed25519 key pair, and the overlay address
 * derived from its public key.  The address is Husarnet's, byte for byte
 * (research/husarnet.md §2.1), so a Husarnet `id` file can be imported and
 * keep its address:
 *
 *   h    = SHA-256(ed25519_pk)
 *   addr = fc 94 ‖ h[3..16]          (h[2] is skipped; 112 bits of hash)
 *
 * and a key is acceptable only when h[0] == 0 && h[1] < 50, a small proof
 * of work (about 1 key in 1311) that makes grinding for an address dearer.
 * Whoever shows a public key therefore proves its address by hashing; a
 * caller that binds a key to an address checks both (identity_address_check).
 *
 * The Noise static key is derived from the same pair (mesh-design.md §1.1:
 * no second key to distribute, and the address binds it).  Signatures are
 * domain-separated: the signed message is domain ‖ "\n" ‖ data.
 *
 * Two text formats, as pure functions on buffers (the CLI does the I/O):
 * our identity file and Husarnet's `id` line; docs/mesh.md describes both
 * byte for byte.  Secrets are never quoted in an error, and every secret
 * this module holds on its stack is wiped before it returns.
 *
 * Pure: no I/O; randomness only from libsodium.  Requires sodium_init().
 */
#ifndef SUBNETRA_CORE_MESH_IDENTITY_H
#define SUBNETRA_CORE_MESH_IDENTITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
	IDENTITY_PK_LEN = 32,       /* crypto_sign_PUBLICKEYBYTES */
	IDENTITY_SK_LEN = 64,       /* crypto_sign_SECRETKEYBYTES: seed ‖ pk */
	IDENTITY_SEED_LEN = 32,     /* crypto_sign_SEEDBYTES */
	IDENTITY_SIG_LEN = 64,      /* crypto_sign_BYTES */
	IDENTITY_X25519_LEN = 32,   /* crypto_scalarmult_curve25519_BYTES */
	IDENTITY_ADDR_LEN = 16,     /* an IPv6 address */
	IDENTITY_ADDR_TEXT = 46,    /* INET6_ADDRSTRLEN, with the NUL */
	IDENTITY_POW_H1_LIMIT = 50, /* h[1] must be below this (and h[0] zero) */
	/* A domain is short and has no '\n', so domain and data cannot be confused. */
	IDENTITY_DOMAIN_MAX = 64,
	/* domain + "\n" + data; endpoint records and beacons are far smaller. */
	IDENTITY_SIGNED_MAX = 2048,
	/* Either file is about 200 bytes; anything past this is not one. */
	IDENTITY_FILE_MAX = 4096,
	/* identity_file_format's output, with the NUL. */
	IDENTITY_FILE_TEXT = 256,
	/* identity_husarnet_format's output: 39 + 1 + 64 + 1 + 128 + 1, and the NUL. */
	IDENTITY_HUSARNET_TEXT = 235,
};

/* Where the CLI (and later the daemon) keeps the node's identity file. */
#define IDENTITY_DEFAULT_PATH "/var/lib/subnetra/identity"

struct identity {
	uint8_t pk[IDENTITY_PK_LEN];
	uint8_t sk[IDENTITY_SK_LEN]; /* libsodium's layout: seed ‖ pk */
	uint8_t addr[IDENTITY_ADDR_LEN];
};

/* Where a file was refused: line (1-based; 0 = the file as a whole) and why. */
struct identity_error {
	unsigned line;
	char msg[200]; /* "public-key: does not match the seed" */
};

/* The address derived from pk, whether or not pk passes the filter. */
void identity_address(const uint8_t pk[IDENTITY_PK_LEN], uint8_t out[IDENTITY_ADDR_LEN]);
/* The proof-of-work filter: SHA-256(pk) starts 00, then a byte below 50. */
bool identity_pk_acceptable(const uint8_t pk[IDENTITY_PK_LEN]);
/* pk is acceptable and addr is the address derived from it. */
bool identity_address_check(const uint8_t pk[IDENTITY_PK_LEN],
			    const uint8_t addr[IDENTITY_ADDR_LEN]);

/*
 * A fresh acceptable identity: key pairs from crypto_sign_keypair until one
 * passes the filter.  Returns how many were tried (about 1311 on average,
 * some 50 ms).
 */
unsigned long identity_generate(struct identity *id);
/*
 * The identity of a 32-byte seed (crypto_sign_seed_keypair).  0, or
 * -EINVAL when its key does not pass the filter (id is wiped then).
 */
int identity_from_seed(struct identity *id, const uint8_t seed[IDENTITY_SEED_LEN]);
void identity_wipe(struct identity *id);

/* RFC 5952 text ("fc94:1b2c::5"), lowercase, into out[IDENTITY_ADDR_TEXT]. */
void identity_address_format(const uint8_t addr[IDENTITY_ADDR_LEN],
			     char out[IDENTITY_ADDR_TEXT]);
/* Any IPv6 text form (s need not be NUL-terminated); false if it is not one. */
bool identity_address_parse(const char *s, size_t len, uint8_t out[IDENTITY_ADDR_LEN]);
/* Whether addr is in fc94::/16, where every identity's address is. */
bool identity_address_in_overlay(const uint8_t addr[IDENTITY_ADDR_LEN]);

/*
 * The X25519 (Noise static) key pair of the identity.  0, or -EINVAL when
 * libsodium refuses the conversion (a public key that is not a valid point:
 * only ever a peer's, never one we generated).
 */
int identity_x25519_secret(const struct identity *id, uint8_t out[IDENTITY_X25519_LEN]);
int identity_x25519_public(const uint8_t pk[IDENTITY_PK_LEN],
			   uint8_t out[IDENTITY_X25519_LEN]);

/*
 * Ed25519 over domain ‖ "\n" ‖ data.  domain: 1..IDENTITY_DOMAIN_MAX bytes
 * with no '\n' (a NUL-terminated string).  identity_sign: 0, -EINVAL (bad
 * domain) or -EMSGSIZE (longer than IDENTITY_SIGNED_MAX in all).
 * identity_verify: true only for a good signature by pk in this domain.
 */
int identity_sign(const struct identity *id, const char *domain, const uint8_t *data,
		  size_t len, uint8_t sig[IDENTITY_SIG_LEN]);
bool identity_verify(const uint8_t pk[IDENTITY_PK_LEN], const char *domain,
		     const uint8_t *data, size_t len, const uint8_t sig[IDENTITY_SIG_LEN]);

/*
 * Our identity file (docs/mesh.md), exactly four lines:
 *
 *   subnetra-identity 1
 *   address <IPv6 text>
 *   public-key <64 lowercase hex>
 *   seed <64 lowercase hex>
 *
 * identity_file_format writes it into out (IDENTITY_FILE_TEXT bytes, NUL
 * added) and returns its length, or 0 if cap is too small.  out holds the
 * seed: the caller wipes it.  identity_file_parse reads text[0..len): false
 * with err set (the line and the field) on anything malformed, and when the
 * public key or the address is not the one the seed gives.
 */
size_t identity_file_format(const struct identity *id, char *out, size_t cap);
bool identity_file_parse(struct identity *id, const char *text, size_t len,
			 struct identity_error *err);

/*
 * Husarnet's `id` file: "ADDRESS PUBKEY_HEX SECRETKEY_HEX\n", the address
 * in the uncompressed form Husarnet writes (fc94:xxxx:...:xxxx), the keys in
 * lowercase hex.  The parser takes what Husarnet's reader takes: the three
 * fields separated by whitespace, whitespace around them, any IPv6 text and
 * hex of either case; then it refuses a secret key whose two halves
 * disagree, a public key other than the secret key's, a key that fails the
 * filter and an address other than the derived one, saying which.
 */
size_t identity_husarnet_format(const struct identity *id, char *out, size_t cap);
bool identity_husarnet_parse(struct identity *id, const char *text, size_t len,
			     struct identity_error *err);

#endif
