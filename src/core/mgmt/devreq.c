/* Device request signatures (see devreq.h). */
#include "core/mgmt/devreq.h"

#include <errno.h>
#include <string.h>

#include <sodium.h>

#include "core/mesh/identity.h"
#include "core/mgmt/text.h"

static const uint64_t TIME_LIMIT = 1000000000000000ULL; /* 10^15: 15 digits */

static bool parse_time(const char *s, size_t len, uint64_t *out)
{
	uint64_t t = 0;

	if (len == 0 || len > MGMT_REQ_TIME_DIGITS || (len > 1 && s[0] == '0'))
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		t = t * 10 + (uint64_t)(s[i] - '0');
	}
	*out = t;
	return true;
}

/* t < 10^15 as decimal into out (16 bytes): its length. */
static size_t format_time(uint64_t t, char *out)
{
	char rev[MGMT_REQ_TIME_DIGITS];
	size_t n = 0;

	do {
		rev[n++] = (char)('0' + t % 10);
		t /= 10;
	} while (t != 0 && n < sizeof(rev));
	for (size_t i = 0; i < n; i++)
		out[i] = rev[n - 1 - i];
	out[n] = '\0';
	return n;
}

bool mgmt_devreq_parse(const struct mgmt_devreq_headers *h, struct mgmt_devreq_auth *a)
{
	if (h->key == NULL || h->time == NULL || h->nonce == NULL || h->sig == NULL)
		return false;
	return mgmt_b64_decode_exact(h->key, h->key_len, a->pk, MGMT_PK_LEN) &&
	       parse_time(h->time, h->time_len, &a->time_ms) &&
	       mgmt_b64_decode_exact(h->nonce, h->nonce_len, a->nonce, MGMT_NONCE_LEN) &&
	       mgmt_b64_decode_exact(h->sig, h->sig_len, a->sig, MGMT_SIG_LEN);
}

void mgmt_devreq_format(const struct mgmt_devreq_auth *a, struct mgmt_devreq_text *out)
{
	mgmt_b64_encode(out->key, sizeof(out->key), a->pk, MGMT_PK_LEN);
	format_time(a->time_ms % TIME_LIMIT, out->time);
	mgmt_b64_encode(out->nonce, sizeof(out->nonce), a->nonce, MGMT_NONCE_LEN);
	mgmt_b64_encode(out->sig, sizeof(out->sig), a->sig, MGMT_SIG_LEN);
}

static bool method_ok(const char *s, size_t len)
{
	if (len == 0 || len > MGMT_REQ_METHOD_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < 'A' || s[i] > 'Z')
			return false;
	}
	return true;
}

static bool target_ok(const char *s, size_t len)
{
	if (len == 0 || len > MGMT_REQ_TARGET_MAX || s[0] != '/')
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] <= 0x20 || s[i] >= 0x7f)
			return false;
	}
	return true;
}

size_t mgmt_devreq_message(const char *method, size_t method_len, const char *target,
			   size_t target_len, uint64_t time_ms,
			   const uint8_t nonce[MGMT_NONCE_LEN], const uint8_t *body,
			   size_t body_len, uint8_t *out, size_t cap)
{
	char time_text[MGMT_REQ_TIME_DIGITS + 1];
	char nonce_text[MGMT_B64_LEN(MGMT_NONCE_LEN) + 1];
	size_t time_len, n = 0;

	if (!method_ok(method, method_len) || !target_ok(target, target_len) ||
	    time_ms >= TIME_LIMIT || cap < MGMT_DEVREQ_MSG_MAX)
		return 0;
	time_len = format_time(time_ms, time_text);
	mgmt_b64_encode(nonce_text, sizeof(nonce_text), nonce, MGMT_NONCE_LEN);
#define PUT(p, len)                    \
	do {                           \
		memcpy(out + n, p, len); \
		n += len;              \
	} while (0)
	PUT(MGMT_DOMAIN_DEVREQ, sizeof(MGMT_DOMAIN_DEVREQ)); /* with its NUL */
	PUT(method, method_len);
	PUT("\n", 1);
	PUT(target, target_len);
	PUT("\n", 1);
	PUT(time_text, time_len);
	PUT("\n", 1);
	PUT(nonce_text, MGMT_B64_LEN(MGMT_NONCE_LEN));
	PUT("\n", 1);
#undef PUT
	crypto_generichash(out + n, MGMT_DIGEST_LEN, body, body_len, NULL, 0);
	return n + MGMT_DIGEST_LEN;
}

int mgmt_devreq_sign(const uint8_t sk[MGMT_SK_LEN], const char *method, size_t method_len,
		     const char *target, size_t target_len, uint64_t time_ms,
		     const uint8_t nonce[MGMT_NONCE_LEN], const uint8_t *body,
		     size_t body_len, struct mgmt_devreq_auth *a)
{
	uint8_t msg[MGMT_DEVREQ_MSG_MAX];
	size_t len = mgmt_devreq_message(method, method_len, target, target_len, time_ms, nonce,
					 body, body_len, msg, sizeof(msg));

	if (len == 0)
		return -EINVAL;
	memcpy(a->pk, sk + MGMT_SK_LEN - MGMT_PK_LEN, MGMT_PK_LEN);
	a->time_ms = time_ms;
	memcpy(a->nonce, nonce, MGMT_NONCE_LEN);
	crypto_sign_detached(a->sig, NULL, msg, len, sk);
	return 0;
}

const char *mgmt_devreq_verdict_name(enum mgmt_devreq_verdict v)
{
	static const char *const names[MGMT_DEVREQ_VERDICTS] = {
		[MGMT_DEVREQ_OK] = "ok",
		[MGMT_DEVREQ_MALFORMED] = "malformed",
		[MGMT_DEVREQ_BAD_KEY] = "bad_key",
		[MGMT_DEVREQ_BAD_SIG] = "bad_signature",
		[MGMT_DEVREQ_SKEW] = "clock_skew",
	};

	return (unsigned)v < MGMT_DEVREQ_VERDICTS ? names[v] : "?";
}

bool mgmt_devreq_time_ok(uint64_t time_ms, uint64_t now_ms)
{
	uint64_t d = time_ms > now_ms ? time_ms - now_ms : now_ms - time_ms;

	return d <= MGMT_REQ_SKEW_MS;
}

enum mgmt_devreq_verdict mgmt_devreq_verify(const struct mgmt_devreq_auth *a,
					    const char *method, size_t method_len,
					    const char *target, size_t target_len,
					    const uint8_t *body, size_t body_len,
					    uint64_t now_ms)
{
	uint8_t msg[MGMT_DEVREQ_MSG_MAX];
	size_t len;

	len = mgmt_devreq_message(method, method_len, target, target_len, a->time_ms, a->nonce,
				  body, body_len, msg, sizeof(msg));
	if (len == 0)
		return MGMT_DEVREQ_MALFORMED;
	if (!identity_pk_acceptable(a->pk))
		return MGMT_DEVREQ_BAD_KEY;
	if (crypto_sign_verify_detached(a->sig, msg, len, a->pk) != 0)
		return MGMT_DEVREQ_BAD_SIG;
	/* after the signature: a skew verdict is about a real device's clock */
	if (!mgmt_devreq_time_ok(a->time_ms, now_ms))
		return MGMT_DEVREQ_SKEW;
	return MGMT_DEVREQ_OK;
}
