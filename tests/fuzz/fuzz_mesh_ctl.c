/*
 * Mesh control codecs on arbitrary bytes: base control (basectl_decode),
 * peer control (pathctl_decode), endpoint records (er_parse) and the DATA
 * plaintext dispatcher (plain_classify).
 *
 * Byte 0 picks the decoder (its low 3 bits): 0 basectl, 1 pathctl, 2 ER as
 * it is, 3 ER re-signed, 4 REGISTER with its ER re-signed; the rest is the
 * message.  "Re-signed" puts the harness's fixed key in front of the
 * record and a valid signature at its end, so the mutator reaches every
 * check after the signature's (a fuzzer cannot forge Ed25519).
 *
 * Invariants:
 *  - every verdict has a name; a refusal leaves the output struct zero;
 *  - round trip: whatever is accepted encodes back to exactly the input
 *    bytes, and the encoding decodes again;
 *  - an accepted ER's key passes the filter, n <= 16, every endpoint is a
 *    candidate;
 *  - plain_classify agrees with the documented first-byte rule.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common.h"
#include "mesh_key.h"
#include "core/mesh/basectl.h"
#include "core/mesh/er.h"
#include "core/mesh/pathctl.h"

static struct identity key;
enum { INPUT_MAX = BASECTL_MAX_LEN + PATHCTL_PING_MAX_LEN };

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	fuzz_mesh_key(&key);
	return 0;
}

static void resign(uint8_t *er, size_t len)
{
	if (len < ER_MIN_LEN)
		return;
	memcpy(er, key.pk, IDENTITY_PK_LEN);
	identity_sign(&key, ER_SIGN_DOMAIN, er, len - IDENTITY_SIG_LEN,
		      er + len - IDENTITY_SIG_LEN);
}

static bool zero(const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i] != 0)
			return false;
	return true;
}

static void check_plain(const uint8_t *b, size_t len)
{
	enum plain_class c = plain_classify(b, len), want;

	if (len == 0)
		want = PLAIN_KEEPALIVE;
	else if (b[0] >> 4 == 4)
		want = PLAIN_IPV4;
	else if (b[0] >> 4 == 6)
		want = PLAIN_IPV6;
	else if (b[0] >= 0x01 && b[0] <= 0x0f)
		want = PLAIN_PEER_CTL;
	else if (b[0] >= 0x10 && b[0] <= 0x2f)
		want = PLAIN_BASE_CTL;
	else
		want = PLAIN_UNKNOWN;
	FUZZ_CHECK(c == want, "plain_classify(0x%02x) = %s", len ? b[0] : 0,
		   plain_class_name(c));
}

static void run_er(const uint8_t *b, size_t len)
{
	static struct er er;
	static uint8_t out[ER_MAX_LEN];
	enum er_result r = er_parse(&er, b, len, NULL);
	size_t n = 0;

	FUZZ_CHECK(strcmp(er_result_name(r), "?") != 0, "er result %d", r);
	if (r != ER_OK) {
		FUZZ_CHECK(zero(&er, sizeof(er)), "refused ER left fields (%s)",
			   er_result_name(r));
		return;
	}
	FUZZ_CHECK(identity_pk_acceptable(er.ed_pk) && er.n <= ER_MAX_ENDPOINTS, "ER fields");
	for (unsigned i = 0; i < er.n; i++)
		FUZZ_CHECK(ep18_candidate(&er.ep[i]), "ER endpoint %u", i);
	FUZZ_CHECK(er_encode(&er, out, sizeof(out), &n) == ER_OK, "ER re-encode");
	FUZZ_CHECK(n == len && memcmp(out, b, len) == 0, "ER round trip (%zu vs %zu)", n,
		   len);
}

static void run_basectl(const uint8_t *b, size_t len)
{
	static struct basectl m, again;
	static uint8_t out[BASECTL_MAX_LEN];
	enum er_result why;
	enum basectl_result r = basectl_decode(&m, b, len, &why);
	size_t n = 0;

	FUZZ_CHECK(strcmp(basectl_result_name(r), "?") != 0, "basectl result %d", r);
	FUZZ_CHECK(why == ER_OK || r == BASECTL_BAD_RECORD,
		   "er_why %s with %s", er_result_name(why), basectl_result_name(r));
	if (r != BASECTL_OK) {
		FUZZ_CHECK(zero(&m, sizeof(m)), "refused basectl left fields");
		return;
	}
	FUZZ_CHECK(basectl_type_name((uint8_t)m.type) != NULL, "type");
	FUZZ_CHECK(basectl_encode(&m, out, sizeof(out), &n) == BASECTL_OK, "re-encode %s",
		   basectl_type_name((uint8_t)m.type));
	FUZZ_CHECK(n == len && memcmp(out, b, len) == 0, "basectl round trip %s",
		   basectl_type_name((uint8_t)m.type));
	FUZZ_CHECK(basectl_decode(&again, out, n, NULL) == BASECTL_OK, "decode again");
}

static void run_pathctl(const uint8_t *b, size_t len)
{
	static struct pathctl m;
	static uint8_t out[PATHCTL_PING_MAX_LEN];
	enum pathctl_result r = pathctl_decode(&m, b, len);
	size_t n = 0;

	FUZZ_CHECK(strcmp(pathctl_result_name(r), "?") != 0, "pathctl result %d", r);
	if (r != PATHCTL_OK) {
		FUZZ_CHECK(zero(&m, sizeof(m)), "refused pathctl left fields");
		return;
	}
	FUZZ_CHECK(pathctl_encode(&m, out, sizeof(out), &n) == PATHCTL_OK, "re-encode");
	FUZZ_CHECK(n == len && memcmp(out, b, len) == 0, "pathctl round trip");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *b;
	size_t len;

	if (size < 1)
		return 0;
	len = size - 1;
	if (len > INPUT_MAX)
		return 0;
	/* An exact-size heap copy, so ASan sees any read past the end. */
	b = malloc(len ? len : 1);
	if (b == NULL)
		return 0;
	memcpy(b, data + 1, len);
	check_plain(b, len);
	switch (data[0] & 7) {
	case 0:
		run_basectl(b, len);
		break;
	case 1:
		run_pathctl(b, len);
		break;
	case 2:
		run_er(b, len);
		break;
	case 3:
		resign(b, len);
		run_er(b, len);
		break;
	default:
		if (len > BASECTL_HEADER_LEN)
			resign(b + BASECTL_HEADER_LEN, len - BASECTL_HEADER_LEN);
		run_basectl(b, len);
		break;
	}
	free(b);
	return 0;
}
