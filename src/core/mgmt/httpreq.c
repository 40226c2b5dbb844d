/*
 * The device client's requests (httpreq.h).  The method and target rules
 * are devreq's (what cannot be signed is not sent either), checked here
 * again because an unsigned request (license.json) does not pass through
 * mgmt_devreq_message.
 */
#include "core/mgmt/httpreq.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* 1..max printable ASCII bytes, no space */
static bool token_text(const char *s, size_t max)
{
	size_t n = strnlen(s, max + 1);

	if (n == 0 || n > max)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] <= 0x20 || s[i] >= 0x7f)
			return false;
	return true;
}

static bool method_ok(const char *m)
{
	size_t n = strnlen(m, MGMT_REQ_METHOD_MAX + 1);

	if (n == 0 || n > MGMT_REQ_METHOD_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (m[i] < 'A' || m[i] > 'Z')
			return false;
	return true;
}

/* Append to out at *off; false once it does not fit. */
static bool put(char *out, size_t cap, size_t *off, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static bool put(char *out, size_t cap, size_t *off, const char *fmt, ...)
{
	va_list ap;
	int k;

	if (*off >= cap)
		return false;
	va_start(ap, fmt);
	k = vsnprintf(out + *off, cap - *off, fmt, ap);
	va_end(ap);
	if (k < 0 || (size_t)k >= cap - *off)
		return false;
	*off += (size_t)k;
	return true;
}

size_t http_req_format(char *out, size_t cap, const char *method, const char *host,
		       const char *target, const struct mgmt_devreq_text *auth,
		       const uint8_t *body, size_t body_len)
{
	size_t off = 0;
	bool ok;

	if (!method_ok(method) || target[0] != '/' || !token_text(target, MGMT_REQ_TARGET_MAX) ||
	    !token_text(host, HTTP_REQ_HOST_MAX) || body_len > HTTP_REQ_BODY_MAX)
		return 0;
	ok = put(out, cap, &off,
		 "%s %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: subnetra\r\nConnection: close\r\n",
		 method, target, host);
	if (ok && auth)
		ok = put(out, cap, &off, "%s: %s\r\n%s: %s\r\n%s: %s\r\n%s: %s\r\n", MGMT_HDR_KEY,
			 auth->key, MGMT_HDR_TIME, auth->time, MGMT_HDR_NONCE, auth->nonce,
			 MGMT_HDR_SIG, auth->sig);
	if (ok && body_len)
		ok = put(out, cap, &off, "Content-Type: application/json\r\n");
	if (ok && (body_len || strcmp(method, "POST") == 0))
		ok = put(out, cap, &off, "Content-Length: %zu\r\n", body_len);
	ok = ok && put(out, cap, &off, "\r\n") && cap - off > body_len;
	if (!ok)
		return 0;
	if (body_len)
		memcpy(out + off, body, body_len);
	off += body_len;
	out[off] = '\0';
	return off;
}
