/* TOTP secrets of accounts (see model_totp.h). */
#include "mgmt/model_totp.h"

#include <errno.h>
#include <string.h>

#include <sodium.h>

#include "mgmt/model_audit.h"
#include "mgmt/model_sql.h"

int model_totp_state(struct store *s, int64_t account_id, enum model_totp_state *out)
{
	const struct store_arg args[] = {STORE_I64(account_id)};
	int64_t on = 0;
	int rc = model_query_i64(s, "SELECT enabled FROM totp WHERE account_id = ?", args, 1,
				 &on);

	if (rc == -ENOENT) {
		*out = MODEL_TOTP_OFF;
		return 0;
	}
	*out = on ? MODEL_TOTP_ON : MODEL_TOTP_PENDING;
	return rc;
}

int model_totp_begin(const struct model_op *op, int64_t account_id,
		     char b32[TOTP_SECRET_B32 + 1])
{
	uint8_t key[TOTP_SECRET_LEN], sealed[TOTP_SEALED_LEN];
	const struct store_arg who[] = {STORE_I64(account_id)};
	const struct store_arg args[] = {STORE_I64(account_id), STORE_BLOB(sealed, sizeof sealed),
					 STORE_I64(model_now_s(op))};
	enum model_totp_state st;
	int rc;

	randombytes_buf(key, sizeof key);
	totp_seal(sealed, key, op->pepper, account_id);
	rc = model_tx_begin(op->s);
	if (rc < 0)
		goto out;
	rc = model_totp_state(op->s, account_id, &st);
	if (rc == 0 && st == MODEL_TOTP_ON)
		rc = -EEXIST;
	if (rc == 0)
		rc = store_exec_args(op->s, "DELETE FROM totp WHERE account_id = ?", who, 1);
	if (rc == 0)
		rc = store_exec_args(op->s,
				     "INSERT INTO totp(account_id, secret, enabled, last_step, "
				     "created_at) VALUES(?, ?, 0, 0, ?)",
				     args, 3);
	if (rc == 0)
		rc = model_audit(op, "account.totp_begin", "account", account_id, NULL);
	rc = model_tx_end(op->s, rc);
	if (rc == 0 && totp_base32(b32, TOTP_SECRET_B32 + 1, key, sizeof key) == 0)
		rc = -EIO;
out:
	sodium_memzero(key, sizeof key);
	return rc;
}

int model_totp_check(const struct model_op *op, int64_t account_id, const char *code,
		     bool confirm)
{
	uint8_t sealed[TOTP_SEALED_LEN + 1], key[TOTP_SECRET_LEN];
	const struct store_arg who[] = {STORE_I64(account_id)};
	struct store_stmt *st;
	uint64_t step = 0, last;
	int64_t on, id;
	size_t n = 0;
	int rc;

	rc = model_first_row(op->s,
			     "SELECT secret, enabled, last_step FROM totp WHERE account_id = ?",
			     who, 1, &st);
	if (rc < 0)
		return rc;
	rc = store_col_blob(st, 0, sealed, sizeof sealed, &n);
	on = store_col_i64(st, 1);
	last = (uint64_t)store_col_i64(st, 2);
	store_finalize(st);
	if (rc == 0 && !on && !confirm)
		rc = -ENOENT;
	/* Sealed under another pepper, or not sealed: no secret this server can use. */
	if (rc == 0 && !totp_open(key, sealed, n, op->pepper, account_id))
		rc = -ENOENT;
	if (rc == 0 && !totp_verify(key, TOTP_SECRET_LEN, code,
				    (uint64_t)model_now_s(op) / TOTP_PERIOD_S, last, &step))
		rc = -EACCES;
	sodium_memzero(key, sizeof key);
	if (rc < 0)
		return rc;
	const struct store_arg use[] = {STORE_I64((int64_t)step), STORE_I64(account_id),
					STORE_I64((int64_t)step)};

	rc = model_tx_begin(op->s);
	if (rc < 0)
		return rc;
	/* Only one request moves last_step to step: the other finds no row. */
	rc = model_query_i64(op->s,
			     "UPDATE totp SET last_step = ?, enabled = 1 WHERE account_id = ? "
			     "AND last_step < ? RETURNING account_id",
			     use, 3, &id);
	if (rc == -ENOENT)
		rc = -EACCES;
	if (rc == 0 && !on)
		rc = model_audit(op, "account.totp_enable", "account", account_id, NULL);
	return model_tx_end(op->s, rc);
}

int model_totp_seal_clear(const struct model_op *op, int *sealed)
{
	struct store_stmt *st;
	struct {
		int64_t id;
		uint8_t secret[TOTP_SECRET_LEN];
	} clear[MODEL_TOTP_SEAL_BATCH];
	uint8_t box[TOTP_SEALED_LEN + 1];
	size_t k = 0, n;
	int rc;

	*sealed = 0;
	rc = model_tx_begin(op->s);
	if (rc < 0)
		return rc;
	do {
		/* A clear secret is TOTP_SECRET_LEN bytes; a sealed one never is. */
		st = NULL;
		rc = store_prepare(op->s, "SELECT account_id, secret FROM totp ORDER BY account_id",
				   &st);
		for (k = 0; rc == 0 && k < MODEL_TOTP_SEAL_BATCH;) {
			int step = store_step(st);

			if (step != STORE_ROW) {
				rc = step < 0 ? step : 0;
				break;
			}
			if (store_col_blob(st, 1, box, sizeof box, &n) == 0 && n == TOTP_SECRET_LEN) {
				clear[k].id = store_col_i64(st, 0);
				memcpy(clear[k++].secret, box, TOTP_SECRET_LEN);
			}
		}
		if (st != NULL)
			store_finalize(st);
		for (size_t i = 0; rc == 0 && i < k; i++) {
			const struct store_arg args[] = {STORE_BLOB(box, TOTP_SEALED_LEN),
							 STORE_I64(clear[i].id)};

			totp_seal(box, clear[i].secret, op->pepper, clear[i].id);
			rc = store_exec_args(op->s, "UPDATE totp SET secret = ? WHERE account_id = ?",
					     args, 2);
			if (rc == 0)
				rc = model_audit(op, "account.totp_sealed", "account", clear[i].id,
						 NULL);
			if (rc == 0)
				(*sealed)++;
		}
	} while (rc == 0 && k == MODEL_TOTP_SEAL_BATCH);
	sodium_memzero(clear, sizeof clear);
	sodium_memzero(box, sizeof box);
	return model_tx_end(op->s, rc);
}

int model_totp_disable(const struct model_op *op, int64_t account_id)
{
	const struct store_arg who[] = {STORE_I64(account_id)};
	int rc = model_tx_begin(op->s);

	if (rc < 0)
		return rc;
	rc = model_exists(op->s, "SELECT 1 FROM totp WHERE account_id = ?", who, 1);
	if (rc == 0)
		rc = store_exec_args(op->s, "DELETE FROM totp WHERE account_id = ?", who, 1);
	if (rc == 0)
		rc = model_audit(op, "account.totp_disable", "account", account_id, NULL);
	return model_tx_end(op->s, rc);
}
