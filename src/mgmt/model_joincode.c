/* Join codes and claim requests (see model_joincode.h). */
#include "mgmt/model_joincode.h"

#include <errno.h>
#include <string.h>

#include <sodium.h>

#include "core/mgmt/text.h"
#include "mgmt/model_audit.h"
#include "mgmt/model_graph.h"
#include "mgmt/model_network.h"
#include "mgmt/model_sql.h"
#include "mgmt/model_version.h"

const char *model_code_refusal_name(enum model_code_refusal r)
{
	static const char *const names[] = {
	    [MODEL_CODE_OK] = "ok",	      [MODEL_CODE_MALFORMED] = "malformed",
	    [MODEL_CODE_UNKNOWN] = "unknown", [MODEL_CODE_REVOKED] = "revoked",
	    [MODEL_CODE_EXPIRED] = "expired", [MODEL_CODE_USED] = "used",
	};

	return (unsigned)r < sizeof names / sizeof names[0] ? names[r] : "?";
}

int model_joincode_create(const struct model_op *op, int64_t account_id,
			  const uint8_t fingerprint[MGMT_FPR_LEN],
			  const struct model_joincode_spec *spec,
			  char out[MGMT_JOINCODE_LEN + 1], int64_t *id)
{
	struct mgmt_joincode jc;
	uint8_t h[MGMT_SECRET_HASH_LEN];
	char prefix[MGMT_JOINCODE_PREFIX_CHARS + 1];
	struct model_detail d;
	int rc;

	if (spec->usage_limit < 0 || (!spec->reusable && spec->usage_limit > 1))
		return -EINVAL;
	mgmt_joincode_generate(&jc, fingerprint);
	mgmt_joincode_format(&jc, out);
	mgmt_joincode_prefix_text(&jc, prefix);
	mgmt_joincode_hash(op->pepper, &jc, h);
	mgmt_joincode_wipe(&jc);
	const struct store_arg args[] = {
	    STORE_TEXT(prefix),
	    STORE_BLOB(h, sizeof h),
	    STORE_I64(account_id),
	    spec->network_id > 0 ? STORE_I64(spec->network_id) : STORE_NULL,
	    STORE_I64(spec->reusable),
	    STORE_I64(spec->usage_limit),
	    STORE_TEXT(model_hostname_policy_name(spec->policy)),
	    STORE_TEXT(spec->description),
	    STORE_I64(model_now_s(op)),
	    spec->expires_at > 0 ? STORE_I64(spec->expires_at) : STORE_NULL,
	};

	rc = model_tx_begin(op->s);
	if (rc < 0)
		goto out;
	rc = model_query_i64(op->s,
			     "INSERT INTO join_codes(prefix, hash, account_id, network_id, "
			     "reusable, usage_limit, hostname_policy, description, created_at, "
			     "expires_at) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
			     args, sizeof args / sizeof args[0], id);
	model_detail_init(&d);
	model_detail_str(&d, "prefix", prefix);
	model_detail_int(&d, "network", spec->network_id);
	model_detail_int(&d, "reusable", spec->reusable);
	model_detail_int(&d, "usage_limit", spec->usage_limit);
	model_detail_int(&d, "expires_at", spec->expires_at);
	model_detail_str(&d, "hostname_policy", model_hostname_policy_name(spec->policy));
	if (rc == 0)
		rc = model_audit(op, "joincode.create", "joincode", *id, model_detail_finish(&d));
	rc = model_tx_end(op->s, rc);
out:
	if (rc < 0)
		sodium_memzero(out, MGMT_JOINCODE_LEN + 1);
	return rc;
}

int model_joincode_revoke(const struct model_op *op, int64_t id)
{
	const struct store_arg idarg[] = {STORE_I64(id)};
	const struct store_arg args[] = {STORE_I64(model_now_s(op)), STORE_I64(id)};
	int rc = model_tx_begin(op->s);

	if (rc < 0)
		return rc;
	rc = model_exists(op->s, "SELECT 1 FROM join_codes WHERE id = ? AND revoked_at IS NULL",
			  idarg, 1);
	if (rc == 0)
		rc = store_exec_args(op->s, "UPDATE join_codes SET revoked_at = ? WHERE id = ?",
				     args, 2);
	if (rc == 0)
		rc = model_audit(op, "joincode.revoke", "joincode", id, NULL);
	return model_tx_end(op->s, rc);
}

struct code_row {
	int64_t id, account_id, network_id, usage_limit, used, expires_at, revoked_at;
	bool reusable;
	enum model_hostname_policy policy;
};

/* The code's row if its secret matches, else why not (inside the transaction). */
static int check_code(const struct model_op *op, const char *code, struct code_row *r,
		      enum model_code_refusal *why)
{
	struct mgmt_joincode jc;
	char prefix[MGMT_JOINCODE_PREFIX_CHARS + 1];
	uint8_t stored[MGMT_SECRET_HASH_LEN];
	struct store_stmt *st;
	size_t n = 0;
	bool match = false;
	int rc;

	if (!mgmt_joincode_parse(code, strlen(code), &jc)) {
		*why = MODEL_CODE_MALFORMED;
		return -EACCES;
	}
	mgmt_joincode_prefix_text(&jc, prefix);
	const struct store_arg key[] = {STORE_TEXT(prefix)};

	rc = store_prepare_args(op->s,
				"SELECT id, account_id, coalesce(network_id, 0), usage_limit, "
				"used, coalesce(expires_at, 0), coalesce(revoked_at, 0), reusable, "
				"hostname_policy, hash FROM join_codes WHERE prefix = ?",
				key, 1, &st);
	if (rc < 0)
		goto out;
	rc = store_step(st);
	if (rc == STORE_ROW) {
		r->id = store_col_i64(st, 0);
		r->account_id = store_col_i64(st, 1);
		r->network_id = store_col_i64(st, 2);
		r->usage_limit = store_col_i64(st, 3);
		r->used = store_col_i64(st, 4);
		r->expires_at = store_col_i64(st, 5);
		r->revoked_at = store_col_i64(st, 6);
		r->reusable = store_col_i64(st, 7) != 0;
		if (!model_hostname_policy_parse(store_col_text(st, 8), &r->policy))
			r->policy = MODEL_HOSTNAME_SUFFIX;
		match = store_col_blob(st, 9, stored, sizeof stored, &n) == 0 &&
			n == sizeof stored && mgmt_joincode_matches(op->pepper, &jc, stored);
		rc = 0;
	}
	store_finalize(st);
	if (rc < 0)
		goto out;
	rc = -EACCES;
	if (!match)
		*why = MODEL_CODE_UNKNOWN;
	else if (r->revoked_at != 0)
		*why = MODEL_CODE_REVOKED;
	else if (r->expires_at != 0 && r->expires_at <= model_now_s(op))
		*why = MODEL_CODE_EXPIRED;
	else if ((!r->reusable && r->used >= 1) ||
		 (r->reusable && r->usage_limit > 0 && r->used >= r->usage_limit))
		*why = MODEL_CODE_USED;
	else
		rc = 0;
out:
	mgmt_joincode_wipe(&jc);
	return rc;
}

/*
 * The device ident, in the open transaction: its row made or re-used, put
 * into network (if any, and not already), owner given if it had none; the
 * affected set, the version bump and the audit row by the device itself.
 */
static int admit(const struct model_op *op, const struct model_device_ident *ident,
		 enum model_hostname_policy policy, int64_t owner, int64_t network,
		 const char *action, struct model_detail *d, int64_t *device_id,
		 struct model_change *ch)
{
	struct model_op as_device = *op;
	bool created;
	int64_t renamed;
	int rc = model_device_upsert(op, ident, policy, device_id, &created, &renamed);

	if (rc < 0)
		return rc;
	const struct store_arg own[] = {STORE_I64(owner), STORE_I64(model_now_s(op)),
					STORE_I64(*device_id)};
	const struct store_arg pair[] = {STORE_I64(network), STORE_I64(*device_id)};

	if (owner > 0)
		rc = store_exec_args(op->s,
				     "UPDATE devices SET owner_id = coalesce(owner_id, ?), "
				     "claimed_at = coalesce(claimed_at, ?) WHERE id = ?",
				     own, 3);
	if (rc == 0 && network > 0 &&
	    model_exists(op->s,
			 "SELECT 1 FROM memberships WHERE network_id = ? AND device_id = ?", pair,
			 2) == -ENOENT)
		rc = model_attach_in_tx(op, network, *device_id);
	if (rc == 0)
		rc = model_affected_device(op->s, *device_id, ch);
	if (rc == 0 && renamed > 0)
		rc = model_affected_device(op->s, renamed, ch);
	if (rc == 0)
		rc = model_version_bump(op, ch);
	model_detail_int(d, "network", network);
	model_detail_int(d, "new", created);
	if (renamed > 0)
		model_detail_int(d, "renamed", renamed);
	if (op->who.kind == MODEL_ACTOR_SYSTEM || op->who.kind == MODEL_ACTOR_DEVICE) {
		as_device.who.kind = MODEL_ACTOR_DEVICE;
		as_device.who.id = *device_id;
	}
	if (rc == 0)
		rc = model_audit(&as_device, action, "device", *device_id,
				 model_detail_finish(d));
	return rc;
}

int model_joincode_redeem(const struct model_op *op, const char *code,
			  const struct model_device_ident *ident, int64_t *device_id,
			  enum model_code_refusal *why, struct model_change *ch)
{
	struct code_row r = {0};
	struct model_detail d;
	char prefix[MGMT_JOINCODE_PREFIX_CHARS + 1] = "";
	int rc;

	*why = MODEL_CODE_OK;
	rc = model_tx_begin(op->s);
	if (rc < 0)
		return rc;
	rc = check_code(op, code, &r, why);
	const struct store_arg use[] = {STORE_I64(r.id)};

	if (rc == 0)
		rc = store_exec_args(op->s, "UPDATE join_codes SET used = used + 1 WHERE id = ?",
				     use, 1);
	if (rc == 0) {
		memcpy(prefix, code + 4, MGMT_JOINCODE_PREFIX_CHARS); /* parsed: in bounds */
		model_detail_init(&d);
		model_detail_str(&d, "joincode", prefix);
		model_detail_int(&d, "joincode_id", r.id);
		rc = admit(op, ident, r.policy, r.account_id, r.network_id, "device.join", &d,
			   device_id, ch);
	}
	if (rc == 0) {
		const struct store_arg link[] = {STORE_I64(r.id), STORE_I64(*device_id)};

		rc = store_exec_args(op->s, "UPDATE devices SET join_code_id = ? WHERE id = ?",
				     link, 2);
	}
	rc = model_tx_end(op->s, rc);
	if (rc < 0)
		model_change_free(ch);
	return rc;
}

/* The stored hash of a claim secret: peppered, of its BLAKE2b-256. */
static bool claim_hash_raw(const uint8_t *pepper, const uint8_t raw[MODEL_CLAIM_SECRET_LEN],
			   uint8_t h[MGMT_SECRET_HASH_LEN])
{
	uint8_t inner[MGMT_SECRET_HASH_LEN];
	bool ok;

	crypto_generichash(inner, sizeof inner, raw, MODEL_CLAIM_SECRET_LEN, NULL, 0);
	ok = mgmt_secret_hash(pepper, MGMT_SECRET_CLAIM, inner, sizeof inner, h);
	sodium_memzero(inner, sizeof inner);
	return ok;
}

static bool claim_hash(const uint8_t *pepper, const char *text, uint8_t h[MGMT_SECRET_HASH_LEN])
{
	uint8_t raw[MODEL_CLAIM_SECRET_LEN];
	bool ok = strlen(text) == 2 * MODEL_CLAIM_SECRET_LEN &&
		  mgmt_hex_decode(text, 2 * MODEL_CLAIM_SECRET_LEN, raw, sizeof raw) &&
		  claim_hash_raw(pepper, raw, h);

	sodium_memzero(raw, sizeof raw);
	return ok;
}

/* The claim request of ident, stored as h (the peppered hash), in one transaction. */
static int claim_store(const struct model_op *op, const struct model_device_ident *ident,
		       const uint8_t h[MGMT_SECRET_HASH_LEN], int64_t *device_id)
{
	struct model_op as_device = *op;
	bool created;
	int64_t renamed;
	int rc = model_tx_begin(op->s);

	if (rc < 0)
		return rc;
	rc = model_device_upsert(op, ident, MODEL_HOSTNAME_SUFFIX, device_id, &created, &renamed);
	if (rc == 0) {
		const struct store_arg del[] = {STORE_I64(*device_id)};
		const struct store_arg ins[] = {STORE_I64(*device_id), STORE_BLOB(h, MGMT_SECRET_HASH_LEN),
						STORE_I64(model_now_s(op) + MODEL_CLAIM_TTL_S)};

		rc = store_exec_args(op->s, "DELETE FROM claim_requests WHERE device_id = ?", del,
				     1);
		if (rc == 0)
			rc = store_exec_args(op->s,
					     "INSERT INTO claim_requests(device_id, secret_hash, "
					     "expires_at) VALUES(?, ?, ?)",
					     ins, 3);
	}
	as_device.who.kind = MODEL_ACTOR_DEVICE;
	as_device.who.id = *device_id;
	if (rc == 0)
		rc = model_audit(&as_device, "device.claim_request", "device", *device_id, NULL);
	return model_tx_end(op->s, rc);
}

int model_claim_request(const struct model_op *op, const struct model_device_ident *ident,
			char secret[MODEL_CLAIM_TEXT], int64_t *device_id)
{
	uint8_t raw[MODEL_CLAIM_SECRET_LEN], h[MGMT_SECRET_HASH_LEN];
	int rc;

	randombytes_buf(raw, sizeof raw);
	mgmt_hex_encode(secret, raw, sizeof raw);
	claim_hash_raw(op->pepper, raw, h);
	sodium_memzero(raw, sizeof raw);
	rc = claim_store(op, ident, h, device_id);
	if (rc < 0)
		sodium_memzero(secret, MODEL_CLAIM_TEXT);
	return rc;
}

int model_claim_request_hash(const struct model_op *op,
			     const struct model_device_ident *ident,
			     const uint8_t secret_hash[MGMT_SECRET_HASH_LEN], int64_t *device_id)
{
	uint8_t h[MGMT_SECRET_HASH_LEN];

	if (!mgmt_secret_hash(op->pepper, MGMT_SECRET_CLAIM, secret_hash, MGMT_SECRET_HASH_LEN,
			      h))
		return -EINVAL;
	return claim_store(op, ident, h, device_id);
}

int model_claim_redeem(const struct model_op *op, const char *secret, int64_t network_id,
		       int64_t *device_id, struct model_change *ch)
{
	uint8_t h[MGMT_SECRET_HASH_LEN];
	struct model_device dev;
	struct model_device_ident ident = {0};
	struct model_detail d;
	int rc;

	if (!claim_hash(op->pepper, secret, h))
		return -ENOENT;
	const struct store_arg key[] = {STORE_BLOB(h, sizeof h), STORE_I64(model_now_s(op))};

	rc = model_tx_begin(op->s);
	if (rc < 0)
		return rc;
	rc = model_query_i64(op->s,
			     "SELECT device_id FROM claim_requests WHERE secret_hash = ? AND "
			     "expires_at > ?",
			     key, 2, device_id);
	if (rc == 0)
		rc = model_device_get(op->s, *device_id, &dev);
	if (rc == 0) {
		const struct store_arg del[] = {STORE_I64(*device_id)};

		memcpy(ident.address, dev.address, 16);
		memcpy(ident.pubkey, dev.pubkey, MGMT_PK_LEN);
		rc = store_exec_args(op->s, "DELETE FROM claim_requests WHERE device_id = ?", del,
				     1);
	}
	model_detail_init(&d);
	if (rc == 0)
		rc = admit(op, &ident, MODEL_HOSTNAME_SUFFIX, op->who.account_id, network_id,
			   "device.claim", &d, device_id, ch);
	rc = model_tx_end(op->s, rc);
	if (rc < 0)
		model_change_free(ch);
	return rc;
}
