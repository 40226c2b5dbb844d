/*
 * The mesh mode file formats on arbitrary bytes: the whitelist file, the
 * managed file and the hosts file's managed block (core/mesh/whitelist.c,
 * managed.c, hostsblock.c).
 *
 * Invariants:
 *  - whitelist: a refusal has a line and a message and leaves the list
 *    empty and enforced; an accepted list is sorted, without repeats, all
 *    in fc94::/16, and its formatted file parses back to the same list and
 *    formats to the same text;
 *  - managed: a refusal has a line and a message and leaves the set
 *    empty; an accepted set's addresses are in fc94::/16, sorted and
 *    unique, each peer's names within the name table; its formatted file
 *    parses back to the same set and formats to the same text;
 *  - hosts: when the input's markers are well formed, rewriting it with
 *    the entries read from it (or none, when its block does not read) keeps
 *    every byte before and after the block; the output's block reads back
 *    as exactly those entries; rewriting the output again changes nothing.
 *    When they are malformed, the rewrite refuses with a reason.
 */
#include <string.h>

#include "common.h"
#include "core/mesh/hostsblock.h"
#include "core/mesh/managed.h"
#include "core/mesh/whitelist.h"

static struct whitelist wl, back;
static char text[WHITELIST_FILE_MAX], again[WHITELIST_FILE_MAX];

static void check_whitelist(const char *s, size_t n)
{
	struct whitelist_error err = { 0 };
	size_t len, len2;

	if (!whitelist_parse(&wl, s, n, &err)) {
		FUZZ_CHECK(err.line > 0 && err.msg != NULL, "refusal without line or message");
		FUZZ_CHECK(wl.enabled && wl.n == 0, "a refused list is not empty and enforced");
		return;
	}
	for (size_t i = 0; i < wl.n; i++) {
		FUZZ_CHECK(wl.addr[i][0] == 0xfc && wl.addr[i][1] == 0x94, "address outside fc94::/16");
		FUZZ_CHECK(i == 0 || memcmp(wl.addr[i - 1], wl.addr[i], 16) < 0,
			   "not sorted, or repeated");
	}
	len = whitelist_format(&wl, text, sizeof(text));
	FUZZ_CHECK(len > 0, "format failed");
	FUZZ_CHECK(whitelist_parse(&back, text, len, &err), "own file refused: line %u: %s",
		   err.line, err.msg);
	FUZZ_CHECK(back.enabled == wl.enabled && back.n == wl.n &&
			   memcmp(back.addr, wl.addr, wl.n * 16) == 0,
		   "round trip changed the list");
	len2 = whitelist_format(&back, again, sizeof(again));
	FUZZ_CHECK(len2 == len && memcmp(text, again, len) == 0, "file text not stable");
}

static struct managed set, set_back;
static char mtext[MANAGED_FILE_MAX], magain[MANAGED_FILE_MAX];

static void check_managed(const char *s, size_t n)
{
	struct managed_error err = {0};
	size_t len, len2;

	if (!managed_parse(&set, s, n, &err)) {
		FUZZ_CHECK(err.line > 0 && err.msg != NULL, "refusal without line or message");
		FUZZ_CHECK(set.n_peers + set.n_servers + set.n_names + set.n_addrs == 0,
			   "a refused set is not empty");
		return;
	}
	FUZZ_CHECK(set.n_addrs <= set.n_peers + set.n_servers, "more addresses than records");
	for (size_t i = 0; i < set.n_addrs; i++) {
		const uint8_t *a = set.addrs[i].addr;

		FUZZ_CHECK(a[0] == 0xfc && a[1] == 0x94, "address outside fc94::/16");
		FUZZ_CHECK(i == 0 || memcmp(set.addrs[i - 1].addr, a, 16) < 0,
			   "not sorted, or repeated");
		FUZZ_CHECK(set.addrs[i].server || set.addrs[i].peer >= 0, "an address of nothing");
	}
	for (size_t i = 0; i < set.n_peers; i++)
		FUZZ_CHECK((size_t)set.peer[i].first_name + set.peer[i].n_names <= set.n_names,
			   "peer %zu's names outside the table", i);
	len = managed_format(&set, mtext, sizeof(mtext));
	FUZZ_CHECK(len > 0, "format failed");
	FUZZ_CHECK(managed_parse(&set_back, mtext, len, &err), "own file refused: line %u: %s",
		   err.line, err.msg);
	FUZZ_CHECK(set_back.epoch == set.epoch && set_back.serial == set.serial &&
			   set_back.n_peers == set.n_peers && set_back.n_servers == set.n_servers &&
			   set_back.n_names == set.n_names && set_back.n_addrs == set.n_addrs,
		   "round trip changed the counts");
	for (size_t i = 0; i < set.n_addrs; i++)
		FUZZ_CHECK(memcmp(set_back.addrs[i].addr, set.addrs[i].addr, 16) == 0 &&
				   set_back.addrs[i].peer == set.addrs[i].peer &&
				   set_back.addrs[i].server == set.addrs[i].server,
			   "round trip changed address %zu", i);
	len2 = managed_format(&set_back, magain, sizeof(magain));
	FUZZ_CHECK(len2 == len && memcmp(mtext, magain, len) == 0, "file text not stable");
}

static struct hosts_entry entries[HOSTS_BLOCK_MAX], reread[HOSTS_BLOCK_MAX];
static char out[HOSTS_FILE_MAX + HOSTS_BLOCK_MAX * 128], out2[sizeof(out)];

static void check_hosts(const char *s, size_t n)
{
	struct hosts_span span, span2;
	const char *why = NULL;
	size_t ne = 0, nr = 0, line, len, len2, head, tail;

	if (!hosts_find(s, n, &span, &why)) {
		FUZZ_CHECK(why != NULL, "hosts_find refused without a reason");
		FUZZ_CHECK(hosts_rewrite(s, n, NULL, 0, out, sizeof(out), &why) == 0,
			   "a malformed file was rewritten");
		return;
	}
	if (!hosts_read(s, n, entries, HOSTS_BLOCK_MAX, &ne, &why, &line))
		ne = 0;
	len = hosts_rewrite(s, n, entries, ne, out, sizeof(out), &why);
	FUZZ_CHECK(len > 0 || (ne == 0 && (n == 0 || (span.found && span.begin == 0 &&
						     span.end == n))),
		   "rewrite refused a well-formed file: %s", why ? why : "");
	head = span.found ? span.begin : n;
	tail = span.found ? span.end : n;
	FUZZ_CHECK(len >= head && memcmp(out, s, head) == 0, "bytes before the block changed");
	FUZZ_CHECK(len >= n - tail && memcmp(out + len - (n - tail), s + tail, n - tail) == 0,
		   "bytes after the block changed");
	FUZZ_CHECK(hosts_find(out, len, &span2, &why), "own output has malformed markers");
	FUZZ_CHECK(span2.found == (ne > 0), "block present iff entries");
	FUZZ_CHECK(hosts_read(out, len, reread, HOSTS_BLOCK_MAX, &nr, &why, &line),
		   "own block does not read: line %zu: %s", line, why);
	FUZZ_CHECK(nr == ne, "read back %zu entries of %zu", nr, ne);
	for (size_t i = 0; i < ne; i++)
		FUZZ_CHECK(memcmp(reread[i].addr, entries[i].addr, 16) == 0 &&
				   strcmp(reread[i].name, entries[i].name) == 0,
			   "entry %zu changed", i);
	len2 = hosts_rewrite(out, len, entries, ne, out2, sizeof(out2), &why);
	FUZZ_CHECK(len2 == len && memcmp(out, out2, len) == 0, "second rewrite changed the file");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;

	if (size > HOSTS_FILE_MAX)
		return 0;
	check_whitelist(s, size);
	check_managed(s, size);
	check_hosts(s, size);
	return 0;
}
