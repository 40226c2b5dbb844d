/*
 * subnetra-mgmtd: the management server.  A thin front: a table of
 * subcommands, one option parser for all of them (each accepts only its
 * own options), then the command (init.c, admin.c, server.c).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <sodium.h>

#include "common/cliargs.h"
#include "core/version.h"
#include "mgmt/commands.h"
#include "mgmt/mgmtd.h"

static const char prog[] = "subnetra-mgmtd";

static const char synopsis[] =
	"usage: subnetra-mgmtd COMMAND --db PATH [OPTION]...\n"
	"       subnetra-mgmtd migrate --from DB --to DB [--force]\n"
	"       subnetra-mgmtd --version | --help\n";

static const char help_text[] =
	"The subnetra management server.\n"
	"\n"
	"Commands:\n"
	"  init     --db PATH --admin EMAIL [--dir DIR] [--tls-cert FILE --tls-key FILE]\n"
	"           [--host NAME]... [--force]\n"
	"           Create an instance: the database, the instance signing key, the\n"
	"           pepper and a self-signed TLS certificate in DIR (default: the\n"
	"           database's directory; existing key files are kept, never\n"
	"           replaced), and the first admin account, whose one-time password\n"
	"           is printed once.  --host: a DNS name or address for the\n"
	"           certificate (default: localhost, 127.0.0.1, ::1 and this host's\n"
	"           name).  --force: replace an existing database (a copy is kept at\n"
	"           PATH.pre-init-TIME).\n"
	"  serve    --db PATH [--dir DIR] [--tls-cert FILE --tls-key FILE]\n"
	"           [--admin-listen ADDR:PORT] [--device-listen ADDR:PORT]\n"
	"           [--max-connections N]\n"
	"           Run the server (also: run) until SIGTERM or SIGINT.  Admin\n"
	"           listener (TLS): default 0.0.0.0:8443; device listener (plain\n"
	"           HTTP): default 0.0.0.0:8080; port 0 picks a free port (logged).\n"
	"           Default --max-connections: 8192 per listener.\n"
	"  backup   --db PATH --out FILE [--force]\n"
	"           A consistent copy of the database, safe while the server runs.\n"
	"  restore  --db PATH --from FILE\n"
	"           Replace the database's content with a backup's (the server must\n"
	"           be stopped; a copy of the old content is kept at\n"
	"           PATH.pre-restore-TIME).\n"
	"  status   --db PATH [--json]\n"
	"           Schema version, instance key, accounts.\n"
	"  settings --db PATH [--name NAME] [--base-server HOST:UDP:TCP:PUBKEYHEX]...\n"
	"           [--mgmt-address FC94ADDR] [--dashboard-url URL] [--valid-days N]\n"
	"           Change the license settings (also while the server runs; the\n"
	"           license serial moves with every change), then show them.\n"
	"           --base-server (up to 8) replaces the list.  license.json is\n"
	"           served once the base servers and the management address are set.\n"
	"  settings show --db PATH\n"
	"           Show the license settings.\n"
	"  migrate  --from DB --to DB [--force]\n"
	"           Copy an instance's database to another (a SQLite file or a\n"
	"           postgresql:// URL, either way), every table and row with its\n"
	"           ids, then verify the copy (row counts and checksums).  Both\n"
	"           servers stopped; the source at this build's schema version,\n"
	"           only read; the target's schema is created, and it must hold\n"
	"           no instance (--force: replace its content).  Serve the target\n"
	"           with the same --dir (instance key, pepper, certificate).\n"
	"\n"
	"Exit codes: 0 success, 1 runtime failure (I/O, TLS, a listener), 2 usage\n"
	"error, 3 refused (an instance or file exists, the database is in use),\n"
	"4 database error (missing, not a database, unknown schema, a failed\n"
	"migration).\n";

enum opt {
	O_DB = 1 << 0,
	O_ADMIN = 1 << 1,
	O_DIR = 1 << 2,
	O_TLS = 1 << 3,
	O_HOST = 1 << 4,
	O_FORCE = 1 << 5,
	O_OUT = 1 << 6,
	O_FROM = 1 << 7,
	O_LISTEN = 1 << 8,
	O_MAXCONN = 1 << 9,
	O_JSON = 1 << 10,
	O_SETTINGS = 1 << 11,
	O_TO = 1 << 12,
};

static const struct command {
	const char *name;
	int (*run)(const struct mgmt_args *a);
	unsigned opts;
} commands[] = {
	{ "init", cmd_init, O_DB | O_ADMIN | O_DIR | O_TLS | O_HOST | O_FORCE },
	{ "serve", cmd_serve, O_DB | O_DIR | O_TLS | O_LISTEN | O_MAXCONN },
	{ "run", cmd_serve, O_DB | O_DIR | O_TLS | O_LISTEN | O_MAXCONN },
	{ "backup", cmd_backup, O_DB | O_OUT | O_FORCE },
	{ "restore", cmd_restore, O_DB | O_FROM },
	{ "status", cmd_status, O_DB | O_JSON },
	{ "settings", cmd_settings, O_DB | O_SETTINGS },
	{ "migrate", cmd_migrate, O_FROM | O_TO | O_FORCE },
};

/* One row per option (a table: its rows share a shape, not logic). */
static const struct option longopts[] = {
	{ "db", required_argument, NULL, O_DB },
	{ "admin", required_argument, NULL, O_ADMIN },
	{ "dir", required_argument, NULL, O_DIR },
	{ "tls-cert", required_argument, NULL, 'c' },
	{ "tls-key", required_argument, NULL, 'k' },
	{ "host", required_argument, NULL, O_HOST },
	{ "force", no_argument, NULL, O_FORCE },
	{ "out", required_argument, NULL, O_OUT },
	{ "from", required_argument, NULL, O_FROM },
	{ "to", required_argument, NULL, O_TO },
	{ "admin-listen", required_argument, NULL, 'a' },
	{ "device-listen", required_argument, NULL, 'd' },
	{ "max-connections", required_argument, NULL, O_MAXCONN },
	{ "json", no_argument, NULL, O_JSON },
	{ "name", required_argument, NULL, 'n' },
	{ "base-server", required_argument, NULL, 'b' },
	{ "mgmt-address", required_argument, NULL, 'm' },
	{ "dashboard-url", required_argument, NULL, 'u' },
	{ "valid-days", required_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* The option bit of a getopt_long value. */
static unsigned bit_of(int c)
{
	switch (c) {
	case 'c':
	case 'k':
		return O_TLS;
	case 'a':
	case 'd':
		return O_LISTEN;
	case 'n':
	case 'b':
	case 'm':
	case 'u':
	case 'v':
		return O_SETTINGS;
	default:
		return (unsigned)c;
	}
}

#define usage(...) cliarg_usage_error(prog, synopsis, __VA_ARGS__)

/* Options of cmd into a; a usage error's exit code, or 0. */
static int parse(const struct command *cmd, int argc, char **argv, struct mgmt_args *a)
{
	int c;

	opterr = 0;
	optind = 2;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (c == '?')
			return usage("unknown option or missing value: '%s'", argv[optind - 1]);
		if (c == 'h') {
			fputs(help_text, stdout);
			return -1;
		}
		if ((cmd->opts & bit_of(c)) == 0)
			return usage("option '%s' does not apply to this command", argv[optind - 1]);
		switch (c) {
		case O_DB: a->db = optarg; break;
		case O_ADMIN: a->admin = optarg; break;
		case O_DIR: a->dir = optarg; break;
		case 'c': a->tls_cert = optarg; break;
		case 'k': a->tls_key = optarg; break;
		case O_FORCE: a->force = true; break;
		case O_OUT: a->out = optarg; break;
		case O_FROM: a->from = optarg; break;
		case O_TO: a->to = optarg; break;
		case 'a': a->admin_listen = optarg; break;
		case 'd': a->device_listen = optarg; break;
		case O_JSON: a->json = true; break;
		case 'n': a->name = optarg; break;
		case 'm': a->mgmt_address = optarg; break;
		case 'u': a->dashboard_url = optarg; break;
		case 'b':
			if (a->n_bases == sizeof a->bases / sizeof a->bases[0])
				return usage("at most 8 --base-server, one too many: '%s'", optarg);
			a->bases[a->n_bases++] = optarg;
			break;
		case 'v':
			if (!cliarg_uint(optarg, 1, 3650, &a->valid_days))
				return usage("--valid-days wants 1..3650, got '%s'", optarg);
			break;
		case O_HOST:
			if (a->n_hosts == TLSCERT_NAMES_MAX)
				return usage("at most 16 --host names, one too many: '%s'", optarg);
			a->hosts[a->n_hosts++] = optarg;
			break;
		case O_MAXCONN:
			if (!cliarg_uint(optarg, 1, 1000000, &a->conn_limit))
				return usage("--max-connections wants 1..1000000, got '%s'", optarg);
			break;
		}
	}
	if (optind < argc)
		return usage("unexpected argument '%s'", argv[optind]);
	if ((cmd->opts & O_TO) == 0 && (a->db == NULL || a->db[0] == '\0'))
		return usage("%s needs --db PATH", cmd->name);
	if ((a->tls_cert == NULL) != (a->tls_key == NULL))
		return usage("%s", "--tls-cert and --tls-key go together");
	if ((cmd->opts & O_ADMIN) && a->admin == NULL)
		return usage("%s needs --admin EMAIL", cmd->name);
	if ((cmd->opts & O_OUT) && a->out == NULL)
		return usage("%s needs --out FILE", cmd->name);
	if ((cmd->opts & O_FROM) && a->from == NULL)
		return usage("%s needs --from %s", cmd->name, (cmd->opts & O_TO) ? "DB" : "FILE");
	if ((cmd->opts & O_TO) && (a->to == NULL || a->to[0] == '\0'))
		return usage("%s needs --to DB", cmd->name);
	if ((cmd->opts & O_TO) && strcmp(a->from, a->to) == 0)
		return usage("%s", "migrate: --from and --to name the same database");
	if ((cmd->opts & O_SETTINGS) && a->show &&
	    (a->name || a->n_bases || a->mgmt_address || a->dashboard_url || a->valid_days))
		return usage("%s", "settings show takes no setting to change");
	if ((cmd->opts & O_SETTINGS) && !a->show &&
	    !(a->name || a->n_bases || a->mgmt_address || a->dashboard_url || a->valid_days))
		return usage("%s", "settings needs a setting to change (or: settings show)");
	return 0;
}

int main(int argc, char **argv)
{
	struct mgmt_args a = { .conn_limit = MGMT_CONN_LIMIT_DEFAULT };
	const struct command *cmd = NULL;
	int rc;

	if (argc < 2)
		return usage("%s", "a command is required");
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fputs(synopsis, stdout);
		fputs(help_text, stdout);
		return MGMT_EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("subnetra-mgmtd %s\n", SUBNETRA_VERSION);
		return MGMT_EXIT_OK;
	}
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			cmd = &commands[i];
	if (cmd == NULL)
		return usage("unknown command '%s'", argv[1]);
	/* "settings show": a word, not an option; the options follow it. */
	if (cmd->run == cmd_settings && argc > 2 && strcmp(argv[2], "show") == 0) {
		a.show = true;
		argv[2] = argv[1];
		argv++;
		argc--;
	}
	rc = parse(cmd, argc, argv, &a);
	if (rc != 0)
		return rc < 0 ? MGMT_EXIT_OK : rc;
	if (sodium_init() < 0) {
		fprintf(stderr, "%s: libsodium would not initialise\n", prog);
		return MGMT_EXIT_FAIL;
	}
	/* Every file this program creates (database, keys, backups) is the owner's only. */
	umask(077);
	return cmd->run(&a);
}
