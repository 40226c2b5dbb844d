/*
 * Status rendering: the exact text layout of interface reference §2, the JSON
 * of §3 parsed back with json-c (key order, types, age/online rules), the
 * counter list generated from COUNTERS_LIST, escaping, and bounded output.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "core/bounds.h"
#include "core/status.h"

#define NS  1000000000ull
#define NOW (1700000000ull * NS)

static const char *const counter_names[] = {
#define NAME(n) #n,
    COUNTERS_LIST(NAME)
#undef NAME
};

_Static_assert(sizeof(counter_names) / sizeof(counter_names[0]) == N_COUNTERS,
	       "one expected name per counter");

/* Counter i (in list order) holds 100 + i, so every value is distinct. */
static struct counters numbered_counters(void)
{
	struct counters c;
	uint64_t i = 100;

#define SET(n) c.n = i++;
	COUNTERS_LIST(SET)
#undef SET
	return c;
}

static struct endpoint4 ep_of(const char *s)
{
	struct endpoint4 e;

	assert_int_equal(endpoint_parse(&e, s, strlen(s)), ADDR_OK);
	return e;
}

static struct cidr cidr_of(const char *s)
{
	struct cidr c;

	assert_int_equal(cidr_parse(&c, s, strlen(s)), ADDR_OK);
	return c;
}

static const uint16_t one_port[] = {18020};
static const uint16_t three_ports[] = {18020, 18021, 18022};

struct fixture {
	struct counters counters;
	struct status_peer peers[4];
	struct status_view view;
};

/* The Observability example: a hub with two spokes. */
static void fixture_init(struct fixture *f, const char *name2, const char *name3)
{
	memset(f, 0, sizeof(*f));
	f->counters = numbered_counters();
	f->peers[0] = (struct status_peer){.id = 2,
					   .name = name2,
					   .endpoint = ep_of("203.0.113.2:18020"),
					   .allowed_src = cidr_of("10.0.0.2/32"),
					   .last_seen_wall_ns = 0};
	f->peers[1] = (struct status_peer){.id = 3,
					   .name = name3,
					   .endpoint = ep_of("203.0.113.3:18020"),
					   .allowed_src = cidr_of("10.0.0.3/32"),
					   .last_seen_wall_ns = NOW - 5 * NS - 1};
	f->view = (struct status_view){.version = "0.1.0",
				       .mode = "raw_direct",
				       .local_id = 1,
				       .listen_port = 18020,
				       .listen_ports = one_port,
				       .n_listen_ports = 1,
				       .tun = "snr0",
				       .n_peers = 2,
				       .peers = f->peers,
				       .counters = &f->counters,
				       .now_wall_ns = NOW};
}

/* clang-format off */
static const char text_tail[] =
	"traffic:\n"
	"  tun_rx packets=100 bytes=101\n"
	"  udp_tx packets=102 bytes=103\n"
	"  udp_rx packets=104 bytes=105\n"
	"  tun_tx packets=106 bytes=107\n"
	"  relay  packets=108 bytes=109\n"
	"  endpoint_learned=110\n"
	"  keepalive rx=111 tx=112\n"
	"drops:\n"
	"  tun: not_ipv4=113 no_route=114 drop_rule=115 local_loop=116 unknown_target=117 "
	"oversized=118 egress_err=119 send_err=120\n"
	"  udp: unknown_peer=121 auth_or_invalid=122 not_ipv4=124 spoof=125 no_route=126 "
	"drop_rule=127 unknown_target=128 no_reflect=129 oversized=130 send_err=131\n";
/* clang-format on */

/*
 * Every counter has its place in the text layout, once; only
 * drop_udp_scan_budget has none (interface reference §2), so a new counter
 * cannot be left out of the text.
 */
static void test_text_layout_complete(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_COUNTERS; i++) {
		unsigned want = strcmp(counter_descs[i].name, "drop_udp_scan_budget") == 0 ? 0 : 1;
		unsigned got = status_text_shows(counter_descs[i].offset);

		if (got != want)
			fail_msg("%s is in the status text %u time(s), want %u", counter_descs[i].name,
				 got, want);
	}
}

static void test_text_without_names(void **state)
{
	static const char head[] =
	    "subnetra v0.1.0 [running]\n"
	    "mode=raw_direct local_id=1 udp_port=18020 udp_ports=18020 tun=snr0 peers=2\n"
	    "peers:\n"
	    "  id=2 endpoint=203.0.113.2:18020 allowed_src=10.0.0.2/32 "
	    "last_seen_wall_ns=0 online=no last_heard=never\n"
	    "  id=3 endpoint=203.0.113.3:18020 allowed_src=10.0.0.3/32 "
	    "last_seen_wall_ns=1699999994999999999 online=yes last_heard=\"5s ago\"\n";
	struct fixture f;
	char buf[4096], want[4096];
	size_t n;

	(void)state;
	fixture_init(&f, "", "");
	snprintf(want, sizeof(want), "%s%s", head, text_tail);
	n = status_render_text(&f.view, buf, sizeof(buf));
	assert_string_equal(buf, want);
	assert_int_equal(n, strlen(want));

	/* a NULL name is the same as "" */
	f.peers[0].name = NULL;
	f.peers[1].name = NULL;
	assert_int_equal(status_render_text(&f.view, buf, sizeof(buf)), strlen(want));
	assert_string_equal(buf, want);
}

static void test_text_with_names(void **state)
{
	static const char head[] =
	    "subnetra v0.1.0 [running]\n"
	    "mode=raw_direct local_id=1 udp_port=18020 udp_ports=18020 tun=snr0 peers=2\n"
	    "peers:\n"
	    "  id=2 name=bj-office-gw endpoint=203.0.113.2:18020 allowed_src=10.0.0.2/32 "
	    "last_seen_wall_ns=0 online=no last_heard=never\n"
	    "  id=3 name=\"Beijing \\\"east\\\" \\\\ gw\" endpoint=203.0.113.3:18020 "
	    "allowed_src=10.0.0.3/32 "
	    "last_seen_wall_ns=1699999994999999999 online=yes last_heard=\"5s ago\"\n";
	struct fixture f;
	char buf[4096], want[4096];

	(void)state;
	fixture_init(&f, "bj-office-gw", "Beijing \"east\" \\ gw");
	snprintf(want, sizeof(want), "%s%s", head, text_tail);
	assert_int_equal(status_render_text(&f.view, buf, sizeof(buf)), strlen(want));
	assert_string_equal(buf, want);
}

static void test_text_no_peers(void **state)
{
	static const char head[] =
	    "subnetra v0.1.0 [running]\n"
	    "mode=raw_direct local_id=7 udp_port=51820 udp_ports=51820,18021,18022 tun=snr9 "
	    "peers=0\n"
	    "peers:\n";
	struct fixture f;
	char buf[4096], want[4096];

	(void)state;
	fixture_init(&f, "", "");
	f.view.n_peers = 0;
	f.view.local_id = 7;
	f.view.listen_port = 51820;
	f.view.listen_ports = (const uint16_t[]){51820, 18021, 18022};
	f.view.n_listen_ports = 3;
	f.view.tun = "snr9";
	snprintf(want, sizeof(want), "%s%s", head, text_tail);
	assert_int_equal(status_render_text(&f.view, buf, sizeof(buf)), strlen(want));
	assert_string_equal(buf, want);
}

/* Every counter but the documented scan_budget exception shows up as key=value. */
static void test_text_shows_every_counter(void **state)
{
	struct fixture f;
	char buf[4096];

	(void)state;
	fixture_init(&f, "", "");
	assert_true(status_render_text(&f.view, buf, sizeof(buf)) > 0);
	for (size_t i = 0; i < N_COUNTERS; i++) {
		char tok[32];

		snprintf(tok, sizeof(tok), "=%zu", 100 + i);
		if (strcmp(counter_names[i], "drop_udp_scan_budget") == 0)
			assert_null(strstr(buf, tok));
		else if (strstr(buf, tok) == NULL)
			fail_msg("counter %s (%s) missing from the text view",
				 counter_names[i], tok);
	}
	assert_null(strstr(buf, "scan_budget"));
}

/* Names are printable ASCII by validation; anything else must not reach a terminal. */
static void test_text_sanitizes_names(void **state)
{
	struct fixture f;
	char buf[4096];

	(void)state;
	fixture_init(&f, "evil\x1b[2Jname\n", "");
	assert_true(status_render_text(&f.view, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, " name=evil?[2Jname? endpoint="));
	assert_null(strchr(buf, '\x1b'));
}

/* ---- JSON ---------------------------------------------------------------- */

static struct json_object *render_and_parse(const struct status_view *v, char *buf,
					    size_t cap)
{
	size_t n = status_render_json(v, buf, cap);
	struct json_object *root;

	assert_true(n > 0);
	assert_int_equal(strlen(buf), n);
	assert_int_equal(buf[n - 1], '}'); /* compact, no trailing newline */
	assert_null(strchr(buf, '\n'));
	assert_null(strchr(buf, ' '));
	root = json_tokener_parse(buf);
	if (root == NULL)
		fail_msg("not valid JSON: %s", buf);
	return root;
}

/* Object keys, in order, must be exactly `keys`. */
static void assert_keys(struct json_object *obj, const char *const *keys, size_t n)
{
	size_t i = 0;

	assert_true(json_object_is_type(obj, json_type_object));
	json_object_object_foreach(obj, key, val)
	{
		(void)val;
		assert_true(i < n);
		assert_string_equal(key, keys[i]);
		i++;
	}
	assert_int_equal(i, n);
}

static struct json_object *get(struct json_object *obj, const char *key,
			       enum json_type type)
{
	struct json_object *v = NULL;

	if (!json_object_object_get_ex(obj, key, &v))
		fail_msg("key %s missing", key);
	if (!json_object_is_type(v, type))
		fail_msg("key %s has type %s, want %s", key,
			 json_type_to_name(json_object_get_type(v)),
			 json_type_to_name(type));
	return v;
}

static const char *const top_keys[] = {"schema_version", "version", "mode",
				       "local_id",	 "listen_port", "listen_ports",
				       "tun",		 "peers",	"counters"};
static const char *const peer_keys[] = {"id",
					"name",
					"endpoint",
					"allowed_src",
					"last_seen_wall_ns",
					"last_seen_age_seconds",
					"online"};

static void test_json_layout(void **state)
{
	struct fixture f;
	char buf[8192];
	struct json_object *root, *peers, *p, *counters;
	size_t i = 0;

	(void)state;
	fixture_init(&f, "bj-office-gw", "");
	f.view.listen_ports = three_ports;
	f.view.n_listen_ports = 3;
	root = render_and_parse(&f.view, buf, sizeof(buf));
	assert_keys(root, top_keys, 9);
	assert_int_equal(json_object_get_int(get(root, "schema_version", json_type_int)),
			 1);
	assert_string_equal(
	    json_object_get_string(get(root, "version", json_type_string)), "0.1.0");
	assert_string_equal(json_object_get_string(get(root, "mode", json_type_string)),
			    "raw_direct");
	assert_int_equal(json_object_get_int(get(root, "local_id", json_type_int)), 1);
	assert_int_equal(json_object_get_int(get(root, "listen_port", json_type_int)),
			 18020);
	{
		struct json_object *ports = get(root, "listen_ports", json_type_array);

		assert_int_equal(json_object_array_length(ports), 3);
		for (size_t k = 0; k < 3; k++)
			assert_int_equal(json_object_get_int(json_object_array_get_idx(ports, k)),
					 three_ports[k]);
	}
	assert_string_equal(json_object_get_string(get(root, "tun", json_type_string)),
			    "snr0");

	peers = get(root, "peers", json_type_array);
	assert_int_equal(json_object_array_length(peers), 2);

	/* never seen: age null, offline */
	p = json_object_array_get_idx(peers, 0);
	assert_keys(p, peer_keys, 7);
	assert_int_equal(json_object_get_int(get(p, "id", json_type_int)), 2);
	assert_string_equal(json_object_get_string(get(p, "name", json_type_string)),
			    "bj-office-gw");
	assert_string_equal(json_object_get_string(get(p, "endpoint", json_type_string)),
			    "203.0.113.2:18020");
	assert_string_equal(
	    json_object_get_string(get(p, "allowed_src", json_type_string)),
	    "10.0.0.2/32");
	assert_int_equal(
	    json_object_get_int64(get(p, "last_seen_wall_ns", json_type_int)), 0);
	get(p, "last_seen_age_seconds", json_type_null);
	assert_false(json_object_get_boolean(get(p, "online", json_type_boolean)));

	/* seen 5.000000001 s ago: age 5 (whole seconds), online; unset name is "" */
	p = json_object_array_get_idx(peers, 1);
	assert_keys(p, peer_keys, 7);
	assert_string_equal(json_object_get_string(get(p, "name", json_type_string)), "");
	assert_int_equal(
	    json_object_get_uint64(get(p, "last_seen_wall_ns", json_type_int)),
	    NOW - 5 * NS - 1);
	assert_int_equal(
	    json_object_get_int64(get(p, "last_seen_age_seconds", json_type_int)), 5);
	assert_true(json_object_get_boolean(get(p, "online", json_type_boolean)));

	/* every counter, in COUNTERS_LIST order, with its value */
	counters = get(root, "counters", json_type_object);
	assert_keys(counters, counter_names, N_COUNTERS);
	json_object_object_foreach(counters, key, val)
	{
		(void)key;
		assert_true(json_object_is_type(val, json_type_int));
		assert_int_equal(json_object_get_uint64(val), 100 + i);
		i++;
	}
	json_object_put(root);
}

/* The exact bytes for a small view: compact, no trailing newline. */
static void test_json_exact(void **state)
{
	struct counters c;
	struct status_peer peer = {.id = 2,
				   .name = "",
				   .endpoint = ep_of("203.0.113.7:51822"),
				   .allowed_src = cidr_of("10.66.0.2/32"),
				   .last_seen_wall_ns = NOW - 3 * NS};
	struct status_view v = {.version = "0.1.0",
				.mode = "raw_direct",
				.local_id = 1,
				.listen_port = 18020,
				.listen_ports = one_port,
				.n_listen_ports = 1,
				.tun = "snr0",
				.n_peers = 1,
				.peers = &peer,
				.counters = &c,
				.now_wall_ns = NOW};
	char buf[4096], want[4096];
	size_t n;

	(void)state;
	memset(&c, 0, sizeof(c));
	c.tun_rx_packets = 3;
	c.drop_udp_send_err = UINT64_MAX;
	n = (size_t)snprintf(
	    want, sizeof(want),
	    "{\"schema_version\":1,\"version\":\"0.1.0\",\"mode\":\"raw_direct\","
	    "\"local_id\":1,\"listen_port\":18020,\"listen_ports\":[18020],\"tun\":\"snr0\","
	    "\"peers\":["
	    "{\"id\":2,\"name\":\"\",\"endpoint\":\"203.0.113.7:51822\","
	    "\"allowed_src\":\"10.66.0.2/32\",\"last_seen_wall_ns\":%llu,"
	    "\"last_seen_age_seconds\":3,\"online\":true}],\"counters\":{",
	    (unsigned long long)(NOW - 3 * NS));
	for (size_t i = 0; i < N_COUNTERS; i++)
		n += (size_t)snprintf(want + n, sizeof(want) - n, "%s\"%s\":%s",
				      i ? "," : "", counter_names[i],
				      i == 0		    ? "3"
				      : i == N_COUNTERS - 1 ? "18446744073709551615"
							    : "0");
	snprintf(want + n, sizeof(want) - n, "}}");
	assert_int_equal(status_render_json(&v, buf, sizeof(buf)), strlen(want));
	assert_string_equal(buf, want);
}

struct age_case {
	uint64_t last_seen; /* 0 = never */
	uint64_t now;
	int64_t want_age; /* -1 = null */
	bool want_online;
};

/* clang-format off */
static const struct age_case age_cases[] = {
	{ 0, NOW, -1, false },
	{ NOW, NOW, 0, true },
	{ NOW - 1, NOW, 0, true },                 /* under a second rounds down */
	{ NOW - 90 * NS, NOW, 90, true },          /* the window is inclusive */
	{ NOW - 91 * NS + 1, NOW, 90, true },
	{ NOW - 91 * NS, NOW, 91, false },
	{ NOW - 3600 * NS, NOW, 3600, false },
	{ NOW + 30 * NS, NOW, 0, true },           /* clock went backwards: clamp */
	{ 1, UINT64_MAX, (int64_t)(UINT64_MAX / NS), false },
	{ 1, 0, 0, true },                         /* now unknown (0): clamps */
};
/* clang-format on */

static void test_json_age_and_online(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(age_cases) / sizeof(age_cases[0]); i++) {
		const struct age_case *tc = &age_cases[i];
		struct fixture f;
		char buf[8192];
		struct json_object *root, *p, *age;

		fixture_init(&f, "", "");
		f.view.n_peers = 1;
		f.peers[0].last_seen_wall_ns = tc->last_seen;
		f.view.now_wall_ns = tc->now;
		root = render_and_parse(&f.view, buf, sizeof(buf));
		p = json_object_array_get_idx(get(root, "peers", json_type_array), 0);
		if (tc->want_age < 0) {
			get(p, "last_seen_age_seconds", json_type_null);
		} else {
			age = get(p, "last_seen_age_seconds", json_type_int);
			if (json_object_get_int64(age) != tc->want_age)
				fail_msg("case %zu: age %lld, want %lld", i,
					 (long long)json_object_get_int64(age),
					 (long long)tc->want_age);
		}
		if (json_object_get_boolean(get(p, "online", json_type_boolean)) !=
		    tc->want_online)
			fail_msg("case %zu: online != %d", i, tc->want_online);
		json_object_put(root);
	}
}

static void test_json_escaping(void **state)
{
	struct fixture f;
	char buf[8192];
	struct json_object *root, *p;

	(void)state;
	fixture_init(&f, "a\"b\\c", "tab\there\x01\x7f");
	root = render_and_parse(&f.view, buf, sizeof(buf));
	assert_non_null(strstr(buf, "\"name\":\"a\\\"b\\\\c\""));
	assert_non_null(strstr(buf, "\"name\":\"tab\\u0009here\\u0001\\u007f\""));
	p = json_object_array_get_idx(get(root, "peers", json_type_array), 0);
	assert_string_equal(json_object_get_string(get(p, "name", json_type_string)),
			    "a\"b\\c");
	p = json_object_array_get_idx(get(root, "peers", json_type_array), 1);
	assert_string_equal(json_object_get_string(get(p, "name", json_type_string)),
			    "tab\there\x01\x7f");
	json_object_put(root);

	/* version/mode/tun go through the same escaping */
	f.view.tun = "we\"ird";
	root = render_and_parse(&f.view, buf, sizeof(buf));
	assert_string_equal(json_object_get_string(get(root, "tun", json_type_string)),
			    "we\"ird");
	json_object_put(root);
}

/*
 * MAX_PEERS peers with a 48-byte name of nothing but quotes (the worst escape
 * a valid name can need), the longest fields and every counter at its
 * maximum: both renderings fit STATUS_REPLY_MAX, the bound the daemon's
 * reply buffer and the CLI's receive buffer are sized from.
 */
static void test_json_many_peers_fit(void **state)
{
	static struct status_peer peers[MAX_PEERS];
	char name[PEER_NAME_MAX + 1];
	struct fixture f;
	static char buf[STATUS_REPLY_MAX];
	struct json_object *root;

	(void)state;
	memset(name, '"', PEER_NAME_MAX);
	name[PEER_NAME_MAX] = '\0';
	fixture_init(&f, "", "");
	memset(&f.counters, 0xff, sizeof(f.counters));
	f.view.local_id = UINT32_MAX;
	f.view.listen_port = 65535;
	f.view.listen_ports =
	    (const uint16_t[MAX_LISTEN_PORTS]){65535, 65535, 65535, 65535, 65535, 65535, 65535, 65535};
	f.view.n_listen_ports = MAX_LISTEN_PORTS;
	f.view.tun = "\"\"\"\"\"\"\"\"\"\"\"\"\"\"\""; /* 15 bytes, each escaped */
	for (size_t i = 0; i < MAX_PEERS; i++) {
		peers[i] = f.peers[1];
		peers[i].id = UINT32_MAX;
		peers[i].name = name;
		peers[i].endpoint = ep_of("255.255.255.255:65535");
		peers[i].allowed_src = cidr_of("255.255.255.255/32");
	}
	f.view.peers = peers;
	f.view.n_peers = MAX_PEERS;
	root = render_and_parse(&f.view, buf, sizeof(buf));
	assert_int_equal(json_object_array_length(get(root, "peers", json_type_array)),
			 MAX_PEERS);
	json_object_put(root);
	assert_true(status_render_text(&f.view, buf, sizeof(buf)) > 0);
}

/* Every cap below the needed size gives 0 and never writes at or past cap. */
static void test_too_small_buffer(void **state)
{
	size_t (*const render[2])(const struct status_view *, char *,
				  size_t) = {status_render_text, status_render_json};
	struct fixture f;

	(void)state;
	fixture_init(&f, "bj-office-gw", "x");
	for (int r = 0; r < 2; r++) {
		char full[8192];
		size_t need = render[r](&f.view, full, sizeof(full));

		assert_true(need > 0);
		for (size_t cap = 0; cap <= need + 1; cap++) {
			char *buf = malloc(cap + 16);
			size_t n;

			assert_non_null(buf);
			memset(buf, 'Z', cap + 16);
			n = render[r](&f.view, buf, cap);
			if (cap <= need) {
				assert_int_equal(n, 0);
				if (cap > 0)
					assert_int_equal(buf[0], '\0');
			} else {
				assert_int_equal(n, need);
				assert_string_equal(buf, full);
			}
			for (size_t k = cap; k < cap + 16; k++)
				assert_int_equal(buf[k], 'Z');
			free(buf);
		}
	}
}

/* The human age of the text view, at every unit boundary. */
static void test_age_format(void **state)
{
	static const struct {
		uint64_t secs;
		const char *want;
	} cases[] = {
	    {0, "0s"},		 {59, "59s"},	      {60, "1m00s"},	   {61, "1m01s"},
	    {3599, "59m59s"},	 {3600, "1h00m"},     {3661, "1h01m"},	   {86399, "23h59m"},
	    {86400, "1d00h"},	 {90000, "1d01h"},    {UINT64_C(86400) * 99998, "99998d00h"},
	    {UINT64_C(86400) * 99999, "99999d+"},     {UINT64_MAX, "99999d+"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char out[16];

		status_age_format(cases[i].secs, out);
		assert_string_equal(out, cases[i].want);
	}
}

static void test_rtt_format(void **state)
{
	static const struct {
		uint64_t ns;
		const char *want;
	} cases[] = {
	    {0, "0.00ms"},	    {4999, "0.00ms"},	   {5000, "0.01ms"},
	    {412000, "0.41ms"},	    {994999, "0.99ms"},	   {995000, "1.0ms"},
	    {12340000, "12.3ms"},   {99949999, "99.9ms"},  {99950000, "100ms"},
	    {1500000000, "1500ms"}, {UINT64_MAX, "9999999ms"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char out[16];

		status_rtt_format(cases[i].ns, out);
		assert_string_equal(out, cases[i].want);
	}
}

static void test_rtt_smooth(void **state)
{
	uint64_t s = 0;

	(void)state;
	assert_int_equal(status_rtt_smooth(0, 0), 1); /* known, however fast */
	s = status_rtt_smooth(s, 800000);
	assert_int_equal(s, 800000); /* the first sample as it is */
	s = status_rtt_smooth(s, 1600000);
	assert_int_equal(s, 900000); /* 7/8 old + 1/8 new */
	for (int i = 0; i < 200; i++)
		s = status_rtt_smooth(s, 400000);
	assert_in_range(s, 400000, 400010); /* converges on a steady sample */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_text_layout_complete),
	    cmocka_unit_test(test_text_without_names),
	    cmocka_unit_test(test_text_with_names),
	    cmocka_unit_test(test_text_no_peers),
	    cmocka_unit_test(test_text_shows_every_counter),
	    cmocka_unit_test(test_text_sanitizes_names),
	    cmocka_unit_test(test_json_layout),
	    cmocka_unit_test(test_json_exact),
	    cmocka_unit_test(test_json_age_and_online),
	    cmocka_unit_test(test_json_escaping),
	    cmocka_unit_test(test_json_many_peers_fit),
	    cmocka_unit_test(test_too_small_buffer),
	    cmocka_unit_test(test_age_format),
	    cmocka_unit_test(test_rtt_format),
	    cmocka_unit_test(test_rtt_smooth),
	};

	return cmocka_run_group_tests_name("status", tests, NULL, NULL);
}
