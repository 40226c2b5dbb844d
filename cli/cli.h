/*
 * What the parts of subnetra (the control tool) share: a parsed request,
 * the command table's row, one exchange with the daemon and the exit codes.
 *   main.c     the command table, --help, dispatch
 *   request.c  the socket client: one request, one reply
 *   status.c   status, status --json, metrics
 *   policy.c   policy add/replace and their check with the daemon
 *   daemon.c   save and reload
 *   mesh.c     whitelist and hosts (mesh mode)
 *   identity.c identity new/show/import (local: no daemon)
 *   agent.c    agent (the management agent, src/agent) and agent status
 *   join.c     setup-server, join, leave: requests to the agent
 */
#ifndef SUBNETRA_CLI_H
#define SUBNETRA_CLI_H

#include <stdbool.h>
#include <stddef.h>

#include "core/bounds.h"
#include "core/ctlproto.h"
#include "core/ctlreply.h"

#define DEFAULT_SOCK "/run/subnetra/subnetra.sock"
#define DEFAULT_CONFIG "/etc/subnetra/config.json"

enum exit_code {
	EXIT_OK = 0,
	EXIT_FAIL = 1,	/* daemon down, timed out, or reported a failure */
	EXIT_USAGE = 2, /* bad command line */
};

/* + slack: a reply is never cut just because a daemon's estimate differs. */
enum { REPLY_MAX = CTL_REPLY_MAX + 8192 };

struct request {
	const char *sock_path;
	struct ctl_cmd parsed;
	char line[CTL_MAX_LINE + 1];
	size_t len;
};

/* Commands answer with 0 or a failure the daemon reported in its reply. */
typedef bool (*reply_failed_fn)(const char *reply, size_t len);

struct command {
	enum ctl_kind kind;
	const char *name;
	int (*handler)(const struct command *cmd, const struct request *req);
	reply_failed_fn reply_failed; /* NULL: any reply is a success */
	int fail_code;		      /* the exit code of such a failure */
	const char *help;
};

/*
 * How an exchange with the daemon went, beyond the exit code: metrics
 * prints "subnetra_up 0" only when the daemon is really not there.
 */
enum link {
	LINK_OK,
	LINK_DOWN,    /* not running, or no answer in time */
	LINK_REFUSED, /* permission denied, or another local error */
};

/*
 * One exchange with the daemon: line sent and, with reply != NULL, the
 * answer received into reply (*n bytes).  Prints what went wrong; returns
 * the exit code, *link saying how the daemon was reached.
 */
int exchange(const struct request *req, const char *line, size_t len, char *reply,
	     size_t cap, size_t *n, enum link *link);
/* Print a reply; the command's exit code for it. */
int print_reply(const struct command *cmd, const char *reply, size_t n);
bool starts_with(const char *s, size_t len, const char *prefix);

/* Handlers (command.handler): each returns the exit code. */
int cmd_send(const struct command *cmd, const struct request *req);    /* no reply */
int cmd_request(const struct command *cmd, const struct request *req); /* prints it */
int cmd_metrics(const struct command *cmd, const struct request *req);
int cmd_send_rule(const struct command *cmd, const struct request *req);
int cmd_mesh(const struct command *cmd, const struct request *req); /* whitelist, hosts */

/*
 * A command group run locally, never sent to the daemon: run gets the
 * arguments after the group's word ("identity"); returns the exit code.
 */
struct local_command {
	const char *group;
	const char *name; /* as --help shows it */
	int (*run)(int argc, char **argv);
	const char *help;
};
int cmd_identity(int argc, char **argv);
int cmd_agent(int argc, char **argv);
int cmd_setup_server(int argc, char **argv);
int cmd_join(int argc, char **argv);
int cmd_leave(int argc, char **argv);

/* $SUBNETRA_SOCK, or DEFAULT_SOCK. */
const char *sock_path(void);

/* What the agent and the commands that talk to it take from the mesh config. */
struct agent_env {
	char state_dir[256];
	char stem[96];     /* the control socket's name without .sock */
	char url[257];     /* management.url, or "" */
	char code[73];     /* management.join_code, or "" (secret) */
	char identity_file[256];
};
/* The mesh config at path (NULL: DEFAULT_CONFIG) into *e: EXIT_OK, or EXIT_FAIL (printed). */
int agent_env_load(const char *path, struct agent_env *e);
/* The running agent's pid (agent.pid in state_dir, alive), or 0. */
long agent_pid(const struct agent_env *e);
/* agent.status into *s: true when it exists and parses. */
struct agent_state;
bool agent_state_read(const struct agent_env *e, struct agent_state *s);

/* Failures a daemon reports in its reply (command.reply_failed). */
bool status_failed(const char *reply, size_t len);
bool metrics_failed(const char *reply, size_t len);
bool check_failed(const char *reply, size_t len);
bool save_failed(const char *reply, size_t len);
bool reload_failed(const char *reply, size_t len);

#endif
