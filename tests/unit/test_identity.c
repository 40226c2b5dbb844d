/*
 * src/core/mesh/identity.c: the address and its filter against values
 * computed outside libsodium (Python's hashlib over the public keys below),
 * generation, the derived X25519 key, domain-separated signatures, and both
 * file formats: round trips and every way a file is refused.
 *
 * The seeds were found by search so that each key sits where a test needs
 * it: two ordinary acceptable keys, one whose SHA-256 is 00 31.. (h[1] = 49,
 * the last value the filter takes) and one 00 32.. (50, the first refused).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "core/mesh/identity.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* h = 00 0f 56 ... */
#define SEED1 "bd0000005a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a"
#define PK1   "83eb10f4307a5e43c8cd14abedc94110b52d9e850734b66e4c972ef991785a1d"
#define ADDR1 "fc94:333b:ed9b:6bf6:9f66:b007:33db:ca2b"
/* h = 00 1e 3d ... */
#define SEED2 "060600005a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a"
#define PK2   "b1cd6f7879cf511f98180fdc18334e14ffeb61709f775f9d814d591ed5d86b06"
#define ADDR2 "fc94:f902:2d0d:1e55:49dc:aa22:8fce:53ed"
/* h = 00 31 1c ...: h[1] = 49, accepted */
#define SEED49 "5d0501005a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a"
#define PK49   "5188221f9147f259bca9758357c6826ace399989eb1059fc097ca5899c2ab630"
#define ADDR49 "fc94:f795:9e16:aaee:fedf:ec24:1451:9068"
/* h = 00 32 5a ...: h[1] = 50, refused */
#define SEED50 "620700005a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a"
#define PK50   "11b3e204986520bed7e4ae3e167ca1f6bbf6d037ae9fb761c33b98f3f48d471d"
#define ADDR50 "fc94:472:d566:11f4:949f:d341:a9a3:e492"
/* RFC 8032 §7.1 test 1: h = 21 fe ..., refused */
#define SEED_RFC "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"
#define PK_RFC   "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
#define ADDR_RFC "fc94:dfa1:54a2:6162:6bf8:5404:6fd2:271b"

static void unhex(uint8_t *out, size_t n, const char *hex)
{
	size_t got = 0;

	assert_int_equal(sodium_hex2bin(out, n, hex, strlen(hex), NULL, &got, NULL), 0);
	assert_int_equal(got, n);
}

static void load(struct identity *id, const char *seed_hex)
{
	uint8_t seed[IDENTITY_SEED_LEN];

	unhex(seed, sizeof(seed), seed_hex);
	assert_int_equal(identity_from_seed(id, seed), 0);
}

static int setup(void **state)
{
	(void)state;
	return sodium_init() < 0 ? -1 : 0;
}

/* ---- address and filter ---------------------------------------------------- */

struct addr_case {
	const char *pk;
	const char *addr;
	bool acceptable;
};

static const struct addr_case addr_cases[] = {
	{PK1, ADDR1, true},
	{PK2, ADDR2, true},
	{PK49, ADDR49, true},     /* h[1] == 49: the boundary, in */
	{PK50, ADDR50, false},    /* h[1] == 50: out */
	{PK_RFC, ADDR_RFC, false}, /* h[0] != 0 */
};

static void test_address_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(addr_cases); i++) {
		const struct addr_case *c = &addr_cases[i];
		uint8_t pk[IDENTITY_PK_LEN], addr[IDENTITY_ADDR_LEN], want[IDENTITY_ADDR_LEN];
		char text[IDENTITY_ADDR_TEXT];

		unhex(pk, sizeof(pk), c->pk);
		identity_address(pk, addr);
		identity_address_format(addr, text);
		assert_string_equal(text, c->addr);
		assert_true(identity_address_parse(c->addr, strlen(c->addr), want));
		assert_memory_equal(addr, want, sizeof(addr));
		assert_int_equal(identity_pk_acceptable(pk), c->acceptable);
		assert_int_equal(identity_address_check(pk, addr), c->acceptable);
		addr[15] ^= 1;
		assert_false(identity_address_check(pk, addr));
	}
}

static void test_from_seed(void **state)
{
	struct identity id;
	uint8_t seed[IDENTITY_SEED_LEN], pk[IDENTITY_PK_LEN], zero[sizeof(id)] = {0};

	(void)state;
	/* libsodium's seed layout, pinned by RFC 8032's first vector. */
	unhex(seed, sizeof(seed), SEED_RFC);
	assert_int_equal(identity_from_seed(&id, seed), -EINVAL);
	assert_memory_equal(&id, zero, sizeof(id)); /* wiped */
	unhex(pk, sizeof(pk), PK_RFC);
	{
		uint8_t rpk[IDENTITY_PK_LEN], rsk[IDENTITY_SK_LEN];

		crypto_sign_seed_keypair(rpk, rsk, seed);
		assert_memory_equal(rpk, pk, sizeof(pk));
		sodium_memzero(rsk, sizeof(rsk));
	}

	unhex(seed, sizeof(seed), SEED50);
	assert_int_equal(identity_from_seed(&id, seed), -EINVAL);
	unhex(seed, sizeof(seed), SEED49);
	assert_int_equal(identity_from_seed(&id, seed), 0);
	unhex(pk, sizeof(pk), PK49);
	assert_memory_equal(id.pk, pk, sizeof(pk));
	assert_memory_equal(id.sk, seed, IDENTITY_SEED_LEN);
	assert_memory_equal(id.sk + IDENTITY_SEED_LEN, pk, sizeof(pk));
	identity_wipe(&id);
	assert_memory_equal(&id, zero, sizeof(id));
}

static void test_generate(void **state)
{
	(void)state;
	for (int i = 0; i < 4; i++) {
		struct identity id;
		uint8_t addr[IDENTITY_ADDR_LEN];
		unsigned long tries = identity_generate(&id);

		assert_true(tries >= 1);
		assert_true(identity_pk_acceptable(id.pk));
		identity_address(id.pk, addr);
		assert_memory_equal(id.addr, addr, sizeof(addr));
		assert_true(id.addr[0] == 0xfc && id.addr[1] == 0x94);
		assert_memory_equal(id.sk + IDENTITY_SEED_LEN, id.pk, IDENTITY_PK_LEN);
		identity_wipe(&id);
	}
}

/* ---- address text ---------------------------------------------------------- */

struct text_case {
	const char *in;
	const char *canonical; /* NULL: refused */
};

static const struct text_case text_cases[] = {
	{"fc94:0:0:1:0:0:0:5", "fc94:0:0:1::5"},       /* the longer zero run */
	{"fc94:0:0:1:0:0:1:5", "fc94::1:0:0:1:5"},     /* a tie: the first */
	{"fc94:0:1:0:0:2:0:0", "fc94:0:1::2:0:0"},
	{"FC94:ABCD:0:1:2:3:4:5", "fc94:abcd:0:1:2:3:4:5"}, /* lowercase */
	{"fc94:0472:d566:11f4:949f:d341:a9a3:e492", ADDR50}, /* Husarnet's form */
	{"fc94::", "fc94::"},
	{"", NULL},
	{"1.2.3.4", NULL},
	{"fc94:::1", NULL},
	{"fc94::1%eth0", NULL},
	{"fc94::1 ", NULL},
	{"fc94:0000:0000:0000:0000:0000:0000:0000:0", NULL},
	{"0000:0000:0000:0000:0000:0000:0000:0000:0000", NULL}, /* longer than any */
};

static void test_address_text_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(text_cases); i++) {
		const struct text_case *c = &text_cases[i];
		uint8_t addr[IDENTITY_ADDR_LEN];
		char out[IDENTITY_ADDR_TEXT];
		bool ok = identity_address_parse(c->in, strlen(c->in), addr);

		if (c->canonical == NULL) {
			assert_false(ok);
			continue;
		}
		assert_true(ok);
		identity_address_format(addr, out);
		assert_string_equal(out, c->canonical);
	}
	/* The length counts, not a NUL: an embedded NUL is refused. */
	{
		uint8_t addr[IDENTITY_ADDR_LEN];

		assert_true(identity_address_parse("fc94::1xyz", 7, addr));
		assert_false(identity_address_parse("fc94::1\0", 8, addr));
	}
}

/* ---- X25519 and signatures ------------------------------------------------- */

static void test_x25519(void **state)
{
	struct identity id;
	uint8_t xsk[IDENTITY_X25519_LEN], xpk[IDENTITY_X25519_LEN], base[IDENTITY_X25519_LEN];
	uint8_t small_order[IDENTITY_PK_LEN] = {1}; /* the neutral point */

	(void)state;
	load(&id, SEED1);
	assert_int_equal(identity_x25519_secret(&id, xsk), 0);
	assert_int_equal(identity_x25519_public(id.pk, xpk), 0);
	assert_int_equal(crypto_scalarmult_base(base, xsk), 0);
	assert_memory_equal(base, xpk, sizeof(xpk));
	assert_int_equal(identity_x25519_public(small_order, xpk), -EINVAL);
	identity_wipe(&id);
	sodium_memzero(xsk, sizeof(xsk));
}

static void test_sign_verify(void **state)
{
	static uint8_t big[IDENTITY_SIGNED_MAX];
	const uint8_t data[] = "endpoint 198.51.100.7:5582";
	uint8_t sig[IDENTITY_SIG_LEN], manual[IDENTITY_SIG_LEN], msg[64];
	char long_domain[IDENTITY_DOMAIN_MAX + 2];
	struct identity a, b;

	(void)state;
	load(&a, SEED1);
	load(&b, SEED2);
	assert_int_equal(identity_sign(&a, "subnetra-er", data, sizeof(data), sig), 0);
	assert_true(identity_verify(a.pk, "subnetra-er", data, sizeof(data), sig));
	/* The message is domain ‖ "\n" ‖ data, signed as it is (pure Ed25519). */
	memcpy(msg, "subnetra-er\n", 12);
	memcpy(msg + 12, data, sizeof(data));
	crypto_sign_detached(manual, NULL, msg, 12 + sizeof(data), a.sk);
	assert_memory_equal(sig, manual, sizeof(sig));

	assert_false(identity_verify(a.pk, "subnetra-beacon", data, sizeof(data), sig));
	assert_false(identity_verify(a.pk, "subnetra-e", data, sizeof(data), sig));
	assert_false(identity_verify(b.pk, "subnetra-er", data, sizeof(data), sig));
	assert_false(identity_verify(a.pk, "subnetra-er", data, sizeof(data) - 1, sig));
	sig[0] ^= 1;
	assert_false(identity_verify(a.pk, "subnetra-er", data, sizeof(data), sig));
	/* "a\nb" ‖ "\n" ‖ "c" would equal "a" ‖ "\n" ‖ "b\nc": refused. */
	assert_int_equal(identity_sign(&a, "a\nb", data, 1, sig), -EINVAL);
	assert_int_equal(identity_sign(&a, "", data, 1, sig), -EINVAL);
	memset(long_domain, 'd', sizeof(long_domain) - 1);
	long_domain[sizeof(long_domain) - 1] = '\0';
	assert_int_equal(identity_sign(&a, long_domain, data, 1, sig), -EINVAL);
	long_domain[IDENTITY_DOMAIN_MAX] = '\0';
	assert_int_equal(identity_sign(&a, long_domain, data, 1, sig), 0);
	assert_false(identity_verify(a.pk, "a\nb", data, 1, sig));
	/* The size limit counts the domain and the separator. */
	assert_int_equal(identity_sign(&a, "d", big, sizeof(big) - 2, sig), 0);
	assert_true(identity_verify(a.pk, "d", big, sizeof(big) - 2, sig));
	assert_int_equal(identity_sign(&a, "d", big, sizeof(big) - 1, sig), -EMSGSIZE);
	assert_int_equal(identity_sign(&a, "d", NULL, 0, sig), 0);
	assert_true(identity_verify(a.pk, "d", NULL, 0, sig));
	identity_wipe(&a);
	identity_wipe(&b);
}

/* ---- our identity file ------------------------------------------------------ */

#define L1 "subnetra-identity 1\n"
#define L2 "address " ADDR1 "\n"
#define L3 "public-key " PK1 "\n"
#define L4 "seed " SEED1 "\n"
#define FILE1 L1 L2 L3 L4

static void test_file_format_exact(void **state)
{
	char out[IDENTITY_FILE_TEXT];
	struct identity id, back;
	struct identity_error err;
	size_t n;

	(void)state;
	load(&id, SEED1);
	n = identity_file_format(&id, out, sizeof(out));
	assert_int_equal(n, strlen(FILE1));
	assert_string_equal(out, FILE1);
	assert_true(identity_file_parse(&back, out, n, &err));
	assert_memory_equal(&back, &id, sizeof(id));
	assert_int_equal(identity_file_format(&id, out, n), 0); /* no room for the NUL */
	assert_true(sodium_is_zero((const unsigned char *)out, n)); /* nor a partial seed */
	identity_wipe(&id);
	identity_wipe(&back);
}

static void test_file_round_trip(void **state)
{
	(void)state;
	for (int i = 0; i < 8; i++) {
		char out[IDENTITY_FILE_TEXT], again[IDENTITY_FILE_TEXT];
		struct identity id, back;
		struct identity_error err;
		size_t n;

		identity_generate(&id);
		n = identity_file_format(&id, out, sizeof(out));
		assert_true(n > 0);
		assert_true(identity_file_parse(&back, out, n, &err));
		assert_memory_equal(&back, &id, sizeof(id));
		assert_int_equal(identity_file_format(&back, again, sizeof(again)), n);
		assert_memory_equal(out, again, n);
		sodium_memzero(out, sizeof(out));
		sodium_memzero(again, sizeof(again));
		identity_wipe(&id);
		identity_wipe(&back);
	}
}

struct bad_case {
	const char *text;
	unsigned line;
	const char *msg; /* a substring of err.msg */
};

static const struct bad_case bad_files[] = {
	{"", 0, "empty file"},
	{"hello\n" L2 L3 L4, 1, "expected 'subnetra-identity 1', got a line starting \"hello\""},
	{"subnetra-identity 2\n" L2 L3 L4, 1, "version \"2\" is not one this build reads (1)"},
	{"subnetra-identity 1\r\n" L2 L3 L4, 1, "version \"1\\x0d\""},
	{"subnetra-identity 1", 1, "does not end with a newline"},
	{L1, 2, "missing: expected 'address <IPv6 address>'"},
	{L1 "addr " ADDR1 "\n" L3 L4, 2, "expected 'address <IPv6 address>', got a line starting \"addr\""},
	{"subnetra-identity 1 " SEED1 "\n", 1, "version \"1\" is not one"},
	{L1 L2 L3 "sed" SEED1 "\n", 4, "got a line starting (67 characters with a run of hex digits, not shown)"},
	{L1 "address fc94:333b:ed9b:6bf6:9f66:b007:33db:ca2b:1\n" L3 L4, 2,
	 "address: \"fc94:333b:ed9b:6bf6:9f66:b007:33db:ca2b:1\" is not an IPv6 address"},
	{L1 "address " PK1 "\n" L3 L4, 2,
	 "address: (64 characters with a run of hex digits, not shown) is not"},
	{L1 "address  " ADDR1 "\n" L3 L4, 2, "address: \" " ADDR1 "\" is not an IPv6 address"},
	{L1 "address fc94::zz\n" L3 L4, 2, "address: \"fc94::zz\" is not an IPv6 address"},
	{L1 "address 10.0.0.1\n" L3 L4, 2, "is not an IPv6 address"},
	{L1 L2, 3, "missing: expected 'public-key <64 hex>'"},
	{L1 L2 "public-key " PK1 "0\n" L4, 3, "public-key: expected 64 hex characters, got 65"},
	{L1 L2 "public-key 83eb\n" L4, 3, "public-key: expected 64 hex characters, got 4"},
	{L1 L2 "public-key 83eg10f4307a5e43c8cd14abedc94110b52d9e850734b66e4c972ef991785a1d\n" L4,
	 3, "public-key: not a hex digit at column 4"},
	{L1 L2 L3, 4, "missing: expected 'seed <64 hex>'"},
	{L1 L2 L3 "seed " SEED1, 4, "seed: the line does not end with a newline"},
	{L1 L2 L3 "seed " SEED1 "00\n", 4, "seed: expected 64 hex characters, got 66"},
	{L1 L2 L3 "seed bd0000005a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5x\n", 4,
	 "seed: not a hex digit at column 64"},
	{L1 L2 L3 "secret " SEED1 "\n", 4, "expected 'seed <64 hex>', got"},
	{L1 L2 L4 L3, 3, "expected 'public-key <64 hex>', got"},
	{FILE1 "\n", 5, "unexpected text after the seed line"},
	{FILE1 "seed " SEED1 "\n", 5, "unexpected text after the seed line"},
	/* Lines that are each well-formed but do not belong together. */
	{L1 L2 "public-key " PK2 "\n" L4, 3, "public-key: does not match the seed"},
	{L1 "address " ADDR2 "\n" L3 L4, 2,
	 "address: " ADDR2 " is not the address of this key (" ADDR1 ")"},
	{L1 "address " ADDR50 "\npublic-key " PK50 "\nseed " SEED50 "\n", 3,
	 "public-key: does not pass the address filter (its SHA-256 starts 0032; a mesh "
	 "key's starts 00 and then below 32)"},
};

typedef bool (*parse_fn)(struct identity *, const char *, size_t, struct identity_error *);

/* Every case refused, on its line, with its message; no secret in it, nothing left. */
static void check_refused(const struct bad_case *cases, size_t n, parse_fn parse)
{
	for (size_t i = 0; i < n; i++) {
		const struct bad_case *c = &cases[i];
		struct identity id;
		struct identity_error err;
		uint8_t zero[sizeof(id)] = {0};

		if (parse(&id, c->text, strlen(c->text), &err))
			fail_msg("case %zu parsed", i);
		if (err.line != c->line || strstr(err.msg, c->msg) == NULL)
			fail_msg("case %zu: line %u \"%s\"; want line %u \"%s\"", i, err.line,
				 err.msg, c->line, c->msg);
		assert_null(strstr(err.msg, "5a5a5a5a"));
		assert_memory_equal(&id, zero, sizeof(id));
	}
}

static void test_file_refused_table(void **state)
{
	(void)state;
	check_refused(bad_files, ARRAY_LEN(bad_files), identity_file_parse);
}

static void test_file_accepts(void **state)
{
	static const char *const good[] = {
		FILE1,
		/* Any spelling of the address, either case of hex. */
		L1 "address FC94:333B:ED9B:6BF6:9F66:B007:33DB:CA2B\n" L3 L4,
		L1 L2 "public-key 83EB10F4307A5E43C8CD14ABEDC94110B52D9E850734B66E4C972EF991785A1D\n"
		      L4,
		L1 "address " ADDR49 "\npublic-key " PK49 "\nseed " SEED49 "\n",
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(good); i++) {
		struct identity id;
		struct identity_error err;

		if (!identity_file_parse(&id, good[i], strlen(good[i]), &err))
			fail_msg("case %zu: line %u: %s", i, err.line, err.msg);
		identity_wipe(&id);
	}
}

/* ---- Husarnet's id file ---------------------------------------------------- */

/* What `husarnet genid` writes for SEED1: its IpAddress::str() form. */
#define HN1 ADDR1 " " PK1 " " SEED1 PK1 "\n"

static void test_husarnet_import(void **state)
{
	char line[IDENTITY_HUSARNET_TEXT];
	struct identity id, want;
	struct identity_error err;

	(void)state;
	load(&want, SEED1);
	assert_true(identity_husarnet_parse(&id, HN1, strlen(HN1), &err));
	assert_memory_equal(&id, &want, sizeof(id));
	assert_int_equal(identity_husarnet_format(&id, line, sizeof(line)), strlen(HN1));
	assert_string_equal(line, HN1);
	identity_wipe(&id);

	/* Tolerated: whitespace around and between, CRLF, "::", uppercase hex. */
	{
		static const char loose[] = "\n  fc94:333b:ed9b:6bf6:9f66:b007:33db:ca2b\t " PK1
					    "\n" SEED1 "83EB10F4307A5E43C8CD14ABEDC94110B52D9E850"
					    "734B66E4C972EF991785A1D \r\n\n";

		assert_true(identity_husarnet_parse(&id, loose, strlen(loose), &err));
		assert_memory_equal(&id, &want, sizeof(id));
		identity_wipe(&id);
	}
	identity_wipe(&want);
}

static void test_husarnet_format_zero_groups(void **state)
{
	char line[IDENTITY_HUSARNET_TEXT];
	struct identity id;
	struct identity_error err;

	(void)state;
	/* Husarnet never compresses: every group is four digits. */
	load(&id, SEED49);
	memset(id.addr + 2, 0, 4);
	assert_true(identity_husarnet_format(&id, line, sizeof(line)) > 0);
	assert_memory_equal(line, "fc94:0000:0000:", 15);
	assert_int_equal(strchr(line, ' ') - line, 39);
	/* ... and that address is then not this key's: refused on the way back. */
	assert_false(identity_husarnet_parse(&id, line, strlen(line), &err));
	assert_non_null(strstr(err.msg, "address: fc94::"));
	assert_int_equal(identity_husarnet_format(&id, line, 10), 0);
}

static const struct bad_case bad_husarnet[] = {
	{"", 1, "address: missing"},
	{"  \n\n", 3, "address: missing"},
	{ADDR1 "\n", 1, "public-key: missing"},
	{ADDR1 "\n" PK1 "\n\n", 2, "secret-key: missing"},
	{"subnetra-identity 1\naddress " ADDR1 "\n", 1,
	 "address: \"subnetra-identity\" is not an IPv6 address"},
	{ADDR1 " " PK1, 1, "secret-key: missing"},
	{HN1 "extra", 2, "unexpected text after the secret key"},
	{"fc94::zz " PK1 " " SEED1 PK1, 1, "address: \"fc94::zz\" is not an IPv6 address"},
	{ADDR1 " " PK1 "ff " SEED1 PK1, 1, "public-key: expected 64 hex characters, got 66"},
	{ADDR1 " " PK1 " " SEED1, 1, "secret-key: expected 128 hex characters, got 64"},
	{ADDR1 "\n" PK1 "\n" SEED1 "q3eb10f4307a5e43c8cd14abedc94110b52d9e850734b66e4c972ef991785a1d", 3, "secret-key: not a hex digit at column 65"},
	/* A secret key whose halves disagree: the seed's public key is PK1. */
	{ADDR1 " " PK1 " " SEED1 PK2, 1, "secret-key: its second half is not the public key"},
	{ADDR1 " " PK2 " " SEED1 PK1, 1, "public-key: does not match the secret key"},
	{ADDR2 " " PK1 " " SEED1 PK1, 1,
	 "address: " ADDR2 " is not the address of this key (" ADDR1 ")"},
	{ADDR50 " " PK50 " " SEED50 PK50, 1, "public-key: does not pass the address filter"},
};

static void test_husarnet_refused_table(void **state)
{
	(void)state;
	check_refused(bad_husarnet, ARRAY_LEN(bad_husarnet), identity_husarnet_parse);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_address_table),
		cmocka_unit_test(test_from_seed),
		cmocka_unit_test(test_generate),
		cmocka_unit_test(test_address_text_table),
		cmocka_unit_test(test_x25519),
		cmocka_unit_test(test_sign_verify),
		cmocka_unit_test(test_file_format_exact),
		cmocka_unit_test(test_file_round_trip),
		cmocka_unit_test(test_file_refused_table),
		cmocka_unit_test(test_file_accepts),
		cmocka_unit_test(test_husarnet_import),
		cmocka_unit_test(test_husarnet_format_zero_groups),
		cmocka_unit_test(test_husarnet_refused_table),
	};

	return cmocka_run_group_tests_name("identity", tests, setup, NULL);
}
