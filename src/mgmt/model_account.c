/* Accounts (see model_account.h). */
#include "mgmt/model_account.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "mgmt/accounts.h"
#include "mgmt/model_audit.h"
#include "mgmt/model_sql.h"

enum model_role model_role_parse(const char *name)
{
	return strcmp(name, "admin") == 0 ? MODEL_ROLE_ADMIN : MODEL_ROLE_MEMBER;
}

const char *model_role_name(enum model_role r)
{
	return r == MODEL_ROLE_ADMIN ? "admin" : "member";
}

int model_account_create(const struct model_op *op, const char *email, enum model_role role,
			 const char *pw_hash, int64_t *id)
{
	struct model_detail d;
	int rc;

	if (!account_email_valid(email))
		return -EINVAL;
	rc = model_tx_begin(op->s);
	if (rc < 0)
		return rc;
	rc = account_create(op->s, email, model_role_name(role), pw_hash, false,
			    model_now_s(op), id);
	model_detail_init(&d);
	model_detail_str(&d, "email", email);
	model_detail_str(&d, "role", model_role_name(role));
	if (rc == 0)
		rc = model_audit(op, "account.create", "account", *id, model_detail_finish(&d));
	return model_tx_end(op->s, rc);
}

static const char account_cols[] =
    "SELECT id, role, disabled, pw_must_change, email, pw_hash FROM accounts ";

static void fill(struct store_stmt *st, struct model_account *a)
{
	a->id = store_col_i64(st, 0);
	a->role = model_role_parse(store_col_text(st, 1));
	a->disabled = store_col_i64(st, 2) != 0;
	a->must_change = store_col_i64(st, 3) != 0;
	snprintf(a->email, sizeof a->email, "%s", store_col_text(st, 4));
}

/* One account row by a WHERE clause of one parameter. */
static int get_where(struct store *s, const char *where, struct store_arg arg,
		     struct model_account *a, char *pw_hash, size_t cap)
{
	char sql[256];
	struct store_stmt *st;
	int rc;

	snprintf(sql, sizeof sql, "%s%s", account_cols, where);
	rc = model_first_row(s, sql, &arg, 1, &st);
	if (rc < 0)
		return rc;
	fill(st, a);
	if (pw_hash != NULL)
		snprintf(pw_hash, cap, "%s", store_col_text(st, 5));
	store_finalize(st);
	return 0;
}

int model_account_get(struct store *s, int64_t id, struct model_account *out)
{
	return get_where(s, "WHERE id = ?", STORE_I64(id), out, NULL, 0);
}

/*
 * What an unknown address (or one with no password) is checked against:
 * an argon2id hash of a throwaway text with the parameters init uses
 * (crypto_pwhash's INTERACTIVE limits), so that every refusal costs one
 * real verification and the time of an answer does not tell whether the
 * address exists.  A disabled account is verified too, for the same reason.
 */
static const char decoy_hash[crypto_pwhash_STRBYTES] =
    "$argon2id$v=19$m=65536,t=2,p=1$jJUYRsdn0BHuLy/3AAtr3A$"
    "lW8GyiH19yV3gmr8WJjzibNnAWDfhofZkfsvBf5m60Q";

int model_account_login_hash(struct store *s, const char *email,
			     char hash[crypto_pwhash_STRBYTES])
{
	struct model_account a;
	int rc = get_where(s, "WHERE lower(email) = lower(?)", STORE_TEXT(email), &a, hash,
			   crypto_pwhash_STRBYTES);

	if (rc < 0 && rc != -ENOENT)
		return rc;
	if (rc == -ENOENT || hash[0] == '\0')
		memcpy(hash, decoy_hash, sizeof decoy_hash);
	return 0;
}

int model_account_login_finish(struct store *s, const char *email,
			       const char hash[crypto_pwhash_STRBYTES], bool verified,
			       struct model_account *out)
{
	char now[crypto_pwhash_STRBYTES] = "";
	int rc = get_where(s, "WHERE lower(email) = lower(?)", STORE_TEXT(email), out, now,
			   sizeof now);
	/* The decoy never matches an account's hash: its salt is not one init makes. */
	bool same = rc == 0 && now[0] != '\0' && strcmp(now, hash) == 0;

	if (rc < 0 && rc != -ENOENT)
		return rc;
	rc = verified && same && !out->disabled ? 0 : -EACCES;
	sodium_memzero(now, sizeof now);
	return rc;
}

int model_account_check_password(struct store *s, const char *email, const char *password,
				 struct model_account *out)
{
	char hash[crypto_pwhash_STRBYTES] = "";
	int rc = model_account_login_hash(s, email, hash);

	if (rc == 0)
		rc = model_account_login_finish(
		    s, email, hash,
		    crypto_pwhash_str_verify(hash, password, strlen(password)) == 0, out);
	sodium_memzero(hash, sizeof hash);
	return rc;
}

/*
 * One UPDATE of account id (sql's last placeholder is the id; -ENOENT when
 * there is no such account), its sessions ended too (all, or all but the
 * one whose hash is keep), and its audit row: one transaction.
 */
enum end_sessions { KEEP_SESSIONS, END_SESSIONS, END_OTHER_SESSIONS };

static int account_update(const struct model_op *op, int64_t id, const char *sql,
			  const struct store_arg *args, size_t n, enum end_sessions end,
			  const uint8_t *keep, const char *action, const char *detail)
{
	const struct store_arg idarg[] = {STORE_I64(id)};
	const struct store_arg others[] = {STORE_I64(id), STORE_BLOB(keep, MGMT_SECRET_HASH_LEN)};
	int rc = model_tx_begin(op->s);

	if (rc < 0)
		return rc;
	rc = model_exists(op->s, "SELECT 1 FROM accounts WHERE id = ?", idarg, 1);
	if (rc == 0)
		rc = store_exec_args(op->s, sql, args, n);
	if (rc == 0 && end == END_SESSIONS)
		rc = store_exec_args(op->s, "DELETE FROM sessions WHERE account_id = ?", idarg, 1);
	if (rc == 0 && end == END_OTHER_SESSIONS)
		rc = store_exec_args(op->s,
				     "DELETE FROM sessions WHERE account_id = ? AND id_hash <> ?",
				     others, 2);
	if (rc == 0)
		rc = model_audit(op, action, "account", id, detail);
	return model_tx_end(op->s, rc);
}

int model_account_set_disabled(const struct model_op *op, int64_t id, bool disabled)
{
	const struct store_arg args[] = {STORE_I64(disabled), STORE_I64(id)};

	return account_update(op, id, "UPDATE accounts SET disabled = ? WHERE id = ?", args, 2,
			      disabled ? END_SESSIONS : KEEP_SESSIONS, NULL, disabled ? "account.disable" : "account.enable", NULL);
}

int model_account_set_role(const struct model_op *op, int64_t id, enum model_role role)
{
	const struct store_arg args[] = {STORE_TEXT(model_role_name(role)), STORE_I64(id)};
	struct model_detail d;

	model_detail_init(&d);
	model_detail_str(&d, "role", model_role_name(role));
	return account_update(op, id, "UPDATE accounts SET role = ? WHERE id = ?", args, 2,
			      KEEP_SESSIONS, NULL, "account.role", model_detail_finish(&d));
}

int model_account_set_password(const struct model_op *op, int64_t id, const char *pw_hash,
			       const uint8_t *keep_session)
{
	const struct store_arg args[] = {STORE_TEXT(pw_hash), STORE_I64(id)};

	return account_update(op, id,
			      "UPDATE accounts SET pw_hash = ?, pw_must_change = 0 WHERE id = ?",
			      args, 2, keep_session != NULL ? END_OTHER_SESSIONS : END_SESSIONS,
			      keep_session, "account.password", NULL);
}

static void fill_row(struct store_stmt *st, void *row)
{
	fill(st, row);
}

int model_account_list(struct store *s, int64_t after_id, size_t limit,
		       struct model_account *rows, size_t *n)
{
	const struct store_arg args[] = {STORE_I64(after_id)};

	return model_page(s,
			  "SELECT id, role, disabled, pw_must_change, email FROM accounts "
			  "WHERE id > ? ORDER BY id LIMIT ?",
			  args, 1, limit, rows, sizeof *rows, fill_row, n);
}
