/*
 * subnetra-config-lint: offline validation of one or more config files with
 * the daemon's own code: config_load (strict parse + every validation and
 * registry rule, in order), then the start-up steps that can still fail on a
 * config -- the peer registry with its key derivation and the role-derived
 * policy -- run with a fixed synthetic boot epoch (WIRE_MIN_EPOCH), so the
 * verdict never depends on this machine's clock.  Nothing is bound, created
 * or sent.
 *
 * Output (interfaces.md §10), one verdict per file:
 *   config-lint: <path>: OK (role=<r>, local_id=<id>, peers=<n>, mtu=<m>, udp_ports={ …
 * }) config-lint: <path>: FAILED (<ErrorName>) <file>: <field path>: <ErrorName>: <detail
 * quoting the value> or one JSON document with --json.  Key material is never printed.
 */
#include <errno.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <json-c/json.h>

#include "cliargs.h"
#include "config.h"
#include "peer.h"
#include "policy.h"
#include "roles.h"
#include "version.h"

enum {
	EXIT_OK = 0,
	EXIT_FAILED = 1,
	EXIT_USAGE = 2,
	MSG_MAX = 768,
	LINT_SCHEMA_VERSION = 1,
};

static const char synopsis[] = "usage: subnetra-config-lint [--json] FILE...\n"
			       "       subnetra-config-lint --version | --help\n";

static const char usage_rest[] =
    "Validates each config file offline with the daemon's own parser and rules\n"
    "(the same as `subnetrad --check`), plus the peer registry and the\n"
    "role-derived policy, using a fixed synthetic boot epoch: the result does\n"
    "not depend on the clock.  Nothing is bound, created or sent.\n"
    "\n"
    "  --json          one JSON document instead of text lines\n"
    "  --version, -V   print the version and exit\n"
    "  --help, -h      print this help and exit\n"
    "\n"
    "Text output, one verdict per file (stdout):\n"
    "  config-lint: FILE: OK (role=R, local_id=N, peers=N, mtu=N, udp_ports={ P, ... })\n"
    "  config-lint: FILE: FAILED (ErrorName)\n"
    "    FILE: field.path: ErrorName: detail quoting the offending value\n"
    "A file other users can read (it holds keys) gets a warning on stderr.\n"
    "\n"
    "exit status: 0 every file OK, 1 some file FAILED, 2 usage error\n";

struct options {
	bool json;
	int first_file;
};

struct lint_result {
	bool ok;
	struct config_error err; /* when !ok */
	char warning[256];	 /* "" when none */
};

#define usage_error(...) cliarg_usage_error("subnetra-config-lint", synopsis, __VA_ARGS__)

static int parse_args(int argc, char **argv, struct options *o)
{
	int i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			printf("%s\n%s", synopsis, usage_rest);
			return EXIT_OK;
		} else if (strcmp(a, "--version") == 0 || strcmp(a, "-V") == 0) {
			printf("subnetra-config-lint v%s\n", SUBNETRA_VERSION);
			return EXIT_OK;
		} else if (strcmp(a, "--json") == 0) {
			o->json = true;
		} else if (strcmp(a, "--") == 0) {
			i++;
			break;
		} else if (a[0] == '-' && a[1] != '\0') {
			return usage_error("unknown option '%s'", a);
		} else {
			break;
		}
	}
	if (i >= argc)
		return usage_error("no config file given");
	for (int j = i; j < argc; j++)
		if (argv[j][0] == '\0')
			return usage_error("empty file name");
	o->first_file = i;
	return -1;
}

static void set_error(struct config_error *err, const char *file, const char *name,
		      const char *detail)
{
	memset(err, 0, sizeof(*err));
	snprintf(err->file, sizeof err->file, "%s", file);
	err->name = name;
	snprintf(err->detail, sizeof err->detail, "%s", detail);
}

/*
 * The daemon's start-up up to (not including) the first socket: load and
 * validate, derive every key for the synthetic epoch, derive the policy.
 */
static void lint_file(const char *path, struct config *cfg, struct peer_table *peers,
		      struct policy *pol, struct lint_result *res)
{
	struct stat st;

	memset(res, 0, sizeof(*res));
	if (config_load(cfg, path, &res->err) < 0)
		return;
	peer_table_init(peers, cfg, WIRE_MIN_EPOCH);
	policy_init(pol);
	if (roles_derive_policy(cfg, pol) < 0) {
		set_error(&res->err, path, "PolicyOutOfSpace",
			  "the role-derived policy does not fit the policy table");
		goto out;
	}
	res->ok = true;
	if (stat(path, &st) == 0 && (st.st_mode & (S_IRGRP | S_IROTH)))
		snprintf(res->warning, sizeof res->warning,
			 "readable by other users (mode %04o) and holds secret keys; "
			 "chmod 600",
			 (unsigned)(st.st_mode & 07777));
out:
	peer_table_wipe(peers);
}

static void print_text(const char *path, const struct config *cfg,
		       const struct lint_result *res)
{
	char msg[MSG_MAX];

	if (!res->ok) {
		config_error_format(&res->err, msg, sizeof msg);
		printf("config-lint: %s: FAILED (%s)\n  %s\n", path,
		       res->err.name ? res->err.name : "Error", msg);
		return;
	}
	printf("config-lint: %s: OK (role=%s, local_id=%" PRIu32 ", peers=%zu, mtu=%u, "
	       "udp_ports={ ",
	       path, role_name(cfg->role), cfg->local_id, cfg->n_peers,
	       cfg->local_tun_mtu);
	for (size_t i = 0; i < cfg->n_listen_ports; i++)
		printf("%s%u", i ? ", " : "", cfg->listen_ports[i]);
	printf(" })\n");
	if (res->warning[0])
		fprintf(stderr, "config-lint: %s: warning: %s %s\n", path, res->warning,
			path);
}

static json_object *json_result(const char *path, const struct config *cfg,
				const struct lint_result *res)
{
	json_object *o = json_object_new_object();
	char msg[MSG_MAX];

	json_object_object_add(o, "path", json_object_new_string(path));
	json_object_object_add(o, "ok", json_object_new_boolean(res->ok));
	if (res->ok) {
		json_object *ports = json_object_new_array();
		json_object *warnings = json_object_new_array();

		json_object_object_add(o, "role",
				       json_object_new_string(role_name(cfg->role)));
		json_object_object_add(o, "local_id",
				       json_object_new_int64(cfg->local_id));
		json_object_object_add(o, "peers",
				       json_object_new_int64((int64_t)cfg->n_peers));
		json_object_object_add(o, "mtu", json_object_new_int(cfg->local_tun_mtu));
		for (size_t i = 0; i < cfg->n_listen_ports; i++)
			json_object_array_add(ports,
					      json_object_new_int(cfg->listen_ports[i]));
		json_object_object_add(o, "udp_ports", ports);
		json_object_object_add(o, "obfuscate",
				       json_object_new_boolean(cfg->obfuscate));
		if (res->warning[0])
			json_object_array_add(warnings,
					      json_object_new_string(res->warning));
		json_object_object_add(o, "warnings", warnings);
	} else {
		json_object *e = json_object_new_object();

		config_error_format(&res->err, msg, sizeof msg);
		json_object_object_add(
		    e, "name",
		    json_object_new_string(res->err.name ? res->err.name : "Error"));
		json_object_object_add(e, "file", json_object_new_string(res->err.file));
		json_object_object_add(e, "field", json_object_new_string(res->err.path));
		json_object_object_add(e, "detail",
				       json_object_new_string(res->err.detail));
		json_object_object_add(e, "message", json_object_new_string(msg));
		json_object_object_add(o, "error", e);
	}
	return o;
}

int main(int argc, char **argv)
{
	struct options o = {0};
	struct config *cfg = NULL;
	struct peer_table *peers = NULL;
	struct policy *pol = NULL;
	json_object *doc = NULL, *files = NULL;
	bool all_ok = true;
	int rc = parse_args(argc, argv, &o);

	if (rc >= 0)
		return rc;
	if (sodium_init() < 0) {
		fprintf(stderr,
			"subnetra-config-lint: libsodium initialisation failed\n");
		return EXIT_FAILED;
	}
	cfg = calloc(1, sizeof(*cfg));
	peers = calloc(1, sizeof(*peers));
	pol = calloc(1, sizeof(*pol));
	if (cfg == NULL || peers == NULL || pol == NULL) {
		fprintf(stderr, "subnetra-config-lint: out of memory\n");
		rc = EXIT_FAILED;
		goto out;
	}
	if (o.json) {
		doc = json_object_new_object();
		files = json_object_new_array();
	}
	for (int i = o.first_file; i < argc; i++) {
		struct lint_result res;

		lint_file(argv[i], cfg, peers, pol, &res);
		all_ok = all_ok && res.ok;
		if (o.json)
			json_object_array_add(files, json_result(argv[i], cfg, &res));
		else
			print_text(argv[i], cfg, &res);
		config_wipe(cfg);
	}
	if (o.json) {
		json_object_object_add(doc, "schema_version",
				       json_object_new_int(LINT_SCHEMA_VERSION));
		json_object_object_add(doc, "ok", json_object_new_boolean(all_ok));
		json_object_object_add(doc, "files", files);
		printf("%s\n",
		       json_object_to_json_string_ext(
			   doc, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
				    JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(doc);
	}
	rc = all_ok ? EXIT_OK : EXIT_FAILED;
out:
	if (cfg != NULL)
		config_wipe(cfg);
	free(cfg);
	free(peers);
	free(pol);
	return rc;
}
