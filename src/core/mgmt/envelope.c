/* The signed envelope (see envelope.h). */
#include "core/mgmt/envelope.h"

#include <errno.h>
#include <string.h>

#include <sodium.h>

#include "core/json.h"
#include "core/mgmt/jsonio.h"
#include "core/mgmt/text.h"
#include "core/outbuf.h"

void mgmt_key_id(const uint8_t pk[MGMT_PK_LEN], uint8_t id[MGMT_KEY_ID_LEN])
{
	crypto_generichash(id, MGMT_KEY_ID_LEN, pk, MGMT_PK_LEN, NULL, 0);
}

void mgmt_key_fingerprint(const uint8_t pk[MGMT_PK_LEN], uint8_t fpr[MGMT_FPR_LEN])
{
	crypto_generichash(fpr, MGMT_FPR_LEN, pk, MGMT_PK_LEN, NULL, 0);
}

void mgmt_keyset_init(struct mgmt_keyset *ks)
{
	memset(ks, 0, sizeof(*ks));
}

bool mgmt_keyset_contains(const struct mgmt_keyset *ks, const uint8_t pk[MGMT_PK_LEN])
{
	for (size_t i = 0; i < ks->n; i++) {
		if (memcmp(ks->keys[i].pk, pk, MGMT_PK_LEN) == 0)
			return true;
	}
	return false;
}

int mgmt_keyset_add(struct mgmt_keyset *ks, const uint8_t pk[MGMT_PK_LEN])
{
	if (mgmt_keyset_contains(ks, pk))
		return -EEXIST;
	if (ks->n == MGMT_KEYS_MAX)
		return -ENOSPC;
	memcpy(ks->keys[ks->n].pk, pk, MGMT_PK_LEN);
	mgmt_key_id(pk, ks->keys[ks->n].id);
	ks->n++;
	return 0;
}

const char *mgmt_env_verdict_name(enum mgmt_env_verdict v)
{
	static const char *const names[MGMT_ENV_VERDICTS] = {
		[MGMT_ENV_OK] = "ok",
		[MGMT_ENV_TOO_BIG] = "too_big",
		[MGMT_ENV_MALFORMED] = "malformed",
		[MGMT_ENV_UNKNOWN_KEY] = "unknown_key",
		[MGMT_ENV_BAD_SIG] = "bad_signature",
	};

	return (unsigned)v < MGMT_ENV_VERDICTS ? names[v] : "?";
}

/* domain ‖ NUL at the start of work: its length, or 0 when it does not fit. */
static size_t put_domain(const char *domain, uint8_t *work, size_t work_cap)
{
	size_t dlen = strlen(domain) + 1;

	if (dlen > MGMT_DOMAIN_MAX || dlen > work_cap)
		return 0;
	memcpy(work, domain, dlen);
	return dlen;
}

static const char *const envelope_members[] = { "payload", "sig", "key" };

enum mgmt_env_verdict mgmt_envelope_parse(const char *text, size_t len, const char *domain,
					  uint8_t *work, size_t work_cap,
					  struct mgmt_envelope *env)
{
	enum mgmt_env_verdict verdict = MGMT_ENV_MALFORMED;
	struct json_value root = { .type = JSON_NULL };
	struct json_error jerr;
	const char *s;
	size_t slen, dlen, cap;

	memset(env, 0, sizeof(*env));
	if (len > MGMT_ENVELOPE_MAX)
		return MGMT_ENV_TOO_BIG;
	dlen = put_domain(domain, work, work_cap);
	if (dlen == 0)
		return MGMT_ENV_TOO_BIG;
	/* A NUL would end the text for the parser and hide what follows it. */
	if (memchr(text, '\0', len) != NULL ||
	    !json_parse(text, len, JSON_PLAIN_KEYS, &root, &jerr))
		return MGMT_ENV_MALFORMED;
	if (!mgmt_json_exact(&root, envelope_members, 3) ||
	    !mgmt_json_hex(&root, "key", env->key_id, MGMT_KEY_ID_LEN) ||
	    !mgmt_json_str(&root, "sig", 0, SIZE_MAX, &s, &slen) ||
	    !mgmt_b64_decode_exact(s, slen, env->sig, MGMT_SIG_LEN) ||
	    !mgmt_json_str(&root, "payload", 0, SIZE_MAX, &s, &slen))
		goto out_free;
	cap = work_cap - dlen < MGMT_PAYLOAD_MAX ? work_cap - dlen : MGMT_PAYLOAD_MAX;
	if (slen > MGMT_B64_LEN(cap)) {
		verdict = MGMT_ENV_TOO_BIG;
		goto out_free;
	}
	if (!mgmt_b64_decode(s, slen, work + dlen, cap, &env->payload_len))
		goto out_free;
	env->payload = work + dlen;
	env->msg = work;
	env->msg_len = dlen + env->payload_len;
	verdict = MGMT_ENV_OK;
out_free:
	json_free(&root);
	return verdict;
}

enum mgmt_env_verdict mgmt_envelope_verify(const struct mgmt_envelope *env,
					   const struct mgmt_keyset *ks, size_t *which)
{
	enum mgmt_env_verdict verdict = MGMT_ENV_UNKNOWN_KEY;

	if (env->msg == NULL)
		return MGMT_ENV_MALFORMED;
	/* Two pinned keys could share an id (2^-64): try every one that matches. */
	for (size_t i = 0; i < ks->n; i++) {
		if (memcmp(ks->keys[i].id, env->key_id, MGMT_KEY_ID_LEN) != 0)
			continue;
		if (crypto_sign_verify_detached(env->sig, env->msg, env->msg_len,
						ks->keys[i].pk) == 0) {
			if (which != NULL)
				*which = i;
			return MGMT_ENV_OK;
		}
		verdict = MGMT_ENV_BAD_SIG;
	}
	return verdict;
}

enum mgmt_env_verdict mgmt_envelope_open(const char *text, size_t len, const char *domain,
					 const struct mgmt_keyset *ks, uint8_t *work,
					 size_t work_cap, struct mgmt_envelope *env,
					 size_t *which)
{
	enum mgmt_env_verdict v = mgmt_envelope_parse(text, len, domain, work, work_cap, env);

	if (v == MGMT_ENV_OK)
		v = mgmt_envelope_verify(env, ks, which);
	if (v != MGMT_ENV_OK) {
		/* nothing unverified is handed back */
		env->payload = NULL;
		env->payload_len = 0;
	}
	return v;
}

size_t mgmt_envelope_seal(const char *domain, const uint8_t *payload, size_t plen,
			  const uint8_t sk[MGMT_SK_LEN], uint8_t *work, size_t work_cap,
			  char *out, size_t cap)
{
	uint8_t sig[MGMT_SIG_LEN], id[MGMT_KEY_ID_LEN];
	char sig_b64[MGMT_B64_LEN(MGMT_SIG_LEN) + 1];
	struct outbuf o;
	size_t dlen, b64;

	outbuf_init(&o, out, cap);
	dlen = put_domain(domain, work, work_cap);
	if (dlen == 0 || plen > MGMT_PAYLOAD_MAX || plen > work_cap - dlen ||
	    cap < MGMT_B64_LEN(plen) + MGMT_ENVELOPE_OVERHEAD + 1)
		return outbuf_finish(&o);
	memmove(work + dlen, payload, plen); /* payload may already be there */
	crypto_sign_detached(sig, NULL, work, dlen + plen, sk);
	mgmt_key_id(sk + MGMT_SK_LEN - MGMT_PK_LEN, id);

	outbuf_puts(&o, "{\"payload\":\"");
	b64 = mgmt_b64_encode(out + o.len, cap - o.len, work + dlen, plen);
	o.len += b64;
	outbuf_puts(&o, "\",\"sig\":\"");
	mgmt_b64_encode(sig_b64, sizeof(sig_b64), sig, MGMT_SIG_LEN);
	outbuf_puts(&o, sig_b64);
	outbuf_puts(&o, "\"");
	mgmt_json_put_khex(&o, "key", id, MGMT_KEY_ID_LEN);
	outbuf_puts(&o, "}");
	return outbuf_finish(&o);
}
