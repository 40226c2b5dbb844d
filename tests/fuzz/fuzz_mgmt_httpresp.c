/*
 * The device client's HTTP response parser (core/mgmt/httpresp.c) on
 * arbitrary bytes, with and without the end of the stream.
 *
 * Invariants:
 *  - DONE: status 200..599; head_len <= body_off, the body and everything
 *    consumed lie within the input; bytes after `consumed` are untouched;
 *    a body within body_max; without a chunked body the buffer is
 *    untouched and the body is exactly the bytes after the head;
 *  - a header found by http_resp_header lies within the head, and a
 *    length-framed body has its Content-Length header;
 *  - any other verdict leaves the buffer untouched;
 *  - without eof, every proper prefix of a DONE response (up to its end
 *    of head, and a few beyond) is MORE: the client never gives up on a
 *    response that is still arriving;
 *  - DONE at eof with the same bytes when DONE without (a complete
 *    response stays complete when the stream ends).
 */
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "core/mgmt/httpresp.h"

enum { BODY_MAX = 4096 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *buf = malloc(size ? size : 1);
	struct http_resp r, r2;
	enum http_resp_verdict v;

	if (!buf)
		return 0;
	for (int eof = 0; eof < 2; eof++) {
		memcpy(buf, data, size);
		v = http_resp_parse(buf, size, eof, BODY_MAX, &r);
		FUZZ_CHECK(v < HTTP_RESP_VERDICTS, "verdict %d", (int)v);
		if (v != HTTP_RESP_DONE) {
			FUZZ_CHECK(memcmp(buf, data, size) == 0, "%s changed the buffer",
				   http_resp_verdict_name(v));
			continue;
		}
		FUZZ_CHECK(r.status >= 200 && r.status <= 599, "status %d", r.status);
		FUZZ_CHECK(r.head_len <= r.body_off && r.body_off + r.body_len <= r.consumed &&
				   r.consumed <= size,
			   "head %zu body %zu+%zu consumed %zu of %zu", r.head_len, r.body_off,
			   r.body_len, r.consumed, size);
		FUZZ_CHECK(r.body_len <= BODY_MAX, "body %zu", r.body_len);
		{
			size_t hl = 0;
			const char *h = http_resp_header(buf, &r, "content-length", &hl);

			FUZZ_CHECK(!h || ((const uint8_t *)h >= buf &&
					  (const uint8_t *)h + hl <= buf + r.head_len),
				   "header value outside the head");
			FUZZ_CHECK(!r.length_known || r.status == 204 || r.status == 304 || h,
				   "a length without a Content-Length header");
		}
		FUZZ_CHECK(memcmp(buf + r.consumed, data + r.consumed, size - r.consumed) == 0,
			   "bytes after the response changed");
		if (!r.chunked)
			FUZZ_CHECK(memcmp(buf, data, size) == 0 && r.body_off == r.head_len &&
					   r.consumed == r.head_len + r.body_len,
				   "unchunked body moved");
		if (!eof) {
			memcpy(buf, data, size);
			FUZZ_CHECK(http_resp_parse(buf, size, true, BODY_MAX, &r2) ==
						   HTTP_RESP_DONE &&
					   r2.consumed == r.consumed && r2.body_len == r.body_len,
				   "complete without eof, not with");
		}
		for (size_t k = 0; k < r.consumed; k += 1 + k / 8) {
			memcpy(buf, data, size);
			FUZZ_CHECK(http_resp_parse(buf, k, false, BODY_MAX, &r2) == HTTP_RESP_MORE,
				   "prefix %zu of %zu not MORE", k, r.consumed);
		}
	}
	free(buf);
	return 0;
}
