/*
 * The handlers of /device/v1/... (docs/management-protocol.md, "Device
 * API"): join, the config long-poll, status, leave, claim-request.  Each
 * starts with device_auth (the request's signature); none trusts the
 * transport.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "core/mesh/name.h"
#include "core/mgmt/jsonio.h"
#include "core/mgmt/text.h"
#include "core/outbuf.h"
#include "mgmt/device.h"
#include "mgmt/mgmtd.h"
#include "mgmt/model_device.h"
#include "mgmt/model_joincode.h"
#include "mgmt/watch.h"

enum {
	REPLY_MAX = 1024,
	STATUS_ENDPOINTS_MAX = 16,
	STATUS_ENDPOINT_LEN = 64,
	JITTER_MAX_S = 9,
};

static int64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void unavailable(struct http_req *r)
{
	http_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "store_unavailable",
		   "the database cannot be read");
}

static void bad_request(struct http_req *r, const char *message)
{
	http_error(r, MHD_HTTP_BAD_REQUEST, "bad_request", message);
}

/* The signature, and a device row for it: else the answer is queued. */
static bool joined(struct http_req *r, struct device_caller *c)
{
	if (!device_auth(r, c))
		return false;
	if (c->id == 0) {
		http_error(r, MHD_HTTP_FORBIDDEN, "not_joined",
			   "no device has this key: join with a code first");
		return false;
	}
	return true;
}

/* A change made by the device: who and when. */
static struct model_op device_op(struct http_req *r, const struct device_caller *c,
				 char *remote)
{
	struct mgmtd *m = r->l->m;

	http_remote(r, remote, HTTP_REMOTE_MAX);
	return (struct model_op){.s = m->store,
				 .who = {.kind = c->id ? MODEL_ACTOR_DEVICE : MODEL_ACTOR_SYSTEM,
					 .id = c->id,
					 .remote = remote},
				 .now_ms = wall_ms(),
				 .pepper = m->keys.pepper};
}

/* obj is an object whose members are all in names[0..n). */
static bool members_in(const struct json_value *obj, const char *const *names, size_t n)
{
	if (obj->type != JSON_OBJECT)
		return false;
	for (size_t i = 0; i < obj->u.object.n; i++) {
		size_t k = 0;

		while (k < n && strcmp(obj->u.object.members[i].name, names[k]) != 0)
			k++;
		if (k == n)
			return false;
	}
	return true;
}

static const struct json_value *member(const struct json_value *obj, const char *name)
{
	for (size_t i = 0; i < obj->u.object.n; i++)
		if (strcmp(obj->u.object.members[i].name, name) == 0)
			return &obj->u.object.members[i].value;
	return NULL;
}

/* An optional "hostname": NULL when absent; false when not a host name nor "". */
static bool opt_hostname(const struct json_value *obj, const char **out)
{
	const struct json_value *v = member(obj, "hostname");

	*out = NULL;
	if (v == NULL)
		return true;
	if (v->type != JSON_STRING)
		return false;
	*out = v->u.string.bytes;
	return v->u.string.len == 0 || mesh_name_valid(v->u.string.bytes, v->u.string.len);
}

/* ---- POST /device/v1/join ----------------------------------------------------- */

static const char *refusal_code(enum model_code_refusal why, unsigned *status)
{
	*status = MHD_HTTP_FORBIDDEN;
	switch (why) {
	case MODEL_CODE_MALFORMED:
		*status = MHD_HTTP_BAD_REQUEST;
		return "join_code_malformed";
	case MODEL_CODE_REVOKED:
		return "join_code_revoked";
	case MODEL_CODE_EXPIRED:
		return "join_code_expired";
	case MODEL_CODE_USED:
		return "join_code_used";
	default:
		return "join_code_unknown";
	}
}

/* "aliases": at most 8 distinct host names, into names[]; false otherwise. */
static bool parse_aliases(const struct json_value *v, const char **names, size_t *n)
{
	if (v->type != JSON_ARRAY || v->u.array.n > MGMT_ALIASES_MAX)
		return false;
	for (size_t i = 0; i < v->u.array.n; i++) {
		const struct json_value *a = &v->u.array.items[i];

		if (a->type != JSON_STRING || !mesh_name_valid(a->u.string.bytes, a->u.string.len))
			return false;
		for (size_t k = 0; k < i; k++)
			if (strcmp(names[k], a->u.string.bytes) == 0)
				return false;
		names[i] = a->u.string.bytes;
	}
	*n = v->u.array.n;
	return true;
}

static void join_answer(struct http_req *r, int64_t id, bool created,
			const struct model_change *ch)
{
	struct model_device dev;
	char json[REPLY_MAX + sizeof dev.aliases];
	struct outbuf o;

	if (model_device_get(r->l->m->store, id, &dev) < 0) {
		unavailable(r);
		return;
	}
	outbuf_init(&o, json, sizeof json);
	outbuf_puts(&o, "{\"device\":");
	mgmt_json_put_addr(&o, dev.address);
	mgmt_json_put_kstr(&o, "hostname", dev.hostname, strlen(dev.hostname));
	outbuf_printf(&o, ",\"aliases\":%s,\"new\":%s,\"epoch\":%lld,\"serial\":%lld}\n",
		      dev.aliases[0] ? dev.aliases : "[]", created ? "true" : "false",
		      (long long)ch->epoch, (long long)ch->serial);
	http_reply_json(r, MHD_HTTP_OK, json, outbuf_finish(&o));
}

void device_post_join(struct http_req *r)
{
	static const char *const names[] = {"code", "hostname", "aliases"};
	struct mgmtd *m = r->l->m;
	struct device_caller c;
	struct json_value root;
	const struct json_value *code, *al;
	const char *aliases[MGMT_ALIASES_MAX];
	size_t n_aliases = 0;
	char remote[HTTP_REMOTE_MAX];
	struct model_change ch = {0}, ch2 = {0};
	enum model_code_refusal why;
	struct model_device_ident ident = {0};
	struct model_op op;
	int64_t id = 0;
	unsigned status;
	int rc;

	if (!device_auth(r, &c) || !http_json_body(r, &root))
		return;
	code = root.type == JSON_OBJECT ? member(&root, "code") : NULL;
	al = root.type == JSON_OBJECT ? member(&root, "aliases") : NULL;
	if (!members_in(&root, names, 3) || code == NULL || code->type != JSON_STRING) {
		bad_request(r, "the body is {\"code\":\"snj_...\"} with an optional hostname "
			       "and aliases, nothing else");
		goto out;
	}
	if (!opt_hostname(&root, &ident.hostname) ||
	    (al != NULL && !parse_aliases(al, aliases, &n_aliases))) {
		http_error(r, MHD_HTTP_BAD_REQUEST, "bad_hostname",
			   "hostname and aliases are host names (1-63 of a-z 0-9 -), at most "
			   "8 distinct aliases");
		goto out;
	}
	memcpy(ident.address, c.address, 16);
	memcpy(ident.pubkey, c.auth.pk, MGMT_PK_LEN);
	op = device_op(r, &c, remote);
	rc = model_joincode_redeem(&op, code->u.string.bytes, &ident, &id, &why, &ch);
	if (rc == -EACCES) {
		const char *what = refusal_code(why, &status);

		http_error(r, status, what, "the join code was refused; nothing changed");
		goto out;
	}
	if (rc == -EPERM) {
		http_error(r, MHD_HTTP_CONFLICT, "address_taken",
			   "a device with this address has another key");
		goto out;
	}
	if (rc == -EINVAL) {
		http_error(r, MHD_HTTP_BAD_REQUEST, "bad_hostname", "the hostname was refused");
		goto out;
	}
	if (rc < 0) {
		unavailable(r);
		goto out;
	}
	if (al != NULL) {
		op.who.kind = MODEL_ACTOR_DEVICE;
		op.who.id = id;
		if (model_device_set_aliases(&op, id, aliases, n_aliases, &ch2) == 0)
			watch_committed(m, &ch2);
	}
	watch_committed(m, &ch);
	if (ch2.serial > ch.serial) {
		ch.epoch = ch2.epoch;
		ch.serial = ch2.serial;
	}
	join_answer(r, id, c.id == 0, &ch);
out:
	json_free(&root);
}

/* ---- GET /device/v1/config ---------------------------------------------------- */

/* "EPOCH.SERIAL" in its one spelling (decimal, no leading zeros). */
static bool version_text(const char *h, uint64_t *epoch, uint64_t *serial)
{
	char back[48];
	unsigned long long e, s;
	char tail;

	if (strlen(h) > 40 || sscanf(h, "%llu.%llu%c", &e, &s, &tail) != 2)
		return false;
	snprintf(back, sizeof back, "%llu.%llu", e, s);
	if (strcmp(back, h) != 0)
		return false;
	*epoch = e;
	*serial = s;
	return true;
}

/* ?have=EPOCH.SERIAL: true (absent: *given false), or false with a 400 queued. */
static bool parse_have(struct http_req *r, bool *given, uint64_t *epoch, uint64_t *serial)
{
	const char *h = http_query(r, "have");

	*given = h != NULL;
	if (h == NULL || version_text(h, epoch, serial))
		return true;
	http_error(r, MHD_HTTP_BAD_REQUEST, "bad_query",
		   "query argument have wants EPOCH.SERIAL of a bundle");
	return false;
}

/* Answer with the bundle if it is newer than have (or have is absent): true if answered. */
static bool config_try(struct http_req *r, int64_t id)
{
	struct mgmtd *m = r->l->m;
	struct device_entry *e = device_entry(m->dev, id);
	uint64_t he = 0, hs = 0;
	bool given;
	int rc;

	if (e == NULL) {
		http_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "busy", "out of memory");
		return true;
	}
	if (!parse_have(r, &given, &he, &hs))
		return true;
	rc = device_bundle(m, e);
	if (rc < 0) {
		unavailable(r);
		return true;
	}
	if (given && e->epoch == he && e->serial == hs)
		return false;
	m->dev->served_bundles++;
	http_reply_shared_json(r, MHD_HTTP_OK, e->env);
	return true;
}

static void config_resume(struct http_req *r)
{
	char key[HTTP_KEY_MAX];
	int64_t id = (int64_t)r->cookie;

	if (r->wake == HTTP_SHUTDOWN) {
		http_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "shutting_down",
			   "the server is stopping");
		return;
	}
	if (config_try(r, id))
		return;
	if (r->wake == HTTP_DEADLINE) {
		http_reply_empty(r);
		return;
	}
	device_wake_key(id, key);
	http_park(r, key, r->deadline_ms, config_resume);
}

void device_get_config(struct http_req *r)
{
	struct device_caller c;
	char key[HTTP_KEY_MAX];
	uint64_t wait, jitter_s;
	int64_t jitter_ms = 0;

	if (!joined(r, &c) ||
	    !http_query_u64(r, "wait", 0, HTTP_WAIT_MAX_S, DEVICE_WAIT_DEFAULT_S, &wait))
		return;
	device_seen(r->l->m, c.id, NULL);
	if (config_try(r, c.id))
		return;
	if (wait == 0) {
		http_reply_empty(r);
		return;
	}
	jitter_s = wait / 5 < JITTER_MAX_S ? wait / 5 : JITTER_MAX_S;
	if (jitter_s > 0)
		jitter_ms = (int64_t)randombytes_uniform((uint32_t)jitter_s * 1000 + 1);
	r->cookie = (uint64_t)c.id;
	device_wake_key(c.id, key);
	http_park(r, key, http_now_ms() + (int64_t)wait * 1000 + jitter_ms, config_resume);
}

/* ---- POST /device/v1/status ----------------------------------------------------- */

static bool printable_ascii(const struct json_value *v, size_t min, size_t max)
{
	if (v == NULL || v->type != JSON_STRING || v->u.string.len < min ||
	    v->u.string.len > max)
		return false;
	for (size_t i = 0; i < v->u.string.len; i++)
		if (v->u.string.bytes[i] < 0x20 || v->u.string.bytes[i] > 0x7e)
			return false;
	return true;
}

static bool int_or_null(const struct json_value *v, bool nullable)
{
	uint64_t u;

	return v != NULL && ((nullable && v->type == JSON_NULL) || json_get_u64(v, &u));
}

static bool status_peer_ok(const struct json_value *p)
{
	static const char *const names[] = {"address", "path", "rtt_ms",
					    "last_handshake_s", "rx", "tx"};
	static const char *const paths[] = {"direct", "relay-udp", "relay-tcp", "none"};
	const struct json_value *path;
	uint8_t a[16];
	bool known = false;

	if (!mgmt_json_exact(p, names, 6) || !mgmt_json_addr(p, "address", a))
		return false;
	path = member(p, "path");
	for (size_t i = 0; i < 4 && path != NULL && path->type == JSON_STRING; i++)
		known |= strcmp(path->u.string.bytes, paths[i]) == 0;
	return known && int_or_null(member(p, "rtt_ms"), true) &&
	       int_or_null(member(p, "last_handshake_s"), true) &&
	       int_or_null(member(p, "rx"), false) && int_or_null(member(p, "tx"), false);
}

/* The status body's shape; NULL when good, else what is wrong. */
static const char *status_problem(const struct json_value *root)
{
	static const char *const names[] = {"applied", "agent", "endpoints", "peers"};
	const struct json_value *applied, *eps, *peers;
	uint64_t e, v;

	if (!mgmt_json_exact(root, names, 4))
		return "the body has exactly applied, agent, endpoints and peers";
	applied = member(root, "applied");
	if (applied == NULL ||
	    (applied->type != JSON_NULL &&
	     (applied->type != JSON_STRING || !version_text(applied->u.string.bytes, &e, &v))))
		return "applied is \"EPOCH.SERIAL\" or null";
	if (!printable_ascii(member(root, "agent"), 1, MODEL_AGENT_MAX))
		return "agent is 1-128 bytes of printable ASCII";
	if (!mgmt_json_array(root, "endpoints", STATUS_ENDPOINTS_MAX, &eps))
		return "endpoints is an array of at most 16 strings";
	for (size_t i = 0; i < eps->u.array.n; i++)
		if (!printable_ascii(&eps->u.array.items[i], 1, STATUS_ENDPOINT_LEN))
			return "an endpoint is 1-64 bytes of printable ASCII";
	if (!mgmt_json_array(root, "peers", MGMT_PEERS_MAX, &peers))
		return "peers is an array of at most 4096 objects";
	for (size_t i = 0; i < peers->u.array.n; i++)
		if (!status_peer_ok(&peers->u.array.items[i]))
			return "a peer has exactly address (fc94::/16), path (direct, "
			       "relay-udp, relay-tcp, none), rtt_ms, last_handshake_s, rx, tx";
	return NULL;
}

/* The peers of a checked status by path (the dashboard's summary). */
static void count_paths(const struct json_value *peers, uint32_t paths[DEVICE_PATHS])
{
	memset(paths, 0, DEVICE_PATHS * sizeof paths[0]);
	for (size_t i = 0; peers != NULL && i < peers->u.array.n; i++) {
		const struct json_value *v = member(&peers->u.array.items[i], "path");
		const char *p = v != NULL ? v->u.string.bytes : "none";

		paths[strcmp(p, "direct") == 0 ? DEVICE_PATH_DIRECT
		      : strcmp(p, "none") == 0 ? DEVICE_PATH_NONE
					       : DEVICE_PATH_RELAYED]++;
	}
}

void device_post_status(struct http_req *r)
{
	struct mgmtd *m = r->l->m;
	struct device_caller c;
	struct json_value root;
	struct device_entry *e;
	const struct json_value *agent;
	const char *problem;
	char *copy;

	if (!joined(r, &c) || !http_json_body(r, &root))
		return;
	problem = status_problem(&root);
	if (problem != NULL) {
		bad_request(r, problem);
		goto out;
	}
	e = device_entry(m->dev, c.id);
	copy = e != NULL ? malloc(r->body_len + 1) : NULL;
	if (copy == NULL) {
		http_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "busy", "out of memory");
		goto out;
	}
	memcpy(copy, r->body, r->body_len + 1);
	free(e->status);
	e->status = copy;
	e->status_len = r->body_len;
	e->status_ms = http_now_ms();
	count_paths(member(&root, "peers"), e->paths);
	agent = member(&root, "agent");
	device_seen(m, c.id, agent != NULL ? agent->u.string.bytes : NULL);
	http_reply_empty(r);
out:
	json_free(&root);
}

/* ---- POST /device/v1/leave ------------------------------------------------------- */

void device_post_leave(struct http_req *r)
{
	struct device_caller c;
	struct model_change ch = {0};
	struct model_op op;
	char remote[HTTP_REMOTE_MAX], json[REPLY_MAX];
	int n;

	if (!joined(r, &c))
		return;
	if (r->body_len != 0 && (r->body_len != 2 || memcmp(r->body, "{}", 2) != 0)) {
		bad_request(r, "leave takes no body (or {})");
		return;
	}
	op = device_op(r, &c, remote);
	if (model_device_leave(&op, c.id, &ch) < 0) {
		unavailable(r);
		return;
	}
	n = snprintf(json, sizeof json, "{\"epoch\":%lld,\"serial\":%lld}\n",
		     (long long)ch.epoch, (long long)ch.serial);
	watch_committed(r->l->m, &ch);
	http_reply_json(r, MHD_HTTP_OK, json, (size_t)n);
}

/* ---- POST /device/v1/claim-request ------------------------------------------------- */

void device_post_claim_request(struct http_req *r)
{
	static const char *const names[] = {"secret_hash", "hostname"};
	struct device_caller c;
	struct json_value root;
	struct model_device_ident ident = {0};
	uint8_t h[MGMT_DIGEST_LEN];
	char remote[HTTP_REMOTE_MAX], json[REPLY_MAX], t[MGMT_TIME_TEXT];
	struct model_op op;
	struct outbuf o;
	int64_t id = 0;
	int rc;

	if (!device_auth(r, &c) || !http_json_body(r, &root))
		return;
	if (!members_in(&root, names, 2) || member(&root, "secret_hash") == NULL ||
	    !mgmt_json_hex(&root, "secret_hash", h, sizeof h)) {
		bad_request(r, "the body is {\"secret_hash\":\"<64 hex>\"} with an optional "
			       "hostname");
		goto out;
	}
	if (!opt_hostname(&root, &ident.hostname)) {
		http_error(r, MHD_HTTP_BAD_REQUEST, "bad_hostname",
			   "hostname is a host name (1-63 of a-z 0-9 -)");
		goto out;
	}
	memcpy(ident.address, c.address, 16);
	memcpy(ident.pubkey, c.auth.pk, MGMT_PK_LEN);
	op = device_op(r, &c, remote);
	rc = model_claim_request_hash(&op, &ident, h, &id);
	if (rc == -EPERM) {
		http_error(r, MHD_HTTP_CONFLICT, "address_taken",
			   "a device with this address has another key");
		goto out;
	}
	if (rc < 0) {
		unavailable(r);
		goto out;
	}
	watch_notify(r->l->m);
	mgmt_time_format(model_now_s(&op) + MODEL_CLAIM_TTL_S, t);
	outbuf_init(&o, json, sizeof json);
	outbuf_puts(&o, "{\"device\":");
	mgmt_json_put_addr(&o, c.address);
	outbuf_printf(&o, ",\"expires_at\":\"%s\"}\n", t);
	http_reply_json(r, MHD_HTTP_OK, json, outbuf_finish(&o));
out:
	json_free(&root);
}
