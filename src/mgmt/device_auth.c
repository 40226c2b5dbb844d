/*
 * The signature of a device request (docs/management-protocol.md, "Device
 * requests"): headers, key, signature over the target as sent, clock, and
 * for a POST the nonce cache.  A refusal is a 401 with the server's time,
 * counted by its reason.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/mesh/identity.h"
#include "mgmt/device.h"
#include "mgmt/mgmtd.h"
#include "mgmt/model_device.h"
#include "mgmt/model_nonce.h"

const char *device_auth_fail_name(enum device_auth_fail f)
{
	static const char *const names[] = {
	    [DEVICE_AUTH_MALFORMED] = "malformed_auth", [DEVICE_AUTH_BAD_KEY] = "bad_key",
	    [DEVICE_AUTH_BAD_SIG] = "bad_signature",	[DEVICE_AUTH_SKEW] = "clock_skew",
	    [DEVICE_AUTH_REPLAY] = "replay",		[DEVICE_AUTH_TOO_OLD] = "nonce_too_old",
	};

	return (unsigned)f < DEVICE_AUTH_FAILS ? names[f] : "?";
}

static uint64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* 401 with Subnetra-Time (MHD adds Date), counted. */
static bool refuse(struct http_req *r, enum device_auth_fail f, const char *message)
{
	char now[24];

	r->l->m->dev->auth_fail[f]++;
	snprintf(now, sizeof now, "%llu", (unsigned long long)wall_ms());
	http_error_hdr(r, MHD_HTTP_UNAUTHORIZED, device_auth_fail_name(f), message, MGMT_HDR_TIME, now);
	return false;
}

static const char *header(struct http_req *r, const char *name, size_t *len)
{
	const char *v = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);

	*len = v != NULL ? strlen(v) : 0;
	return v;
}

/*
 * The database's record of the nonce (model_nonce.h), pruned of expired
 * rows at most every DEVICE_NONCE_PRUNE_MS.  Checked after the memory
 * cache, which refuses a replay to this server without a round trip.
 */
static int shared_nonce(struct mgmtd *m, const struct mgmt_devreq_auth *a, uint64_t now)
{
	struct device_state *d = m->dev;

	if (now - d->nonce_pruned_ms >= DEVICE_NONCE_PRUNE_MS) {
		d->nonce_pruned_ms = now;
		(void)model_nonce_prune(m->store, (int64_t)now);
	}
	return model_nonce_record(m->store, a->pk, a->nonce, (int64_t)a->time_ms);
}

bool device_auth(struct http_req *r, struct device_caller *c)
{
	struct mgmtd *m = r->l->m;
	struct mgmt_devreq_headers h;
	uint64_t now = wall_ms();
	bool post = strcmp(r->method, MHD_HTTP_METHOD_POST) == 0;
	const char *target = r->target != NULL ? r->target : r->url;
	int rc;

	memset(c, 0, sizeof *c);
	h.key = header(r, MGMT_HDR_KEY, &h.key_len);
	h.time = header(r, MGMT_HDR_TIME, &h.time_len);
	h.nonce = header(r, MGMT_HDR_NONCE, &h.nonce_len);
	h.sig = header(r, MGMT_HDR_SIG, &h.sig_len);
	if (!mgmt_devreq_parse(&h, &c->auth))
		return refuse(r, DEVICE_AUTH_MALFORMED,
			      "the Subnetra-Key, -Time, -Nonce and -Sig headers are missing or "
			      "not canonical");
	switch (mgmt_devreq_verify(&c->auth, r->method, strlen(r->method), target,
				   strlen(target), (const uint8_t *)r->body,
				   r->body != NULL ? r->body_len : 0, now)) {
	case MGMT_DEVREQ_OK:
		break;
	case MGMT_DEVREQ_BAD_KEY:
		return refuse(r, DEVICE_AUTH_BAD_KEY, "the key is not a mesh identity key");
	case MGMT_DEVREQ_BAD_SIG:
		return refuse(r, DEVICE_AUTH_BAD_SIG,
			      "the signature does not verify over this request");
	case MGMT_DEVREQ_SKEW:
		return refuse(r, DEVICE_AUTH_SKEW,
			      "Subnetra-Time is more than 300 s from the server's clock "
			      "(Subnetra-Time of this answer: the server's)");
	default:
		return refuse(r, DEVICE_AUTH_MALFORMED,
			      "the method or target cannot be signed");
	}
	if (post) {
		switch (mgmt_nonce_check(&m->dev->nonces, c->auth.pk, c->auth.nonce,
					 c->auth.time_ms, now)) {
		case MGMT_NONCE_FRESH:
			break;
		case MGMT_NONCE_REPLAY:
			return refuse(r, DEVICE_AUTH_REPLAY, "this request was seen before");
		default:
			return refuse(r, DEVICE_AUTH_TOO_OLD,
				      "the nonce cannot be checked: sign again with a fresh time "
				      "and nonce");
		}
		/* New here; maybe not to another server of this database, or before a restart. */
		rc = shared_nonce(m, &c->auth, now);
		if (rc == -EEXIST)
			return refuse(r, DEVICE_AUTH_REPLAY, "this request was seen before");
		if (rc < 0) {
			http_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "store_unavailable",
				   "the database cannot be written");
			return false;
		}
	}
	identity_address(c->auth.pk, c->address);
	rc = device_lookup(m->store, c->address, c->auth.pk, &c->id);
	if (rc < 0 && rc != -ENOENT) {
		http_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "store_unavailable",
			   "the database cannot be read");
		return false;
	}
	return true;
}
