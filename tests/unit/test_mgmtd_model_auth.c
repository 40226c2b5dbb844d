/*
 * The model's accounts, sessions, API tokens and audit log
 * (src/mgmt/model_account.c, model_session.c, model_token.c,
 * model_audit.c) on a real database: SQLite, and PostgreSQL when
 * SUBNETRA_TEST_PG_URL is set (mgmtd_model_fixture.h).
 *
 *  - passwords: the right one signs in; a wrong one, an unknown address
 *    and a disabled account get the same -EACCES;
 *  - sessions: only a hash is stored; idle 12 h and absolute 7 d expiry,
 *    with the clock driven; CSRF tokens compared; disabling an account
 *    ends its sessions;
 *  - tokens: shown once, hash stored; scope read/write/admin as made;
 *    revoked, expired, malformed, tampered and disabled-account tokens
 *    refused; last_used recorded;
 *  - password change: the new one signs in, the old not, must-change
 *    cleared;
 *  - TOTP: pending until a code confirms it; a code at most one step off
 *    accepted once (its step and earlier ones then refused); off again;
 *    the secret in no audit row;
 *  - every mutation: exactly one audit row, its action, and no secret in
 *    any row; the log pages by id.
 */
#include "mgmtd_model_fixture.h"

#include <errno.h>

#include "core/mgmt/text.h"
#include "mgmt/model_session.h"
#include "mgmt/model_sql.h"
#include "mgmt/model_token.h"
#include "mgmt/model_totp.h"

static const int64_t T0 = 1700000000000; /* ms */

static void password_check(void **state)
{
	struct fx *f = *state;
	struct model_account a;
	struct model_op op = fx_op(f, MODEL_ACTOR_ACCOUNT, f->admin, T0);
	char hash[crypto_pwhash_STRBYTES];
	int64_t id, before;

	assert_int_equal(model_account_check_password(f->s, "ADMIN@example.org", "correct horse", &a), 0);
	assert_int_equal(a.id, f->admin);
	assert_int_equal(a.role, MODEL_ROLE_ADMIN);
	assert_int_equal(model_account_check_password(f->s, "admin@example.org", "wrong", &a), -EACCES);
	assert_int_equal(model_account_check_password(f->s, "nobody@example.org", "x", &a), -EACCES);

	assert_int_equal(crypto_pwhash_str(hash, "pw2", 3, crypto_pwhash_OPSLIMIT_MIN,
					   crypto_pwhash_MEMLIMIT_MIN), 0);
	before = fx_audit_rows(f);
	assert_int_equal(model_account_create(&op, "m@example.org", MODEL_ROLE_MEMBER, hash, &id), 0);
	fx_one_audit(f, before, "account.create");
	/* Taken in another letter case: refused, nothing written. */
	assert_int_equal(model_account_create(&op, "M@Example.org", MODEL_ROLE_MEMBER, hash, &id), -EEXIST);
	assert_int_equal(model_account_create(&op, "not-an-address", MODEL_ROLE_MEMBER, hash, &id), -EINVAL);
	assert_int_equal(fx_audit_rows(f), before + 1);
	assert_int_equal(model_account_check_password(f->s, "m@example.org", "pw2", &a), 0);
	before = fx_audit_rows(f);
	assert_int_equal(model_account_set_disabled(&op, a.id, true), 0);
	fx_one_audit(f, before, "account.disable");
	assert_int_equal(model_account_check_password(f->s, "m@example.org", "pw2", &a), -EACCES);
	assert_int_equal(model_account_set_role(&op, a.id, MODEL_ROLE_ADMIN), 0);
	fx_one_audit(f, before + 1, "account.role");
	assert_int_equal(model_account_set_disabled(&op, 9999, true), -ENOENT);
	assert_int_equal(fx_audit_rows(f), before + 2);
	fx_audit_lacks(f, "pw2");
	fx_audit_lacks(f, "$argon2");
}

/* Whether the one row sql selects is exactly the hash h. */
static int stored_hash_is(struct fx *f, const char *sql, const uint8_t h[MGMT_SECRET_HASH_LEN])
{
	uint8_t got[64];
	size_t n = 0;
	struct store_stmt *st;
	int same;

	assert_int_equal(store_prepare(f->s, sql, &st), 0);
	assert_int_equal(store_step(st), STORE_ROW);
	assert_int_equal(store_col_blob(st, 0, got, sizeof got, &n), 0);
	same = n == MGMT_SECRET_HASH_LEN && memcmp(got, h, n) == 0;
	assert_int_equal(store_step(st), STORE_DONE);
	store_finalize(st);
	return same;
}

static void sessions_expire(void **state)
{
	struct fx *f = *state;
	struct model_op op = fx_op(f, MODEL_ACTOR_ACCOUNT, f->admin, T0);
	char id[MODEL_SESSION_TEXT], csrf[MODEL_SESSION_TEXT], id2[MODEL_SESSION_TEXT];
	struct model_session ses;
	int64_t before = fx_audit_rows(f), t;
	const int64_t H = 3600 * 1000;
	int rc;

	assert_int_equal(model_session_create(&op, f->admin, "test", id, csrf), 0);
	fx_one_audit(f, before, "session.create");
	assert_int_equal(strlen(id), 64);
	/* Only the peppered hash is stored. */
	{
		uint8_t raw[MODEL_SESSION_ID_LEN], h[MGMT_SECRET_HASH_LEN];

		assert_true(mgmt_hex_decode(id, 64, raw, sizeof raw));
		assert_true(mgmt_secret_hash(f->pepper, MGMT_SECRET_SESSION, raw, sizeof raw, h));
		assert_int_equal(stored_hash_is(f, "SELECT id_hash FROM sessions", h), 1);
	}
	fx_audit_lacks(f, id);
	fx_audit_lacks(f, csrf);

	assert_int_equal(model_session_check(f->s, f->pepper, T0 + 11 * H, id, &ses), 0);
	assert_int_equal(ses.account_id, f->admin);
	assert_true(model_session_csrf_ok(&ses, csrf));
	assert_false(model_session_csrf_ok(&ses, id));
	assert_false(model_session_csrf_ok(&ses, ""));
	/* A use within the minute (MODEL_TOUCH_S) writes nothing. */
	assert_int_equal(model_session_check(f->s, f->pepper, T0 + 11 * H + 59000, id, &ses), 0);
	assert_int_equal(fx_count(f, "SELECT count(*) FROM sessions WHERE last_used = 1700039600"), 1);
	/* The database failing is not "no such session" (503, not 401). */
	assert_int_equal(store_exec_args(f->s, "ALTER TABLE sessions RENAME TO sessions_away", NULL, 0), 0);
	rc = model_session_check(f->s, f->pepper, T0 + 11 * H + 59000, id, &ses);
	assert_true(rc < 0 && rc != -ENOENT);
	assert_int_equal(store_exec_args(f->s, "ALTER TABLE sessions_away RENAME TO sessions", NULL, 0), 0);
	/* Used at 11 h: alive at 22 h (idle 11 h), gone at 34 h + 1 (idle 12 h). */
	assert_int_equal(model_session_check(f->s, f->pepper, T0 + 22 * H, id, &ses), 0);
	assert_int_equal(model_session_check(f->s, f->pepper, T0 + 34 * H + 1000, id, &ses), -ENOENT);
	assert_int_equal(fx_count(f, "SELECT count(*) FROM sessions"), 0);

	/* Absolute: used every 10 h, it still ends at 7 days. */
	assert_int_equal(model_session_create(&op, f->admin, NULL, id, csrf), 0);
	for (t = T0; t < T0 + 7 * 24 * H - 10 * H; t += 10 * H)
		assert_int_equal(model_session_check(f->s, f->pepper, t, id, &ses), 0);
	assert_int_equal(model_session_check(f->s, f->pepper, T0 + 7 * 24 * H, id, &ses), -ENOENT);

	/* A wrong pepper, a malformed id: unknown. */
	assert_int_equal(model_session_create(&op, f->admin, NULL, id, csrf), 0);
	assert_int_equal(model_session_check(f->s, f->pepper, T0, "zz", &ses), -ENOENT);
	memcpy(id2, id, sizeof id2);
	id2[0] = id2[0] == 'a' ? 'b' : 'a';
	assert_int_equal(model_session_check(f->s, f->pepper, T0, id2, &ses), -ENOENT);
	/* Sign out: one row, and the session is gone. */
	before = fx_audit_rows(f);
	assert_int_equal(model_session_end(&op, id), 0);
	fx_one_audit(f, before, "session.end");
	assert_int_equal(model_session_check(f->s, f->pepper, T0, id, &ses), -ENOENT);
	assert_int_equal(model_session_end(&op, id), -ENOENT);
	/* Disabling the account ends its sessions. */
	assert_int_equal(model_session_create(&op, f->admin, NULL, id, csrf), 0);
	assert_int_equal(model_account_set_disabled(&op, f->admin, true), 0);
	assert_int_equal(model_session_check(f->s, f->pepper, T0, id, &ses), -ENOENT);
}

static void tokens_scopes(void **state)
{
	struct fx *f = *state;
	struct model_op op = fx_op(f, MODEL_ACTOR_ACCOUNT, f->admin, T0);
	char rd[MODEL_TOKEN_LEN + 1], wr[MODEL_TOKEN_LEN + 1], ex[MODEL_TOKEN_LEN + 1];
	char bad[MODEL_TOKEN_LEN + 1];
	struct model_token tk;
	int64_t rid, wid, xid, before = fx_audit_rows(f);
	int rc;
	struct perm_actor actor = {PERM_TOKEN, PERM_ROLE_ADMIN, PERM_SCOPE_READ};

	assert_int_equal(model_token_create(&op, f->admin, PERM_SCOPE_READ, "ci", 0, rd, &rid), 0);
	fx_one_audit(f, before, "token.create");
	assert_int_equal(strlen(rd), MODEL_TOKEN_LEN);
	assert_memory_equal(rd, "snt_", 4);
	assert_int_equal(model_token_create(&op, f->admin, PERM_SCOPE_WRITE, NULL, 0, wr, &wid), 0);
	assert_int_equal(model_token_create(&op, f->admin, PERM_SCOPE_ADMIN, NULL, T0 / 1000 + 60, ex, &xid), 0);
	/* The peppered hash of prefix and secret is what is stored. */
	{
		uint8_t raw[MODEL_TOKEN_PREFIX_LEN + MODEL_TOKEN_SECRET_LEN], h[MGMT_SECRET_HASH_LEN];

		assert_true(mgmt_hex_decode(rd + 4, 10, raw, MODEL_TOKEN_PREFIX_LEN));
		assert_true(mgmt_hex_decode(rd + 15, 40, raw + MODEL_TOKEN_PREFIX_LEN,
					    MODEL_TOKEN_SECRET_LEN));
		assert_true(mgmt_secret_hash(f->pepper, MGMT_SECRET_TOKEN, raw, sizeof raw, h));
		assert_int_equal(stored_hash_is(f, "SELECT hash FROM api_tokens WHERE scope = 'read'", h), 1);
		/* Another pepper: another hash. */
		f->pepper[0] ^= 1;
		assert_int_equal(model_token_check(f->s, f->pepper, T0, rd, &tk), -EACCES);
		f->pepper[0] ^= 1;
	}
	/* The secret half appears nowhere in the log (the prefix may). */
	fx_audit_lacks(f, rd + 15);
	fx_audit_lacks(f, wr + 15);
	fx_audit_lacks(f, ex + 15);

	assert_int_equal(model_token_check(f->s, f->pepper, T0, rd, &tk), 0);
	assert_int_equal(tk.id, rid);
	assert_int_equal(tk.scope, PERM_SCOPE_READ);
	actor.scope = tk.scope;
	assert_true(perm_allowed(&actor, PERM_DEVICE_READ, PERM_REL_NONE));
	assert_false(perm_allowed(&actor, PERM_DEVICE_WRITE, PERM_REL_OWNER));
	assert_int_equal(fx_count(f, "SELECT count(*) FROM api_tokens WHERE last_used = 1700000000"), 1);
	/* Written once a minute (MODEL_TOUCH_S), not on every use. */
	assert_int_equal(model_token_check(f->s, f->pepper, T0 + 59999, rd, &tk), 0);
	assert_int_equal(fx_count(f, "SELECT count(*) FROM api_tokens WHERE last_used = 1700000000"), 1);
	assert_int_equal(model_token_check(f->s, f->pepper, T0 + 60000, rd, &tk), 0);
	assert_int_equal(fx_count(f, "SELECT count(*) FROM api_tokens WHERE last_used = 1700000060"), 1);
	assert_int_equal(model_token_check(f->s, f->pepper, T0, wr, &tk), 0);
	assert_int_equal(tk.scope, PERM_SCOPE_WRITE);
	actor.scope = tk.scope;
	assert_true(perm_allowed(&actor, PERM_DEVICE_WRITE, PERM_REL_NONE));
	assert_false(perm_allowed(&actor, PERM_ACCOUNT_MANAGE, PERM_REL_NONE));
	/* The list: prefixes and scopes, never a secret or a hash. */
	{
		struct model_token_info info[4];
		size_t n;

		assert_int_equal(model_token_list(f->s, f->admin, 0, 4, info, &n), 0);
		assert_int_equal(n, 3);
		assert_int_equal(info[0].id, rid);
		assert_memory_equal(info[0].prefix, rd + 4, 10);
		assert_string_equal(info[0].description, "ci");
		assert_int_equal(info[0].last_used, T0 / 1000 + 60);
		assert_int_equal(info[2].scope, PERM_SCOPE_ADMIN);
		assert_int_equal(info[2].expires_at, T0 / 1000 + 60);
		assert_int_equal(model_token_list(f->s, f->admin, rid, 1, info, &n), 0);
		assert_int_equal(n, 1);
		assert_int_equal(info[0].id, wid);
	}
	/* Whose token: the admin API's revoke asks before it acts. */
	{
		int64_t owner;
		struct model_account accs[2];
		size_t n;

		assert_int_equal(model_token_owner(f->s, wid, &owner), 0);
		assert_int_equal(owner, f->admin);
		assert_int_equal(model_token_owner(f->s, wid + 1000, &owner), -ENOENT);
		assert_int_equal(model_account_list(f->s, 0, 2, accs, &n), 0);
		assert_int_equal(n, 1);
		assert_int_equal(accs[0].id, f->admin);
		assert_string_equal(accs[0].email, "admin@example.org");
		assert_int_equal(model_account_list(f->s, f->admin, 2, accs, &n), 0);
		assert_int_equal(n, 0);
	}
	/* Expiry. */
	assert_int_equal(model_token_check(f->s, f->pepper, T0 + 59000, ex, &tk), 0);
	assert_int_equal(tk.scope, PERM_SCOPE_ADMIN);
	assert_int_equal(model_token_check(f->s, f->pepper, T0 + 60000, ex, &tk), -EACCES);
	/* Tampered secret, malformed, empty. */
	memcpy(bad, rd, sizeof bad);
	bad[MODEL_TOKEN_LEN - 1] = bad[MODEL_TOKEN_LEN - 1] == '0' ? '1' : '0';
	assert_int_equal(model_token_check(f->s, f->pepper, T0, bad, &tk), -EACCES);
	assert_int_equal(model_token_check(f->s, f->pepper, T0, "snt_x", &tk), -EACCES);
	assert_int_equal(model_token_check(f->s, f->pepper, T0, "", &tk), -EACCES);
	/* Revoked. */
	before = fx_audit_rows(f);
	assert_int_equal(model_token_revoke(&op, rid), 0);
	fx_one_audit(f, before, "token.revoke");
	assert_int_equal(model_token_check(f->s, f->pepper, T0, rd, &tk), -EACCES);
	assert_int_equal(model_token_revoke(&op, rid), -ENOENT);
	assert_int_equal(fx_audit_rows(f), before + 1);
	/* A token whose audit row cannot be written is not made. */
	fx_refuse_audit(f, "token.create");
	before = fx_count(f, "SELECT count(*) FROM api_tokens");
	assert_true(model_token_create(&op, f->admin, PERM_SCOPE_ADMIN, NULL, 0, bad, &xid) < 0);
	assert_int_equal(fx_count(f, "SELECT count(*) FROM api_tokens"), before);
	assert_int_equal(bad[0], '\0'); /* the text wiped: never shown */
	fx_allow_audit(f);
	/* The database failing is not a refusal: the API answers 503, not 401. */
	assert_int_equal(store_exec_args(f->s, "ALTER TABLE api_tokens RENAME TO api_tokens_away",
					 NULL, 0), 0);
	rc = model_token_check(f->s, f->pepper, T0, wr, &tk);
	assert_true(rc < 0 && rc != -EACCES);
	assert_int_equal(store_exec_args(f->s, "ALTER TABLE api_tokens_away RENAME TO api_tokens",
					 NULL, 0), 0);
	/* A disabled account's tokens fail. */
	assert_int_equal(model_account_set_disabled(&op, f->admin, true), 0);
	assert_int_equal(model_token_check(f->s, f->pepper, T0, wr, &tk), -EACCES);
}

static void password_change(void **state)
{
	struct fx *f = *state;
	struct model_account a;
	struct model_op op = fx_op(f, MODEL_ACTOR_ACCOUNT, f->admin, T0);
	char hash[crypto_pwhash_STRBYTES];
	char id[3][MODEL_SESSION_TEXT], csrf[MODEL_SESSION_TEXT];
	struct model_session ses;
	int64_t before;

	for (int i = 0; i < 3; i++)
		assert_int_equal(model_session_create(&op, f->admin, "ua", id[i], csrf), 0);
	assert_int_equal(model_session_check(f->s, f->pepper, T0, id[1], &ses), 0);
	before = fx_audit_rows(f);
	assert_int_equal(crypto_pwhash_str(hash, "new battery", 11, crypto_pwhash_OPSLIMIT_MIN,
					   crypto_pwhash_MEMLIMIT_MIN), 0);
	/* Changed from session 1: the other sessions end, session 1 goes on. */
	assert_int_equal(model_account_set_password(&op, f->admin, hash, ses.id_hash), 0);
	fx_one_audit(f, before, "account.password");
	assert_int_equal(model_session_check(f->s, f->pepper, T0, id[0], &ses), -ENOENT);
	assert_int_equal(model_session_check(f->s, f->pepper, T0, id[2], &ses), -ENOENT);
	assert_int_equal(model_session_check(f->s, f->pepper, T0, id[1], &ses), 0);
	/* Changed with no session (a token): every session ends. */
	assert_int_equal(model_account_set_password(&op, f->admin, hash, NULL), 0);
	assert_int_equal(model_session_check(f->s, f->pepper, T0, id[1], &ses), -ENOENT);
	assert_int_equal(fx_count(f, "SELECT count(*) FROM sessions"), 0);
	before = fx_audit_rows(f) - 1;
	assert_int_equal(model_account_check_password(f->s, "admin@example.org", "new battery", &a), 0);
	assert_false(a.must_change);
	assert_int_equal(model_account_check_password(f->s, "admin@example.org", "correct horse", &a),
			 -EACCES);
	assert_int_equal(model_account_set_password(&op, 9999, hash, NULL), -ENOENT);
	assert_int_equal(fx_audit_rows(f), before + 1);
	fx_audit_lacks(f, "argon2id");
}

/* The code of step (unix seconds / 30) for the base32 secret b32. */
static void code_of(const char *b32, uint64_t step, char out[TOTP_DIGITS + 1])
{
	static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
	uint8_t key[TOTP_SECRET_LEN] = {0};
	unsigned acc = 0, bits = 0;
	size_t n = 0;

	for (const char *p = b32; *p != '\0'; p++) {
		acc = (acc << 5 | (unsigned)(strchr(abc, *p) - abc)) & 0xfff;
		bits += 5;
		if (bits >= 8) {
			key[n++] = (uint8_t)(acc >> (bits - 8));
			bits -= 8;
		}
	}
	assert_int_equal(n, TOTP_SECRET_LEN);
	snprintf(out, TOTP_DIGITS + 1, "%06u", (unsigned)totp_code(key, n, step, TOTP_DIGITS));
}

static void totp_flow(void **state)
{
	struct fx *f = *state;
	const int64_t now_ms = T0; /* step T0 / 30000 */
	const uint64_t step = (uint64_t)(T0 / 1000 / TOTP_PERIOD_S);
	struct model_op op = fx_op(f, MODEL_ACTOR_ACCOUNT, f->admin, now_ms);
	char b32[TOTP_SECRET_B32 + 1], again[TOTP_SECRET_B32 + 1], code[TOTP_DIGITS + 1];
	enum model_totp_state st;
	int64_t before = fx_audit_rows(f);

	assert_int_equal(model_totp_state(f->s, f->admin, &st), 0);
	assert_int_equal(st, MODEL_TOTP_OFF);
	assert_int_equal(model_totp_check(&op, f->admin, "123456", false), -ENOENT);
	assert_int_equal(model_totp_begin(&op, f->admin, b32), 0);
	fx_one_audit(f, before, "account.totp_begin");
	assert_int_equal(strlen(b32), TOTP_SECRET_B32);
	/* A second set-up while pending replaces the secret. */
	assert_int_equal(model_totp_begin(&op, f->admin, again), 0);
	assert_string_not_equal(b32, again);
	assert_int_equal(model_totp_state(f->s, f->admin, &st), 0);
	assert_int_equal(st, MODEL_TOTP_PENDING);
	/* Pending: no sign-in check yet; the old secret's code does not confirm. */
	code_of(again, step, code);
	assert_int_equal(model_totp_check(&op, f->admin, code, false), -ENOENT);
	code_of(b32, step, code);
	assert_int_equal(model_totp_check(&op, f->admin, code, true), -EACCES);
	/* Two steps off: refused; one step behind: confirms. */
	code_of(again, step - 2, code);
	assert_int_equal(model_totp_check(&op, f->admin, code, true), -EACCES);
	before = fx_audit_rows(f);
	code_of(again, step - 1, code);
	assert_int_equal(model_totp_check(&op, f->admin, code, true), 0);
	fx_one_audit(f, before, "account.totp_enable");
	assert_int_equal(model_totp_state(f->s, f->admin, &st), 0);
	assert_int_equal(st, MODEL_TOTP_ON);
	assert_int_equal(model_totp_begin(&op, f->admin, b32), -EEXIST);
	/* Used: refused; the current step once, then not again. */
	assert_int_equal(model_totp_check(&op, f->admin, code, false), -EACCES);
	code_of(again, step, code);
	assert_int_equal(model_totp_check(&op, f->admin, code, false), 0);
	assert_int_equal(model_totp_check(&op, f->admin, code, false), -EACCES);
	code_of(again, step + 1, code);
	assert_int_equal(model_totp_check(&op, f->admin, code, false), 0);
	assert_int_equal(model_totp_check(&op, f->admin, "12345", false), -EACCES);
	before = fx_audit_rows(f);
	assert_int_equal(model_totp_disable(&op, f->admin), 0);
	fx_one_audit(f, before, "account.totp_disable");
	assert_int_equal(model_totp_disable(&op, f->admin), -ENOENT);
	assert_int_equal(model_totp_state(f->s, f->admin, &st), 0);
	assert_int_equal(st, MODEL_TOTP_OFF);
	fx_audit_lacks(f, again);
	sodium_memzero(again, sizeof again);
	sodium_memzero(b32, sizeof b32);
}

/*
 * The secret is stored sealed under the pepper: the row is not the secret,
 * a server with another pepper cannot use it, and a secret stored in clear
 * (before sealing) is sealed by model_totp_seal_clear and still works.
 */
static void stored_secret(struct fx *f, uint8_t *row, size_t cap)
{
	const struct store_arg who[] = {STORE_I64(f->admin)};
	struct store_stmt *st;
	size_t n = 0;

	assert_int_equal(model_first_row(f->s, "SELECT secret FROM totp WHERE account_id = ?", who,
					 1, &st),
			 0);
	assert_int_equal(store_col_blob(st, 0, row, cap, &n), 0);
	store_finalize(st);
	assert_int_equal(n, TOTP_SEALED_LEN);
}

static void totp_sealed(void **state)
{
	struct fx *f = *state;
	const uint64_t step = (uint64_t)(T0 / 1000 / TOTP_PERIOD_S);
	struct model_op op = fx_op(f, MODEL_ACTOR_ACCOUNT, f->admin, T0);
	struct model_op sys = fx_op(f, MODEL_ACTOR_SYSTEM, 0, T0);
	uint8_t other[MGMT_PEPPER_LEN], row[TOTP_SEALED_LEN + 1], clear[TOTP_SECRET_LEN];
	char b32[TOTP_SECRET_B32 + 1], code[TOTP_DIGITS + 1];
	int sealed = -1;
	int64_t before;

	assert_int_equal(model_totp_begin(&op, f->admin, b32), 0);
	stored_secret(f, row, sizeof row);
	assert_true(totp_open(clear, row, TOTP_SEALED_LEN, f->pepper, f->admin));
	{
		char text[TOTP_SECRET_B32 + 1];

		assert_int_equal(totp_base32(text, sizeof text, clear, sizeof clear),
				 TOTP_SECRET_B32);
		assert_string_equal(text, b32);
	}
	/* Another instance's pepper: no usable secret. */
	memcpy(other, f->pepper, sizeof other);
	other[0] ^= 1;
	op.pepper = other;
	code_of(b32, step, code);
	assert_int_equal(model_totp_check(&op, f->admin, code, true), -ENOENT);
	op.pepper = f->pepper;
	/* Nothing in clear: nothing sealed. */
	assert_int_equal(model_totp_seal_clear(&sys, &sealed), 0);
	assert_int_equal(sealed, 0);
	/* A secret stored in clear, as before sealing: sealed, audited, and it still works. */
	{
		const struct store_arg args[] = {STORE_BLOB(clear, sizeof clear),
						 STORE_I64(f->admin)};

		assert_int_equal(store_exec_args(f->s,
						 "UPDATE totp SET secret = ? WHERE account_id = ?",
						 args, 2),
				 0);
	}
	assert_int_equal(model_totp_check(&op, f->admin, code, true), -ENOENT);
	before = fx_audit_rows(f);
	assert_int_equal(model_totp_seal_clear(&sys, &sealed), 0);
	assert_int_equal(sealed, 1);
	fx_one_audit(f, before, "account.totp_sealed");
	stored_secret(f, row, sizeof row);
	assert_int_equal(model_totp_check(&op, f->admin, code, true), 0);
	sodium_memzero(clear, sizeof clear);
	sodium_memzero(b32, sizeof b32);
}

static void audit_pages(void **state)
{
	struct fx *f = *state;
	struct model_op op = fx_op(f, MODEL_ACTOR_TOKEN, 42, T0);
	static struct model_audit_row rows[MODEL_AUDIT_PAGE_MAX];
	struct model_detail d;
	int64_t after = 0, total = 0;
	size_t n;

	for (int i = 0; i < 25; i++) {
		model_detail_init(&d);
		model_detail_str(&d, "quote\"name", "va\\lue\n");
		model_detail_int(&d, "i", i);
		assert_int_equal(model_audit(&op, "test.row", "thing", i, model_detail_finish(&d)), 0);
	}
	do {
		assert_int_equal(model_audit_list(f->s, after, 10, rows, &n), 0);
		assert_true(n <= 10);
		for (size_t i = 0; i < n; i++) {
			assert_true(rows[i].id > after);
			after = rows[i].id;
		}
		total += (int64_t)n;
	} while (n == 10);
	assert_int_equal(total, fx_audit_rows(f));
	assert_string_equal(rows[n - 1].action, "test.row");
	assert_string_equal(rows[n - 1].actor_kind, "token");
	assert_int_equal(rows[n - 1].actor_id, 42);
	assert_string_equal(rows[n - 1].target_id, "24");
	assert_string_equal(rows[n - 1].remote, "192.0.2.7");
	assert_non_null(strstr(rows[n - 1].detail, "\"i\""));
	assert_int_equal(model_audit_list(f->s, 0, 0, rows, &n), -EINVAL);
	assert_int_equal(model_audit_list(f->s, 0, MODEL_AUDIT_PAGE_MAX + 1, rows, &n), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(password_check, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(sessions_expire, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(tokens_scopes, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(password_change, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(totp_flow, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(totp_sealed, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(audit_pages, fx_setup, fx_teardown),
	};

	return fx_run("mgmtd_model_auth", tests, sizeof tests / sizeof tests[0]);
}
