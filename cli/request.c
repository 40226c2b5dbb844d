/*
 * subnetra's socket client: one request line as one datagram to the control
 * socket and, for commands that answer, one reply.
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
 */
#include "cli/cli.h"

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "os/linux/clock.h"

bool starts_with(const char *s, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);

	return len >= n && memcmp(s, prefix, n) == 0;
}

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

/* One request, at most one reply (cli.h). */
int exchange(const struct request *req, const char *line, size_t len, char *reply,
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

int cmd_send(const struct command *cmd, const struct request *req)
{
	enum link link;

	(void)cmd;
	return exchange(req, req->line, req->len, NULL, 0, NULL, &link);
}

int print_reply(const struct command *cmd, const char *reply, size_t n)
{
	fwrite(reply, 1, n, stdout);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "subnetra: writing the reply: %s\n", strerror(errno));
		return EXIT_FAIL;
	}
	return cmd->reply_failed != NULL && cmd->reply_failed(reply, n) ? cmd->fail_code
									 : EXIT_OK;
}

int cmd_request(const struct command *cmd, const struct request *req)
{
	static char reply[REPLY_MAX];
	enum link link;
	size_t n = 0;
	int rc = exchange(req, req->line, req->len, reply, sizeof(reply), &n, &link);

	return rc != EXIT_OK ? rc : print_reply(cmd, reply, n);
}
