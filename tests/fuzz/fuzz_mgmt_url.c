/*
 * The management URL (core/mgmt/url.c) on arbitrary bytes.
 *
 * Invariants:
 *  - a refused URL leaves the struct zeroed;
 *  - an accepted one has a host that mesh_host_problem accepts, an IPv6
 *    flag that says whether it is an IPv6 literal, a port 1..65535, and a
 *    path of printable ASCII starting with '/', at most 2048 bytes, that
 *    an HTTP request may carry as is;
 *  - "http://" + its Host header + its path parses to the same struct
 *    (what the device sends names what the operator gave).
 */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "common.h"
#include "core/mgmt/url.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char again[8 + 300 + MGMT_REQ_TARGET_MAX + 1];
	struct mgmt_url u, back;
	char hh[300];
	int n;

	if (mgmt_url_parse((const char *)data, size, &u)) {
		FUZZ_CHECK(sodium_is_zero((const unsigned char *)&u, sizeof(u)),
			   "refused, not zeroed");
		return 0;
	}
	FUZZ_CHECK(mesh_host_problem(u.host, strlen(u.host)) == NULL, "host %s", u.host);
	FUZZ_CHECK(u.ipv6 == (strchr(u.host, ':') != NULL), "ipv6 flag for %s", u.host);
	FUZZ_CHECK(u.port >= 1, "port 0");
	FUZZ_CHECK(u.path[0] == '/' && strlen(u.path) <= MGMT_REQ_TARGET_MAX, "path %s", u.path);
	for (const char *p = u.path; *p; p++)
		FUZZ_CHECK(*p > 0x20 && *p < 0x7f && *p != '#', "path byte %02x", (unsigned)*p);
	mgmt_url_host_header(&u, hh, sizeof(hh));
	n = snprintf(again, sizeof(again), "http://%s%s", hh, u.path);
	FUZZ_CHECK(n > 0 && (size_t)n < sizeof(again), "rebuilt URL too long");
	FUZZ_CHECK(mgmt_url_parse(again, (size_t)n, &back) == NULL &&
			   memcmp(&u, &back, sizeof(u)) == 0,
		   "rebuilt URL %s differs", again);
	return 0;
}
