/*
 * The agent's status report (agent/report.c) from arbitrary bytes as the
 * daemon's `status --json` answer.
 *
 * Invariants:
 *  - the body is one JSON object (whatever the daemon said, or if it said
 *    nothing parseable), with "applied", "agent", "endpoints" (an array of
 *    at most 16 strings) and "peers" (an array of objects with an address);
 *  - into a buffer too small it gives 0 and writes nothing past its end
 *    (the buffers are malloc'd to their exact size: ASan sees a byte over).
 */
#include <stdlib.h>
#include <string.h>

#include "agent/report.h"
#include "common.h"
#include "core/json.h"

enum { OUT_MAX = 1 << 16 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *applied = size % 2 ? "1.1796594455700" : NULL;
	char *out = malloc(OUT_MAX), *small;
	struct json_value root;
	struct json_error err;
	const struct json_value *v;
	size_t n, m;

	if (out == NULL)
		return 0;
	n = agent_report_build((const char *)data, size, applied, out, OUT_MAX);
	if (n > 0) {
		FUZZ_CHECK(n < OUT_MAX, "no room for the NUL");
		FUZZ_CHECK(json_parse(out, n, JSON_PLAIN_KEYS, &root, &err),
			   "the report is not JSON: %s at %zu: %.*s", err.what, err.offset, (int)n,
			   out);
		FUZZ_CHECK(root.type == JSON_OBJECT, "not an object");
		v = json_member_get(&root, "applied");
		FUZZ_CHECK(v != NULL && v->type == (applied ? JSON_STRING : JSON_NULL), "applied");
		v = json_member_get(&root, "agent");
		FUZZ_CHECK(v != NULL && v->type == JSON_STRING, "agent");
		v = json_member_get(&root, "endpoints");
		FUZZ_CHECK(v != NULL && v->type == JSON_ARRAY && v->u.array.n <= 16, "endpoints");
		for (size_t i = 0; i < v->u.array.n; i++)
			FUZZ_CHECK(v->u.array.items[i].type == JSON_STRING, "an endpoint");
		v = json_member_get(&root, "peers");
		FUZZ_CHECK(v != NULL && v->type == JSON_ARRAY, "peers");
		for (size_t i = 0; i < v->u.array.n; i++) {
			const struct json_value *a = json_member_get(&v->u.array.items[i], "address");

			FUZZ_CHECK(a != NULL && a->type == JSON_STRING, "a peer without address");
		}
		json_free(&root);
		/* one byte short: nothing (a report is whole or not sent) */
		small = malloc(n);
		if (small != NULL) {
			m = agent_report_build((const char *)data, size, applied, small, n);
			FUZZ_CHECK(m == 0, "a report cut to %zu bytes", m);
			free(small);
		}
	}
	free(out);
	return 0;
}
