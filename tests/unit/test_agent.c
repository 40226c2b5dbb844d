/*
 * The agent's pure parts (src/agent): the managed set built from a bundle
 * and written by the daemon's own formatter (and read back by its parser:
 * what the agent writes the daemon takes), the limits cut, agent.status
 * written and read back, its JSON, and a status report built from a
 * daemon's status JSON (each peer's path, whole-millisecond RTT, the
 * endpoints the bases observed).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "agent/agentstate.h"
#include "agent/managed.h"
#include "agent/report.h"
#include "core/json.h"
#include "core/mesh/identity.h"
#include "core/version.h"

static void addr(const char *s, uint8_t out[16])
{
	assert_true(identity_address_parse(s, strlen(s), out));
}

static void test_managed(void **state)
{
	static struct mgmt_bundle b;
	static struct managed m, back;
	static char text[AGENT_MANAGED_MAX];
	struct agent_servers s = {0};
	struct managed_error err;
	uint8_t a[16];
	size_t n;

	(void)state;
	addr("fc94::4d", a);
	assert_true(agent_servers_add(&s, a));
	assert_false(agent_servers_add(&s, a)); /* once */
	addr("fd00::1", a);
	assert_false(agent_servers_add(&s, a)); /* not an overlay address */

	/* no bundle: the server only, version 0.0 */
	assert_true(agent_managed_build(NULL, &s, &m));
	n = managed_format(&m, text, sizeof(text));
	assert_string_equal(text, "subnetra-managed 1\nversion 0.0\nserver fc94::4d\n");
	assert_int_equal(n, strlen(text));

	memset(&b, 0, sizeof(b));
	b.epoch = 1;
	b.serial = 1796585283000;
	b.n_peers = 3;
	addr("fc94::a", b.peers[0].address);
	strcpy(b.peers[0].names.hostname, "dev1");
	b.peers[0].names.n_aliases = 2;
	strcpy(b.peers[0].names.aliases[0], "master");
	strcpy(b.peers[0].names.aliases[1], "m");
	addr("fc94::b", b.peers[1].address); /* nameless */
	addr("fc94::4d", b.peers[2].address); /* the server, a member too */
	strcpy(b.peers[2].names.hostname, "mgmt");
	assert_true(agent_managed_build(&b, &s, &m));
	n = managed_format(&m, text, sizeof(text));
	assert_string_equal(text, "subnetra-managed 1\nversion 1.1796585283000\nserver fc94::4d\n"
				  "peer fc94::a dev1 master m\npeer fc94::b\npeer fc94::4d mgmt\n");
	/* the daemon takes it, as it is */
	assert_true(managed_parse(&back, text, n, &err));
	assert_int_equal(back.n_peers, 3);
	assert_int_equal(back.n_servers, 1);
	assert_int_equal(back.n_names, 4);

	/* more than the file takes: the first peers and names, the rest left out */
	b.n_peers = MANAGED_PEERS_MAX + 1;
	for (size_t i = 0; i < b.n_peers; i++) {
		memset(&b.peers[i], 0, sizeof(b.peers[i]));
		b.peers[i].address[0] = 0xfc;
		b.peers[i].address[1] = 0x94;
		b.peers[i].address[14] = (uint8_t)(i >> 8);
		b.peers[i].address[15] = (uint8_t)i;
		snprintf(b.peers[i].names.hostname, sizeof(b.peers[i].names.hostname), "d%zu", i);
		b.peers[i].names.n_aliases = i < 10 ? 1 : 0;
		snprintf(b.peers[i].names.aliases[0], sizeof(b.peers[i].names.aliases[0]), "x%zu", i);
	}
	assert_false(agent_managed_build(&b, &s, &m));
	assert_int_equal(m.n_peers, MANAGED_PEERS_MAX);
	assert_int_equal(m.n_names, MANAGED_NAMES_MAX);
	n = managed_format(&m, text, sizeof(text));
	assert_true(n > 0);
	assert_true(managed_parse(&back, text, n, &err));
}

static void test_state(void **state)
{
	struct agent_state s, back;
	char text[AGENT_STATE_MAX], json[AGENT_STATE_MAX * 2];
	struct json_value root;
	struct json_error jerr;
	size_t n;

	(void)state;
	memset(&s, 0, sizeof(s));
	s.pid = 42;
	strcpy(s.url, "http://[fc94::4d]:8080/");
	strcpy(s.stage, "poll");
	strcpy(s.device, "fc94::a");
	s.joined = true;
	strcpy(s.hostname, "dev1");
	strcpy(s.instance_name, "Acme \"robots\"");
	strcpy(s.applied, "1.5");
	s.peers = 2;
	s.last_contact = 1796585290;
	agent_text_copy(s.last_error, sizeof(s.last_error), "bad\nline\x01", 9);
	assert_string_equal(s.last_error, "bad?line?");
	s.join.id = 17;
	strcpy(s.join.result, "error");
	strcpy(s.join.error, "join_code_used: the join code was refused (HTTP 403)");
	s.refused[MGMT_REF_STALE] = 3;
	s.refused[MGMT_REF_FOREIGN_INSTANCE] = 1;
	s.status_sent = 9;
	n = agent_state_render(&s, text, sizeof(text));
	assert_non_null(strstr(text, "\njoin_bundle - 0\njoin_daemon \n"));
	assert_true(agent_state_parse(text, n, &back));
	assert_string_equal(back.join.bundle, "");
	strcpy(s.join.bundle, "1.4");
	s.join.peers = 2;
	strcpy(s.join.daemon, "down: no answer on the control socket");

	n = agent_state_render(&s, text, sizeof(text));
	assert_true(n > 0);
	assert_true(agent_state_parse(text, n, &back));
	assert_int_equal(back.pid, 42);
	assert_string_equal(back.url, s.url);
	assert_string_equal(back.stage, "poll");
	assert_true(back.joined);
	assert_string_equal(back.instance_name, s.instance_name);
	assert_int_equal(back.last_contact, s.last_contact);
	assert_string_equal(back.last_error, "bad?line?");
	assert_int_equal(back.join.id, 17);
	assert_string_equal(back.join.result, "error");
	assert_string_equal(back.join.error, s.join.error);
	assert_string_equal(back.join.bundle, "1.4");
	assert_int_equal(back.join.peers, 2);
	assert_string_equal(back.join.daemon, s.join.daemon);
	assert_int_equal(back.refused[MGMT_REF_STALE], 3);
	assert_int_equal(back.refused[MGMT_REF_FOREIGN_INSTANCE], 1);
	assert_int_equal(back.refused[MGMT_REF_HTTP], 0);
	assert_int_equal(back.status_sent, 9);
	assert_false(agent_state_parse("subnetra-agent 2\n", 17, &back));
	/* the header exactly: not with a NUL, nor as the start of a longer line (fuzz_agent_state) */
	assert_false(agent_state_parse("subnetra-agent 1\0\npid 5\n", 24, &back));
	assert_false(agent_state_parse("subnetra-agent 10\n", 18, &back));
	assert_true(agent_state_parse("subnetra-agent 1", 16, &back));

	/* JSON: one valid object, the name escaped */
	n = agent_state_json(&s, json, sizeof(json));
	assert_true(n > 0);
	assert_true(json_parse(json, n, 0, &root, &jerr));
	assert_string_equal(json_member_get(&root, "instance_name")->u.string.bytes,
			    "Acme \"robots\"");
	assert_int_equal(json_member_get(json_member_get(&root, "refused"), "stale")
				 ->u.integer.magnitude,
			 3);
	assert_string_equal(json_member_get(json_member_get(&root, "join"), "daemon")
				    ->u.string.bytes,
			    s.join.daemon);
	json_free(&root);
	n = agent_state_text(&s, json, sizeof(json));
	assert_non_null(strstr(json, "stage: poll\n"));
	assert_non_null(strstr(json, "last join: error: join_code_used"));
	assert_non_null(strstr(json, "its first bundle: 1.4, 2 peers; daemon: down: "));
	assert_non_null(strstr(json, " stale=3 "));
}

static void test_report(void **state)
{
	static const char daemon[] =
	    "{\"schema_version\":1,\"version\":\"0.1.0\",\"mode\":\"mesh\",\"address\":\"fc94::a\","
	    "\"peers\":[{\"address\":\"fc94::b\",\"hostname\":\"dev2\",\"path\":\"direct\","
	    "\"endpoint\":\"203.0.113.32:5582\",\"last_handshake_age_s\":3,\"relayed_because\":null,"
	    "\"rtt_ms\":12.345,\"rx_bytes\":1184,\"tx_bytes\":1216},"
	    "{\"address\":\"fc94::c\",\"hostname\":null,\"path\":\"relay-tcp\",\"endpoint\":null,"
	    "\"last_handshake_age_s\":null,\"rtt_ms\":null,\"rx_bytes\":0,\"tx_bytes\":0},"
	    "{\"address\":\"fc94::d\",\"path\":\"relay-udp\",\"endpoint\":null,"
	    "\"last_handshake_age_s\":7,\"rtt_ms\":0.213,\"rx_bytes\":1,\"tx_bytes\":2}],"
	    "\"bases\":[{\"host\":\"203.0.113.10\",\"observed\":\"203.0.113.31:5582\"},"
	    "{\"host\":\"b2\",\"observed\":\"none\"}],\"counters\":{}}";
	char out[4096];
	size_t n;

	(void)state;
	n = agent_report_build(daemon, strlen(daemon), "1.5", out, sizeof(out));
	assert_int_equal(n, strlen(out));
	assert_string_equal(
	    out, "{\"applied\":\"1.5\",\"agent\":\"subnetra " SUBNETRA_VERSION "\","
		 "\"endpoints\":[\"203.0.113.31:5582\"],\"peers\":["
		 "{\"address\":\"fc94::b\",\"path\":\"direct\",\"rtt_ms\":12,\"last_handshake_s\":3,"
		 "\"rx\":1184,\"tx\":1216},"
		 "{\"address\":\"fc94::c\",\"path\":\"none\",\"rtt_ms\":null,\"last_handshake_s\":null,"
		 "\"rx\":0,\"tx\":0},"
		 "{\"address\":\"fc94::d\",\"path\":\"relay-udp\",\"rtt_ms\":0,\"last_handshake_s\":7,"
		 "\"rx\":1,\"tx\":2}]}");
	/* no daemon: alive, nothing to say about paths */
	n = agent_report_build(NULL, 0, NULL, out, sizeof(out));
	assert_string_equal(out, "{\"applied\":null,\"agent\":\"subnetra " SUBNETRA_VERSION
				 "\",\"endpoints\":[],\"peers\":[]}");
	/* not JSON: the same */
	n = agent_report_build("status unavailable", 18, NULL, out, sizeof(out));
	assert_non_null(strstr(out, "\"peers\":[]"));
	/* too small a buffer: nothing */
	assert_int_equal(agent_report_build(daemon, strlen(daemon), "1.5", out, 40), 0);
}

/* The request files: what join.c writes, agent.c reads; anything else refused. */
static void test_requests(void **state)
{
	struct agent_join_req r = {.id = 17}, back;
	char text[AGENT_REQ_MAX], url[MGMT_URL_MAX + 1], longer[MGMT_URL_MAX + 3];
	uint64_t id;
	size_t n;

	(void)state;
	memset(r.code, 'a', MGMT_JOINCODE_LEN);
	strcpy(r.hostname, "dev1");
	n = agent_join_req_format(&r, text, sizeof(text));
	assert_true(n == MGMT_JOINCODE_LEN + 9);
	assert_true(agent_join_req_parse(text, n, &back));
	assert_memory_equal(&r, &back, sizeof(r));
	r.hostname[0] = '\0'; /* no --hostname */
	n = agent_join_req_format(&r, text, sizeof(text));
	assert_true(agent_join_req_parse(text, n, &back));
	assert_string_equal(back.hostname, "");
	/* a line too long, a NUL, no last LF, a fourth line, a bad id: refused */
	assert_false(agent_join_req_parse("x\nh\n1", 5, &back));
	assert_false(agent_join_req_parse("x\nh\n1\n\n", 8, &back));
	assert_int_equal(back.id, 1); /* still answered */
	assert_false(agent_join_req_parse("x\nh\0\n2\n", 7, &back));
	assert_string_equal(back.code, "");
	assert_false(agent_join_req_parse("x\nh\n0\n", 6, &back));
	assert_false(agent_join_req_parse("x\nh\n18446744073709551616\n", 25, &back));
	assert_true(agent_join_req_parse("x\nh\n18446744073709551615\n", 25, &back));
	assert_true(back.id == UINT64_MAX);
	memset(text, 'c', MGMT_JOINCODE_LEN + 1);
	memcpy(text + MGMT_JOINCODE_LEN + 1, "\nh\n3\n", 6);
	assert_false(agent_join_req_parse(text, MGMT_JOINCODE_LEN + 7, &back));
	assert_int_equal(back.id, 3);

	n = agent_leave_req_format(42, text, sizeof(text));
	assert_true(agent_leave_req_parse(text, n, &id));
	assert_int_equal(id, 42);
	assert_false(agent_leave_req_parse("42", 2, &id));
	assert_false(agent_leave_req_parse("4x\n", 3, &id));
	assert_false(agent_leave_req_parse("", 0, &id));

	n = agent_url_req_format("http://[fc94::1]:8080/", text, sizeof(text));
	assert_true(agent_url_req_parse(text, n, url));
	assert_string_equal(url, "http://[fc94::1]:8080/");
	assert_false(agent_url_req_parse("\n", 1, url));
	memset(longer, 'u', sizeof(longer));
	longer[sizeof(longer) - 1] = '\n';
	assert_false(agent_url_req_parse(longer, sizeof(longer), url));
	assert_string_equal(url, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_managed),
		cmocka_unit_test(test_state),
		cmocka_unit_test(test_report),
		cmocka_unit_test(test_requests),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
