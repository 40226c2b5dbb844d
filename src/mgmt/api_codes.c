/*
 * Join codes and claims: GET/POST /api/v1/join-codes, DELETE
 * /api/v1/join-codes/{id} (revoke), POST /api/v1/claims.  A code's text is
 * in its creation answer only (lists show its prefix); a claim's secret
 * comes from the link's fragment in the body and is never echoed.  A
 * code or claim for a network needs write on it (PERM_NETWORK_WRITE,
 * PERM_CLAIM); without one the device joins the asker's account.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/mgmt/envelope.h"
#include "core/mgmt/jsonio.h"
#include "mgmt/api.h"
#include "mgmt/mgmtd.h"
#include "mgmt/model_joincode.h"
#include "mgmt/model_network.h"
#include "mgmt/qr.h"

static void put_code(struct outbuf *o, const void *row)
{
	const struct model_joincode_info *c = row;

	outbuf_printf(o, "{\"id\":%lld,\"prefix\":\"%s\",\"account\":%lld,", (long long)c->id,
		      c->prefix, (long long)c->account_id);
	if (c->network_id != 0)
		outbuf_printf(o, "\"network\":%lld", (long long)c->network_id);
	else
		outbuf_puts(o, "\"network\":null");
	outbuf_printf(o, ",\"reusable\":%s,\"usage_limit\":%lld,\"used\":%lld",
		      c->reusable ? "true" : "false", (long long)c->usage_limit,
		      (long long)c->used);
	outbuf_printf(o, ",\"hostname_policy\":\"%s\",\"description\":",
		      model_hostname_policy_name(c->policy));
	mgmt_json_put_str(o, c->description, strlen(c->description));
	api_put_time(o, "created_at", c->created_at);
	api_put_time(o, "expires_at", c->expires_at);
	api_put_time(o, "revoked_at", c->revoked_at);
	outbuf_puts(o, "}");
}

static int read_codes(struct store *s, int64_t owner, int64_t after, size_t limit,
		      void *rows, size_t *n)
{
	return model_joincode_list(s, owner, after, limit, rows, n);
}

void api_codes_list(struct http_req *r)
{
	struct api_who w;

	if (api_who(r, &w) && api_may(r, &w, PERM_NETWORK_READ, PERM_REL_OWNER))
		api_list(r, api_is_admin(&w) ? 0 : w.account_id,
			 sizeof(struct model_joincode_info), read_codes, put_code, "join code");
}

/*
 * "network" (optional): the asker's relation to it, checked for action;
 * without one the asker's own account (owner).  false with 4xx queued.
 */
static bool target(struct http_req *r, const struct api_who *w, const struct json_value *root,
		   enum perm_action action, int64_t *network)
{
	enum perm_rel rel = PERM_REL_OWNER;
	uint64_t id = 0;
	int rc;

	if (json_member_get(root, "network") != NULL &&
	    (!mgmt_json_u64(root, "network", MGMT_JSON_INT_MAX, &id) || id == 0)) {
		api_bad_field(r, "network", "wants a network id");
		return false;
	}
	if (id != 0) {
		rc = model_network_relation(w->op.s, w->account_id, (int64_t)id, &rel);
		if (rc < 0) {
			if (rc == -ENOENT)
				api_bad_field(r, "network", "no such network");
			else
				api_fail(r, rc, "network");
			return false;
		}
	}
	*network = (int64_t)id;
	return api_may(r, w, action, rel);
}

/* The optional members of a code's spec: false with 422 queued. */
static bool spec_of(struct http_req *r, const struct json_value *root,
		    struct model_joincode_spec *spec, int64_t now)
{
	const struct json_value *v;
	const char *s;
	size_t len;
	uint64_t u;

	spec->description = "";
	spec->policy = MODEL_HOSTNAME_SUFFIX;
	if ((v = json_member_get(root, "reusable")) != NULL) {
		if (v->type != JSON_BOOL) {
			api_bad_field(r, "reusable", "wants true or false");
			return false;
		}
		spec->reusable = v->u.boolean;
	}
	if (json_member_get(root, "usage_limit") != NULL) {
		if (!mgmt_json_u64(root, "usage_limit", MGMT_JSON_INT_MAX, &u) ||
		    (!spec->reusable && u > 1)) {
			api_bad_field(r, "usage_limit", "wants a count (above 1: reusable only)");
			return false;
		}
		spec->usage_limit = (int64_t)u;
	}
	if (json_member_get(root, "expires_at") != NULL) {
		if (!mgmt_json_u64(root, "expires_at", MGMT_JSON_INT_MAX, &u) ||
		    (int64_t)u <= now) {
			api_bad_field(r, "expires_at", "wants unix seconds in the future");
			return false;
		}
		spec->expires_at = (int64_t)u;
	}
	if (json_member_get(root, "hostname_policy") != NULL &&
	    (!mgmt_json_str(root, "hostname_policy", 1, 32, &s, &len) ||
	     !model_hostname_policy_parse(s, &spec->policy))) {
		api_bad_field(r, "hostname_policy", "wants \"suffix\" or \"replace-offline\"");
		return false;
	}
	if (json_member_get(root, "description") != NULL &&
	    !mgmt_json_str(root, "description", 0, 127, &spec->description, &len)) {
		api_bad_field(r, "description", "wants a string of at most 127 bytes");
		return false;
	}
	return true;
}

/*
 * The creation answer: the code, and a QR code (SVG) of the command that
 * uses it, "subnetra join CODE", for a phone to carry to the device.  Both
 * appear here only and are wiped once queued.
 */
static void reply_code(struct http_req *r, int64_t id, const char *code,
		       const struct model_joincode_spec *spec)
{
	char cmd[sizeof "subnetra join " + MGMT_JOINCODE_LEN], *svg = NULL, *json;
	size_t svg_len = 0, cap;
	struct outbuf o;
	int rc;

	snprintf(cmd, sizeof cmd, "subnetra join %s", code);
	rc = qr_svg(cmd, &svg, &svg_len);
	sodium_memzero(cmd, sizeof cmd);
	cap = API_JSON_MAX + svg_len * 2;
	if (rc < 0 || (json = malloc(cap)) == NULL) {
		/* Committed already: the code without its picture beats no code. */
		http_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "out_of_memory",
			   "the code was made but its answer was not: revoke it");
		qr_svg_free(svg, svg_len);
		return;
	}
	outbuf_init(&o, json, cap);
	outbuf_printf(&o, "{\"id\":%lld,\"code\":\"%s\"", (long long)id, code);
	if (spec->network_id != 0)
		outbuf_printf(&o, ",\"network\":%lld", (long long)spec->network_id);
	else
		outbuf_puts(&o, ",\"network\":null");
	outbuf_printf(&o, ",\"reusable\":%s,\"usage_limit\":%lld,\"hostname_policy\":\"%s\"",
		      spec->reusable ? "true" : "false", (long long)spec->usage_limit,
		      model_hostname_policy_name(spec->policy));
	api_put_time(&o, "expires_at", spec->expires_at);
	api_reply_secret_qr(r, MHD_HTTP_CREATED, &o, svg, svg_len);
}

void api_codes_create(struct http_req *r)
{
	static const char *const names[] = {"network",	       "reusable",   "usage_limit",
					    "expires_at",      "hostname_policy",
					    "description"};
	struct api_who w;
	struct json_value root;
	struct model_joincode_spec spec = {0};
	uint8_t fpr[MGMT_FPR_LEN];
	char code[MGMT_JOINCODE_LEN + 1];
	int64_t id;
	int rc;

	if (!api_who(r, &w) || !api_body(r, &root, names, 6))
		return;
	if (!target(r, &w, &root, PERM_NETWORK_WRITE, &spec.network_id) ||
	    !spec_of(r, &root, &spec, model_now_s(&w.op)))
		goto done;
	mgmt_key_fingerprint(r->l->m->keys.pk, fpr);
	rc = model_joincode_create(&w.op, w.account_id, fpr, &spec, code, &id);
	if (rc < 0) {
		api_fail(r, rc, "join code");
		goto done;
	}
	api_changed(r, NULL);
	reply_code(r, id, code, &spec);
	sodium_memzero(code, sizeof code);
done:
	json_free(&root);
}

void api_codes_revoke(struct http_req *r)
{
	struct api_who w;
	struct model_joincode_info c;
	size_t n = 0;
	int64_t id;
	int rc;

	if (!api_who(r, &w) || !api_param_id(r, "id", &id))
		return;
	rc = model_joincode_list(w.op.s, 0, id - 1, 1, &c, &n);
	if (rc == 0 && (n == 0 || c.id != id))
		rc = -ENOENT;
	if (rc < 0) {
		api_fail(r, rc, "join code");
		return;
	}
	if (!api_may(r, &w, PERM_NETWORK_WRITE,
		     c.account_id == w.account_id ? PERM_REL_OWNER : PERM_REL_NONE))
		return;
	rc = model_joincode_revoke(&w.op, id);
	if (rc < 0) {
		api_fail(r, rc, "live join code");
		return;
	}
	api_changed(r, NULL);
	http_reply_empty(r);
}

void api_claims_create(struct http_req *r)
{
	static const char *const names[] = {"secret", "network"};
	struct api_who w;
	struct json_value root;
	struct model_change ch = {0};
	const char *secret;
	size_t len;
	int64_t network, device;
	char json[128];
	int rc;

	if (!api_who(r, &w) || !api_body(r, &root, names, 2))
		return;
	if (!target(r, &w, &root, PERM_CLAIM, &network))
		goto done;
	if (!mgmt_json_str(&root, "secret", 1, MODEL_CLAIM_TEXT - 1, &secret, &len)) {
		api_bad_field(r, "secret", "wants the claim link's secret");
		goto done;
	}
	rc = model_claim_redeem(&w.op, secret, network, &device, &ch);
	if (rc < 0) {
		api_fail(r, rc, "claim request (unknown or expired)");
		goto done;
	}
	api_changed(r, &ch);
	snprintf(json, sizeof json, "{\"device\":%lld}\n", (long long)device);
	http_reply_json(r, MHD_HTTP_OK, json, strlen(json));
done:
	api_wipe_member(&root, "secret");
	json_free(&root);
}
