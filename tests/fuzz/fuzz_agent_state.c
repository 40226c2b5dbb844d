/*
 * agent.status (agent/agentstate.c: what the agent publishes, what
 * `subnetra agent status`, join and leave read) on arbitrary bytes.
 *
 * Invariants:
 *  - a text is taken only when its first line is "subnetra-agent 1";
 *  - what was taken renders to a file that parses back to the same state
 *    (rendered again, the same text: the reader and the writer agree,
 *    nothing is lost or made up), whose
 *    JSON form (`agent status --json`) is one valid JSON object and whose
 *    text form fits.
 */
#include <stdlib.h>
#include <string.h>

#include "agent/agentstate.h"
#include "common.h"
#include "core/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char head[] = "subnetra-agent 1";
	static struct agent_state s, back;
	static char text[AGENT_STATE_MAX], again[AGENT_STATE_MAX], json[AGENT_STATE_MAX * 2];
	struct json_value root;
	struct json_error err;
	size_t n, m;

	if (!agent_state_parse((const char *)data, size, &s))
		return 0;
	FUZZ_CHECK(size >= sizeof(head) - 1 && memcmp(data, head, sizeof(head) - 1) == 0 &&
			   (size == sizeof(head) - 1 || data[sizeof(head) - 1] == '\n'),
		   "taken without its header line");
	n = agent_state_render(&s, text, sizeof(text));
	FUZZ_CHECK(n > 0, "a parsed state does not render");
	FUZZ_CHECK(agent_state_parse(text, n, &back), "own rendering refused");
	/* the same text again (the structs may differ past a string's NUL: a key given twice) */
	m = agent_state_render(&back, again, sizeof(again));
	FUZZ_CHECK(m == n && memcmp(text, again, n) == 0,
		   "render/parse changed the state:\n%.*s\n-- rendered again:\n%.*s", (int)n, text,
		   (int)m, again);
	n = agent_state_json(&s, json, sizeof(json));
	FUZZ_CHECK(n > 0, "the JSON form does not fit");
	FUZZ_CHECK(json_parse(json, n, JSON_PLAIN_KEYS, &root, &err) && root.type == JSON_OBJECT,
		   "the JSON form is not a JSON object: %s at %zu: %.*s", err.what, err.offset,
		   (int)n, json);
	json_free(&root);
	FUZZ_CHECK(agent_state_text(&s, json, sizeof(json)) > 0, "the text form does not fit");
	return 0;
}
