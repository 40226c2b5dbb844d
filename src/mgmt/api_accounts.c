/*
 * Accounts and API tokens: GET/POST /api/v1/accounts, PATCH
 * /api/v1/accounts/{id} (admins: PERM_ACCOUNT_MANAGE); GET/POST
 * /api/v1/tokens and DELETE /api/v1/tokens/{id} (the asker's own tokens:
 * PERM_TOKEN_MANAGE, so a token needs the admin scope).  A password is
 * hashed in the password pool (argon2id at init's limits, off the event
 * loop: pwpool.h) and never echoed; a token's secret is in the creation
 * answer only.
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
#include "mgmt/model_token.h"
#include "mgmt/pwpool.h"

static void put_account(struct outbuf *o, const void *row)
{
	const struct model_account *a = row;

	outbuf_printf(o, "{\"id\":%lld,\"email\":", (long long)a->id);
	mgmt_json_put_str(o, a->email, strlen(a->email));
	outbuf_printf(o, ",\"role\":\"%s\",\"disabled\":%s}", model_role_name(a->role),
		      a->disabled ? "true" : "false");
}

static int get_account(struct store *s, int64_t id, void *row)
{
	return model_account_get(s, id, row);
}

static bool role_of(const struct json_value *root, enum model_role *role)
{
	const char *s;
	size_t n;

	if (!mgmt_json_str(root, "role", 1, 16, &s, &n))
		return false;
	if (strcmp(s, "admin") == 0)
		*role = MODEL_ROLE_ADMIN;
	else if (strcmp(s, "member") == 0)
		*role = MODEL_ROLE_MEMBER;
	else
		return false;
	return true;
}

static int read_accounts(struct store *s, int64_t owner, int64_t after, size_t limit,
			 void *rows, size_t *n)
{
	(void)owner;
	return model_account_list(s, after, limit, rows, n);
}

void api_accounts_list(struct http_req *r)
{
	struct api_who w;

	if (api_who(r, &w) && api_may(r, &w, PERM_ACCOUNT_MANAGE, PERM_REL_NONE))
		api_list(r, 0, sizeof(struct model_account), read_accounts, put_account,
			 "account");
}

static const char *const create_names[] = {"email", "role", "password"};

/*
 * Who asks, may manage accounts, and a body that checks out: its email,
 * role and password; false with an answer queued (root freed unless true).
 */
static bool create_body(struct http_req *r, struct api_who *w, struct json_value *root,
			const char **email, enum model_role *role, const char **pw, size_t *plen)
{
	size_t elen;

	if (!api_who(r, w) || !api_body(r, root, create_names, 3))
		return false;
	*role = MODEL_ROLE_MEMBER;
	if (!api_may(r, w, PERM_ACCOUNT_MANAGE, PERM_REL_NONE))
		goto bad;
	if (!mgmt_json_str(root, "email", 1, ACCOUNT_EMAIL_MAX, email, &elen) ||
	    !account_email_valid(*email)) {
		api_bad_field(r, "email", "wants an address (one @, printable, no spaces)");
		goto bad;
	}
	if (json_member_get(root, "role") != NULL && !role_of(root, role)) {
		api_bad_field(r, "role", "wants \"admin\" or \"member\"");
		goto bad;
	}
	if (!mgmt_json_str(root, "password", API_PASSWORD_MIN, API_PASSWORD_MAX, pw, plen)) {
		api_bad_field(r, "password", "wants a string of 12..256 bytes");
		goto bad;
	}
	return true;
bad:
	api_wipe_member(root, "password");
	json_free(root);
	return false;
}

/* Step 2: the password hashed in the pool (pwpool.h); the account made. */
static void create_hashed(struct http_req *r)
{
	struct api_who w;
	struct json_value root;
	struct model_account a;
	enum model_role role;
	const char *email, *pw;
	char hash[crypto_pwhash_STRBYTES];
	size_t plen;
	int64_t id = 0;
	int rc = pwpool_result(r, hash);

	if (rc == 0 && create_body(r, &w, &root, &email, &role, &pw, &plen)) {
		rc = model_account_create(&w.op, email, role, hash, &id);
		api_changed_row(r, rc, MHD_HTTP_CREATED, id, &a, get_account, put_account,
				"account");
		api_wipe_member(&root, "password");
		json_free(&root);
	}
	sodium_memzero(hash, sizeof hash);
}

void api_accounts_create(struct http_req *r)
{
	struct api_who w;
	struct json_value root;
	enum model_role role;
	const char *email, *pw;
	size_t plen;

	if (!create_body(r, &w, &root, &email, &role, &pw, &plen))
		return;
	(void)pwpool_submit(r, PWPOOL_HASH, pw, plen, NULL, create_hashed);
	api_wipe_member(&root, "password");
	json_free(&root);
}

/* PATCH /api/v1/accounts/{id}: one change, "role" or "disabled". */
void api_accounts_patch(struct http_req *r)
{
	static const char *const names[] = {"role", "disabled"};
	struct api_who w;
	struct json_value root;
	const struct json_value *dis;
	struct model_account a;
	enum model_role role;
	int64_t id;
	int rc;

	if (!api_who(r, &w) || !api_param_id(r, "id", &id) || !api_body(r, &root, names, 2))
		return;
	if (!api_may(r, &w, PERM_ACCOUNT_MANAGE, PERM_REL_NONE))
		goto done;
	dis = json_member_get(&root, "disabled");
	if (root.u.object.n != 1) {
		http_error(r, MHD_HTTP_UNPROCESSABLE_CONTENT, "invalid_body",
			   "one change per request: \"role\" or \"disabled\"");
		goto done;
	}
	if (dis != NULL && dis->type != JSON_BOOL) {
		api_bad_field(r, "disabled", "wants true or false");
		goto done;
	}
	if (dis == NULL && !role_of(&root, &role)) {
		api_bad_field(r, "role", "wants \"admin\" or \"member\"");
		goto done;
	}
	if (id == w.account_id) {
		http_error(r, MHD_HTTP_CONFLICT, "conflict",
			   "an admin does not demote or disable itself");
		goto done;
	}
	rc = dis != NULL ? model_account_set_disabled(&w.op, id, dis->u.boolean)
			 : model_account_set_role(&w.op, id, role);
	api_changed_row(r, rc, MHD_HTTP_OK, id, &a, get_account, put_account, "account");
done:
	json_free(&root);
}

/* ---- tokens --------------------------------------------------------------- */

static void put_token(struct outbuf *o, const void *row)
{
	const struct model_token_info *t = row;

	outbuf_printf(o, "{\"id\":%lld,\"prefix\":\"%s\",\"scope\":\"%s\",\"description\":",
		      (long long)t->id, t->prefix, model_scope_name(t->scope));
	mgmt_json_put_str(o, t->description, strlen(t->description));
	api_put_time(o, "created_at", t->created_at);
	api_put_time(o, "expires_at", t->expires_at);
	api_put_time(o, "last_used", t->last_used);
	api_put_time(o, "revoked_at", t->revoked_at);
	outbuf_puts(o, "}");
}

static int read_tokens(struct store *s, int64_t owner, int64_t after, size_t limit,
		       void *rows, size_t *n)
{
	return model_token_list(s, owner, after, limit, rows, n);
}

void api_tokens_list(struct http_req *r)
{
	struct api_who w;

	if (api_who(r, &w) && api_may(r, &w, PERM_TOKEN_MANAGE, PERM_REL_OWNER))
		api_list(r, w.account_id, sizeof(struct model_token_info), read_tokens,
			 put_token, "token");
}

static bool scope_of(const struct json_value *root, enum perm_scope *scope)
{
	const char *s;
	size_t n;

	if (!mgmt_json_str(root, "scope", 1, 16, &s, &n))
		return false;
	for (int i = 0; i < PERM_SCOPE_COUNT; i++)
		if (strcmp(s, model_scope_name((enum perm_scope)i)) == 0) {
			*scope = (enum perm_scope)i;
			return true;
		}
	return false;
}

void api_tokens_create(struct http_req *r)
{
	static const char *const names[] = {"scope", "description", "expires_at"};
	struct api_who w;
	struct json_value root;
	enum perm_scope scope;
	const char *desc = "";
	size_t dlen;
	uint64_t exp = 0;
	char text[MODEL_TOKEN_LEN + 1], json[1024];
	struct model_token_info info;
	struct outbuf o;
	int64_t id;
	int rc;

	if (!api_who(r, &w) || !api_body(r, &root, names, 3))
		return;
	if (!api_may(r, &w, PERM_TOKEN_MANAGE, PERM_REL_OWNER))
		goto done;
	if (!scope_of(&root, &scope)) {
		api_bad_field(r, "scope", "wants \"read\", \"write\" or \"admin\"");
		goto done;
	}
	if (json_member_get(&root, "description") != NULL &&
	    !mgmt_json_str(&root, "description", 0, sizeof info.description - 1, &desc, &dlen)) {
		api_bad_field(r, "description", "wants a string of at most 127 bytes");
		goto done;
	}
	if (json_member_get(&root, "expires_at") != NULL &&
	    (!mgmt_json_u64(&root, "expires_at", MGMT_JSON_INT_MAX, &exp) ||
	     (int64_t)exp <= model_now_s(&w.op))) {
		api_bad_field(r, "expires_at", "wants unix seconds in the future");
		goto done;
	}
	rc = model_token_create(&w.op, w.account_id, scope, desc, (int64_t)exp, text, &id);
	if (rc < 0) {
		api_fail(r, rc, "token");
		goto done;
	}
	api_changed(r, NULL);
	outbuf_init(&o, json, sizeof json);
	outbuf_printf(&o, "{\"id\":%lld,\"scope\":\"%s\",\"token\":\"%s\"", (long long)id,
		      model_scope_name(scope), text);
	api_put_time(&o, "expires_at", (int64_t)exp);
	outbuf_puts(&o, "}\n");
	api_reply(r, MHD_HTTP_CREATED, &o);
	sodium_memzero(text, sizeof text);
	sodium_memzero(json, sizeof json);
done:
	json_free(&root);
}

void api_tokens_revoke(struct http_req *r)
{
	struct api_who w;
	int64_t id, owner;
	int rc;

	if (!api_who(r, &w) || !api_param_id(r, "id", &id))
		return;
	rc = model_token_owner(w.op.s, id, &owner);
	if (rc < 0) {
		api_fail(r, rc, "token");
		return;
	}
	/* Someone else's token: the matrix's "none" (an admin may). */
	if (!api_may(r, &w, PERM_TOKEN_MANAGE,
		     owner == w.account_id ? PERM_REL_OWNER : PERM_REL_NONE))
		return;
	rc = model_token_revoke(&w.op, id);
	if (rc < 0) {
		api_fail(r, rc, "live token");
		return;
	}
	api_changed(r, NULL);
	http_reply_empty(r);
}
