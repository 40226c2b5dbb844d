/*
 * core/mgmt/httpresp.c: the device client's HTTP/1.1 response parser.
 * A table of whole responses (framing by length, chunks, end of stream,
 * no body by status) with the body each must give; every proper prefix of
 * each is MORE (never BAD) and, at the end of the stream, BAD unless the
 * stream frames the body; a table of refused responses; limits (head,
 * header count, body_max); keep-alive; the Date header.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/mgmt/httpresp.h"

enum { BODY_MAX = 1 << 20 };

static const struct good {
	const char *text;
	int status;
	const char *body;
	size_t consumed; /* 0: the whole text */
	bool keep_alive, eof_framed;
} goods[] = {
	{ "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", 200, "hello", 0, true, false },
	{ "HTTP/1.1 200 OK\r\ncontent-length:5\r\nX-A: b\r\n\r\nhelloHTTP/1.1", 200, "hello", 50,
	  true, false },
	{ "HTTP/1.1 404 \r\nContent-Length: 0\r\nConnection: close\r\n\r\n", 404, "", 0, false,
	  false },
	{ "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n1;x=y\r\n!\r\n0\r\n\r\n",
	  200, "hello!", 0, true, false },
	{ "HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\n\r\nA\r\n0123456789\r\n0\r\nT: 1\r\n\r\n",
	  200, "0123456789", 0, true, false },
	{ "HTTP/1.1 204 No Content\r\n\r\n", 204, "", 0, true, false },
	{ "HTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n", 304, "", 0, true, false },
	{ "HTTP/1.0 200 OK\r\nServer: SimpleHTTP/0.6\r\n\r\n{\"a\":1}", 200, "{\"a\":1}", 0, false,
	  true },
	{ "HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 2\r\n\r\nok", 200, "ok", 0,
	  true, false },
	{ "HTTP/1.1 503 Busy\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nno", 503, "no", 0,
	  true, false },
	{ "HTTP/1.1 200 OK\r\nConnection: foo, close\r\nContent-Length: 1\r\n\r\nx", 200, "x", 0,
	  false, false },
};

static const char *const bads[] = {
	"HTTP/2 200 OK\r\n\r\n",
	"http/1.1 200 OK\r\n\r\n",
	"HTTP/1.1 100 Continue\r\n\r\n",
	"HTTP/1.1 600 X\r\n\r\n",
	"HTTP/1.1 20x OK\r\n\r\n",
	"HTTP/1.1 200OK\r\n\r\n",
	"HTTP/1.1 200 OK\n\r\n",
	"HTTP/1.1 200 OK\r\nA: b\n\r\n",
	"HTTP/1.1 200 OK\r\nA b\r\n\r\n",
	"HTTP/1.1 200 OK\r\n: b\r\n\r\n",
	"HTTP/1.1 200 OK\r\nA: b\r\n c\r\n\r\n",
	"HTTP/1.1 200 OK\r\nA: b\x01\r\n\r\n",
	"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
	"HTTP/1.1 200 OK\r\nContent-Length: 1 2\r\n\r\n",
	"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nx",
	"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
	"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
	"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nx\r\n",
	"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab\r\n0\r\n\r\n",
	"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1 \r\na\r\n0\r\n\r\n",
	"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n00000000000000001\r\na\r\n0\r\n\r\n",
	"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nbad trailer\r\n\r\n",
	"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nabc", /* truncated (checked with eof) */
};

static uint8_t *copy(const char *s, size_t n)
{
	uint8_t *b = malloc(n ? n : 1);

	assert_non_null(b);
	memcpy(b, s, n);
	return b;
}

static void test_good(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(goods) / sizeof(goods[0]); i++) {
		const struct good *g = &goods[i];
		size_t n = strlen(g->text);
		uint8_t *b = copy(g->text, n);
		struct http_resp r;

		assert_int_equal(http_resp_parse(b, n, g->eof_framed, BODY_MAX, &r),
				 HTTP_RESP_DONE);
		assert_int_equal(r.status, g->status);
		assert_int_equal(r.body_len, strlen(g->body));
		assert_memory_equal(b + r.body_off, g->body, r.body_len);
		assert_int_equal(r.consumed, g->consumed ? g->consumed : n);
		assert_int_equal(r.keep_alive, g->keep_alive);
		assert_int_equal(r.date, -1);
		free(b);
	}
}

/* Every proper prefix: MORE; at eof, BAD (a truncation is never a short response). */
static void test_prefixes(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(goods) / sizeof(goods[0]); i++) {
		const struct good *g = &goods[i];
		size_t n = g->consumed ? g->consumed : strlen(g->text);
		uint8_t *b = copy(g->text, n);
		struct http_resp r;

		size_t head;

		assert_int_equal(http_resp_parse(b, n, g->eof_framed, BODY_MAX, &r),
				 HTTP_RESP_DONE);
		head = r.head_len;
		memcpy(b, g->text, n); /* undo a compaction */
		for (size_t k = 0; k < n; k++) {
			assert_int_equal(http_resp_parse(b, k, false, BODY_MAX, &r),
					 HTTP_RESP_MORE);
			assert_int_equal(http_resp_parse(b, k, true, BODY_MAX, &r),
					 g->eof_framed && k >= head ? HTTP_RESP_DONE
								    : HTTP_RESP_BAD);
		}
		free(b);
	}
}

static void test_bad(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		size_t n = strlen(bads[i]);
		uint8_t *b = copy(bads[i], n);
		struct http_resp r;

		assert_int_equal(http_resp_parse(b, n, true, BODY_MAX, &r), HTTP_RESP_BAD);
		assert_memory_equal(b, bads[i], n);
		free(b);
	}
}

static void test_limits(void **state)
{
	char *big = malloc(HTTP_RESP_HEAD_MAX + 64);
	struct http_resp r;
	size_t n;

	(void)state;
	assert_non_null(big);
	/* a head of exactly HTTP_RESP_HEAD_MAX bytes passes, one more does not */
	n = (size_t)snprintf(big, 64, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nX: ");
	memset(big + n, 'a', HTTP_RESP_HEAD_MAX - n - 4);
	memcpy(big + HTTP_RESP_HEAD_MAX - 4, "\r\n\r\n", 4);
	assert_int_equal(http_resp_parse((uint8_t *)big, HTTP_RESP_HEAD_MAX, false, 10, &r),
			 HTTP_RESP_DONE);
	memmove(big + n + 1, big + n, HTTP_RESP_HEAD_MAX - n);
	assert_int_equal(http_resp_parse((uint8_t *)big, HTTP_RESP_HEAD_MAX + 1, false, 10, &r),
			 HTTP_RESP_TOO_BIG);
	/* an endless header line is TOO_BIG before it ends */
	memset(big + n, 'a', HTTP_RESP_HEAD_MAX);
	assert_int_equal(http_resp_parse((uint8_t *)big, HTTP_RESP_HEAD_MAX, false, 10, &r),
			 HTTP_RESP_TOO_BIG);
	/* too many header lines */
	n = (size_t)sprintf(big, "HTTP/1.1 200 OK\r\n");
	for (int i = 0; i <= HTTP_RESP_HEADERS_MAX; i++)
		n += (size_t)sprintf(big + n, "A: b\r\n");
	n += (size_t)sprintf(big + n, "\r\n");
	assert_int_equal(http_resp_parse((uint8_t *)big, n, true, 10, &r), HTTP_RESP_TOO_BIG);
	/* bodies over body_max, in each framing, as soon as that is known */
	n = (size_t)sprintf(big, "HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n");
	assert_int_equal(http_resp_parse((uint8_t *)big, n, false, 10, &r), HTTP_RESP_TOO_BIG);
	n = (size_t)sprintf(big, "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n");
	assert_int_equal(http_resp_parse((uint8_t *)big, n, false, 10, &r), HTTP_RESP_BAD);
	n = (size_t)sprintf(big, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
				 "6\r\naaaaaa\r\n5\r\n");
	assert_int_equal(http_resp_parse((uint8_t *)big, n, false, 10, &r), HTTP_RESP_TOO_BIG);
	n = (size_t)sprintf(big, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
				 "ffffffffffffffff\r\n");
	assert_int_equal(http_resp_parse((uint8_t *)big, n, false, 10, &r), HTTP_RESP_TOO_BIG);
	n = (size_t)sprintf(big, "HTTP/1.0 200 OK\r\n\r\n01234567890");
	assert_int_equal(http_resp_parse((uint8_t *)big, n, false, 10, &r), HTTP_RESP_TOO_BIG);
	free(big);
}

static void test_date(void **state)
{
	static const char resp[] = "HTTP/1.1 200 OK\r\nDate: Sun, 06 Dec 2026 19:48:23 GMT\r\n"
				   "Content-Length: 0\r\n\r\n";
	uint8_t b[sizeof(resp)];
	struct http_resp r;
	int64_t t;

	(void)state;
	memcpy(b, resp, sizeof(resp));
	assert_int_equal(http_resp_parse(b, sizeof(resp) - 1, false, 10, &r), HTTP_RESP_DONE);
	assert_int_equal(r.date, 1796586503);
	{
		size_t n;
		const char *v = http_resp_header(b, &r, "content-length", &n);

		assert_non_null(v);
		assert_int_equal(n, 1);
		assert_memory_equal(v, "0", 1);
		v = http_resp_header(b, &r, "DATE", &n);
		assert_int_equal(n, 29);
		assert_null(http_resp_header(b, &r, "content", &n));
		assert_null(http_resp_header(b, &r, "x", &n));
	}
	assert_true(http_date_parse("Thu, 01 Jan 1970 00:00:00 GMT", 29, &t));
	assert_int_equal(t, 0);
	assert_true(http_date_parse("Sun, 06 Nov 1994 08:49:37 GMT", 29, &t));
	assert_int_equal(t, 784111777);
	assert_false(http_date_parse("Sun, 06 Nov 1994 08:49:37 UTC", 29, &t));
	assert_false(http_date_parse("Sun, 31 Nov 1994 08:49:37 GMT", 29, &t));
	assert_false(http_date_parse("Xyz, 06 Nov 1994 08:49:37 GMT", 29, &t));
	assert_false(http_date_parse("Sun, 06 Nox 1994 08:49:37 GMT", 29, &t));
	assert_false(http_date_parse("Sun, 06 Nov 1994 08:49:37 GMT ", 30, &t));
	assert_false(http_date_parse("Sunday, 06-Nov-94 08:49:37 GMT", 30, &t));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),   cmocka_unit_test(test_prefixes),
		cmocka_unit_test(test_bad),    cmocka_unit_test(test_limits),
		cmocka_unit_test(test_date),
	};

	return cmocka_run_group_tests_name("mgmt_httpresp", tests, NULL, NULL);
}
