/*
 * The device's management state machine (client.h).  Order of a bundle's
 * handling is what keeps a reboot safe: verify, save the envelope, then
 * apply; a bundle that cannot be saved is not applied (the next poll
 * brings it again).
 */
#include "agent/client.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "agent/agentstate.h"
#include "core/json.h"
#include "core/mesh/identity.h"
#include "core/mgmt/devreq.h"
#include "core/mgmt/httpreq.h"
#include "core/mgmt/jsonio.h"
#include "core/mgmt/text.h"

const char *mgmt_refusal_name(enum mgmt_refusal r)
{
	static const char *const names[MGMT_REFUSALS] = {
		[MGMT_REF_BAD_SIGNATURE] = "bad_signature",
		[MGMT_REF_MALFORMED] = "malformed",
		[MGMT_REF_STALE] = "stale",
		[MGMT_REF_CONFLICT] = "conflict",
		[MGMT_REF_FOREIGN_DEVICE] = "foreign_device",
		[MGMT_REF_FOREIGN_INSTANCE] = "foreign_instance",
		[MGMT_REF_EXPIRED] = "expired",
		[MGMT_REF_HTTP] = "http",
	};
	return (unsigned)r < MGMT_REFUSALS ? names[r] : "?";
}

static void backoff(struct mgmt_client *c, uint64_t now_ns, enum mgmt_refusal why,
		    const char *what)
{
	uint64_t half;

	c->refused[why]++;
	snprintf(c->last_error, sizeof(c->last_error), "%s", what);
	c->backoff_ns = c->backoff_ns ? c->backoff_ns * 2 : MGMT_BACKOFF_MIN_NS;
	if (c->backoff_ns > MGMT_BACKOFF_MAX_NS)
		c->backoff_ns = MGMT_BACKOFF_MAX_NS;
	/* +-50 %: uniform in [b/2, 3b/2) */
	half = c->backoff_ns / 2;
	c->next_ns = now_ns + half + (uint64_t)randombytes_uniform((uint32_t)(c->backoff_ns / 1000)) * 1000;
}

int mgmt_client_init(struct mgmt_client *c, const struct mgmt_store *store, const char *url,
		     const char *code, const char *hostname, const uint8_t sk[MGMT_SK_LEN],
		     const uint8_t device[16],
		     void (*apply)(void *ctx, const struct mgmt_bundle *b), void *ctx)
{
	const char *why;
	struct mgmt_joincode jc;
	int rc;

	memset(c, 0, sizeof(*c));
	c->store = *store;
	c->apply = apply;
	c->ctx = ctx;
	c->wait_s = 50;
	memcpy(c->sk, sk, MGMT_SK_LEN);
	memcpy(c->device, device, 16);
	if (hostname && hostname[0] && !mesh_name_valid(hostname, strlen(hostname))) {
		snprintf(c->last_error, sizeof(c->last_error), "not a host name");
		return -EINVAL;
	}
	snprintf(c->hostname, sizeof(c->hostname), "%s", hostname ? hostname : "");
	why = mgmt_url_parse(url, strlen(url), &c->url);
	if (why) {
		snprintf(c->last_error, sizeof(c->last_error), "management URL %s", why);
		return -EINVAL;
	}
	memset(&c->server, 0, sizeof(c->server));
	if (c->url.ipv6) {
		c->server.v6.sin6_family = AF_INET6;
		c->server.v6.sin6_port = htons(c->url.port);
		rc = inet_pton(AF_INET6, c->url.host, &c->server.v6.sin6_addr);
	} else {
		c->server.v4.sin_family = AF_INET;
		c->server.v4.sin_port = htons(c->url.port);
		rc = inet_pton(AF_INET, c->url.host, &c->server.v4.sin_addr);
	}
	if (rc != 1) {
		snprintf(c->last_error, sizeof(c->last_error),
			 "management URL: the host must be an IP address");
		return -EINVAL;
	}
	mgmt_url_host_header(&c->url, c->host_header, sizeof(c->host_header));
	if (code && strncmp(code, MGMT_CLIENT_CLAIM, strlen(MGMT_CLIENT_CLAIM)) == 0) {
		const char *hex = code + strlen(MGMT_CLIENT_CLAIM);

		if (strlen(hex) != 2 * sizeof(c->claim_secret) ||
		    !mgmt_hex_decode(hex, strlen(hex), c->claim_secret, sizeof(c->claim_secret))) {
			snprintf(c->last_error, sizeof(c->last_error), "not a claim secret");
			return -EINVAL;
		}
		if (!c->url.ipv6 || !identity_address_in_overlay(c->server.v6.sin6_addr.s6_addr)) {
			snprintf(c->last_error, sizeof(c->last_error),
				 "a claim needs the server's overlay address as its URL "
				 "(http://[fc94:...]:PORT/), which the mesh authenticates; "
				 "otherwise join with a code");
			return -EINVAL;
		}
		c->have_code = true;
		c->claim = true;
		mgmt_trust_init_first_use(&c->trust);
	} else if (code) {
		if (!mgmt_joincode_parse(code, strlen(code), &jc)) {
			snprintf(c->last_error, sizeof(c->last_error), "not a join code");
			return -EINVAL;
		}
		c->have_code = true;
		snprintf(c->code, sizeof(c->code), "%s", code);
		mgmt_trust_init(&c->trust, jc.fingerprint);
		sodium_memzero(&jc, sizeof(jc));
	} else {
		rc = mgmt_store_load_trust(&c->store, &c->trust, c->last_error,
					   sizeof(c->last_error));
		if (rc < 0)
			return rc;
	}
	c->bundle = malloc(sizeof(*c->bundle));
	c->work = malloc(MGMT_WORK_MAX);
	c->req = malloc(HTTP_REQ_MAX + 1);
	c->aux_req = malloc(HTTP_REQ_MAX + 1);
	if (!c->bundle || !c->work || !c->req || !c->aux_req ||
	    mgmt_httpc_init(&c->http, HTTP_REQ_MAX + 1, MGMT_ENVELOPE_MAX) < 0 ||
	    mgmt_httpc_init(&c->aux, HTTP_REQ_MAX + 1, MGMT_AUX_RESP_MAX) < 0) {
		mgmt_client_free(c);
		return -ENOMEM;
	}
	/*
	 * The last good license and bundle, verified again (into the response
	 * buffer, unused yet): the license names the servers at once, the
	 * bundle is applied.
	 */
	if (c->trust.pinned &&
	    mgmt_store_load_license(&c->store, &c->trust, (char *)c->http.resp, c->work,
				    &c->license, c->last_error, sizeof(c->last_error)) == 0)
		c->have_license = true;
	if (c->trust.pinned &&
	    mgmt_store_load_bundle(&c->store, &c->trust, c->device, (char *)c->http.resp, c->work,
				   &c->st, c->bundle, c->last_error,
				   sizeof(c->last_error)) == 0) {
		c->applied++;
		if (c->apply)
			c->apply(c->ctx, c->bundle);
	}
	c->stage = MGMT_STAGE_LICENSE;
	return 0;
}

void mgmt_client_free(struct mgmt_client *c)
{
	mgmt_httpc_free(&c->http);
	mgmt_httpc_free(&c->aux);
	free(c->bundle);
	free(c->work);
	free(c->req);
	free(c->aux_req);
	c->bundle = NULL;
	c->work = NULL;
	c->req = NULL;
	c->aux_req = NULL;
	sodium_memzero(c->sk, sizeof(c->sk));
	sodium_memzero(c->code, sizeof(c->code));
	sodium_memzero(c->claim_secret, sizeof(c->claim_secret));
}


/* A signed device request into out (HTTP_REQ_MAX + 1 bytes): its length, or 0. */
static size_t sign_request(const struct mgmt_client *c, char *out, const char *method,
			   const char *target, const char *body, size_t blen, uint64_t wall_ms)
{
	struct mgmt_devreq_auth a;
	struct mgmt_devreq_text t;
	uint8_t nonce[MGMT_NONCE_LEN];

	randombytes_buf(nonce, sizeof(nonce));
	wall_ms = (uint64_t)((int64_t)wall_ms + c->clock_offset_ms);
	if (mgmt_devreq_sign(c->sk, method, strlen(method), target, strlen(target), wall_ms,
			     nonce, (const uint8_t *)body, blen, &a) < 0)
		return 0;
	mgmt_devreq_format(&a, &t);
	return http_req_format(out, HTTP_REQ_MAX + 1, method, c->host_header, target, &t,
			       (const uint8_t *)body, blen);
}

/* The request of the current stage into c->req: its length, or 0. */
static size_t build(struct mgmt_client *c, uint64_t wall_ms)
{
	char target[MGMT_REQ_TARGET_MAX + 1], body[256];
	const char *method = "GET";
	size_t blen = 0;

	switch (c->stage) {
	case MGMT_STAGE_LICENSE:
		return http_req_format(c->req, HTTP_REQ_MAX + 1, "GET", c->host_header,
				       c->url.path, NULL, NULL, 0);
	case MGMT_STAGE_JOIN:
		method = "POST";
		if (c->claim) {
			uint8_t h[32];
			char hex[2 * sizeof(h) + 1];

			/* the server keeps a keyed hash of this hash, never the secret */
			crypto_generichash(h, sizeof(h), c->claim_secret, sizeof(c->claim_secret),
					   NULL, 0);
			mgmt_hex_encode(hex, h, sizeof(h));
			snprintf(target, sizeof(target), "/device/v1/claim-request");
			blen = (size_t)snprintf(body, sizeof(body), "{\"secret_hash\":\"%s\"%s%s%s}",
						hex, c->hostname[0] ? ",\"hostname\":\"" : "",
						c->hostname, c->hostname[0] ? "\"" : "");
			break;
		}
		snprintf(target, sizeof(target), "/device/v1/join");
		blen = (size_t)snprintf(body, sizeof(body), "{\"code\":\"%s\",\"hostname\":\"%s\"}",
					c->code, c->hostname);
		break;
	case MGMT_STAGE_POLL:
		if (c->st.have)
			snprintf(target, sizeof(target),
				 "/device/v1/config?have=%" PRIu64 ".%" PRIu64 "&wait=%u",
				 c->st.applied.epoch, c->st.applied.serial, c->wait_s);
		else
			snprintf(target, sizeof(target), "/device/v1/config?wait=%u", c->wait_s);
		break;
	}
	blen = sign_request(c, c->req, method, target, body, blen, wall_ms);
	sodium_memzero(body, sizeof(body));
	return blen;
}

void mgmt_client_tick(struct mgmt_client *c, uint64_t now_ns, uint64_t wall_ms)
{
	size_t n;
	int rc;

	if (c->http.state != MGMT_HTTPC_IDLE) {
		if (mgmt_httpc_tick(&c->http, now_ns) == MGMT_HTTPC_ERR) {
			mgmt_httpc_close(&c->http);
			backoff(c, now_ns, MGMT_REF_HTTP, "request timed out");
		}
		return;
	}
	if (now_ns < c->next_ns || c->join_refused)
		return;
	n = build(c, wall_ms);
	rc = n ? mgmt_httpc_start(&c->http, &c->server, c->req, n,
				  now_ns + MGMT_EXCHANGE_NS + (uint64_t)c->wait_s * MGMT_BACKOFF_MIN_NS)
	       : -EINVAL;
	if (rc < 0)
		backoff(c, now_ns, MGMT_REF_HTTP, "cannot connect to the management server");
}

static enum mgmt_refusal license_refusal(enum mgmt_license_verdict v)
{
	switch (v) {
	case MGMT_LICENSE_ENVELOPE:
	case MGMT_LICENSE_FOREIGN_KEY:
		return MGMT_REF_BAD_SIGNATURE;
	case MGMT_LICENSE_FOREIGN:
		return MGMT_REF_FOREIGN_INSTANCE;
	case MGMT_LICENSE_STALE:
		return MGMT_REF_STALE;
	case MGMT_LICENSE_CONFLICT:
		return MGMT_REF_CONFLICT;
	case MGMT_LICENSE_EXPIRED:
	case MGMT_LICENSE_NOT_YET:
		return MGMT_REF_EXPIRED;
	default:
		return MGMT_REF_MALFORMED;
	}
}

static enum mgmt_refusal bundle_refusal(enum mgmt_bundle_verdict v)
{
	switch (v) {
	case MGMT_BUNDLE_ENVELOPE:
		return MGMT_REF_BAD_SIGNATURE;
	case MGMT_BUNDLE_FOREIGN:
		return MGMT_REF_FOREIGN_INSTANCE;
	case MGMT_BUNDLE_OTHER_DEVICE:
		return MGMT_REF_FOREIGN_DEVICE;
	case MGMT_BUNDLE_STALE:
		return MGMT_REF_STALE;
	case MGMT_BUNDLE_CONFLICT:
		return MGMT_REF_CONFLICT;
	default:
		return MGMT_REF_MALFORMED;
	}
}

/*
 * A 401 with the server's time (Subnetra-Time, unix ms): when it differs
 * from ours by more than the signature window allows, keep the offset and
 * say so (true: sign again at once).
 */
static bool clock_corrected(struct mgmt_client *c, uint64_t wall_ms)
{
	const char *v;
	size_t n;
	uint64_t server = 0;
	int64_t off;

	if (c->http.r.status != 401)
		return false;
	v = http_resp_header(c->http.resp, &c->http.r, MGMT_HDR_TIME, &n);
	if (!v || n == 0 || n > MGMT_REQ_TIME_DIGITS)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return false;
		server = server * 10 + (uint64_t)(v[i] - '0');
	}
	off = (int64_t)server - (int64_t)wall_ms;
	if (mgmt_devreq_time_ok((uint64_t)((int64_t)wall_ms + c->clock_offset_ms), server))
		return false; /* our signed time was good: the 401 is about something else */
	c->clock_offset_ms = off;
	snprintf(c->last_error, sizeof(c->last_error),
		 "clock off by %" PRId64 " ms from the server's: corrected", off);
	return true;
}

void mgmt_client_join_hostname(const char *body, size_t len, char out[MGMT_NAME_MAX + 1])
{
	struct json_value root;
	struct json_error jerr;
	const char *s;
	size_t n;

	out[0] = '\0';
	if (!json_parse(body, len, 0, &root, &jerr))
		return;
	if (mgmt_json_str(&root, "hostname", 1, MGMT_NAME_MAX, &s, &n) && mesh_name_valid(s, n))
		snprintf(out, MGMT_NAME_MAX + 1, "%.*s", (int)n, s);
	json_free(&root);
}

/* A whole answer to the current stage's request. */
static void answered(struct mgmt_client *c, uint64_t now_ns, uint64_t wall_ms)
{
	const struct http_resp *r = &c->http.r;
	const char *body = (const char *)c->http.resp + r->body_off;
	struct mgmt_license lic;
	char err[160];

	c->last_contact_ns = now_ns;
	if (c->stage == MGMT_STAGE_LICENSE && r->status == 200) {
		/* our clock is good enough for the validity window within 24 h of the server's Date */
		int64_t wall_s = ((int64_t)wall_ms + c->clock_offset_ms) / 1000;
		bool clock_good = r->date >= 0 && wall_s - r->date <= MGMT_CLOCK_AGREE_S &&
				  r->date - wall_s <= MGMT_CLOCK_AGREE_S;
		enum mgmt_license_verdict v;

		/*
		 * Off by more than the slack (but within the 24 h): the server's
		 * clock, as a 401's Subnetra-Time would correct it, for the window
		 * and for every request signed from now on (a device some hours
		 * off would otherwise find a fresh license not yet valid, and
		 * never get as far as a signed request).
		 */
		if (clock_good && (r->date - wall_s > MGMT_CLOCK_SLACK_S ||
				   wall_s - r->date > MGMT_CLOCK_SLACK_S)) {
			c->clock_offset_ms += (r->date - wall_s) * 1000;
			snprintf(c->last_error, sizeof(c->last_error),
				 "clock off by %" PRId64 " s from the server's Date: corrected",
				 r->date - wall_s);
			wall_s = r->date;
		}
		v = mgmt_license_accept(&c->trust, body, r->body_len, wall_s, clock_good, c->work,
					MGMT_WORK_MAX, &lic, NULL);

		if (v != MGMT_LICENSE_NEWER && v != MGMT_LICENSE_SAME) {
			enum mgmt_refusal why = license_refusal(v);

			backoff(c, now_ns, why, mgmt_license_verdict_name(v));
			/*
			 * Another instance's license, or one not signed under the
			 * code's key, will not change: the join is over.  An
			 * expired one (a clock, a server about to renew) is tried
			 * again.
			 */
			if (c->have_code && why != MGMT_REF_EXPIRED && why != MGMT_REF_STALE &&
			    why != MGMT_REF_CONFLICT) {
				c->join_refused = true;
				snprintf(c->join_error, sizeof(c->join_error),
					 "license refused: %s", mgmt_license_verdict_name(v));
			}
			return;
		}
		c->license = lic;
		c->have_license = true;
		if (v == MGMT_LICENSE_NEWER &&
		    (mgmt_store_save_envelope(&c->store, MGMT_STORE_LICENSE, body, r->body_len, err,
					      sizeof(err)) < 0 ||
		     mgmt_store_save_trust(&c->store, &c->trust, err, sizeof(err)) < 0))
			snprintf(c->last_error, sizeof(c->last_error), "%s", err);
		if (!clock_good)
			snprintf(c->last_error, sizeof(c->last_error),
				 "license validity not checked: no server Date within 24 h of our clock");
		c->stage = c->have_code ? MGMT_STAGE_JOIN : MGMT_STAGE_POLL;
	} else if (c->stage == MGMT_STAGE_JOIN && r->status >= 400 && r->status < 500 &&
		   r->status != 401) {
		/* the code itself was refused: trying it again changes nothing */
		c->join_refused = true;
		mgmt_client_error_text(&c->http, c->join_error, sizeof(c->join_error));
		backoff(c, now_ns, MGMT_REF_HTTP, c->join_error);
		return;
	} else if (c->stage == MGMT_STAGE_JOIN && r->status == 200) {
		mgmt_client_join_hostname(body, r->body_len, c->join_hostname);
		c->joined = true;
		c->have_code = false;
		sodium_memzero(c->code, sizeof(c->code));
		sodium_memzero(c->claim_secret, sizeof(c->claim_secret));
		c->stage = MGMT_STAGE_POLL;
	} else if (c->stage == MGMT_STAGE_POLL && r->status == 200) {
		struct mgmt_bundle_state st = c->st;
		enum mgmt_bundle_verdict v =
			mgmt_bundle_accept(&st, &c->trust.keys, c->trust.instance, c->device, body,
					   r->body_len, c->work, MGMT_WORK_MAX, c->bundle, NULL,
					   NULL);

		if (v == MGMT_BUNDLE_NEWER) {
			/* saved before applied: a reboot comes back to this bundle */
			if (mgmt_store_save_envelope(&c->store, MGMT_STORE_BUNDLE, body, r->body_len,
						     err, sizeof(err)) < 0) {
				backoff(c, now_ns, MGMT_REF_HTTP, err);
				return;
			}
			c->st = st;
			c->wait_s = c->bundle->wait_s;
			c->applied++;
			if (c->apply)
				c->apply(c->ctx, c->bundle);
			/*
			 * The bundle names a newer license than ours (the instance's
			 * settings changed: base servers, management address, name):
			 * fetch it before the next poll.
			 */
			if (c->trust.pinned && c->bundle->license_serial > c->trust.license.serial)
				c->stage = MGMT_STAGE_LICENSE;
		} else if (v != MGMT_BUNDLE_SAME) {
			backoff(c, now_ns, bundle_refusal(v), mgmt_bundle_verdict_name(v));
			return;
		}
	} else if (clock_corrected(c, wall_ms)) {
		c->next_ns = now_ns;
		return;
	} else if (!(c->stage == MGMT_STAGE_POLL && r->status == 204)) {
		char what[160];

		mgmt_client_error_text(&c->http, what, sizeof(what));
		backoff(c, now_ns, MGMT_REF_HTTP, what);
		return;
	}
	c->backoff_ns = 0;
	c->next_ns = now_ns; /* the next request at once (a poll holds itself open) */
}

void mgmt_client_event(struct mgmt_client *c, uint64_t now_ns, uint64_t wall_ms)
{
	enum mgmt_httpc_result res = mgmt_httpc_step(&c->http);

	if (res == MGMT_HTTPC_PENDING)
		return;
	if (res == MGMT_HTTPC_OK)
		answered(c, now_ns, wall_ms);
	else
		backoff(c, now_ns, MGMT_REF_HTTP, strerror(-c->http.err));
	mgmt_httpc_close(&c->http);
}

void mgmt_client_error_text(const struct mgmt_httpc *h, char *out, size_t cap)
{
	const char *body = (const char *)h->resp + h->r.body_off;
	const struct json_value *e, *code, *msg;
	struct json_value root;
	struct json_error jerr;

	snprintf(out, cap, "HTTP status %d", h->r.status);
	if (h->r.body_len == 0 || !json_parse(body, h->r.body_len, 0, &root, &jerr))
		return;
	e = json_member_get(&root, "error");
	code = e != NULL ? json_member_get(e, "code") : NULL;
	msg = e != NULL ? json_member_get(e, "message") : NULL;
	if (code != NULL && code->type == JSON_STRING && msg != NULL && msg->type == JSON_STRING) {
		char c1[64], m1[128], tail[24];
		int room;

		agent_text_copy(c1, sizeof(c1), code->u.string.bytes, code->u.string.len);
		agent_text_copy(m1, sizeof(m1), msg->u.string.bytes, msg->u.string.len);
		/* the message cut to fit, never the code or the status (fuzz_agent_answers) */
		snprintf(tail, sizeof(tail), " (HTTP %d)", h->r.status);
		room = (int)cap - (int)strlen(c1) - 2 - (int)strlen(tail) - 1;
		if (room >= 0)
			snprintf(out, cap, "%s: %.*s%s", c1, room, m1, tail);
	}
	json_free(&root);
}

int mgmt_client_post(struct mgmt_client *c, enum mgmt_aux_kind kind, const char *body,
		     size_t len, uint64_t now_ns, uint64_t wall_ms)
{
	const char *target = kind == MGMT_AUX_LEAVE ? "/device/v1/leave" : "/device/v1/status";
	size_t n;
	int rc;

	if (c->aux.state != MGMT_HTTPC_IDLE)
		return -EBUSY;
	n = sign_request(c, c->aux_req, "POST", target, body, len, wall_ms);
	if (n == 0)
		return -EMSGSIZE;
	c->aux_kind = kind;
	c->aux_result = MGMT_AUX_PENDING;
	c->aux_error[0] = '\0';
	rc = mgmt_httpc_start(&c->aux, &c->server, c->aux_req, n, now_ns + MGMT_EXCHANGE_NS);
	if (rc < 0) {
		c->aux_result = MGMT_AUX_FAILED;
		snprintf(c->aux_error, sizeof(c->aux_error), "cannot connect: %s", strerror(-rc));
	}
	return rc;
}

static void aux_done(struct mgmt_client *c, enum mgmt_httpc_result res)
{
	if (res == MGMT_HTTPC_OK && (c->aux.r.status == 200 || c->aux.r.status == 204)) {
		c->aux_result = MGMT_AUX_OK;
	} else {
		c->aux_result = MGMT_AUX_FAILED;
		if (res == MGMT_HTTPC_OK)
			mgmt_client_error_text(&c->aux, c->aux_error, sizeof(c->aux_error));
		else
			snprintf(c->aux_error, sizeof(c->aux_error), "%s", strerror(-c->aux.err));
	}
	mgmt_httpc_close(&c->aux);
}

void mgmt_client_aux_event(struct mgmt_client *c)
{
	enum mgmt_httpc_result res = mgmt_httpc_step(&c->aux);

	if (res != MGMT_HTTPC_PENDING)
		aux_done(c, res);
}

void mgmt_client_aux_tick(struct mgmt_client *c, uint64_t now_ns)
{
	if (c->aux.state != MGMT_HTTPC_IDLE &&
	    mgmt_httpc_tick(&c->aux, now_ns) == MGMT_HTTPC_ERR)
		aux_done(c, MGMT_HTTPC_ERR);
}
