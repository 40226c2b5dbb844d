/* Routing and JSON replies on both listeners (see http.h for the order). */
#include "mgmt/http.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/version.h"
#include "mgmt/store.h"

enum http_err {
	ERR_NOT_FOUND,
	ERR_METHOD,
	ERR_TOO_LARGE,
	ERR_NOT_IMPLEMENTED,
	ERR_UNAVAILABLE,
};

/* Codes and messages are constants: no quoting needed, nothing from the request. */
static const struct {
	unsigned status;
	const char *code;
	const char *message;
} errors[] = {
    [ERR_NOT_FOUND] = {MHD_HTTP_NOT_FOUND, "not_found", "no such endpoint"},
    [ERR_METHOD] = {MHD_HTTP_METHOD_NOT_ALLOWED, "method_not_allowed",
		    "this endpoint does not take that method"},
    [ERR_TOO_LARGE] = {MHD_HTTP_CONTENT_TOO_LARGE, "body_too_large",
		       "request body over 65536 bytes"},
    [ERR_NOT_IMPLEMENTED] = {MHD_HTTP_NOT_IMPLEMENTED, "not_implemented",
			     "this endpoint is not served yet"},
    [ERR_UNAVAILABLE] = {MHD_HTTP_SERVICE_UNAVAILABLE, "store_unavailable",
			 "the database cannot be read"},
};

/* One request's state across MHD's calls. */
struct request {
	size_t received; /* body bytes seen, kept or not */
	bool too_large;
	char *body; /* the body so far (at most HTTP_BODY_MAX bytes) */
};

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *json,
			     const char *allow, bool close)
{
	struct MHD_Response *r;
	enum MHD_Result ok;

	r = MHD_create_response_from_buffer(strlen(json), (void *)(uintptr_t)json,
					    MHD_RESPMEM_MUST_COPY);
	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	if (allow != NULL)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
	if (close)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
	ok = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ok;
}

static enum MHD_Result reply_error(struct MHD_Connection *c, enum http_err e,
				   const char *allow, bool close)
{
	char json[256];

	snprintf(json, sizeof json, "{\"error\":{\"code\":\"%s\",\"message\":\"%s\"}}\n",
		 errors[e].code, errors[e].message);
	return reply(c, errors[e].status, json, allow, close);
}

static enum MHD_Result get_healthz(struct http_listener *l, struct MHD_Connection *c)
{
	char json[256];
	int v;

	/* A read of the database header: the store is really there. */
	if (store_version(l->store, &v) < 0)
		return reply_error(c, ERR_UNAVAILABLE, NULL, false);
	snprintf(json, sizeof json,
		 "{\"status\":\"ok\",\"version\":\"%s\",\"schema_version\":%d,"
		 "\"listener\":\"%s\"}\n",
		 SUBNETRA_VERSION, v, l->name);
	return reply(c, MHD_HTTP_OK, json, NULL, false);
}

/* Needs the license codec (src/core/mgmt/license.h), not merged yet. */
static enum MHD_Result get_license(struct http_listener *l, struct MHD_Connection *c)
{
	(void)l;
	return reply_error(c, ERR_NOT_IMPLEMENTED, NULL, false);
}

typedef enum MHD_Result (*route_fn)(struct http_listener *l, struct MHD_Connection *c);

/* Every path served; a path not here is a 404 (so is all of /api/v1 for now). */
static const struct route {
	const char *path;
	unsigned listeners; /* 1 << enum http_listener_kind */
	route_fn get;
} routes[] = {
    {"/healthz", 1u << HTTP_ADMIN | 1u << HTTP_DEVICE, get_healthz},
    {"/license.json", 1u << HTTP_ADMIN | 1u << HTTP_DEVICE, get_license},
};

static const struct route *route_find(const struct http_listener *l, const char *url)
{
	for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++)
		if ((routes[i].listeners & 1u << l->kind) &&
		    strcmp(routes[i].path, url) == 0)
			return &routes[i];
	return NULL;
}

static enum MHD_Result dispatch(struct http_listener *l, struct MHD_Connection *c,
				const char *url, const char *method)
{
	const struct route *r = route_find(l, url);

	if (r == NULL)
		return reply_error(c, ERR_NOT_FOUND, NULL, false);
	/* MHD sends no body in reply to HEAD. */
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
	    strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return reply_error(c, ERR_METHOD, "GET, HEAD", false);
	return r->get(l, c);
}

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
 * Keep what fits; past the cap only count (the bytes are dropped); past
 * HTTP_DRAIN_MAX give up on the connection.
 */
static int take_body(struct request *rq, const char *data, size_t n)
{
	char *b;

	rq->received += n;
	if (rq->received > HTTP_DRAIN_MAX)
		return -EFBIG;
	if (rq->too_large || rq->received > HTTP_BODY_MAX) {
		rq->too_large = true;
		free(rq->body);
		rq->body = NULL;
		return 0;
	}
	b = realloc(rq->body, rq->received);
	if (b == NULL)
		return -ENOMEM;
	memcpy(b + rq->received - n, data, n);
	rq->body = b;
	return 0;
}

enum MHD_Result http_handle(void *cls, struct MHD_Connection *conn, const char *url,
			    const char *method, const char *version,
			    const char *upload_data, size_t *upload_data_size,
			    void **req_cls)
{
	struct http_listener *l = cls;
	struct request *rq = *req_cls;
	unsigned long long declared;

	(void)version;
	if (rq == NULL) {
		/* First call: headers only. */
		l->requests++;
		declared = declared_length(conn);
		if (declared > HTTP_BODY_MAX &&
		    (expects_continue(conn) || declared > HTTP_DRAIN_MAX)) {
			l->too_large++;
			return reply_error(conn, ERR_TOO_LARGE, NULL, true);
		}
		rq = calloc(1, sizeof *rq);
		if (rq == NULL)
			return MHD_NO;
		rq->too_large = declared > HTTP_BODY_MAX;
		*req_cls = rq;
		return MHD_YES;
	}
	if (*upload_data_size != 0) {
		if (take_body(rq, upload_data, *upload_data_size) < 0)
			return MHD_NO;
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (rq->too_large) {
		l->too_large++;
		return reply_error(conn, ERR_TOO_LARGE, NULL, false);
	}
	return dispatch(l, conn, url, method);
}

void http_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
		    enum MHD_RequestTerminationCode toe)
{
	struct request *rq = *req_cls;

	(void)cls;
	(void)conn;
	(void)toe;
	if (rq == NULL)
		return;
	free(rq->body);
	free(rq);
	*req_cls = NULL;
}
