/*
 * Endpoint records and EP18: round trips at the boundaries (0, 1 and 16
 * endpoints; names of 0, 1 and 63 bytes), the candidate and observed rules
 * on a table of addresses, every refusal reason from records written by an
 * independent encoder here (re-signed, so each reaches its check), a
 * flipped bit anywhere in a signed record, and a record for another
 * address.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/bytes/byteorder.h"
#include "core/mesh/er.h"
#include "core/mesh/name.h"
#include "mesh_fixture.h"

static struct identity id1, id2, id50;

static int setup(void **state)
{
	(void)state;
	fix_identity(&id1, FIX_SEED1);
	fix_identity(&id2, FIX_SEED2);
	fix_identity(&id50, FIX_SEED50);
	return 0;
}

/* A valid record with n endpoints (203.0.113.x:1000+i) and a name. */
static struct er sample(unsigned n, const char *name)
{
	struct er er;

	memset(&er, 0, sizeof(er));
	er.seq = 1700000000000ull;
	er.listen_port = 5582;
	er.nat_flags = ER_NAT_EDM | ER_NAT_UDP_BASE_FAILED;
	er.n = (uint8_t)n;
	for (unsigned i = 0; i < n; i++) {
		uint8_t v4[4] = {203, 0, 113, (uint8_t)(i + 1)};

		ep18_from_ipv4(&er.ep[i], v4, (uint16_t)(1000 + i));
	}
	er.name_len = (uint8_t)strlen(name);
	memcpy(er.name, name, er.name_len);
	return er;
}

/*
 * The reference encoder: writes any field values, valid or not, in the
 * documented layout (docs/mesh-protocol.md), then signs with id.
 */
static size_t raw_er(uint8_t *out, const struct er *er, unsigned n_field,
		     unsigned name_len_field, const struct identity *id)
{
	size_t off = 44;

	memcpy(out, id->pk, 32);
	store_be64(out + 32, er->seq);
	store_be16(out + 40, er->listen_port);
	out[42] = er->nat_flags;
	out[43] = (uint8_t)n_field;
	for (unsigned i = 0; i < er->n; i++, off += 18)
		ep18_put(out + off, &er->ep[i]);
	out[off++] = (uint8_t)name_len_field;
	memcpy(out + off, er->name, er->name_len);
	off += er->name_len + 64;
	fix_resign(id, ER_SIGN_DOMAIN, out, off);
	return off;
}

static void test_names(void **state)
{
	(void)state;
	for (int r = 0; r < ER_RESULT_END; r++) {
		assert_non_null(er_result_name(r));
		assert_string_not_equal(er_result_name(r), "?");
		for (int q = 0; q < r; q++)
			assert_string_not_equal(er_result_name(r), er_result_name(q));
	}
	assert_string_equal(er_result_name(ER_OK), "ok");
	assert_string_equal(er_result_name(ER_WRONG_ADDRESS), "wrong_address");
	assert_string_equal(er_result_name(ER_BAD_SIGNATURE), "bad_signature");
	assert_string_equal(er_result_name(ER_RESULT_END), "?");
}

static void test_ep18_bytes(void **state)
{
	uint8_t buf[EP18_LEN], v4[4];
	struct ep18 ep = fix_ep("192.0.2.1", 0x1234), back;
	static const uint8_t want[EP18_LEN] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff,
					       192, 0, 2, 1, 0x12, 0x34};

	(void)state;
	ep18_put(buf, &ep);
	assert_memory_equal(buf, want, EP18_LEN);
	ep18_get(&back, buf);
	assert_true(ep18_equal(&ep, &back));
	assert_true(ep18_is_ipv4(&back, v4));
	assert_memory_equal(v4, want + 12, 4);
	ep = fix_ep("2001:db8::1", 443);
	assert_false(ep18_is_ipv4(&ep, NULL));
	back = ep;
	back.port = 444;
	assert_false(ep18_equal(&ep, &back));
}

static const struct {
	const char *addr;
	uint16_t port;
	bool candidate, observed;
} addr_cases[] = {
    {"203.0.113.7", 5582, true, true},
    {"192.168.1.10", 5582, true, true}, /* private: a LAN candidate */
    {"10.0.0.1", 1, true, true},
    {"100.64.0.1", 5582, true, true},
    {"203.0.113.7", 0, false, false}, /* port 0 */
    {"0.0.0.0", 5582, false, false},
    {"0.1.2.3", 5582, false, false},
    {"127.0.0.1", 5582, false, true}, /* loopback: a real source */
    {"169.254.3.4", 5582, false, true},
    {"224.0.0.1", 5582, false, false},
    {"239.255.255.250", 5582, false, false},
    {"240.0.0.1", 5582, false, false},
    {"255.255.255.255", 5582, false, false},
    {"2001:db8::1", 5582, true, true},
    {"fd00::1", 5582, true, true}, /* ULA outside fc94::/16 */
    {"fc95::1", 5582, true, true},
    {"fc94::1", 5582, false, true}, /* overlay */
    {"fc94:333b:ed9b:6bf6:9f66:b007:33db:ca2b", 5582, false, true},
    {"::", 5582, false, false},
    {"::1", 5582, false, true},
    {"::5.6.7.8", 5582, false, false}, /* IPv4-compatible: deprecated */
    {"fe80::1", 5582, false, true},
    {"febf::1", 5582, false, true},
    {"fec0::1", 5582, true, true},
    {"ff02::1", 5582, false, false},
    {"ff0e::1", 5582, false, false},
};

static void test_candidate_rules(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(addr_cases) / sizeof(addr_cases[0]); i++) {
		struct ep18 ep = fix_ep(addr_cases[i].addr, addr_cases[i].port);

		if (ep18_candidate(&ep) != addr_cases[i].candidate ||
		    ep18_observed(&ep) != addr_cases[i].observed)
			fail_msg("%s port %u: candidate %d observed %d", addr_cases[i].addr,
				 addr_cases[i].port, ep18_candidate(&ep), ep18_observed(&ep));
	}
}

static void test_name_rules(void **state)
{
	char long_name[65];

	(void)state;
	assert_true(mesh_name_valid("a", 1));
	assert_true(mesh_name_valid("0", 1));
	assert_true(mesh_name_valid("node-1", 6));
	assert_true(mesh_name_valid("9lives", 6));
	assert_false(mesh_name_valid("", 0));
	assert_false(mesh_name_valid("-a", 2));
	assert_false(mesh_name_valid("a-", 2));
	assert_false(mesh_name_valid("-", 1));
	assert_false(mesh_name_valid("Node", 4));
	assert_false(mesh_name_valid("a.b", 3));
	assert_false(mesh_name_valid("a_b", 3));
	assert_false(mesh_name_valid("a b", 3));
	assert_false(mesh_name_valid("a\0b", 3));
	memset(long_name, 'a', sizeof(long_name));
	assert_true(mesh_name_valid(long_name, 63));
	assert_false(mesh_name_valid(long_name, 64));
}

static void test_round_trip(void **state)
{
	static const unsigned ns[] = {0, 1, 16};
	static const char *const names[] = {
	    "", "a", "abcdefghij-abcdefghij-abcdefghij-abcdefghij-abcdefghij-abcdefgh"};
	uint8_t buf[ER_MAX_LEN], again[ER_MAX_LEN];
	size_t len, len2;
	struct er er, got;

	(void)state;
	assert_int_equal(strlen(names[2]), 63);
	for (size_t i = 0; i < 3; i++) {
		for (size_t j = 0; j < 3; j++) {
			er = sample(ns[i], names[j]);
			assert_int_equal(er_sign(&er, &id1, buf, sizeof(buf), &len), ER_OK);
			assert_int_equal(len, er_len(&er));
			assert_int_equal(len, ER_MIN_LEN + 18 * ns[i] + strlen(names[j]));
			assert_memory_equal(er.ed_pk, id1.pk, 32);
			assert_int_equal(er_parse(&got, buf, len, id1.addr), ER_OK);
			assert_int_equal(er_parse(&got, buf, len, NULL), ER_OK);
			assert_int_equal(got.seq, er.seq);
			assert_int_equal(got.listen_port, 5582);
			assert_int_equal(got.nat_flags, er.nat_flags);
			assert_int_equal(got.n, ns[i]);
			for (unsigned k = 0; k < got.n; k++)
				assert_true(ep18_equal(&got.ep[k], &er.ep[k]));
			assert_string_equal(got.name, names[j]);
			assert_int_equal(er_encode(&got, again, sizeof(again), &len2), ER_OK);
			assert_int_equal(len2, len);
			assert_memory_equal(again, buf, len);
		}
	}
	/* The largest record fits exactly; one byte less is refused. */
	er = sample(16, names[2]);
	assert_int_equal(er_sign(&er, &id1, buf, ER_MAX_LEN, &len), ER_OK);
	assert_int_equal(len, ER_MAX_LEN);
	assert_int_equal(er_encode(&er, buf, ER_MAX_LEN - 1, &len), ER_NO_SPACE);
	assert_int_equal(er_sign(&er, &id1, buf, ER_MAX_LEN - 1, &len), ER_NO_SPACE);
}

/* ---- refusals ------------------------------------------------------------ */

struct refusal {
	const char *name;
	void (*mutate)(struct er *er, unsigned *n_field, unsigned *name_len_field);
	const struct identity *signer;
	int extra;	/* bytes appended (> 0) or cut (< 0) after signing */
	bool expect_id2; /* parse with id2's address expected */
	bool flip_sig;
	enum er_result want;
};

static void m_none(struct er *er, unsigned *n, unsigned *nl)
{
	(void)er, (void)n, (void)nl;
}
static void m_n17(struct er *er, unsigned *n, unsigned *nl)
{
	(void)er, (void)nl;
	*n = 17;
}
static void m_n_high(struct er *er, unsigned *n, unsigned *nl)
{
	(void)er, (void)nl;
	*n = 3; /* two written: the length disagrees */
}
static void m_name_len64(struct er *er, unsigned *n, unsigned *nl)
{
	(void)er, (void)n;
	*nl = 64;
}
static void m_port0(struct er *er, unsigned *n, unsigned *nl)
{
	(void)n, (void)nl;
	er->listen_port = 0;
}
static void m_seq0(struct er *er, unsigned *n, unsigned *nl)
{
	(void)n, (void)nl;
	er->seq = 0;
}
static void m_flags(struct er *er, unsigned *n, unsigned *nl)
{
	(void)n, (void)nl;
	er->nat_flags = 0x08;
}
static void m_loopback(struct er *er, unsigned *n, unsigned *nl)
{
	(void)n, (void)nl;
	er->ep[1] = fix_ep("127.0.0.1", 5582);
}
static void m_overlay(struct er *er, unsigned *n, unsigned *nl)
{
	(void)n, (void)nl;
	er->ep[0] = fix_ep("fc94::1", 5582);
}
static void m_dup(struct er *er, unsigned *n, unsigned *nl)
{
	(void)n, (void)nl;
	er->ep[1] = er->ep[0];
}
static void m_upper(struct er *er, unsigned *n, unsigned *nl)
{
	(void)n, (void)nl;
	er->name[0] = 'N';
}
static void m_dash(struct er *er, unsigned *n, unsigned *nl)
{
	(void)n, (void)nl;
	er->name[er->name_len - 1] = '-';
}

static const struct refusal refusals[] = {
    {"valid", m_none, &id1, 0, false, false, ER_OK},
    {"one byte cut", m_none, &id1, -1, false, false, ER_BAD_LENGTH},
    {"one byte more", m_none, &id1, 1, false, false, ER_BAD_LENGTH},
    {"n = 17", m_n17, &id1, 0, false, false, ER_TOO_MANY_ENDPOINTS},
    {"n above the endpoints", m_n_high, &id1, 0, false, false, ER_BAD_LENGTH},
    {"name_len 64", m_name_len64, &id1, 0, false, false, ER_BAD_NAME_LEN},
    {"port 0", m_port0, &id1, 0, false, false, ER_BAD_PORT},
    {"seq 0", m_seq0, &id1, 0, false, false, ER_BAD_SEQ},
    {"nat flag bit 3", m_flags, &id1, 0, false, false, ER_BAD_FLAGS},
    {"loopback endpoint", m_loopback, &id1, 0, false, false, ER_BAD_ENDPOINT},
    {"overlay endpoint", m_overlay, &id1, 0, false, false, ER_BAD_ENDPOINT},
    {"duplicate endpoint", m_dup, &id1, 0, false, false, ER_DUPLICATE_ENDPOINT},
    {"uppercase name", m_upper, &id1, 0, false, false, ER_BAD_NAME},
    {"name ends in -", m_dash, &id1, 0, false, false, ER_BAD_NAME},
    {"key fails the filter", m_none, &id50, 0, false, false, ER_BAD_KEY},
    {"another node's address", m_none, &id1, 0, true, false, ER_WRONG_ADDRESS},
    {"signature flipped", m_none, &id1, 0, false, true, ER_BAD_SIGNATURE},
};

static void test_refusals(void **state)
{
	uint8_t buf[ER_MAX_LEN + 64];
	struct er er, got;

	(void)state;
	for (size_t i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++) {
		const struct refusal *c = &refusals[i];
		unsigned n_field, nl_field;
		size_t len;
		enum er_result r;

		er = sample(2, "node-a");
		n_field = er.n;
		nl_field = er.name_len;
		c->mutate(&er, &n_field, &nl_field);
		len = raw_er(buf, &er, n_field, nl_field, c->signer);
		if (c->flip_sig)
			buf[len - 1] ^= 0x01;
		len = (size_t)((long)len + c->extra);
		r = er_parse(&got, buf, len, c->expect_id2 ? id2.addr : id1.addr);
		if (r != c->want)
			fail_msg("%s: got %s, want %s", c->name, er_result_name(r),
				 er_result_name(c->want));
		if (r != ER_OK) {
			static const struct er zero;

			assert_memory_equal(&got, &zero, sizeof(zero));
		}
	}
	/* The shortest possible refusal. */
	assert_int_equal(er_parse(&got, buf, ER_MIN_LEN - 1, NULL), ER_TOO_SHORT);
	assert_int_equal(er_parse(&got, buf, 0, NULL), ER_TOO_SHORT);
}

/* The builder refuses what the parser would refuse, with the same reason. */
static void test_sign_refuses(void **state)
{
	uint8_t buf[ER_MAX_LEN];
	size_t len = 0;
	struct er er;

	(void)state;
	for (size_t i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++) {
		const struct refusal *c = &refusals[i];
		unsigned n_field, nl_field;

		if (c->mutate == m_none || c->mutate == m_n_high)
			continue;
		er = sample(2, "node-a");
		n_field = er.n;
		nl_field = er.name_len;
		c->mutate(&er, &n_field, &nl_field);
		er.n = (uint8_t)n_field;
		er.name_len = (uint8_t)nl_field;
		if (er_sign(&er, &id1, buf, sizeof(buf), &len) != c->want)
			fail_msg("%s: er_sign gave %s", c->name,
				 er_result_name(er_sign(&er, &id1, buf, sizeof(buf), &len)));
		assert_int_equal(er_encode(&er, buf, sizeof(buf), &len), c->want);
	}
}

/* Any single bit flipped anywhere in a signed record: refused. */
static void test_flip_every_bit(void **state)
{
	uint8_t buf[ER_MAX_LEN];
	size_t len;
	struct er er = sample(3, "flip"), got;

	(void)state;
	assert_int_equal(er_sign(&er, &id1, buf, sizeof(buf), &len), ER_OK);
	for (size_t i = 0; i < len; i++) {
		for (int bit = 0; bit < 8; bit++) {
			buf[i] ^= (uint8_t)(1u << bit);
			if (er_parse(&got, buf, len, NULL) == ER_OK)
				fail_msg("byte %zu bit %d flipped and still accepted", i, bit);
			buf[i] ^= (uint8_t)(1u << bit);
		}
	}
	assert_int_equal(er_parse(&got, buf, len, NULL), ER_OK);
}

/*
 * A forged record: a genuine record of id1 with id2's key put in front
 * (so it claims id2's address) fails the signature; checked against id2's
 * address it gets that far and no further.
 */
static void test_forged_key(void **state)
{
	uint8_t buf[ER_MAX_LEN];
	size_t len;
	struct er er = sample(1, ""), got;

	(void)state;
	assert_int_equal(er_sign(&er, &id1, buf, sizeof(buf), &len), ER_OK);
	memcpy(buf, id2.pk, 32);
	assert_int_equal(er_parse(&got, buf, len, id2.addr), ER_BAD_SIGNATURE);
	assert_int_equal(er_parse(&got, buf, len, id1.addr), ER_WRONG_ADDRESS);
}

/* A signature made in another domain (a beacon's, say) is no ER signature. */
static void test_domain_separation(void **state)
{
	uint8_t buf[ER_MAX_LEN];
	size_t len;
	struct er er = sample(1, ""), got;

	(void)state;
	assert_int_equal(er_sign(&er, &id1, buf, sizeof(buf), &len), ER_OK);
	fix_resign(&id1, "subnetra-mesh-beacon-v1", buf, len);
	assert_int_equal(er_parse(&got, buf, len, NULL), ER_BAD_SIGNATURE);
}

static void test_freshness(void **state)
{
	(void)state;
	assert_true(er_seq_fresher(1, 0));
	assert_true(er_seq_fresher(101, 100));
	assert_false(er_seq_fresher(100, 100));
	assert_false(er_seq_fresher(99, 100));
	assert_false(er_seq_fresher(0, 0));
	assert_true(er_seq_fresher(UINT64_MAX, UINT64_MAX - 1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_names),	    cmocka_unit_test(test_ep18_bytes),
	    cmocka_unit_test(test_candidate_rules), cmocka_unit_test(test_name_rules),
	    cmocka_unit_test(test_round_trip),	    cmocka_unit_test(test_refusals),
	    cmocka_unit_test(test_sign_refuses),    cmocka_unit_test(test_flip_every_bit),
	    cmocka_unit_test(test_forged_key),	    cmocka_unit_test(test_domain_separation),
	    cmocka_unit_test(test_freshness),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
