/* A device's config bundle (see bundle.h). */
#include "core/mgmt/bundle.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "core/mesh/identity.h"
#include "core/mesh/name.h"
#include "core/mgmt/jsonio.h"
#include "core/outbuf.h"

/* ---- which entries stay ---------------------------------------------------- */

/* Peer entries as mark_peers sees them: each begins with its address. */
struct entries {
	const uint8_t *base;
	size_t stride;
};

/* b's peers as entries. */
static struct entries peer_entries(const struct mgmt_bundle *b)
{
	_Static_assert(offsetof(struct mgmt_peer, address) == 0, "an entry begins with its address");
	return (struct entries){(const uint8_t *)b->peers, sizeof b->peers[0]};
}

static const uint8_t *address_at(const struct entries *e, size_t i)
{
	return e->base + i * e->stride;
}

static int by_address(const void *a, const void *b, void *arg)
{
	const struct entries *e = arg;
	uint16_t x = *(const uint16_t *)a, y = *(const uint16_t *)b;
	int c = memcmp(address_at(e, x), address_at(e, y), 16);

	return c != 0 ? c : (x > y) - (x < y); /* the first of equals sorts first */
}

/*
 * keep[i]: entry i is an overlay address, not the device's own and not a
 * repeat of an earlier entry's.  The rest count as bad peers.  Sorting an
 * index keeps this O(n log n) for MGMT_PEERS_MAX peers.
 */
static unsigned mark_peers(const struct entries *e, size_t n, const uint8_t device[16],
			   bool keep[MGMT_PEERS_MAX])
{
	uint16_t idx[MGMT_PEERS_MAX];
	unsigned bad = 0;

	for (size_t i = 0; i < n; i++) {
		idx[i] = (uint16_t)i;
		keep[i] = identity_address_in_overlay(address_at(e, i)) && memcmp(address_at(e, i), device, 16) != 0;
	}
	qsort_r(idx, n, sizeof(idx[0]), by_address, (void *)(uintptr_t)e);
	for (size_t i = 1; i < n; i++) {
		if (memcmp(address_at(e, idx[i]), address_at(e, idx[i - 1]), 16) == 0)
			keep[idx[i]] = false;
	}
	for (size_t i = 0; i < n; i++)
		bad += !keep[i];
	return bad;
}

/* An alias that is a mesh name, and neither the hostname nor an earlier alias. */
static bool alias_ok(const struct mgmt_names *n, size_t i)
{
	const char *a = n->aliases[i];

	if (!mesh_name_valid(a, strnlen(a, MGMT_NAME_MAX + 1)) || strcmp(a, n->hostname) == 0)
		return false;
	for (size_t k = 0; k < i; k++) {
		if (strcmp(a, n->aliases[k]) == 0)
			return false;
	}
	return true;
}

static bool hostname_ok(const struct mgmt_names *n)
{
	return mesh_name_valid(n->hostname, strnlen(n->hostname, MGMT_NAME_MAX + 1));
}

/* ---- encode ------------------------------------------------------------------ */

static void put_names(struct outbuf *o, const struct mgmt_names *n, bool first)
{
	bool none = true;

	mgmt_json_put_key(o, first, "hostname");
	if (hostname_ok(n))
		mgmt_json_put_str(o, n->hostname, strlen(n->hostname));
	else
		mgmt_json_put_str(o, "", 0);
	mgmt_json_put_key(o, false, "aliases");
	outbuf_put(o, "[", 1);
	for (size_t i = 0; i < n->n_aliases && i < MGMT_ALIASES_MAX; i++) {
		if (!alias_ok(n, i))
			continue;
		if (!none)
			outbuf_put(o, ",", 1);
		mgmt_json_put_str(o, n->aliases[i], strlen(n->aliases[i]));
		none = false;
	}
	outbuf_put(o, "]", 1);
}

static bool ranges_ok(const struct mgmt_bundle *b)
{
	return b->epoch <= MGMT_JSON_INT_MAX && b->serial <= MGMT_JSON_INT_MAX &&
	       b->license_serial <= MGMT_JSON_INT_MAX && identity_address_in_overlay(b->device) &&
	       b->wait_s >= 1 && b->wait_s <= MGMT_WAIT_MAX_S && b->status_s >= MGMT_STATUS_MIN_S &&
	       b->status_s <= MGMT_STATUS_MAX_S && b->n_peers <= MGMT_PEERS_MAX;
}

/* {"address":...,"hostname":...,"aliases":[...]} */
static void put_peer(struct outbuf *o, const struct mgmt_peer *p)
{
	outbuf_put(o, "{", 1);
	mgmt_json_put_key(o, true, "address");
	mgmt_json_put_addr(o, p->address);
	put_names(o, &p->names, false);
	outbuf_put(o, "}", 1);
}

size_t mgmt_bundle_peer_text(const struct mgmt_peer *p, char *out, size_t cap)
{
	struct outbuf o;

	outbuf_init(&o, out, cap);
	put_peer(&o, p);
	return outbuf_finish(&o);
}

/* Everything before the peers' entries: the caller checked ranges_ok. */
static void put_head(struct outbuf *o, const struct mgmt_bundle *b)
{
	mgmt_json_put_type_v1(o, MGMT_TYPE_CONFIG);
	mgmt_json_put_khex(o, "instance", b->instance, MGMT_INSTANCE_LEN);
	mgmt_json_put_kaddr(o, "device", b->device);
	mgmt_json_put_ku64(o, "epoch", b->epoch);
	mgmt_json_put_ku64(o, "serial", b->serial);
	mgmt_json_put_ktime(o, "issued", b->issued);
	mgmt_json_put_ku64(o, "license_serial", b->license_serial);
	put_names(o, &b->self, false);
	mgmt_json_put_key(o, false, "peers");
	outbuf_put(o, "[", 1);
}

/* Everything after them. */
static void put_tail(struct outbuf *o, const struct mgmt_bundle *b)
{
	outbuf_put(o, "]", 1);
	mgmt_json_put_key(o, false, "mgmt");
	outbuf_put(o, "{", 1);
	mgmt_json_put_key(o, true, "wait_s");
	outbuf_u64(o, b->wait_s);
	mgmt_json_put_ku64(o, "status_s", b->status_s);
	outbuf_put(o, "}}", 2);
}

size_t mgmt_bundle_encode(const struct mgmt_bundle *b, char *out, size_t cap)
{
	const struct entries e = peer_entries(b);
	bool keep[MGMT_PEERS_MAX];
	struct outbuf o;
	bool first = true;

	outbuf_init(&o, out, cap);
	if (!ranges_ok(b))
		return outbuf_finish(&o);
	mark_peers(&e, b->n_peers, b->device, keep);
	put_head(&o, b);
	for (size_t i = 0; i < b->n_peers; i++) {
		if (!keep[i])
			continue;
		if (!first)
			outbuf_put(&o, ",", 1);
		put_peer(&o, &b->peers[i]);
		first = false;
	}
	put_tail(&o, b);
	return outbuf_finish(&o);
}

size_t mgmt_bundle_encode_texts(const struct mgmt_bundle *b, const struct mgmt_peer_text *peers,
				size_t n, char *out, size_t cap)
{
	const struct entries e = {(const uint8_t *)peers, sizeof peers[0]};
	bool keep[MGMT_PEERS_MAX];
	struct outbuf o;
	bool first = true;

	_Static_assert(offsetof(struct mgmt_peer_text, address) == 0,
		       "an entry begins with its address");
	outbuf_init(&o, out, cap);
	if (!ranges_ok(b) || n > MGMT_PEERS_MAX)
		return outbuf_finish(&o);
	mark_peers(&e, n, b->device, keep);
	put_head(&o, b);
	for (size_t i = 0; i < n; i++) {
		if (!keep[i])
			continue;
		if (!first)
			outbuf_put(&o, ",", 1);
		outbuf_put(&o, peers[i].text, peers[i].len);
		first = false;
	}
	put_tail(&o, b);
	return outbuf_finish(&o);
}

/* ---- decode ------------------------------------------------------------------ */

static const char *const bundle_members[] = {
	"type",	  "v",	     "instance", "device",  "epoch", "serial", "issued",
	"license_serial", "hostname", "aliases", "peers", "mgmt",
};
static const char *const peer_members[] = { "address", "hostname", "aliases" };
static const char *const mgmt_members[] = { "wait_s", "status_s" };

/* A name string: copied when it is a mesh name; else "" and counted (unless ""). */
static void take_name(const struct json_value *v, char out[MGMT_NAME_MAX + 1],
		      unsigned *bad)
{
	out[0] = '\0';
	if (v->u.string.len == 0)
		return;
	if (!mesh_name_valid(v->u.string.bytes, v->u.string.len)) {
		(*bad)++;
		return;
	}
	memcpy(out, v->u.string.bytes, v->u.string.len);
	out[v->u.string.len] = '\0';
}

/* hostname and aliases of obj (types checked here); bad names left out, counted. */
static bool decode_names(const struct json_value *obj, struct mgmt_names *n, unsigned *bad)
{
	const struct json_value *host = json_member_get(obj, "hostname");
	const struct json_value *aliases = json_member_get(obj, "aliases");

	if (host == NULL || host->type != JSON_STRING || aliases == NULL ||
	    aliases->type != JSON_ARRAY)
		return false;
	take_name(host, n->hostname, bad);
	n->n_aliases = 0;
	for (size_t i = 0; i < aliases->u.array.n; i++) {
		const struct json_value *a = &aliases->u.array.items[i];

		if (a->type != JSON_STRING)
			return false;
		if (n->n_aliases == MGMT_ALIASES_MAX) {
			(*bad)++;
			continue;
		}
		take_name(a, n->aliases[n->n_aliases], bad);
		if (n->aliases[n->n_aliases][0] == '\0') {
			*bad += a->u.string.len == 0; /* an empty alias is a bad one too */
			continue;
		}
		if (!alias_ok(n, n->n_aliases)) {
			memset(n->aliases[n->n_aliases], 0, sizeof(n->aliases[0]));
			(*bad)++;
			continue;
		}
		n->n_aliases++;
	}
	return true;
}

static bool decode_tree(const struct json_value *root, struct mgmt_bundle *b,
			struct mgmt_bundle_skips *sk)
{
	const struct entries e = peer_entries(b);
	const struct json_value *peers, *mgmt;
	bool keep[MGMT_PEERS_MAX];
	uint64_t wait, status;
	size_t n = 0;

	if (!mgmt_json_exact(root, bundle_members,
			     sizeof(bundle_members) / sizeof(bundle_members[0])) ||
	    !mgmt_json_type_v1(root, MGMT_TYPE_CONFIG) ||
	    !mgmt_json_hex(root, "instance", b->instance, MGMT_INSTANCE_LEN) ||
	    !mgmt_json_addr(root, "device", b->device) ||
	    !mgmt_json_u64(root, "epoch", MGMT_JSON_INT_MAX, &b->epoch) ||
	    !mgmt_json_u64(root, "serial", MGMT_JSON_INT_MAX, &b->serial) ||
	    !mgmt_json_time(root, "issued", &b->issued) ||
	    !mgmt_json_u64(root, "license_serial", MGMT_JSON_INT_MAX, &b->license_serial) ||
	    !decode_names(root, &b->self, &sk->bad_names) ||
	    !mgmt_json_array(root, "peers", MGMT_PEERS_MAX, &peers))
		return false;
	mgmt = json_member_get(root, "mgmt");
	if (!mgmt_json_exact(mgmt, mgmt_members, 2) ||
	    !mgmt_json_u64(mgmt, "wait_s", MGMT_WAIT_MAX_S, &wait) || wait < 1 ||
	    !mgmt_json_u64(mgmt, "status_s", MGMT_STATUS_MAX_S, &status) ||
	    status < MGMT_STATUS_MIN_S)
		return false;
	b->wait_s = (uint32_t)wait;
	b->status_s = (uint32_t)status;

	b->n_peers = peers->u.array.n;
	for (size_t i = 0; i < b->n_peers; i++) {
		const struct json_value *p = &peers->u.array.items[i];
		const struct json_value *addr = json_member_get(p, "address");

		/* every byte set: a decoded bundle is a function of its text alone */
		memset(&b->peers[i], 0, sizeof(b->peers[i]));
		if (!mgmt_json_exact(p, peer_members, 3) || addr->type != JSON_STRING ||
		    !decode_names(p, &b->peers[i].names, &sk->bad_names))
			return false;
		/* an address that is not a canonical overlay one: this peer only is skipped */
		if (!mgmt_json_addr_value(addr, b->peers[i].address))
			memset(b->peers[i].address, 0, 16);
	}
	sk->bad_peers += mark_peers(&e, b->n_peers, b->device, keep);
	for (size_t i = 0; i < b->n_peers; i++) {
		if (!keep[i])
			continue;
		if (n != i)
			b->peers[n] = b->peers[i];
		n++;
	}
	b->n_peers = n;
	return ranges_ok(b);
}

bool mgmt_bundle_decode(const uint8_t *payload, size_t len, struct mgmt_bundle *b,
			struct mgmt_bundle_skips *skips)
{
	struct mgmt_bundle_skips local = { 0 };
	struct json_value root = { .type = JSON_NULL };
	struct json_error jerr;
	bool ok;

	memset(b, 0, offsetof(struct mgmt_bundle, peers));
	b->n_peers = 0;
	if (len > MGMT_PAYLOAD_MAX || memchr(payload, '\0', len) != NULL ||
	    !json_parse((const char *)payload, len, JSON_PLAIN_KEYS, &root, &jerr))
		return false;
	ok = decode_tree(&root, b, &local);
	json_free(&root);
	if (!ok) {
		memset(b, 0, offsetof(struct mgmt_bundle, peers));
		return false;
	}
	if (skips != NULL) {
		skips->bad_names += local.bad_names;
		skips->bad_peers += local.bad_peers;
	}
	return true;
}

const char *mgmt_bundle_verdict_name(enum mgmt_bundle_verdict v)
{
	static const char *const names[MGMT_BUNDLE_VERDICTS] = {
		[MGMT_BUNDLE_NEWER] = "newer",
		[MGMT_BUNDLE_SAME] = "same",
		[MGMT_BUNDLE_ENVELOPE] = "envelope",
		[MGMT_BUNDLE_MALFORMED] = "malformed",
		[MGMT_BUNDLE_FOREIGN] = "foreign_instance",
		[MGMT_BUNDLE_OTHER_DEVICE] = "other_device",
		[MGMT_BUNDLE_CONFLICT] = "conflict",
		[MGMT_BUNDLE_STALE] = "stale",
	};

	return (unsigned)v < MGMT_BUNDLE_VERDICTS ? names[v] : "?";
}

enum mgmt_bundle_verdict mgmt_bundle_accept(struct mgmt_bundle_state *st,
					    const struct mgmt_keyset *ks,
					    const uint8_t instance[MGMT_INSTANCE_LEN],
					    const uint8_t device[16], const char *text,
					    size_t len, uint8_t *work, size_t work_cap,
					    struct mgmt_bundle *b,
					    enum mgmt_env_verdict *env_verdict,
					    struct mgmt_bundle_skips *skips)
{
	struct mgmt_envelope env;
	struct mgmt_version got;
	enum mgmt_env_verdict ev;
	enum mgmt_bundle_verdict v;

	ev = mgmt_envelope_open(text, len, MGMT_DOMAIN_CONFIG, ks, work, work_cap, &env, NULL);
	if (env_verdict != NULL)
		*env_verdict = ev;
	if (ev != MGMT_ENV_OK)
		return MGMT_BUNDLE_ENVELOPE;
	if (!mgmt_bundle_decode(env.payload, env.payload_len, b, skips))
		return MGMT_BUNDLE_MALFORMED;
	/* instance and device before the version: a foreign bundle is never "stale" */
	if (memcmp(b->instance, instance, MGMT_INSTANCE_LEN) != 0) {
		v = MGMT_BUNDLE_FOREIGN;
		goto refused;
	}
	if (memcmp(b->device, device, 16) != 0) {
		v = MGMT_BUNDLE_OTHER_DEVICE;
		goto refused;
	}
	got.epoch = b->epoch;
	got.serial = b->serial;
	mgmt_payload_digest(env.payload, env.payload_len, got.digest);
	switch (mgmt_version_compare(st->have ? &st->applied : NULL, &got)) {
	case MGMT_VERSION_NEWER:
		st->have = true;
		st->applied = got;
		return MGMT_BUNDLE_NEWER;
	case MGMT_VERSION_SAME:
		return MGMT_BUNDLE_SAME;
	case MGMT_VERSION_CONFLICT:
		v = MGMT_BUNDLE_CONFLICT;
		break;
	default:
		v = MGMT_BUNDLE_STALE;
		break;
	}
refused:
	memset(b, 0, offsetof(struct mgmt_bundle, peers));
	return v;
}
