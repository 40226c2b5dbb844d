/*
 * Mesh identity (see identity.h): the address, the filter, the derived
 * Noise key, domain-separated signatures and the two file formats.
 *
 * Both parsers end in the same check (check_derived): the key pair is
 * rebuilt from the seed, and the public key and address a file states are
 * compared with the rebuilt ones, so a file whose lines were edited apart
 * from each other is refused with the field that disagrees.  Hex holding a
 * secret is decoded with sodium_hex2bin (constant time) and is never quoted.
 */
#include "core/mesh/identity.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "core/bytes/lines.h"
#include "core/bytes/quote.h"

_Static_assert(IDENTITY_PK_LEN == crypto_sign_PUBLICKEYBYTES, "Ed25519 public key");
_Static_assert(IDENTITY_SK_LEN == crypto_sign_SECRETKEYBYTES, "Ed25519 secret key");
_Static_assert(IDENTITY_SEED_LEN == crypto_sign_SEEDBYTES, "Ed25519 seed");
_Static_assert(IDENTITY_SIG_LEN == crypto_sign_BYTES, "Ed25519 signature");
_Static_assert(IDENTITY_X25519_LEN == crypto_scalarmult_curve25519_BYTES, "X25519 key");
_Static_assert(IDENTITY_ADDR_TEXT == INET6_ADDRSTRLEN, "IPv6 text");

#define FILE_MAGIC "subnetra-identity"
#define FILE_VERSION 1

static const uint8_t addr_prefix[2] = {0xfc, 0x94};

void identity_address(const uint8_t pk[IDENTITY_PK_LEN], uint8_t out[IDENTITY_ADDR_LEN])
{
	uint8_t h[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(h, pk, IDENTITY_PK_LEN);
	memcpy(out, addr_prefix, sizeof(addr_prefix));
	memcpy(out + sizeof(addr_prefix), h + 3, IDENTITY_ADDR_LEN - sizeof(addr_prefix));
}

bool identity_address_in_overlay(const uint8_t addr[IDENTITY_ADDR_LEN])
{
	return memcmp(addr, addr_prefix, sizeof(addr_prefix)) == 0;
}

bool identity_pk_acceptable(const uint8_t pk[IDENTITY_PK_LEN])
{
	uint8_t h[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(h, pk, IDENTITY_PK_LEN);
	return h[0] == 0 && h[1] < IDENTITY_POW_H1_LIMIT;
}

bool identity_address_check(const uint8_t pk[IDENTITY_PK_LEN],
			    const uint8_t addr[IDENTITY_ADDR_LEN])
{
	uint8_t derived[IDENTITY_ADDR_LEN];

	identity_address(pk, derived);
	/* Both sides are public: a plain comparison. */
	return identity_pk_acceptable(pk) && memcmp(derived, addr, sizeof(derived)) == 0;
}

unsigned long identity_generate(struct identity *id)
{
	unsigned long tries = 0;

	do {
		crypto_sign_keypair(id->pk, id->sk);
		tries++;
	} while (!identity_pk_acceptable(id->pk));
	identity_address(id->pk, id->addr);
	return tries;
}

int identity_from_seed(struct identity *id, const uint8_t seed[IDENTITY_SEED_LEN])
{
	crypto_sign_seed_keypair(id->pk, id->sk, seed);
	if (!identity_pk_acceptable(id->pk)) {
		identity_wipe(id);
		return -EINVAL;
	}
	identity_address(id->pk, id->addr);
	return 0;
}

void identity_wipe(struct identity *id)
{
	sodium_memzero(id, sizeof(*id));
}

void identity_address_format(const uint8_t addr[IDENTITY_ADDR_LEN],
			     char out[IDENTITY_ADDR_TEXT])
{
	/* glibc's and musl's inet_ntop follow RFC 5952 (lowercase, longest zero run). */
	if (inet_ntop(AF_INET6, addr, out, IDENTITY_ADDR_TEXT) == NULL)
		out[0] = '\0'; /* cannot happen: the buffer is INET6_ADDRSTRLEN */
}

bool identity_address_parse(const char *s, size_t len, uint8_t out[IDENTITY_ADDR_LEN])
{
	char buf[IDENTITY_ADDR_TEXT];

	if (len == 0 || len >= sizeof(buf) || memchr(s, '\0', len) != NULL)
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	return inet_pton(AF_INET6, buf, out) == 1;
}

int identity_x25519_secret(const struct identity *id, uint8_t out[IDENTITY_X25519_LEN])
{
	return crypto_sign_ed25519_sk_to_curve25519(out, id->sk) == 0 ? 0 : -EINVAL;
}

int identity_x25519_public(const uint8_t pk[IDENTITY_PK_LEN],
			   uint8_t out[IDENTITY_X25519_LEN])
{
	return crypto_sign_ed25519_pk_to_curve25519(out, pk) == 0 ? 0 : -EINVAL;
}

/* domain ‖ "\n" ‖ data into msg; its length, or -EINVAL / -EMSGSIZE. */
static long signed_message(uint8_t msg[IDENTITY_SIGNED_MAX], const char *domain,
			   const uint8_t *data, size_t len)
{
	size_t dlen = strnlen(domain, IDENTITY_DOMAIN_MAX + 1);

	if (dlen == 0 || dlen > IDENTITY_DOMAIN_MAX || memchr(domain, '\n', dlen) != NULL)
		return -EINVAL;
	if (len > IDENTITY_SIGNED_MAX - dlen - 1)
		return -EMSGSIZE;
	memcpy(msg, domain, dlen);
	msg[dlen] = '\n';
	if (len > 0)
		memcpy(msg + dlen + 1, data, len);
	return (long)(dlen + 1 + len);
}

int identity_sign(const struct identity *id, const char *domain, const uint8_t *data,
		  size_t len, uint8_t sig[IDENTITY_SIG_LEN])
{
	uint8_t msg[IDENTITY_SIGNED_MAX];
	long n = signed_message(msg, domain, data, len);

	if (n < 0)
		return (int)n;
	crypto_sign_detached(sig, NULL, msg, (unsigned long long)n, id->sk);
	return 0;
}

bool identity_verify(const uint8_t pk[IDENTITY_PK_LEN], const char *domain,
		     const uint8_t *data, size_t len, const uint8_t sig[IDENTITY_SIG_LEN])
{
	uint8_t msg[IDENTITY_SIGNED_MAX];
	long n = signed_message(msg, domain, data, len);

	return n >= 0 &&
	       crypto_sign_verify_detached(sig, msg, (unsigned long long)n, pk) == 0;
}

/* ---- the file formats ------------------------------------------------------ */

static bool hex_digit(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

__attribute__((format(printf, 3, 4))) static bool fail(struct identity_error *err,
						       unsigned line, const char *fmt, ...)
{
	va_list ap;

	err->line = line;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return false;
}

/*
 * s[0..n) for a message (to its first space when word): at most ID_QUOTE_MAX
 * bytes, quoted.  Text with more than QUOTE_HEX_RUN hex digits in a row is
 * described instead (no address needs more; a key always has more), so a
 * message never shows part of a secret, wherever a malformed file put it.
 */
enum { ID_QUOTE_MAX = IDENTITY_ADDR_TEXT, QUOTE_HEX_RUN = 4 };

static const char *quote(char *q, size_t cap, const char *s, size_t n, bool word)
{
	const char *sp = word ? memchr(s, ' ', n) : NULL;
	size_t len = sp != NULL ? (size_t)(sp - s) : n, run = 0;

	for (size_t i = 0; i < len; i++) {
		run = hex_digit(s[i]) ? run + 1 : 0;
		if (run > QUOTE_HEX_RUN) {
			snprintf(q, cap, "(%zu characters with a run of hex digits, not shown)",
				 len);
			return q;
		}
	}
	quote_untrusted(q, cap, s, len < ID_QUOTE_MAX ? len : ID_QUOTE_MAX);
	if (len > ID_QUOTE_MAX && strlen(q) + 4 <= cap)
		strcat(q, "...");
	return q;
}

/*
 * Exactly n bytes of hex (either case) in s[0..len) into out.  false with
 * err naming field when the length or a character is wrong; the text
 * itself is never quoted (it may be a secret).
 */
static bool hex_field(uint8_t *out, size_t n, const char *s, size_t len, unsigned line,
		      const char *field, struct identity_error *err)
{
	const char *end = NULL;
	size_t got = 0, col;

	if (len != 2 * n)
		return fail(err, line, "%s: expected %zu hex characters, got %zu", field,
			    2 * n, len);
	if (sodium_hex2bin(out, n, s, len, NULL, &got, &end) != 0 || got != n ||
	    end != s + len) {
		sodium_memzero(out, n);
		/* end is the start of the pair that holds the bad digit. */
		col = end != NULL ? (size_t)(end - s) : 0;
		if (col + 1 < len && hex_digit(s[col]))
			col++;
		return fail(err, line, "%s: not a hex digit at column %zu", field, col + 1);
	}
	return true;
}

static bool address_field(uint8_t out[IDENTITY_ADDR_LEN], const char *s, size_t len,
			  unsigned line, const char *field, struct identity_error *err)
{
	char q[QUOTE_BUF];

	if (!identity_address_parse(s, len, out))
		return fail(err, line, "%s: %s is not an IPv6 address", field,
			    quote(q, sizeof(q), s, len, false));
	return true;
}

/*
 * The last step of both parsers: id was rebuilt from the file's secret;
 * the public key and the address the file states must be the ones it
 * gives, and the key must pass the filter.
 */
static bool check_derived(const struct identity *id, const uint8_t pk[IDENTITY_PK_LEN],
			  unsigned pk_line, const char *pk_what,
			  const uint8_t addr[IDENTITY_ADDR_LEN], unsigned addr_line,
			  struct identity_error *err)
{
	char stated[IDENTITY_ADDR_TEXT], derived[IDENTITY_ADDR_TEXT];
	uint8_t h[crypto_hash_sha256_BYTES];

	if (sodium_memcmp(id->pk, pk, IDENTITY_PK_LEN) != 0)
		return fail(err, pk_line, "public-key: does not match the %s", pk_what);
	if (!identity_pk_acceptable(id->pk)) {
		crypto_hash_sha256(h, id->pk, IDENTITY_PK_LEN);
		return fail(err, pk_line,
			    "public-key: does not pass the address filter (its SHA-256 "
			    "starts %02x%02x; a mesh key's starts 00 and then below %02x)",
			    h[0], h[1], IDENTITY_POW_H1_LIMIT);
	}
	if (memcmp(id->addr, addr, IDENTITY_ADDR_LEN) != 0) {
		identity_address_format(addr, stated);
		identity_address_format(id->addr, derived);
		return fail(err, addr_line,
			    "address: %s is not the address of this key (%s)", stated,
			    derived);
	}
	return true;
}

/* snprintf's result n for out: its length, or 0 with out wiped if it did not fit. */
static size_t formatted(char *out, size_t cap, int n)
{
	if (n >= 0 && (size_t)n < cap)
		return (size_t)n;
	if (cap > 0)
		sodium_memzero(out, cap); /* a cut-off secret is still part of one */
	return 0;
}

size_t identity_file_format(const struct identity *id, char *out, size_t cap)
{
	char addr[IDENTITY_ADDR_TEXT];
	char pk[2 * IDENTITY_PK_LEN + 1], seed[2 * IDENTITY_SEED_LEN + 1];
	int n;

	identity_address_format(id->addr, addr);
	sodium_bin2hex(pk, sizeof(pk), id->pk, IDENTITY_PK_LEN);
	/* libsodium's secret key starts with the seed. */
	sodium_bin2hex(seed, sizeof(seed), id->sk, IDENTITY_SEED_LEN);
	n = snprintf(out, cap, FILE_MAGIC " %d\naddress %s\npublic-key %s\nseed %s\n",
		     FILE_VERSION, addr, pk, seed);
	sodium_memzero(seed, sizeof(seed));
	return formatted(out, cap, n);
}

/*
 * Line `number` must be "<key> <value>\n": the value into *value.  A wrong
 * line is named by its first word, next to what was due.
 */
static bool keyed_line(const char *text, size_t len, size_t *pos, unsigned number,
		       const char *key, const char *due, const char **value, size_t *vlen,
		       struct identity_error *err)
{
	size_t klen = strlen(key);
	char q[QUOTE_BUF];
	struct text_line l;
	const char *line;
	size_t n;

	if (!text_line_next(text, len, *pos, &l))
		return fail(err, number, "missing: expected '%s %s'", key, due);
	*pos = l.next;
	line = text + l.start;
	n = l.stop - l.start;
	if (n <= klen || memcmp(line, key, klen) != 0 || line[klen] != ' ')
		return fail(err, number, "expected '%s %s', got a line starting %s", key,
			    due, quote(q, sizeof(q), line, n, true));
	if (!l.newline)
		return fail(err, number, "%s: the line does not end with a newline", key);
	*value = line + klen + 1;
	*vlen = n - klen - 1;
	return true;
}

bool identity_file_parse(struct identity *id, const char *text, size_t len,
			 struct identity_error *err)
{
	uint8_t pk[IDENTITY_PK_LEN], addr[IDENTITY_ADDR_LEN];
	uint8_t seed[IDENTITY_SEED_LEN];
	char version[16], q[QUOTE_BUF];
	const char *v;
	size_t pos = 0, vlen;
	bool ok = false;

	memset(id, 0, sizeof(*id));
	err->line = 0;
	err->msg[0] = '\0';
	if (len == 0)
		return fail(err, 0, "empty file");
	snprintf(version, sizeof(version), "%d", FILE_VERSION);
	if (!keyed_line(text, len, &pos, 1, FILE_MAGIC, version, &v, &vlen, err))
		goto out;
	if (vlen != strlen(version) || memcmp(v, version, vlen) != 0) {
		fail(err, 1, "version %s is not one this build reads (%s)",
		     quote(q, sizeof(q), v, vlen, true), version);
		goto out;
	}
	if (!keyed_line(text, len, &pos, 2, "address", "<IPv6 address>", &v, &vlen, err) ||
	    !address_field(addr, v, vlen, 2, "address", err))
		goto out;
	if (!keyed_line(text, len, &pos, 3, "public-key", "<64 hex>", &v, &vlen, err) ||
	    !hex_field(pk, sizeof(pk), v, vlen, 3, "public-key", err))
		goto out;
	if (!keyed_line(text, len, &pos, 4, "seed", "<64 hex>", &v, &vlen, err) ||
	    !hex_field(seed, sizeof(seed), v, vlen, 4, "seed", err))
		goto out;
	if (pos != len) {
		fail(err, 5, "unexpected text after the seed line");
		goto out;
	}
	/* Unchecked here: a key failing the filter is reported by check_derived. */
	crypto_sign_seed_keypair(id->pk, id->sk, seed);
	identity_address(id->pk, id->addr);
	ok = check_derived(id, pk, 3, "seed", addr, 2, err);
out:
	sodium_memzero(seed, sizeof(seed));
	if (!ok)
		identity_wipe(id);
	return ok;
}

size_t identity_husarnet_format(const struct identity *id, char *out, size_t cap)
{
	char pk[2 * IDENTITY_PK_LEN + 1], sk[2 * IDENTITY_SK_LEN + 1];
	const uint8_t *a = id->addr;
	int n;

	sodium_bin2hex(pk, sizeof(pk), id->pk, IDENTITY_PK_LEN);
	sodium_bin2hex(sk, sizeof(sk), id->sk, IDENTITY_SK_LEN);
	/* Husarnet's IpAddress::str(): eight groups of four digits, never "::". */
	n = snprintf(out, cap,
		     "%02x%02x:%02x%02x:%02x%02x:%02x%02x:%02x%02x:%02x%02x:%02x%02x:%02x%02x"
		     " %s %s\n",
		     a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11],
		     a[12], a[13], a[14], a[15], pk, sk);
	sodium_memzero(sk, sizeof(sk));
	return formatted(out, cap, n);
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* The next whitespace-separated field at *pos; its line (1-based) in *line. */
static bool next_field(const char *text, size_t len, size_t *pos, unsigned *line,
		       const char **field, size_t *n)
{
	while (*pos < len && is_space(text[*pos])) {
		if (text[*pos] == '\n')
			(*line)++;
		(*pos)++;
	}
	if (*pos == len)
		return false;
	*field = text + *pos;
	while (*pos < len && !is_space(text[*pos]))
		(*pos)++;
	*n = (size_t)(text + *pos - *field);
	return true;
}

bool identity_husarnet_parse(struct identity *id, const char *text, size_t len,
			     struct identity_error *err)
{
	static const char *const names[] = {"address", "public-key", "secret-key"};
	uint8_t pk[IDENTITY_PK_LEN], addr[IDENTITY_ADDR_LEN];
	uint8_t sk[IDENTITY_SK_LEN];
	const char *f[3];
	size_t n[3], pos = 0, extra_n;
	unsigned line = 1, lines[3];
	const char *extra;
	bool ok = false;

	memset(id, 0, sizeof(*id));
	err->line = 0;
	err->msg[0] = '\0';
	for (int i = 0; i < 3; i++) {
		if (!next_field(text, len, &pos, &line, &f[i], &n[i])) {
			/* Where the text ended: the last field's line, not the blank after it. */
			fail(err, i > 0 ? lines[i - 1] : line, "%s: missing (a Husarnet id file is one line: "
					"ADDRESS PUBLIC_KEY SECRET_KEY)", names[i]);
			goto out;
		}
		lines[i] = line;
	}
	if (!address_field(addr, f[0], n[0], lines[0], names[0], err) ||
	    !hex_field(pk, sizeof(pk), f[1], n[1], lines[1], names[1], err) ||
	    !hex_field(sk, sizeof(sk), f[2], n[2], lines[2], names[2], err))
		goto out;
	if (next_field(text, len, &pos, &line, &extra, &extra_n)) {
		fail(err, line, "unexpected text after the secret key");
		goto out;
	}
	/* Rebuilt from the seed half, then both halves must agree with it. */
	crypto_sign_seed_keypair(id->pk, id->sk, sk);
	if (sodium_memcmp(id->sk, sk, IDENTITY_SK_LEN) != 0) {
		fail(err, lines[2],
		     "secret-key: its second half is not the public key of its first "
		     "(the seed)");
		goto out;
	}
	identity_address(id->pk, id->addr);
	ok = check_derived(id, pk, lines[1], "secret key", addr, lines[0], err);
out:
	sodium_memzero(sk, sizeof(sk));
	if (!ok)
		identity_wipe(id);
	return ok;
}
