/*
 * subnetra: the control tool.  A thin client: it joins its arguments into one
 * request line, checks it with the daemon's own grammar (ctlproto), sends it
 * as one datagram to the control socket and, for commands that answer,
 * prints the reply as is.  Behaviour follows interface reference §4.
 *
 * Socket: an AF_UNIX datagram socket autobound to an abstract address (the
 * daemon replies only to addressable clients) and connected to the daemon's
 * path, so a missing daemon shows up as ENOENT/ECONNREFUSED right away, a
 * full daemon queue is waited for with poll(POLLOUT), and only the daemon's
 * own socket can deliver the reply.  One absolute CLOCK_MONOTONIC deadline
 * bounds the whole exchange.  Abstract addresses are per network namespace,
 * so the tool must run in the daemon's netns (from elsewhere the request
 * arrives but the reply cannot come back: a timeout, whose message says
 * so).  Linux only.
 *
 * policy add and replace stay fire-and-forget, but a forward to a peer is
 * checked first with a "policy check" request, because only the daemon
 * knows which peers are configured: an unknown --target is refused here
 * with exit 2 instead of being installed (or dropped) silently.
 */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/bounds.h"
#include "common/cliargs.h"
#include "core/counters.h"
#include "core/ctlproto.h"
#include "core/ctlreply.h"
#include "core/metrics.h"
#include "core/version.h"
#include "os/linux/clock.h"

#define DEFAULT_SOCK "/run/subnetra/subnetra.sock"

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

static bool starts_with(const char *s, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);

	return len >= n && memcmp(s, prefix, n) == 0;
}

static bool status_failed(const char *reply, size_t len)
{
	return starts_with(reply, len, "status unavailable") ||
	       starts_with(reply, len, "{\"error\":");
}

static bool save_failed(const char *reply, size_t len)
{
	return starts_with(reply, len, "save failed");
}

static bool reload_failed(const char *reply, size_t len)
{
	return !starts_with(reply, len, "reloaded ");
}

static bool metrics_failed(const char *reply, size_t len)
{
	return starts_with(reply, len, "# metrics unavailable");
}

static bool check_failed(const char *reply, size_t len)
{
	return !starts_with(reply, len, "ok");
}

static int cmd_send(const struct command *cmd, const struct request *req);
static int cmd_send_rule(const struct command *cmd, const struct request *req);
static int cmd_request(const struct command *cmd, const struct request *req);
static int cmd_metrics(const struct command *cmd, const struct request *req);

#define RULE_FLAGS "--src CIDR --dst CIDR [--action forward|drop] [--target ID]"

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
};

enum { N_COMMANDS = sizeof(commands) / sizeof(commands[0]) };

static const char synopsis[] =
    "usage: subnetra status [--json] | metrics | save | reload | "
    "policy show|add|del|replace|flush|check [FLAGS]\n"
    "       subnetra --version | --help\n";

static void help(void)
{
	printf("%s\ncommands:\n", synopsis);
	for (size_t i = 0; i < N_COMMANDS; i++)
		printf("  %s\n                  %s\n", commands[i].name, commands[i].help);
	printf("  --version, -V\n                  print the version\n"
	       "  --help, -h\n                  print this help\n"
	       "\nenvironment:\n"
	       "  SUBNETRA_SOCK   control socket path (default " DEFAULT_SOCK ")\n"
	       "\nRun subnetra in the daemon's network namespace: replies come back to an\n"
	       "abstract socket address, which is per namespace.\n"
	       "\nexit status:\n"
	       "  0  success\n"
	       "  1  daemon not running, no response within %d ms, permission denied\n"
	       "     on the socket, or the daemon reported a failure (status\n"
	       "     unavailable, metrics unavailable, save failed, reload failed)\n"
	       "  2  usage error: unknown command, bad flag or value, a rule the\n"
	       "     daemon refuses (policy add/replace/check: --target not a\n"
	       "     configured peer), request longer than %d bytes, socket path\n"
	       "     too long; nothing was changed\n",
	       CLIENT_TIMEOUT_MS, CTL_MAX_LINE);
}

#define usage_error(...) cliarg_usage_error("subnetra", synopsis, __VA_ARGS__)

/*
 * How an exchange with the daemon went, beyond the exit code: metrics
 * prints "subnetra_up 0" only when the daemon is really not there.
 */
enum link {
	LINK_OK,
	LINK_DOWN,    /* not running, or no answer in time */
	LINK_REFUSED, /* permission denied, or another local error */
};

static bool daemon_gone(int err)
{
	return err == ENOENT || err == ECONNREFUSED || err == ECONNRESET;
}

static int report_errno(const struct request *req, const char *what, int err,
			enum link *link)
{
	*link = daemon_gone(err) ? LINK_DOWN : LINK_REFUSED;
	if (daemon_gone(err))
		fprintf(stderr, "subnetra: daemon not running (socket %s)\n",
			req->sock_path);
	else if (err == EACCES || err == EPERM)
		fprintf(stderr,
			"subnetra: %s %s: %s: the socket is only for root and the daemon's "
			"configured user; run subnetra as one of them (e.g. with sudo)\n",
			what, req->sock_path, strerror(err));
	else
		fprintf(stderr, "subnetra: %s %s: %s\n", what, req->sock_path,
			strerror(err));
	return EXIT_FAIL;
}

static int timed_out(const struct request *req, enum link *link)
{
	*link = LINK_DOWN;
	fprintf(stderr,
		"subnetra: no response from daemon (timed out) after %d ms on %s: if "
		"subnetrad runs in another network namespace, run subnetra there too (ip netns "
		"exec NAME subnetra ...), since the reply comes back to an abstract socket "
		"address, which is per namespace; otherwise the daemon is stopped or "
		"overloaded: see its log\n",
		CLIENT_TIMEOUT_MS, req->sock_path);
	return EXIT_FAIL;
}

/*
 * Wait for `events` on fd until the absolute deadline.  1 ready, 0 timed
 * out, -errno on error.  Readiness without the requested event (POLLERR,
 * POLLHUP) is reported as ready too: the following send/recv then returns
 * the socket's pending error instead of spinning here until the deadline.
 */
static int wait_for(int fd, short events, int64_t deadline)
{
	for (;;) {
		struct pollfd pfd = {.fd = fd, .events = events, .revents = 0};
		int64_t left = deadline - (int64_t)(mono_ns() / 1000000);
		int n;

		if (left <= 0)
			return 0;
		n = poll(&pfd, 1, (int)left);
		if (n < 0) {
			if (errno == EINTR)
				continue; /* the deadline is absolute */
			return -errno;
		}
		if (n > 0 && (pfd.revents & (events | POLLERR | POLLHUP | POLLNVAL)))
			return 1;
	}
}

/* Socket connected to the daemon, or -1 after printing why (exit code in *rc). */
static int open_socket(const struct request *req, int *rc, enum link *link)
{
	struct sockaddr_un self = {.sun_family = AF_UNIX};
	struct sockaddr_un dst = {.sun_family = AF_UNIX};
	size_t plen = strlen(req->sock_path);
	int fd;

	if (plen >= sizeof(dst.sun_path)) {
		fprintf(stderr, "subnetra: socket path too long (max %zu bytes): %s\n",
			sizeof(dst.sun_path) - 1, req->sock_path);
		*rc = EXIT_USAGE;
		*link = LINK_REFUSED;
		return -1;
	}
	memcpy(dst.sun_path, req->sock_path, plen + 1);

	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		*rc = report_errno(req, "socket for", errno, link);
		return -1;
	}
	/* An address length of just the family asks the kernel to autobind. */
	if (bind(fd, (const struct sockaddr *)&self, sizeof(sa_family_t)) < 0) {
		*rc = report_errno(req, "bind for", errno, link);
		goto out_close;
	}
	if (connect(fd, (const struct sockaddr *)&dst,
		    (socklen_t)(offsetof(struct sockaddr_un, sun_path) + plen + 1)) < 0) {
		*rc = report_errno(req, "connect to", errno, link);
		goto out_close;
	}
	return fd;

out_close:
	close(fd);
	return -1;
}

/* Send one line as one datagram before the deadline.  Exit code. */
static int send_line(int fd, const struct request *req, const char *line, size_t len,
		     int64_t deadline, enum link *link)
{
	for (;;) {
		ssize_t n = send(fd, line, len, MSG_NOSIGNAL);
		int w;

		if (n >= 0)
			return EXIT_OK; /* datagrams are never sent in part */
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return report_errno(req, "send to", errno, link);
		/* The daemon's queue is full: wait for room, not forever. */
		w = wait_for(fd, POLLOUT, deadline);
		if (w == 0)
			return timed_out(req, link);
		if (w < 0)
			return report_errno(req, "poll on", -w, link);
	}
}

/*
 * One exchange with the daemon: line sent and, with reply != NULL, the
 * answer received into reply (*n bytes).  Prints what went wrong; returns
 * the exit code, *link saying how the daemon was reached.
 */
static int exchange(const struct request *req, const char *line, size_t len, char *reply,
		    size_t cap, size_t *n, enum link *link)
{
	int64_t deadline = (int64_t)(mono_ns() / 1000000) + CLIENT_TIMEOUT_MS;
	int fd, rc = EXIT_FAIL;
	ssize_t got;

	*link = LINK_OK;
	fd = open_socket(req, &rc, link);
	if (fd < 0)
		return rc;
	rc = send_line(fd, req, line, len, deadline, link);
	if (rc != EXIT_OK || reply == NULL)
		goto out_close;
	for (;;) {
		int w = wait_for(fd, POLLIN, deadline);

		if (w == 0) {
			rc = timed_out(req, link);
			goto out_close;
		}
		if (w < 0) {
			rc = report_errno(req, "poll on", -w, link);
			goto out_close;
		}
		/* MSG_TRUNC returns the real size: a cut reply is not printed. */
		got = recv(fd, reply, cap, MSG_TRUNC);
		if (got >= 0)
			break;
		if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
			continue;
		rc = report_errno(req, "receive from", errno, link);
		goto out_close;
	}
	if ((size_t)got > cap) {
		fprintf(stderr, "subnetra: reply too large (%zd bytes, max %zu)\n", got, cap);
		*link = LINK_REFUSED;
		rc = EXIT_FAIL;
		goto out_close;
	}
	*n = (size_t)got;
out_close:
	close(fd);
	return rc;
}

static int cmd_send(const struct command *cmd, const struct request *req)
{
	enum link link;

	(void)cmd;
	return exchange(req, req->line, req->len, NULL, 0, NULL, &link);
}

static int print_reply(const struct command *cmd, const char *reply, size_t n)
{
	fwrite(reply, 1, n, stdout);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "subnetra: writing the reply: %s\n", strerror(errno));
		return EXIT_FAIL;
	}
	return cmd->reply_failed != NULL && cmd->reply_failed(reply, n) ? cmd->fail_code
									 : EXIT_OK;
}

static int cmd_request(const struct command *cmd, const struct request *req)
{
	static char reply[REPLY_MAX];
	enum link link;
	size_t n = 0;
	int rc = exchange(req, req->line, req->len, reply, sizeof(reply), &n, &link);

	return rc != EXIT_OK ? rc : print_reply(cmd, reply, n);
}

/*
 * A scrape still gets valid exposition text when the daemon is down: the
 * reason is on stderr, stdout says subnetra_up 0, and the exit status is 1.
 * A daemon this user may not talk to is not "down": that is an error of
 * the scrape (stderr and exit 1, nothing on stdout).
 */
static int cmd_metrics(const struct command *cmd, const struct request *req)
{
	static char reply[REPLY_MAX];
	enum link link;
	size_t n = 0;
	int rc = exchange(req, req->line, req->len, reply, sizeof(reply), &n, &link);
	char down[512];

	if (rc == EXIT_OK)
		return print_reply(cmd, reply, n);
	if (link == LINK_DOWN) {
		n = metrics_render_down(down, sizeof(down));
		fwrite(down, 1, n, stdout);
		fflush(stdout);
	}
	return rc;
}

/*
 * Ask the daemon whether it takes the rule of an add (or the target of a
 * replace): only it knows the configured peers.  Prints its notes; returns
 * EXIT_OK, EXIT_USAGE when refused, or the exchange's failure.
 */
static int check_rule(const struct request *req, const char *verb)
{
	static char reply[512];
	struct policy_rule r = req->parsed.rule;
	char line[MAX_RULE_LINE + 16], text[MAX_RULE_LINE];
	const char *p, *end;
	enum link link;
	size_t n = 0;
	int rc;

	/* A replace names an existing rule: only its new target is in question. */
	if (req->parsed.kind == CTL_POLICY_REPLACE)
		r.src = r.dst = (struct cidr){.addr = 0, .prefix = 0};
	if (policy_rule_format(&r, text, sizeof(text)) == 0)
		return EXIT_FAIL; /* cannot happen: a rule line fits MAX_RULE_LINE */
	/* "policy add ...\n" -> "policy check ..." */
	n = (size_t)snprintf(line, sizeof(line), "policy check %s", text + strlen("policy add "));
	rc = exchange(req, line, n - 1, reply, sizeof(reply) - 1, &n, &link);
	if (rc != EXIT_OK)
		return rc;
	reply[n] = '\0';
	if (check_failed(reply, n)) {
		fprintf(stderr, "subnetra: policy %s refused by the daemon, nothing sent: %.*s\n",
			verb, (int)strcspn(reply, "\n"),
			starts_with(reply, n, "refused: ") ? reply + 9 : reply);
		return EXIT_USAGE;
	}
	/* "note:" lines say when an add would change nothing. */
	for (p = reply; req->parsed.kind == CTL_POLICY_ADD && *p != '\0'; p = end + (*end != '\0')) {
		end = p + strcspn(p, "\n");
		if (starts_with(p, (size_t)(end - p), "note: "))
			fprintf(stderr, "subnetra: %.*s\n", (int)(end - p), p);
	}
	return EXIT_OK;
}

/* policy add / replace: checked when it forwards to a peer, then sent. */
static int cmd_send_rule(const struct command *cmd, const struct request *req)
{
	const char *verb = req->parsed.kind == CTL_POLICY_ADD ? "add" : "replace";
	const struct policy_rule *r = &req->parsed.rule;
	char text[MAX_RULE_LINE];
	int rc;

	if (r->action == POLICY_FORWARD && r->target != POLICY_TARGET_LOCAL) {
		rc = check_rule(req, verb);
		if (rc != EXIT_OK)
			return rc;
	}
	rc = cmd_send(cmd, req);
	/* The documented default is easy to miss: say what was sent. */
	if (rc == EXIT_OK && !req->parsed.action_given &&
	    policy_rule_format(r, text, sizeof(text)) > 0)
		fprintf(stderr, "subnetra: note: no --action given, so this is a drop rule: "
				"policy %s %s", verb, text + strlen("policy add "));
	return rc;
}

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
	const char *env;

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

	env = getenv("SUBNETRA_SOCK");
	req.sock_path = env != NULL && env[0] != '\0' ? env : DEFAULT_SOCK;

	for (size_t i = 0; i < N_COMMANDS; i++)
		if (commands[i].kind == req.parsed.kind)
			return commands[i].handler(&commands[i], &req);
	/* Every ctl_kind has a row; reaching this is a programming error. */
	fprintf(stderr, "subnetra: internal error: no handler for the request\n");
	return EXIT_FAIL;
}
