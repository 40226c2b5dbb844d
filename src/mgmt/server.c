/* The serve command: start-up, one epoll reactor, shutdown (see server.h). */
#include "mgmt/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sodium.h>

#include "core/mgmt/proto.h"
#include "mgmt/api.h"
#include "mgmt/device.h"
#include "mgmt/feed.h"
#include "mgmt/meta.h"
#include "mgmt/model_totp.h"
#include "mgmt/pwpool.h"
#include "mgmt/schema.h"
#include "mgmt/store.h"
#include "mgmt/watch.h"

enum {
	LISTEN_BACKLOG = 512,
	TLS_FILE_MAX = 16 * 1024,
	EVENTS_MAX = 8,
	ERR_MAX = 512,
	LOG_BURST = 10,
	LOG_WINDOW_S = 60,
};

/* epoll tags */
enum { TAG_SIGNAL, TAG_ADMIN, TAG_DEVICE, TAG_PWPOOL, TAG_FEED };

/* TLS 1.2 and 1.3 only. */
static const char tls_priorities[] = "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2";

__attribute__((format(printf, 1, 2))) static void say(const char *fmt, ...)
{
	va_list ap;

	fputs("subnetra-mgmtd: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/*
 * libmicrohttpd's messages, most of them about what a client sent (a
 * broken TLS handshake, a malformed request): at most LOG_BURST lines per
 * LOG_WINDOW_S seconds per listener, then one line saying how many were
 * left out, so no client can flood the log.
 */
__attribute__((format(printf, 2, 0))) static void mhd_log(void *cls, const char *fmt,
							  va_list ap)
{
	struct http_listener *l = cls;
	time_t now = time(NULL);

	if (now - l->log_window >= LOG_WINDOW_S) {
		if (l->log_dropped > 0)
			say("%s listener: %u more messages left out", l->name,
			    l->log_dropped);
		l->log_window = now;
		l->log_lines = 0;
		l->log_dropped = 0;
	}
	if (l->log_lines >= LOG_BURST) {
		l->log_dropped++;
		return;
	}
	l->log_lines++;
	fprintf(stderr, "subnetra-mgmtd: %s listener: ", l->name);
	vfprintf(stderr, fmt, ap);
}

/*
 * At its connection limit MHD takes its listening socket out of its epoll
 * set, and puts it back only at the start of a later MHD_run: once a
 * connection closes nothing would wake that run (MHD's epoll fd does not
 * become readable for a socket it does not watch, and with no connection
 * left there is no timeout), and connections waiting in the backlog would
 * wait for some other traffic.  So every close asks for one more run.
 */
static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_ctx,
			  enum MHD_ConnectionNotificationCode code)
{
	struct mgmtd_listener *ls = cls;

	(void)conn;
	(void)socket_ctx;
	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		ls->open++;
	} else {
		ls->open--;
		ls->rerun = true;
	}
}

/* "A.B.C.D:PORT" or "[v6]:PORT" into a bound, listening, non-blocking socket. */
static int listen_on(const char *what, const char *spec, char *shown, size_t shown_cap)
{
	char host[MGMT_LISTEN_MAX], port[8];
	struct addrinfo hints = {.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE,
				 .ai_socktype = SOCK_STREAM};
	struct addrinfo *ai = NULL;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	const char *colon = strrchr(spec, ':');
	int fd = -1, one = 1, rc;

	if (colon == NULL || colon == spec || strlen(colon + 1) >= sizeof port ||
	    (size_t)(colon - spec) >= sizeof host)
		goto bad;
	snprintf(host, sizeof host, "%.*s", (int)(colon - spec), spec);
	snprintf(port, sizeof port, "%s", colon + 1);
	if (host[0] == '[') {
		size_t n = strlen(host);
		if (n < 3 || host[n - 1] != ']')
			goto bad;
		memmove(host, host + 1, n - 2);
		host[n - 2] = '\0';
	}
	rc = getaddrinfo(host, port, &hints, &ai);
	if (rc != 0)
		goto bad;
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
	    (ai->ai_family == AF_INET6 &&
	     setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) < 0) ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, LISTEN_BACKLOG) < 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &sl) < 0) {
		say("%s listener %s: %s", what, spec, strerror(errno));
		if (fd >= 0)
			close(fd);
		freeaddrinfo(ai);
		return -1;
	}
	freeaddrinfo(ai);
	getnameinfo((struct sockaddr *)&ss, sl, host, sizeof host, port, sizeof port,
		    NI_NUMERICHOST | NI_NUMERICSERV);
	snprintf(shown, shown_cap, ss.ss_family == AF_INET6 ? "[%s]:%s" : "%s:%s", host,
		 port);
	return fd;
bad:
	freeaddrinfo(ai);
	say("%s listener '%s': want ADDRESS:PORT (an IPv4 address, or an IPv6 one in [])",
	    what, spec);
	return -1;
}

static int listener_start(struct mgmtd *m, struct mgmtd_listener *ls, int tag,
			  const char *spec)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)tag};
	const union MHD_DaemonInfo *info;
	char shown[MGMT_LISTEN_MAX + 8];
	unsigned flags = MHD_USE_EPOLL | MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME;
	bool tls = ls->http.kind == HTTP_ADMIN;
	int fd;

	ls->http.m = m;
	ls->http.parking = &m->parking;
	ls->http.test_routes = m->test_routes;
	fd = listen_on(ls->http.name, spec, shown, sizeof shown);
	if (fd < 0)
		return -1;
	if (tls)
		flags |= MHD_USE_TLS;
	/*
	 * MHD owns fd from here on (MHD_stop_daemon closes it).  The logger
	 * comes first so that MHD's own start-up messages go through it; the
	 * TLS options come last, and for the plain listener an MHD_OPTION_END
	 * in their place ends the list there.
	 */
	ls->mhd = MHD_start_daemon(
	    flags, 0, NULL, NULL, http_handle, &ls->http, MHD_OPTION_EXTERNAL_LOGGER,
	    mhd_log, &ls->http, MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_CONNECTION_LIMIT,
	    m->cfg.conn_limit, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
	    (size_t)MGMT_CONN_MEMORY, MHD_OPTION_CONNECTION_TIMEOUT,
	    (unsigned)MGMT_CONN_TIMEOUT_S, MHD_OPTION_NOTIFY_COMPLETED, http_completed,
	    NULL, MHD_OPTION_NOTIFY_CONNECTION, on_connection, ls,
	    MHD_OPTION_URI_LOG_CALLBACK, http_uri_log, NULL,
	    tls ? MHD_OPTION_HTTPS_MEM_KEY : MHD_OPTION_END, m->tls_key_pem,
	    MHD_OPTION_HTTPS_MEM_CERT, m->tls_cert_pem, MHD_OPTION_HTTPS_PRIORITIES,
	    tls_priorities, MHD_OPTION_END);
	if (ls->mhd == NULL) {
		say("%s listener %s: libmicrohttpd would not start%s", ls->http.name,
		    shown, tls ? " (check the TLS certificate and key)" : "");
		close(fd);
		return -1;
	}
	info = MHD_get_daemon_info(ls->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	if (info == NULL || epoll_ctl(m->epfd, EPOLL_CTL_ADD, info->epoll_fd, &ev) < 0) {
		say("%s listener: cannot watch its epoll fd: %s", ls->http.name,
		    strerror(errno));
		return -1;
	}
	ls->mhd_epfd = info->epoll_fd;
	say("%s listener on %s://%s/", ls->http.name, tls ? "https" : "http", shown);
	return 0;
}

/* The change watcher's period: slow while the change feed brings the changes. */
static int watch_period(const struct mgmtd *m)
{
	return feed_live(m) ? FEED_POLL_MS : WATCH_POLL_MS;
}

/*
 * The shortest timeout either daemon asks for, in ms, or -1 for none; with
 * requests parked, also their earliest deadline and the change watcher's
 * period (watch.h); the change feed's next connection attempt (feed.h);
 * the next flush of due last_seen writes (device.h).
 */
static int next_timeout(const struct mgmtd *m)
{
	const struct mgmtd_listener *ls[] = {&m->admin, &m->device};
	MHD_UNSIGNED_LONG_LONG t;
	int64_t now = http_now_ms();
	int best = feed_timeout(m, now);
	int seen = device_seen_timeout(m, now);

	if (seen >= 0 && (best < 0 || seen < best))
		best = seen;
	if (m->parking.resumed)
		return 0;
	if (m->parking.n > 0) {
		int d = http_park_timeout(&m->parking, now);
		int w = watch_period(m);

		if (d > w)
			d = w;
		if (best < 0 || d < best)
			best = d;
	}
	for (size_t i = 0; i < 2; i++) {
		if (ls[i]->rerun)
			return 0;
		if (ls[i]->mhd == NULL || MHD_get_timeout(ls[i]->mhd, &t) != MHD_YES)
			continue;
		if (t > INT32_MAX)
			t = INT32_MAX;
		if (best < 0 || (int)t < best)
			best = (int)t;
	}
	return best;
}

static void drain_signals(struct mgmtd *m)
{
	struct signalfd_siginfo si;

	while (read(m->sigfd, &si, sizeof si) == (ssize_t)sizeof si) {
		say("signal %u: stopping", si.ssi_signo);
		m->stop = true;
	}
}

static int loop(struct mgmtd *m)
{
	struct epoll_event ev[EVENTS_MAX];

	while (!m->stop) {
		int n = epoll_wait(m->epfd, ev, EVENTS_MAX, next_timeout(m));

		if (n < 0) {
			if (errno == EINTR)
				continue;
			say("epoll_wait: %s", strerror(errno));
			return -1;
		}
		for (int i = 0; i < n; i++) {
			switch (ev[i].data.u32) {
			case TAG_SIGNAL:
				drain_signals(m);
				break;
			case TAG_ADMIN:
				MHD_run(m->admin.mhd);
				break;
			case TAG_DEVICE:
				MHD_run(m->device.mhd);
				break;
			case TAG_PWPOOL:
				/* Password checks done: their requests resume below. */
				pwpool_drain(m->pw, &m->parking);
				break;
			case TAG_FEED:
				feed_ready(m);
				break;
			}
		}
		feed_tick(m, http_now_ms());
		device_seen_flush(m, false);
		/* Long-polls: a change made elsewhere, deadlines passed. */
		if (m->parking.n > 0) {
			int64_t now = http_now_ms();

			if (now - m->watched_ms >= watch_period(m)) {
				m->watched_ms = now;
				watch_poll(m);
			}
			http_park_expire(&m->parking, now);
		}
		/*
		 * A timeout ran out (the daemons close idle connections), a
		 * connection closed (on_connection), or parked requests were
		 * resumed (MHD answers them in its next run).
		 */
		if (n == 0 || m->admin.rerun || m->device.rerun || m->parking.resumed) {
			m->admin.rerun = false;
			m->device.rerun = false;
			m->parking.resumed = false;
			MHD_run(m->admin.mhd);
			MHD_run(m->device.mhd);
		}
	}
	return 0;
}

/* The setting key from meta into out, unless the command line gave one. */
static int setting(struct mgmtd *m, const char *key, char *out, size_t cap)
{
	int rc;

	if (out[0] != '\0')
		return 0;
	rc = meta_get(m->store, key, out, cap);
	if (rc < 0)
		say("%s: meta.%s: %s", store_path(m->store), key,
		    rc == -ENOENT
			? "missing (was this database made by subnetra-mgmtd init?)"
			: store_errmsg(m->store));
	return rc;
}

static char *read_tls(const char *path, bool secret)
{
	char err[ERR_MAX];
	char *buf = malloc(TLS_FILE_MAX);

	if (buf == NULL)
		return NULL;
	if (instance_file_read(path, buf, TLS_FILE_MAX, secret, err, sizeof err) < 0) {
		say("%s", err);
		free(buf);
		return NULL;
	}
	return buf;
}

/* Keys from the state directory, checked against the public key init recorded. */
static int load_keys(struct mgmtd *m)
{
	char dir[PATH_MAX] = "", want[INSTANCE_PK_HEX] = "", have[INSTANCE_PK_HEX];
	char err[ERR_MAX];

	if (m->cfg.paths.dir[0] == '\0') {
		if (setting(m, META_STATE_DIR, dir, sizeof dir) < 0 ||
		    instance_paths_init(&m->cfg.paths, dir, err, sizeof err) < 0)
			return -1;
	}
	if (setting(m, META_INSTANCE_PK, want, sizeof want) < 0)
		return -1;
	if (instance_keys_load(&m->cfg.paths, &m->keys, err, sizeof err) < 0) {
		say("%s", err);
		return -1;
	}
	instance_pk_hex(&m->keys, have);
	if (strcmp(have, want) != 0) {
		say("%s: public key %s is not this instance's (%s: meta.instance_pubkey "
		    "%s)",
		    m->cfg.paths.key, have, store_path(m->store), want);
		return -1;
	}
	return 0;
}

/*
 * TOTP secrets written in clear (before they were sealed) sealed under
 * the pepper just loaded, before any request can read one.
 */
static int seal_totp(struct mgmtd *m)
{
	struct model_op op = {.s = m->store,
			      .who = {.kind = MODEL_ACTOR_SYSTEM},
			      .now_ms = (int64_t)time(NULL) * 1000,
			      .pepper = m->keys.pepper};
	int n, rc = model_totp_seal_clear(&op, &n);

	if (rc < 0)
		say("%s: cannot seal the TOTP secrets stored in clear: %s", store_path(m->store),
		    store_errmsg(m->store));
	else if (n > 0)
		say("sealed %d TOTP secret%s stored in clear (key: the pepper file)", n,
		    n == 1 ? "" : "s");
	return rc;
}

static int open_store(struct mgmtd *m)
{
	struct store_error e;
	char err[ERR_MAX];
	int rc;

	/* Several servers may share one PostgreSQL database; a SQLite file has one. */
	rc = store_is_postgres(m->cfg.db)
		 ? 0
		 : instance_lock(m->cfg.db, &m->lockfd, err, sizeof err);
	if (rc < 0) {
		say("%s", err);
		return rc == -EBUSY ? MGMT_EXIT_REFUSED : MGMT_EXIT_FAIL;
	}
	if (store_open(&m->store, m->cfg.db, STORE_OPEN_EXISTING, &e) < 0 ||
	    store_migrate(m->store, schema_migrations, schema_migration_count, &e) < 0) {
		say("%s", e.msg);
		return MGMT_EXIT_DB;
	}
	m->schema_version = (int)schema_migration_count;
	return 0;
}

/*
 * Two fds per connection at most (the socket, and MHD's bookkeeping has
 * none more; the spare covers the rest), for both listeners: raise the
 * soft limit as far as needed, and when the hard limit is lower, lower
 * the connection limit to fit and say so.
 */
static void fit_fd_limit(struct mgmtd *m)
{
	struct rlimit rl;
	rlim_t want = (rlim_t)m->cfg.conn_limit * 2 + MGMT_FD_SPARE;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return;
	if (rl.rlim_cur >= want)
		return;
	rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= want ? want : rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0 && getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return;
	if (rl.rlim_cur < want) {
		unsigned fit = rl.rlim_cur > 2 * MGMT_FD_SPARE
				   ? (unsigned)((rl.rlim_cur - MGMT_FD_SPARE) / 2)
				   : MGMT_FD_SPARE / 2;
		say("open file limit %llu is below the %llu that --max-connections %u needs "
		    "on two listeners: serving at most %u connections per listener (raise "
		    "the hard limit: ulimit -Hn, or LimitNOFILE= in the unit)",
		    (unsigned long long)rl.rlim_cur, (unsigned long long)want,
		    m->cfg.conn_limit, fit);
		m->cfg.conn_limit = fit;
	}
}

/* The password-hashing threads, their eventfd in the reactor's set. */
static int pwpool_setup(struct mgmtd *m)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.u32 = TAG_PWPOOL};
	int rc = pwpool_start(&m->pw, &m->pwfd);

	if (rc < 0) {
		say("password hashing threads: %s", strerror(-rc));
		return rc;
	}
	if (epoll_ctl(m->epfd, EPOLL_CTL_ADD, m->pwfd, &ev) < 0) {
		say("epoll_ctl: %s", strerror(errno));
		return -errno;
	}
	return 0;
}

static int setup_signals(struct mgmtd *m)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.u32 = TAG_SIGNAL};
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	signal(SIGPIPE, SIG_IGN);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -1;
	m->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (m->sigfd < 0 || epoll_ctl(m->epfd, EPOLL_CTL_ADD, m->sigfd, &ev) < 0) {
		say("signalfd: %s", strerror(errno));
		return -1;
	}
	return 0;
}

int server_run(const struct mgmtd_config *cfg)
{
	struct mgmtd *m;
	int ret = MGMT_EXIT_FAIL, rc;

	/* Zeroed, so cleanup can tell what was set up; owned fds start at -1. */
	m = calloc(1, sizeof *m);
	if (m == NULL)
		return MGMT_EXIT_FAIL;
	m->cfg = *cfg;
	m->lockfd = m->epfd = m->sigfd = -1;
	m->admin.http = (struct http_listener){.kind = HTTP_ADMIN, .name = "admin"};
	m->device.http = (struct http_listener){.kind = HTTP_DEVICE, .name = "device"};
	m->started = time(NULL);

	rc = open_store(m);
	if (rc != 0) {
		ret = rc;
		goto cleanup;
	}
	if (load_keys(m) < 0 || seal_totp(m) < 0 ||
	    setting(m, META_TLS_CERT, m->cfg.tls_cert, sizeof m->cfg.tls_cert) < 0 ||
	    setting(m, META_TLS_KEY, m->cfg.tls_key, sizeof m->cfg.tls_key) < 0)
		goto cleanup;
	m->tls_cert_pem = read_tls(m->cfg.tls_cert, false);
	m->tls_key_pem = read_tls(m->cfg.tls_key, true);
	if (m->tls_cert_pem == NULL || m->tls_key_pem == NULL)
		goto cleanup;
	m->license_text = malloc(MGMT_ENVELOPE_MAX);
	m->logins = malloc(sizeof *m->logins);
	if (m->license_text == NULL || m->logins == NULL ||
	    http_parking_init(&m->parking, HTTP_PARKED_DEFAULT) < 0)
		goto cleanup;
	watch_init(m);
	api_logins_init(m->logins);
	if (device_init(m) < 0)
		goto cleanup;
	fit_fd_limit(m);
	/* The framework's test routes (http_routes.c): never in production. */
	m->test_routes = getenv("SUBNETRA_MGMTD_TEST_ROUTES") != NULL &&
			 strcmp(getenv("SUBNETRA_MGMTD_TEST_ROUTES"), "1") == 0;
	if (m->test_routes)
		say("SUBNETRA_MGMTD_TEST_ROUTES=1: the test routes /api/v1/_test/* are on");
	m->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (m->epfd < 0 || setup_signals(m) < 0 || pwpool_setup(m) < 0)
		goto cleanup;
	if (feed_start(m, TAG_FEED) < 0)
		goto cleanup;
	if (listener_start(m, &m->admin, TAG_ADMIN, m->cfg.admin_listen) < 0 ||
	    listener_start(m, &m->device, TAG_DEVICE, m->cfg.device_listen) < 0)
		goto cleanup;
	say("serving %s (schema version %d)", store_path(m->store), m->schema_version);
	if (loop(m) == 0)
		ret = MGMT_EXIT_OK;
	device_seen_flush(m, true); /* what is due is not lost to a clean stop */
	/* The device API's counters, then the last line: the requests. */
	if (m->dev != NULL) {
		const struct device_state *d = m->dev;

		say("device API: %llu bundles signed, %llu served, %llu polls woken; refused: "
		    "%llu malformed_auth, %llu bad_key, %llu bad_signature, %llu clock_skew, "
		    "%llu replay, %llu nonce_too_old",
		    (unsigned long long)d->signed_bundles, (unsigned long long)d->served_bundles,
		    (unsigned long long)d->woken,
		    (unsigned long long)d->auth_fail[DEVICE_AUTH_MALFORMED],
		    (unsigned long long)d->auth_fail[DEVICE_AUTH_BAD_KEY],
		    (unsigned long long)d->auth_fail[DEVICE_AUTH_BAD_SIG],
		    (unsigned long long)d->auth_fail[DEVICE_AUTH_SKEW],
		    (unsigned long long)d->auth_fail[DEVICE_AUTH_REPLAY],
		    (unsigned long long)d->auth_fail[DEVICE_AUTH_TOO_OLD]);
	}
	if (m->feed.on)
		say("change feed: %llu notifications, %llu full re-checks, %llu connections lost",
		    (unsigned long long)m->feed.notifications,
		    (unsigned long long)m->feed.rechecks, (unsigned long long)m->feed.losses);
	say("served %llu requests (admin %llu, device %llu), %llu bodies too large, "
	    "%llu long-polls (%llu woken, %llu timed out, %llu refused)",
	    (unsigned long long)(m->admin.http.requests + m->device.http.requests),
	    (unsigned long long)m->admin.http.requests,
	    (unsigned long long)m->device.http.requests,
	    (unsigned long long)(m->admin.http.too_large + m->device.http.too_large),
	    (unsigned long long)m->parking.parked, (unsigned long long)m->parking.woken,
	    (unsigned long long)m->parking.expired, (unsigned long long)m->parking.refused);
cleanup:
	/*
	 * MHD must not stop with a connection suspended: resume them, let them
	 * answer (a password check parked: 503).  The hashing threads stop
	 * after, so no slot is in use by a request when the pool is freed.
	 */
	if (m->parking.n > 0) {
		http_park_shutdown(&m->parking);
		if (m->admin.mhd != NULL)
			MHD_run(m->admin.mhd);
		if (m->device.mhd != NULL)
			MHD_run(m->device.mhd);
	}
	http_parking_free(&m->parking);
	if (m->device.mhd != NULL)
		MHD_stop_daemon(m->device.mhd);
	if (m->admin.mhd != NULL)
		MHD_stop_daemon(m->admin.mhd);
	pwpool_stop(m->pw);
	device_free(m);
	free(m->license_text);
	free(m->logins);
	feed_stop(m);
	if (m->sigfd >= 0)
		close(m->sigfd);
	if (m->epfd >= 0)
		close(m->epfd);
	if (m->tls_key_pem != NULL) {
		sodium_memzero(m->tls_key_pem, TLS_FILE_MAX);
		free(m->tls_key_pem);
	}
	free(m->tls_cert_pem);
	instance_keys_wipe(&m->keys);
	store_close(m->store);
	if (m->lockfd >= 0)
		close(m->lockfd);
	free(m);
	return ret;
}
