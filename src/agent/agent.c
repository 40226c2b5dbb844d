/*
 * The agent's loop (agent.h).  Order of a bundle's handling: the client
 * verified it and saved it to its cache before calling on_apply; here the
 * managed file is written, then the daemon told; a daemon that does not
 * answer is told again later (1, 2, 4 ... 30 s), and reads the file at
 * its next start in any case.
 */
#include "agent/agent.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "agent/agentstate.h"
#include "agent/client.h"
#include "agent/managed.h"
#include "agent/report.h"
#include "core/mgmt/text.h"
#include "os/linux/clock.h"
#include "os/linux/statefile.h"

#define NS_PER_S UINT64_C(1000000000)

enum {
	RELOAD_BACKOFF_MAX_S = 30,
	STATUS_GAP_S = 5,       /* reports after a change: at most this often */
	STATUS_DEFAULT_S = 60,  /* before a bundle says mgmt.status_s */
	DAEMON_REPLY_MAX = 1 << 20,
	REPORT_MAX = 1 << 20,
};

struct agent {
	const struct agent_opts *o;
	int dirfd, sigfd;
	struct mgmt_store store;
	struct mgmt_client c;
	bool client_on, stop, leave_wanted;
	char url[MGMT_URL_MAX + 1];
	struct agent_servers servers;
	struct agent_state st;
	uint64_t refused_base[MGMT_REFUSALS], seen_contact_ns;
	struct managed *set;
	char *managed, *daemon_json, *report;
	bool reload_pending;
	bool join_watch; /* a join's first bundle: st.join.daemon follows the reloads */
	uint64_t reload_next_ns, reload_backoff_s;
	uint64_t status_next_ns;
	char saved[AGENT_STATE_MAX];
	size_t saved_len;
};

__attribute__((format(printf, 1, 2))) static void say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("subnetra agent: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/*
 * SUBNETRA_TEST_CLOCK_OFFSET_S (tests only: t_mgmt_sync's clock-skewed
 * device; a time namespace cannot move CLOCK_REALTIME) shifts the clock
 * the agent signs with, as a device with a wrong clock has.
 */
static int64_t test_offset_ms;

static uint64_t wall_ms(void)
{
	return (uint64_t)((int64_t)(wall_ns() / 1000000) + test_offset_ms);
}

/* ---- the managed file and the daemon ---- */

/*
 * The URL's host when it is an overlay address, c's license's api_servers
 * and websetup_host (c: the running client, NULL none; its license, once
 * accepted or read from the cache).
 */
static void servers_of(const struct agent *a, const struct mgmt_client *c,
		       struct agent_servers *s)
{
	struct mgmt_url u;
	uint8_t addr[16];

	memset(s, 0, sizeof(*s));
	if (a->url[0] != '\0' && mgmt_url_parse(a->url, strlen(a->url), &u) == NULL && u.ipv6 &&
	    inet_pton(AF_INET6, u.host, addr) == 1)
		agent_servers_add(s, addr);
	if (c != NULL && c->have_license) {
		for (size_t i = 0; i < c->license.n_api; i++)
			agent_servers_add(s, c->license.api_servers[i]);
		agent_servers_add(s, c->license.websetup_host);
	}
}

/* The managed file for b (NULL: none) and the current servers; the daemon told next. */
static void write_managed(struct agent *a, const struct mgmt_bundle *b, bool with_servers)
{
	struct agent_servers none = {0};
	char err[256];
	size_t n;

	if (!agent_managed_build(b, with_servers ? &a->servers : &none, a->set))
		say("the bundle names %zu peers: more peers or names than the managed file "
		    "takes (%d, %d); the first ones are kept",
		    b->n_peers, MANAGED_PEERS_MAX, MANAGED_NAMES_MAX);
	n = managed_format(a->set, a->managed, AGENT_MANAGED_MAX);
	if (n == 0 || agent_managed_save(a->dirfd, a->o->state_dir, a->managed, n, err,
					 sizeof(err)) < 0) {
		say("managed file not written: %s", n == 0 ? "too large" : err);
		snprintf(a->st.last_error, sizeof(a->st.last_error), "managed file not written");
		return;
	}
	a->reload_pending = true;
	a->reload_next_ns = 0;
	a->reload_backoff_s = 0;
}

/* What the daemon made of a join's bundle (`subnetra join` waits for it); final unless down. */
static void join_daemon(struct agent *a, const char *what, const char *reply, bool final)
{
	char text[AGENT_TEXT_MAX];

	if (!a->join_watch || a->st.join.bundle[0] == '\0')
		return;
	snprintf(text, sizeof(text), "%s%s", what, reply);
	agent_text_copy(a->st.join.daemon, sizeof(a->st.join.daemon), text, strlen(text));
	a->join_watch = !final;
}

static void tell_daemon(struct agent *a, uint64_t now)
{
	char reply[512];
	size_t n = 0;
	int rc;

	if (!a->reload_pending || now < a->reload_next_ns)
		return;
	rc = a->o->ctl(a->o->ctl_ctx, "managed reload", reply, sizeof(reply) - 1, &n);
	reply[rc == 0 ? n : 0] = '\0';
	reply[strcspn(reply, "\n")] = '\0';
	if (rc == 0 && n >= 3 && memcmp(reply, "ok ", 3) == 0) {
		say("managed reload: %s", reply);
		join_daemon(a, "", reply, true);
		a->reload_pending = false;
		return;
	}
	if (rc == 0 && n > 0) {
		say("managed reload refused: %s", reply);
		agent_text_copy(a->st.last_error, sizeof(a->st.last_error), reply, strlen(reply));
		join_daemon(a, strncmp(reply, "refused", 7) == 0 ? "" : "refused: ", reply, true);
	} else {
		join_daemon(a, "down: ",
			    "no answer on the control socket (subnetrad not running?); it reads "
			    "the managed file when it starts",
			    false);
	}
	a->reload_backoff_s = a->reload_backoff_s ? a->reload_backoff_s * 2 : 1;
	if (a->reload_backoff_s > RELOAD_BACKOFF_MAX_S)
		a->reload_backoff_s = RELOAD_BACKOFF_MAX_S;
	a->reload_next_ns = now + a->reload_backoff_s * NS_PER_S;
}

static void on_apply(void *ctx, const struct mgmt_bundle *b)
{
	struct agent *a = ctx;

	snprintf(a->st.applied, sizeof(a->st.applied), "%" PRIu64 ".%" PRIu64, b->epoch,
		 b->serial);
	a->st.peers = b->n_peers;
	a->st.joined = true;
	if (b->self.hostname[0] != '\0')
		snprintf(a->st.hostname, sizeof(a->st.hostname), "%s", b->self.hostname);
	say("bundle %s applied: %zu peers", a->st.applied, b->n_peers);
	servers_of(a, &a->c, &a->servers); /* the client's, even during its init */
	if (a->join_watch) {
		snprintf(a->st.join.bundle, sizeof(a->st.join.bundle), "%s", a->st.applied);
		a->st.join.peers = b->n_peers;
		snprintf(a->st.join.daemon, sizeof(a->st.join.daemon), "pending");
	}
	write_managed(a, b, true);
	/* a report soon after a change, not at once: the daemon needs a moment */
	if (a->status_next_ns > mono_ns() + STATUS_GAP_S * NS_PER_S)
		a->status_next_ns = mono_ns() + STATUS_GAP_S * NS_PER_S;
}

/* ---- the client ---- */

static void client_stop(struct agent *a)
{
	if (!a->client_on)
		return;
	for (int i = 0; i < MGMT_REFUSALS; i++)
		a->refused_base[i] += a->c.refused[i];
	mgmt_client_free(&a->c);
	a->client_on = false;
}

static bool have_trust(const struct agent *a)
{
	struct mgmt_trust t;
	char err[256];
	bool ok = mgmt_store_load_trust(&a->store, &t, err, sizeof(err)) == 0 && t.pinned;

	sodium_memzero(&t, sizeof(t));
	return ok;
}

/* (Re)start the client: with a code (a join), or from the trust file. */
static void client_start(struct agent *a, const char *code, const char *hostname)
{
	int rc;

	client_stop(a);
	a->st.joined = code == NULL && have_trust(a);
	if (a->url[0] == '\0') {
		snprintf(a->st.stage, sizeof(a->st.stage), "unconfigured");
		return;
	}
	if (code == NULL && !a->st.joined) {
		snprintf(a->st.stage, sizeof(a->st.stage), "not-joined");
		servers_of(a, NULL, &a->servers);
		/* ready for a join: the daemon lets the server through already */
		if (faccessat(a->dirfd, AGENT_MANAGED_FILE, F_OK, 0) < 0)
			write_managed(a, NULL, true);
		return;
	}
	servers_of(a, NULL, &a->servers);
	rc = mgmt_client_init(&a->c, &a->store, a->url, code, hostname, a->o->sk, a->o->addr,
			      on_apply, a);
	if (rc < 0) {
		say("cannot start the management client: %s", a->c.last_error);
		snprintf(a->st.last_error, sizeof(a->st.last_error), "%s", a->c.last_error);
		snprintf(a->st.stage, sizeof(a->st.stage), "not-joined");
		mgmt_client_free(&a->c);
		return;
	}
	a->client_on = true;
	/* Before the first contact the daemon must already let the server through. */
	if (a->c.applied == 0 &&
	    (code != NULL || faccessat(a->dirfd, AGENT_MANAGED_FILE, F_OK, 0) < 0))
		write_managed(a, NULL, true);
	say("management server %s, %s", a->url,
	    code != NULL ? "joining" : a->c.applied ? "cached bundle applied" : "no bundle yet");
}

/* The license, once accepted, may name more servers: the managed file follows. */
static void servers_follow(struct agent *a)
{
	struct agent_servers s;

	servers_of(a, a->client_on ? &a->c : NULL, &s);
	if (agent_servers_equal(&s, &a->servers))
		return;
	a->servers = s;
	write_managed(a, a->client_on && a->c.st.have ? a->c.bundle : NULL, true);
}

/* ---- requests: files in state_dir, then SIGHUP ---- */

/* The request file name into buf (AGENT_REQ_MAX), then removed: its length, or -1 when none. */
static ssize_t read_request(struct agent *a, const char *name, char *buf, bool remove)
{
	char err[256];
	size_t n = 0;
	int rc = statefile_read(a->dirfd, name, a->o->state_dir, a->store.owner, buf,
				AGENT_REQ_MAX, &n, err, sizeof(err));

	if (rc == -ENOENT)
		return -1;
	if (remove)
		unlinkat(a->dirfd, name, 0);
	if (rc < 0) {
		say("%s", err);
		return -1;
	}
	return (ssize_t)n;
}

static void take_url(struct agent *a)
{
	char buf[AGENT_REQ_MAX], url[MGMT_URL_MAX + 1];
	ssize_t n = read_request(a, AGENT_URL_FILE, buf, false);

	if (n < 0)
		return;
	if (!agent_url_req_parse(buf, (size_t)n, url)) {
		say("%s/%s is not a request file (one line, a URL): ignored", a->o->state_dir,
		    AGENT_URL_FILE);
		return;
	}
	if (strcmp(url, a->url) == 0)
		return;
	snprintf(a->url, sizeof(a->url), "%s", url);
	snprintf(a->st.url, sizeof(a->st.url), "%s", url);
	say("management server set to %s", url);
	client_start(a, NULL, NULL);
}

/* A request the agent could not take: its error in agent.status. */
static void req_refused(struct agent_request *r, const char *why)
{
	snprintf(r->result, sizeof(r->result), "error");
	snprintf(r->error, sizeof(r->error), "%s", why);
}

static void take_join(struct agent *a)
{
	char buf[AGENT_REQ_MAX];
	struct agent_join_req r;
	ssize_t n = read_request(a, AGENT_JOIN_FILE, buf, true);
	bool ok;

	if (n < 0)
		return;
	ok = agent_join_req_parse(buf, (size_t)n, &r);
	sodium_memzero(buf, sizeof(buf));
	a->st.join = (struct agent_request){.id = r.id};
	a->join_watch = false;
	snprintf(a->st.join.result, sizeof(a->st.join.result), "pending");
	if (!ok)
		req_refused(&a->st.join, "not a join request (" AGENT_JOIN_FILE ")");
	else if (a->url[0] == '\0')
		req_refused(&a->st.join,
			    "no management server: run subnetra setup-server URL first");
	else {
		client_start(a, r.code, r.hostname);
		a->join_watch = a->client_on;
		if (!a->client_on)
			req_refused(&a->st.join, a->st.last_error);
	}
	sodium_memzero(&r, sizeof(r));
}

static void take_leave(struct agent *a)
{
	char buf[AGENT_REQ_MAX];
	ssize_t n = read_request(a, AGENT_LEAVE_FILE, buf, true);
	uint64_t id;
	bool ok;

	if (n < 0)
		return;
	ok = agent_leave_req_parse(buf, (size_t)n, &id);
	a->st.leave = (struct agent_request){.id = id};
	if (!ok) {
		req_refused(&a->st.leave, "not a leave request (" AGENT_LEAVE_FILE ")");
		return;
	}
	if (!a->client_on || !a->st.joined) {
		req_refused(&a->st.leave, "not joined");
		return;
	}
	snprintf(a->st.leave.result, sizeof(a->st.leave.result), "pending");
	a->leave_wanted = true;
}

/* After a signed leave: nothing managed, no trust, no cache. */
static void forget(struct agent *a)
{
	static const char *const kinds[] = {MGMT_STORE_TRUST, MGMT_STORE_LICENSE,
					    MGMT_STORE_BUNDLE};
	char name[MGMT_STORE_NAME_MAX];

	client_stop(a);
	for (size_t i = 0; i < 3; i++) {
		snprintf(name, sizeof(name), "%s.%s", a->store.stem, kinds[i]);
		if (unlinkat(a->dirfd, name, 0) < 0 && errno != ENOENT)
			say("cannot remove %s/%s: %s", a->o->state_dir, name, strerror(errno));
	}
	write_managed(a, NULL, false);
	a->st.joined = false;
	snprintf(a->st.applied, sizeof(a->st.applied), "none");
	a->st.peers = 0;
	snprintf(a->st.stage, sizeof(a->st.stage), "left");
	say("left the management server: managed set emptied, trust forgotten");
}

/* ---- status reports and leave, beside the poll ---- */

static void side_requests(struct agent *a, uint64_t now)
{
	const struct mgmt_client *c = &a->c;
	size_t n = 0, len;

	if (!a->client_on || c->aux.state != MGMT_HTTPC_IDLE)
		return;
	if (a->leave_wanted) {
		a->leave_wanted = false;
		if (mgmt_client_post(&a->c, MGMT_AUX_LEAVE, NULL, 0, now, wall_ms()) < 0)
			a->c.aux_kind = MGMT_AUX_LEAVE; /* failed at once: aux_result says why */
		return;
	}
	if (c->stage != MGMT_STAGE_POLL || !c->st.have || now < a->status_next_ns)
		return;
	a->status_next_ns = now + (c->bundle->status_s ? c->bundle->status_s : STATUS_DEFAULT_S) *
					  NS_PER_S;
	if (a->o->ctl(a->o->ctl_ctx, "status --json", a->daemon_json, DAEMON_REPLY_MAX, &n) != 0 ||
	    n == 0 || a->daemon_json[0] != '{')
		n = 0;
	len = agent_report_build(a->daemon_json, n, a->st.applied, a->report, REPORT_MAX);
	if (len == 0 || mgmt_client_post(&a->c, MGMT_AUX_STATUS, a->report, len, now,
					 wall_ms()) < 0)
		a->st.status_failed++;
}

static void side_done(struct agent *a)
{
	struct mgmt_client *c = &a->c;

	if (!a->client_on || c->aux_kind == MGMT_AUX_NONE || c->aux_result == MGMT_AUX_PENDING)
		return;
	if (c->aux_kind == MGMT_AUX_STATUS) {
		if (c->aux_result == MGMT_AUX_OK) {
			a->st.status_sent++;
		} else {
			a->st.status_failed++;
			say("status report failed: %s", c->aux_error);
		}
		c->aux_kind = MGMT_AUX_NONE;
		return;
	}
	c->aux_kind = MGMT_AUX_NONE;
	if (c->aux_result == MGMT_AUX_OK) {
		snprintf(a->st.leave.result, sizeof(a->st.leave.result), "ok");
		forget(a);
	} else {
		snprintf(a->st.leave.result, sizeof(a->st.leave.result), "error");
		snprintf(a->st.leave.error, sizeof(a->st.leave.error), "%s", c->aux_error);
		say("leave failed: %s", c->aux_error);
	}
}

/* ---- what the agent publishes ---- */

static void publish(struct agent *a)
{
	static const char *const stages[] = {"license", "join", "poll"};
	char text[AGENT_STATE_MAX], err[256];
	size_t n;

	if (a->client_on) {
		const struct mgmt_client *c = &a->c;

		snprintf(a->st.stage, sizeof(a->st.stage), "%s", stages[c->stage]);
		if (c->join_refused)
			snprintf(a->st.stage, sizeof(a->st.stage), "join-refused");
		if (c->last_contact_ns != a->seen_contact_ns) {
			a->seen_contact_ns = c->last_contact_ns;
			a->st.last_contact = (int64_t)(wall_ns() / NS_PER_S);
		}
		if (c->last_error[0] != '\0')
			snprintf(a->st.last_error, sizeof(a->st.last_error), "%s", c->last_error);
		if (c->trust.pinned)
			mgmt_hex_encode(a->st.instance, c->trust.instance, MGMT_INSTANCE_LEN);
		if (c->have_license) {
			snprintf(a->st.instance_name, sizeof(a->st.instance_name), "%s",
				 c->license.name);
			snprintf(a->st.dashboard, sizeof(a->st.dashboard), "%s",
				 c->license.dashboard_url);
		}
		for (int i = 0; i < MGMT_REFUSALS; i++)
			a->st.refused[i] = a->refused_base[i] + c->refused[i];
	}
	n = agent_state_render(&a->st, text, sizeof(text));
	if (n == 0 || (n == a->saved_len && memcmp(text, a->saved, n) == 0))
		return;
	if (statefile_save_mode(a->dirfd, AGENT_STATE_FILE, a->o->state_dir, text, n, 0644, err,
				sizeof(err)) < 0) {
		say("%s", err);
		return;
	}
	memcpy(a->saved, text, n);
	a->saved_len = n;
}

/* A pending join: done when the server took the code, or refused it (or its license). */
static void join_follow(struct agent *a)
{
	struct mgmt_client *c = &a->c;

	if (!a->client_on || strcmp(a->st.join.result, "pending") != 0)
		return;
	if (c->joined) {
		snprintf(a->st.join.result, sizeof(a->st.join.result), "ok");
		if (c->join_hostname[0] != '\0')
			snprintf(a->st.hostname, sizeof(a->st.hostname), "%s", c->join_hostname);
		a->st.joined = true;
		say("joined");
	} else if (c->join_refused) {
		snprintf(a->st.join.result, sizeof(a->st.join.result), "error");
		snprintf(a->st.join.error, sizeof(a->st.join.error), "%s", c->join_error);
		say("join refused: %s", c->join_error);
		a->join_watch = false;
		/* back to what the device held before, if anything */
		client_start(a, NULL, NULL);
	}
}

/* ---- the loop ---- */

static int open_signals(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -1;
	signal(SIGPIPE, SIG_IGN);
	return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

static void on_signals(struct agent *a)
{
	struct signalfd_siginfo si;
	bool hup = false;

	while (read(a->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGHUP)
			hup = true;
		else
			a->stop = true;
	}
	if (hup && !a->stop) {
		take_url(a);
		take_join(a);
		take_leave(a);
	}
}

static short poll_events(const struct mgmt_httpc *h)
{
	uint32_t ev = mgmt_httpc_events(h);

	return (short)((ev & EPOLLOUT ? POLLOUT : 0) | (ev & EPOLLIN ? POLLIN : 0));
}

static int timeout_ms(const struct agent *a, uint64_t now)
{
	uint64_t next = now + NS_PER_S;

	if (a->client_on && a->c.http.state == MGMT_HTTPC_IDLE && a->c.next_ns < next)
		next = a->c.next_ns;
	if (a->reload_pending && a->reload_next_ns < next)
		next = a->reload_next_ns;
	if (a->client_on && a->status_next_ns < next)
		next = a->status_next_ns;
	return next > now ? (int)((next - now + 999999) / 1000000) : 0;
}

static void loop(struct agent *a)
{
	while (!a->stop) {
		struct pollfd p[3] = {{.fd = a->sigfd, .events = POLLIN}, {.fd = -1}, {.fd = -1}};
		uint64_t now = mono_ns();

		if (a->client_on) {
			mgmt_client_tick(&a->c, now, wall_ms());
			mgmt_client_aux_tick(&a->c, now);
			side_done(a);
		}
		if (a->client_on) {
			side_requests(a, now);
			side_done(a);
		}
		tell_daemon(a, now);
		publish(a);
		if (a->client_on) {
			p[1].fd = a->c.http.fd;
			p[1].events = poll_events(&a->c.http);
			p[2].fd = a->c.aux.fd;
			p[2].events = poll_events(&a->c.aux);
		}
		if (poll(p, 3, timeout_ms(a, now)) < 0 && errno != EINTR) {
			say("poll: %s", strerror(errno));
			return;
		}
		if (p[0].revents)
			on_signals(a);
		if (a->client_on && p[1].fd >= 0 && p[1].revents)
			mgmt_client_event(&a->c, mono_ns(), wall_ms());
		if (a->client_on && p[2].fd >= 0 && p[2].revents)
			mgmt_client_aux_event(&a->c);
		if (a->client_on) {
			side_done(a);
			join_follow(a);
		}
		if (a->client_on)
			servers_follow(a);
	}
}

static int save_pid(struct agent *a)
{
	char buf[32], err[256];
	int n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());

	if (statefile_save_mode(a->dirfd, AGENT_PID_FILE, a->o->state_dir, buf, (size_t)n, 0644,
				err, sizeof(err)) < 0) {
		say("%s", err);
		return -1;
	}
	return 0;
}

int agent_run(const struct agent_opts *o)
{
	static struct agent a;
	int rc = 1;

	memset(&a, 0, sizeof(a));
	a.o = o;
	if (getenv("SUBNETRA_TEST_CLOCK_OFFSET_S") != NULL)
		test_offset_ms = strtoll(getenv("SUBNETRA_TEST_CLOCK_OFFSET_S"), NULL, 10) * 1000;
	a.sigfd = -1;
	if (mkdir(o->state_dir, 0700) < 0 && errno != EEXIST) {
		say("cannot create state_dir %s: %s", o->state_dir, strerror(errno));
		return 1;
	}
	a.dirfd = open(o->state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (a.dirfd < 0 || mgmt_store_init(&a.store, a.dirfd, o->state_dir, o->stem, geteuid()) < 0) {
		say("cannot use state_dir %s: %s", o->state_dir, strerror(errno));
		goto out;
	}
	a.set = malloc(sizeof(*a.set));
	a.managed = malloc(AGENT_MANAGED_MAX);
	a.daemon_json = malloc(DAEMON_REPLY_MAX);
	a.report = malloc(REPORT_MAX);
	a.sigfd = open_signals();
	if (!a.set || !a.managed || !a.daemon_json || !a.report || a.sigfd < 0) {
		say("start-up failed: %s", strerror(errno));
		goto out;
	}
	if (save_pid(&a) < 0)
		goto out;
	identity_address_format(o->addr, a.st.device);
	a.st.pid = (uint64_t)getpid();
	snprintf(a.st.applied, sizeof(a.st.applied), "none");
	snprintf(a.url, sizeof(a.url), "%s", o->cfg_url);
	take_url(&a); /* setup-server's URL over the config's */
	snprintf(a.st.url, sizeof(a.st.url), "%s", a.url);
	if (!a.client_on) {
		/* a config code joins a device that never joined (nor left) */
		bool join = o->cfg_code[0] != '\0' && !have_trust(&a);

		client_start(&a, join ? o->cfg_code : NULL, NULL);
	}
	take_join(&a);
	take_leave(&a);
	say("running (pid %ld, state_dir %s)", (long)getpid(), o->state_dir);
	loop(&a);
	say("stopping");
	rc = 0;
out:
	client_stop(&a);
	if (a.dirfd >= 0) {
		unlinkat(a.dirfd, AGENT_PID_FILE, 0);
		close(a.dirfd);
	}
	if (a.sigfd >= 0)
		close(a.sigfd);
	free(a.set);
	free(a.managed);
	free(a.daemon_json);
	free(a.report);
	return rc;
}
