/*
 * core/mesh/hostsblock.c: the managed block of the hosts file.  Every byte
 * outside the block survives a rewrite (with and without a final newline,
 * the block first, last or in the middle); removing every entry removes
 * the markers; malformed markers are refused, never guessed at; the
 * block's entries read back; names are lowercase RFC 1123 labels.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/mesh/hostsblock.h"
#include "core/mesh/identity.h"

#define B HOSTS_BEGIN "\n"
#define E HOSTS_END "\n"

static struct hosts_entry entry(const char *addr, const char *name)
{
	struct hosts_entry e = { 0 };

	assert_true(identity_address_parse(addr, strlen(addr), e.addr));
	strcpy(e.name, name);
	return e;
}

static const char *rewrite(const char *in, const struct hosts_entry *e, size_t n)
{
	static char out[4096];
	const char *why = NULL;
	size_t len = hosts_rewrite(in, strlen(in), e, n, out, sizeof(out) - 1, &why);

	if (len == 0 && (why != NULL)) {
		print_message("refused: %s\n", why);
		return NULL;
	}
	out[len] = '\0';
	return out;
}

static void test_names(void **state)
{
	static const struct {
		const char *name;
		bool ok;
	} cases[] = {
		{ "robot-1", true }, { "a", true }, { "ROBOT", false }, { "0abc", true },
		{ "-a", false }, { "a-", false }, { "", false }, { "a.b", false },
		{ "a_b", false }, { "a b", false },
		{ "123456789012345678901234567890123456789012345678901234567890123", true },
		{ "1234567890123456789012345678901234567890123456789012345678901234", false },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (mesh_name_valid(cases[i].name, strlen(cases[i].name)) != cases[i].ok)
			fail_msg("%s: expected %s", cases[i].name, cases[i].ok ? "valid" : "invalid");
}

static void test_append_and_replace(void **state)
{
	struct hosts_entry e[2] = { entry("fc94::1", "alpha"), entry("fc94:aa::2", "beta") };
	const char *base = "127.0.0.1 localhost\n::1 ip6-localhost\n";
	const char *noeol = "127.0.0.1 localhost";
	char first[4096];

	(void)state;
	/* appended to a file without the block */
	assert_string_equal(rewrite(base, e, 2),
			    "127.0.0.1 localhost\n::1 ip6-localhost\n" B "fc94::1 alpha\n"
			    "fc94:aa::2 beta\n" E);
	/* a last line without a newline gets one, and nothing else changes */
	assert_string_equal(rewrite(noeol, e, 1), "127.0.0.1 localhost\n" B "fc94::1 alpha\n" E);
	/* an empty file */
	assert_string_equal(rewrite("", e, 1), B "fc94::1 alpha\n" E);
	/* replaced in the middle: the lines after it stay, byte for byte */
	strcpy(first, "# head\n" B "fc94::9 old\n" E "10.0.0.1 after\t# tab kept\r\n");
	assert_string_equal(rewrite(first, e + 1, 1),
			    "# head\n" B "fc94:aa::2 beta\n" E "10.0.0.1 after\t# tab kept\r\n");
	/* at the very end without a final newline after END */
	assert_string_equal(rewrite("x\n" B "fc94::9 old\n" HOSTS_END, e, 1),
			    "x\n" B "fc94::1 alpha\n" E);
	/* a rewrite of its own output changes nothing */
	strcpy(first, rewrite(base, e, 2));
	assert_string_equal(rewrite(first, e, 2), first);
}

static void test_remove(void **state)
{
	(void)state;
	assert_string_equal(rewrite("a\n" B "fc94::1 alpha\n" E "b\n", NULL, 0), "a\nb\n");
	assert_string_equal(rewrite("a\nb\n", NULL, 0), "a\nb\n");
	assert_string_equal(rewrite(B E, NULL, 0), "");
}

static void test_malformed_markers(void **state)
{
	static const char *const bad[] = {
		B "fc94::1 a\n",               /* no END */
		E "x\n",                       /* END alone */
		E B,                           /* END before BEGIN */
		B E B E,                       /* twice */
		B B E,                         /* BEGIN twice */
	};
	struct hosts_entry e = entry("fc94::1", "alpha");
	char out[512];
	const char *why;
	struct hosts_span span;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		assert_int_equal(hosts_rewrite(bad[i], strlen(bad[i]), &e, 1, out, sizeof(out), &why),
				 0);
		assert_non_null(why);
		assert_false(hosts_find(bad[i], strlen(bad[i]), &span, &why));
	}
	/* a NUL byte: refused, not truncated */
	assert_false(hosts_find("a\0b\n", 4, &span, &why));
	/* a marker with trailing text is not a marker: the file is left alone */
	assert_true(hosts_find(HOSTS_BEGIN " x\n", strlen(HOSTS_BEGIN " x\n"), &span, &why));
	assert_false(span.found);
	/* too small an output buffer: 0, never a cut file */
	why = NULL;
	assert_int_equal(hosts_rewrite("a\n", 2, &e, 1, out, 10, &why), 0);
	assert_non_null(why);
}

static void test_read(void **state)
{
	const char *text = "127.0.0.1 x\n" B "fc94::1 alpha\n\tfc94:aa::2   beta  \n" E;
	struct hosts_entry got[4];
	const char *why = NULL;
	size_t n, line;
	uint8_t want[16];

	(void)state;
	assert_true(hosts_read(text, strlen(text), got, 4, &n, &why, &line));
	assert_int_equal(n, 2);
	assert_string_equal(got[0].name, "alpha");
	assert_true(identity_address_parse("fc94:aa::2", 10, want));
	assert_memory_equal(got[1].addr, want, 16);
	assert_string_equal(got[1].name, "beta");
	/* no block: no entries */
	assert_true(hosts_read("a\n", 2, got, 4, &n, &why, &line));
	assert_int_equal(n, 0);
	/* a bad line names itself */
	text = "a\n" B "fc94::1 alpha\n10.0.0.1 v4\n" E;
	assert_false(hosts_read(text, strlen(text), got, 4, &n, &why, &line));
	assert_int_equal(line, 4);
	text = B "fc94::1 alpha extra\n" E;
	assert_false(hosts_read(text, strlen(text), got, 4, &n, &why, &line));
	text = B "fc94::1\n" E;
	assert_false(hosts_read(text, strlen(text), got, 4, &n, &why, &line));
	text = B "fc94::1 Alpha\n" E; /* names are lowercase */
	assert_false(hosts_read(text, strlen(text), got, 4, &n, &why, &line));
	/* more entries than the caller's room */
	text = B "fc94::1 a\nfc94::2 b\n" E;
	assert_false(hosts_read(text, strlen(text), got, 1, &n, &why, &line));
}

/* Manual entries first and in order; a peer's name only when not taken. */
static void test_merge(void **state)
{
	const struct hosts_entry manual[] = {
		entry("fc94::1", "printer"),
		entry("fc94::2", "nas"),
	};
	const struct hosts_entry peers[] = {
		entry("fc94::9", "robot-1"),
		entry("fc94::8", "printer"), /* taken by a manual entry */
		entry("fc94::2", "nas"),     /* the same line as a manual one */
		entry("fc94::7", "robot-1"), /* taken by an earlier peer */
		entry("fc94::1", "office"),  /* a second name for an address: kept */
	};
	struct hosts_entry out[8];
	bool from_peer[8];
	size_t n;

	(void)state;
	n = hosts_merge(manual, 2, peers, 5, out, from_peer, 8);
	assert_int_equal(n, 4);
	assert_string_equal(out[0].name, "printer");
	assert_false(from_peer[0]);
	assert_string_equal(out[1].name, "nas");
	assert_false(from_peer[1]);
	assert_string_equal(out[2].name, "robot-1");
	assert_memory_equal(out[2].addr, peers[0].addr, 16);
	assert_true(from_peer[2]);
	assert_string_equal(out[3].name, "office");
	assert_true(from_peer[3]);
	/* cap bounds the output; no from_peer needed */
	assert_int_equal(hosts_merge(manual, 2, peers, 5, out, NULL, 3), 3);
	assert_int_equal(hosts_merge(NULL, 0, NULL, 0, out, from_peer, 8), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_append_and_replace),
		cmocka_unit_test(test_remove),
		cmocka_unit_test(test_malformed_markers),
		cmocka_unit_test(test_read),
		cmocka_unit_test(test_merge),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
