/* API tokens (see model_token.h). */
#include "mgmt/model_token.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "core/mgmt/text.h"
#include "mgmt/model_audit.h"
#include "mgmt/model_sql.h"

const char *model_scope_name(enum perm_scope s)
{
	switch (s) {
	case PERM_SCOPE_READ:
		return "read";
	case PERM_SCOPE_WRITE:
		return "write";
	case PERM_SCOPE_ADMIN:
	case PERM_SCOPE_COUNT:
		break;
	}
	return "admin";
}

static enum perm_scope scope_of(const char *name)
{
	if (strcmp(name, "read") == 0)
		return PERM_SCOPE_READ;
	if (strcmp(name, "write") == 0)
		return PERM_SCOPE_WRITE;
	return PERM_SCOPE_ADMIN;
}

/* The hash of prefix ‖ secret (raw bytes). */
static void token_hash(const uint8_t *pepper, const uint8_t *prefix, const uint8_t *secret,
		       uint8_t out[MGMT_SECRET_HASH_LEN])
{
	uint8_t both[MODEL_TOKEN_PREFIX_LEN + MODEL_TOKEN_SECRET_LEN];

	memcpy(both, prefix, MODEL_TOKEN_PREFIX_LEN);
	memcpy(both + MODEL_TOKEN_PREFIX_LEN, secret, MODEL_TOKEN_SECRET_LEN);
	mgmt_secret_hash(pepper, MGMT_SECRET_TOKEN, both, sizeof both, out);
	sodium_memzero(both, sizeof both);
}

int model_token_create(const struct model_op *op, int64_t account_id, enum perm_scope scope,
		       const char *description, int64_t expires_at,
		       char out[MODEL_TOKEN_LEN + 1], int64_t *id)
{
	uint8_t prefix[MODEL_TOKEN_PREFIX_LEN], secret[MODEL_TOKEN_SECRET_LEN];
	uint8_t h[MGMT_SECRET_HASH_LEN];
	char ptext[MODEL_TOKEN_PREFIX_TEXT];
	struct model_detail d;
	int rc;

	randombytes_buf(prefix, sizeof prefix);
	randombytes_buf(secret, sizeof secret);
	token_hash(op->pepper, prefix, secret, h);
	mgmt_hex_encode(ptext, prefix, sizeof prefix);
	memcpy(out, MODEL_TOKEN_TAG, 4);
	memcpy(out + 4, ptext, 2 * MODEL_TOKEN_PREFIX_LEN);
	out[4 + 2 * MODEL_TOKEN_PREFIX_LEN] = '_';
	mgmt_hex_encode(out + 5 + 2 * MODEL_TOKEN_PREFIX_LEN, secret, sizeof secret);
	sodium_memzero(secret, sizeof secret);
	const struct store_arg args[] = {
	    STORE_I64(account_id),	       STORE_TEXT(ptext),
	    STORE_BLOB(h, sizeof h),	       STORE_TEXT(model_scope_name(scope)),
	    STORE_TEXT(description),	       STORE_I64(model_now_s(op)),
	    expires_at > 0 ? STORE_I64(expires_at) : STORE_NULL,
	};

	rc = model_tx_begin(op->s);
	if (rc < 0)
		goto out;
	rc = model_query_i64(op->s,
			     "INSERT INTO api_tokens(account_id, prefix, hash, scope, "
			     "description, created_at, expires_at) VALUES(?, ?, ?, ?, ?, ?, ?) "
			     "RETURNING id",
			     args, sizeof args / sizeof args[0], id);
	model_detail_init(&d);
	model_detail_str(&d, "prefix", ptext);
	model_detail_str(&d, "scope", model_scope_name(scope));
	model_detail_int(&d, "account", account_id);
	if (rc == 0)
		rc = model_audit(op, "token.create", "token", *id, model_detail_finish(&d));
	rc = model_tx_end(op->s, rc);
out:
	if (rc < 0)
		sodium_memzero(out, MODEL_TOKEN_LEN + 1);
	return rc;
}

/* text's prefix (as text) and raw prefix and secret; false unless a token's shape. */
static bool parse(const char *text, char ptext[MODEL_TOKEN_PREFIX_TEXT], uint8_t *prefix,
		  uint8_t *secret)
{
	if (strlen(text) != MODEL_TOKEN_LEN || memcmp(text, MODEL_TOKEN_TAG, 4) != 0 ||
	    text[4 + 2 * MODEL_TOKEN_PREFIX_LEN] != '_')
		return false;
	memcpy(ptext, text + 4, 2 * MODEL_TOKEN_PREFIX_LEN);
	ptext[2 * MODEL_TOKEN_PREFIX_LEN] = '\0';
	return mgmt_hex_decode(ptext, 2 * MODEL_TOKEN_PREFIX_LEN, prefix,
			       MODEL_TOKEN_PREFIX_LEN) &&
	       mgmt_hex_decode(text + 5 + 2 * MODEL_TOKEN_PREFIX_LEN,
			       2 * MODEL_TOKEN_SECRET_LEN, secret, MODEL_TOKEN_SECRET_LEN);
}

int model_token_check(struct store *s, const uint8_t *pepper, int64_t now_ms, const char *text,
		      struct model_token *out)
{
	uint8_t prefix[MODEL_TOKEN_PREFIX_LEN], secret[MODEL_TOKEN_SECRET_LEN];
	uint8_t h[MGMT_SECRET_HASH_LEN], stored[MGMT_SECRET_HASH_LEN];
	char ptext[MODEL_TOKEN_PREFIX_TEXT];
	int64_t now = now_ms / 1000, last = 0;
	struct store_stmt *st;
	size_t n = 0;
	bool live = false;
	int rc;

	if (!parse(text, ptext, prefix, secret)) {
		sodium_memzero(secret, sizeof secret);
		return -EACCES;
	}
	token_hash(pepper, prefix, secret, h);
	sodium_memzero(secret, sizeof secret);
	const struct store_arg key[] = {STORE_TEXT(ptext), STORE_I64(now)};

	rc = store_prepare_args(s,
				"SELECT t.id, t.account_id, t.scope, t.hash, t.last_used, a.role "
				"FROM api_tokens t "
				"JOIN accounts a ON a.id = t.account_id WHERE t.prefix = ? AND "
				"t.revoked_at IS NULL AND a.disabled = 0 AND "
				"(t.expires_at IS NULL OR t.expires_at > ?)",
				key, 2, &st);
	if (rc < 0)
		return rc;
	rc = store_step(st);
	if (rc == STORE_ROW) {
		out->id = store_col_i64(st, 0);
		out->account_id = store_col_i64(st, 1);
		out->scope = scope_of(store_col_text(st, 2));
		live = store_col_blob(st, 3, stored, sizeof stored, &n) == 0 &&
		       n == sizeof stored && mgmt_secret_equal(stored, h);
		last = store_col_i64(st, 4); /* NULL: 0, never used */
		out->role = model_role_parse(store_col_text(st, 5));
		rc = 0;
	}
	store_finalize(st);
	if (rc < 0)
		return rc;
	if (!live)
		return -EACCES;
	if (now - last < MODEL_TOUCH_S)
		return 0;
	const struct store_arg touch[] = {STORE_I64(now), STORE_I64(out->id)};

	/* Bookkeeping: the token is good whether or not this write goes through. */
	(void)store_exec_args(s, "UPDATE api_tokens SET last_used = ? WHERE id = ?", touch, 2);
	return 0;
}

static void fill_token(struct store_stmt *st, void *row)
{
	struct model_token_info *r = row;

	r->id = store_col_i64(st, 0);
	r->created_at = store_col_i64(st, 1);
	r->expires_at = store_col_i64(st, 2);
	r->last_used = store_col_i64(st, 3);
	r->revoked_at = store_col_i64(st, 4);
	r->scope = scope_of(store_col_text(st, 5));
	snprintf(r->prefix, sizeof r->prefix, "%s", store_col_text(st, 6));
	snprintf(r->description, sizeof r->description, "%s", store_col_text(st, 7));
}

int model_token_list(struct store *s, int64_t account_id, int64_t after_id, size_t limit,
		     struct model_token_info *rows, size_t *n)
{
	const struct store_arg args[] = {STORE_I64(account_id), STORE_I64(after_id)};

	return model_page(s,
			  "SELECT id, created_at, coalesce(expires_at, 0), "
			  "coalesce(last_used, 0), coalesce(revoked_at, 0), scope, prefix, "
			  "coalesce(description, '') FROM api_tokens WHERE account_id = ? "
			  "AND id > ? ORDER BY id LIMIT ?",
			  args, 2, limit, rows, sizeof *rows, fill_token, n);
}

int model_token_revoke(const struct model_op *op, int64_t id)
{
	const struct store_arg idarg[] = {STORE_I64(id)};
	const struct store_arg args[] = {STORE_I64(model_now_s(op)), STORE_I64(id)};
	int rc = model_tx_begin(op->s);

	if (rc < 0)
		return rc;
	rc = model_exists(op->s, "SELECT 1 FROM api_tokens WHERE id = ? AND revoked_at IS NULL",
			  idarg, 1);
	if (rc == 0)
		rc = store_exec_args(op->s, "UPDATE api_tokens SET revoked_at = ? WHERE id = ?",
				     args, 2);
	if (rc == 0)
		rc = model_audit(op, "token.revoke", "token", id, NULL);
	return model_tx_end(op->s, rc);
}

int model_token_owner(struct store *s, int64_t id, int64_t *account_id)
{
	const struct store_arg args[] = {STORE_I64(id)};

	return model_query_i64(s, "SELECT account_id FROM api_tokens WHERE id = ?", args, 1,
			       account_id);
}
