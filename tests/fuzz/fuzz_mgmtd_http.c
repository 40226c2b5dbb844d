/*
 * The management server's request-side parsers that take no connection, on
 * arbitrary bytes: route patterns (src/mgmt/http.c), the events cursor
 * (src/mgmt/watch.c) and the base server spelling of the settings
 * (src/mgmt/settings.c).
 *
 * Invariants:
 *  - a path that matches a pattern is the pattern with each "{name}"
 *    replaced by its parameter, and every parameter is non-empty and holds
 *    no '/';
 *  - a cursor that parses formats back to exactly the input;
 *  - a base server that parses, written back as HOST:UDP:TCP:HEX, parses
 *    to the same entry.
 */
#include <string.h>

#include "common.h"
#include "core/mgmt/text.h"
#include "mgmt/http.h"
#include "mgmt/settings.h"
#include "mgmt/watch.h"

enum { IN_MAX = 1024 };

static const char *const patterns[] = {
    "/healthz",
    "/api/v1/networks/{id}",
    "/api/v1/networks/{id}/devices/{address}",
    "/a/{b}/c/{d}/e/{f}/g/{h}",
};

static void check_route(const char *in)
{
	for (size_t p = 0; p < sizeof patterns / sizeof patterns[0]; p++) {
		char path[IN_MAX + 1], back[2 * IN_MAX + 64];
		const char *param[HTTP_PARAMS_MAX];
		const char *pp = patterns[p];
		size_t n = 0, o = 0, k = 0;

		memcpy(path, in, strlen(in) + 1);
		if (!http_route_match(pp, path, param, &n))
			continue;
		/* Rebuild the path from the pattern and the parameters. */
		while (*pp != '\0') {
			if (*pp == '{') {
				FUZZ_CHECK(k < n, "fewer parameters than the pattern has");
				FUZZ_CHECK(param[k][0] != '\0' && strchr(param[k], '/') == NULL,
					   "parameter %zu empty or with a '/'", k);
				o += (size_t)snprintf(back + o, sizeof back - o, "%s", param[k++]);
				pp = strchr(pp, '}') + 1;
				continue;
			}
			back[o++] = *pp++;
		}
		back[o] = '\0';
		FUZZ_CHECK(k == n, "more parameters than the pattern has");
		FUZZ_CHECK(strcmp(back, in) == 0, "rebuilt path differs: %s", back);
	}
}

static void check_cursor(const char *in)
{
	struct watch_cursor c;
	char back[64];

	if (!watch_parse(in, &c))
		return;
	watch_format(&c, back, sizeof back);
	FUZZ_CHECK(strcmp(back, in) == 0, "cursor formats back differently: %s", back);
}

static void check_base(const char *in)
{
	struct mgmt_base_server b, b2;
	char why[SETTINGS_WHY_MAX], hex[2 * MGMT_PK_LEN + 1], spec[512];

	if (settings_base_parse(in, &b, why, sizeof why) != 0)
		return;
	mgmt_hex_encode(hex, b.public_key, MGMT_PK_LEN);
	snprintf(spec, sizeof spec, "%s:%u:%u:%s", b.host, b.udp_port, b.tcp_port, hex);
	FUZZ_CHECK(settings_base_parse(spec, &b2, why, sizeof why) == 0, "own spelling refused");
	FUZZ_CHECK(memcmp(&b, &b2, sizeof b) == 0, "own spelling parses differently");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char in[IN_MAX + 1];

	if (size > IN_MAX || memchr(data, '\0', size) != NULL)
		return 0;
	memcpy(in, data, size);
	in[size] = '\0';
	check_route(in);
	check_cursor(in);
	check_base(in);
	return 0;
}
