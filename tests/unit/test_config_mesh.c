/*
 * "mode": "mesh" and "mode": "base" configs (config_mesh.c): every field
 * and its defaults, every error (name, path, file label, quoted value; no
 * key text in any message), the digest, the identity file as --check reads
 * it (os/linux/mesh_identity.c) and the exact network plan.  The last test
 * checks that every error name listed here was produced.  v1 configs are
 * test_config.c's: they must not notice any of this.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "core/config.h"
#include "core/config_mesh.h"
#include "core/mesh/identity.h"
#include "core/netplan.h"
#include "os/linux/mesh_identity.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define LABEL "mesh.json"

/* Identity keys (they pass the filter); NODE_PK is docs/mesh.md's example. */
#define BASE_PK1 "0b302dd49a6b8dbd0d3fd09e980b013a624d316ae52b5906e9435b3ace596e4b"
#define BASE_PK2 "40038e4db88cdb31649da74fe12592339168239520a4472192b4b39a7eb671aa"
#define NODE_PK "83eb10f4307a5e43c8cd14abedc94110b52d9e850734b66e4c972ef991785a1d"
#define NODE_ADDR "fc94:333b:ed9b:6bf6:9f66:b007:33db:ca2b"
#define NODE_SEED "bd0000005a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a"
#define BAD_PK "1111111111111111111111111111111111111111111111111111111111111111"
#define PSK "4478406b1ab6c49a71868963cb76f6c2f1c4d4541538cac8a8c28cfc23fb49a4"
#define PSK_ZERO "0000000000000000000000000000000000000000000000000000000000000000"

/* A join code (docs/management-protocol.md's example): secret, never quoted. */
#define CODE "snj_89144gj2_k6csk6csk6csk6csk6csk6csk6csk6cs_wt08yczvxj3sem92g15ckkpthr"
#define MGMT_URL "http://[fc94::4d]:8080/"

static const char *const secrets[] = { PSK, NODE_SEED, CODE, "k6csk6cs" };

#define BASE(host, key) "{\"host\":\"" host "\",\"public_key\":\"" key "\"}"
#define B1 BASE("base1.example.net", BASE_PK1)
#define B2 BASE("192.0.2.7", BASE_PK2)
/* a mesh node with one base; extra fields spliced in (start with ',') */
#define MESH(extra) "{\"mode\":\"mesh\",\"bases\":[" B1 "]" extra "}"
#define MESH_BASES(bases, extra) "{\"mode\":\"mesh\",\"bases\":[" bases "]" extra "}"
#define BASEMODE(extra) "{\"mode\":\"base\"" extra "}"

static const char *const all_names[] = {
	"InvalidMode", "UnknownField", "WrongType", "OutOfRange", "MissingField",
	"DuplicateField", "InvalidPath", "InvalidBaseHost", "InvalidBaseKey", "TooManyBases",
	"DuplicateBase", "InvalidAddress", "NotMeshAddress", "DuplicateWhitelistEntry",
	"TooManyWhitelistEntries", "InvalidHostname", "InvalidPsk", "MtuOutOfRange",
	"InvalidUser", "NoDiscovery", "RekeyIntervalOutOfRange", "MtuTooLargeForPath",
	"IdentityUnreadable", "InvalidIdentity", "SelfReference", "ProbePortIsUdpPort",
	"StateDirHoldsIdentity", "InvalidManagementUrl", "InvalidJoinCode",
};
static bool name_seen[ARRAY_LEN(all_names)];

static struct config cfg; /* large: off the stack */
static char case_desc[96];
static char tmpdir[64];

static void check_error(const struct config_error *e, const char *name, const char *path,
			const char *want_text)
{
	char msg[640];

	config_error_format(e, msg, sizeof(msg));
	if (e->name == NULL || strcmp(e->name, name) != 0)
		fail_msg("%s: want %s at \"%s\", got: %s", case_desc, name, path, msg);
	if (strcmp(e->path, path) != 0)
		fail_msg("%s: want path \"%s\", got: %s", case_desc, path, msg);
	if (strncmp(msg, LABEL ": ", strlen(LABEL) + 2) != 0)
		fail_msg("%s: message does not start with the file label: %s", case_desc, msg);
	if (want_text != NULL && strstr(msg, want_text) == NULL)
		fail_msg("%s: message lacks \"%s\": %s", case_desc, want_text, msg);
	for (size_t k = 0; k < ARRAY_LEN(secrets); k++) {
		for (size_t i = 0; i + 12 <= strlen(secrets[k]); i++) {
			char w[13];

			memcpy(w, secrets[k] + i, 12);
			w[12] = '\0';
			if (strstr(msg, w) != NULL)
				fail_msg("%s: secret text leaked: %s", case_desc, msg);
		}
	}
	for (size_t i = 0; i < ARRAY_LEN(all_names); i++) {
		if (strcmp(all_names[i], name) == 0)
			name_seen[i] = true;
	}
}

static void expect_error(const char *json, const char *name, const char *path,
			 const char *want_text)
{
	struct config_error e;
	int rc = config_parse(&cfg, LABEL, json, strlen(json), &e);

	if (rc == 0) {
		rc = config_validate(&cfg, LABEL, &e);
		if (rc == 0)
			fail_msg("%s: accepted, want %s: %s", case_desc, name, json);
	}
	assert_int_equal(rc, -1);
	check_error(&e, name, path, want_text);
	/* a failed parse or validation leaves nothing of the psk behind */
	if (cfg.mesh.has_psk)
		assert_true(sodium_is_zero(cfg.mesh.psk, sizeof(cfg.mesh.psk)) ||
			    strcmp(name, "InvalidPsk") != 0);
}

static void expect_ok(const char *json)
{
	struct config_error e;
	char msg[640];

	if (config_parse(&cfg, LABEL, json, strlen(json), &e) != 0 ||
	    config_validate(&cfg, LABEL, &e) != 0) {
		config_error_format(&e, msg, sizeof(msg));
		fail_msg("rejected: %s\n%s", msg, json);
	}
}

struct err_case {
	const char *json;
	const char *name;
	const char *path;
	const char *want_text;
};

static const struct err_case err_cases[] = {
	/* mode */
	{ "{\"mode\":\"v1\"}", "InvalidMode", "mode", "\"v1\": expected \"mesh\" or \"base\"" },
	{ "{\"mode\":\"Mesh\"}", "InvalidMode", "mode", "\"Mesh\"" },
	{ "{\"mode\":1}", "WrongType", "mode", "expected string, got integer 1" },
	{ "{\"mode\":null,\"local_id\":1}", "WrongType", "mode", "got null" },
	{ "{\"mode\":\"mesh\",\"mode\":\"base\"}", "DuplicateField", "mode", "appears twice" },
	/* v1 fields are unknown in mesh mode, mesh fields in the other mode */
	{ MESH(",\"peers\":[]"), "UnknownField", "peers", "\"peers\" in a mesh config" },
	{ MESH(",\"local_tun_mtu\":1400"), "UnknownField", "local_tun_mtu", "in a mesh config" },
	{ MESH(",\"udp_port\":1"), "UnknownField", "udp_port", "in a mesh config" },
	{ MESH(",\"tcp_port\":1"), "UnknownField", "tcp_port", "in a mesh config" },
	{ BASEMODE(",\"bases\":[]"), "UnknownField", "bases", "\"bases\" in a base config" },
	{ BASEMODE(",\"listen_port\":5582"), "UnknownField", "listen_port", "in a base config" },
	{ BASEMODE(",\"mtu\":1400"), "UnknownField", "mtu", "in a base config" },
	{ BASEMODE(",\"whitelist\":[]"), "UnknownField", "whitelist", "in a base config" },
	{ BASEMODE(",\"state_dir\":\"/var/lib/x\""), "UnknownField", "state_dir",
	  "in a base config" },
	{ "{\"role\":\"hub\",\"mode\":\"base\"}", "UnknownField", "role", "in a base config" },
	{ MESH_BASES("{\"host\":\"a\",\"public_key\":\"" BASE_PK1 "\",\"key\":1}", ""),
	  "UnknownField", "bases[0].key", "\"key\" in a base" },
	/* types */
	{ MESH(",\"listen_port\":\"5582\""), "WrongType", "listen_port", "\"5582\"" },
	{ MESH(",\"lan_discovery\":1"), "WrongType", "lan_discovery", "expected boolean" },
	{ MESH(",\"whitelist_enabled\":\"on\""), "WrongType", "whitelist_enabled", "\"on\"" },
	{ MESH(",\"whitelist\":\"fc94::1\""), "WrongType", "whitelist", "expected array" },
	{ MESH(",\"whitelist\":[1]"), "WrongType", "whitelist[0]", "expected string" },
	{ MESH(",\"hostname\":7"), "WrongType", "hostname", "expected string" },
	{ MESH(",\"mtu\":1400.0"), "WrongType", "mtu", "expected integer, got number 1400.0" },
	{ MESH(",\"identity_file\":[]"), "WrongType", "identity_file", "got array" },
	{ MESH(",\"state_dir\":null"), "WrongType", "state_dir", "expected string, got null" },
	{ MESH(",\"psk\":12"), "WrongType", "psk", "expected string, got integer" },
	{ MESH(",\"configure_interface\":\"no\""), "WrongType", "configure_interface", "\"no\"" },
	{ "{\"mode\":\"mesh\",\"bases\":{}}", "WrongType", "bases", "got object" },
	{ "{\"mode\":\"mesh\",\"bases\":[\"base1:5582\"]}", "WrongType", "bases[0]",
	  "expected object" },
	{ MESH_BASES("{\"host\":\"a\",\"udp_port\":\"1\",\"public_key\":\"" BASE_PK1 "\"}", ""),
	  "WrongType", "bases[0].udp_port", "\"1\"" },
	{ MESH_BASES("{\"host\":[],\"public_key\":\"" BASE_PK1 "\"}", ""), "WrongType",
	  "bases[0].host", "got array" },
	/* ranges */
	{ MESH(",\"listen_port\":0"), "OutOfRange", "listen_port", "0 is not a usable port" },
	{ MESH(",\"listen_port\":65536"), "OutOfRange", "listen_port", "1..65535" },
	{ BASEMODE(",\"udp_port\":-1"), "OutOfRange", "udp_port", "negative" },
	{ BASEMODE(",\"tcp_port\":70000"), "OutOfRange", "tcp_port", "70000" },
	{ MESH_BASES("{\"host\":\"a\",\"tcp_port\":0,\"public_key\":\"" BASE_PK1 "\"}", ""),
	  "OutOfRange", "bases[0].tcp_port", "0 is not a usable port" },
	{ BASEMODE(",\"probe_port\":70000"), "OutOfRange", "probe_port", "70000" },
	{ BASEMODE(",\"probe_port\":-1"), "OutOfRange", "probe_port", "negative" },
	{ BASEMODE(",\"probe_port\":\"5583\""), "WrongType", "probe_port", "\"5583\"" },
	{ BASEMODE(",\"probe_port\":5582"), "ProbePortIsUdpPort", "probe_port",
	  "5582 is also the UDP port; the NAT probe needs a second port (0: none)" },
	{ BASEMODE(",\"probe_port\":6000,\"udp_port\":6000"), "ProbePortIsUdpPort",
	  "probe_port", "6000 is also the UDP port" },
	{ MESH(",\"probe_port\":5583"), "UnknownField", "probe_port", "in a mesh config" },
	{ MESH_BASES("{\"host\":\"a\",\"udp_port\":6000,\"probe_port\":6000,"
		     "\"public_key\":\"" BASE_PK1 "\"}", ""),
	  "ProbePortIsUdpPort", "bases[0].probe_port", "6000 is also the UDP port" },
	{ MESH_BASES("{\"host\":\"a\",\"probe_port\":65536,\"public_key\":\"" BASE_PK1 "\"}",
		     ""),
	  "OutOfRange", "bases[0].probe_port", "65536" },
	{ MESH(",\"workers\":0"), "OutOfRange", "workers", "0 is out of range 1..16" },
	{ MESH(",\"mtu\":1401"), "MtuOutOfRange", "mtu",
	  "1401 is outside 1280..1400 (1280: the IPv6 minimum; 1400: a 1500-byte underlay "
	  "minus 100 bytes of mesh overhead)" },
	{ MESH(",\"mtu\":1279"), "MtuOutOfRange", "mtu", "1279 is outside 1280..1400" },
	{ MESH(",\"mtu\":65536"), "OutOfRange", "mtu", "65536 is out of range 1280..1400" },
	{ MESH(",\"rekey_interval\":9"), "RekeyIntervalOutOfRange", "rekey_interval",
	  "9 is outside 10..120 seconds (10: the shortest that leaves a handshake time to "
	  "finish before the keypair expires at 3/2 of it; 120: the longest a keypair may be "
	  "used for sending)" },
	{ MESH(",\"rekey_interval\":121"), "RekeyIntervalOutOfRange", "rekey_interval",
	  "121 is outside 10..120 seconds" },
	{ MESH(",\"rekey_interval\":0"), "RekeyIntervalOutOfRange", "rekey_interval",
	  "0 is outside 10..120" },
	{ MESH(",\"rekey_interval\":65536"), "OutOfRange", "rekey_interval",
	  "65536 is out of range 10..120" },
	{ MESH(",\"rekey_interval\":-1"), "OutOfRange", "rekey_interval", "negative" },
	{ MESH(",\"rekey_interval\":\"10\""), "WrongType", "rekey_interval", "expected" },
	{ BASEMODE(",\"rekey_interval\":10"), "UnknownField", "rekey_interval",
	  "in a base config" },
	/* bases */
	{ MESH_BASES("{\"public_key\":\"" BASE_PK1 "\"}", ""), "MissingField", "bases[0].host",
	  "every base needs a host" },
	{ MESH_BASES("{\"host\":\"a\"}", ""), "MissingField", "bases[0].public_key",
	  "so the node can pin it" },
	{ MESH_BASES(BASE("", BASE_PK1), ""), "InvalidBaseHost", "bases[0].host", "1-253" },
	{ MESH_BASES(BASE("base1.example.net:5582", BASE_PK1), ""), "InvalidBaseHost",
	  "bases[0].host", "not an IPv6 address (write it without brackets or a port)" },
	{ MESH_BASES(BASE("[2001:db8::1]", BASE_PK1), ""), "InvalidBaseHost", "bases[0].host",
	  "\"[2001:db8::1]\"" },
	{ MESH_BASES(BASE("192.0.2.300", BASE_PK1), ""), "InvalidBaseHost", "bases[0].host",
	  "not an IPv4 address" },
	{ MESH_BASES(BASE("-base.example.net", BASE_PK1), ""), "InvalidBaseHost",
	  "bases[0].host", "starts or ends with '-'" },
	{ MESH_BASES(BASE("base..example.net", BASE_PK1), ""), "InvalidBaseHost",
	  "bases[0].host", "an empty label" },
	{ MESH_BASES(BASE("base_1.example.net", BASE_PK1), ""), "InvalidBaseHost",
	  "bases[0].host", "other than a letter, digit or '-'" },
	{ MESH_BASES(BASE("a234567890123456789012345678901234567890123456789012345678901234.net",
			  BASE_PK1), ""),
	  "InvalidBaseHost", "bases[0].host", "longer than 63" },
	{ MESH_BASES(BASE("base1", "0b302dd4"), ""), "InvalidBaseKey", "bases[0].public_key",
	  "expected 64 hex characters, got 8" },
	{ MESH_BASES(BASE("base1", "0b302dd49a6b8dbd0d3fd09e980b013a624d316ae52b5906e9435b3ace596e4x"),
		     ""),
	  "InvalidBaseKey", "bases[0].public_key", "character 64 is not a hex digit" },
	{ MESH_BASES(BASE("base1", BAD_PK), ""), "InvalidBaseKey", "bases[0].public_key",
	  "not an identity key" },
	{ MESH_BASES(B1 "," B1 "," B1 "," B1 "," B1 "," B1 "," B1 "," B1 "," B1, ""),
	  "TooManyBases", "bases", "9 bases, at most 8" },
	{ MESH_BASES(B1 "," BASE("BASE1.example.net", BASE_PK2), ""), "DuplicateBase",
	  "bases[1].host", "\"BASE1.example.net\" port 5582 is also bases[0]" },
	{ MESH_BASES(B1 "," BASE("base2.example.net", BASE_PK1), ""), "DuplicateBase",
	  "bases[1].public_key", "the same key as bases[0]" },
	{ "{\"mode\":\"mesh\",\"lan_discovery\":false}", "NoDiscovery", "bases",
	  "no bases and \"lan_discovery\": false" },
	/* whitelist */
	{ MESH(",\"whitelist\":[\"fc94::1\",\"fc94::zz\"]"), "InvalidAddress", "whitelist[1]",
	  "\"fc94::zz\": not an IPv6 address" },
	{ MESH(",\"whitelist\":[\"10.0.0.1\"]"), "InvalidAddress", "whitelist[0]", "\"10.0.0.1\"" },
	{ MESH(",\"whitelist\":[\"fd00::1\"]"), "NotMeshAddress", "whitelist[0]",
	  "\"fd00::1\" is not in fc94::/16" },
	{ MESH(",\"whitelist\":[\"fc94::1\",\"FC94:0:0:0:0:0:0:1\"]"), "DuplicateWhitelistEntry",
	  "whitelist[1]", "is already whitelist[0]" },
	/* hostname: one RFC 1123 label, lowercase */
	{ MESH(",\"hostname\":\"\""), "InvalidHostname", "hostname", "an empty label" },
	{ MESH(",\"hostname\":\"node-\""), "InvalidHostname", "hostname", "starts or ends" },
	{ MESH(",\"hostname\":\"Node\""), "InvalidHostname", "hostname", "lowercase only" },
	{ MESH(",\"hostname\":\"node.lan\""), "InvalidHostname", "hostname",
	  "other than a letter, digit or '-'" },
	{ MESH(",\"hostname\":\"n\\u00e9\""), "InvalidHostname", "hostname", "\"n\\xc3\\xa9\"" },
	{ MESH(",\"hostname\":\"a234567890123456789012345678901234567890123456789012345678901234\""),
	  "InvalidHostname", "hostname", "longer than 63" },
	/* paths */
	{ MESH(",\"identity_file\":\"identity\""), "InvalidPath", "identity_file",
	  "\"identity\": expected an absolute file path" },
	{ MESH(",\"identity_file\":\"\""), "InvalidPath", "identity_file", "absolute" },
	{ MESH(",\"identity_file\":\"/var/lib/subnetra/\""), "InvalidPath", "identity_file",
	  "absolute" },
	{ MESH(",\"hosts_file\":\"hosts\""), "InvalidPath", "hosts_file", ", or \"\"" },
	{ MESH(",\"hosts_file\":\"/etc/h\\u0000\""), "InvalidPath", "hosts_file", "\\x00" },
	{ MESH(",\"state_dir\":\"var/lib/subnetra\""), "InvalidPath", "state_dir",
	  "\"var/lib/subnetra\": expected an absolute directory path of at most 255 bytes" },
	{ MESH(",\"state_dir\":\"\""), "InvalidPath", "state_dir", "absolute directory" },
	{ MESH(",\"state_dir\":\"/\""), "InvalidPath", "state_dir", "\"/\": expected" },
	{ MESH(",\"state_dir\":\"/var/lib/subnetra\""), "StateDirHoldsIdentity", "state_dir",
	  "/var/lib/subnetra holds identity_file /var/lib/subnetra/identity: " },
	{ MESH(",\"state_dir\":\"/etc/s\",\"identity_file\":\"/etc/s/id\""),
	  "StateDirHoldsIdentity", "state_dir", "/etc/s holds identity_file /etc/s/id" },
	{ MESH(",\"state_dir\":\"/var/lib/subnetra/\""), "InvalidPath", "state_dir",
	  "absolute directory" },
	/* psk and user */
	{ MESH(",\"psk\":\"4478\""), "InvalidPsk", "psk", "expected 64 hex characters, got 4" },
	{ BASEMODE(",\"psk\":\"" PSK_ZERO "\""), "InvalidPsk", "psk", "all zeros" },
	{ MESH(",\"user\":\"Root\""), "InvalidUser", "user", "\"Root\"" },
	/* management (subnetra agent's): shape only, the agent parses the rest */
	{ MESH(",\"management\":\"" MGMT_URL "\""), "WrongType", "management", "got string" },
	{ MESH(",\"management\":{}"), "MissingField", "management.url", "the server's url" },
	{ MESH(",\"management\":{\"join_code\":\"" CODE "\"}"), "MissingField",
	  "management.url", "url" },
	{ MESH(",\"management\":{\"url\":\"https://[fc94::4d]/\"}"), "InvalidManagementUrl",
	  "management.url", "\"https://[fc94::4d]/\": expected http://HOST[:PORT][/PATH]" },
	{ MESH(",\"management\":{\"url\":\"http://a b\"}"), "InvalidManagementUrl",
	  "management.url", "printable" },
	{ MESH(",\"management\":{\"url\":7}"), "WrongType", "management.url", "got integer" },
	{ MESH(",\"management\":{\"url\":\"" MGMT_URL "\",\"join_code\":\"snj_1\"}"),
	  "InvalidJoinCode", "management.join_code", "not a join code (72 characters" },
	{ MESH(",\"management\":{\"url\":\"" MGMT_URL "\",\"join_code\":\"x" CODE "\"}"),
	  "InvalidJoinCode", "management.join_code", "starting snj_" },
	{ MESH(",\"management\":{\"url\":\"" MGMT_URL "\",\"code\":\"" CODE "\"}"),
	  "UnknownField", "management.code", "in management" },
	{ BASEMODE(",\"management\":{\"url\":\"" MGMT_URL "\"}"), "UnknownField", "management",
	  "in a base config" },
};

static void test_error_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(err_cases); i++) {
		snprintf(case_desc, sizeof(case_desc), "err_cases[%zu] (%s)", i, err_cases[i].name);
		expect_error(err_cases[i].json, err_cases[i].name, err_cases[i].path,
			     err_cases[i].want_text);
	}
}

static void test_too_many_whitelist(void **state)
{
	static char json[64 * 1024];
	size_t o;

	(void)state;
	o = (size_t)snprintf(json, sizeof(json), "{\"mode\":\"mesh\",\"whitelist\":[");
	for (unsigned i = 0; i <= MESH_MAX_WHITELIST; i++)
		o += (size_t)snprintf(json + o, sizeof(json) - o, "%s\"fc94::%x\"", i ? "," : "",
				      i + 1);
	snprintf(json + o, sizeof(json) - o, "]}");
	snprintf(case_desc, sizeof(case_desc), "257 whitelist entries");
	expect_error(json, "TooManyWhitelistEntries", "whitelist", "257 entries, at most 256");
	/* 256 is fine */
	o = (size_t)snprintf(json, sizeof(json), "{\"mode\":\"mesh\",\"whitelist\":[");
	for (unsigned i = 0; i < MESH_MAX_WHITELIST; i++)
		o += (size_t)snprintf(json + o, sizeof(json) - o, "%s\"fc94::%x\"", i ? "," : "",
				      i + 1);
	snprintf(json + o, sizeof(json) - o, "]}");
	expect_ok(json);
	assert_int_equal(cfg.mesh.n_whitelist, MESH_MAX_WHITELIST);
}

static void test_mesh_defaults(void **state)
{
	(void)state;
	expect_ok("{\"mode\":\"mesh\"}");
	assert_int_equal(cfg.mode, CONFIG_MODE_MESH);
	assert_string_equal(cfg.mesh.identity_file, IDENTITY_DEFAULT_PATH);
	assert_int_equal(cfg.mesh.udp_port, 5582);
	assert_int_equal(cfg.mesh.mtu, 1400);
	assert_int_equal(cfg.mesh.n_bases, 0);
	assert_true(cfg.mesh.whitelist_enabled);
	assert_int_equal(cfg.mesh.n_whitelist, 0);
	assert_string_equal(cfg.mesh.hostname, "");
	assert_string_equal(cfg.mesh.hosts_file, "");
	assert_string_equal(cfg.mesh.state_dir, "/var/lib/subnetra/state");
	assert_true(cfg.mesh.lan_discovery);
	assert_int_equal(cfg.mesh.rekey_interval, 120);
	assert_false(cfg.mesh.has_psk);
	assert_string_equal(cfg.user, "");
	assert_int_equal(cfg.workers, 1);
	assert_true(cfg.configure_interface);
	assert_string_equal(config_mode_name(cfg.mode), "mesh");
}

static void test_base_defaults(void **state)
{
	(void)state;
	expect_ok("{\"mode\":\"base\"}");
	assert_int_equal(cfg.mode, CONFIG_MODE_BASE);
	assert_int_equal(cfg.mesh.udp_port, 5582);
	assert_int_equal(cfg.mesh.tcp_port, 443);
	assert_string_equal(cfg.mesh.identity_file, IDENTITY_DEFAULT_PATH);
	assert_string_equal(config_mode_name(cfg.mode), "base");
	assert_int_equal(cfg.mesh.probe_port, 5583);
	expect_ok(BASEMODE(",\"probe_port\":0"));
	assert_int_equal(cfg.mesh.probe_port, 0);
	expect_ok(BASEMODE(",\"probe_port\":7000,\"udp_port\":6000"));
	assert_int_equal(cfg.mesh.probe_port, 7000);
	expect_ok(BASEMODE(",\"udp_port\":65535"));
	assert_int_equal(cfg.mesh.probe_port, 0);
	expect_ok("{\"udp_port\":6000,\"tcp_port\":8443,\"identity_file\":\"/etc/subnetra/base\","
		  "\"user\":\"subnetra\",\"psk\":\"" PSK "\",\"mode\":\"base\"}");
	assert_int_equal(cfg.mesh.udp_port, 6000);
	assert_int_equal(cfg.mesh.tcp_port, 8443);
	assert_string_equal(cfg.mesh.identity_file, "/etc/subnetra/base");
	assert_int_equal(cfg.mesh.probe_port, 6001);
	assert_string_equal(cfg.user, "subnetra");
	assert_true(cfg.mesh.has_psk);
	config_wipe(&cfg);
	assert_true(sodium_is_zero(cfg.mesh.psk, sizeof(cfg.mesh.psk)));
}

static void test_mesh_every_field(void **state)
{
	uint8_t want[16];

	(void)state;
	/* "mode" may come last; host forms: DNS name, IPv4, IPv6 (any case) */
	expect_ok("{\"identity_file\":\"/etc/subnetra/identity\",\"listen_port\":6000,"
		  "\"bases\":[" B1 ",{\"host\":\"2001:DB8::5\",\"udp_port\":6001,\"tcp_port\":8443,"
		  "\"probe_port\":9000,"
		  "\"public_key\":\"" BASE_PK2 "\"}," BASE("Base3.Example.NET", NODE_PK) "],"
		  "\"whitelist_enabled\":false,\"whitelist\":[\"fc94::1\",\"" NODE_ADDR "\"],"
		  "\"hostname\":\"node-1\",\"hosts_file\":\"/etc/hosts\",\"lan_discovery\":false,"
		  "\"state_dir\":\"/srv/subnetra/state\","
		  "\"psk\":\"" PSK "\",\"mtu\":1280,\"rekey_interval\":10,\"user\":\"nobody\",\"workers\":4,"
		  "\"configure_interface\":false,"
		  "\"management\":{\"join_code\":\"" CODE "\",\"url\":\"" MGMT_URL "\"},"
		  "\"mode\":\"mesh\"}");
	assert_string_equal(cfg.mesh.mgmt_url, MGMT_URL);
	assert_string_equal(cfg.mesh.mgmt_join_code, CODE);
	assert_string_equal(cfg.mesh.identity_file, "/etc/subnetra/identity");
	assert_int_equal(cfg.mesh.udp_port, 6000);
	assert_int_equal(cfg.mesh.n_bases, 3);
	assert_string_equal(cfg.mesh.bases[0].host, "base1.example.net");
	assert_int_equal(cfg.mesh.bases[0].udp_port, 5582);
	assert_int_equal(cfg.mesh.bases[0].tcp_port, 443);
	assert_string_equal(cfg.mesh.bases[1].host, "2001:DB8::5");
	assert_int_equal(cfg.mesh.bases[1].udp_port, 6001);
	assert_int_equal(cfg.mesh.bases[1].tcp_port, 8443);
	assert_int_equal(cfg.mesh.bases[0].probe_port, 5583);
	assert_int_equal(cfg.mesh.bases[1].probe_port, 9000);
	assert_int_equal(cfg.mesh.bases[0].public_key[0], 0x0b);
	assert_int_equal(cfg.mesh.bases[1].public_key[31], 0xaa);
	assert_false(cfg.mesh.whitelist_enabled);
	assert_int_equal(cfg.mesh.n_whitelist, 2);
	assert_true(identity_address_parse(NODE_ADDR, strlen(NODE_ADDR), want));
	assert_memory_equal(cfg.mesh.whitelist[1], want, 16);
	assert_string_equal(cfg.mesh.hostname, "node-1");
	assert_string_equal(cfg.mesh.hosts_file, "/etc/hosts");
	assert_string_equal(cfg.mesh.state_dir, "/srv/subnetra/state");
	assert_false(cfg.mesh.lan_discovery);
	assert_true(cfg.mesh.has_psk);
	assert_int_equal(cfg.mesh.psk[0], 0x44);
	assert_int_equal(cfg.mesh.mtu, 1280);
	assert_int_equal(cfg.mesh.rekey_interval, 10);
	assert_string_equal(cfg.user, "nobody");
	assert_int_equal(cfg.workers, 4);
	assert_false(cfg.configure_interface);
	/* "" turns the hosts file off; the same host on another port is another base */
	expect_ok(MESH_BASES(B1 ",{\"host\":\"base1.example.net\",\"udp_port\":5583,"
		  "\"public_key\":\"" BASE_PK2 "\"}", ",\"hosts_file\":\"\",\"hostname\":\"0\""));
	assert_string_equal(cfg.mesh.hosts_file, "");
	assert_string_equal(cfg.mesh.hostname, "0");
}

/* The MTU arithmetic, from the message sizes (msg.h), and --path-mtu. */
static void test_mtu(void **state)
{
	struct config_error e;

	(void)state;
	assert_int_equal(MESH_TUN_OVERHEAD, 40 + 8 + 16 + 16 + 20);
	assert_int_equal(mesh_tun_mtu_max(1500), 1400);
	assert_int_equal(mesh_tun_mtu_max(1420), 1320);
	assert_int_equal(mesh_tun_mtu_max(100), 0);
	expect_ok(MESH(""));
	assert_int_equal(config_validate_path_mtu(&cfg, LABEL, 1500, &e), 0);
	snprintf(case_desc, sizeof(case_desc), "path mtu 1420");
	assert_int_equal(config_validate_path_mtu(&cfg, LABEL, 1420, &e), -1);
	check_error(&e, "MtuTooLargeForPath", "mtu",
		    "1400 exceeds 1320, the most a 1420-byte path carries (1420 - 100 bytes of "
		    "mesh overhead): set mtu to 1320 or less");
	assert_int_equal(config_validate_path_mtu(&cfg, LABEL, 1300, &e), -1);
	check_error(&e, "MtuTooLargeForPath", "mtu", "needs a path MTU of at least 1380");
	expect_ok(MESH(",\"mtu\":1320"));
	assert_int_equal(config_validate_path_mtu(&cfg, LABEL, 1420, &e), 0);
	/* a base has no TUN */
	expect_ok(BASEMODE(""));
	assert_int_equal(config_validate_path_mtu(&cfg, LABEL, 600, &e), 0);
}

/* Every non-secret mesh field changes the digest; the psk's value does not. */
static void test_digest(void **state)
{
	static const char *const variants[] = {
		MESH(""),
		MESH(",\"listen_port\":5583"),
		MESH(",\"hostname\":\"a\""),
		MESH(",\"hosts_file\":\"/etc/hosts\""),
		MESH(",\"whitelist\":[\"fc94::1\"]"),
		MESH(",\"whitelist_enabled\":false"),
		MESH(",\"lan_discovery\":false"),
		MESH(",\"mtu\":1300"),
		MESH(",\"psk\":\"" PSK "\""),
		MESH(",\"identity_file\":\"/x\""),
		MESH_BASES(B2, ""),
		MESH_BASES(B1 "," B2, ""),
		"{\"mode\":\"mesh\"}",
		BASEMODE(""),
		BASEMODE(",\"tcp_port\":444"),
		BASEMODE(",\"probe_port\":0"),
		MESH_BASES("{\"host\":\"base1.example.net\",\"probe_port\":0,"
			   "\"public_key\":\"" BASE_PK1 "\"}", ""),
		MESH(",\"rekey_interval\":30"),
		MESH(",\"state_dir\":\"/var/lib/other\""),
	};
	uint8_t d[ARRAY_LEN(variants)][CONFIG_DIGEST_LEN], again[CONFIG_DIGEST_LEN];
	char other_psk[] = MESH(",\"psk\":\"" PSK "\"");

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(variants); i++) {
		expect_ok(variants[i]);
		config_digest(&cfg, d[i]);
		for (size_t j = 0; j < i; j++)
			if (memcmp(d[i], d[j], CONFIG_DIGEST_LEN) == 0)
				fail_msg("variants %zu and %zu hash alike", i, j);
	}
	other_psk[strlen(other_psk) - 3] ^= 1; /* another psk value: the same digest */
	expect_ok(other_psk);
	config_digest(&cfg, again);
	assert_memory_equal(again, d[8], CONFIG_DIGEST_LEN);
	/* a v1 config never reaches the mesh fields */
	expect_ok("{\"local_id\":1,\"peers\":[{\"id\":2,\"endpoint\":\"203.0.113.2:1\",\"psk\":\"" PSK
		  "\"}]}");
	assert_int_equal(cfg.mode, CONFIG_MODE_V1);
}

static void write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
}

static const char identity_text[] = "subnetra-identity 1\n"
				    "address " NODE_ADDR "\n"
				    "public-key " NODE_PK "\n"
				    "seed " NODE_SEED "\n";

static void load_identity_expect(const char *json, const char *name, const char *path,
				 const char *want_text)
{
	struct config_error e;
	struct identity id;
	bool readable;

	snprintf(case_desc, sizeof(case_desc), "identity: %s", name);
	expect_ok(json);
	assert_int_equal(mesh_identity_load(&cfg, LABEL, &id, &readable, &e), -1);
	check_error(&e, name, path, want_text);
	assert_true(sodium_is_zero((const unsigned char *)&id, sizeof(id)));
}

static void test_identity_file(void **state)
{
	char json[1024], file[128], dir[128];
	struct config_error e;
	struct identity id;
	bool readable;

	(void)state;
	snprintf(file, sizeof(file), "%s/identity", tmpdir);
	write_file(file, identity_text, 0600);
	snprintf(json, sizeof(json), MESH(",\"identity_file\":\"%s\""), file);
	expect_ok(json);
	assert_int_equal(mesh_identity_load(&cfg, LABEL, &id, &readable, &e), 0);
	assert_false(readable);
	assert_int_equal(id.pk[0], 0x83);
	assert_int_equal(id.pk[31], 0x1d);
	identity_wipe(&id);
	assert_int_equal(chmod(file, 0644), 0);
	assert_int_equal(mesh_identity_load(&cfg, LABEL, &id, &readable, &e), 0);
	assert_true(readable);
	identity_wipe(&id);

	/* a node listing its own key as a base */
	snprintf(json, sizeof(json), MESH_BASES(B1 "," BASE("self", NODE_PK), ",\"identity_file\":\"%s\""),
		 file);
	load_identity_expect(json, "SelfReference", "bases[1].public_key", "the node's own key");
	/* a base may have any identity; the bases rule is a node's */
	snprintf(json, sizeof(json), BASEMODE(",\"identity_file\":\"%s\""), file);
	expect_ok(json);
	assert_int_equal(mesh_identity_load(&cfg, LABEL, &id, &readable, &e), 0);
	identity_wipe(&id);

	snprintf(json, sizeof(json), MESH(",\"identity_file\":\"%s/missing\""), tmpdir);
	load_identity_expect(json, "IdentityUnreadable", "identity_file",
			     "missing: cannot open: No such file or directory");
	snprintf(dir, sizeof(dir), "%s/dir", tmpdir);
	assert_int_equal(mkdir(dir, 0700), 0);
	snprintf(json, sizeof(json), MESH(",\"identity_file\":\"%s\""), dir);
	load_identity_expect(json, "IdentityUnreadable", "identity_file", "not a regular file");
	write_file(file, "subnetra-identity 1\naddress " NODE_ADDR "\npublic-key " BASE_PK1
			 "\nseed " NODE_SEED "\n", 0600);
	snprintf(json, sizeof(json), MESH(",\"identity_file\":\"%s\""), file);
	load_identity_expect(json, "InvalidIdentity", "identity_file",
			     "identity: line 3: public-key: does not match the seed");
	write_file(file, "", 0600);
	load_identity_expect(json, "InvalidIdentity", "identity_file", "identity: ");
	{
		static char big[IDENTITY_FILE_MAX + 2];

		memset(big, 'a', sizeof(big) - 1);
		write_file(file, big, 0600);
		load_identity_expect(json, "IdentityUnreadable", "identity_file",
				     "larger than an identity file can be");
	}
	unlink(file);
	rmdir(dir);
}

/* The whole plan, byte for byte (docs/configuration.md shows the same). */
static void test_plan(void **state)
{
	static const char want_node[] =
		"# subnetra network plan for interface 'snr0' (mode \"mesh\")\n"
		"# underlay path MTU assumed: 1500 (override with --path-mtu N)\n"
		"# mesh overhead: 100 bytes on the worst path, a relay frame to a base\n"
		"#   (outer IPv6 40 + UDP 8 + DATA header 16 + AEAD tag 16 + RELAY header 20)\n"
		"# max TUN MTU for this path: 1500 - 100 = 1400\n"
		"# subnetrad applies this plan itself at start-up (unless \"configure_interface\" "
		"is false).\n"
		"# whitelist and host-name changes are kept in /var/lib/subnetra/state (state_dir;\n"
		"#   created 0700 at start-up, for \"user\" when set).\n"
		"\n"
		"ip link set snr0 mtu 1400 up\n"
		"ip -6 addr replace " NODE_ADDR "/16 dev snr0 nodad noprefixroute\n"
		"# every mesh address is in fc94::/16, reached through the TUN:\n"
		"ip -6 route replace fc94::/16 dev snr0\n"
		"\n"
		"# TCP MSS clamp (optional, not applied by this plan): keeps TCP segments\n"
		"# within the tunnel MTU so large transfers do not stall on a PMTU black hole.\n"
		"# nftables, in an existing forward chain (here table inet filter):\n"
		"#   nft add rule inet filter forward oifname \"snr0\" tcp flags syn tcp option "
		"maxseg size set rt mtu\n"
		"# or the iptables equivalent:\n"
		"#   iptables -t mangle -A FORWARD -o snr0 -p tcp --tcp-flags SYN,RST SYN -j TCPMSS "
		"--clamp-mss-to-pmtu\n";
	static const char want_base[] =
		"# subnetra network plan (mode \"base\")\n"
		"# a base has no TUN: it registers nodes, answers their lookups and relays their\n"
		"# end-to-end encrypted frames, so this host needs no address, route or MTU.\n"
		"# it listens on UDP 5582, UDP 5583 (the NAT probe) and TCP 8443: let them "
		"through the firewall.\n";
	char buf[NETPLAN_BUF];
	uint8_t addr[16];

	(void)state;
	assert_true(identity_address_parse(NODE_ADDR, strlen(NODE_ADDR), addr));
	expect_ok(MESH(""));
	netplan_render_mesh(&cfg, addr, "snr0", 1500, buf, sizeof(buf));
	assert_string_equal(buf, want_node);
	/* a smaller path: the warning; too small a path: the other warning */
	netplan_render_mesh(&cfg, addr, "mesh0", 1420, buf, sizeof(buf));
	assert_non_null(strstr(buf, "# max TUN MTU for this path: 1420 - 100 = 1320\n"
				    "# WARNING: configured mtu 1400 exceeds the max 1320;\n"
				    "#          packets larger than 1320 bytes may fragment or be "
				    "silently dropped.\n"));
	assert_non_null(strstr(buf, "ip link set mesh0 mtu 1400 up\n"));
	netplan_render_mesh(&cfg, addr, "snr0", 1300, buf, sizeof(buf));
	assert_non_null(strstr(buf, "# WARNING: a 1300-byte path is too small for a mesh TUN, "
				    "which needs 1380 (IPv6 minimum 1280 + 100)\n"));
	expect_ok(BASEMODE(",\"tcp_port\":8443"));
	netplan_render_mesh(&cfg, addr, "snr0", 1500, buf, sizeof(buf));
	assert_string_equal(buf, want_base);
	expect_ok(BASEMODE(",\"tcp_port\":8443,\"probe_port\":0"));
	netplan_render_mesh(&cfg, addr, "snr0", 1500, buf, sizeof(buf));
	assert_non_null(strstr(buf, "# it listens on UDP 5582 and TCP 8443: let both through "
				    "the firewall.\n"));
}

static void test_every_error_name_covered(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(all_names); i++) {
		if (!name_seen[i])
			fail_msg("error name %s was never produced by a test", all_names[i]);
	}
}

static int setup(void **state)
{
	(void)state;
	if (sodium_init() < 0)
		return -1;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/subnetra-test-mesh.XXXXXX");
	return mkdtemp(tmpdir) != NULL ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	return rmdir(tmpdir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_error_table),
		cmocka_unit_test(test_too_many_whitelist),
		cmocka_unit_test(test_mesh_defaults),
		cmocka_unit_test(test_base_defaults),
		cmocka_unit_test(test_mesh_every_field),
		cmocka_unit_test(test_mtu),
		cmocka_unit_test(test_digest),
		cmocka_unit_test(test_identity_file),
		cmocka_unit_test(test_plan),
		cmocka_unit_test(test_every_error_name_covered),
	};

	return cmocka_run_group_tests_name("config_mesh", tests, setup, teardown);
}
