/*
 * Requests on both listeners: libmicrohttpd calls http_handle for every
 * request (several times while a body arrives) and http_completed once it
 * is done.  The order of decisions, the same for every request:
 *
 *   1. a body over HTTP_BODY_MAX: 413, and none of it is kept or parsed.
 *      A client that waits for "100 Continue" gets the 413 instead, before
 *      it sends a byte.  Other bodies up to HTTP_DRAIN_MAX are read and
 *      dropped before the answer: a client still sending while the server
 *      closes would get a reset and might never see the 413.  A declared
 *      length over HTTP_DRAIN_MAX is answered at once and the connection
 *      closed; a chunked body that passes it is cut off.
 *   2. the route: path, then method (404, then 405 with Allow)
 *   3. the handler, with the whole body in hand
 *
 * Every error is JSON, {"error":{"code":"...","message":"..."}}, with an
 * honest status; no request text is echoed back.
 */
#ifndef SUBNETRA_MGMT_HTTP_H
#define SUBNETRA_MGMT_HTTP_H

#include <stdint.h>
#include <time.h>

#include <microhttpd.h>

enum {
	HTTP_BODY_MAX = 64 * 1024,
	HTTP_DRAIN_MAX =
	    1024 * 1024, /* bytes of a refused body read to answer it cleanly */
};

enum http_listener_kind {
	HTTP_ADMIN,  /* TLS: the UI and /api/v1 */
	HTTP_DEVICE, /* plain: license.json (devices fetch it before they trust anything)
		      */
};

struct store;

/* What MHD hands back to http_handle as its closure: the listener. */
struct http_listener {
	enum http_listener_kind kind;
	const char *name;
	struct store *store; /* the server's, for the handlers */
	uint64_t requests;
	uint64_t too_large;
	time_t log_window;    /* start of the current log window (server.c) */
	unsigned log_lines;   /* lines logged in it */
	unsigned log_dropped; /* lines left out of it */
};

enum MHD_Result http_handle(void *cls, struct MHD_Connection *conn, const char *url,
			    const char *method, const char *version,
			    const char *upload_data, size_t *upload_data_size,
			    void **req_cls);
void http_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
		    enum MHD_RequestTerminationCode toe);

#endif
