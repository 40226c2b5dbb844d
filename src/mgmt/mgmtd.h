/*
 * The running server: one context, passed by pointer, owns every fd, the
 * store, the keys and both listeners.  Its parsed configuration (cfg) is
 * fixed at start-up; the rest is runtime state touched only by the reactor
 * thread (server.c); the only other threads are pwpool's, which touch
 * nothing but their own job slots.
 */
#ifndef SUBNETRA_MGMT_MGMTD_H
#define SUBNETRA_MGMT_MGMTD_H

#include <limits.h>
#include <stdbool.h>
#include <time.h>

#include "mgmt/feed.h"
#include "mgmt/http.h"
#include "mgmt/instance.h"
#include "mgmt/model_ratelimit.h"
#include "mgmt/watch.h"

struct device_state;

/* Exit codes of every subcommand (documented in --help and docs/management.md). */
enum mgmt_exit {
	MGMT_EXIT_OK = 0,
	MGMT_EXIT_FAIL = 1, /* a runtime failure: I/O, TLS, a listener that cannot bind */
	MGMT_EXIT_USAGE = 2, /* bad or missing arguments (EXIT_USAGE_ERROR) */
	MGMT_EXIT_REFUSED =
	    3, /* would overwrite an instance or a file, or the database is in use */
	MGMT_EXIT_DB =
	    4, /* the database: missing, not a database, wrong schema, migration failed */
};

enum {
	MGMT_LISTEN_MAX = 64, /* "[v6 address]:port" */
	MGMT_CONN_LIMIT_DEFAULT = 8192, /* per listener: room for 5,000 long-polls */
	MGMT_FD_SPARE = 64,		/* fds besides the connections: db, epoll, logs */
	MGMT_CONN_MEMORY = 32 * 1024, /* per connection: headers and MHD's read buffer */
	MGMT_CONN_TIMEOUT_S = 60,     /* idle connections are closed */
};

struct mgmtd_config {
	const char *db;
	struct instance_paths paths;
	char tls_cert[PATH_MAX];
	char tls_key[PATH_MAX];
	char admin_listen[MGMT_LISTEN_MAX];
	char device_listen[MGMT_LISTEN_MAX];
	unsigned conn_limit;
};

struct mgmtd_listener {
	struct http_listener http; /* MHD's closure for this listener */
	struct MHD_Daemon *mhd;
	int mhd_epfd;  /* MHD's own epoll set, a member of ours */
	unsigned open; /* connections now open */
	bool rerun;    /* one closed: run MHD again at once (server.c) */
};

struct mgmtd {
	struct mgmtd_config cfg;
	struct store *store;
	int schema_version;
	int lockfd;
	int epfd;
	int sigfd;
	struct instance_keys keys;
	char *tls_key_pem; /* held for MHD's lifetime; wiped */
	char *tls_cert_pem;
	struct mgmtd_listener admin;
	struct mgmtd_listener device;
	struct http_parking parking; /* long-polls of both listeners */
	struct watch watch;	     /* the change cursor they wait on */
	struct feed feed;	     /* other servers' changes (PostgreSQL) */
	struct device_state *dev;    /* the device API's memory (device.h) */
	int64_t watched_ms;	     /* last watch_poll (monotonic ms) */
	char *license_text;	     /* license.json as last signed (MGMT_ENVELOPE_MAX) */
	size_t license_len;	     /* 0: none yet */
	uint64_t license_serial;     /* whose serial */
	struct login_limits *logins; /* sign-in rate limits (api_auth.c) */
	struct pwpool *pw;	     /* argon2id in worker threads (pwpool.h) */
	int pwfd;		     /* its eventfd, in epfd */
	time_t started;
	bool test_routes; /* SUBNETRA_MGMTD_TEST_ROUTES=1 */
	bool stop;
};

#endif
