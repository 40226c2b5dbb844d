/*
 * subnetra-config-lint: offline validation of one or more config files with
 * the daemon's own code: config_load (strict parse + every validation and
 * registry rule, in order), then the start-up steps that can still fail on a
 * config -- the peer registry with its key derivation and the role-derived
 * policy -- run with a fixed synthetic boot epoch (WIRE_MIN_EPOCH), so the
 * verdict never depends on this machine's clock.  Nothing is bound, created
 * or sent.
 *
 * Then, unless --no-host, what start-up would refuse on this host (the
 * config's "user" exists; local_tun_ip and the plan's routes are not in use
 * on another interface) and a virtual_subnet that overlaps the host's
 * addresses or routes -- all errors here, where --check only warns about
 * the overlap (hostcheck.h) -- and, with --path-mtu N, local_tun_mtu above
 * N - 64.
 *
 * Output (interfaces.md §10), one verdict per file:
 *   config-lint: <path>: OK (role=<r>, local_id=<id>, peers=<n>, mtu=<m>, udp_ports={ … })
 *   config-lint: <path>: FAILED (<ErrorName>)
 *     <file>: <field path>: <ErrorName>: <detail quoting the value>   (one line per error)
 * or one JSON document with --json.  Key material is never printed.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <json-c/json.h>
#include <sodium.h>

#include "common/cliargs.h"
#include "core/config.h"
#include "core/hostcheck.h"
#include "core/mesh/identity.h"
#include "core/peer.h"
#include "core/policy.h"
#include "core/roles.h"
#include "core/version.h"
#include "os/linux/config_file.h"
#include "os/linux/mesh_identity.h"
#include "os/linux/netconf.h"
#include "os/linux/privs.h"
#include "os/linux/tun.h"

enum {
	EXIT_OK = 0,
	EXIT_FAILED = 1,
	EXIT_USAGE = 2,
	MSG_MAX = 768,
	LINT_SCHEMA_VERSION = 1,
	LINT_MAX_ERRORS = HOSTCHECK_MAX + 2, /* + user and path MTU */
	LINT_MAX_WARNINGS = 2,
	WARNING_MAX = 256,
};

static const char synopsis[] =
    "usage: subnetra-config-lint [--json] [--path-mtu N] [--no-host] FILE...\n"
    "       subnetra-config-lint --version | --help\n";

static const char usage_rest[] =
    "Validates each config file offline with the daemon's own parser and rules\n"
    "(the same as `subnetrad --check`), plus the peer registry and the\n"
    "role-derived policy, using a fixed synthetic boot epoch: the result does\n"
    "not depend on the clock.  Nothing is bound, created or sent.\n"
    "\n"
    "Then each file is checked against this host, as start-up would: the config's\n"
    "\"user\" must exist; local_tun_ip and the network plan's routes must not be in\n"
    "use on another interface (unless \"configure_interface\" is false); and\n"
    "virtual_subnet must not overlap the host's addresses or routes (the default\n"
    "route aside; an error here, a warning for subnetrad --check).  Run it where\n"
    "the daemon will run: the interface $SUBNETRA_TUN (default snr0) is the\n"
    "daemon's own and not checked.\n"
    "\n"
    "  --json          one JSON document instead of text lines\n"
    "  --path-mtu N    the underlay path MTU (1..65535): local_tun_mtu above\n"
    "                  N - 64 is an error\n"
    "  --no-host       skip the checks against this host (a config for another\n"
    "                  machine)\n"
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
	bool no_host;
	unsigned path_mtu; /* 0: not given */
	const char *tun;   /* the daemon's own interface: never a finding */
	int first_file;
};

struct lint_result {
	bool ok;
	struct config_error errs[LINT_MAX_ERRORS]; /* when !ok; errs[0] is the verdict */
	size_t n_errs;
	size_t more_errs; /* beyond LINT_MAX_ERRORS */
	char warnings[LINT_MAX_WARNINGS][WARNING_MAX];
	size_t n_warnings;
	char address[IDENTITY_ADDR_TEXT]; /* mesh and base: "" unless the identity was read */
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
		} else if (strcmp(a, "--no-host") == 0) {
			o->no_host = true;
		} else if (strcmp(a, "--path-mtu") == 0) {
			if (++i == argc)
				return usage_error("missing number after --path-mtu");
			if (!cliarg_uint(argv[i], 1, 65535, &o->path_mtu))
				return usage_error("--path-mtu: expected 1..65535, got '%s'",
						   argv[i]);
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
	o->tun = getenv("SUBNETRA_TUN");
	if (o->tun == NULL || o->tun[0] == '\0') {
		o->tun = "snr0";
	} else if (!o->no_host) {
		char why[96];

		if (!tun_name_valid(o->tun, why, sizeof why)) {
			fprintf(stderr, "subnetra-config-lint: SUBNETRA_TUN: not a usable "
					"interface name: %s\n", why);
			return EXIT_FAILED;
		}
	}
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

static void add_error(struct lint_result *res, const struct config_error *err)
{
	res->ok = false;
	if (res->n_errs == LINT_MAX_ERRORS)
		res->more_errs++;
	else
		res->errs[res->n_errs++] = *err;
}

__attribute__((format(printf, 2, 3))) static void add_warning(struct lint_result *res,
							      const char *fmt, ...)
{
	va_list ap;

	if (res->n_warnings == LINT_MAX_WARNINGS)
		return;
	va_start(ap, fmt);
	vsnprintf(res->warnings[res->n_warnings++], WARNING_MAX, fmt, ap);
	va_end(ap);
}

/*
 * What start-up would refuse on this host, and a virtual_subnet in use on
 * it: every finding is an error here.  A host that cannot be read is a
 * warning (the file is still judged on everything else).
 */
static void lint_host(const char *path, const struct config *cfg, const struct options *o,
		      struct lint_result *res)
{
	struct hostcheck_report rep;
	struct config_error err;
	char why[WARNING_MAX - 32];

	if (!o->no_host && privs_check_user(cfg, path, &err) < 0)
		add_error(res, &err);
	if (o->path_mtu != 0 && config_validate_path_mtu(cfg, path, o->path_mtu, &err) < 0)
		add_error(res, &err);
	if (o->no_host)
		return;
	if (netconf_check_host(cfg, path, o->tun, &rep, why, sizeof why) < 0) {
		add_warning(res, "host checks skipped: %s", why);
		return;
	}
	for (size_t i = 0; i < rep.n; i++)
		add_error(res, &rep.f[i].err);
	res->more_errs += rep.more;
}

/*
 * A mesh or base config: the path MTU when given and, unless --no-host (the
 * identity file is this machine's), the user and the identity file, read
 * as --check reads it.  The host's addresses and routes are not checked.
 */
static void lint_mesh(const char *path, const struct config *cfg, const struct options *o,
		      struct lint_result *res)
{
	struct config_error err;
	struct identity id;
	bool readable;

	res->ok = true;
	if (o->path_mtu != 0 && config_validate_path_mtu(cfg, path, o->path_mtu, &err) < 0)
		add_error(res, &err);
	if (o->no_host)
		return;
	if (privs_check_user(cfg, path, &err) < 0)
		add_error(res, &err);
	if (mesh_identity_load(cfg, path, &id, &readable, &err) < 0) {
		add_error(res, &err);
		return;
	}
	identity_address_format(id.addr, res->address);
	identity_wipe(&id);
	if (readable)
		add_warning(res, "%s is readable by other users and holds a secret key; chmod 600",
			    cfg->mesh.identity_file);
}

/*
 * The daemon's start-up up to (not including) the first socket: load and
 * validate, derive every key for the synthetic epoch, derive the policy.
 */
static void lint_file(const char *path, struct config *cfg, struct peer_table *peers,
		      struct policy *pol, const struct options *o, struct lint_result *res)
{
	struct config_error err;
	struct stat st;

	memset(res, 0, sizeof(*res));
	if (config_load(cfg, path, &err) < 0) {
		add_error(res, &err);
		return;
	}
	if (cfg->mode != CONFIG_MODE_V1) {
		lint_mesh(path, cfg, o, res);
		return;
	}
	peer_table_init(peers, cfg, WIRE_MIN_EPOCH);
	policy_init(pol);
	if (roles_derive_policy(cfg, pol) < 0) {
		set_error(&err, path, "PolicyOutOfSpace",
			  "the role-derived policy does not fit the policy table");
		add_error(res, &err);
		goto out;
	}
	res->ok = true;
	lint_host(path, cfg, o, res);
	if (stat(path, &st) == 0 && (st.st_mode & (S_IRGRP | S_IROTH)))
		add_warning(res,
			    "readable by other users (mode %04o) and holds secret keys; "
			    "chmod 600 %s",
			    (unsigned)(st.st_mode & 07777), path);
out:
	peer_table_wipe(peers);
}

static void print_text(const char *path, const struct config *cfg,
		       const struct lint_result *res)
{
	char msg[MSG_MAX];

	if (!res->ok) {
		printf("config-lint: %s: FAILED (%s)\n", path,
		       res->errs[0].name ? res->errs[0].name : "Error");
		for (size_t i = 0; i < res->n_errs; i++) {
			config_error_format(&res->errs[i], msg, sizeof msg);
			printf("  %s\n", msg);
		}
		if (res->more_errs > 0)
			printf("  ... and %zu more\n", res->more_errs);
		return;
	}
	if (cfg->mode != CONFIG_MODE_V1) {
		printf("config-lint: %s: OK (mode=%s", path, config_mode_name(cfg->mode));
		if (res->address[0] != '\0')
			printf(", address=%s", res->address);
		if (cfg->mode == CONFIG_MODE_BASE)
			printf(", udp_port=%u, probe_port=%u, tcp_port=%u)\n",
			       cfg->mesh.udp_port, cfg->mesh.probe_port, cfg->mesh.tcp_port);
		else
			printf(", mtu=%u, udp_port=%u, bases=%zu)\n", cfg->mesh.mtu,
			       cfg->mesh.udp_port, cfg->mesh.n_bases);
		return;
	}
	printf("config-lint: %s: OK (role=%s, local_id=%" PRIu32 ", peers=%zu, mtu=%u, "
	       "udp_ports={ ",
	       path, role_name(cfg->role), cfg->local_id, cfg->n_peers,
	       cfg->local_tun_mtu);
	for (size_t i = 0; i < cfg->n_listen_ports; i++)
		printf("%s%u", i ? ", " : "", cfg->listen_ports[i]);
	printf(" })\n");
}

static void print_warnings(const char *path, const struct lint_result *res)
{
	for (size_t i = 0; i < res->n_warnings; i++)
		fprintf(stderr, "config-lint: %s: warning: %s\n", path, res->warnings[i]);
}

static json_object *json_error(const struct config_error *err)
{
	json_object *e = json_object_new_object();
	char msg[MSG_MAX];

	config_error_format(err, msg, sizeof msg);
	json_object_object_add(e, "name",
			       json_object_new_string(err->name ? err->name : "Error"));
	json_object_object_add(e, "file", json_object_new_string(err->file));
	json_object_object_add(e, "field", json_object_new_string(err->path));
	json_object_object_add(e, "detail", json_object_new_string(err->detail));
	json_object_object_add(e, "message", json_object_new_string(msg));
	return e;
}

static json_object *json_result(const char *path, const struct config *cfg,
				const struct lint_result *res)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "path", json_object_new_string(path));
	json_object_object_add(o, "ok", json_object_new_boolean(res->ok));
	if (res->ok && cfg->mode != CONFIG_MODE_V1) {
		json_object *warnings = json_object_new_array();

		/* Only mesh and base results have "mode": a v1 result is unchanged. */
		json_object_object_add(o, "mode",
				       json_object_new_string(config_mode_name(cfg->mode)));
		if (res->address[0] != '\0')
			json_object_object_add(o, "address",
					       json_object_new_string(res->address));
		if (cfg->mode == CONFIG_MODE_MESH) {
			json_object_object_add(o, "mtu", json_object_new_int(cfg->mesh.mtu));
			json_object_object_add(o, "bases",
					       json_object_new_int64((int64_t)cfg->mesh.n_bases));
		}
		json_object_object_add(o, "udp_port", json_object_new_int(cfg->mesh.udp_port));
		if (cfg->mode == CONFIG_MODE_BASE) {
			json_object_object_add(o, "probe_port",
					       json_object_new_int(cfg->mesh.probe_port));
			json_object_object_add(o, "tcp_port",
					       json_object_new_int(cfg->mesh.tcp_port));
		}
		for (size_t i = 0; i < res->n_warnings; i++)
			json_object_array_add(warnings,
					      json_object_new_string(res->warnings[i]));
		json_object_object_add(o, "warnings", warnings);
	} else if (res->ok) {
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
		for (size_t i = 0; i < res->n_warnings; i++)
			json_object_array_add(warnings,
					      json_object_new_string(res->warnings[i]));
		json_object_object_add(o, "warnings", warnings);
	} else {
		json_object *all = json_object_new_array();

		/* "error" is the verdict (the first); "errors" lists every one. */
		json_object_object_add(o, "error", json_error(&res->errs[0]));
		for (size_t i = 0; i < res->n_errs; i++)
			json_object_array_add(all, json_error(&res->errs[i]));
		json_object_object_add(o, "errors", all);
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

		lint_file(argv[i], cfg, peers, pol, &o, &res);
		all_ok = all_ok && res.ok;
		if (o.json)
			json_object_array_add(files, json_result(argv[i], cfg, &res));
		else
			print_text(argv[i], cfg, &res);
		if (!o.json)
			print_warnings(argv[i], &res);
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
