/*
 * HTTP/1.1 response parser for the device's client (httpresp.h).  Every
 * call starts from buf[0]: the head is found, each header line checked,
 * then the body's framing walked.  No state between calls keeps the
 * "prefix is MORE, never BAD" property obvious; a response is at most
 * HTTP_RESP_HEAD_MAX + a body of body_max (1 MiB for an envelope), read
 * in large pieces, so the repeated walk costs little.
 */
#include "core/mgmt/httpresp.h"

#include <string.h>

#include "core/mgmt/text.h"

const char *http_resp_verdict_name(enum http_resp_verdict v)
{
	static const char *const names[HTTP_RESP_VERDICTS] = {
		[HTTP_RESP_DONE] = "done",
		[HTTP_RESP_MORE] = "more",
		[HTTP_RESP_BAD] = "bad",
		[HTTP_RESP_TOO_BIG] = "too_big",
	};
	return (unsigned)v < HTTP_RESP_VERDICTS ? names[v] : "?";
}

/* RFC 9110 tchar */
static bool is_tchar(uint8_t c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* field-vchar, SP or HTAB (obs-text allowed: a reason phrase may be UTF-8) */
static bool is_value_char(uint8_t c)
{
	return c == '\t' || (c >= 0x20 && c != 0x7f);
}

static uint8_t lower(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
}

static bool eq_nocase(const uint8_t *s, size_t len, const char *lit)
{
	size_t n = strlen(lit);

	if (len != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (lower(s[i]) != lower((uint8_t)lit[i]))
			return false;
	return true;
}

/* The end of the line starting at off: the offset of its CR (CRLF follows), or SIZE_MAX. */
static size_t line_end(const uint8_t *buf, size_t len, size_t off, bool *bad)
{
	for (size_t i = off; i < len; i++) {
		if (buf[i] == '\n') {
			*bad = true; /* a bare LF */
			return SIZE_MAX;
		}
		if (buf[i] == '\r') {
			if (i + 1 == len)
				return SIZE_MAX;
			if (buf[i + 1] != '\n') {
				*bad = true;
				return SIZE_MAX;
			}
			return i;
		}
	}
	return SIZE_MAX;
}

bool http_date_parse(const char *s, size_t len, int64_t *out)
{
	static const char days[] = "SunMonTueWedThuFriSat";
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	char iso[21];
	int mon = -1;
	bool day_ok = false;

	/* "Sun, 06 Nov 1994 08:49:37 GMT" */
	if (len != 29 || s[3] != ',' || s[4] != ' ' || s[7] != ' ' || s[11] != ' ' ||
	    s[16] != ' ' || s[19] != ':' || s[22] != ':' || s[25] != ' ' ||
	    memcmp(s + 26, "GMT", 3) != 0)
		return false;
	for (int i = 0; i < 7; i++)
		day_ok |= memcmp(s, days + 3 * i, 3) == 0;
	for (int i = 0; i < 12; i++)
		if (memcmp(s + 8, months + 3 * i, 3) == 0)
			mon = i + 1;
	if (!day_ok || mon < 0)
		return false;
	/* The rest is mgmt_time_parse's form; it checks the digits and the date. */
	memcpy(iso, s + 12, 4);
	iso[4] = '-';
	iso[5] = (char)('0' + mon / 10);
	iso[6] = (char)('0' + mon % 10);
	iso[7] = '-';
	memcpy(iso + 8, s + 5, 2);
	iso[10] = 'T';
	memcpy(iso + 11, s + 17, 8);
	iso[19] = 'Z';
	iso[20] = '\0';
	return mgmt_time_parse(iso, 20, out);
}

/* Content-Length: 1..19 digits (below 10^19 fits 64 bits). */
static bool parse_length(const uint8_t *v, size_t n, uint64_t *out)
{
	uint64_t x = 0;

	if (n == 0 || n > 19)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return false;
		x = x * 10 + (uint64_t)(v[i] - '0');
	}
	*out = x;
	return true;
}

enum { CONN_CLOSE = 1, CONN_KEEP_ALIVE = 2 };

/* Connection: a comma list; "close" and "keep-alive" count (bits CONN_*). */
static unsigned parse_connection(const uint8_t *v, size_t n)
{
	unsigned seen = 0;
	size_t i = 0;

	while (i < n) {
		size_t s, e;

		while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
			i++;
		s = i;
		while (i < n && v[i] != ',')
			i++;
		e = i;
		while (e > s && (v[e - 1] == ' ' || v[e - 1] == '\t'))
			e--;
		if (eq_nocase(v + s, e - s, "close"))
			seen |= CONN_CLOSE;
		else if (eq_nocase(v + s, e - s, "keep-alive"))
			seen |= CONN_KEEP_ALIVE;
	}
	return seen;
}

/*
 * Header (or trailer) lines from off up to the empty line: *end is the
 * offset after it.  head: record the framing headers into r.
 */
static enum http_resp_verdict parse_fields(const uint8_t *buf, size_t len, size_t off,
					   size_t limit, struct http_resp *r, bool head,
					   size_t *end)
{
	bool have_cl = false, have_te = false;
	unsigned lines = 0, conn = 0;

	for (;;) {
		bool bad = false;
		size_t e = line_end(buf, len, off, &bad), colon, vs, ve;

		if (bad)
			return HTTP_RESP_BAD;
		if (e == SIZE_MAX)
			return len - off >= limit ? HTTP_RESP_TOO_BIG : HTTP_RESP_MORE;
		if (e + 2 - off > limit)
			return HTTP_RESP_TOO_BIG;
		limit -= e + 2 - off;
		if (e == off) {
			*end = e + 2;
			break;
		}
		if (++lines > HTTP_RESP_HEADERS_MAX)
			return HTTP_RESP_TOO_BIG;
		for (colon = off; colon < e && is_tchar(buf[colon]); colon++)
			;
		if (colon == off || colon == e || buf[colon] != ':')
			return HTTP_RESP_BAD; /* also a folded line (starts with SP) */
		for (size_t i = colon + 1; i < e; i++)
			if (!is_value_char(buf[i]))
				return HTTP_RESP_BAD;
		vs = colon + 1;
		ve = e;
		while (vs < ve && (buf[vs] == ' ' || buf[vs] == '\t'))
			vs++;
		while (ve > vs && (buf[ve - 1] == ' ' || buf[ve - 1] == '\t'))
			ve--;
		if (head) {
			const uint8_t *name = buf + off, *v = buf + vs;
			size_t nl = colon - off, vl = ve - vs;

			if (eq_nocase(name, nl, "content-length")) {
				uint64_t cl;

				if (!parse_length(v, vl, &cl) || (have_cl && cl != r->content_length))
					return HTTP_RESP_BAD;
				have_cl = true;
				r->content_length = cl;
			} else if (eq_nocase(name, nl, "transfer-encoding")) {
				if (have_te || !eq_nocase(v, vl, "chunked"))
					return HTTP_RESP_BAD;
				have_te = true;
			} else if (eq_nocase(name, nl, "connection")) {
				conn |= parse_connection(v, vl);
			} else if (eq_nocase(name, nl, "date")) {
				if (!http_date_parse((const char *)v, vl, &r->date))
					r->date = -1;
			}
		}
		off = e + 2;
	}
	if (head) {
		if (have_cl && have_te)
			return HTTP_RESP_BAD;
		r->chunked = have_te;
		r->length_known = have_cl;
		/* 1.1 keeps the connection unless closed, 1.0 only when asked to */
		r->keep_alive = !(conn & CONN_CLOSE) && (!r->http10 || (conn & CONN_KEEP_ALIVE));
	}
	return HTTP_RESP_DONE;
}

static enum http_resp_verdict parse_status_line(const uint8_t *buf, size_t len,
						struct http_resp *r, size_t *next)
{
	static const char v11[] = "HTTP/1.1 ", v10[] = "HTTP/1.0 ";
	size_t n = len < 13 ? len : 13, e;
	bool bad = false;

	/* What is there of "HTTP/1.x ddd " must be right already. */
	for (size_t i = 0; i < n; i++) {
		uint8_t c = buf[i];
		bool ok;

		if (i < 9)
			ok = c == (uint8_t)v11[i] || c == (uint8_t)v10[i];
		else if (i < 12)
			ok = c >= '0' && c <= '9';
		else
			ok = c == ' ';
		if (!ok)
			return HTTP_RESP_BAD;
	}
	if (len < 13)
		return HTTP_RESP_MORE;
	r->http10 = buf[7] == '0';
	r->status = (buf[9] - '0') * 100 + (buf[10] - '0') * 10 + (buf[11] - '0');
	if (r->status < 200 || r->status > 599)
		return HTTP_RESP_BAD;
	e = line_end(buf, len, 13, &bad);
	if (bad)
		return HTTP_RESP_BAD;
	if (e == SIZE_MAX)
		return len >= HTTP_RESP_HEAD_MAX ? HTTP_RESP_TOO_BIG : HTTP_RESP_MORE;
	for (size_t i = 13; i < e; i++)
		if (!is_value_char(buf[i]))
			return HTTP_RESP_BAD;
	*next = e + 2;
	return HTTP_RESP_DONE;
}

static int hexval(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = lower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/*
 * The chunked body from off: *end after its last CRLF, *total the data
 * bytes.  Chunk data is not touched here (compact() moves it on DONE).
 */
static enum http_resp_verdict walk_chunks(const uint8_t *buf, size_t len, size_t off,
					  size_t body_max, size_t *end, size_t *total)
{
	size_t sum = 0;

	for (;;) {
		uint64_t size = 0;
		size_t i = off, e;
		int digits = 0, h;
		bool bad = false;

		while (i < len && (h = hexval(buf[i])) >= 0) {
			if (++digits > HTTP_RESP_CHUNK_DIGITS)
				return HTTP_RESP_BAD;
			size = size << 4 | (uint64_t)h;
			i++;
		}
		if (i == len)
			return HTTP_RESP_MORE;
		if (digits == 0 || (buf[i] != ';' && buf[i] != '\r'))
			return HTTP_RESP_BAD;
		if (size > body_max - sum)
			return HTTP_RESP_TOO_BIG;
		e = line_end(buf, len, i, &bad);
		if (bad)
			return HTTP_RESP_BAD;
		/* the extension as far as it has come (a last CR may start the CRLF) */
		for (size_t k = i; k < (e == SIZE_MAX ? len : e); k++)
			if (!is_value_char(buf[k]) && !(k + 1 == len && buf[k] == '\r'))
				return HTTP_RESP_BAD;
		if (e == SIZE_MAX)
			/* an extension longer than a head is not one we wait for */
			return len - off > HTTP_RESP_HEAD_MAX ? HTTP_RESP_TOO_BIG : HTTP_RESP_MORE;
		off = e + 2;
		if (size == 0) {
			struct http_resp dummy;

			*total = sum;
			return parse_fields(buf, len, off, HTTP_RESP_HEAD_MAX, &dummy, false, end);
		}
		if (len - off < size + 2) {
			/* the byte after the data, when there, must start its CRLF */
			if (len - off > size && buf[off + size] != '\r')
				return HTTP_RESP_BAD;
			return HTTP_RESP_MORE;
		}
		if (buf[off + size] != '\r' || buf[off + size + 1] != '\n')
			return HTTP_RESP_BAD;
		sum += (size_t)size;
		off += (size_t)size + 2;
	}
}

/* Move the chunk data of a walked, valid chunked body together at off. */
static void compact(uint8_t *buf, size_t off)
{
	size_t in = off, out = off;

	for (;;) {
		size_t size = 0;
		int h;

		while ((h = hexval(buf[in])) >= 0) {
			size = size << 4 | (size_t)h;
			in++;
		}
		while (buf[in] != '\n')
			in++;
		in++;
		if (size == 0)
			return;
		memmove(buf + out, buf + in, size);
		out += size;
		in += size + 2;
	}
}

enum http_resp_verdict http_resp_parse(uint8_t *buf, size_t len, bool eof, size_t body_max,
				       struct http_resp *r)
{
	enum http_resp_verdict v;
	size_t off = 0, end = 0, total = 0;

	memset(r, 0, sizeof(*r));
	r->date = -1;
	v = parse_status_line(buf, len, r, &off);
	if (v == HTTP_RESP_DONE)
		v = parse_fields(buf, len, off, HTTP_RESP_HEAD_MAX - off, r, true, &end);
	if (v != HTTP_RESP_DONE)
		return v == HTTP_RESP_MORE && eof ? HTTP_RESP_BAD : v;
	r->head_len = end;
	r->body_off = end;
	if (r->status == 204 || r->status == 304) {
		r->chunked = false;
		r->length_known = true;
		r->content_length = 0;
	}
	if (r->chunked) {
		v = walk_chunks(buf, len, end, body_max, &end, &total);
		if (v != HTTP_RESP_DONE)
			return v == HTTP_RESP_MORE && eof ? HTTP_RESP_BAD : v;
		compact(buf, r->body_off);
		r->body_len = total;
		r->consumed = end;
		return HTTP_RESP_DONE;
	}
	if (r->length_known) {
		if (r->content_length > body_max)
			return HTTP_RESP_TOO_BIG;
		if (len - end < r->content_length)
			return eof ? HTTP_RESP_BAD : HTTP_RESP_MORE;
		r->body_len = (size_t)r->content_length;
		r->consumed = end + r->body_len;
		return HTTP_RESP_DONE;
	}
	/* framed by the end of the stream */
	if (len - end > body_max)
		return HTTP_RESP_TOO_BIG;
	if (!eof)
		return HTTP_RESP_MORE;
	r->keep_alive = false;
	r->body_len = len - end;
	r->consumed = len;
	return HTTP_RESP_DONE;
}

const char *http_resp_header(const uint8_t *buf, const struct http_resp *r, const char *name,
			     size_t *len)
{
	size_t off = 0;
	bool bad = false;

	/* skip the status line; the head was checked whole on DONE */
	off = line_end(buf, r->head_len, 0, &bad) + 2;
	while (off + 2 < r->head_len) {
		size_t e = line_end(buf, r->head_len, off, &bad), c = off, vs, ve;

		while (buf[c] != ':')
			c++;
		if (eq_nocase(buf + off, c - off, name)) {
			for (vs = c + 1; vs < e && (buf[vs] == ' ' || buf[vs] == '\t'); vs++)
				;
			for (ve = e; ve > vs && (buf[ve - 1] == ' ' || buf[ve - 1] == '\t'); ve--)
				;
			*len = ve - vs;
			return (const char *)buf + vs;
		}
		off = e + 2;
	}
	return NULL;
}
