/*
 * Requests on both listeners.  libmicrohttpd calls http_handle for every
 * request (several times while a body arrives, and once more after a
 * parked request is resumed) and http_completed once it is done.  The
 * order of decisions, the same for every request:
 *
 *   1. a body over HTTP_BODY_MAX: 413, and none of it is kept or parsed.
 *      A client that waits for "100 Continue" gets the 413 instead, before
 *      it sends a byte.  Other bodies up to HTTP_DRAIN_MAX are read and
 *      dropped before the answer: a client still sending while the server
 *      closes would get a reset and might never see the 413.  A declared
 *      length over HTTP_DRAIN_MAX is answered at once and the connection
 *      closed; a chunked body that passes it is cut off.
 *   2. the route (http_routes.c): method + path pattern, "{name}" matching
 *      one non-empty segment; no pattern matches the path: 404; a pattern
 *      matches but not for this method: 405 with Allow
 *   3. the handler, with the whole body in hand (r->body), the path
 *      parameters (http_param) and the query (http_query_*).
 *
 * A handler answers with http_reply / http_reply_json / http_error, or
 * parks the request (http_park) and is called again (its resume function)
 * once http_wake names the request's key or its deadline passes.  A
 * handler that does neither gets a 500 for it.
 *
 * Every error is JSON, {"error":{"code":"...","message":"..."}}, with an
 * honest status; no request text is echoed back.
 *
 * Adding an endpoint: a handler (void fn(struct http_req *r)) and a row in
 * http_routes[] (http_routes.c), and the route in docs/api/openapi.yaml
 * (t_mgmtd_http compares the two lists).  A handler that commits a change
 * calls watch_notify(r->l->m) after the commit, which wakes the long-polls
 * (watch.h); one that commits a struct model_change (devices can see it)
 * calls device_changed(r->l->m, &ch) first, which wakes exactly the
 * devices it touches (device.h).
 */
#ifndef SUBNETRA_MGMT_HTTP_H
#define SUBNETRA_MGMT_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <microhttpd.h>

#include "core/json.h"

enum {
	HTTP_BODY_MAX = 64 * 1024,
	HTTP_DRAIN_MAX =
	    1024 * 1024,	/* bytes of a refused body read to answer it cleanly */
	HTTP_PARAMS_MAX = 4,	/* "{name}" segments of one pattern */
	HTTP_JSON_DEPTH = 16,	/* containers nest at most this deep in a body */
	HTTP_KEY_MAX = 32,	/* bytes of a wake key, NUL included */
	HTTP_PAGE_DEFAULT = 50, /* ?limit= when absent */
	HTTP_PAGE_MAX = 500,	/* ?limit= at most */
	HTTP_WAIT_MAX_S = 300,	/* ?wait= at most */
	HTTP_PARKED_DEFAULT = 10000, /* requests parked at once, both listeners */
	HTTP_REMOTE_MAX = 48,	     /* an address's text (IPv6 at most), NUL included */
};

enum http_listener_kind {
	HTTP_ADMIN,  /* TLS: the UI and /api/v1 */
	HTTP_DEVICE, /* plain: license.json (devices fetch it before they trust anything)
		      */
};

struct mgmtd;

/* What MHD hands back to http_handle as its closure: the listener. */
struct http_listener {
	enum http_listener_kind kind;
	const char *name;
	struct mgmtd *m;	      /* the server: store, keys, license (mgmtd.h) */
	struct http_parking *parking; /* the server's, shared by both listeners */
	bool test_routes;	      /* serve the HTTP_ROUTE_TEST routes */
	uint64_t requests;
	uint64_t too_large;
	time_t log_window;    /* start of the current log window (server.c) */
	unsigned log_lines;   /* lines logged in it */
	unsigned log_dropped; /* lines left out of it */
};

struct http_req;
typedef void (*http_handler)(struct http_req *r);

/* A route served only with SUBNETRA_MGMTD_TEST_ROUTES=1 (http_routes.c). */
#define HTTP_ROUTE_TEST (1u << 8)

/* One row of the route table (http_routes.c). */
struct http_route {
	const char *method;  /* "GET" also answers HEAD */
	const char *pattern; /* "/api/v1/networks/{id}/devices/{address}" */
	unsigned listeners;  /* 1 << enum http_listener_kind */
	http_handler fn;
};

extern const struct http_route http_routes[];
extern const size_t http_route_count;

/* Why a parked request's resume function runs. */
enum http_wake_reason {
	HTTP_WOKEN,    /* http_wake named its key */
	HTTP_DEADLINE, /* its deadline passed */
	HTTP_SHUTDOWN, /* the server is stopping */
};

/* One request's state across MHD's calls (owned by http.c). */
struct http_req {
	struct http_listener *l;
	struct MHD_Connection *conn;
	const char *method;
	const char *url; /* MHD's, valid for the request's life */
	char *target;	 /* the request target as sent: path?query, not decoded */
	const struct http_route *route;
	char *path;			    /* a copy of the path, split for the params */
	const char *param[HTTP_PARAMS_MAX]; /* into path, in pattern order */
	const char *param_name[HTTP_PARAMS_MAX];
	size_t n_params;
	char *body; /* the body (at most HTTP_BODY_MAX bytes, NUL added), or NULL */
	size_t body_len, body_cap;
	size_t received; /* body bytes seen, kept or not */
	bool too_large;
	bool replied; /* a response is queued */
	const char *set_cookie; /* a Set-Cookie header for the answer (the handler's), or NULL */
	const char *xhdr[2]; /* one more header of the answer (name, value), or NULL */
	enum MHD_Result result;
	/* parking (http_park) */
	long slot; /* index in the parking table, or -1 */
	http_handler resume;
	enum http_wake_reason wake;
	int64_t deadline_ms;
	uint64_t cookie; /* the handler's own value across the park */
	/* Called once if the request ends before its handler let go of what it holds. */
	http_handler release;
};

/* A parked request's wake key and deadline, copied beside the others. */
struct http_park_slot {
	int64_t deadline_ms;
	char key[HTTP_KEY_MAX];
};

/*
 * The parked requests of both listeners: a fixed table (http_park.c).
 * Every wake, deadline and lookup scans at[], one flat array: with
 * thousands parked, reading each request's own key instead was a cache
 * miss per request, on every change and every turn of the loop.
 */
struct http_parking {
	struct http_req **slots;
	struct http_park_slot *at; /* at[i]: slots[i]'s key and deadline */
	size_t n, max;
	bool resumed;	 /* a request was resumed: MHD must run again (server.c) */
	uint64_t parked; /* counters */
	uint64_t woken, expired, refused;
};

enum MHD_Result http_handle(void *cls, struct MHD_Connection *conn, const char *url,
			    const char *method, const char *version,
			    const char *upload_data, size_t *upload_data_size,
			    void **req_cls);
/*
 * MHD_OPTION_URI_LOG_CALLBACK: the request state, made before the headers
 * are read, holding the target as sent (device signatures cover it).
 */
void *http_uri_log(void *cls, const char *uri, struct MHD_Connection *conn);
void http_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
		    enum MHD_RequestTerminationCode toe);

/* ---- answers (each queues one response; the first one wins) ----------------- */

/* body[0..len) with Content-Type type. */
void http_reply(struct http_req *r, unsigned status, const char *type, const void *body,
		size_t len);
void http_reply_json(struct http_req *r, unsigned status, const char *json, size_t len);
/*
 * A body several answers carry (a device's signed bundle, to each of its
 * polls and to every poll woken at once by a change): counted, not copied
 * per answer, freed when the last holder lets go.  One thread (the event
 * loop) makes and drops every reference, so the count is a plain one.
 */
struct http_shared {
	unsigned refs;
	size_t len;
	char data[];
};
/* A copy of data[0..len) with one reference (the caller's); NULL: no memory. */
struct http_shared *http_shared_new(const void *data, size_t len);
/* One reference less (NULL: nothing). */
void http_shared_put(struct http_shared *b);
/* b's bytes as JSON; the answer holds a reference until MHD has sent it. */
void http_reply_shared_json(struct http_req *r, unsigned status, struct http_shared *b);
/* How a static file (the dashboard's) may be cached, and what it may load. */
struct http_cache {
	const char *etag;    /* "\"hex\"": a 304 when If-None-Match names it */
	const char *control; /* Cache-Control */
	const char *csp;     /* Content-Security-Policy */
};
/* 200 with body[0..len) (static storage: not copied), or 304. */
void http_reply_static(struct http_req *r, const char *type, const void *body, size_t len,
		       const struct http_cache *cache);
/* {"error":{"code":code,"message":message}} (both escaped). */
void http_error(struct http_req *r, unsigned status, const char *code,
		const char *message);
/* http_error with one more header name: value. */
void http_error_hdr(struct http_req *r, unsigned status, const char *code,
		    const char *message, const char *name, const char *value);
/* 204, no body. */
void http_reply_empty(struct http_req *r);

/* ---- the request ------------------------------------------------------------ */

/*
 * Whether path (a private copy: it is cut in place on a match) matches
 * pattern, whose "{name}" segments match one non-empty segment each;
 * param[0..*n) then point at them (at most HTTP_PARAMS_MAX).
 */
bool http_route_match(const char *pattern, char *path, const char *param[HTTP_PARAMS_MAX],
		      size_t *n);

/* The path parameter called name (the pattern's "{name}"), or NULL. */
const char *http_param(const struct http_req *r, const char *name);
/* The query argument name (decoded), or NULL. */
const char *http_query(const struct http_req *r, const char *name);
/*
 * ?name= as a decimal in lo..hi (def when absent): true, or false with a
 * 400 bad_query already queued.
 */
bool http_query_u64(struct http_req *r, const char *name, uint64_t lo, uint64_t hi,
		    uint64_t def, uint64_t *out);
/* The client's address as "A.B.C.D" or "v6" text (out: HTTP_REMOTE_MAX bytes). */
void http_remote(const struct http_req *r, char *out, size_t cap);

/*
 * The body as JSON: true with *root set (json_free it), or false with the
 * error already queued: 415 unsupported_media_type unless the body is
 * declared application/json, 400 malformed_json (with the line and
 * column), 400 too_deep past HTTP_JSON_DEPTH.
 */
bool http_json_body(struct http_req *r, struct json_value *root);

/* ---- pagination: ?limit=N&cursor=C --------------------------------------------- */

struct http_page {
	uint64_t limit; /* 1..HTTP_PAGE_MAX */
	int64_t after;	/* rows after this id (0: from the start) */
};

/*
 * limit and cursor: true, or false with a 400 queued.  A cursor is what a
 * previous page's "next_cursor" said (opaque to clients; today the last
 * id in decimal).
 */
bool http_page_parse(struct http_req *r, struct http_page *p);
/* ,"next_cursor":"<last_id>" when the page is full, ,"next_cursor":null otherwise. */
struct outbuf;
void http_page_next(struct outbuf *o, const struct http_page *p, size_t rows,
		    int64_t last_id);

/* ---- long-poll: park, wake ------------------------------------------------------ */

/*
 * Park r until http_wake(key) or deadline_ms (CLOCK_MONOTONIC ms, see
 * http_now_ms); then resume(r) runs with r->wake saying why, and must
 * answer (it may park again).  false when the table is full: a 503 busy
 * is already queued.
 */
bool http_park(struct http_req *r, const char *key, int64_t deadline_ms,
	       http_handler resume);
/* Resume every request parked on key; how many. */
size_t http_wake(struct http_parking *p, const char *key);
/* Resume every request parked on a key starting with prefix; how many. */
size_t http_wake_prefix(struct http_parking *p, const char *prefix);
/*
 * Resume every request parked on a key that match(key, arg) takes, in one
 * pass over the table (many keys at once: one pass, not one per key); how
 * many.
 */
typedef bool (*http_wake_match)(const char *key, const void *arg);
size_t http_wake_if(struct http_parking *p, http_wake_match match, const void *arg);
/* Whether a request is parked on key. */
bool http_parked(const struct http_parking *p, const char *key);
/* Resume the requests whose deadline is at or before now_ms; how many. */
size_t http_park_expire(struct http_parking *p, int64_t now_ms);
/* ms until the earliest deadline (0 when due), or -1 with nothing parked. */
int http_park_timeout(const struct http_parking *p, int64_t now_ms);
/* Take r out of the table without resuming it (its connection is gone). */
void http_park_forget(struct http_parking *p, struct http_req *r);
/* Resume everything (HTTP_SHUTDOWN), before the daemons stop. */
void http_park_shutdown(struct http_parking *p);
int http_parking_init(struct http_parking *p, size_t max);
void http_parking_free(struct http_parking *p);
int64_t http_now_ms(void);

#endif
