/* Control socket server (see control.h). */
#include "control.h"

#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctlproto.h"
#include "metrics.h"
#include "status.h"
#include "version.h"

/* Is a daemon answering on this path?  A stale socket refuses connections. */
static bool socket_is_live(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	bool live;
	int fd;

	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	memcpy(sa.sun_path, path, strlen(path));
	live = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	close(fd);
	return live;
}

/*
 * A reply is one datagram, and the kernel refuses a datagram larger than the
 * sender's send buffer (EMSGSIZE): the default (net.core.wmem_default,
 * ~208 KiB) is too small for a status of a few thousand peers.  Forcing the
 * size needs CAP_NET_ADMIN, which the daemon still holds here (before
 * confine()); otherwise it is capped at net.core.wmem_max.  Best effort: a
 * reply that still cannot be sent is answered with a short error instead.
 */
static void size_send_buffer(int fd)
{
	int want = CTL_REPLY_MAX + 4096;

	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &want, sizeof(want)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &want, sizeof(want));
}

int control_open(struct daemon *d)
{
	const char *path = d->paths.sock;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char dir[sizeof(sa.sun_path)];
	struct stat st;
	mode_t old;
	int fd, err;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(dir, path, strlen(path) + 1);
	if (mkdir(dirname(dir), 0700) < 0 && errno != EEXIST)
		return -errno;
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			return -EEXIST; /* never delete an operator's file */
		if (socket_is_live(path))
			return -EADDRINUSE;
		if (unlink(path) < 0)
			return -errno;
	}
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	memcpy(sa.sun_path, path, strlen(path));
	/* Create the node 0600 from the start: no window where others can connect. */
	old = umask(0177);
	err = bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ? -errno : 0;
	umask(old);
	if (err == 0 && chmod(path, 0600) < 0)
		err = -errno;
	if (err < 0) {
		close(fd);
		return err;
	}
	size_send_buffer(fd);
	return fd;
}

void control_close(struct daemon *d)
{
	if (d->ctl_fd >= 0)
		unlink(d->paths.sock);
}

/*
 * The documented failure reply of a status-like command (the metrics one is a
 * comment line, so a scrape stays valid exposition text), or 0 for commands
 * that have none.
 */
static size_t unavailable(struct daemon *d, enum ctl_kind kind)
{
	const char *msg;

	switch (kind) {
	case CTL_STATUS_JSON:
		msg = "{\"error\":\"status unavailable\"}\n";
		break;
	case CTL_METRICS:
		msg = "# metrics unavailable\n";
		break;
	case CTL_STATUS:
		msg = "status unavailable\n";
		break;
	default:
		return 0;
	}
	return (size_t)snprintf(d->ctl_reply, sizeof(d->ctl_reply), "%s", msg);
}

/* status, status --json or metrics: one view, three renderings. */
static size_t render_status(struct daemon *d, enum ctl_kind kind)
{
	struct status_view v = {
		.version = SUBNETRA_VERSION,
		.mode = "raw_direct",
		.local_id = d->cfg->local_id,
		.listen_port = d->cfg->listen_ports[0],
		.tun = d->paths.tun,
		.n_peers = d->peers.n,
		.peers = d->status_peers,
		.counters = &d->status_counters,
		.now_wall_ns = wall_ns(),
	};
	size_t n;

	/* Every worker's counters, summed (tear-free, see counters.h). */
	daemon_counters(d, &d->status_counters);
	for (size_t i = 0; i < d->peers.n; i++) {
		const struct peer *p = &d->peers.peers[i];

		d->status_peers[i] = (struct status_peer){
			.id = p->id,
			.name = p->cfg->name,
			.endpoint = peer_endpoint(p),
			.allowed_src = p->cfg->allowed_src,
			.last_seen_wall_ns = peer_last_seen(p),
		};
	}
	switch (kind) {
	case CTL_STATUS_JSON:
		n = status_render_json(&v, d->ctl_reply, sizeof(d->ctl_reply));
		break;
	case CTL_METRICS:
		n = metrics_render(&v, d->ctl_reply, sizeof(d->ctl_reply));
		break;
	default:
		n = status_render_text(&v, d->ctl_reply, sizeof(d->ctl_reply));
		break;
	}
	return n > 0 ? n : unavailable(d, kind);
}

/* Execute one parsed command; returns the reply length (0 = no reply). */
static size_t execute(struct daemon *d, const struct ctl_cmd *cmd)
{
	const struct policy_table *t = policy_active(&d->policy);
	int err;

	switch (cmd->kind) {
	case CTL_STATUS:
	case CTL_STATUS_JSON:
	case CTL_METRICS:
		return render_status(d, cmd->kind);
	case CTL_POLICY_SHOW:
		return policy_dump(t, d->ctl_reply, sizeof(d->ctl_reply));
	case CTL_POLICY_ADD:
		/* Fire-and-forget: a full table is ignored, as documented. */
		if (policy_contains(t, &cmd->rule))
			return 0;
		err = policy_add(&d->policy, &cmd->rule);
		if (err == -EBUSY)
			fprintf(stderr, "subnetrad: policy add ignored: a worker did not reach a "
					"quiescent state in time\n");
		else if (err < 0)
			fprintf(stderr, "subnetrad: policy add ignored: table full (%d rules)\n",
				MAX_POLICY_ENTRIES);
		return 0;
	case CTL_SAVE:
		err = policy_save(t, d->paths.policy);
		if (err < 0) {
			fprintf(stderr, "subnetrad: save to %s failed: %s\n", d->paths.policy,
				strerror(-err));
			return (size_t)snprintf(d->ctl_reply, sizeof(d->ctl_reply),
						"save failed\n");
		}
		return (size_t)snprintf(d->ctl_reply, sizeof(d->ctl_reply),
					"saved %zu rule(s) to %s\n", t->n, d->paths.policy);
	}
	return 0;
}

/*
 * A reply the socket cannot carry (larger than its send buffer) would leave
 * the client waiting for its timeout: say so in the command's own failure
 * reply instead.  A full client buffer stays a silent drop, as documented.
 */
static void send_reply(struct daemon *d, enum ctl_kind kind, size_t n,
		       const struct sockaddr_un *from, socklen_t fromlen)
{
	if (sendto(d->ctl_fd, d->ctl_reply, n, MSG_DONTWAIT, (const struct sockaddr *)from,
		   fromlen) >= 0 || (errno != EMSGSIZE && errno != ENOBUFS && errno != ENOMEM))
		return;
	fprintf(stderr, "subnetrad: a %zu-byte control reply does not fit the socket: %s\n", n,
		strerror(errno));
	n = unavailable(d, kind);
	if (n > 0)
		(void)sendto(d->ctl_fd, d->ctl_reply, n, MSG_DONTWAIT,
			     (const struct sockaddr *)from, fromlen);
}

static void handle_datagram(struct daemon *d, size_t len, const struct sockaddr_un *from,
			    socklen_t fromlen)
{
	/* Unbound clients cannot be answered (autobind gives them an address). */
	bool can_reply = fromlen > sizeof(sa_family_t);
	const char *p = (const char *)d->ctl_rx, *end = p + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t line_len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		struct ctl_cmd cmd;
		size_t n;

		if (ctl_parse_line(p, line_len, &cmd, NULL) == CTL_OK) {
			n = execute(d, &cmd);
			if (n > 0 && can_reply)
				send_reply(d, cmd.kind, n, from, fromlen);
		}
		/* Past the newline; a last line without one ends at `end` exactly
		 * (one past it would be undefined behaviour). */
		p += line_len + (nl ? 1 : 0);
	}
}

void control_handle(struct daemon *d)
{
	for (int i = 0; i < MAX_CMDS_PER_TICK; i++) {
		struct sockaddr_un from;
		socklen_t fromlen = sizeof(from);
		ssize_t n;

		/* MSG_TRUNC makes recvfrom return the real length of a long datagram. */
		n = recvfrom(d->ctl_fd, d->ctl_rx, CTL_RX_BUF + 1, MSG_DONTWAIT | MSG_TRUNC,
			     (struct sockaddr *)&from, &fromlen);
		if (n < 0) {
			if (errno == EINTR)
				continue; /* bounded by the same budget */
			return;
		}
		if ((size_t)n > CTL_RX_BUF)
			continue; /* oversized: dropped whole */
		handle_datagram(d, (size_t)n, &from, fromlen);
	}
}
