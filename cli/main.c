/*
 * subnetra: the control tool.  A thin client: it joins its arguments into one
 * request line, checks it with the daemon's own grammar (ctlproto), sends it
 * as one datagram to the control socket and, for commands that answer,
 * prints the reply as is.  Behaviour follows interface reference §4.  This
 * file holds the command table, --help and the dispatch; cli.h lists the
 * other parts.
 */
#include "cli/cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cliargs.h"
#include "core/mesh/identity.h"
#include "core/version.h"

#define RULE_FLAGS "--src CIDR --dst CIDR [--action forward|drop] [--target ID]"

/* One row per command, in --help's order (rows alike by shape: they are data). */
static const struct command commands[] = {
    {CTL_STATUS, "status", cmd_request, status_failed, EXIT_FAIL,
     "show daemon health, peers, traffic and drop counters"},
    {CTL_STATUS_JSON, "status --json", cmd_request, status_failed, EXIT_FAIL,
     "the same as one JSON object (schema_version 1)"},
    {CTL_METRICS, "metrics", cmd_metrics, metrics_failed, EXIT_FAIL,
     "the same in the Prometheus text format; 'subnetra_up 0' (exit 1)\n"
     "                  when the daemon is not running or does not answer"},
    {CTL_POLICY_SHOW, "policy show", cmd_request, NULL, EXIT_FAIL,
     "print the active policy as replayable 'policy add' lines"},
    {CTL_POLICY_ADD, "policy add " RULE_FLAGS, cmd_send_rule, NULL, EXIT_FAIL,
     "add one rule (fire-and-forget; the daemon does not answer).\n"
     "                  --action defaults to drop (a note says so); forward needs\n"
     "                  --target: a configured peer id (asked of the daemon\n"
     "                  first), or 0 = this node's TUN; drop takes none.  CIDRs\n"
     "                  must be networks (10.0.0.0/24, not 10.0.0.1/24)"},
    {CTL_POLICY_DEL, "policy del --src CIDR --dst CIDR", cmd_send, NULL, EXIT_FAIL,
     "delete the added rule(s) with exactly this --src and --dst\n"
     "                  (fire-and-forget; the daemon logs a line if none matches;\n"
     "                  the rules derived from the config are not deleted)"},
    {CTL_POLICY_REPLACE, "policy replace " RULE_FLAGS, cmd_send_rule, NULL, EXIT_FAIL,
     "give the added rule with exactly this --src and --dst a new action\n"
     "                  and target, in its place (fire-and-forget, as del)"},
    {CTL_POLICY_FLUSH, "policy flush --added", cmd_send, NULL, EXIT_FAIL,
     "delete every rule added at run time or loaded from the snapshot;\n"
     "                  the rules derived from the config stay (fire-and-forget)"},
    {CTL_POLICY_CHECK, "policy check " RULE_FLAGS, cmd_request, check_failed, EXIT_USAGE,
     "ask the daemon whether it would take this rule: 'ok' (and a note\n"
     "                  when an add would change nothing), or 'refused: why' (exit 2)"},
    {CTL_SAVE, "save", cmd_request, save_failed, EXIT_FAIL,
     "snapshot the active policy to disk; the daemon reloads it at start-up"},
    {CTL_RELOAD, "reload", cmd_request, reload_failed, EXIT_FAIL,
     "read the config file again and apply it (as SIGHUP does): peers,\n"
     "                  keys, endpoints, keepalive, policy; unchanged peers\n"
     "                  keep their sessions; prints what changed"},
    {CTL_WHITELIST_LS, "whitelist ls", cmd_mesh, NULL, EXIT_FAIL,
     "mesh mode: whether the whitelist is enforced, and its addresses"},
    {CTL_WHITELIST_ADD, "whitelist add ADDRESS", cmd_mesh, NULL, EXIT_FAIL,
     "mesh mode: let the node with this fc94:: address complete a\n"
     "                  handshake, at once; saved (exit 2: already listed)"},
    {CTL_WHITELIST_RM, "whitelist rm ADDRESS", cmd_mesh, NULL, EXIT_FAIL,
     "mesh mode: take it off the list and end its session now; saved\n"
     "                  (exit 2: not listed, or only managed)"},
    {CTL_WHITELIST_ENABLE, "whitelist enable", cmd_mesh, NULL, EXIT_FAIL,
     "mesh mode: enforce the list (the default); ends the sessions of\n"
     "                  unlisted nodes; saved"},
    {CTL_WHITELIST_DISABLE, "whitelist disable", cmd_mesh, NULL, EXIT_FAIL,
     "mesh mode: let any node connect; saved"},
    {CTL_HOSTS_LS, "hosts ls", cmd_mesh, NULL, EXIT_FAIL,
     "mesh mode: the names in the hosts file's block, each 'manual' or\n"
     "                  'peer' (from its beacon)"},
    {CTL_HOSTS_ADD, "hosts add ADDRESS NAME", cmd_mesh, NULL, EXIT_FAIL,
     "mesh mode: a manual name for an fc94:: address, written to the\n"
     "                  hosts file now; saved (exit 2: NAME already listed)"},
    {CTL_HOSTS_RM, "hosts rm NAME|ADDRESS", cmd_mesh, NULL, EXIT_FAIL,
     "mesh mode: remove manual names; saved (exit 2: not listed, or\n"
     "                  a peer's or a managed name)"},
    {CTL_MANAGED_LS, "managed ls", cmd_mesh, NULL, EXIT_FAIL,
     "mesh mode: the managed set (from the management agent): its\n"
     "                  version, servers and peers with their names"},
    {CTL_MANAGED_RELOAD, "managed reload", cmd_mesh, NULL, EXIT_FAIL,
     "mesh mode: read <state_dir>/managed again and apply it now;\n"
     "                  'ok version E.S peers N servers M names K' (exit 2: the\n"
     "                  file is refused, with its line; the set in force stays)"},
};

enum { N_COMMANDS = sizeof(commands) / sizeof(commands[0]) };

/* Commands that never reach the daemon; the first word picks the group. */
static const struct local_command local_commands[] = {
    {"identity", "identity new [--out FILE] [--force]", cmd_identity,
     "generate a mesh identity (Ed25519 key pair, fc94:: address) and\n"
     "                  write it, mode 0600, to FILE (default\n"
     "                  " IDENTITY_DEFAULT_PATH "); an existing FILE is kept\n"
     "                  unless --force"},
    {"identity", "identity show [FILE]", cmd_identity,
     "print the address and public key of an identity file (default\n"
     "                  " IDENTITY_DEFAULT_PATH "); never the secret"},
    {"identity", "identity import HUSARNET_ID_FILE [--out FILE] [--force]", cmd_identity,
     "turn a Husarnet id file into an identity file with the same address;\n"
     "                  'subnetra identity --help' has the details"},
    {"agent", "agent [--config FILE]", cmd_agent,
     "the management agent (runs until stopped): keeps the managed whitelist\n"
     "                  and host names in step with the management server"},
    {"agent", "agent status [--json] [--config FILE]", cmd_agent,
     "the agent's server, stage, device, instance, bundle, last contact and\n"
     "                  error, refusal counters ('subnetra agent --help')"},
    {"setup-server", "setup-server URL [--config FILE]", cmd_setup_server,
     "point the agent at a management server (http://[fc94:...]:PORT/)"},
    {"join", "join CODE|--claim [--hostname H] [--config FILE] [--timeout S]", cmd_join,
     "join the management server's fleet with a join code (or --claim: print a\n"
     "                  claim link for an operator to open); waits for the\n"
     "                  answer ('subnetra join --help' has the exit codes)"},
    {"leave", "leave [--config FILE] [--timeout S]", cmd_leave,
     "leave every network of the management server; the managed set empties"},
};

enum { N_LOCAL = sizeof(local_commands) / sizeof(local_commands[0]) };

static const char synopsis[] =
    "usage: subnetra status [--json] | metrics | save | reload | "
    "policy show|add|del|replace|flush|check [FLAGS] | identity new|show|import [ARGS] |\n"
    "                whitelist ls|add|rm|enable|disable [ADDRESS] | hosts ls|add|rm [ARGS] |\n"
    "                managed ls|reload | agent [status] | setup-server URL | join CODE|--claim |\n"
    "                leave [ARGS]\n"
    "       subnetra --version | --help\n";

static void help(void)
{
	printf("%s\ncommands:\n", synopsis);
	for (size_t i = 0; i < N_COMMANDS; i++)
		printf("  %s\n                  %s\n", commands[i].name, commands[i].help);
	printf("\nlocal commands (no daemon needed):\n");
	for (size_t i = 0; i < N_LOCAL; i++)
		printf("  %s\n                  %s\n", local_commands[i].name,
		       local_commands[i].help);
	printf("\n  --version, -V\n                  print the version\n"
	       "  --help, -h\n                  print this help\n"
	       "\nenvironment:\n"
	       "  SUBNETRA_SOCK   control socket path (default " DEFAULT_SOCK ")\n"
	       "\nRun subnetra in the daemon's network namespace: replies come back to an\n"
	       "abstract socket address, which is per namespace.\n"
	       "\nexit status:\n"
	       "  0  success\n"
	       "  1  daemon not running, no response within %d ms, permission denied\n"
	       "     on the socket, or the daemon reported a failure (status\n"
	       "     unavailable, metrics unavailable, save failed, reload failed;\n"
	       "     whitelist/hosts: not a mesh node, no hosts_file, a change\n"
	       "     applied but not saved, the hosts file not written);\n"
	       "     identity: a file could not be read, is not a valid identity (the\n"
	       "     message names the line), exists (no --force) or could not be written\n"
	       "  2  usage error: unknown command, bad flag or value, a rule the\n"
	       "     daemon refuses (policy add/replace/check: --target not a\n"
	       "     configured peer), request longer than %d bytes, socket path\n"
	       "     too long; whitelist/hosts: not an fc94:: address or a valid\n"
	       "     name, already listed, not listed, a peer's name (from its\n"
	       "     beacon); nothing was changed\n",
	       CLIENT_TIMEOUT_MS, CTL_MAX_LINE);
}

#define usage_error(...) cliarg_usage_error("subnetra", synopsis, __VA_ARGS__)

/* Join argv with single spaces.  false if the line would exceed CTL_MAX_LINE. */
static bool join_args(int argc, char **argv, struct request *req)
{
	req->len = 0;
	for (int i = 0; i < argc; i++) {
		size_t n = strlen(argv[i]);
		size_t need = n + (i > 0 ? 1 : 0);

		if (need > CTL_MAX_LINE - req->len)
			return false;
		if (i > 0)
			req->line[req->len++] = ' ';
		memcpy(req->line + req->len, argv[i], n);
		req->len += n;
	}
	req->line[req->len] = '\0';
	return true;
}

int main(int argc, char **argv)
{
	static struct request req;
	char why[CTL_WHY_MAX];
	const char *detail = NULL;
	enum ctl_err e;

	if (argc < 2)
		return usage_error("no command given");
	if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		help();
		return EXIT_OK;
	}
	if (argc == 2 &&
	    (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0)) {
		printf("subnetra v%s\n", SUBNETRA_VERSION);
		return EXIT_OK;
	}

	for (size_t i = 0; i < N_LOCAL; i++)
		if (strcmp(argv[1], local_commands[i].group) == 0)
			return local_commands[i].run(argc - 2, argv + 2);

	if (!join_args(argc - 1, argv + 1, &req))
		return usage_error("request longer than %d bytes", CTL_MAX_LINE);
	/* Checked locally: the daemon ignores a bad line silently. */
	e = ctl_parse_line(req.line, req.len, &req.parsed, &detail);
	if (e == CTL_EMPTY)
		return usage_error("no command given");
	if (e != CTL_OK)
		return usage_error("%s: %s", ctl_err_name(e),
				   detail != NULL ? detail : "invalid request");
	if (!ctl_rule_check(&req.parsed, why, sizeof(why))) {
		fprintf(stderr, "subnetra: InvalidValue: %s; nothing sent\n", why);
		return EXIT_USAGE;
	}

	req.sock_path = sock_path();

	for (size_t i = 0; i < N_COMMANDS; i++)
		if (commands[i].kind == req.parsed.kind)
			return commands[i].handler(&commands[i], &req);
	/* Every ctl_kind has a row; reaching this is a programming error. */
	fprintf(stderr, "subnetra: internal error: no handler for the request\n");
	return EXIT_FAIL;
}
