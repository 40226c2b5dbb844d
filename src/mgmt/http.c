/* The request framework on both listeners (see http.h for the order). */
#include "mgmt/http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "core/mgmt/jsonio.h"
#include "core/outbuf.h"
#include "mgmt/mgmtd.h"

enum {
	ERR_JSON_MAX = 1024, /* an error reply: fixed code, bounded message */
	BODY_FIRST_CAP = 1024,
};

/* ---- answers --------------------------------------------------------------- */

/*
 * Every answer: never framed, never sniffed, and (but for the dashboard's
 * pages, which name their own) no active content at all.
 */
#define CSP_NONE "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"

static void guard(struct MHD_Response *resp, const char *csp)
{
	MHD_add_response_header(resp, "Content-Security-Policy", csp);
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "X-Frame-Options", "DENY");
}

struct http_shared *http_shared_new(const void *data, size_t len)
{
	struct http_shared *b = malloc(sizeof *b + len);

	if (b == NULL)
		return NULL;
	b->refs = 1;
	b->len = len;
	memcpy(b->data, data, len);
	return b;
}

void http_shared_put(struct http_shared *b)
{
	if (b != NULL && --b->refs == 0)
		free(b);
}

/* MHD's free callback of a response made from a shared body. */
static void shared_done(void *cls)
{
	http_shared_put(cls);
}

/* The response of body[0..len): shared (counted, not copied), static, or copied. */
static struct MHD_Response *response(const void *body, size_t len, bool persistent,
				     struct http_shared *shared)
{
	struct MHD_Response *resp;

	if (shared == NULL)
		return MHD_create_response_from_buffer(
		    len, (void *)(uintptr_t)body,
		    persistent ? MHD_RESPMEM_PERSISTENT : MHD_RESPMEM_MUST_COPY);
	shared->refs++;
	resp = MHD_create_response_from_buffer_with_free_callback_cls(
	    shared->len, shared->data, shared_done, shared);
	if (resp == NULL)
		shared->refs--;
	return resp;
}

static void reply(struct http_req *r, unsigned status, const char *type, const void *body,
		  size_t len, const struct http_cache *cache, struct http_shared *shared)
{
	struct MHD_Response *resp;

	if (r->replied)
		return;
	r->replied = true;
	r->result = MHD_NO;
	resp = response(body, len, cache != NULL, shared);
	if (resp == NULL)
		return;
	if (type != NULL)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (cache != NULL) {
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, cache->control);
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, cache->etag);
		MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
	} else {
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	}
	guard(resp, cache != NULL ? cache->csp : CSP_NONE);
	if (r->set_cookie != NULL)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_SET_COOKIE, r->set_cookie);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED && r->route != NULL) {
		char allow[128];
		struct outbuf o;

		/* Every method the path's patterns take (r->route: the first of them). */
		outbuf_init(&o, allow, sizeof allow);
		for (size_t i = 0; i < http_route_count; i++) {
			if (strcmp(http_routes[i].pattern, r->route->pattern) != 0)
				continue;
			outbuf_puts(&o, o.len ? ", " : "");
			outbuf_puts(&o, http_routes[i].method);
			if (strcmp(http_routes[i].method, MHD_HTTP_METHOD_GET) == 0)
				outbuf_puts(&o, ", HEAD");
		}
		if (outbuf_finish(&o) > 0)
			MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, allow);
	}
	/* A 503's Retry-After: 5 s unless the handler named its own. */
	if (status == MHD_HTTP_SERVICE_UNAVAILABLE &&
	    (r->xhdr[0] == NULL || strcasecmp(r->xhdr[0], MHD_HTTP_HEADER_RETRY_AFTER) != 0))
		MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, "5");
	if (r->xhdr[0] != NULL)
		MHD_add_response_header(resp, r->xhdr[0], r->xhdr[1]);
	r->result = MHD_queue_response(r->conn, status, resp);
	MHD_destroy_response(resp);
}

void http_reply(struct http_req *r, unsigned status, const char *type, const void *body,
		size_t len)
{
	reply(r, status, type, body, len, NULL, NULL);
}

void http_reply_static(struct http_req *r, const char *type, const void *body, size_t len,
		       const struct http_cache *cache)
{
	const char *inm = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
						      MHD_HTTP_HEADER_IF_NONE_MATCH);

	/* The browser's copy is current: its tag is ours (one tag, or a list). */
	if (inm != NULL && strstr(inm, cache->etag) != NULL)
		reply(r, MHD_HTTP_NOT_MODIFIED, NULL, "", 0, cache, NULL);
	else
		reply(r, MHD_HTTP_OK, type, body, len, cache, NULL);
}

void http_reply_json(struct http_req *r, unsigned status, const char *json, size_t len)
{
	http_reply(r, status, "application/json", json, len);
}

void http_reply_shared_json(struct http_req *r, unsigned status, struct http_shared *b)
{
	reply(r, status, "application/json", NULL, 0, NULL, b);
}

void http_reply_empty(struct http_req *r)
{
	http_reply(r, MHD_HTTP_NO_CONTENT, NULL, "", 0);
}

static size_t error_json(char *buf, size_t cap, const char *code, const char *message)
{
	struct outbuf o;

	outbuf_init(&o, buf, cap);
	outbuf_puts(&o, "{\"error\":{\"code\":");
	mgmt_json_put_str(&o, code, strlen(code));
	outbuf_puts(&o, ",\"message\":");
	mgmt_json_put_str(&o, message, strnlen(message, ERR_JSON_MAX / 2));
	outbuf_puts(&o, "}}\n");
	return outbuf_finish(&o);
}

void http_error(struct http_req *r, unsigned status, const char *code,
		const char *message)
{
	char json[ERR_JSON_MAX];
	size_t n = error_json(json, sizeof json, code, message);

	http_reply_json(r, status, json, n);
}

void http_error_hdr(struct http_req *r, unsigned status, const char *code,
		    const char *message, const char *name, const char *value)
{
	r->xhdr[0] = name;
	r->xhdr[1] = value;
	http_error(r, status, code, message);
	r->xhdr[0] = r->xhdr[1] = NULL;
}

/* Before a request state exists (the first call): an error straight on conn. */
static enum MHD_Result early_error(struct MHD_Connection *c, unsigned status,
				   const char *code, const char *message, bool close)
{
	char json[ERR_JSON_MAX];
	size_t n = error_json(json, sizeof json, code, message);
	struct MHD_Response *resp;
	enum MHD_Result ok;

	resp = MHD_create_response_from_buffer(n, json, MHD_RESPMEM_MUST_COPY);
	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	guard(resp, CSP_NONE);
	if (close)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
	ok = MHD_queue_response(c, status, resp);
	MHD_destroy_response(resp);
	return ok;
}

static void error_too_large(struct http_req *r)
{
	http_error(r, MHD_HTTP_CONTENT_TOO_LARGE, "body_too_large",
		   "request body over 65536 bytes");
}

/* ---- the request ------------------------------------------------------------ */

const char *http_param(const struct http_req *r, const char *name)
{
	size_t len = strlen(name);

	/* param_name[i] points into the pattern: "name}..." */
	for (size_t i = 0; i < r->n_params; i++)
		if (strncmp(r->param_name[i], name, len) == 0 &&
		    r->param_name[i][len] == '}')
			return r->param[i];
	return NULL;
}

const char *http_query(const struct http_req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

bool http_query_u64(struct http_req *r, const char *name, uint64_t lo, uint64_t hi,
		    uint64_t def, uint64_t *out)
{
	const char *s = http_query(r, name);
	char msg[128];
	uint64_t v = 0;
	size_t i;

	if (s == NULL) {
		*out = def;
		return true;
	}
	/* Digits only, no sign, no leading zero, no overflow. */
	for (i = 0; s[i] >= '0' && s[i] <= '9' && i < 16; i++)
		v = v * 10 + (uint64_t)(s[i] - '0');
	if (i == 0 || s[i] != '\0' || (s[0] == '0' && i > 1) || v < lo || v > hi) {
		snprintf(msg, sizeof msg, "query argument %s wants an integer %llu..%llu",
			 name, (unsigned long long)lo, (unsigned long long)hi);
		http_error(r, MHD_HTTP_BAD_REQUEST, "bad_query", msg);
		return false;
	}
	*out = v;
	return true;
}

void http_remote(const struct http_req *r, char *out, size_t cap)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci != NULL ? ci->client_addr : NULL;
	socklen_t sl;

	snprintf(out, cap, "?");
	if (sa == NULL)
		return;
	sl = sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
				       : sizeof(struct sockaddr_in);
	if (getnameinfo(sa, sl, out, (socklen_t)cap, NULL, 0, NI_NUMERICHOST) != 0)
		snprintf(out, cap, "?");
}

/* Whether the body is declared JSON: "application/json", parameters allowed. */
static bool is_json_type(struct http_req *r)
{
	const char *t = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
						    MHD_HTTP_HEADER_CONTENT_TYPE);
	static const char want[] = "application/json";

	return t != NULL && strncasecmp(t, want, sizeof want - 1) == 0 &&
	       (t[sizeof want - 1] == '\0' || t[sizeof want - 1] == ';' ||
		t[sizeof want - 1] == ' ');
}

static size_t depth_of(const struct json_value *v)
{
	size_t d = 0;

	if (v->type == JSON_ARRAY)
		for (size_t i = 0; i < v->u.array.n; i++) {
			size_t c = depth_of(&v->u.array.items[i]);
			d = c > d ? c : d;
		}
	else if (v->type == JSON_OBJECT)
		for (size_t i = 0; i < v->u.object.n; i++) {
			size_t c = depth_of(&v->u.object.members[i].value);
			d = c > d ? c : d;
		}
	else
		return 0;
	return d + 1;
}

bool http_json_body(struct http_req *r, struct json_value *root)
{
	struct json_error e;
	char msg[160];

	*root = (struct json_value){.type = JSON_NULL};
	if (!is_json_type(r)) {
		http_error(r, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type",
			   "the body must be Content-Type: application/json");
		return false;
	}
	if (r->body == NULL || r->body_len == 0) {
		http_error(r, MHD_HTTP_BAD_REQUEST, "malformed_json",
			   "the body is empty");
		return false;
	}
	if (memchr(r->body, '\0', r->body_len) != NULL) {
		http_error(r, MHD_HTTP_BAD_REQUEST, "malformed_json",
			   "the body holds a NUL byte");
		return false;
	}
	if (!json_parse(r->body, r->body_len, JSON_PLAIN_KEYS, root, &e)) {
		/* e.what is a fixed phrase: nothing of the body is echoed. */
		snprintf(msg, sizeof msg, "line %zu, column %zu: %s", e.line, e.column,
			 e.what);
		http_error(r, MHD_HTTP_BAD_REQUEST, "malformed_json", msg);
		return false;
	}
	if (depth_of(root) > HTTP_JSON_DEPTH) {
		json_free(root);
		http_error(r, MHD_HTTP_BAD_REQUEST, "too_deep",
			   "the body nests deeper than 16 levels");
		return false;
	}
	return true;
}

/* ---- pagination ----------------------------------------------------------------- */

bool http_page_parse(struct http_req *r, struct http_page *p)
{
	uint64_t after = 0;
	const char *c = http_query(r, "cursor");

	if (!http_query_u64(r, "limit", 1, HTTP_PAGE_MAX, HTTP_PAGE_DEFAULT, &p->limit))
		return false;
	if (c != NULL && c[0] != '\0' &&
	    !http_query_u64(r, "cursor", 1, INT64_MAX, 0, &after))
		return false;
	p->after = (int64_t)after;
	return true;
}

void http_page_next(struct outbuf *o, const struct http_page *p, size_t rows,
		    int64_t last_id)
{
	if (rows >= p->limit && last_id > 0)
		outbuf_printf(o, ",\"next_cursor\":\"%lld\"", (long long)last_id);
	else
		outbuf_puts(o, ",\"next_cursor\":null");
}

/* ---- routing ---------------------------------------------------------------------- */

bool http_route_match(const char *pattern, char *path, const char *param[HTTP_PARAMS_MAX],
		      size_t *n_out)
{
	const char *pp = pattern;
	char *sp = path, *cuts[HTTP_PARAMS_MAX];
	size_t n = 0;

	while (*pp != '\0') {
		if (*pp == '{') {
			const char *close = strchr(pp, '}');
			char *end = strchr(sp, '/');

			if (end == NULL)
				end = sp + strlen(sp);
			if (close == NULL || end == sp || n == HTTP_PARAMS_MAX)
				return false;
			param[n] = sp;
			cuts[n++] = *end == '/' ? end : NULL;
			sp = end;
			pp = close + 1;
			continue;
		}
		if (*pp++ != *sp++)
			return false;
	}
	if (*sp != '\0')
		return false;
	/* A match: cut the parameters out of path. */
	for (size_t i = 0; i < n; i++)
		if (cuts[i] != NULL)
			*cuts[i] = '\0';
	*n_out = n;
	return true;
}

/* The route of (method, path); else NULL, *other set when only the method is wrong. */
static const struct http_route *route_find(struct http_req *r, const char *url,
					   const char *method,
					   const struct http_route **other)
{
	bool head = strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;

	*other = NULL;
	for (size_t i = 0; i < http_route_count; i++) {
		const struct http_route *rt = &http_routes[i];
		char *copy;

		if ((rt->listeners & 1u << r->l->kind) == 0 ||
		    ((rt->listeners & HTTP_ROUTE_TEST) && !r->l->test_routes))
			continue;
		copy = strdup(url);
		if (copy == NULL)
			return NULL;
		if (!http_route_match(rt->pattern, copy, r->param, &r->n_params)) {
			free(copy);
			continue;
		}
		if (strcmp(rt->method, method) == 0 ||
		    (head && strcmp(rt->method, MHD_HTTP_METHOD_GET) == 0)) {
			free(r->path);
			r->path = copy;
			return rt;
		}
		free(copy);
		if (*other == NULL)
			*other = rt;
	}
	return NULL;
}

/* Name the params of r->route (pattern order): each points at its name in the pattern. */
static void name_params(struct http_req *r)
{
	const char *p = r->route->pattern;

	for (size_t i = 0; i < r->n_params && (p = strchr(p, '{')) != NULL; i++) {
		r->param_name[i] = ++p;
	}
}

/* Run a handler (or a resume function) and make sure something answers. */
static enum MHD_Result run(struct http_req *r, http_handler fn)
{
	r->result = MHD_YES;
	fn(r);
	if (r->slot >= 0)
		return MHD_YES; /* parked: MHD holds the connection */
	if (!r->replied)
		http_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal",
			   "the handler gave no answer");
	return r->result;
}

static void dispatch(struct http_req *r)
{
	const struct http_route *other;

	r->route = route_find(r, r->url, r->method, &other);
	if (r->route == NULL) {
		r->route = other;
		if (other != NULL)
			http_error(r, MHD_HTTP_METHOD_NOT_ALLOWED, "method_not_allowed",
				   "this endpoint does not take that method");
		else
			http_error(r, MHD_HTTP_NOT_FOUND, "not_found",
				   "no such endpoint");
		return;
	}
	name_params(r);
	r->route->fn(r);
}

/* ---- MHD's callbacks --------------------------------------------------------------- */

/* The declared body length (0 when none; MHD itself refuses a malformed one). */
static unsigned long long declared_length(struct MHD_Connection *c)
{
	const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						     MHD_HTTP_HEADER_CONTENT_LENGTH);
	unsigned long long n;

	if (cl == NULL || *cl < '0' || *cl > '9')
		return 0;
	errno = 0;
	n = strtoull(cl, NULL, 10);
	return errno == ERANGE ? ULLONG_MAX : n;
}

/* Whether the client waits for "100 Continue" before it sends its body. */
static bool expects_continue(struct MHD_Connection *c)
{
	const char *e =
	    MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_EXPECT);

	return e != NULL && strcasecmp(e, "100-continue") == 0;
}

/*
 * Keep what fits (the buffer doubles, up to HTTP_BODY_MAX + 1 for a NUL);
 * past the cap only count (the bytes are dropped); past HTTP_DRAIN_MAX
 * give up on the connection.
 */
static int take_body(struct http_req *r, const char *data, size_t n)
{
	size_t cap;
	char *b;

	r->received += n;
	if (r->received > HTTP_DRAIN_MAX)
		return -EFBIG;
	if (r->too_large || r->received > HTTP_BODY_MAX) {
		r->too_large = true;
		if (r->body != NULL)
			sodium_memzero(r->body, r->body_cap);
		free(r->body);
		r->body = NULL;
		r->body_len = r->body_cap = 0;
		return 0;
	}
	if (r->body_len + n + 1 > r->body_cap) {
		cap = r->body_cap ? r->body_cap : BODY_FIRST_CAP;
		while (cap < r->body_len + n + 1)
			cap *= 2;
		if (cap > HTTP_BODY_MAX + 1)
			cap = HTTP_BODY_MAX + 1;
		/* Not realloc: a body may hold a password, and no copy is left behind. */
		b = malloc(cap);
		if (b == NULL)
			return -ENOMEM;
		if (r->body != NULL) {
			memcpy(b, r->body, r->body_len);
			sodium_memzero(r->body, r->body_cap);
			free(r->body);
		}
		r->body = b;
		r->body_cap = cap;
	}
	memcpy(r->body + r->body_len, data, n);
	r->body_len += n;
	r->body[r->body_len] = '\0';
	return 0;
}

enum MHD_Result http_handle(void *cls, struct MHD_Connection *conn, const char *url,
			    const char *method, const char *version,
			    const char *upload_data, size_t *upload_data_size,
			    void **req_cls)
{
	struct http_listener *l = cls;
	struct http_req *r = *req_cls;
	unsigned long long declared;

	(void)version;
	if (r == NULL || r->method == NULL) {
		/* First call: headers only (r: made by http_uri_log, if at all). */
		l->requests++;
		declared = declared_length(conn);
		if (declared > HTTP_BODY_MAX &&
		    (expects_continue(conn) || declared > HTTP_DRAIN_MAX)) {
			l->too_large++;
			return early_error(conn, MHD_HTTP_CONTENT_TOO_LARGE,
					   "body_too_large",
					   "request body over 65536 bytes", true);
		}
		if (r == NULL)
			r = calloc(1, sizeof *r);
		if (r == NULL)
			return MHD_NO;
		r->l = l;
		r->conn = conn;
		r->method = method;
		r->url = url;
		r->slot = -1;
		r->too_large = declared > HTTP_BODY_MAX;
		*req_cls = r;
		return MHD_YES;
	}
	if (r->resume != NULL) {
		/* Resumed after a park (http_park.c took it out of the table). */
		http_handler fn = r->resume;

		r->resume = NULL;
		return run(r, fn);
	}
	if (*upload_data_size != 0) {
		if (take_body(r, upload_data, *upload_data_size) < 0)
			return MHD_NO;
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (r->replied)
		return MHD_YES;
	if (r->too_large) {
		l->too_large++;
		error_too_large(r);
		return r->result;
	}
	return run(r, dispatch);
}

void *http_uri_log(void *cls, const char *uri, struct MHD_Connection *conn)
{
	struct http_req *r = calloc(1, sizeof *r);

	(void)cls;
	if (r == NULL)
		return NULL;
	r->slot = -1;
	r->conn = conn;
	r->target = strdup(uri);
	return r; /* http_handle's first call fills in the rest */
}

void http_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
		    enum MHD_RequestTerminationCode toe)
{
	struct http_req *r = *req_cls;

	(void)cls;
	(void)conn;
	(void)toe;
	if (r == NULL)
		return;
	if (r->slot >= 0)
		http_park_forget(r->l->parking, r);
	if (r->release != NULL)
		r->release(r);
	/* Bodies hold passwords and claim secrets (api_auth.c, api_codes.c). */
	if (r->body != NULL)
		sodium_memzero(r->body, r->body_cap);
	free(r->body);
	free(r->path);
	free(r->target);
	free(r);
	*req_cls = NULL;
}
