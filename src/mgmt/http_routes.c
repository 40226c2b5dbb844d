/*
 * The route table of both listeners, and the handlers that are not a data
 * model's: health, the OpenAPI document, license.json and the events
 * long-poll.  A route added here is added to docs/api/openapi.yaml too
 * (t_mgmtd_http checks that both list the same routes).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "core/mgmt/envelope.h"
#include "core/mgmt/jsonio.h"
#include "core/outbuf.h"
#include "core/version.h"
#include "mgmt/api.h"
#include "mgmt/device.h"
#include "mgmt/mgmtd.h"
#include "mgmt/model_joincode.h"
#include "mgmt/model_network.h"
#include "mgmt/settings.h"
#include "mgmt/store.h"
#include "mgmt/pwpool.h"
#include "mgmt/ui.h"
#include "mgmt/watch.h"
#include "openapi_yaml.h"

enum { EVENTS_WAIT_DEFAULT_S = 25, JSON_SMALL = 256, JSON_HEALTH = 1024 };

static void get_healthz(struct http_req *r)
{
	struct mgmtd *m = r->l->m;
	char json[JSON_HEALTH];
	struct pwpool_stats pw;
	int v, n;

	/* A read of the database header: the store is really there. */
	if (store_version(m->store, &v) < 0) {
		http_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "store_unavailable",
			   "the database cannot be read");
		return;
	}
	pwpool_stats(m->pw, &pw);
	n = snprintf(json, sizeof json,
		     "{\"status\":\"ok\",\"version\":\"%s\",\"schema_version\":%d,"
		     "\"listener\":\"%s\",\"waiting\":%zu,"
		     "\"password_checks\":{\"busy\":%u,\"done\":%llu,\"refused\":%llu},"
		     "\"devices\":",
		     SUBNETRA_VERSION, v, r->l->name, m->parking.n, pw.busy, pw.done, pw.refused);
	n += (int)device_summary(m, json + n, sizeof json - (size_t)n - 3);
	n += snprintf(json + n, sizeof json - (size_t)n, ",\"feed\":");
	n += (int)feed_summary(m, json + n, sizeof json - (size_t)n - 3);
	n += snprintf(json + n, sizeof json - (size_t)n, "}\n");
	http_reply_json(r, MHD_HTTP_OK, json, (size_t)n);
}

static void get_openapi(struct http_req *r)
{
	http_reply(r, MHD_HTTP_OK, "application/yaml", openapi_yaml, sizeof openapi_yaml);
}

/*
 * The license of the current settings: made again only when the serial
 * moved (the bytes are a function of the settings and the key), renewed
 * once half its validity has passed.
 */
static void get_license(struct http_req *r)
{
	struct mgmtd *m = r->l->m;
	struct settings st;
	struct mgmt_license l;
	char why[SETTINGS_WHY_MAX];
	int64_t now = (int64_t)time(NULL);
	bool renewed = false;
	size_t len;
	int rc;

	rc = settings_load(m->store, &st, why, sizeof why);
	if (rc == 0 && st.serial != 0 &&
	    now - st.issued >= (int64_t)st.valid_days * 86400 / 2) {
		rc = settings_renew(m->store, now, &renewed);
		if (rc == 0 && renewed) {
			watch_notify(m);
			rc = settings_load(m->store, &st, why, sizeof why);
		}
	}
	if (rc < 0) {
		http_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "store_unavailable",
			   "the settings cannot be read");
		return;
	}
	if (m->license_len == 0 || m->license_serial != st.serial) {
		rc = settings_license(&st, &m->keys, &l, m->license_text,
				      MGMT_ENVELOPE_MAX, &len, why, sizeof why);
		if (rc < 0) {
			http_error(r, MHD_HTTP_SERVICE_UNAVAILABLE,
				   rc == -EAGAIN ? "not_configured" : "internal", why);
			return;
		}
		m->license_len = len;
		m->license_serial = st.serial;
	}
	http_reply_json(r, MHD_HTTP_OK, m->license_text, m->license_len);
}

static void events_answer(struct http_req *r, const struct watch_cursor *c)
{
	char json[JSON_SMALL], cur[48];
	int n;

	watch_format(c, cur, sizeof cur);
	n = snprintf(json, sizeof json,
		     "{\"cursor\":\"%s\",\"audit\":%llu,\"license_serial\":%llu}\n", cur,
		     (unsigned long long)c->audit, (unsigned long long)c->serial);
	http_reply_json(r, MHD_HTTP_OK, json, (size_t)n);
}

/* The cursor of ?after= (absent: *given false). */
static bool events_after(struct http_req *r, struct watch_cursor *after, bool *given)
{
	const char *a = http_query(r, "after");

	*given = a != NULL;
	if (a != NULL && !watch_parse(a, after)) {
		http_error(
		    r, MHD_HTTP_BAD_REQUEST, "bad_query",
		    "query argument after wants a cursor (AUDIT.SERIAL) from an earlier "
		    "answer");
		return false;
	}
	return true;
}

static void events_resume(struct http_req *r)
{
	struct watch_cursor after, now;
	bool given;

	if (r->wake == HTTP_SHUTDOWN) {
		http_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "shutting_down",
			   "the server is stopping");
		return;
	}
	if (!events_after(r, &after, &given))
		return;
	if (watch_read(r->l->m->store, &now) < 0) {
		http_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "store_unavailable",
			   "the database cannot be read");
		return;
	}
	if (!watch_equal(&now, &after))
		events_answer(r, &now);
	else if (r->wake == HTTP_DEADLINE)
		http_reply_empty(r);
	else
		http_park(r, WAKE_EVENTS, r->deadline_ms, events_resume);
}

/*
 * GET /api/v1/events?after=CURSOR&wait=S: the current cursor at once when
 * it is not after's (or after is absent); else parked until it moves
 * (200) or S seconds pass (204).
 */
static void get_events(struct http_req *r)
{
	struct watch_cursor after, now;
	uint64_t wait;
	bool given;

	if (!events_after(r, &after, &given) ||
	    !http_query_u64(r, "wait", 0, HTTP_WAIT_MAX_S, EVENTS_WAIT_DEFAULT_S, &wait))
		return;
	if (watch_read(r->l->m->store, &now) < 0) {
		http_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "store_unavailable",
			   "the database cannot be read");
		return;
	}
	if (!given || !watch_equal(&now, &after))
		events_answer(r, &now);
	else if (wait == 0)
		http_reply_empty(r);
	else
		http_park(r, WAKE_EVENTS, http_now_ms() + (int64_t)wait * 1000,
			  events_resume);
}

/*
 * Test routes (HTTP_ROUTE_TEST: served only when the server was started
 * with SUBNETRA_MGMTD_TEST_ROUTES=1, which it logs): the framework's parts
 * that no real endpoint exercises yet, for t_mgmtd_http.
 *
 * POST /api/v1/_test/echo/{a}/{b}?q=: the params, q, the client's address
 * and the JSON body's type and size.
 */
static void test_echo(struct http_req *r)
{
	static const char *const kinds[] = {"null",   "bool",  "int",	"number",
					    "string", "array", "object"};
	struct json_value root;
	char json[1024], remote[HTTP_REMOTE_MAX];
	const char *q = http_query(r, "q");
	struct outbuf o;

	if (!http_json_body(r, &root))
		return;
	http_remote(r, remote, sizeof remote);
	outbuf_init(&o, json, sizeof json);
	outbuf_puts(&o, "{\"a\":");
	mgmt_json_put_str(&o, http_param(r, "a"), strlen(http_param(r, "a")));
	outbuf_puts(&o, ",\"b\":");
	mgmt_json_put_str(&o, http_param(r, "b"), strlen(http_param(r, "b")));
	outbuf_puts(&o, ",\"q\":");
	if (q != NULL)
		mgmt_json_put_str(&o, q, strlen(q));
	else
		outbuf_puts(&o, "null");
	outbuf_printf(&o, ",\"remote\":\"%s\",\"type\":\"%s\",\"bytes\":%zu}\n", remote,
		      kinds[root.type], r->body_len);
	json_free(&root);
	if (outbuf_finish(&o) == 0) {
		http_error(r, MHD_HTTP_UNPROCESSABLE_CONTENT, "too_long",
			   "the parameters do not fit the answer");
		return;
	}
	http_reply_json(r, MHD_HTTP_OK, json, o.len);
}

/* GET /api/v1/_test/page?limit=&cursor=: a page of the ids 1..TEST_ROWS. */
enum { TEST_ROWS = 120 };
static void test_page(struct http_req *r)
{
	char json[8192];
	struct http_page p;
	struct outbuf o;
	size_t rows = 0;
	int64_t id = 0;

	if (!http_page_parse(r, &p))
		return;
	outbuf_init(&o, json, sizeof json);
	outbuf_puts(&o, "{\"items\":[");
	for (id = p.after + 1; id <= TEST_ROWS && rows < p.limit; id++, rows++)
		outbuf_printf(&o, "%s%lld", rows ? "," : "", (long long)id);
	outbuf_puts(&o, "]");
	http_page_next(&o, &p, rows, id - 1 < TEST_ROWS ? id - 1 : 0);
	outbuf_puts(&o, "}\n");
	http_reply_json(r, MHD_HTTP_OK, json, outbuf_finish(&o));
}

/*
 * POST /api/v1/_test/joincode {"network":NAME|null,"reusable":B,"expires_in":S}:
 * a join code of account 1 (init's admin) into the network NAME (made if
 * new), expiring S seconds from now (0: never; negative: already), for
 * t_mgmtd_device until the admin API makes codes.
 */
static void test_joincode(struct http_req *r)
{
	struct mgmtd *m = r->l->m;
	struct json_value root;
	const struct json_value *net = NULL, *reuse = NULL, *exp = NULL;
	struct model_joincode_spec spec = {.policy = MODEL_HOSTNAME_SUFFIX};
	struct model_op op = {.s = m->store,
			      .who = {.kind = MODEL_ACTOR_SYSTEM},
			      .now_ms = (int64_t)time(NULL) * 1000,
			      .pepper = m->keys.pepper};
	struct model_network rows[MODEL_PAGE_MAX];
	uint8_t fpr[MGMT_FPR_LEN];
	char code[MGMT_JOINCODE_LEN + 1], json[256];
	int64_t id = 0, expires = 0;
	size_t n = 0;
	int rc = 0;

	if (!http_json_body(r, &root))
		return;
	for (size_t i = 0; root.type == JSON_OBJECT && i < root.u.object.n; i++) {
		const struct json_member *mb = &root.u.object.members[i];

		if (strcmp(mb->name, "network") == 0)
			net = &mb->value;
		else if (strcmp(mb->name, "reusable") == 0)
			reuse = &mb->value;
		else if (strcmp(mb->name, "expires_in") == 0)
			exp = &mb->value;
	}
	spec.reusable = reuse != NULL && reuse->type == JSON_BOOL && reuse->u.boolean;
	if (exp != NULL && json_get_i64(exp, &expires) && expires != 0)
		spec.expires_at = model_now_s(&op) + expires;
	if (net != NULL && net->type == JSON_STRING) {
		rc = model_network_create(&op, 1, net->u.string.bytes, &spec.network_id);
		if (rc == -EEXIST) {
			rc = model_network_list(m->store, 1, 0, MODEL_PAGE_MAX, rows, &n);
			for (size_t i = 0; rc == 0 && i < n; i++)
				if (strcmp(rows[i].name, net->u.string.bytes) == 0)
					spec.network_id = rows[i].id;
		}
	}
	json_free(&root);
	mgmt_key_fingerprint(m->keys.pk, fpr);
	if (rc == 0)
		rc = model_joincode_create(&op, 1, fpr, &spec, code, &id);
	if (rc < 0) {
		http_error(r, MHD_HTTP_UNPROCESSABLE_CONTENT, "refused", "the model refused");
		return;
	}
	watch_notify(m);
	n = (size_t)snprintf(json, sizeof json, "{\"code\":\"%s\",\"network_id\":%lld}\n",
			     code, (long long)spec.network_id);
	sodium_memzero(code, sizeof code);
	http_reply_json(r, MHD_HTTP_OK, json, n);
}

#define BOTH  (1u << HTTP_ADMIN | 1u << HTTP_DEVICE)
#define ADMIN (1u << HTTP_ADMIN)
#define TEST  (ADMIN | HTTP_ROUTE_TEST)
#define DEVICE (1u << HTTP_DEVICE)
/* The dashboard's files (ui.c): on the admin listener, not part of the API document. */
#define UI ADMIN

const struct http_route http_routes[] = {
    {"GET", "/healthz", BOTH, get_healthz},
    {"GET", "/license.json", BOTH, get_license},
    {"GET", "/", UI, ui_get_index},
    {"GET", "/claim", UI, ui_get_index},
    {"GET", "/ui/{file}", UI, ui_get_asset},
    {"GET", "/api/v1/openapi.yaml", ADMIN, get_openapi},
    {"GET", "/api/v1/events", ADMIN, get_events},
    /* ---- the admin REST API (api_*.c) ---- */
    {"POST", "/api/v1/login", ADMIN, api_login},
    {"POST", "/api/v1/logout", ADMIN, api_logout},
    {"GET", "/api/v1/me", ADMIN, api_me},
    {"POST", "/api/v1/me/password", ADMIN, api_me_password},
    {"GET", "/api/v1/me/totp", ADMIN, api_me_totp_get},
    {"POST", "/api/v1/me/totp", ADMIN, api_me_totp_begin},
    {"POST", "/api/v1/me/totp/confirm", ADMIN, api_me_totp_confirm},
    {"POST", "/api/v1/me/totp/disable", ADMIN, api_me_totp_disable},
    {"GET", "/api/v1/accounts", ADMIN, api_accounts_list},
    {"POST", "/api/v1/accounts", ADMIN, api_accounts_create},
    {"PATCH", "/api/v1/accounts/{id}", ADMIN, api_accounts_patch},
    {"GET", "/api/v1/tokens", ADMIN, api_tokens_list},
    {"POST", "/api/v1/tokens", ADMIN, api_tokens_create},
    {"DELETE", "/api/v1/tokens/{id}", ADMIN, api_tokens_revoke},
    {"GET", "/api/v1/networks", ADMIN, api_networks_list},
    {"POST", "/api/v1/networks", ADMIN, api_networks_create},
    {"GET", "/api/v1/networks/{id}", ADMIN, api_networks_get},
    {"PATCH", "/api/v1/networks/{id}", ADMIN, api_networks_patch},
    {"DELETE", "/api/v1/networks/{id}", ADMIN, api_networks_delete},
    {"PUT", "/api/v1/networks/{id}/shares/{account}", ADMIN, api_networks_share_put},
    {"DELETE", "/api/v1/networks/{id}/shares/{account}", ADMIN, api_networks_share_delete},
    {"PUT", "/api/v1/networks/{id}/devices/{address}", ADMIN, api_networks_attach},
    {"DELETE", "/api/v1/networks/{id}/devices/{address}", ADMIN, api_networks_detach},
    {"GET", "/api/v1/devices", ADMIN, api_devices_list},
    {"GET", "/api/v1/devices/{id}", ADMIN, api_devices_get},
    {"PATCH", "/api/v1/devices/{id}", ADMIN, api_devices_patch},
    {"DELETE", "/api/v1/devices/{id}", ADMIN, api_devices_delete},
    {"GET", "/api/v1/join-codes", ADMIN, api_codes_list},
    {"POST", "/api/v1/join-codes", ADMIN, api_codes_create},
    {"DELETE", "/api/v1/join-codes/{id}", ADMIN, api_codes_revoke},
    {"POST", "/api/v1/claims", ADMIN, api_claims_create},
    {"GET", "/api/v1/audit", ADMIN, api_audit_list},
    /* ---- end of the admin REST API ---- */
    {"POST", "/api/v1/_test/echo/{a}/{b}", TEST, test_echo},
    {"GET", "/api/v1/_test/page", TEST, test_page},
    {"POST", "/api/v1/_test/joincode", TEST, test_joincode},
    /* the device API (device_api.c): signed by the device, on the device listener */
    {"POST", "/device/v1/join", DEVICE, device_post_join},
    {"GET", "/device/v1/config", DEVICE, device_get_config},
    {"POST", "/device/v1/status", DEVICE, device_post_status},
    {"POST", "/device/v1/leave", DEVICE, device_post_leave},
    {"POST", "/device/v1/claim-request", DEVICE, device_post_claim_request},
};

const size_t http_route_count = sizeof http_routes / sizeof http_routes[0];
