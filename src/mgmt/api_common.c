/* The admin API's shared steps: who asks, bodies, permissions, errors (see api.h). */
#include "mgmt/api.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "core/mgmt/jsonio.h"
#include "mgmt/device.h"
#include "mgmt/mgmtd.h"
#include "mgmt/model_account.h"
#include "mgmt/model_session.h"
#include "mgmt/model_token.h"
#include "mgmt/qr.h"
#include "mgmt/watch.h"

void api_logins_init(struct login_limits *ll)
{
	uint8_t k[RATELIMIT_KEY_LEN];

	randombytes_buf(k, sizeof k);
	ratelimit_init(&ll->per_ip, API_LOGIN_IP_BURST, API_LOGIN_IP_REFILL_MS, k);
	randombytes_buf(k, sizeof k);
	ratelimit_init(&ll->per_account, API_LOGIN_ACCOUNT_BURST, API_LOGIN_ACCOUNT_REFILL_MS,
		       k);
	sodium_memzero(k, sizeof k);
}

static int64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void api_anon(struct http_req *r, struct api_who *w)
{
	memset(w, 0, sizeof *w);
	http_remote(r, w->remote, sizeof w->remote);
	w->op.s = r->l->m->store;
	w->op.now_ms = wall_ms();
	w->op.pepper = r->l->m->keys.pepper;
	w->op.who.kind = MODEL_ACTOR_SYSTEM;
	w->op.who.remote = w->remote;
}

static bool unauthorized(struct http_req *r, const char *message)
{
	http_error(r, MHD_HTTP_UNAUTHORIZED, "unauthorized", message);
	return false;
}

static bool is_read(const struct http_req *r)
{
	return strcmp(r->method, MHD_HTTP_METHOD_GET) == 0 ||
	       strcmp(r->method, MHD_HTTP_METHOD_HEAD) == 0;
}

/*
 * The role of the account behind a token or session, read with it (the
 * same statement refuses a disabled or missing account): no second query.
 */
static bool account_role(struct api_who *w, enum model_role role)
{
	w->perm.role = role == MODEL_ROLE_ADMIN ? PERM_ROLE_ADMIN : PERM_ROLE_MEMBER;
	w->op.who.account_id = w->account_id;
	return true;
}

static bool by_token(struct http_req *r, struct api_who *w, const char *text)
{
	struct model_token t;
	int rc = model_token_check(w->op.s, w->op.pepper, w->op.now_ms, text, &t);

	if (rc == -EACCES)
		return unauthorized(r, "the token is unknown, expired or revoked");
	if (rc < 0) { /* the database failed: not the caller's fault (503, not 401) */
		api_fail(r, rc, "token");
		return false;
	}
	w->account_id = t.account_id;
	w->perm.kind = PERM_TOKEN;
	w->perm.scope = t.scope;
	w->op.who.kind = MODEL_ACTOR_TOKEN;
	w->op.who.id = t.id;
	return account_role(w, t.role);
}

static bool by_session(struct http_req *r, struct api_who *w, const char *id)
{
	struct model_session ses;
	enum model_role role;
	const char *csrf;
	int rc = model_session_check(w->op.s, w->op.pepper, w->op.now_ms, id, &ses);

	if (rc == -ENOENT)
		return unauthorized(r, "the session is unknown or has ended");
	if (rc < 0) { /* the database failed: 503, not 401 */
		api_fail(r, rc, "session");
		return false;
	}
	/* Before anything else is looked at: a cross-site form cannot set a header. */
	csrf = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, API_CSRF_HEADER);
	if (!is_read(r) && (csrf == NULL || !model_session_csrf_ok(&ses, csrf))) {
		sodium_memzero(&ses, sizeof ses);
		http_error(r, MHD_HTTP_FORBIDDEN, "csrf",
			   "a session's change needs the X-Subnetra-CSRF header");
		return false;
	}
	w->session = true;
	w->account_id = ses.account_id;
	snprintf(w->csrf, sizeof w->csrf, "%s", ses.csrf);
	memcpy(w->session_hash, ses.id_hash, sizeof w->session_hash);
	role = ses.role;
	sodium_memzero(&ses, sizeof ses);
	w->perm.kind = PERM_ACCOUNT;
	w->op.who.kind = MODEL_ACTOR_ACCOUNT;
	w->op.who.id = w->account_id;
	return account_role(w, role);
}

bool api_who(struct http_req *r, struct api_who *w)
{
	const char *auth, *cookie;

	api_anon(r, w);
	auth = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
					   MHD_HTTP_HEADER_AUTHORIZATION);
	if (auth != NULL) {
		if (strncmp(auth, "Bearer ", 7) != 0)
			return unauthorized(r, "Authorization wants \"Bearer snt_...\"");
		return by_token(r, w, auth + 7);
	}
	cookie = MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, API_SESSION_COOKIE);
	if (cookie != NULL)
		return by_session(r, w, cookie);
	return unauthorized(r, "sign in, or send Authorization: Bearer <token>");
}

bool api_is_admin(const struct api_who *w)
{
	return w->perm.role == PERM_ROLE_ADMIN;
}

bool api_may(struct http_req *r, const struct api_who *w, enum perm_action a,
	     enum perm_rel rel)
{
	char msg[128];
	struct perm_actor as_account = w->perm;

	if (perm_allowed(&w->perm, a, rel))
		return true;
	/* Say which: the token's scope, or the account's rights. */
	as_account.kind = PERM_ACCOUNT;
	if (w->perm.kind == PERM_TOKEN && perm_allowed(&as_account, a, rel)) {
		snprintf(msg, sizeof msg, "the token's scope %s does not cover %s",
			 model_scope_name(w->perm.scope), perm_action_name(a));
		http_error(r, MHD_HTTP_FORBIDDEN, "insufficient_scope", msg);
	} else {
		snprintf(msg, sizeof msg, "%s is not allowed here", perm_action_name(a));
		http_error(r, MHD_HTTP_FORBIDDEN, "forbidden", msg);
	}
	return false;
}

void api_bad_field(struct http_req *r, const char *name, const char *why)
{
	char msg[160];

	snprintf(msg, sizeof msg, "%s: %s", name, why);
	http_error(r, MHD_HTTP_UNPROCESSABLE_CONTENT, "invalid_field", msg);
}

/* A refused body's strings (a password among them, maybe) wiped, the tree freed. */
static void drop(struct json_value *root)
{
	for (size_t i = 0; root->type == JSON_OBJECT && i < root->u.object.n; i++)
		if (root->u.object.members[i].value.type == JSON_STRING)
			sodium_memzero(root->u.object.members[i].value.u.string.bytes,
				       root->u.object.members[i].value.u.string.len);
	json_free(root);
}

bool api_body(struct http_req *r, struct json_value *root, const char *const *names,
	      size_t n)
{
	if (!http_json_body(r, root))
		return false;
	if (root->type != JSON_OBJECT) {
		json_free(root);
		http_error(r, MHD_HTTP_UNPROCESSABLE_CONTENT, "invalid_body",
			   "the body must be a JSON object");
		return false;
	}
	for (size_t i = 0; i < root->u.object.n; i++) {
		const struct json_member *m = &root->u.object.members[i];
		bool known = false;

		for (size_t k = 0; k < n && !known; k++)
			known = m->name_len == strlen(names[k]) &&
				memcmp(m->name, names[k], m->name_len) == 0;
		if (!known) {
			char msg[128];

			/* The name is the client's: quoted only when short and printable. */
			snprintf(msg, sizeof msg, "unknown member \"%.40s\"",
				 m->name_len <= 40 && strlen(m->name) == m->name_len ? m->name
										   : "?");
			drop(root);
			http_error(r, MHD_HTTP_UNPROCESSABLE_CONTENT, "unknown_field", msg);
			return false;
		}
	}
	return true;
}

void api_wipe_member(struct json_value *root, const char *name)
{
	const struct json_value *v =
	    root->type == JSON_OBJECT ? json_member_get(root, name) : NULL;

	if (v != NULL && v->type == JSON_STRING)
		sodium_memzero(v->u.string.bytes, v->u.string.len);
}

bool api_param_id(struct http_req *r, const char *name, int64_t *id)
{
	const char *p = http_param(r, name);
	uint64_t v = 0;

	for (; p != NULL && *p >= '0' && *p <= '9' && v <= MGMT_JSON_INT_MAX; p++)
		v = v * 10 + (uint64_t)(*p - '0');
	if (p == NULL || *p != '\0' || v == 0 || v > MGMT_JSON_INT_MAX ||
	    http_param(r, name)[0] == '0') {
		http_error(r, MHD_HTTP_NOT_FOUND, "not_found", "no such object");
		return false;
	}
	*id = (int64_t)v;
	return true;
}

void api_fail(struct http_req *r, int rc, const char *what)
{
	char msg[128];

	switch (rc) {
	case -ENOENT:
		snprintf(msg, sizeof msg, "no such %s", what);
		http_error(r, MHD_HTTP_NOT_FOUND, "not_found", msg);
		break;
	case -EEXIST:
		snprintf(msg, sizeof msg, "the %s exists already", what);
		http_error(r, MHD_HTTP_CONFLICT, "conflict", msg);
		break;
	case -EINVAL:
		snprintf(msg, sizeof msg, "the %s was refused as invalid", what);
		http_error(r, MHD_HTTP_UNPROCESSABLE_CONTENT, "invalid", msg);
		break;
	case -EPERM:
		snprintf(msg, sizeof msg, "the %s conflicts with another", what);
		http_error(r, MHD_HTTP_CONFLICT, "conflict", msg);
		break;
	case -EACCES:
		http_error(r, MHD_HTTP_FORBIDDEN, "forbidden", "refused");
		break;
	default:
		http_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "store_unavailable",
			   "the database failed");
		break;
	}
}

void api_changed(struct http_req *r, struct model_change *ch)
{
	/* The devices the change touches are woken exactly (their long-polls
	 * answer with the new bundle); without a change, everyone re-checks. */
	if (ch != NULL)
		watch_committed(r->l->m, ch);
	else
		watch_notify(r->l->m);
}

void api_reply(struct http_req *r, unsigned status, struct outbuf *o)
{
	size_t n = outbuf_finish(o);

	if (n == 0) {
		http_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "too_large",
			   "the answer does not fit");
		return;
	}
	http_reply_json(r, status, o->buf, n);
}

void api_reply_secret_qr(struct http_req *r, unsigned status, struct outbuf *o, char *svg,
			 size_t svg_len)
{
	outbuf_puts(o, ",\"qr_svg\":");
	mgmt_json_put_str(o, svg, svg_len);
	outbuf_puts(o, "}\n");
	api_reply(r, status, o);
	sodium_memzero(o->buf, o->cap);
	free(o->buf);
	qr_svg_free(svg, svg_len);
}

void api_put_time(struct outbuf *o, const char *key, int64_t t)
{
	if (t == 0)
		outbuf_printf(o, ",\"%s\":null", key);
	else
		outbuf_printf(o, ",\"%s\":%lld", key, (long long)t);
}

void *api_rows(struct http_req *r, const struct http_page *p, size_t size)
{
	void *rows = calloc(p->limit, size);

	if (rows == NULL)
		http_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "out_of_memory",
			   "no memory for the page");
	return rows;
}

void api_reply_page(struct http_req *r, const struct http_page *p, const void *rows,
		    size_t size, size_t n, api_put_fn put, size_t scanned, int64_t last_id)
{
	size_t cap = (n + 1) * API_ROW_JSON_MAX;
	char *buf = malloc(cap);
	struct outbuf o;

	if (buf == NULL) {
		http_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "out_of_memory",
			   "no memory for the answer");
		return;
	}
	outbuf_init(&o, buf, cap);
	outbuf_puts(&o, "{\"items\":[");
	for (size_t i = 0; i < n; i++) {
		outbuf_puts(&o, i ? "," : "");
		put(&o, (const char *)rows + i * size);
	}
	outbuf_puts(&o, "]");
	http_page_next(&o, p, scanned, last_id);
	outbuf_puts(&o, "}\n");
	api_reply(r, MHD_HTTP_OK, &o);
	free(buf);
}

void api_list(struct http_req *r, int64_t owner, size_t size, api_read_fn read,
	      api_put_fn put, const char *what)
{
	struct http_page p;
	char *rows;
	size_t n = 0;
	int64_t last = 0;
	int rc;

	if (!http_page_parse(r, &p) || (rows = api_rows(r, &p, size)) == NULL)
		return;
	rc = read(r->l->m->store, owner, p.after, p.limit, rows, &n);
	if (n > 0)
		memcpy(&last, rows + (n - 1) * size, sizeof last);
	if (rc < 0)
		api_fail(r, rc, what);
	else
		api_reply_page(r, &p, rows, size, n, put, n, last);
	free(rows);
}

void api_reply_one(struct http_req *r, unsigned status, api_put_fn put, const void *row)
{
	char json[API_JSON_MAX];
	struct outbuf o;

	outbuf_init(&o, json, sizeof json);
	put(&o, row);
	outbuf_puts(&o, "\n");
	api_reply(r, status, &o);
}

void api_changed_row(struct http_req *r, int rc, unsigned status, int64_t id, void *row,
		     api_get_fn get, api_put_fn put, const char *what)
{
	if (rc == 0) {
		/* Committed: the long-polls wake even if the read back fails. */
		api_changed(r, NULL);
		rc = get(r->l->m->store, id, row);
	}
	if (rc < 0)
		api_fail(r, rc, what);
	else
		api_reply_one(r, status, put, row);
}
