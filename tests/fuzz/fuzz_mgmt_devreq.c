/*
 * Device request headers and signatures (core/mgmt/devreq.c) on arbitrary
 * bytes.  Input: lines "key\ntime\nnonce\nsig\nmethod\ntarget\n" then the
 * body (missing lines are missing headers).
 *
 * Invariants:
 *  - parsed headers format back to exactly the input's header lines (one
 *    spelling each);
 *  - verify says OK only with a key that is a mesh identity, a signature
 *    libsodium verifies over the spec's message, and a time within
 *    ±300 s of now; it never says OK at a `now` 301 s away;
 *  - a request signed with the test device key over the input's method,
 *    target and body verifies, and fails once the body changes.
 */
#include <string.h>

#include <sodium.h>

#include "common.h"
#include "core/mesh/identity.h"
#include "core/mgmt/devreq.h"
#include "tests/unit/mgmt_fixture.h"

static struct identity dev;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	fix_identity(&dev, FIX_SEED1);
	return 0;
}

/* The next '\n'-terminated field of data[*at..size), or NULL. */
static const char *field(const uint8_t *data, size_t size, size_t *at, size_t *len)
{
	const uint8_t *nl;

	if (*at >= size)
		return NULL;
	nl = memchr(data + *at, '\n', size - *at);
	if (nl == NULL)
		return NULL;
	*len = (size_t)(nl - (data + *at));
	*at += *len + 1;
	return (const char *)nl - *len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mgmt_devreq_headers h = { 0 };
	struct mgmt_devreq_auth a, mine;
	struct mgmt_devreq_text t;
	const char *method, *target;
	size_t at = 0, mlen = 0, tlen = 0;
	const uint8_t *body;
	size_t blen;

	h.key = field(data, size, &at, &h.key_len);
	h.time = field(data, size, &at, &h.time_len);
	h.nonce = field(data, size, &at, &h.nonce_len);
	h.sig = field(data, size, &at, &h.sig_len);
	method = field(data, size, &at, &mlen);
	target = field(data, size, &at, &tlen);
	body = data + (at < size ? at : size);
	blen = at < size ? size - at : 0;
	if (method == NULL)
		method = "GET", mlen = 3;
	if (target == NULL)
		target = "/", tlen = 1;

	if (mgmt_devreq_parse(&h, &a)) {
		enum mgmt_devreq_verdict v;

		mgmt_devreq_format(&a, &t);
		FUZZ_CHECK(strlen(t.key) == h.key_len && memcmp(t.key, h.key, h.key_len) == 0 &&
				   strlen(t.time) == h.time_len &&
				   memcmp(t.time, h.time, h.time_len) == 0 &&
				   strlen(t.nonce) == h.nonce_len &&
				   memcmp(t.nonce, h.nonce, h.nonce_len) == 0 &&
				   strlen(t.sig) == h.sig_len && memcmp(t.sig, h.sig, h.sig_len) == 0,
			   "headers do not format back to themselves");
		v = mgmt_devreq_verify(&a, method, mlen, target, tlen, body, blen, a.time_ms);
		if (v == MGMT_DEVREQ_OK) {
			uint8_t msg[MGMT_DEVREQ_MSG_MAX];
			size_t len = mgmt_devreq_message(method, mlen, target, tlen, a.time_ms,
							 a.nonce, body, blen, msg, sizeof(msg));

			FUZZ_CHECK(identity_pk_acceptable(a.pk), "OK for a key that is no identity");
			FUZZ_CHECK(len > 0 && crypto_sign_verify_detached(a.sig, msg, len, a.pk) == 0,
				   "OK without a valid signature");
			FUZZ_CHECK(mgmt_devreq_verify(&a, method, mlen, target, tlen, body, blen,
						      a.time_ms + MGMT_REQ_SKEW_MS + 1) ==
					   MGMT_DEVREQ_SKEW,
				   "OK 301 s late");
		}
	}

	/* our own signature over the input's request */
	if (mgmt_devreq_sign(dev.sk, method, mlen, target, tlen, 1795443923456ULL,
			     (const uint8_t *)"0123456789abcdef", body, blen, &mine) == 0) {
		FUZZ_CHECK(mgmt_devreq_verify(&mine, method, mlen, target, tlen, body, blen,
					      1795443923456ULL) == MGMT_DEVREQ_OK,
			   "own signature refused");
		FUZZ_CHECK(mgmt_devreq_verify(&mine, method, mlen, target, tlen, (const uint8_t *)"x",
					      blen == 1 && body[0] == 'x' ? 0 : 1,
					      1795443923456ULL) == MGMT_DEVREQ_BAD_SIG,
			   "verified over another body");
	}
	return 0;
}
