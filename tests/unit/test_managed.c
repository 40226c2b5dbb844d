/*
 * core/mesh/managed.c: the managed file (docs/mesh.md, "Managed entries")
 * parses into the set it names and formats back to the same text; the
 * limits hold exactly (8 servers, 1024 peers, 1024 names, 1 MiB); every
 * malformed file is refused with its line and a reason, and leaves the
 * set empty; lookups find peers and servers and nothing else.
 */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/mesh/identity.h"
#include "core/mesh/managed.h"

static struct managed m, m2;
static char text[MANAGED_FILE_MAX + 64], text2[MANAGED_FILE_MAX + 64];

static void addr_of(const char *s, uint8_t out[16])
{
	assert_true(identity_address_parse(s, strlen(s), out));
}

static bool parse(struct managed *into, const char *t, struct managed_error *err)
{
	return managed_parse(into, t, strlen(t), err);
}

static void test_parse_and_lookup(void **state)
{
	static const char file[] = "subnetra-managed 1\n"
				   "version 3.17\n"
				   "server fc94::9\n"
				   "peer fc94:1::2 robot-1 r1 arm\n"
				   "peer fc94::9 mgmt\n"
				   "peer fc94:1::1\n"
				   "server fc94::8\n";
	struct managed_error err = {0, NULL};
	const struct managed_peer *p;
	char v[MANAGED_VERSION_TEXT];
	uint8_t a[16];

	(void)state;
	assert_true(parse(&m, file, &err));
	assert_int_equal(m.epoch, 3);
	assert_int_equal(m.serial, 17);
	managed_version_format(&m, v);
	assert_string_equal(v, "3.17");
	assert_int_equal(m.n_servers, 2);
	assert_int_equal(m.n_peers, 3);
	assert_int_equal(m.n_names, 4);
	assert_int_equal(m.n_addrs, 4); /* fc94::9 is both a server and a peer */
	for (size_t i = 1; i < m.n_addrs; i++)
		assert_true(memcmp(m.addrs[i - 1].addr, m.addrs[i].addr, 16) < 0);
	addr_of("fc94:1::2", a);
	p = managed_peer_find(&m, a);
	assert_non_null(p);
	assert_int_equal(p->n_names, 3);
	assert_string_equal(m.name[p->first_name], "robot-1");
	assert_string_equal(m.name[p->first_name + 2], "arm");
	addr_of("fc94::8", a);
	assert_true(managed_contains(&m, a));
	assert_null(managed_peer_find(&m, a)); /* a server only */
	addr_of("fc94::9", a);
	assert_true(managed_contains(&m, a));
	assert_non_null(managed_peer_find(&m, a));
	addr_of("fc94:1::3", a);
	assert_false(managed_contains(&m, a));
	addr_of("fc94:1::1", a);
	p = managed_peer_find(&m, a);
	assert_non_null(p);
	assert_int_equal(p->n_names, 0);

	/* The least file: header and version. */
	assert_true(parse(&m, "subnetra-managed 1\nversion 0.0\n", &err));
	assert_int_equal(m.n_addrs + m.n_names + m.epoch + m.serial, 0);
	/* The largest version. */
	assert_true(parse(&m, "subnetra-managed 1\nversion 18446744073709551615.1\n", &err));
	assert_true(m.epoch == UINT64_MAX && m.serial == 1);
}

static void test_round_trip(void **state)
{
	static const char file[] = "subnetra-managed 1\n"
				   "version 12.4000000000\n"
				   "server fc94::9\n"
				   "server fc94:abcd::1\n"
				   "peer fc94:1::2 robot-1 r1\n"
				   "peer fc94::1\n"
				   "peer fc94:ffff:1:2:3:4:5:6 x\n";
	struct managed_error err;
	size_t len;

	(void)state;
	assert_true(parse(&m, file, &err));
	len = managed_format(&m, text, sizeof(text));
	assert_int_equal(len, strlen(file));
	assert_string_equal(text, file);
	/* A spelling that is not RFC 5952 is read, and written as RFC 5952. */
	assert_true(parse(&m, "subnetra-managed 1\nversion 1.2\npeer FC94:0:0::0001 a\n", &err));
	managed_format(&m, text, sizeof(text));
	assert_string_equal(text, "subnetra-managed 1\nversion 1.2\npeer fc94::1 a\n");
	/* Too small a buffer: 0, at every size short of the text. */
	assert_true(parse(&m, file, &err));
	for (size_t cap = 0; cap <= strlen(file); cap++)
		assert_int_equal(managed_format(&m, text, cap), 0);
	assert_int_equal(managed_format(&m, text, strlen(file) + 1), strlen(file));
}

/* A file with n_servers servers, n_peers peers and names names spread over them. */
static size_t build(char *out, size_t cap, size_t n_servers, size_t n_peers, size_t names)
{
	size_t len = (size_t)snprintf(out, cap, "subnetra-managed 1\nversion 1.1\n");

	for (size_t i = 0; i < n_servers; i++)
		len += (size_t)snprintf(out + len, cap - len, "server fc94::%zx\n", i + 1);
	for (size_t i = 0; i < n_peers; i++) {
		size_t k = names / n_peers + (i < names % n_peers);

		len += (size_t)snprintf(out + len, cap - len, "peer fc94:1::%zx", i + 1);
		for (size_t j = 0; j < k; j++)
			len += (size_t)snprintf(out + len, cap - len, " n%zu-%zu", i, j);
		len += (size_t)snprintf(out + len, cap - len, "\n");
	}
	return len;
}

static void test_limits(void **state)
{
	struct managed_error err = {0, NULL};
	size_t len;

	(void)state;
	len = build(text, sizeof(text), MANAGED_SERVERS_MAX, MANAGED_PEERS_MAX, MANAGED_NAMES_MAX);
	assert_true(managed_parse(&m, text, len, &err));
	assert_int_equal(m.n_servers, MANAGED_SERVERS_MAX);
	assert_int_equal(m.n_peers, MANAGED_PEERS_MAX);
	assert_int_equal(m.n_names, MANAGED_NAMES_MAX);
	/* round trip at the limits, and the same set again */
	assert_int_equal(managed_format(&m, text2, sizeof(text2)), len);
	assert_memory_equal(text, text2, len);
	assert_true(managed_parse(&m2, text2, len, &err));
	assert_int_equal(m2.n_addrs, m.n_addrs);
	assert_memory_equal(m2.addrs, m.addrs, m.n_addrs * sizeof(m.addrs[0]));

	/* One more of each: refused on the line that overflows. */
	len = build(text, sizeof(text), MANAGED_SERVERS_MAX + 1, 1, 0);
	assert_false(managed_parse(&m, text, len, &err));
	assert_int_equal(err.line, 2 + MANAGED_SERVERS_MAX + 1);
	assert_non_null(strstr(err.msg, "servers"));
	len = build(text, sizeof(text), 0, MANAGED_PEERS_MAX + 1, 0);
	assert_false(managed_parse(&m, text, len, &err));
	assert_int_equal(err.line, 2 + MANAGED_PEERS_MAX + 1);
	assert_non_null(strstr(err.msg, "peers"));
	len = build(text, sizeof(text), 0, 2, MANAGED_NAMES_MAX + 1);
	assert_false(managed_parse(&m, text, len, &err));
	assert_int_equal(err.line, 4); /* the second peer's line takes the 1025th */
	assert_non_null(strstr(err.msg, "names"));
	len = build(text, sizeof(text), 0, 1, MANAGED_NAMES_MAX + 1);
	assert_false(managed_parse(&m, text, len, &err));
	assert_int_equal(err.line, 3);
	assert_int_equal(m.n_peers + m.n_names + m.n_addrs, 0);

	/* More than 1 MiB: refused before any line is read. */
	memset(text, 'a', MANAGED_FILE_MAX + 1);
	assert_false(managed_parse(&m, text, MANAGED_FILE_MAX + 1, &err));
	assert_int_equal(err.line, 0);
	assert_non_null(strstr(err.msg, "1 MiB"));
}

static void test_refused(void **state)
{
	static const struct {
		const char *text;
		unsigned line;
		const char *why; /* a part of the message */
	} bad[] = {
	    {"", 1, "version"},
	    {"subnetra-managed 1\n", 2, "version"},
	    {"subnetra-managed 2\nversion 0.0\n", 1, "subnetra-managed 1"},
	    {"subnetra-whitelist 1\nversion 0.0\n", 1, "subnetra-managed 1"},
	    {"subnetra-managed  1\nversion 0.0\n", 1, "single spaces"},
	    {"subnetra-managed 1\r\nversion 0.0\n", 1, "CR"},
	    {"subnetra-managed 1\nserver fc94::1\n", 2, "version"},
	    {"subnetra-managed 1\nversion 1\n", 2, "version"},
	    {"subnetra-managed 1\nversion 1.\n", 2, "version"},
	    {"subnetra-managed 1\nversion .1\n", 2, "version"},
	    {"subnetra-managed 1\nversion 01.1\n", 2, "version"},
	    {"subnetra-managed 1\nversion 1.-1\n", 2, "version"},
	    {"subnetra-managed 1\nversion 1.2.3\n", 2, "version"},
	    {"subnetra-managed 1\nversion 18446744073709551616.0\n", 2, "version"},
	    {"subnetra-managed 1\nversion 1.1 x\n", 2, "version"},
	    {"subnetra-managed 1\nversion 1.1\nversion 1.2\n", 3, "unknown keyword"},
	    {"subnetra-managed 1\nversion 1.1\nhost fc94::1\n", 3, "unknown keyword"},
	    {"subnetra-managed 1\nversion 1.1\nPeer fc94::1\n", 3, "unknown keyword"},
	    {"subnetra-managed 1\nversion 1.1\n\npeer fc94::1\n", 3, "blank"},
	    {"subnetra-managed 1\nversion 1.1\npeer fc94::1 \n", 3, "single spaces"},
	    {"subnetra-managed 1\nversion 1.1\n peer fc94::1\n", 3, "single spaces"},
	    {"subnetra-managed 1\nversion 1.1\npeer  fc94::1\n", 3, "single spaces"},
	    {"subnetra-managed 1\nversion 1.1\npeer\tfc94::1\n", 3, "unknown keyword"},
	    {"subnetra-managed 1\nversion 1.1\npeer fc94::1\r\n", 3, "CR"},
	    {"subnetra-managed 1\nversion 1.1\npeer\n", 3, "without its address"},
	    {"subnetra-managed 1\nversion 1.1\nserver\n", 3, "without its address"},
	    {"subnetra-managed 1\nversion 1.1\npeer fd00::1\n", 3, "fc94::/16"},
	    {"subnetra-managed 1\nversion 1.1\nserver fc95::1\n", 3, "fc94::/16"},
	    {"subnetra-managed 1\nversion 1.1\npeer 10.0.0.1\n", 3, "IPv6"},
	    {"subnetra-managed 1\nversion 1.1\npeer robot-1\n", 3, "IPv6"},
	    {"subnetra-managed 1\nversion 1.1\npeer [fc94::1]\n", 3, "IPv6"},
	    {"subnetra-managed 1\nversion 1.1\nserver fc94::1 name\n", 3, "server"},
	    {"subnetra-managed 1\nversion 1.1\npeer fc94::1 a\npeer fc94:0::1 b\n", 4, "twice"},
	    {"subnetra-managed 1\nversion 1.1\nserver fc94::1\nserver fc94::1\n", 4, "twice"},
	    {"subnetra-managed 1\nversion 1.1\npeer fc94::1 Robot\n", 3, "name"},
	    {"subnetra-managed 1\nversion 1.1\npeer fc94::1 a.b\n", 3, "name"},
	    {"subnetra-managed 1\nversion 1.1\npeer fc94::1 -a\n", 3, "name"},
	    {"subnetra-managed 1\nversion 1.1\npeer fc94::1 a_b\n", 3, "name"},
	    {"subnetra-managed 1\nversion 1.1\npeer fc94::1 "
	     "a123456789012345678901234567890123456789012345678901234567890123\n",
	     3, "name"}, /* 64 bytes */
	    {"subnetra-managed 1\nversion 1.1\npeer fc94::1", 3, "newline"},
	    {"subnetra-managed 1\nversion 1.1", 2, "newline"},
	};
	struct managed_error err;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		/* Something in the set before: a refusal leaves it empty. */
		assert_true(parse(&m, "subnetra-managed 1\nversion 1.1\npeer fc94::1 a\n", &err));
		err.line = 0;
		err.msg = NULL;
		if (parse(&m, bad[i].text, &err))
			fail_msg("case %zu accepted", i);
		if (err.line != bad[i].line || err.msg == NULL || strstr(err.msg, bad[i].why) == NULL)
			fail_msg("case %zu: line %u \"%s\"; expected line %u with \"%s\"", i, err.line,
				 err.msg != NULL ? err.msg : "(null)", bad[i].line, bad[i].why);
		assert_int_equal(m.n_peers + m.n_servers + m.n_names + m.n_addrs, 0);
		assert_true(m.epoch == 0 && m.serial == 0);
	}
	/* A NUL byte inside a name is no name. */
	assert_false(managed_parse(&m, "subnetra-managed 1\nversion 1.1\npeer fc94::1 a\0b\n", 46,
				   &err));
	assert_int_equal(err.line, 3);
}

/* Random sets: format, parse, format gives the same text and the same set. */
static void test_random_round_trip(void **state)
{
	struct managed_error err;
	uint64_t x = 0x9e3779b97f4a7c15u;

	(void)state;
	for (int round = 0; round < 200; round++) {
		size_t len, len2;

		managed_init(&m);
		x = x * 6364136223846793005u + 1442695040888963407u;
		m.epoch = x >> 11;
		m.serial = x & 0xffff;
		for (size_t i = 0; i < (x >> 20) % (MANAGED_SERVERS_MAX + 1); i++) {
			uint8_t a[16] = {0xfc, 0x94, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (uint8_t)i};

			memcpy(m.server[m.n_servers++], a, 16);
		}
		len = managed_format(&m, text, sizeof(text));
		/* peers through the parser: the formatter needs the index it builds */
		for (size_t i = 0; i < (x >> 30) % 40; i++) {
			len += (size_t)snprintf(text + len, sizeof(text) - len, "peer fc94:%x::%zx",
						((unsigned)(x >> 40) & 0xffff) | 1, i + 1);
			for (size_t k = 0; k < (i * 7 + (x >> 50)) % 4; k++)
				len += (size_t)snprintf(text + len, sizeof(text) - len, " h%zu-%zu",
							i, k);
			len += (size_t)snprintf(text + len, sizeof(text) - len, "\n");
		}
		assert_true(managed_parse(&m2, text, len, &err));
		len2 = managed_format(&m2, text2, sizeof(text2));
		assert_int_equal(len2, len);
		assert_memory_equal(text, text2, len);
		assert_true(m2.epoch == m.epoch && m2.serial == m.serial);
		assert_int_equal(m2.n_servers, m.n_servers);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_and_lookup), cmocka_unit_test(test_round_trip),
	    cmocka_unit_test(test_limits),	     cmocka_unit_test(test_refused),
	    cmocka_unit_test(test_random_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
