/*
 * The device's HTTP/1.1 response parser: what the node daemon's own small
 * client (license.json over plain HTTP, the device API) reads.  Pure: it
 * looks at the bytes received so far, buf[0..len), and says whether they
 * hold one whole response (DONE), need more (MORE), or can never be one
 * (BAD, TOO_BIG).  The caller keeps reading into the same buffer and asks
 * again; nothing is remembered between calls, so a call over any prefix of
 * a response is MORE or DONE and never BAD.
 *
 * Strict, since it only has to read our server and a plain web server:
 *  - status line "HTTP/1.1 " or "HTTP/1.0 ", three digits 200..599 (no 1xx:
 *    the client never sends Expect), a space, a reason of printable bytes,
 *    CRLF;
 *  - header lines "name: value" CRLF with a token name and a value of
 *    printable bytes and tabs; no folded lines, no bare LF; the head is at
 *    most HTTP_RESP_HEAD_MAX bytes and HTTP_RESP_HEADERS_MAX lines;
 *  - the body: none for 204 and 304, else Transfer-Encoding: chunked
 *    (exactly that coding), else Content-Length (digits only; repeated
 *    only with the same value), else up to the end of the stream; both
 *    framings at once is BAD; a body over body_max is TOO_BIG;
 *  - chunks: 1-16 hex digits, an optional extension (";" printable bytes),
 *    CRLF, the data, CRLF; the last chunk "0", then trailer lines (checked
 *    like header lines, otherwise ignored) and an empty line.
 * At the end of the stream (eof) anything short of a whole response is
 * BAD (a truncated response is never taken for a short one), except a
 * body framed by the end of the stream itself.
 *
 * On DONE with a chunked body the chunk data is moved together in place,
 * so the body is buf[body_off .. body_off + body_len) either way; the
 * bytes after `consumed` (the next response on a kept connection) are
 * left as they were.
 */
#ifndef SUBNETRA_MGMT_HTTPRESP_H
#define SUBNETRA_MGMT_HTTPRESP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
	HTTP_RESP_HEAD_MAX = 16384,  /* status line, header lines and the empty line */
	HTTP_RESP_HEADERS_MAX = 64,  /* header lines (and, separately, trailer lines) */
	HTTP_RESP_CHUNK_DIGITS = 16, /* hex digits of one chunk size */
};

enum http_resp_verdict {
	HTTP_RESP_DONE,    /* one whole response in buf[0..consumed) */
	HTTP_RESP_MORE,    /* a proper prefix: read more */
	HTTP_RESP_BAD,     /* not a response we take (or truncated at eof) */
	HTTP_RESP_TOO_BIG, /* head over HTTP_RESP_HEAD_MAX or body over body_max */
	HTTP_RESP_VERDICTS,
};

struct http_resp {
	int status;          /* 200..599 */
	bool http10;         /* "HTTP/1.0" */
	bool keep_alive;     /* the connection may carry another request */
	bool chunked;        /* Transfer-Encoding: chunked */
	bool length_known;   /* Content-Length given (or no body by status) */
	uint64_t content_length;
	size_t head_len;     /* bytes up to and with the empty line */
	size_t body_off, body_len; /* valid on DONE */
	size_t consumed;     /* the whole response, on DONE */
	/* Date (IMF-fixdate), unix seconds, or -1 when absent or not that form. */
	int64_t date;
};

const char *http_resp_verdict_name(enum http_resp_verdict v);

/*
 * buf[0..len) as received so far; eof: the peer closed its side.  On DONE
 * *r is filled and a chunked body compacted in place (above); on other
 * verdicts *r is unspecified and buf unchanged.
 */
enum http_resp_verdict http_resp_parse(uint8_t *buf, size_t len, bool eof, size_t body_max,
				       struct http_resp *r);

/*
 * After DONE: the value of the first header named `name` (any case) in
 * buf[0..r->head_len), without surrounding blanks, and *len; NULL when
 * there is none.
 */
const char *http_resp_header(const uint8_t *buf, const struct http_resp *r, const char *name,
			     size_t *len);

/*
 * "Sun, 06 Nov 1994 08:49:37 GMT" (RFC 9110's IMF-fixdate, exactly 29
 * bytes, a real date from 1970 on) as unix seconds; false otherwise.
 */
bool http_date_parse(const char *s, size_t len, int64_t *out);

#endif
