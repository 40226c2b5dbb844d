/*
 * The device client's HTTP/1.1 requests, byte for byte: one request per
 * connection (Connection: close), so a response framed by the end of the
 * stream is as good as any (httpresp.h).  A device API request carries the
 * four signature headers of devreq.h, signed over exactly the method and
 * target written on the request line and the body written after the head.
 *
 *   METHOD SP TARGET SP "HTTP/1.1" CRLF
 *   "Host: " HOST CRLF
 *   "User-Agent: subnetra" CRLF
 *   "Connection: close" CRLF
 *   [the four Subnetra-* headers]
 *   ["Content-Type: application/json" CRLF]       (with a body)
 *   "Content-Length: " N CRLF                     (POST, or a body)
 *   CRLF BODY
 *
 * Pure.
 */
#ifndef SUBNETRA_MGMT_HTTPREQ_H
#define SUBNETRA_MGMT_HTTPREQ_H

#include <stddef.h>
#include <stdint.h>

#include "core/mgmt/devreq.h"

enum {
	HTTP_REQ_HOST_MAX = 261, /* "[" IPv6 literal "]:" port, or a DNS name and port */
	HTTP_REQ_BODY_MAX = 65536, /* the server's limit on device request bodies */
	/* the head without the host, target and method: fixed text and signature headers */
	HTTP_REQ_HEAD_FIXED = 256 + MGMT_B64_LEN(MGMT_PK_LEN) + MGMT_REQ_TIME_DIGITS +
			      MGMT_B64_LEN(MGMT_NONCE_LEN) + MGMT_B64_LEN(MGMT_SIG_LEN),
	HTTP_REQ_MAX = HTTP_REQ_HEAD_FIXED + MGMT_REQ_METHOD_MAX + MGMT_REQ_TARGET_MAX +
		       HTTP_REQ_HOST_MAX + HTTP_REQ_BODY_MAX,
};

/*
 * The request into out[0..cap): its length, or 0 when method is not 1..16
 * uppercase letters, target not 1..2048 printable bytes without spaces
 * starting with '/', host not 1..HTTP_REQ_HOST_MAX printable bytes without
 * spaces, body over HTTP_REQ_BODY_MAX, or out too small (HTTP_REQ_MAX
 * always suffices).  auth: the signature headers (mgmt_devreq_format), or
 * NULL for an unsigned request (license.json).
 */
size_t http_req_format(char *out, size_t cap, const char *method, const char *host,
		       const char *target, const struct mgmt_devreq_text *auth,
		       const uint8_t *body, size_t body_len);

#endif
