/*
 * The agent's request files (agent/agentstate.c: agent.join, agent.leave,
 * agent.url in state_dir, written by join, leave and setup-server) on
 * arbitrary bytes, each parser on the same input.
 *
 * Invariants:
 *  - a request taken has NUL-terminated fields without LF and a nonzero
 *    id, formats again and parses back to the same request;
 *  - one refused is zeroed but for the id of its id line (join).
 */
#include <string.h>

#include "agent/agentstate.h"
#include "common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *t = (const char *)data;
	struct agent_join_req r, back, zero;
	char text[AGENT_REQ_MAX * 2], url[MGMT_URL_MAX + 1], url2[MGMT_URL_MAX + 1];
	uint64_t id, id2;
	size_t n;

	if (agent_join_req_parse(t, size, &r)) {
		FUZZ_CHECK(r.id != 0, "id 0 taken");
		FUZZ_CHECK(memchr(r.code, '\0', sizeof(r.code)) && !strchr(r.code, '\n') &&
				   memchr(r.hostname, '\0', sizeof(r.hostname)) &&
				   !strchr(r.hostname, '\n'),
			   "a field unterminated or with a LF");
		n = agent_join_req_format(&r, text, sizeof(text));
		FUZZ_CHECK(n > 0 && agent_join_req_parse(text, n, &back) &&
				   memcmp(&r, &back, sizeof(r)) == 0,
			   "a join request does not round-trip");
	} else {
		memset(&zero, 0, sizeof(zero));
		zero.id = r.id;
		FUZZ_CHECK(memcmp(&r, &zero, sizeof(r)) == 0, "refused, not wiped");
	}
	if (agent_leave_req_parse(t, size, &id)) {
		n = agent_leave_req_format(id, text, sizeof(text));
		FUZZ_CHECK(id != 0 && n > 0 && agent_leave_req_parse(text, n, &id2) && id2 == id,
			   "a leave request does not round-trip");
	}
	if (agent_url_req_parse(t, size, url)) {
		FUZZ_CHECK(url[0] != '\0' && !strchr(url, '\n'), "an empty URL or one with a LF");
		n = agent_url_req_format(url, text, sizeof(text));
		FUZZ_CHECK(n > 0 && agent_url_req_parse(text, n, url2) && strcmp(url, url2) == 0,
			   "a URL request does not round-trip");
	} else {
		FUZZ_CHECK(url[0] == '\0', "refused URL left set");
	}
	return 0;
}
