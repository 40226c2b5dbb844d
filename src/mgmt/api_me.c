/*
 * The asker's own credentials: POST /api/v1/me/password (a new password,
 * the current one required), and the optional TOTP second step: GET
 * /api/v1/me/totp (its state), POST /api/v1/me/totp (a new secret, the
 * password required: shown once, with an otpauth:// URI and a QR code of
 * it), POST /api/v1/me/totp/confirm (a code from it turns it on), POST
 * /api/v1/me/totp/disable (the password and a code turn it off).  Every
 * password check takes from the sign-in rate limits (per address and per
 * account), as a sign-in does.  A wrong password or code is 403, not 401:
 * the session itself is fine.  Changes are PERM_TOKEN_MANAGE on oneself
 * (a session; a token only with admin scope), the state PERM_ACCOUNT_READ.
 *
 * The argon2id work (checking the password, hashing a new one) runs in
 * the password pool (pwpool.h), never on the event loop: such a handler
 * parks its request and continues in a step of its own when the pool is
 * done.  Each step starts over from the request (who asks, the body), so
 * nothing but the pool's result is carried across a park, and a session
 * revoked meanwhile ends the change there.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/mgmt/jsonio.h"
#include "mgmt/accounts.h"
#include "mgmt/api.h"
#include "mgmt/mgmtd.h"
#include "mgmt/model_account.h"
#include "mgmt/model_totp.h"
#include "mgmt/pwpool.h"
#include "mgmt/qr.h"

enum { URI_MAX = 512 };

/* Who asks, may change its own credentials, and the body: false with an answer queued. */
static bool me_begin(struct http_req *r, struct api_who *w, struct json_value *root,
		     const char *const *names, size_t n)
{
	return api_who(r, w) && api_may(r, w, PERM_TOKEN_MANAGE, PERM_REL_OWNER) &&
	       api_body(r, root, names, n);
}

static void me_end(struct json_value *root)
{
	api_wipe_member(root, "current");
	api_wipe_member(root, "password");
	json_free(root);
}

/*
 * Step 1 of a change the asker's password allows: the body's member is
 * checked against the asker's hash in the pool (taking from the sign-in
 * rate limits, as a sign-in does), then `then` runs.  An answer is queued
 * when it cannot start.
 */
static void password_check(struct http_req *r, const struct api_who *w,
			   const struct json_value *root, const char *member, http_handler then)
{
	struct model_account a;
	char hash[crypto_pwhash_STRBYTES];
	const char *pw;
	size_t plen;
	int rc;

	if (!mgmt_json_str(root, member, 1, API_PASSWORD_MAX, &pw, &plen)) {
		api_bad_field(r, member, "wants your password (a string of 1..256 bytes)");
		return;
	}
	rc = model_account_get(w->op.s, w->account_id, &a);
	if (rc < 0) {
		api_fail(r, rc, "account");
		return;
	}
	if (!login_limits_take(r->l->m->logins, w->remote, a.email, w->op.now_ms)) {
		http_error(r, MHD_HTTP_TOO_MANY_REQUESTS, "rate_limited",
			   "too many password attempts: wait and try again");
		return;
	}
	rc = model_account_login_hash(w->op.s, a.email, hash);
	if (rc < 0)
		api_fail(r, rc, "account");
	else
		(void)pwpool_submit(r, PWPOOL_VERIFY, pw, plen, hash, then);
	sodium_memzero(hash, sizeof hash);
}

/*
 * Step 2, in `then`: the pool's verdict (pwpool_take's, against hash) is
 * the asker's password, and the hash is still the account's: true, or
 * false with 403 (or the failure) queued.
 */
static bool password_right(struct http_req *r, const struct api_who *w, const char *hash,
			   int verified)
{
	struct model_account a;
	int rc = model_account_get(w->op.s, w->account_id, &a);

	if (rc == 0)
		rc = model_account_login_finish(w->op.s, a.email, hash, verified == 0, &a);
	if (rc == -EACCES) {
		http_error(r, MHD_HTTP_FORBIDDEN, "wrong_password", "the current password is wrong");
		return false;
	}
	if (rc < 0) {
		api_fail(r, rc, "account");
		return false;
	}
	/* As a sign-in: the right password refills the account's allowance. */
	ratelimit_reset(&r->l->m->logins->per_account, a.email);
	return true;
}

/* The body's "code": a TOTP code of the asker's secret (confirm: a pending one too). */
static bool my_code(struct http_req *r, const struct api_who *w,
		    const struct json_value *root, bool confirm)
{
	const char *code;
	size_t len;
	int rc;

	if (!mgmt_json_str(root, "code", 1, 16, &code, &len)) {
		api_bad_field(r, "code", "wants the 6-digit code of your authenticator app");
		return false;
	}
	rc = model_totp_check(&w->op, w->account_id, code, confirm);
	if (rc == -EACCES)
		http_error(r, MHD_HTTP_FORBIDDEN, "totp_invalid",
			   "the authenticator code is wrong, expired or already used");
	else if (rc == -ENOENT)
		http_error(r, MHD_HTTP_CONFLICT, "totp_not_enrolled",
			   "no TOTP secret to check the code against: set one up first");
	else if (rc < 0)
		api_fail(r, rc, "TOTP secret");
	return rc == 0;
}

static const char *const password_names[] = {"current", "password"};

static void password_new_hashed(struct http_req *r);

/* The new password, once the body checks out: 0, or -EINVAL with 422 queued. */
static int new_password(struct http_req *r, const struct json_value *root, const char **pw,
			size_t *plen)
{
	if (mgmt_json_str(root, "password", API_PASSWORD_MIN, API_PASSWORD_MAX, pw, plen))
		return 0;
	api_bad_field(r, "password", "wants a string of 12..256 bytes");
	return -EINVAL;
}

/* Step 2: the current password checked; the new one to the pool to be hashed. */
static void password_current_checked(struct http_req *r)
{
	struct api_who w;
	struct json_value root;
	char hash[crypto_pwhash_STRBYTES];
	int verified = pwpool_result(r, hash);
	const char *pw;
	size_t plen;

	if (verified != -EAGAIN && me_begin(r, &w, &root, password_names, 2)) {
		if (new_password(r, &root, &pw, &plen) == 0 &&
		    password_right(r, &w, hash, verified))
			(void)pwpool_submit(r, PWPOOL_HASH, pw, plen, NULL, password_new_hashed);
		me_end(&root);
	}
	sodium_memzero(hash, sizeof hash);
}

/* Step 3: the new hash stored; the other sessions end (a token's change ends them all). */
static void password_new_hashed(struct http_req *r)
{
	struct api_who w;
	struct json_value root;
	char hash[crypto_pwhash_STRBYTES];
	int rc = pwpool_result(r, hash);

	if (rc == 0 && me_begin(r, &w, &root, password_names, 2)) {
		rc = model_account_set_password(&w.op, w.account_id, hash,
						w.session ? w.session_hash : NULL);
		if (rc < 0) {
			api_fail(r, rc, "account");
		} else {
			api_changed(r, NULL);
			http_reply_empty(r);
		}
		me_end(&root);
	}
	sodium_memzero(hash, sizeof hash);
}

void api_me_password(struct http_req *r)
{
	struct api_who w;
	struct json_value root;
	const char *pw;
	size_t plen;

	if (!me_begin(r, &w, &root, password_names, 2))
		return;
	if (new_password(r, &root, &pw, &plen) == 0)
		password_check(r, &w, &root, "current", password_current_checked);
	me_end(&root);
}

static void reply_state(struct http_req *r, const struct api_who *w)
{
	static const char *const names[] = {"off", "pending", "on"};
	enum model_totp_state st;
	char json[128];
	int rc = model_totp_state(w->op.s, w->account_id, &st);

	if (rc < 0) {
		api_fail(r, rc, "TOTP state");
		return;
	}
	snprintf(json, sizeof json,
		 "{\"enabled\":%s,\"state\":\"%s\",\"algorithm\":\"SHA256\",\"digits\":%d,"
		 "\"period\":%d}\n",
		 st == MODEL_TOTP_ON ? "true" : "false", names[st], TOTP_DIGITS, TOTP_PERIOD_S);
	http_reply_json(r, MHD_HTTP_OK, json, strlen(json));
}

void api_me_totp_get(struct http_req *r)
{
	struct api_who w;

	if (api_who(r, &w) && api_may(r, &w, PERM_ACCOUNT_READ, PERM_REL_OWNER))
		reply_state(r, &w);
}

/* RFC 3986 unreserved bytes as they are, the rest %XX (a URI's label). */
static void put_pct(struct outbuf *o, const char *s)
{
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~' || c == '@')
			outbuf_put(o, s, 1);
		else
			outbuf_printf(o, "%%%02X", c);
	}
}

static const char *const totp_begin_names[] = {"password"};

/* Step 2 of POST /me/totp: the password checked, a new pending secret and its QR code. */
static void totp_begin_checked(struct http_req *r)
{
	struct api_who w;
	struct json_value root;
	struct model_account a;
	char hash[crypto_pwhash_STRBYTES];
	char b32[TOTP_SECRET_B32 + 1], uri[URI_MAX], *svg = NULL, *json = NULL;
	size_t svg_len = 0, cap = 0;
	struct outbuf o;
	int verified = pwpool_result(r, hash), rc;
	bool right;

	if (verified == -EAGAIN || !me_begin(r, &w, &root, totp_begin_names, 1)) {
		sodium_memzero(hash, sizeof hash);
		return;
	}
	right = password_right(r, &w, hash, verified);
	sodium_memzero(hash, sizeof hash);
	if (!right)
		goto done;
	rc = model_account_get(w.op.s, w.account_id, &a);
	if (rc == 0)
		rc = model_totp_begin(&w.op, w.account_id, b32);
	if (rc < 0) {
		if (rc == -EEXIST)
			http_error(r, MHD_HTTP_CONFLICT, "totp_enabled",
				   "TOTP is on already: turn it off first");
		else
			api_fail(r, rc, "account");
		goto done;
	}
	api_changed(r, NULL);
	outbuf_init(&o, uri, sizeof uri);
	outbuf_puts(&o, "otpauth://totp/subnetra:");
	put_pct(&o, a.email);
	outbuf_printf(&o, "?secret=%s&issuer=subnetra&algorithm=SHA256&digits=%d&period=%d", b32,
		      TOTP_DIGITS, TOTP_PERIOD_S);
	if (outbuf_finish(&o) == 0 || qr_svg(uri, &svg, &svg_len) < 0 ||
	    (json = malloc(cap = API_JSON_MAX + 2 * svg_len)) == NULL) {
		http_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "out_of_memory",
			   "the secret was made but not its answer: set up again");
		goto wipe;
	}
	outbuf_init(&o, json, cap);
	outbuf_printf(&o, "{\"secret\":\"%s\",\"uri\":", b32);
	mgmt_json_put_str(&o, uri, strlen(uri));
	api_reply_secret_qr(r, MHD_HTTP_CREATED, &o, svg, svg_len);
	svg = NULL;
wipe:
	qr_svg_free(svg, svg_len);
	sodium_memzero(uri, sizeof uri);
	sodium_memzero(b32, sizeof b32);
done:
	me_end(&root);
}

void api_me_totp_begin(struct http_req *r)
{
	struct api_who w;
	struct json_value root;

	if (!me_begin(r, &w, &root, totp_begin_names, 1))
		return;
	password_check(r, &w, &root, "password", totp_begin_checked);
	me_end(&root);
}

void api_me_totp_confirm(struct http_req *r)
{
	static const char *const names[] = {"code"};
	struct api_who w;
	struct json_value root;

	if (!api_who(r, &w) || !api_may(r, &w, PERM_TOKEN_MANAGE, PERM_REL_OWNER) ||
	    !api_body(r, &root, names, 1))
		return;
	if (my_code(r, &w, &root, true)) {
		api_changed(r, NULL);
		reply_state(r, &w);
	}
	json_free(&root);
}

static const char *const totp_disable_names[] = {"password", "code"};

/* Step 2 of POST /me/totp/disable: the password checked, then the code. */
static void totp_disable_checked(struct http_req *r)
{
	struct api_who w;
	struct json_value root;
	char hash[crypto_pwhash_STRBYTES];
	int verified = pwpool_result(r, hash), rc;
	bool right;

	if (verified == -EAGAIN || !me_begin(r, &w, &root, totp_disable_names, 2)) {
		sodium_memzero(hash, sizeof hash);
		return;
	}
	right = password_right(r, &w, hash, verified);
	sodium_memzero(hash, sizeof hash);
	if (right && my_code(r, &w, &root, false)) {
		rc = model_totp_disable(&w.op, w.account_id);
		if (rc < 0) {
			api_fail(r, rc, "TOTP secret");
		} else {
			api_changed(r, NULL);
			reply_state(r, &w);
		}
	}
	me_end(&root);
}

void api_me_totp_disable(struct http_req *r)
{
	struct api_who w;
	struct json_value root;

	if (!me_begin(r, &w, &root, totp_disable_names, 2))
		return;
	password_check(r, &w, &root, "password", totp_disable_checked);
	me_end(&root);
}
