/*
 * Sign-in, sign-out, who am I: POST /api/v1/login, POST /api/v1/logout,
 * GET /api/v1/me.  A login is rate-limited per client address and per
 * account address (model_ratelimit.h; 429 past either), and checks the
 * argon2id hash in the password pool (pwpool.h: 0.1-0.5 s of a core at
 * the INTERACTIVE limits init uses, off the event loop), the request
 * parked meanwhile.  A session is a cookie (HttpOnly; Secure; SameSite=Strict)
 * and a CSRF token in the answer's body, which changes must echo in
 * X-Subnetra-CSRF.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "core/mgmt/jsonio.h"
#include "mgmt/accounts.h"
#include "mgmt/api.h"
#include "mgmt/mgmtd.h"
#include "mgmt/model_account.h"
#include "mgmt/model_session.h"
#include "mgmt/model_token.h"
#include "mgmt/model_totp.h"
#include "mgmt/pwpool.h"

enum { COOKIE_MAX = 192, AGENT_MAX = 128 };

static void put_me(struct outbuf *o, const struct model_account *a, const struct api_who *w)
{
	outbuf_printf(o, "{\"account\":{\"id\":%lld,\"email\":", (long long)a->id);
	mgmt_json_put_str(o, a->email, strlen(a->email));
	outbuf_printf(o, ",\"role\":\"%s\",\"must_change_password\":%s}", model_role_name(a->role),
		      a->must_change ? "true" : "false");
	if (w->session)
		outbuf_printf(o, ",\"via\":\"session\",\"csrf\":\"%s\"}\n", w->csrf);
	else
		outbuf_printf(o, ",\"via\":\"token\",\"scope\":\"%s\"}\n",
			      model_scope_name(w->perm.scope));
}

/*
 * An account with TOTP on signs in with a code too ("totp"): true when it
 * has none or the code is good (and now used), else false with 401 queued.
 * The per-account sign-in limit (5, then one per 30 s) bounds guessing.
 */
static bool second_step(struct http_req *r, const struct api_who *w,
			const struct json_value *root, int64_t account)
{
	enum model_totp_state st;
	const char *code;
	size_t len;
	int rc = model_totp_state(w->op.s, account, &st);

	if (rc < 0) {
		api_fail(r, rc, "account");
		return false;
	}
	if (st != MODEL_TOTP_ON)
		return true;
	if (json_member_get(root, "totp") == NULL) {
		http_error(r, MHD_HTTP_UNAUTHORIZED, "totp_required",
			   "this account signs in with a code from its authenticator app too");
		return false;
	}
	if (!mgmt_json_str(root, "totp", 1, 16, &code, &len)) {
		api_bad_field(r, "totp", "wants the 6-digit code of your authenticator app");
		return false;
	}
	rc = model_totp_check(&w->op, account, code, false);
	if (rc == 0)
		return true;
	if (rc == -EACCES || rc == -ENOENT)
		http_error(r, MHD_HTTP_UNAUTHORIZED, "totp_invalid",
			   "the authenticator code is wrong, expired or already used");
	else
		api_fail(r, rc, "account");
	return false;
}

static const char *const login_names[] = {"email", "password", "totp"};

/* The body's email and password: true, or false with a 400 queued. */
static bool login_fields(struct http_req *r, struct json_value *root, const char **email,
			 const char **pw, size_t *plen)
{
	size_t elen;

	if (!mgmt_json_str(root, "email", 1, ACCOUNT_EMAIL_MAX, email, &elen)) {
		api_bad_field(r, "email", "wants a string of 1..254 bytes");
		return false;
	}
	if (!mgmt_json_str(root, "password", 1, API_PASSWORD_MAX, pw, plen)) {
		api_bad_field(r, "password", "wants a string of 1..256 bytes");
		return false;
	}
	return true;
}

static void login_checked(struct http_req *r);

/*
 * Sign-in, step 1 on the event loop: the body, the rate limits, the hash
 * to check against; then the argon2id verification goes to a worker
 * thread (pwpool.h) and the request parks until login_checked.
 */
void api_login(struct http_req *r)
{
	struct api_who w;
	struct json_value root;
	const char *email, *pw;
	char hash[crypto_pwhash_STRBYTES];
	size_t plen;
	int rc;

	api_anon(r, &w);
	if (!api_body(r, &root, login_names, 3))
		return;
	if (!login_fields(r, &root, &email, &pw, &plen))
		goto done;
	if (!login_limits_take(r->l->m->logins, w.remote, email, w.op.now_ms)) {
		http_error(r, MHD_HTTP_TOO_MANY_REQUESTS, "rate_limited",
			   "too many sign-in attempts: wait and try again");
		goto done;
	}
	rc = model_account_login_hash(w.op.s, email, hash);
	if (rc < 0)
		api_fail(r, rc, "account");
	else
		(void)pwpool_submit(r, PWPOOL_VERIFY, pw, plen, hash, login_checked);
	sodium_memzero(hash, sizeof hash);
done:
	api_wipe_member(&root, "password");
	json_free(&root);
	sodium_memzero(&w, sizeof w);
}

/* Step 2, the verification done: the account, the second step, the session. */
static void login_checked(struct http_req *r)
{
	struct api_who w;
	struct json_value root;
	struct model_account a;
	const char *email, *pw, *agent;
	size_t plen;
	char hash[crypto_pwhash_STRBYTES];
	char id[MODEL_SESSION_TEXT], cookie[COOKIE_MAX], json[1024];
	struct outbuf o;
	int verified = pwpool_result(r, hash), rc;

	if (verified == -EAGAIN)
		return;
	api_anon(r, &w);
	/* The body passed these checks in step 1. */
	if (!api_body(r, &root, login_names, 3))
		return;
	if (!login_fields(r, &root, &email, &pw, &plen))
		goto done;
	rc = model_account_login_finish(w.op.s, email, hash, verified == 0, &a);
	sodium_memzero(hash, sizeof hash);
	if (rc == -EACCES) {
		http_error(r, MHD_HTTP_UNAUTHORIZED, "bad_credentials",
			   "the address or the password is wrong");
		goto done;
	}
	if (rc < 0) {
		api_fail(r, rc, "account");
		goto done;
	}
	w.op.who.kind = MODEL_ACTOR_ACCOUNT;
	w.op.who.id = a.id;
	w.op.who.account_id = a.id;
	if (!second_step(r, &w, &root, a.id))
		goto done;
	ratelimit_reset(&r->l->m->logins->per_account, email);
	agent = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
					    MHD_HTTP_HEADER_USER_AGENT);
	rc = model_session_create(&w.op, a.id, agent != NULL && strlen(agent) < AGENT_MAX ? agent : NULL,
				  id, w.csrf);
	if (rc < 0) {
		api_fail(r, rc, "session");
		goto done;
	}
	api_changed(r, NULL);
	snprintf(cookie, sizeof cookie,
		 API_SESSION_COOKIE "=%s; Path=/; Max-Age=%d; HttpOnly; Secure; SameSite=Strict",
		 id, MODEL_SESSION_ABSOLUTE_S);
	w.session = true;
	outbuf_init(&o, json, sizeof json);
	put_me(&o, &a, &w);
	r->set_cookie = cookie;
	api_reply(r, MHD_HTTP_OK, &o);
	r->set_cookie = NULL;
	sodium_memzero(cookie, sizeof cookie);
	sodium_memzero(id, sizeof id);
done:
	api_wipe_member(&root, "password");
	json_free(&root);
	sodium_memzero(&w, sizeof w);
}

void api_logout(struct http_req *r)
{
	struct api_who w;
	const char *id;
	int rc;

	if (!api_who(r, &w))
		return;
	id = MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, API_SESSION_COOKIE);
	if (!w.session || id == NULL) {
		http_error(r, MHD_HTTP_BAD_REQUEST, "not_a_session",
			   "a token signs nothing out: revoke it instead");
		return;
	}
	rc = model_session_end(&w.op, id);
	if (rc < 0) {
		api_fail(r, rc, "session");
		return;
	}
	api_changed(r, NULL);
	r->set_cookie = API_SESSION_COOKIE
	    "=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Strict";
	http_reply_empty(r);
	r->set_cookie = NULL;
}

void api_me(struct http_req *r)
{
	struct api_who w;
	struct model_account a;
	char json[1024];
	struct outbuf o;
	int rc;

	if (!api_who(r, &w))
		return;
	rc = model_account_get(w.op.s, w.account_id, &a);
	if (rc < 0) {
		api_fail(r, rc, "account");
		return;
	}
	outbuf_init(&o, json, sizeof json);
	put_me(&o, &a, &w);
	api_reply(r, MHD_HTTP_OK, &o);
}
