/*
 * The admin REST API (/api/v1, the TLS listener): the parts every resource
 * group (api_*.c) shares.  Every handler runs the same steps, in order:
 *
 *   1. api_who: who asks.  "Authorization: Bearer snt_..." (a token: its
 *      scope caps its account's rights), else the "snt_session" cookie
 *      (a browser session: every method but GET/HEAD must also carry
 *      X-Subnetra-CSRF, the session's CSRF token, or it is refused 403
 *      before anything is read).  Neither, or a bad, expired or revoked
 *      one: 401.
 *   2. the body, strictly (api_body): a JSON object of known members
 *      only; an unknown or ill-typed member is 422 naming the member.
 *   3. the object: 404 when it does not exist; then api_may, the
 *      permission matrix (model_perm.h) with the asker's relation to it:
 *      403 when refused.
 *   4. the model call (one transaction, one audit row whose remote address
 *      is the request's), then api_changed (watch_notify: parked
 *      long-polls wake) and the JSON answer.
 *
 * Model errors map to honest statuses (api_fail): -ENOENT 404, -EEXIST
 * 409, -EINVAL 422, -EPERM 409, -EACCES 403, others 503.
 */
#ifndef SUBNETRA_MGMT_API_H
#define SUBNETRA_MGMT_API_H

#include <stdbool.h>
#include <stdint.h>

#include <sodium.h>

#include "core/mgmt/secret.h"
#include "core/outbuf.h"
#include "mgmt/http.h"
#include "mgmt/model.h"
#include "mgmt/model_perm.h"
#include "mgmt/model_ratelimit.h"

#define API_SESSION_COOKIE "snt_session"
#define API_CSRF_HEADER	   "X-Subnetra-CSRF"

enum {
	API_JSON_MAX = 4096,		 /* an answer of one object */
	API_ROW_JSON_MAX = 2048,	 /* one row of a list, at most */
	/* Sign-in rate limits: per client address, per account address. */
	API_LOGIN_IP_BURST = 20,
	API_LOGIN_IP_REFILL_MS = 3000,
	API_LOGIN_ACCOUNT_BURST = 5,
	API_LOGIN_ACCOUNT_REFILL_MS = 30000,
	API_PASSWORD_MIN = 12,
	API_PASSWORD_MAX = 256,
};

/* Who asks, and the model_op their changes are made with. */
struct api_who {
	struct model_op op;
	struct perm_actor perm;
	int64_t account_id;
	bool session; /* a browser session (else a token) */
	char csrf[2 * 32 + 1];
	uint8_t session_hash[MGMT_SECRET_HASH_LEN]; /* its key as stored (model_session.id_hash) */
	char remote[HTTP_REMOTE_MAX];
};

struct login_limits;
void api_logins_init(struct login_limits *ll);

/* An op with no actor yet (sign-in), its remote the request's. */
void api_anon(struct http_req *r, struct api_who *w);
/* Step 1: true, or false with 401/403 queued. */
bool api_who(struct http_req *r, struct api_who *w);
/* Step 3: true, or false with 403 queued. */
bool api_may(struct http_req *r, const struct api_who *w, enum perm_action a,
	     enum perm_rel rel);
/* Admins relate to everything as owners: the relation to ask with. */
bool api_is_admin(const struct api_who *w);

/*
 * Step 2: the body as an object whose members are among names[0..n);
 * false with 400/415/422 queued.  json_free *root on success.
 */
bool api_body(struct http_req *r, struct json_value *root, const char *const *names,
	      size_t n);
/* Wipe a string member's bytes (a password, a secret) before json_free. */
void api_wipe_member(struct json_value *root, const char *name);
/* A member's type was wrong or its value out of range: 422 naming it. */
void api_bad_field(struct http_req *r, const char *name, const char *why);
/* A path parameter that is a row id (1..2^53-1): false with 404 queued. */
bool api_param_id(struct http_req *r, const char *name, int64_t *id);
/* A model error, mapped (see above); what names the object. */
void api_fail(struct http_req *r, int rc, const char *what);
/* A change committed: wake the long-polls; ch (may be NULL) freed. */
void api_changed(struct http_req *r, struct model_change *ch);
/* Queue o's text as a status answer (500 if it overflowed). */
void api_reply(struct http_req *r, unsigned status, struct outbuf *o);

/* One row of a list as JSON. */
typedef void (*api_put_fn)(struct outbuf *o, const void *row);
/*
 * A page answer: {"items":[put(rows[0]),...],"next_cursor":...}; the cursor
 * from the page's last id (next is the count of rows the page looked at,
 * for lists filtered after the read, else n).
 */
void api_reply_page(struct http_req *r, const struct http_page *p, const void *rows,
		    size_t size, size_t n, api_put_fn put, size_t scanned, int64_t last_id);
/*
 * A page of rows read by read (owner: its filter, 0 for all) and answered:
 * ?limit and ?cursor parsed here.  Every model row struct starts with its
 * int64_t id, which the cursor is.
 */
typedef int (*api_read_fn)(struct store *s, int64_t owner, int64_t after, size_t limit,
			   void *rows, size_t *n);
void api_list(struct http_req *r, int64_t owner, size_t size, api_read_fn read,
	      api_put_fn put, const char *what);
/* One row as the answer: put(row) and a newline. */
void api_reply_one(struct http_req *r, unsigned status, api_put_fn put, const void *row);
/*
 * The end of a change of one row: rc < 0 answered by api_fail (what),
 * else the long-polls woken and the row (read by get) answered.
 */
typedef int (*api_get_fn)(struct store *s, int64_t id, void *row);
void api_changed_row(struct http_req *r, int rc, unsigned status, int64_t id, void *row,
		     api_get_fn get, api_put_fn put, const char *what);
/* rows for a page of limit rows of size bytes (free it), or NULL with 503 queued. */
void *api_rows(struct http_req *r, const struct http_page *p, size_t size);

/*
 * The end of an answer that shows a secret once: ,"qr_svg":svg} appended
 * to o (whose buf the caller malloc'd), answered, then o's buffer and svg
 * (qr.h) wiped and freed.
 */
void api_reply_secret_qr(struct http_req *r, unsigned status, struct outbuf *o, char *svg,
			 size_t svg_len);

/* JSON fragments shared by groups. */
void api_put_time(struct outbuf *o, const char *key, int64_t t); /* 0: null */

/* ---- handlers (the route table's, http_routes.c) ------------------------- */
void api_login(struct http_req *r);	       /* api_auth.c */
void api_logout(struct http_req *r);
void api_me(struct http_req *r);
void api_me_password(struct http_req *r);     /* api_me.c */
void api_me_totp_get(struct http_req *r);
void api_me_totp_begin(struct http_req *r);
void api_me_totp_confirm(struct http_req *r);
void api_me_totp_disable(struct http_req *r);
void api_accounts_list(struct http_req *r);    /* api_accounts.c */
void api_accounts_create(struct http_req *r);
void api_accounts_patch(struct http_req *r);
void api_tokens_list(struct http_req *r);
void api_tokens_create(struct http_req *r);
void api_tokens_revoke(struct http_req *r);
void api_networks_list(struct http_req *r);    /* api_networks.c */
void api_networks_create(struct http_req *r);
void api_networks_get(struct http_req *r);
void api_networks_patch(struct http_req *r);
void api_networks_delete(struct http_req *r);
void api_networks_share_put(struct http_req *r);
void api_networks_share_delete(struct http_req *r);
void api_networks_attach(struct http_req *r);
void api_networks_detach(struct http_req *r);
void api_devices_list(struct http_req *r);     /* api_devices.c */
void api_devices_get(struct http_req *r);
void api_devices_patch(struct http_req *r);
void api_devices_delete(struct http_req *r);
void api_codes_list(struct http_req *r);       /* api_codes.c */
void api_codes_create(struct http_req *r);
void api_codes_revoke(struct http_req *r);
void api_claims_create(struct http_req *r);
void api_audit_list(struct http_req *r);       /* api_audit.c */

#endif
