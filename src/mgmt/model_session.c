/* Web sessions (see model_session.h). */
#include "mgmt/model_session.h"

#include <errno.h>
#include <string.h>

#include <sodium.h>

#include "core/mgmt/text.h"
#include "mgmt/model_audit.h"
#include "mgmt/model_sql.h"

/* The stored hash of a session id in hex; false when the text is not one. */
static bool id_hash(const uint8_t *pepper, const char *id_text,
		    uint8_t out[MGMT_SECRET_HASH_LEN])
{
	uint8_t id[MODEL_SESSION_ID_LEN];
	bool ok = strlen(id_text) == 2 * MODEL_SESSION_ID_LEN &&
		  mgmt_hex_decode(id_text, 2 * MODEL_SESSION_ID_LEN, id, sizeof id) &&
		  mgmt_secret_hash(pepper, MGMT_SECRET_SESSION, id, sizeof id, out);

	sodium_memzero(id, sizeof id);
	return ok;
}

int model_session_create(const struct model_op *op, int64_t account_id, const char *agent,
			 char id_text[MODEL_SESSION_TEXT], char csrf_text[MODEL_SESSION_TEXT])
{
	uint8_t id[MODEL_SESSION_ID_LEN], csrf[MODEL_CSRF_LEN], h[MGMT_SECRET_HASH_LEN];
	int64_t now = model_now_s(op);
	int rc;

	randombytes_buf(id, sizeof id);
	randombytes_buf(csrf, sizeof csrf);
	mgmt_hex_encode(id_text, id, sizeof id);
	mgmt_hex_encode(csrf_text, csrf, sizeof csrf);
	mgmt_secret_hash(op->pepper, MGMT_SECRET_SESSION, id, sizeof id, h);
	sodium_memzero(id, sizeof id);
	const struct store_arg args[] = {
	    STORE_BLOB(h, sizeof h),	      STORE_I64(account_id),
	    STORE_BLOB(csrf, sizeof csrf),    STORE_I64(now),
	    STORE_I64(now + MODEL_SESSION_ABSOLUTE_S), STORE_TEXT(op->who.remote),
	    STORE_TEXT(agent),		      STORE_I64(now),
	};

	rc = model_tx_begin(op->s);
	if (rc < 0)
		goto out;
	rc = store_exec_args(op->s,
			     "INSERT INTO sessions(id_hash, account_id, csrf, created_at, "
			     "expires_at, ip, agent, last_used) VALUES(?, ?, ?, ?, ?, ?, ?, ?)",
			     args, sizeof args / sizeof args[0]);
	if (rc == 0)
		rc = model_audit(op, "session.create", "account", account_id, NULL);
	rc = model_tx_end(op->s, rc);
out:
	sodium_memzero(csrf, sizeof csrf);
	if (rc < 0) {
		sodium_memzero(id_text, MODEL_SESSION_TEXT);
		sodium_memzero(csrf_text, MODEL_SESSION_TEXT);
	}
	return rc;
}

int model_session_check(struct store *s, const uint8_t *pepper, int64_t now_ms,
			const char *id_text, struct model_session *out)
{
	uint8_t h[MGMT_SECRET_HASH_LEN], csrf[MODEL_CSRF_LEN];
	int64_t now = now_ms / 1000, last = 0, expires = 0;
	struct store_stmt *st;
	size_t n = 0;
	int rc;

	if (!id_hash(pepper, id_text, h))
		return -ENOENT;
	const struct store_arg key[] = {STORE_BLOB(h, sizeof h)};

	rc = model_first_row(s,
			     "SELECT s.account_id, s.csrf, s.last_used, s.expires_at, "
			     "a.disabled, a.role FROM sessions s JOIN accounts a ON a.id = "
			     "s.account_id WHERE s.id_hash = ?",
			     key, 1, &st);
	if (rc < 0)
		return rc;
	out->account_id = store_col_i64(st, 0);
	out->role = model_role_parse(store_col_text(st, 5));
	rc = store_col_blob(st, 1, csrf, sizeof csrf, &n);
	last = store_col_i64(st, 2);
	expires = store_col_i64(st, 3);
	if (rc == 0 && (n != sizeof csrf || store_col_i64(st, 4) != 0))
		rc = -ENOENT;
	store_finalize(st);
	if (rc < 0)
		return rc;
	if (now >= expires || now - last >= MODEL_SESSION_IDLE_S) {
		(void)store_exec_args(s, "DELETE FROM sessions WHERE id_hash = ?", key, 1);
		return -ENOENT;
	}
	mgmt_hex_encode(out->csrf, csrf, sizeof csrf);
	memcpy(out->id_hash, h, sizeof h);
	if (now - last < MODEL_TOUCH_S)
		return 0;
	const struct store_arg touch[] = {STORE_I64(now), STORE_BLOB(h, sizeof h)};

	/* Bookkeeping: the session is good whether or not this write goes through. */
	(void)store_exec_args(s, "UPDATE sessions SET last_used = ? WHERE id_hash = ?", touch, 2);
	return 0;
}

bool model_session_csrf_ok(const struct model_session *ses, const char *token)
{
	size_t n = strlen(ses->csrf);

	return n == 2 * MODEL_CSRF_LEN && strlen(token) == n &&
	       sodium_memcmp(ses->csrf, token, n) == 0;
}

int model_session_end(const struct model_op *op, const char *id_text)
{
	uint8_t h[MGMT_SECRET_HASH_LEN];
	int64_t account;
	int rc;

	if (!id_hash(op->pepper, id_text, h))
		return -ENOENT;
	const struct store_arg key[] = {STORE_BLOB(h, sizeof h)};

	rc = model_tx_begin(op->s);
	if (rc < 0)
		return rc;
	rc = model_query_i64(op->s, "SELECT account_id FROM sessions WHERE id_hash = ?", key, 1,
			     &account);
	if (rc == 0)
		rc = store_exec_args(op->s, "DELETE FROM sessions WHERE id_hash = ?", key, 1);
	if (rc == 0)
		rc = model_audit(op, "session.end", "account", account, NULL);
	return model_tx_end(op->s, rc);
}
