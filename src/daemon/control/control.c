/* Control socket server (see control.h). */
#include "daemon/control/control.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "core/ctlproto.h"
#include "core/ctlreply.h"
#include "core/metrics.h"
#include "core/status.h"
#include "core/version.h"
#include "daemon/control/privdir.h"
#include "daemon/state/context.h"
#include "daemon/datapath/worker.h"
#include "daemon/state/reload.h"
#include "os/linux/clock.h"
#include "os/linux/policy_file.h"
#include "os/linux/safefile.h"

/* The control server's own buffers: requests in, replies out (worker 0 only). */
struct control_server {
	uint8_t rx[CTL_RX_BUF + 1];
	char reply[CTL_REPLY_MAX];
	struct status_peer status_peers[MAX_PEERS];
	struct counters status_counters;
};

struct control_server *control_server_new(void)
{
	return calloc(1, sizeof(struct control_server));
}

void control_server_free(struct control_server *ctl)
{
	if (ctl == NULL)
		return;
	sodium_memzero(ctl, sizeof(*ctl));
	free(ctl);
}

/*
 * bind(2) and connect(2) take a path, not a directory descriptor: they run
 * with the socket's directory as the working directory and the bare name,
 * so the directory path is never resolved again (a directory swapped in by
 * whoever can write its parent is never used).  Start-up only (single
 * thread: the working directory is process-wide).  Returns the previous
 * working directory to leave_dir, or -errno.
 */
static int enter_dir(int dirfd)
{
	int cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);

	if (cwd < 0)
		return -errno;
	if (fchdir(dirfd) < 0) {
		int err = -errno;

		close(cwd);
		return err;
	}
	return cwd;
}

static void leave_dir(int cwd)
{
	/* Cannot fail for a directory we were in; and nothing later depends on it. */
	if (fchdir(cwd) < 0)
		fprintf(stderr, "subnetrad: cannot return to the working directory: %s\n",
			strerror(errno));
	close(cwd);
}

static socklen_t sun_set(struct sockaddr_un *sa, const char *name)
{
	size_t n = strlen(name);

	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	memcpy(sa->sun_path, name, n);
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
}

/* Is a daemon answering on name (in the working directory)?  A stale socket refuses. */
static bool socket_is_live(const char *name)
{
	struct sockaddr_un sa;
	socklen_t len = sun_set(&sa, name);
	bool live;
	int fd;

	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	live = connect(fd, (struct sockaddr *)&sa, len) == 0;
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

/* The socket's own directory, in the words of privdir.h. */
static const struct privdir_text sock_dir_text = {
	.what = "control socket directory",
	.unwritable = "'subnetra save' will fail and the socket will stay behind at exit; give "
		      "the socket a directory of its own, e.g. "
		      "SUBNETRA_SOCK=/run/subnetra/subnetra.sock",
	.elsewhere = "create the socket's directory yourself, or choose a SUBNETRA_SOCK under a "
		     "directory only root can write",
};

int control_open_dir(struct daemon *d)
{
	char dir[sizeof(d->paths.sock)];
	int err;

	err = safefile_split(d->paths.sock, dir, sizeof(dir), &d->sock_name);
	if (err < 0)
		return err;
	return privdir_open(d, dir, &sock_dir_text, &d->sock_dirfd, &d->sock_dir_created);
}

/*
 * Bind name in the working directory, the node created mode 0600 (umask
 * 0177: no window in which others could connect).  as_user: created with
 * uid:gid as its owner (the file-system ids, not chown afterwards), for a
 * directory that user can write: there the user could swap the node for a
 * link between a bind and a chown.
 */
static int bind_node(int fd, const char *name, bool as_user, uid_t uid, gid_t gid)
{
	struct sockaddr_un sa;
	socklen_t len = sun_set(&sa, name);
	mode_t old = umask(0177);
	int err = 0;

	if (as_user) {
		setfsgid(gid);
		setfsuid(uid);
		/* These calls report failure only through the ids they leave. */
		if ((uid_t)setfsuid((uid_t)-1) != uid ||
		    (gid_t)setfsgid((gid_t)-1) != gid)
			err = -EPERM;
	}
	if (err == 0 && bind(fd, (struct sockaddr *)&sa, len) < 0)
		err = -errno;
	if (as_user) {
		setfsuid(geteuid());
		setfsgid(getegid());
	}
	umask(old);
	return err;
}

int control_open(struct daemon *d)
{
	const char *name = d->sock_name;
	bool as_user = false;
	struct stat st;
	int fd = -1, cwd, err;

	/* Clients connect to the whole path. */
	if (strlen(d->paths.sock) >= sizeof(((struct sockaddr_un *)0)->sun_path))
		return -ENAMETOOLONG;
	if (d->uid != (uid_t)-1) {
		if (fstat(d->sock_dirfd, &st) < 0)
			return -errno;
		as_user = privdir_writable_by(&st, d->uid, d->gid);
	}
	cwd = enter_dir(d->sock_dirfd);
	if (cwd < 0)
		return cwd;
	/* Never delete an operator's file: a link or a FIFO here is refused too. */
	if (fstatat(d->sock_dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		err = !S_ISSOCK(st.st_mode) ? -EEXIST
		      : socket_is_live(name) ? -EADDRINUSE
		      : unlinkat(d->sock_dirfd, name, 0) < 0 ? -errno
							      : 0;
	} else {
		err = errno == ENOENT ? 0 : -errno;
	}
	if (err == 0) {
		fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		err = fd < 0 ? -errno : bind_node(fd, name, as_user, d->uid, d->gid);
	}
	/*
	 * In a directory the user cannot write, nobody but root can swap the
	 * node before this chown; and it never follows a link.
	 */
	if (err == 0 && !as_user && d->uid != (uid_t)-1 &&
	    fchownat(d->sock_dirfd, name, d->uid, d->gid, AT_SYMLINK_NOFOLLOW) < 0)
		err = -errno;
	leave_dir(cwd);
	if (err < 0) {
		if (fd >= 0)
			close(fd);
		return err;
	}
	size_send_buffer(fd);
	return fd;
}

void control_close(struct daemon *d)
{
	if (d->ctl_fd >= 0 && d->sock_dirfd >= 0)
		unlinkat(d->sock_dirfd, d->sock_name, 0);
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
	return (size_t)snprintf(d->ctl->reply, sizeof(d->ctl->reply), "%s", msg);
}

/* status, status --json or metrics: one view, three renderings. */
static size_t render_status(struct daemon *d, enum ctl_kind kind)
{
	struct status_view v = {
		.version = SUBNETRA_VERSION,
		.mode = "raw_direct",
		.local_id = d->cfg->local_id,
		.listen_port = d->cfg->listen_ports[0],
		.listen_ports = d->cfg->listen_ports,
		.n_listen_ports = d->cfg->n_listen_ports,
		.tun = d->paths.tun,
		.n_peers = d->peers.n,
		.peers = d->ctl->status_peers,
		.counters = &d->ctl->status_counters,
		.now_wall_ns = wall_ns(),
	};
	size_t n;

	/* Every worker's counters, summed (tear-free, see counters.h). */
	worker_counters_sum(d->workers, d->n_workers, &d->ctl->status_counters);
	for (size_t i = 0; i < d->peers.n; i++) {
		const struct peer *p = &d->peers.peers[i];

		d->ctl->status_peers[i] = (struct status_peer){
			.id = p->id,
			.name = p->cfg->name,
			.endpoint = peer_endpoint(p),
			.allowed_src = p->cfg->allowed_src,
			.last_seen_wall_ns = peer_last_seen(p),
		};
	}
	switch (kind) {
	case CTL_STATUS_JSON:
		n = status_render_json(&v, d->ctl->reply, sizeof(d->ctl->reply));
		break;
	case CTL_METRICS:
		n = metrics_render(&v, d->ctl->reply, sizeof(d->ctl->reply));
		break;
	default:
		n = status_render_text(&v, d->ctl->reply, sizeof(d->ctl->reply));
		break;
	}
	return n > 0 ? n : unavailable(d, kind);
}

/* "--src S --dst D" of a rule, for log lines and replies. */
static void match_text(const struct policy_rule *r, char *buf, size_t cap)
{
	char src[CIDR_STR_MAX], dst[CIDR_STR_MAX];

	cidr_format(&r->src, src);
	cidr_format(&r->dst, dst);
	snprintf(buf, cap, "--src %s --dst %s", src, dst);
}

/* A forward rule's target must be this node (0) or a configured peer. */
static bool target_known(struct daemon *d, const struct policy_rule *r, char *why, size_t cap)
{
	size_t len;

	if (r->action != POLICY_FORWARD || r->target == POLICY_TARGET_LOCAL ||
	    peer_find_by_id(&d->peers, r->target) != NULL)
		return true;
	len = (size_t)snprintf(why, cap, "--target %u is not a configured peer (peers:",
			       (unsigned)r->target);
	/* The first few ids say enough; a hub's full list would not fit a line. */
	for (size_t i = 0; i < d->peers.n && i < 12 && len < cap; i++)
		len += (size_t)snprintf(why + len, cap - len, " %u",
					(unsigned)d->peers.peers[i].id);
	if (len < cap)
		snprintf(why + len, cap - len, "%s; 0 = this node)",
			 d->peers.n > 12 ? " ..." : "");
	return false;
}

/* Everything an add (or a replace's new target) must satisfy here. */
static bool rule_acceptable(struct daemon *d, const struct ctl_cmd *cmd, char *why,
			    size_t cap)
{
	return ctl_rule_check(cmd, why, cap) && target_known(d, &cmd->rule, why, cap);
}

/*
 * One line when a del or replace changes nothing, saying why: the rule is
 * the config's, or there is none.
 */
static void log_no_match(struct daemon *d, const char *verb, const struct policy_rule *r)
{
	const struct policy_table *t = policy_active(&d->policy);
	enum policy_origin origin;
	char m[2 * CIDR_STR_MAX + 16];

	match_text(r, m, sizeof(m));
	if (policy_find(t, &r->src, &r->dst, &origin) != NULL &&
	    origin == POLICY_ORIGIN_DERIVED)
		fprintf(stderr,
			"subnetrad: policy %s %s: that rule is derived from the config (role "
			"%s), nothing changed: change the config (and reload), or add a more "
			"specific rule\n",
			verb, m, role_name(d->cfg->role));
	else
		fprintf(stderr,
			"subnetrad: policy %s %s: no added rule has this --src and --dst, "
			"nothing changed (see 'subnetra policy show')\n",
			verb, m);
}

static void log_update_error(const char *verb, int err)
{
	if (err == -EBUSY)
		fprintf(stderr, "subnetrad: policy %s ignored: a worker did not reach a "
				"quiescent state in time\n", verb);
	else if (err == -ENOSPC)
		fprintf(stderr, "subnetrad: policy %s ignored: table full (%d rules)\n", verb,
			MAX_POLICY_ENTRIES);
	else if (err < 0)
		fprintf(stderr, "subnetrad: policy %s ignored: %s\n", verb, strerror(-err));
}

/*
 * policy check: would an add of this rule be taken?  "ok", or "refused:
 * why"; a "note:" line says when the add would change nothing.
 */
static size_t reply_check(struct daemon *d, const struct ctl_cmd *cmd)
{
	const struct policy_table *t = policy_active(&d->policy);
	const struct policy_rule *prior;
	char why[CTL_WHY_MAX], line[MAX_RULE_LINE + 1];

	if (!rule_acceptable(d, cmd, why, sizeof(why)))
		return (size_t)snprintf(d->ctl->reply, sizeof(d->ctl->reply), "refused: %s\n",
					why);
	if (policy_contains(t, &cmd->rule))
		return (size_t)snprintf(d->ctl->reply, sizeof(d->ctl->reply),
					"ok\nnote: the rule is already in the table\n");
	prior = policy_find(t, &cmd->rule.src, &cmd->rule.dst, NULL);
	if (prior == NULL || policy_rule_format(prior, line, sizeof(line)) == 0)
		return (size_t)snprintf(d->ctl->reply, sizeof(d->ctl->reply), "ok\n");
	line[strcspn(line, "\n")] = '\0';
	return (size_t)snprintf(d->ctl->reply, sizeof(d->ctl->reply),
				"ok\nnote: '%s' comes first and wins: an add would never match "
				"(use policy replace)\n",
				line);
}

static void execute_add(struct daemon *d, const struct ctl_cmd *cmd)
{
	const struct policy_table *t = policy_active(&d->policy);
	char why[CTL_WHY_MAX];

	/* The CLI checked all this first; anything else on the socket is logged. */
	if (!rule_acceptable(d, cmd, why, sizeof(why))) {
		fprintf(stderr, "subnetrad: policy add ignored: %s\n", why);
		return;
	}
	/* Fire-and-forget: a duplicate is no error. */
	if (policy_contains(t, &cmd->rule))
		return;
	if (policy_find(t, &cmd->rule.src, &cmd->rule.dst, NULL) != NULL) {
		char m[2 * CIDR_STR_MAX + 16];

		match_text(&cmd->rule, m, sizeof(m));
		fprintf(stderr, "subnetrad: policy add %s: an earlier rule with this --src and "
				"--dst comes first, so this one never matches (use policy "
				"replace)\n", m);
	}
	log_update_error("add", policy_add(&d->policy, &cmd->rule));
}

static void execute_replace(struct daemon *d, const struct ctl_cmd *cmd)
{
	char why[CTL_WHY_MAX];
	int n;

	if (!rule_acceptable(d, cmd, why, sizeof(why))) {
		fprintf(stderr, "subnetrad: policy replace ignored: %s\n", why);
		return;
	}
	n = policy_replace(&d->policy, &cmd->rule);
	if (n == 0)
		log_no_match(d, "replace", &cmd->rule);
	log_update_error("replace", n);
}

static void execute_del(struct daemon *d, const struct ctl_cmd *cmd)
{
	int n = policy_del(&d->policy, &cmd->rule.src, &cmd->rule.dst);

	if (n == 0)
		log_no_match(d, "del", &cmd->rule);
	log_update_error("del", n);
}

static void execute_flush(struct daemon *d)
{
	int n = policy_flush_added(&d->policy);

	/* A mass change: the log says what it did. */
	if (n >= 0)
		fprintf(stderr, "subnetrad: policy flush --added: %d added rule(s) removed\n", n);
	log_update_error("flush", n);
}

/* Execute one parsed command; returns the reply length (0 = no reply). */
static size_t execute(struct daemon *d, const struct ctl_cmd *cmd)
{
	const struct policy_table *t;
	char why[512];
	int err;

	if (d->mode_execute != NULL)
		return d->mode_execute(d->mode, cmd, d->ctl->reply, sizeof(d->ctl->reply));
	t = policy_active(&d->policy);
	switch (cmd->kind) {
	case CTL_STATUS:
	case CTL_STATUS_JSON:
	case CTL_METRICS:
		return render_status(d, cmd->kind);
	case CTL_POLICY_SHOW:
		return policy_dump(t, d->ctl->reply, sizeof(d->ctl->reply));
	case CTL_POLICY_CHECK:
		return reply_check(d, cmd);
	/* Fire-and-forget: no reply; what goes wrong is logged. */
	case CTL_POLICY_ADD:
		execute_add(d, cmd);
		return 0;
	case CTL_POLICY_REPLACE:
		execute_replace(d, cmd);
		return 0;
	case CTL_POLICY_DEL:
		execute_del(d, cmd);
		return 0;
	case CTL_POLICY_FLUSH:
		execute_flush(d);
		return 0;
	case CTL_RELOAD: {
		bool ok;

		return daemon_reload(d, d->ctl->reply, sizeof(d->ctl->reply), &ok);
	}
	case CTL_SAVE:
		err = policy_save(t, d->sock_dirfd, d->paths.policy, d->cfg_digest, why,
				  sizeof(why));
		if (err < 0) {
			fprintf(stderr, "subnetrad: save failed: %s\n", why);
			return (size_t)snprintf(d->ctl->reply, sizeof(d->ctl->reply),
						"save failed\n");
		}
		return (size_t)snprintf(d->ctl->reply, sizeof(d->ctl->reply),
					"saved %zu rule(s) to %s\n", t->n, d->paths.policy);
	case CTL_WHITELIST_LS:
	case CTL_WHITELIST_ADD:
	case CTL_WHITELIST_RM:
	case CTL_WHITELIST_ENABLE:
	case CTL_WHITELIST_DISABLE:
	case CTL_HOSTS_LS:
	case CTL_HOSTS_ADD:
	case CTL_HOSTS_RM:
	case CTL_MANAGED_LS:
	case CTL_MANAGED_RELOAD:
		return (size_t)snprintf(d->ctl->reply, sizeof(d->ctl->reply),
					"failed: not available in v1 mode (a mesh-mode command)\n");
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
	if (sendto(d->ctl_fd, d->ctl->reply, n, MSG_DONTWAIT, (const struct sockaddr *)from,
		   fromlen) >= 0)
		return;
	/*
	 * The client's abstract address does not exist here: it gave up, or it
	 * runs in another network namespace (the path reached us, the reply
	 * cannot reach it).  Only root can send, one line per request.
	 */
	if (errno == ECONNREFUSED || errno == ENOENT) {
		fprintf(stderr, "subnetrad: a control reply could not be delivered: the client "
				"is gone, or runs in another network namespace (subnetra must run "
				"in this daemon's)\n");
		return;
	}
	if (errno != EMSGSIZE && errno != ENOBUFS && errno != ENOMEM)
		return;
	fprintf(stderr, "subnetrad: a %zu-byte control reply does not fit the socket: %s\n", n,
		strerror(errno));
	n = unavailable(d, kind);
	if (n > 0)
		(void)sendto(d->ctl_fd, d->ctl->reply, n, MSG_DONTWAIT,
			     (const struct sockaddr *)from, fromlen);
}

static void handle_datagram(struct daemon *d, size_t len, const struct sockaddr_un *from,
			    socklen_t fromlen)
{
	/* Unbound clients cannot be answered (autobind gives them an address). */
	bool can_reply = fromlen > sizeof(sa_family_t);
	const char *p = (const char *)d->ctl->rx, *end = p + len;

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
		n = recvfrom(d->ctl_fd, d->ctl->rx, CTL_RX_BUF + 1, MSG_DONTWAIT | MSG_TRUNC,
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
