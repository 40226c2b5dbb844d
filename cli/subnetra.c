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
 * so the tool must run in the daemon's netns.  Linux only.
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
#include <time.h>
#include <unistd.h>

#include "bounds.h"
#include "counters.h"
#include "ctlproto.h"
#include "metrics.h"
#include "version.h"

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

static int cmd_send(const struct command *cmd, const struct request *req);
static int cmd_request(const struct command *cmd, const struct request *req);
static int cmd_metrics(const struct command *cmd, const struct request *req);

static const struct command commands[] = {
    {CTL_STATUS, "status", cmd_request, status_failed,
     "show daemon health, peers, traffic and drop counters"},
    {CTL_STATUS_JSON, "status --json", cmd_request, status_failed,
     "the same as one JSON object (schema_version 1)"},
    {CTL_METRICS, "metrics", cmd_metrics, metrics_failed,
     "the same in the Prometheus text format; 'subnetra_up 0' (exit 1)\n"
     "                  when the daemon does not answer"},
    {CTL_POLICY_SHOW, "policy show", cmd_request, NULL,
     "print the active policy as replayable 'policy add' lines"},
    {CTL_POLICY_ADD,
     "policy add --src CIDR --dst CIDR [--action forward|drop] [--target ID]", cmd_send,
     NULL,
     "add one rule (fire-and-forget; the daemon does not answer).\n"
     "                  --action defaults to drop; forward needs --target\n"
     "                  (a peer id, or 0 = this node's TUN); drop takes none"},
    {CTL_SAVE, "save", cmd_request, save_failed,
     "snapshot the active policy to disk; the daemon reloads it at start-up"},
    {CTL_RELOAD, "reload", cmd_request, reload_failed,
     "read the config file again and apply it (as SIGHUP does): peers,\n"
     "                  keys, endpoints, keepalive, policy; unchanged peers\n"
     "                  keep their sessions; prints what changed"},
};

enum { N_COMMANDS = sizeof(commands) / sizeof(commands[0]) };

static void usage(FILE *f)
{
	fprintf(f, "usage: subnetra <command>\n\ncommands:\n");
	for (size_t i = 0; i < N_COMMANDS; i++)
		fprintf(f, "  %s\n                  %s\n", commands[i].name,
			commands[i].help);
	fprintf(f,
		"  --version, -V\n                  print the version\n"
		"  --help, -h\n                  print this help\n"
		"\nenvironment:\n"
		"  SUBNETRA_SOCK   control socket path (default " DEFAULT_SOCK ")\n"
		"\nexit status:\n"
		"  0  success\n"
		"  1  daemon not running, no response within %d ms, or the daemon\n"
		"     reported a failure (status unavailable, metrics unavailable,\n"
		"     save failed, reload failed)\n"
		"  2  usage error: unknown command, bad flag or value, request longer\n"
		"     than %d bytes, socket path too long\n",
		CLIENT_TIMEOUT_MS, CTL_MAX_LINE);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool daemon_gone(int err)
{
	return err == ENOENT || err == ECONNREFUSED || err == ECONNRESET;
}

static int report_errno(const struct request *req, const char *what, int err)
{
	if (daemon_gone(err))
		fprintf(stderr, "subnetra: daemon not running (socket %s)\n",
			req->sock_path);
	else
		fprintf(stderr, "subnetra: %s %s: %s\n", what, req->sock_path,
			strerror(err));
	return EXIT_FAIL;
}

static int timed_out(void)
{
	fprintf(stderr, "subnetra: no response from daemon (timed out)\n");
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
		int64_t left = deadline - now_ms();
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
static int open_socket(const struct request *req, int *rc)
{
	struct sockaddr_un self = {.sun_family = AF_UNIX};
	struct sockaddr_un dst = {.sun_family = AF_UNIX};
	size_t plen = strlen(req->sock_path);
	int fd;

	if (plen >= sizeof(dst.sun_path)) {
		fprintf(stderr, "subnetra: socket path too long (max %zu bytes): %s\n",
			sizeof(dst.sun_path) - 1, req->sock_path);
		*rc = EXIT_USAGE;
		return -1;
	}
	memcpy(dst.sun_path, req->sock_path, plen + 1);

	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		*rc = report_errno(req, "socket for", errno);
		return -1;
	}
	/* An address length of just the family asks the kernel to autobind. */
	if (bind(fd, (const struct sockaddr *)&self, sizeof(sa_family_t)) < 0) {
		*rc = report_errno(req, "bind for", errno);
		goto out_close;
	}
	if (connect(fd, (const struct sockaddr *)&dst,
		    (socklen_t)(offsetof(struct sockaddr_un, sun_path) + plen + 1)) < 0) {
		*rc = report_errno(req, "connect to", errno);
		goto out_close;
	}
	return fd;

out_close:
	close(fd);
	return -1;
}

/* Send the request as one datagram before the deadline.  Exit code. */
static int send_request(int fd, const struct request *req, int64_t deadline)
{
	for (;;) {
		ssize_t n = send(fd, req->line, req->len, MSG_NOSIGNAL);
		int w;

		if (n >= 0)
			return EXIT_OK; /* datagrams are never sent in part */
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return report_errno(req, "send to", errno);
		/* The daemon's queue is full: wait for room, not forever. */
		w = wait_for(fd, POLLOUT, deadline);
		if (w == 0)
			return timed_out();
		if (w < 0)
			return report_errno(req, "poll on", -w);
	}
}

static int cmd_send(const struct command *cmd, const struct request *req)
{
	int64_t deadline = now_ms() + CLIENT_TIMEOUT_MS;
	int fd, rc = EXIT_FAIL;

	(void)cmd;
	fd = open_socket(req, &rc);
	if (fd < 0)
		return rc;
	rc = send_request(fd, req, deadline);
	close(fd);
	return rc;
}

static int cmd_request(const struct command *cmd, const struct request *req)
{
	static char reply[REPLY_MAX];
	int64_t deadline = now_ms() + CLIENT_TIMEOUT_MS;
	ssize_t n;
	int fd, rc = EXIT_FAIL;

	fd = open_socket(req, &rc);
	if (fd < 0)
		return rc;
	rc = send_request(fd, req, deadline);
	if (rc != EXIT_OK)
		goto out_close;

	for (;;) {
		int w = wait_for(fd, POLLIN, deadline);

		if (w == 0) {
			rc = timed_out();
			goto out_close;
		}
		if (w < 0) {
			rc = report_errno(req, "poll on", -w);
			goto out_close;
		}
		/* MSG_TRUNC returns the real size: a cut reply is not printed. */
		n = recv(fd, reply, sizeof(reply), MSG_TRUNC);
		if (n >= 0)
			break;
		if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
			continue;
		rc = report_errno(req, "receive from", errno);
		goto out_close;
	}
	if ((size_t)n > sizeof(reply)) {
		fprintf(stderr, "subnetra: reply too large (%zd bytes, max %zu)\n", n,
			sizeof(reply));
		rc = EXIT_FAIL;
		goto out_close;
	}

	fwrite(reply, 1, (size_t)n, stdout);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "subnetra: writing the reply: %s\n", strerror(errno));
		rc = EXIT_FAIL;
		goto out_close;
	}
	rc = cmd->reply_failed != NULL && cmd->reply_failed(reply, (size_t)n) ? EXIT_FAIL
									      : EXIT_OK;
out_close:
	close(fd);
	return rc;
}

/*
 * A scrape still gets valid exposition text when the daemon is down: the
 * reason is on stderr, stdout says subnetra_up 0, and the exit status is 1.
 */
static int cmd_metrics(const struct command *cmd, const struct request *req)
{
	char down[512];
	int rc = cmd_request(cmd, req);
	size_t n;

	if (rc != EXIT_FAIL)
		return rc; /* success, or a usage error: nothing to scrape */
	n = metrics_render_down(down, sizeof(down));
	fwrite(down, 1, n, stdout);
	fflush(stdout);
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
	const char *detail = NULL;
	struct ctl_cmd parsed;
	enum ctl_err e;
	const char *env;

	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		usage(stdout);
		return EXIT_OK;
	}
	if (argc == 2 &&
	    (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0)) {
		printf("subnetra v%s\n", SUBNETRA_VERSION);
		return EXIT_OK;
	}

	if (!join_args(argc - 1, argv + 1, &req)) {
		fprintf(stderr, "subnetra: request longer than %d bytes\n", CTL_MAX_LINE);
		usage(stderr);
		return EXIT_USAGE;
	}
	/* Checked locally: the daemon ignores a bad line silently. */
	e = ctl_parse_line(req.line, req.len, &parsed, &detail);
	if (e != CTL_OK) {
		if (e == CTL_EMPTY)
			fprintf(stderr, "subnetra: no command given\n");
		else
			fprintf(stderr, "subnetra: %s: %s\n", ctl_err_name(e),
				detail != NULL ? detail : "invalid request");
		usage(stderr);
		return EXIT_USAGE;
	}

	env = getenv("SUBNETRA_SOCK");
	req.sock_path = env != NULL && env[0] != '\0' ? env : DEFAULT_SOCK;

	for (size_t i = 0; i < N_COMMANDS; i++)
		if (commands[i].kind == parsed.kind)
			return commands[i].handler(&commands[i], &req);
	/* Every ctl_kind has a row; reaching this is a programming error. */
	fprintf(stderr, "subnetra: internal error: no handler for the request\n");
	return EXIT_FAIL;
}
