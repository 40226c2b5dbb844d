/*
 * config.c: every error name (with its exact name and path, the file label
 * and the quoted value in the message), the Quick Start configs, defaults,
 * and file-level errors through config_load.  Every error goes through
 * expect_error(), which also proves no psk text ever reaches a message, and
 * the last test checks that every documented error name was exercised.
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

#include "core/config.h"
#include "os/linux/config_file.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Real per-link keys (openssl rand -hex 32). */
#define KEY_A "4478406b1ab6c49a71868963cb76f6c2f1c4d4541538cac8a8c28cfc23fb49a4"
#define KEY_B "d10bae5df4e65c268961c9e6cd812aa0ac0bbca644452ea50fc2dbcb78805927"
#define KEY_C "40fb6d394df5d6530afb99a48c3be4805edf471d729c02a4fe5de6e88ce39b41"
#define KEY_A_UPPER "4478406B1AB6C49A71868963CB76F6C2F1C4D4541538CAC8A8C28CFC23FB49A4"
#define KEY_63 "4478406b1ab6c49a71868963cb76f6c2f1c4d4541538cac8a8c28cfc23fb49a"
#define KEY_65 "4478406b1ab6c49a71868963cb76f6c2f1c4d4541538cac8a8c28cfc23fb49a4a"
#define KEY_NOT_HEX "4478406b1ab6c49a71868963cb76f6c2f1c4d4541538cac8a8c28cfc23fb49ag"
#define KEY_ZERO "0000000000000000000000000000000000000000000000000000000000000000"

/* Every psk text any test uses: none may appear in any error message. */
static const char *const secrets[] = { KEY_A, KEY_B, KEY_C, KEY_A_UPPER,
				       KEY_63, KEY_65, KEY_NOT_HEX };

#define LABEL "test.json"

#define PEER(id, ep, src, key)                                                              \
	"{\"id\":" #id ",\"endpoint\":\"" ep "\",\"allowed_src\":\"" src "\",\"psk\":\"" key \
	"\"}"
#define P2 PEER(2, "203.0.113.2:18020", "10.0.0.2/32", KEY_A)
#define P3 PEER(3, "203.0.113.3:18020", "10.0.0.3/32", KEY_B)
#define P4 PEER(4, "203.0.113.4:18020", "10.0.0.4/32", KEY_C)
#define HUB_TO_SPOKE(key) PEER(1, "203.0.113.1:18020", "10.0.0.0/24", key)

/* manual node with one peer; extra fields are spliced in (start with ',') */
#define MANUAL(extra) "{\"local_id\":1,\"peers\":[" P2 "]" extra "}"
#define NO_LOCAL_ID(extra) "{\"peers\":[" P2 "]" extra "}"
#define MANUAL_PEERS(peers, extra) "{\"local_id\":1,\"peers\":[" peers "]" extra "}"
#define HUB(peers, extra) \
	"{\"role\":\"hub\",\"virtual_subnet\":\"10.0.0.0/24\",\"local_id\":1,\"peers\":[" peers "]" extra "}"
#define SPOKE(peers, extra) \
	"{\"role\":\"spoke\",\"virtual_subnet\":\"10.0.0.0/24\",\"local_id\":2,\"peers\":[" peers "]" extra "}"

/* The Quick Start configs, verbatim apart from the keys. */
static const char quick_hub[] =
	"{\n"
	"  \"role\": \"hub\",\n"
	"  \"virtual_subnet\": \"10.0.0.0/24\",\n"
	"  \"local_id\": 1,\n"
	"  \"listen_ports\": [18020, 18023, 18026],\n"
	"  \"peers\": [\n"
	"    { \"id\": 2, \"endpoint\": \"203.0.113.2:18020\", \"allowed_src\": \"10.0.0.2/32\", \"psk\": \"" KEY_A "\" },\n"
	"    { \"id\": 3, \"endpoint\": \"203.0.113.3:18020\", \"allowed_src\": \"10.0.0.3/32\", \"psk\": \"" KEY_B "\" }\n"
	"  ]\n"
	"}\n";

static const char quick_spoke_a[] =
	"{\n"
	"  \"role\": \"spoke\",\n"
	"  \"virtual_subnet\": \"10.0.0.0/24\",\n"
	"  \"local_id\": 2,\n"
	"  \"local_tun_ip\": \"10.0.0.2/24\",\n"
	"  \"local_routes\": [\"10.0.0.2/32\"],\n"
	"  \"peers\": [\n"
	"    { \"id\": 1, \"endpoint\": \"203.0.113.1:18020\", \"allowed_src\": \"10.0.0.0/24\", \"psk\": \"" KEY_A "\" }\n"
	"  ]\n"
	"}\n";

static const char quick_spoke_b[] =
	"{\n"
	"  \"role\": \"spoke\",\n"
	"  \"virtual_subnet\": \"10.0.0.0/24\",\n"
	"  \"local_id\": 3,\n"
	"  \"local_tun_ip\": \"10.0.0.3/24\",\n"
	"  \"local_routes\": [\"10.0.0.3/32\"],\n"
	"  \"peers\": [\n"
	"    { \"id\": 1, \"endpoint\": \"203.0.113.1:18020\", \"allowed_src\": \"10.0.0.0/24\", \"psk\": \"" KEY_B "\" }\n"
	"  ]\n"
	"}\n";

/* Every error name config.c can produce (documented ones and ours). */
static const char *const all_names[] = {
	"FileUnreadable", "FileTooLarge", "SyntaxError", "UnknownField", "WrongType",
	"OutOfRange", "MissingField", "DuplicateField", "InvalidPsk", "InvalidCidr", "InvalidEndpoint",
	"TooManyPeers", "TooManyRoutes", "InvalidRole", "PeerNameTooLong",
	"PeerNameNotPrintable", "TooManyListenPorts", "DuplicateListenPort", "DuplicatePsk",
	"MtuOutOfRange", "PeerIdOutOfRange", "SubnetOverlap", "HubPeerNeedsAllowedSrc",
	"HubAllowedSrcOverlap", "SpokeNeedsOneHub", "SpokeMissingLocal",
	"SpokeLocalRouteTooBroad", "ReservedPeerId", "MissingLocalId", "SelfReference",
	"DuplicateId", "DuplicateEndpoint", "InvalidUser", "MtuTooLargeForPath",
};
static bool name_seen[ARRAY_LEN(all_names)];

static struct config cfg; /* large: keep it off the stack */
static char case_desc[96];  /* names the table row in failure messages */

static uint32_t ip(unsigned a, unsigned b, unsigned c, unsigned d)
{
	return (uint32_t)a << 24 | (uint32_t)b << 16 | (uint32_t)c << 8 | (uint32_t)d;
}

/* No 12-character run of any psk text may appear in s. */
static void assert_no_secret(const char *s)
{
	for (size_t k = 0; k < ARRAY_LEN(secrets); k++) {
		size_t n = strlen(secrets[k]);

		for (size_t i = 0; i + 12 <= n; i++) {
			char w[13];

			memcpy(w, secrets[k] + i, 12);
			w[12] = '\0';
			if (strstr(s, w) != NULL)
				fail_msg("%s: psk text \"%s\" leaked into \"%s\"", case_desc, w, s);
		}
	}
}

/* Checks name, path, label, quoted value and secrecy of one error. */
static void check_error(const struct config_error *e, const char *label, const char *name,
			const char *path, const char *want_text)
{
	char msg[640];

	config_error_format(e, msg, sizeof(msg));
	if (e->name == NULL || strcmp(e->name, name) != 0)
		fail_msg("%s: want %s at \"%s\", got: %s", case_desc, name, path, msg);
	if (strcmp(e->path, path) != 0)
		fail_msg("%s: want path \"%s\", got: %s", case_desc, path, msg);
	if (strncmp(msg, label, strlen(label)) != 0 || msg[strlen(label)] != ':')
		fail_msg("%s: message does not start with the file label: %s", case_desc, msg);
	if (want_text != NULL && strstr(msg, want_text) == NULL)
		fail_msg("%s: message lacks \"%s\": %s", case_desc, want_text, msg);
	for (const char *p = msg; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
			fail_msg("%s: raw non-printable byte in message: %s", case_desc, msg);
	}
	assert_no_secret(msg);
	for (size_t i = 0; i < ARRAY_LEN(all_names); i++) {
		if (strcmp(all_names[i], name) == 0)
			name_seen[i] = true;
	}
}

/* Parse, then validate against hosts; the result must be the given error. */
static void expect_error_hosts(const char *json, size_t len, const struct cidr *hosts,
			       size_t n_hosts, const char *name, const char *path,
			       const char *want_text)
{
	struct config_error e;
	int rc = config_parse(&cfg, LABEL, json, len, &e);

	if (rc == 0) {
		rc = config_validate_hosts(&cfg, LABEL, hosts, n_hosts, &e);
		if (rc == 0)
			fail_msg("%s: accepted, want %s: %s", case_desc, name, json);
	}
	assert_int_equal(rc, -1);
	check_error(&e, LABEL, name, path, want_text);
}

static void expect_error(const char *json, const char *name, const char *path,
			 const char *want_text)
{
	expect_error_hosts(json, strlen(json), NULL, 0, name, path, want_text);
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

/* ---- the error table ---- */

struct err_case {
	const char *json;
	const char *name;
	const char *path;
	const char *want_text; /* must appear in the formatted message */
};

static const struct err_case err_cases[] = {
	/* syntax */
	{ "{\"local_id\": 1,}", "SyntaxError", "", "line 1, column 16" },
	{ "", "SyntaxError", "", "line 1, column 1" },
	{ "{} {}", "SyntaxError", "", "line 1, column 4" },
	{ "{\"role\": 'hub'}", "SyntaxError", "", "line 1, column 10" },
	{ "{\"role\": \"h\tub\"}", "SyntaxError", "", "line 1, column 12" },
	{ "[]", "WrongType", "", "got array" },
	/* json-c reads the literal null as "no object" with success, never "success" */
	{ "null", "WrongType", "", "the top level must be a JSON object, got null" },
	{ " null\n", "WrongType", "", "got null" },
	{ "null null", "SyntaxError", "", "line 1, column 6" },
	/* numbers that JSON does not have, though json-c read them */
	{ "{\"local_id\": -01}", "SyntaxError", "", "line 1, column 14: leading zeros are not JSON" },
	{ MANUAL(",\"keepalive_secs\":00"), "SyntaxError", "", "leading zeros are not JSON" },
	{ MANUAL(",\"local_tun_mtu\":NaN"), "SyntaxError", "", "NaN and Infinity are not JSON" },
	{ MANUAL(",\"local_tun_mtu\":1."), "SyntaxError", "", "'.' needs digits on both sides" },

	/* unknown fields */
	{ MANUAL(",\"rol\":\"hub\""), "UnknownField", "rol", "\"rol\"" },
	{ MANUAL_PEERS("{\"id\":2,\"endpoint\":\"203.0.113.2:1\",\"psk\":\"" KEY_A "\",\"nmae\":\"x\"}", ""),
	  "UnknownField", "peers[0].nmae", "\"nmae\"" },
	{ MANUAL(",\"listen\\u0007\":1"), "UnknownField", "listen\\u0007", "escape sequence" },
	{ MANUAL(",\"\\u0070sk\":\"\""), "UnknownField", "\\u0070sk", "\"\\\\u0070sk\"" },
	{ MANUAL(",\"caf\xc3\xa9\":1"), "UnknownField", "caf??", "\"caf\\xc3\\xa9\"" },

	/* a repeated name is refused, never "last one wins" */
	{ MANUAL(",\"role\":\"hub\",\"role\":\"manual\""), "DuplicateField", "role",
	  "\"role\" appears twice" },
	{ MANUAL_PEERS(P3 ",{\"id\":2,\"endpoint\":\"203.0.113.2:1\",\"psk\":\"" KEY_A "\",\"psk\":\"" KEY_C "\"}", ""),
	  "DuplicateField", "peers[1].psk", "line 1, column " },
	{ MANUAL_PEERS("{\"id\":2,\"endpoint\":\"203.0.113.2:1\",\"allowed_src\":\"10.0.0.2/32\",\"psk\":\""
		       KEY_A "\",\n\"allowed_src\":\"0.0.0.0/0\"}", ""),
	  "DuplicateField", "peers[0].allowed_src", "line 2, column 1" },

	/* wrong JSON types */
	{ MANUAL(",\"local_tun_mtu\":1.0"), "WrongType", "local_tun_mtu", "expected integer, got number 1.0" },
	{ MANUAL(",\"local_tun_mtu\":1e3"), "WrongType", "local_tun_mtu", "1e3" },
	{ MANUAL(",\"local_tun_mtu\":\"1436\""), "WrongType", "local_tun_mtu", "\"1436\"" },
	{ NO_LOCAL_ID(",\"local_id\":true"), "WrongType", "local_id", "got boolean true" },
	{ MANUAL(",\"obfuscate\":\"yes\""), "WrongType", "obfuscate", "\"yes\"" },
	{ MANUAL(",\"obfuscate\":1"), "WrongType", "obfuscate", "expected boolean" },
	{ MANUAL(",\"configure_interface\":\"no\""), "WrongType", "configure_interface", "\"no\"" },
	{ MANUAL(",\"configure_interface\":0"), "WrongType", "configure_interface",
	  "expected boolean" },
	{ MANUAL(",\"configure_interface\":null"), "WrongType", "configure_interface", "got null" },
	{ MANUAL(",\"role\":null"), "WrongType", "role", "got null" },
	{ MANUAL(",\"virtual_subnet\":[\"10.0.0.0/24\"]"), "WrongType", "virtual_subnet", "got array" },
	{ MANUAL(",\"local_routes\":\"10.0.0.0/24\""), "WrongType", "local_routes", "\"10.0.0.0/24\"" },
	{ MANUAL(",\"listen_ports\":18020"), "WrongType", "listen_ports", "18020" },
	{ MANUAL(",\"listen_port\":\"x\",\"listen_ports\":[18020]"), "WrongType", "listen_port", "\"x\"" },
	{ "{\"peers\":{}}", "WrongType", "peers", "got object" },
	{ "{\"peers\":[\"x\"]}", "WrongType", "peers[0]", "expected object" },
	{ MANUAL_PEERS("{\"id\":2,\"endpoint\":\"203.0.113.2:1\",\"psk\":12}", ""),
	  "WrongType", "peers[0].psk", "expected string, got integer" },
	{ MANUAL_PEERS("{\"id\":\"2\",\"endpoint\":\"203.0.113.2:1\",\"psk\":\"" KEY_A "\"}", ""),
	  "WrongType", "peers[0].id", "\"2\"" },

	/* integer ranges */
	{ MANUAL(",\"negotiation_version\":2"), "OutOfRange", "negotiation_version", "2" },
	{ MANUAL(",\"negotiation_version\":0"), "OutOfRange", "negotiation_version", "0" },
	{ MANUAL(",\"local_tun_mtu\":65536"), "OutOfRange", "local_tun_mtu", "65536" },
	{ MANUAL(",\"listen_port\":0"), "OutOfRange", "listen_port", "0" },
	{ MANUAL(",\"listen_port\":65536"), "OutOfRange", "listen_port", "65536" },
	{ MANUAL(",\"listen_ports\":[18020,0]"), "OutOfRange", "listen_ports[1]", "0" },
	{ NO_LOCAL_ID(",\"local_id\":4294967296"), "OutOfRange", "local_id", "4294967296" },
	/* every range message states the documented range (docs/configuration.md) */
	{ NO_LOCAL_ID(",\"local_id\":4294967296"), "OutOfRange", "local_id",
	  "out of range 1..65535, or 0 on a node without peers" },
	{ NO_LOCAL_ID(",\"local_id\":-1"), "OutOfRange", "local_id",
	  "(range 1..65535, or 0 on a node without peers)" },
	{ MANUAL(",\"local_tun_mtu\":65536"), "OutOfRange", "local_tun_mtu",
	  "65536 is out of range 68..1500" },
	{ MANUAL(",\"listen_port\":65536"), "OutOfRange", "listen_port",
	  "65536 is out of range 1..65535" },
	{ MANUAL(",\"listen_ports\":[-1]"), "OutOfRange", "listen_ports[0]",
	  "-1 is negative (range 1..65535)" },
	{ MANUAL(",\"workers\":-1"), "OutOfRange", "workers", "(range 1..16)" },
	{ MANUAL_PEERS("{\"id\":4294967296,\"endpoint\":\"203.0.113.2:1\",\"psk\":\"" KEY_A "\"}", ""),
	  "OutOfRange", "peers[0].id", "out of range 1..65535" },
	{ NO_LOCAL_ID(",\"local_id\":-1"), "OutOfRange", "local_id", "-1 is negative" },
	{ MANUAL(",\"keepalive_secs\":-20"), "OutOfRange", "keepalive_secs", "-20" },
	{ MANUAL(",\"keepalive_secs\":18446744073709551616"), "OutOfRange", "keepalive_secs",
	  "18446744073709551615 (or more)" },
	{ MANUAL(",\"local_tun_mtu\":-0.5"), "WrongType", "local_tun_mtu", "-0.5" },
	{ MANUAL(",\"workers\":0"), "OutOfRange", "workers", "0 is out of range 1..16" },
	{ MANUAL(",\"workers\":17"), "OutOfRange", "workers", "17 is out of range 1..16" },
	{ MANUAL(",\"workers\":-1"), "OutOfRange", "workers", "-1 is negative" },
	{ MANUAL(",\"workers\":4294967296"), "OutOfRange", "workers", "4294967296" },
	{ MANUAL(",\"workers\":2.0"), "WrongType", "workers", "expected integer, got number 2.0" },
	{ MANUAL(",\"workers\":\"2\""), "WrongType", "workers", "\"2\"" },
	{ MANUAL(",\"workers\":true"), "WrongType", "workers", "got boolean true" },
	{ MANUAL(",\"workers\":2,\"workers\":3"), "DuplicateField", "workers", NULL },
	{ MANUAL_PEERS("{\"id\":-5,\"endpoint\":\"203.0.113.2:1\",\"psk\":\"" KEY_A "\"}", ""),
	  "OutOfRange", "peers[0].id", "-5" },

	/* required peer fields */
	{ MANUAL_PEERS("{\"endpoint\":\"203.0.113.2:1\",\"psk\":\"" KEY_A "\"}", ""),
	  "MissingField", "peers[0].id", NULL },
	{ MANUAL_PEERS(P3 ",{\"id\":2,\"psk\":\"" KEY_A "\"}", ""),
	  "MissingField", "peers[1].endpoint", NULL },

	/* psk: parse stage */
	{ MANUAL(",\"psk\":\"" KEY_C "\""), "InvalidPsk", "psk", "top-level psk" },
	{ MANUAL(",\"psk\":1"), "InvalidPsk", "psk", NULL },
	{ MANUAL_PEERS(P3 ",{\"id\":2,\"endpoint\":\"203.0.113.2:1\"}", ""),
	  "InvalidPsk", "peers[1].psk", "missing" },
	{ MANUAL_PEERS(P3 "," PEER(2, "203.0.113.2:1", "10.0.0.2/32", KEY_63), ""),
	  "InvalidPsk", "peers[1].psk", "expected 64 hex characters, got 63" },
	{ MANUAL_PEERS(PEER(2, "203.0.113.2:1", "10.0.0.2/32", KEY_65), ""),
	  "InvalidPsk", "peers[0].psk", "expected 64 hex characters, got 65" },
	{ MANUAL_PEERS(PEER(2, "203.0.113.2:1", "10.0.0.2/32", KEY_NOT_HEX), ""),
	  "InvalidPsk", "peers[0].psk", "character 64 is not a hex digit" },
	{ MANUAL_PEERS(PEER(2, "203.0.113.2:1", "10.0.0.2/32", ""), ""),
	  "InvalidPsk", "peers[0].psk", "got 0" },

	/* addresses */
	{ MANUAL(",\"virtual_subnet\":\"10.0.0.0/33\""), "InvalidCidr", "virtual_subnet",
	  "InvalidCidr: \"10.0.0.0/33\": InvalidPrefix" },
	{ MANUAL(",\"local_tun_ip\":\"10.0.0.2\""), "InvalidCidr", "local_tun_ip",
	  "\"10.0.0.2\": MissingSlash" },
	{ MANUAL(",\"local_tun_ip\":\"10.0.0.02/24\""), "InvalidCidr", "local_tun_ip",
	  "\"10.0.0.02/24\": InvalidOctet" },
	{ MANUAL_PEERS(PEER(2, "203.0.113.2:1", "10.0.0.256/32", KEY_A), ""),
	  "InvalidCidr", "peers[0].allowed_src", "\"10.0.0.256/32\": InvalidOctet" },
	{ MANUAL(",\"local_routes\":[\"10.0.0.2/32\",\"192.168.2.0/24 \"]"), "InvalidCidr",
	  "local_routes[1]", "\"192.168.2.0/24 \": InvalidPrefix" },
	{ MANUAL(",\"remote_routes\":[\"10.1.0.0\"]"), "InvalidCidr", "remote_routes[0]",
	  "\"10.1.0.0\": MissingSlash" },
	{ MANUAL_PEERS(PEER(2, "203.0.113.2", "10.0.0.2/32", KEY_A), ""),
	  "InvalidEndpoint", "peers[0].endpoint", "\"203.0.113.2\": MissingColon" },
	{ MANUAL_PEERS(PEER(2, "hub.example.com:18020", "10.0.0.2/32", KEY_A), ""),
	  "InvalidEndpoint", "peers[0].endpoint", "\"hub.example.com:18020\": InvalidOctet" },
	{ MANUAL_PEERS(PEER(2, "203.0.113.2:0", "10.0.0.2/32", KEY_A), ""),
	  "InvalidEndpoint", "peers[0].endpoint", "\"203.0.113.2:0\": InvalidPort" },
	{ MANUAL_PEERS(PEER(2, "203.0.113.2:65536", "10.0.0.2/32", KEY_A), ""),
	  "InvalidEndpoint", "peers[0].endpoint", "\"203.0.113.2:65536\": InvalidPort" },

	/* lists and names */
	{ MANUAL(",\"local_routes\":[\"10.0.1.0/24\",\"10.0.2.0/24\",\"10.0.3.0/24\",\"10.0.4.0/24\","
		 "\"10.0.5.0/24\",\"10.0.6.0/24\",\"10.0.7.0/24\",\"10.0.8.0/24\",\"10.0.9.0/24\"]"),
	  "TooManyRoutes", "local_routes", "9 routes, at most 8" },
	{ MANUAL(",\"remote_routes\":[\"10.0.1.0/24\",\"10.0.2.0/24\",\"10.0.3.0/24\",\"10.0.4.0/24\","
		 "\"10.0.5.0/24\",\"10.0.6.0/24\",\"10.0.7.0/24\",\"10.0.8.0/24\",\"10.0.9.0/24\"]"),
	  "TooManyRoutes", "remote_routes", "9 routes" },
	{ MANUAL(",\"role\":\"router\""), "InvalidRole", "role", "\"router\"" },
	{ MANUAL(",\"role\":\"Hub\""), "InvalidRole", "role", "\"Hub\"" },
	{ MANUAL_PEERS("{\"id\":2,\"endpoint\":\"" KEY_A "\",\"psk\":\"" KEY_B "\"}", ""),
	  "InvalidEndpoint", "peers[0].endpoint", "key-like hex run, not shown" },
	{ MANUAL(",\"user\":\"Root\""), "InvalidUser", "user", "\"Root\"" },
	{ MANUAL(",\"user\":\"\""), "InvalidUser", "user", "\"\"" },
	{ MANUAL(",\"user\":\"a/b\""), "InvalidUser", "user", "\"a/b\"" },
	{ MANUAL(",\"user\":7"), "WrongType", "user", "expected string" },
	{ MANUAL_PEERS("{\"id\":2,\"endpoint\":\"203.0.113.2:1\",\"psk\":\"" KEY_A "\",\"name\":"
		       "\"0123456789012345678901234567890123456789012345678\"}", ""),
	  "PeerNameTooLong", "peers[0].name", "\"0123456789012345678901234567890123456789012345678\"" },
	{ MANUAL_PEERS("{\"id\":2,\"endpoint\":\"203.0.113.2:1\",\"psk\":\"" KEY_A "\",\"name\":"
		       "\"bj\\u0007gw\"}", ""),
	  "PeerNameNotPrintable", "peers[0].name", "\"bj\\x07gw\"" },
	{ MANUAL_PEERS("{\"id\":2,\"endpoint\":\"203.0.113.2:1\",\"psk\":\"" KEY_A "\",\"name\":"
		       "\"caf\\u00e9\"}", ""),
	  "PeerNameNotPrintable", "peers[0].name", "0xc3" },
	{ MANUAL(",\"listen_ports\":[]"), "TooManyListenPorts", "listen_ports", "0 ports" },
	{ MANUAL(",\"listen_ports\":[1,2,3,4,5,6,7,8,9]"), "TooManyListenPorts", "listen_ports",
	  "9 ports" },
	{ MANUAL(",\"listen_ports\":[18020,18023,18020]"), "DuplicateListenPort",
	  "listen_ports[2]", "18020" },

	/* validation, in the documented order */
	{ "{}", "InvalidPsk", "peers", "no peers" },
	{ "{\"role\":\"spoke\",\"local_tun_ip\":\"10.0.0.2/24\"}", "InvalidPsk", "peers", NULL },
	{ MANUAL_PEERS(P3 "," PEER(2, "203.0.113.2:1", "10.0.0.2/32", KEY_ZERO), ""),
	  "InvalidPsk", "peers[1].psk", "all zeros" },
	{ MANUAL_PEERS(P2 "," P3 "," PEER(4, "203.0.113.4:1", "10.0.0.4/32", KEY_A), ""),
	  "DuplicatePsk", "peers[2].psk", "peers[0]" },
	{ MANUAL_PEERS(P2 "," PEER(4, "203.0.113.4:1", "10.0.0.4/32", KEY_A_UPPER), ""),
	  "DuplicatePsk", "peers[1].psk", NULL },
	{ MANUAL(",\"local_tun_mtu\":67"), "MtuOutOfRange", "local_tun_mtu", "67" },
	{ MANUAL(",\"local_tun_mtu\":1501"), "MtuOutOfRange", "local_tun_mtu", "1501" },
	{ MANUAL(",\"local_tun_mtu\":0"), "MtuOutOfRange", "local_tun_mtu", "0 is outside 68..1500" },
	{ "{\"local_id\":65536,\"peers\":[" P2 "]}", "PeerIdOutOfRange", "local_id",
	  "65536 is outside 1..65535, or 0 on a node without peers" },
	{ MANUAL_PEERS(P2 "," PEER(70000, "203.0.113.7:1", "10.0.0.7/32", KEY_C), ""),
	  "PeerIdOutOfRange", "peers[1].id", "70000 is outside 1..65535" },
	{ HUB(P2 ",{\"id\":3,\"endpoint\":\"203.0.113.3:1\",\"psk\":\"" KEY_B "\"}", ""),
	  "HubPeerNeedsAllowedSrc", "peers[1].allowed_src", "\"0.0.0.0/0\"" },
	/* checked for every peer before any overlap */
	{ HUB(PEER(2, "203.0.113.2:1", "10.0.0.0/24", KEY_A) "," P3 ","
	      PEER(4, "203.0.113.4:1", "0.0.0.0/0", KEY_C), ""),
	  "HubPeerNeedsAllowedSrc", "peers[2].allowed_src", "peer id 4" },
	{ HUB(P2 "," PEER(3, "203.0.113.3:1", "10.0.0.0/30", KEY_B), ""),
	  "HubAllowedSrcOverlap", "peers[1].allowed_src", "\"10.0.0.0/30\" overlaps peers[0].allowed_src \"10.0.0.2/32\"" },
	{ SPOKE(HUB_TO_SPOKE(KEY_A) "," P3, ",\"local_tun_ip\":\"10.0.0.2/24\""),
	  "SpokeNeedsOneHub", "peers", "2 peers" },
	{ SPOKE(HUB_TO_SPOKE(KEY_A), ""), "SpokeMissingLocal", "local_routes", "local_tun_ip" },
	{ SPOKE(HUB_TO_SPOKE(KEY_A), ",\"local_tun_ip\":\"\""), "SpokeMissingLocal",
	  "local_routes", NULL },
	{ SPOKE(HUB_TO_SPOKE(KEY_A), ",\"local_routes\":[\"10.0.0.2/32\",\"0.0.0.0/0\"]"),
	  "SpokeLocalRouteTooBroad", "local_routes[1]", "\"0.0.0.0/0\"" },
	{ MANUAL_PEERS(P2 "," PEER(0, "203.0.113.9:1", "10.0.0.9/32", KEY_C), ""),
	  "ReservedPeerId", "peers[1].id", NULL },
	{ "{\"peers\":[" P2 "]}", "MissingLocalId", "local_id", NULL },
	{ "{\"local_id\":0,\"peers\":[" P2 "]}", "MissingLocalId", "local_id", NULL },
	{ MANUAL_PEERS(P2 "," PEER(1, "203.0.113.9:1", "10.0.0.9/32", KEY_C), ""),
	  "SelfReference", "peers[1].id", "1 is this node's local_id" },
	{ MANUAL_PEERS(P2 "," P3 "," PEER(3, "203.0.113.9:1", "10.0.0.9/32", KEY_C), ""),
	  "DuplicateId", "peers[2].id", "3 is also peers[1].id" },
	{ MANUAL_PEERS(P2 "," PEER(3, "203.0.113.2:18020", "10.0.0.3/32", KEY_B), ""),
	  "DuplicateEndpoint", "peers[1].endpoint", "\"203.0.113.2:18020\"" },

	/* order: the earlier rule wins when several are broken */
	{ "{\"local_tun_mtu\":9000,\"local_id\":99999,\"peers\":[" P2 "," P2 "]}", "DuplicatePsk",
	  "peers[1].psk", NULL },
	{ "{\"local_tun_mtu\":9000,\"local_id\":99999,\"peers\":[" P2 "]}", "MtuOutOfRange",
	  "local_tun_mtu", NULL },
	{ "{\"role\":\"hub\",\"local_id\":99999,\"peers\":[" P2 "," P2 "]}", "DuplicatePsk",
	  "peers[1].psk", NULL },
	{ "{\"role\":\"spoke\",\"local_id\":99999,\"peers\":[" P2 "," P3 "]}", "PeerIdOutOfRange",
	  "local_id", NULL },
	{ SPOKE(HUB_TO_SPOKE(KEY_A) "," P3, ""), "SpokeNeedsOneHub", "peers", NULL },
	{ HUB(PEER(1, "203.0.113.9:1", "0.0.0.0/0", KEY_C), ""), "HubPeerNeedsAllowedSrc",
	  "peers[0].allowed_src", NULL },
};

static void test_error_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(err_cases); i++) {
		const struct err_case *tc = &err_cases[i];

		snprintf(case_desc, sizeof(case_desc), "error case %zu (%s at \"%s\")", i, tc->name,
			 tc->path);
		expect_error(tc->json, tc->name, tc->path, tc->want_text);
	}
	case_desc[0] = '\0';
}

static void test_syntax_error_line_column(void **state)
{
	const char *json = "{\n"
			   "  \"role\": \"hub\",\n"
			   "  \"local_id\": 1,,\n"
			   "  \"peers\": []\n"
			   "}\n";
	const char *truncated = "{\n  \"role\": \"hub\",\n  \"local_id\": 1\n";

	(void)state;
	expect_error(json, "SyntaxError", "", "line 3, column 17");
	expect_error(truncated, "SyntaxError", "", "line 4, column 1");
	expect_error("{\"a\":\n  tru}", "SyntaxError", "", "line 2, column 6");
}

/* A NUL inside the text ends the document early: never silently ignored. */
static void test_embedded_nul(void **state)
{
	static const char json[] = "{}\0{\"junk\":1}";
	static const char in_str[] = "{\"role\":\"hub\0\"}";

	(void)state;
	expect_error_hosts(json, sizeof(json) - 1, NULL, 0, "SyntaxError", "", "line 1, column 3");
	expect_error_hosts(in_str, sizeof(in_str) - 1, NULL, 0, "SyntaxError", "", NULL);
}

static void test_too_many_peers(void **state)
{
	size_t cap = (size_t)(MAX_PEERS + 2) * 160 + 64;
	char *json = malloc(cap);
	size_t n = 0;

	(void)state;
	assert_non_null(json);
	n += (size_t)snprintf(json + n, cap - n, "{\"local_id\":1,\"peers\":[");
	for (int i = 0; i <= MAX_PEERS; i++)
		n += (size_t)snprintf(json + n, cap - n,
				      "%s{\"id\":%d,\"endpoint\":\"203.0.113.9:%d\",\"psk\":\"%064x\"}",
				      i ? "," : "", i + 2, i + 1, i + 1);
	snprintf(json + n, cap - n, "]}");

	expect_error(json, "TooManyPeers", "peers", "at most");

	/* exactly MAX_PEERS is fine */
	n = (size_t)snprintf(json, cap, "{\"local_id\":1,\"peers\":[");
	for (int i = 0; i < MAX_PEERS; i++)
		n += (size_t)snprintf(json + n, cap - n,
				      "%s{\"id\":%d,\"endpoint\":\"203.0.113.9:%d\",\"psk\":\"%064x\"}",
				      i ? "," : "", i + 2, i + 1, i + 1);
	snprintf(json + n, cap - n, "]}");
	expect_ok(json);
	assert_int_equal(cfg.n_peers, MAX_PEERS);
	free(json);
}

/* A hand-built config with an impossible count is refused before any loop reads it. */
static void test_too_many_peers_validate(void **state)
{
	struct config_error e;

	(void)state;
	expect_ok(MANUAL(""));
	cfg.n_peers = MAX_PEERS + 1;
	assert_int_equal(config_validate(&cfg, LABEL, &e), -1);
	check_error(&e, LABEL, "TooManyPeers", "peers", "at most");
}

static void test_subnet_overlap(void **state)
{
	const struct cidr wide = { ip(10, 0, 0, 0), 16 };
	const struct cidr lan = { ip(192, 168, 1, 0), 24 };
	const struct cidr vs = { ip(10, 0, 0, 0), 24 };
	const struct cidr both[] = { lan, wide };
	struct config_error e;
	const char *json = MANUAL("");

	(void)state;
	/* the pure rule */
	assert_true(config_subnet_overlaps(&vs, &wide, 1));
	assert_false(config_subnet_overlaps(&vs, &lan, 1));
	assert_true(config_subnet_overlaps(&vs, both, 2));
	assert_false(config_subnet_overlaps(&vs, NULL, 0));

	/* through validation, with its name and path */
	expect_error_hosts(json, strlen(json), both, 2, "SubnetOverlap", "virtual_subnet",
			   "\"10.0.0.0/24\"");
	assert_int_equal(config_parse(&cfg, LABEL, json, strlen(json), &e), 0);
	assert_int_equal(config_validate_hosts(&cfg, LABEL, &lan, 1, &e), 0);
	/* the daemon's entry point passes no host subnets, as upstream does */
	assert_int_equal(config_validate(&cfg, LABEL, &e), 0);
}

/* --check/config-lint --path-mtu N: local_tun_mtu above N - 64, both numbers named. */
static void test_path_mtu(void **state)
{
	struct config_error e;

	(void)state;
	expect_ok(quick_spoke_a); /* local_tun_mtu 1436 */
	assert_int_equal(config_validate_path_mtu(&cfg, LABEL, 1500, &e), 0);
	assert_int_equal(config_validate_path_mtu(&cfg, LABEL, 9000, &e), 0);
	assert_int_equal(config_validate_path_mtu(&cfg, LABEL, 1499, &e), -1);
	check_error(&e, LABEL, "MtuTooLargeForPath", "local_tun_mtu",
		    "1436 exceeds 1435, the most a 1499-byte path carries");
	assert_int_equal(config_validate_path_mtu(&cfg, LABEL, 1420, &e), -1);
	check_error(&e, LABEL, "MtuTooLargeForPath", "local_tun_mtu", "set local_tun_mtu to 1356 or less");
	/* a path too small for any tunnel says so */
	assert_int_equal(config_validate_path_mtu(&cfg, LABEL, 100, &e), -1);
	check_error(&e, LABEL, "MtuTooLargeForPath", "local_tun_mtu",
		    "too small for any tunnel, which needs a path MTU of at least 132");
	assert_int_equal(config_validate_path_mtu(&cfg, LABEL, 40, &e), -1);
	check_error(&e, LABEL, "MtuTooLargeForPath", "local_tun_mtu", "exceeds 0 (40 - 64");
	cfg.local_tun_mtu = 68;
	assert_int_equal(config_validate_path_mtu(&cfg, LABEL, 132, &e), 0);
	assert_int_equal(config_validate_path_mtu(&cfg, LABEL, 131, &e), -1);
}

/*
 * "configure_interface" is optional, a strict boolean, default true; false
 * changes the digest, the default does not: a snapshot saved before the
 * field existed still matches (the Quick Start spoke's digest, pinned).
 */
static void test_configure_interface(void **state)
{
	static const char pinned[] =
		"65f6105b9caa28f1d0ec632511b002d13386d4c1f56857cb29e86fa6756847ef";
	uint8_t d[CONFIG_DIGEST_LEN];
	char hex[2 * CONFIG_DIGEST_LEN + 1];

	(void)state;
	expect_ok(quick_spoke_a);
	assert_true(cfg.configure_interface);
	config_digest(&cfg, d);
	for (size_t i = 0; i < sizeof(d); i++)
		snprintf(hex + 2 * i, 3, "%02x", d[i]);
	assert_string_equal(hex, pinned);
	expect_ok(MANUAL(",\"configure_interface\":false"));
	assert_false(cfg.configure_interface);
	expect_ok(MANUAL(",\"configure_interface\":true"));
	assert_true(cfg.configure_interface);
}

static void test_file_too_large_parse(void **state)
{
	char *big = malloc((size_t)CONFIG_MAX + 1);

	(void)state;
	assert_non_null(big);
	memset(big, ' ', (size_t)CONFIG_MAX + 1);
	big[0] = '{';
	big[CONFIG_MAX] = '}';
	expect_error_hosts(big, (size_t)CONFIG_MAX + 1, NULL, 0, "FileTooLarge", "", "bytes");
	free(big);
}

/* ---- accepted configs ---- */

static void assert_ports(const struct config *c, const uint16_t *want, size_t n)
{
	assert_int_equal(c->n_listen_ports, n);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(c->listen_ports[i], want[i]);
}

static const uint16_t hub_ports[] = { 18020, 18023, 18026 };
static const uint16_t spoke_ports[] = { 18020 };

static void test_quick_start_hub(void **state)
{
	(void)state;
	expect_ok(quick_hub);
	assert_int_equal(cfg.role, ROLE_HUB);
	assert_int_equal(cfg.negotiation_version, 1);
	assert_int_equal(cfg.local_id, 1);
	assert_ports(&cfg, hub_ports, 3);
	assert_int_equal(cfg.keepalive_secs, 0);
	assert_int_equal(cfg.local_tun_mtu, 1436);
	assert_true(cfg.obfuscate);
	assert_true(cfg.configure_interface);
	assert_false(cfg.has_local_tun_ip);
	assert_int_equal(cfg.virtual_subnet.addr, ip(10, 0, 0, 0));
	assert_int_equal(cfg.virtual_subnet.prefix, 24);
	assert_int_equal(cfg.n_peers, 2);
	assert_int_equal(cfg.peers[0].id, 2);
	assert_int_equal(cfg.peers[0].endpoint.addr, ip(203, 0, 113, 2));
	assert_int_equal(cfg.peers[0].endpoint.port, 18020);
	assert_int_equal(cfg.peers[0].allowed_src.addr, ip(10, 0, 0, 2));
	assert_int_equal(cfg.peers[0].allowed_src.prefix, 32);
	assert_int_equal(cfg.peers[0].psk[0], 0x44);
	assert_int_equal(cfg.peers[0].psk[31], 0xa4);
	assert_string_equal(cfg.peers[0].name, "");
	assert_int_equal(cfg.peers[1].id, 3);
	assert_int_equal(cfg.peers[1].psk[0], 0xd1);
	assert_int_equal(cfg.n_local_routes, 0);
	assert_int_equal(cfg.n_remote_routes, 0);
	assert_string_equal(role_name(cfg.role), "hub");
}

static void check_spoke(const char *json, uint32_t local_id, uint32_t addr, uint8_t psk0)
{
	expect_ok(json);
	assert_int_equal(cfg.role, ROLE_SPOKE);
	assert_int_equal(cfg.local_id, local_id);
	assert_ports(&cfg, spoke_ports, 1);
	assert_int_equal(cfg.keepalive_secs, 20);
	assert_int_equal(cfg.local_tun_mtu, 1436);
	assert_true(cfg.obfuscate);
	assert_true(cfg.has_local_tun_ip);
	assert_int_equal(cfg.local_tun_ip.addr, addr);
	assert_int_equal(cfg.local_tun_ip.prefix, 24);
	assert_int_equal(cfg.n_local_routes, 1);
	assert_int_equal(cfg.local_routes[0].addr, addr);
	assert_int_equal(cfg.local_routes[0].prefix, 32);
	assert_int_equal(cfg.n_peers, 1);
	assert_int_equal(cfg.peers[0].id, 1);
	assert_int_equal(cfg.peers[0].endpoint.addr, ip(203, 0, 113, 1));
	assert_int_equal(cfg.peers[0].allowed_src.prefix, 24);
	assert_int_equal(cfg.peers[0].psk[0], psk0);
}

static void test_quick_start_spokes(void **state)
{
	(void)state;
	check_spoke(quick_spoke_a, 2, ip(10, 0, 0, 2), 0x44);
	check_spoke(quick_spoke_b, 3, ip(10, 0, 0, 3), 0xd1);
}

/* role may come last: the role-aware defaults wait for the whole object */
static void test_role_after_defaults(void **state)
{
	(void)state;
	expect_ok("{\"local_id\":2,\"local_tun_ip\":\"10.0.0.2/24\",\"peers\":["
		  HUB_TO_SPOKE(KEY_A) "],\"role\":\"spoke\"}");
	assert_ports(&cfg, spoke_ports, 1);
	assert_int_equal(cfg.keepalive_secs, 20);

	expect_ok("{\"local_id\":1,\"peers\":[" P2 "],\"role\":\"hub\"}");
	assert_ports(&cfg, hub_ports, 3);
	assert_int_equal(cfg.keepalive_secs, 0);

	expect_ok(MANUAL(""));
	assert_int_equal(cfg.role, ROLE_MANUAL);
	assert_ports(&cfg, hub_ports, 3);
	assert_int_equal(cfg.keepalive_secs, 0);
}

static void test_listen_port_alias(void **state)
{
	const uint16_t one[] = { 19000 };
	const uint16_t two[] = { 18020, 18023 };

	(void)state;
	expect_ok(MANUAL(",\"listen_port\":19000"));
	assert_ports(&cfg, one, 1);
	expect_ok(SPOKE(HUB_TO_SPOKE(KEY_A), ",\"listen_port\":19000,\"local_tun_ip\":\"10.0.0.2/24\""));
	assert_ports(&cfg, one, 1);
	/* ignored when listen_ports is present, in either order */
	expect_ok(MANUAL(",\"listen_port\":19000,\"listen_ports\":[18020,18023]"));
	assert_ports(&cfg, two, 2);
	expect_ok(MANUAL(",\"listen_ports\":[18020,18023],\"listen_port\":19000"));
	assert_ports(&cfg, two, 2);
	/* explicit list on a spoke wins over the role default */
	expect_ok(SPOKE(HUB_TO_SPOKE(KEY_A),
			",\"listen_ports\":[18020,18023,18026],\"local_tun_ip\":\"10.0.0.2/24\""));
	assert_ports(&cfg, hub_ports, 3);
	expect_ok(MANUAL(",\"listen_ports\":[1,2,3,4,5,6,7,65535]"));
	assert_int_equal(cfg.n_listen_ports, 8);
	assert_int_equal(cfg.listen_ports[7], 65535);
}

static void test_explicit_values(void **state)
{
	(void)state;
	expect_ok(SPOKE(HUB_TO_SPOKE(KEY_A), ",\"keepalive_secs\":0,\"local_routes\":[\"10.0.0.2/32\"]"));
	assert_int_equal(cfg.keepalive_secs, 0);
	assert_false(cfg.has_local_tun_ip);
	expect_ok(HUB(P2, ",\"keepalive_secs\":30,\"obfuscate\":false,\"local_tun_mtu\":1356,"
			  "\"negotiation_version\":1,\"psk\":\"\",\"local_tun_ip\":\"\""));
	assert_int_equal(cfg.keepalive_secs, 30);
	assert_false(cfg.obfuscate);
	assert_int_equal(cfg.local_tun_mtu, 1356);
	assert_false(cfg.has_local_tun_ip);
	assert_int_equal(cfg.workers, 1);
	expect_ok(MANUAL(",\"workers\":1"));
	assert_int_equal(cfg.workers, 1);
	expect_ok(MANUAL(",\"workers\":16"));
	assert_int_equal(cfg.workers, MAX_WORKERS);
	expect_ok(HUB(P2, ",\"workers\":2"));
	assert_int_equal(cfg.workers, 2);
	expect_ok(MANUAL(",\"local_tun_mtu\":68"));
	expect_ok(NO_LOCAL_ID(",\"local_tun_mtu\":1500,\"local_id\":65535"));
	assert_int_equal(cfg.local_id, 65535);
	/* host bits of a CIDR are kept as given */
	expect_ok(MANUAL(",\"virtual_subnet\":\"10.9.8.7/16\",\"remote_routes\":[\"192.168.3.0/24\"]"));
	assert_int_equal(cfg.virtual_subnet.addr, ip(10, 9, 8, 7));
	assert_int_equal(cfg.n_remote_routes, 1);
}

static void test_peer_defaults_and_name(void **state)
{
	(void)state;
	expect_ok(MANUAL_PEERS("{\"id\":2,\"endpoint\":\"203.0.113.2:1\",\"psk\":\"" KEY_A_UPPER
			       "\",\"name\":\"bj-office-gw ~!\"},"
			       "{\"id\":3,\"endpoint\":\"203.0.113.3:1\",\"psk\":\"" KEY_B "\"}", ""));
	assert_int_equal(cfg.peers[0].allowed_src.addr, 0);
	assert_int_equal(cfg.peers[0].allowed_src.prefix, 0);
	assert_string_equal(cfg.peers[0].name, "bj-office-gw ~!");
	assert_int_equal(cfg.peers[0].psk[0], 0x44); /* upper-case hex decodes too */
	assert_string_equal(cfg.peers[1].name, "");
	expect_ok(MANUAL_PEERS("{\"id\":2,\"endpoint\":\"203.0.113.2:1\",\"psk\":\"" KEY_A
			       "\",\"name\":\"012345678901234567890123456789012345678901234567\"}", ""));
	assert_int_equal(strlen(cfg.peers[0].name), PEER_NAME_MAX);
	/* manual skips the hub/spoke structure rules */
	expect_ok(MANUAL_PEERS(PEER(2, "203.0.113.2:1", "0.0.0.0/0", KEY_A) ","
			       PEER(3, "203.0.113.3:1", "0.0.0.0/0", KEY_B), ""));
}

static void test_defaults(void **state)
{
	struct config_error e;

	(void)state;
	config_defaults(&cfg);
	assert_int_equal(cfg.negotiation_version, 1);
	assert_int_equal(cfg.local_tun_mtu, DEFAULT_TUN_MTU);
	assert_int_equal(cfg.virtual_subnet.addr, ip(10, 0, 0, 0));
	assert_int_equal(cfg.virtual_subnet.prefix, 24);
	assert_false(cfg.has_local_tun_ip);
	assert_int_equal(cfg.local_id, 0);
	assert_int_equal(cfg.n_peers, 0);
	assert_int_equal(cfg.role, ROLE_MANUAL);
	assert_int_equal(cfg.keepalive_secs, 0);
	assert_true(cfg.obfuscate);
	assert_true(cfg.configure_interface);
	assert_int_equal(cfg.workers, 1);
	assert_ports(&cfg, hub_ports, 3);
	assert_int_equal(config_validate(&cfg, LABEL, &e), -1);
	check_error(&e, LABEL, "InvalidPsk", "peers", NULL);
}

static void test_role_names(void **state)
{
	(void)state;
	assert_string_equal(role_name(ROLE_MANUAL), "manual");
	assert_string_equal(role_name(ROLE_HUB), "hub");
	assert_string_equal(role_name(ROLE_SPOKE), "spoke");
}

static void test_error_format(void **state)
{
	struct config_error e = { .file = "config.json", .path = "peers[1].psk",
				  .name = "InvalidPsk", .detail = "expected 64 hex characters" };
	char buf[300];

	(void)state;
	config_error_format(&e, buf, sizeof(buf));
	assert_string_equal(buf, "config.json: peers[1].psk: InvalidPsk: expected 64 hex characters");
	e.path[0] = '\0';
	e.name = "FileTooLarge";
	snprintf(e.detail, sizeof(e.detail), "larger than 65536 bytes");
	config_error_format(&e, buf, sizeof(buf));
	assert_string_equal(buf, "config.json: FileTooLarge: larger than 65536 bytes");
	config_error_format(&e, buf, 8); /* truncates, stays terminated */
	assert_string_equal(buf, "config.");
}

static void test_wipe(void **state)
{
	(void)state;
	expect_ok(quick_hub);
	config_wipe(&cfg);
	for (size_t i = 0; i < MAX_PEERS; i++) {
		for (size_t j = 0; j < WIRE_PSK_LEN; j++)
			assert_int_equal(cfg.peers[i].psk[j], 0);
	}
}

/* A failed parse leaves no key bytes behind. */
static void test_failed_parse_wipes(void **state)
{
	struct config_error e;
	const char *json = MANUAL_PEERS(P2 "," P3 ",{\"id\":4}", "");
	const uint8_t *bytes = (const uint8_t *)&cfg;

	(void)state;
	memset(&cfg, 0x5a, sizeof(cfg));
	assert_int_equal(config_parse(&cfg, LABEL, json, strlen(json), &e), -1);
	for (size_t i = 0; i < sizeof(cfg); i++)
		assert_int_equal(bytes[i], 0);
}

/* ---- config_load ---- */

static char tmpdir[64];

static void write_file(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static int setup_tmpdir(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/subnetra-test-config.XXXXXX");
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int teardown_tmpdir(void **state)
{
	const char *names[] = { "config.json", "big.json", "exact.json", "spoke.json", "dup.json" };
	char p[128];

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(names); i++) {
		snprintf(p, sizeof(p), "%s/%s", tmpdir, names[i]);
		unlink(p);
	}
	return rmdir(tmpdir);
}

static void test_load_missing_explicit(void **state)
{
	struct config_error e;
	char p[128];

	(void)state;
	snprintf(p, sizeof(p), "%s/nope.json", tmpdir);
	assert_int_equal(config_load(&cfg, p, &e), -1);
	check_error(&e, p, "FileUnreadable", "", "No such file or directory");
}

static void test_load_directory(void **state)
{
	struct config_error e;

	(void)state;
	assert_int_equal(config_load(&cfg, tmpdir, &e), -1);
	check_error(&e, tmpdir, "FileUnreadable", "", "a directory, not a regular file");
}

/*
 * A FIFO at the config path is refused at once: opening it for reading used
 * to wait for a writer, so whoever could plant it stopped the daemon's (or
 * --check's) start.  With nothing ever writing, a wait would hang the test.
 */
static void test_load_fifo(void **state)
{
	struct config_error e;
	char p[128];

	(void)state;
	snprintf(p, sizeof(p), "%s/fifo.json", tmpdir);
	assert_int_equal(mkfifo(p, 0600), 0);
	assert_int_equal(config_load(&cfg, p, &e), -1);
	check_error(&e, p, "FileUnreadable", "", "a FIFO, not a regular file");
	unlink(p);
}

/* A symbolic link the operator made is followed: the config path is theirs. */
static void test_load_through_symlink(void **state)
{
	struct config_error e;
	char p[128], link[128];

	(void)state;
	snprintf(p, sizeof(p), "%s/spoke.json", tmpdir);
	snprintf(link, sizeof(link), "%s/link.json", tmpdir);
	write_file(p, quick_spoke_a, strlen(quick_spoke_a));
	assert_int_equal(symlink(p, link), 0);
	assert_int_equal(config_load(&cfg, link, &e), 0);
	assert_int_equal(cfg.local_id, 2);
	unlink(link);
}

/*
 * config_digest: equal for equal configs and for a PSK change (secrets never
 * enter it), different after a change of any other field.
 */
static void test_digest(void **state)
{
	struct config a, b;
	struct config_error e;
	uint8_t da[CONFIG_DIGEST_LEN], db[CONFIG_DIGEST_LEN];

	(void)state;
	assert_int_equal(config_parse(&a, LABEL, quick_spoke_a, strlen(quick_spoke_a), &e), 0);
	b = a;
	config_digest(&a, da);
	config_digest(&b, db);
	assert_memory_equal(da, db, sizeof(da));
	b.peers[0].psk[0] ^= 1;
	config_digest(&b, db);
	assert_memory_equal(da, db, sizeof(da));

#define CHANGED(stmt)                                          \
	do {                                                   \
		b = a;                                         \
		stmt;                                          \
		config_digest(&b, db);                         \
		if (memcmp(da, db, sizeof(da)) == 0)           \
			fail_msg("digest unchanged by: %s", #stmt); \
	} while (0)
	CHANGED(b.local_tun_mtu++);
	CHANGED(b.listen_ports[0]++);
	CHANGED(b.n_listen_ports++);
	CHANGED(b.virtual_subnet.prefix++);
	CHANGED(b.has_local_tun_ip = !b.has_local_tun_ip);
	CHANGED(b.local_tun_ip.addr++);
	CHANGED(b.local_id++);
	CHANGED(b.role = ROLE_HUB);
	CHANGED(b.local_routes[0].addr++);
	CHANGED(b.n_remote_routes = 1);
	CHANGED(b.keepalive_secs++);
	CHANGED(b.obfuscate = !b.obfuscate);
	CHANGED(b.configure_interface = false);
	CHANGED(strcpy(b.user, "nobody"));
	CHANGED(b.workers++);
	CHANGED(b.n_peers = 0);
	CHANGED(b.peers[0].id++);
	CHANGED(b.peers[0].endpoint.port++);
	CHANGED(b.peers[0].allowed_src.prefix--);
	CHANGED(strcpy(b.peers[0].name, "hub"));
#undef CHANGED
	config_wipe(&a);
	config_wipe(&b);
}

static void test_load_too_large(void **state)
{
	char *big = malloc((size_t)CONFIG_MAX + 1);
	struct config_error e;
	char p[128];

	(void)state;
	assert_non_null(big);
	/* exactly CONFIG_MAX bytes is accepted */
	memcpy(big, quick_spoke_a, strlen(quick_spoke_a));
	memset(big + strlen(quick_spoke_a), ' ', (size_t)CONFIG_MAX - strlen(quick_spoke_a));
	snprintf(p, sizeof(p), "%s/exact.json", tmpdir);
	write_file(p, big, CONFIG_MAX);
	assert_int_equal(config_load(&cfg, p, &e), 0);
	assert_int_equal(cfg.local_id, 2);
	/* one byte more is not */
	big[CONFIG_MAX] = ' ';
	snprintf(p, sizeof(p), "%s/big.json", tmpdir);
	write_file(p, big, (size_t)CONFIG_MAX + 1);
	assert_int_equal(config_load(&cfg, p, &e), -1);
	check_error(&e, p, "FileTooLarge", "", "65536");
	free(big);
}

static void test_load_ok_and_invalid(void **state)
{
	const char *dup = MANUAL_PEERS(P2 "," P3 "," PEER(3, "203.0.113.9:1", "10.0.0.9/32", KEY_C), "");
	struct config_error e;
	char p[128];

	(void)state;
	snprintf(p, sizeof(p), "%s/spoke.json", tmpdir);
	write_file(p, quick_spoke_b, strlen(quick_spoke_b));
	assert_int_equal(config_load(&cfg, p, &e), 0);
	assert_int_equal(cfg.local_id, 3);
	assert_int_equal(cfg.peers[0].psk[0], 0xd1);

	/* parses, fails validation: error names the file, cfg is wiped */
	snprintf(p, sizeof(p), "%s/dup.json", tmpdir);
	write_file(p, dup, strlen(dup));
	assert_int_equal(config_load(&cfg, p, &e), -1);
	check_error(&e, p, "DuplicateId", "peers[2].id", NULL);
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(cfg.peers[i].psk[0] | cfg.peers[i].psk[31], 0);
}

/* path NULL: ./config.json, else the compiled-in default (which is refused) */
static void test_load_default_path(void **state)
{
	struct config_error e;
	char cwd[4096];
	char p[128];
	int rc;

	(void)state;
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(tmpdir), 0);
	rc = config_load(&cfg, NULL, &e);
	assert_int_equal(chdir(cwd), 0);
	assert_int_equal(rc, -1);
	check_error(&e, "config.json", "InvalidPsk", "peers", "compiled-in default");
	assert_non_null(strstr(e.detail, "not found"));

	snprintf(p, sizeof(p), "%s/config.json", tmpdir);
	write_file(p, quick_hub, strlen(quick_hub));
	assert_int_equal(chdir(tmpdir), 0);
	rc = config_load(&cfg, NULL, &e);
	assert_int_equal(chdir(cwd), 0);
	assert_int_equal(rc, 0);
	assert_int_equal(cfg.role, ROLE_HUB);
	assert_int_equal(cfg.n_peers, 2);

	/* a broken ./config.json is an error, never a fallback to the default */
	write_file(p, "{", 1);
	assert_int_equal(chdir(tmpdir), 0);
	rc = config_load(&cfg, NULL, &e);
	assert_int_equal(chdir(cwd), 0);
	assert_int_equal(rc, -1);
	check_error(&e, "config.json", "SyntaxError", "", "line 1, column 2");
}

/* Runs last: every error name above was produced by at least one test. */
static void test_every_error_name_covered(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(all_names); i++) {
		if (!name_seen[i])
			fail_msg("no test produced %s", all_names[i]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_error_table),
		cmocka_unit_test(test_syntax_error_line_column),
		cmocka_unit_test(test_embedded_nul),
		cmocka_unit_test(test_too_many_peers),
		cmocka_unit_test(test_too_many_peers_validate),
		cmocka_unit_test(test_subnet_overlap),
		cmocka_unit_test(test_path_mtu),
		cmocka_unit_test(test_configure_interface),
		cmocka_unit_test(test_file_too_large_parse),
		cmocka_unit_test(test_quick_start_hub),
		cmocka_unit_test(test_quick_start_spokes),
		cmocka_unit_test(test_role_after_defaults),
		cmocka_unit_test(test_listen_port_alias),
		cmocka_unit_test(test_explicit_values),
		cmocka_unit_test(test_peer_defaults_and_name),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_role_names),
		cmocka_unit_test(test_error_format),
		cmocka_unit_test(test_wipe),
		cmocka_unit_test(test_failed_parse_wipes),
		cmocka_unit_test(test_load_missing_explicit),
		cmocka_unit_test(test_load_directory),
		cmocka_unit_test(test_load_fifo),
		cmocka_unit_test(test_load_through_symlink),
		cmocka_unit_test(test_digest),
		cmocka_unit_test(test_load_too_large),
		cmocka_unit_test(test_load_ok_and_invalid),
		cmocka_unit_test(test_load_default_path),
		cmocka_unit_test(test_every_error_name_covered),
	};

	return cmocka_run_group_tests_name("config", tests, setup_tmpdir, teardown_tmpdir);
}
