/* license.json's payload and the device's acceptance rules (see license.h). */
#include "core/mgmt/license.h"

#include <string.h>

#include "core/json.h"
#include "core/mesh/identity.h"
#include "core/mgmt/jsonio.h"
#include "core/mgmt/text.h"
#include "core/outbuf.h"

static bool url_ok(const char *s, size_t len)
{
	if (len == 0)
		return true;
	if (!(len > 7 && memcmp(s, "http://", 7) == 0) &&
	    !(len > 8 && memcmp(s, "https://", 8) == 0))
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] <= 0x20 || s[i] >= 0x7f)
			return false;
	}
	return true;
}

static bool base_ok(const struct mgmt_base_server *b)
{
	size_t len = strnlen(b->host, sizeof(b->host));

	return len < sizeof(b->host) && mesh_host_problem(b->host, len) == NULL &&
	       b->udp_port != 0 && b->tcp_port != 0 &&
	       identity_pk_acceptable(b->public_key);
}

bool mgmt_license_check(const struct mgmt_license *l)
{
	size_t name_len = strnlen(l->name, sizeof(l->name));
	size_t url_len = strnlen(l->dashboard_url, sizeof(l->dashboard_url));

	if (name_len == 0 || name_len > MGMT_TITLE_MAX || !mgmt_text_printable(l->name, name_len) ||
	    url_len > MGMT_URL_MAX || !url_ok(l->dashboard_url, url_len) ||
	    l->serial > MGMT_JSON_INT_MAX || l->max_devices > MGMT_JSON_INT_MAX ||
	    l->issued < 0 || l->issued >= l->valid_until || !identity_address_in_overlay(l->websetup_host) ||
	    l->n_api < 1 || l->n_api > MGMT_SERVERS_MAX || l->n_base < 1 ||
	    l->n_base > MGMT_SERVERS_MAX || l->n_keys < 1 || l->n_keys > MGMT_KEYS_MAX)
		return false;
	/* the time texts: 1970..9999 */
	if (l->valid_until > 253402300799LL)
		return false;
	for (size_t i = 0; i < l->n_api; i++) {
		if (!identity_address_in_overlay(l->api_servers[i]))
			return false;
	}
	for (size_t i = 0; i < l->n_base; i++) {
		if (!base_ok(&l->base_servers[i]))
			return false;
	}
	for (size_t i = 0; i < l->n_keys; i++) {
		for (size_t k = 0; k < i; k++) {
			if (memcmp(l->signing_keys[i], l->signing_keys[k], MGMT_PK_LEN) == 0)
				return false;
		}
	}
	return true;
}

size_t mgmt_license_encode(const struct mgmt_license *l, char *out, size_t cap)
{
	struct outbuf o;

	outbuf_init(&o, out, cap);
	if (!mgmt_license_check(l))
		return outbuf_finish(&o);
	mgmt_json_put_type_v1(&o, MGMT_TYPE_LICENSE);
	mgmt_json_put_khex(&o, "instance", l->instance, MGMT_INSTANCE_LEN);
	mgmt_json_put_kstr(&o, "name", l->name, strlen(l->name));
	mgmt_json_put_ku64(&o, "serial", l->serial);
	mgmt_json_put_ktime(&o, "issued", l->issued);
	mgmt_json_put_ktime(&o, "valid_until", l->valid_until);
	mgmt_json_put_kstr(&o, "dashboard_url", l->dashboard_url, strlen(l->dashboard_url));
	mgmt_json_put_kaddr(&o, "websetup_host", l->websetup_host);
	mgmt_json_put_key(&o, false, "api_servers");
	for (size_t i = 0; i < l->n_api; i++) {
		outbuf_put(&o, i == 0 ? "[" : ",", 1);
		mgmt_json_put_addr(&o, l->api_servers[i]);
	}
	outbuf_put(&o, "]", 1);
	mgmt_json_put_key(&o, false, "base_servers");
	for (size_t i = 0; i < l->n_base; i++) {
		const struct mgmt_base_server *b = &l->base_servers[i];

		outbuf_put(&o, i == 0 ? "[{" : ",{", 2);
		mgmt_json_put_key(&o, true, "host");
		mgmt_json_put_str(&o, b->host, strlen(b->host));
		mgmt_json_put_ku64(&o, "udp_port", b->udp_port);
		mgmt_json_put_ku64(&o, "tcp_port", b->tcp_port);
		mgmt_json_put_khex(&o, "public_key", b->public_key, MGMT_PK_LEN);
		outbuf_put(&o, "}", 1);
	}
	outbuf_put(&o, "]", 1);
	mgmt_json_put_ku64(&o, "max_devices", l->max_devices);
	mgmt_json_put_key(&o, false, "signing_keys");
	for (size_t i = 0; i < l->n_keys; i++) {
		char hex[2 * MGMT_PK_LEN + 1];

		outbuf_put(&o, i == 0 ? "[" : ",", 1);
		mgmt_hex_encode(hex, l->signing_keys[i], MGMT_PK_LEN);
		mgmt_json_put_str(&o, hex, 2 * MGMT_PK_LEN);
	}
	outbuf_put(&o, "]}", 2);
	return outbuf_finish(&o);
}

static const char *const license_members[] = {
	"type",		 "v",		  "instance",	  "name",	  "serial",
	"issued",	 "valid_until",	  "dashboard_url", "websetup_host", "api_servers",
	"base_servers", "max_devices", "signing_keys",
};

static const char *const base_members[] = { "host", "udp_port", "tcp_port", "public_key" };

/* A string member copied into out[cap] with its NUL. */
static bool copy_str(const struct json_value *obj, const char *name, size_t min, size_t max,
		     char *out)
{
	const char *s;
	size_t len;

	if (!mgmt_json_str(obj, name, min, max, &s, &len))
		return false;
	memcpy(out, s, len);
	out[len] = '\0';
	return true;
}

static bool decode_base(const struct json_value *v, struct mgmt_base_server *b)
{
	uint64_t udp, tcp;

	if (!mgmt_json_exact(v, base_members, 4) ||
	    !copy_str(v, "host", 1, MESH_HOST_NAME_MAX, b->host) ||
	    !mgmt_json_u64(v, "udp_port", UINT16_MAX, &udp) ||
	    !mgmt_json_u64(v, "tcp_port", UINT16_MAX, &tcp) ||
	    !mgmt_json_hex(v, "public_key", b->public_key, MGMT_PK_LEN))
		return false;
	b->udp_port = (uint16_t)udp;
	b->tcp_port = (uint16_t)tcp;
	return true;
}

static bool decode_tree(const struct json_value *root, struct mgmt_license *l)
{
	const struct json_value *api, *base, *keys;

	if (!mgmt_json_exact(root, license_members,
			     sizeof(license_members) / sizeof(license_members[0])) ||
	    !mgmt_json_type_v1(root, MGMT_TYPE_LICENSE) ||
	    !mgmt_json_hex(root, "instance", l->instance, MGMT_INSTANCE_LEN) ||
	    !copy_str(root, "name", 1, MGMT_TITLE_MAX, l->name) ||
	    !mgmt_json_u64(root, "serial", MGMT_JSON_INT_MAX, &l->serial) ||
	    !mgmt_json_time(root, "issued", &l->issued) ||
	    !mgmt_json_time(root, "valid_until", &l->valid_until) ||
	    !copy_str(root, "dashboard_url", 0, MGMT_URL_MAX, l->dashboard_url) ||
	    !mgmt_json_addr(root, "websetup_host", l->websetup_host) ||
	    !mgmt_json_array(root, "api_servers", MGMT_SERVERS_MAX, &api) ||
	    !mgmt_json_array(root, "base_servers", MGMT_SERVERS_MAX, &base) ||
	    !mgmt_json_u64(root, "max_devices", MGMT_JSON_INT_MAX, &l->max_devices) ||
	    !mgmt_json_array(root, "signing_keys", MGMT_KEYS_MAX, &keys))
		return false;
	l->n_api = api->u.array.n;
	for (size_t i = 0; i < l->n_api; i++) {
		if (!mgmt_json_addr_value(&api->u.array.items[i], l->api_servers[i]))
			return false;
	}
	l->n_base = base->u.array.n;
	for (size_t i = 0; i < l->n_base; i++) {
		if (!decode_base(&base->u.array.items[i], &l->base_servers[i]))
			return false;
	}
	l->n_keys = keys->u.array.n;
	for (size_t i = 0; i < l->n_keys; i++) {
		const struct json_value *k = &keys->u.array.items[i];

		if (k->type != JSON_STRING ||
		    !mgmt_hex_decode(k->u.string.bytes, k->u.string.len, l->signing_keys[i],
				     MGMT_PK_LEN))
			return false;
	}
	return mgmt_license_check(l);
}

bool mgmt_license_decode(const uint8_t *payload, size_t len, struct mgmt_license *l)
{
	struct json_value root = { .type = JSON_NULL };
	struct json_error jerr;
	bool ok;

	memset(l, 0, sizeof(*l));
	if (len > MGMT_PAYLOAD_MAX || memchr(payload, '\0', len) != NULL ||
	    !json_parse((const char *)payload, len, JSON_PLAIN_KEYS, &root, &jerr))
		return false;
	ok = decode_tree(&root, l);
	json_free(&root);
	if (!ok)
		memset(l, 0, sizeof(*l));
	return ok;
}

void mgmt_trust_init(struct mgmt_trust *t, const uint8_t fingerprint[MGMT_FPR_LEN])
{
	memset(t, 0, sizeof(*t));
	memcpy(t->fingerprint, fingerprint, MGMT_FPR_LEN);
}

void mgmt_trust_init_first_use(struct mgmt_trust *t)
{
	memset(t, 0, sizeof(*t));
	t->first_use = true;
}

const char *mgmt_license_verdict_name(enum mgmt_license_verdict v)
{
	static const char *const names[MGMT_LICENSE_VERDICTS] = {
		[MGMT_LICENSE_NEWER] = "newer",
		[MGMT_LICENSE_SAME] = "same",
		[MGMT_LICENSE_ENVELOPE] = "envelope",
		[MGMT_LICENSE_MALFORMED] = "malformed",
		[MGMT_LICENSE_FOREIGN_KEY] = "foreign_key",
		[MGMT_LICENSE_FOREIGN] = "foreign_instance",
		[MGMT_LICENSE_STALE] = "stale",
		[MGMT_LICENSE_CONFLICT] = "conflict",
		[MGMT_LICENSE_EXPIRED] = "expired",
		[MGMT_LICENSE_NOT_YET] = "not_yet_valid",
	};

	return (unsigned)v < MGMT_LICENSE_VERDICTS ? names[v] : "?";
}

/*
 * Before anything is pinned the envelope names a key the device does not
 * know yet: the payload is decoded first (untrusted, only to find the key),
 * and the key of its signing_keys whose fingerprint the join code carries
 * is the one the signature must verify under.
 */
static enum mgmt_license_verdict bootstrap_keys(const struct mgmt_trust *t,
						const struct mgmt_envelope *env,
						struct mgmt_license *l, struct mgmt_keyset *ks)
{
	uint8_t fpr[MGMT_FPR_LEN];

	mgmt_keyset_init(ks);
	if (!mgmt_license_decode(env->payload, env->payload_len, l))
		return MGMT_LICENSE_MALFORMED;
	for (size_t i = 0; i < l->n_keys; i++) {
		uint8_t id[MGMT_KEY_ID_LEN];
		bool match;

		if (t->first_use) {
			mgmt_key_id(l->signing_keys[i], id);
			match = memcmp(id, env->key_id, MGMT_KEY_ID_LEN) == 0;
		} else {
			mgmt_key_fingerprint(l->signing_keys[i], fpr);
			match = memcmp(fpr, t->fingerprint, MGMT_FPR_LEN) == 0;
		}
		if (match) {
			mgmt_keyset_add(ks, l->signing_keys[i]);
			return MGMT_LICENSE_NEWER;
		}
	}
	return MGMT_LICENSE_FOREIGN_KEY;
}

enum mgmt_license_verdict mgmt_license_accept(struct mgmt_trust *t, const char *text,
					      size_t len, int64_t now, bool clock_good,
					      uint8_t *work, size_t work_cap,
					      struct mgmt_license *l,
					      enum mgmt_env_verdict *env_verdict)
{
	struct mgmt_envelope env;
	struct mgmt_keyset bootstrap;
	const struct mgmt_keyset *ks = &t->keys;
	struct mgmt_version got = { 0 };
	enum mgmt_env_verdict ev;
	enum mgmt_license_verdict v = MGMT_LICENSE_ENVELOPE;

	ev = mgmt_envelope_parse(text, len, MGMT_DOMAIN_LICENSE, work, work_cap, &env);
	if (ev == MGMT_ENV_OK && !t->pinned) {
		v = bootstrap_keys(t, &env, l, &bootstrap);
		if (v != MGMT_LICENSE_NEWER)
			goto refused;
		ks = &bootstrap;
	}
	if (ev == MGMT_ENV_OK)
		ev = mgmt_envelope_verify(&env, ks, NULL);
	if (ev != MGMT_ENV_OK) {
		v = MGMT_LICENSE_ENVELOPE;
		goto refused;
	}
	/* Signed by a key we trust: from here on the payload is the instance's word. */
	if (!mgmt_license_decode(env.payload, env.payload_len, l)) {
		v = MGMT_LICENSE_MALFORMED;
		goto refused;
	}
	if (t->pinned && memcmp(l->instance, t->instance, MGMT_INSTANCE_LEN) != 0) {
		v = MGMT_LICENSE_FOREIGN;
		goto refused;
	}
	if (clock_good && now >= l->valid_until) {
		v = MGMT_LICENSE_EXPIRED;
		goto refused;
	}
	if (clock_good && now < l->issued - MGMT_CLOCK_SLACK_S) {
		v = MGMT_LICENSE_NOT_YET;
		goto refused;
	}
	got.serial = l->serial;
	mgmt_payload_digest(env.payload, env.payload_len, got.digest);
	switch (mgmt_version_compare(t->pinned ? &t->license : NULL, &got)) {
	case MGMT_VERSION_NEWER:
		break;
	case MGMT_VERSION_SAME:
		v = MGMT_LICENSE_SAME;
		goto out;
	case MGMT_VERSION_CONFLICT:
		v = MGMT_LICENSE_CONFLICT;
		goto refused;
	case MGMT_VERSION_STALE:
		v = MGMT_LICENSE_STALE;
		goto refused;
	}
	/* Rotation: whatever pinned key signed it, its own list is pinned now. */
	t->pinned = true;
	t->first_use = false;
	memcpy(t->instance, l->instance, MGMT_INSTANCE_LEN);
	mgmt_keyset_init(&t->keys);
	for (size_t i = 0; i < l->n_keys; i++)
		mgmt_keyset_add(&t->keys, l->signing_keys[i]);
	t->license = got;
	v = MGMT_LICENSE_NEWER;
out:
	if (env_verdict != NULL)
		*env_verdict = ev;
	return v;
refused:
	memset(l, 0, sizeof(*l));
	if (env_verdict != NULL)
		*env_verdict = ev;
	return v;
}
