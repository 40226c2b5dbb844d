/*
 * config.json -> struct config: the parse stage (validation is
 * config_validate.c).  The text goes through the strict JSON layer
 * (core/json.c: syntax, repeated field names, names written with escapes),
 * then every field through a table of handlers.  An unknown field, a wrong
 * JSON type, an out-of-range integer and a malformed value are each an
 * error naming the field's path.  Role-aware defaults (listen_ports,
 * keepalive_secs) are applied only after the whole object is read, because
 * "role" may come after them in the file.
 *
 * Integers are exact: a number with a fraction or an exponent (1.0, 1e3)
 * is a type error, never rounded.  Messages show an integer beyond the
 * 64-bit range clamped to it ("18446744073709551615 (or more)"), as they
 * did when json-c parsed the file.
 *
 * Secrets: a psk value is never quoted in an error, whatever went wrong
 * with it.  Hex is decoded straight into the config with sodium_hex2bin,
 * the JSON tree wipes its strings when it is freed, and a failed parse
 * wipes the whole struct so no partial state survives.
 */
#include "core/config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "core/config_mesh.h"
#include "core/config_read.h"
#include "core/json.h"

static const uint16_t default_ports_hub[] = { 18020, 18023, 18026 };
static const uint16_t default_ports_spoke[] = { 18020 };

enum { PSK_HEX_LEN = 2 * WIRE_PSK_LEN };

/* State of one parse: where errors go and what the defaults depend on. */
struct parse_ctx {
	struct config_reader r;
	struct config *cfg;
	bool have_listen_ports;
	bool have_listen_port;
	uint16_t listen_port;
	bool have_keepalive;
};

const char *role_name(enum role r)
{
	switch (r) {
	case ROLE_MANUAL:
		return "manual";
	case ROLE_HUB:
		return "hub";
	case ROLE_SPOKE:
		return "spoke";
	}
	return "unknown";
}

const char *config_mode_name(enum config_mode m)
{
	switch (m) {
	case CONFIG_MODE_V1:
		return "v1";
	case CONFIG_MODE_MESH:
		return "mesh";
	case CONFIG_MODE_BASE:
		return "base";
	}
	return "unknown";
}

static bool is_empty_string(const struct json_value *v)
{
	return v->type == JSON_STRING && v->u.string.len == 0;
}

static bool is_named(const struct json_member *m, const char *name)
{
	return strlen(name) == m->name_len && memcmp(name, m->name, m->name_len) == 0;
}

/* ---- peers ---- */

enum {
	SEEN_ID = 1 << 0,
	SEEN_ENDPOINT = 1 << 1,
	SEEN_PSK = 1 << 2,
};

struct peer_field {
	const char *name;
	unsigned seen;
	int (*parse)(struct parse_ctx *c, struct peer_config *p,
		     const struct json_value *v, const char *path);
};

static int peer_id(struct parse_ctx *c, struct peer_config *p, const struct json_value *v,
		   const char *path)
{
	uint64_t u;

	if (config_read_uint(&c->r, v, path, UINT32_MAX, CONFIG_ID_RANGE, &u) != 0)
		return -1;
	p->id = (uint32_t)u;
	return 0;
}

static int peer_endpoint(struct parse_ctx *c, struct peer_config *p,
			 const struct json_value *v, const char *path)
{
	char q[QUOTE_BUF];
	enum addr_err e;
	const char *s = NULL;
	size_t len = 0;

	if (config_read_string(&c->r, v, path, false, &s, &len) != 0)
		return -1;
	e = endpoint_parse(&p->endpoint, s, len);
	if (e != ADDR_OK)
		return config_error_set(c->r.err, path, "InvalidEndpoint", "%s: %s",
			    quote_untrusted(q, sizeof(q), s, len), addr_err_name(e));
	return 0;
}

static int peer_allowed_src(struct parse_ctx *c, struct peer_config *p,
			    const struct json_value *v, const char *path)
{
	return config_read_cidr(&c->r, v, path, &p->allowed_src);
}

/* The value is never quoted: only its length or the position of a bad digit. */
static int peer_psk(struct parse_ctx *c, struct peer_config *p,
		    const struct json_value *v, const char *path)
{
	return config_read_key_hex(&c->r, v, path, "InvalidPsk", p->psk, sizeof(p->psk));
}

static int peer_name(struct parse_ctx *c, struct peer_config *p,
		     const struct json_value *v, const char *path)
{
	char q[QUOTE_BUF];
	const char *s = NULL;
	size_t len = 0;

	if (config_read_string(&c->r, v, path, false, &s, &len) != 0)
		return -1;
	if (len > PEER_NAME_MAX)
		return config_error_set(c->r.err, path, "PeerNameTooLong", "%zu bytes, at most %d: %s", len,
			    PEER_NAME_MAX, quote_untrusted(q, sizeof(q), s, len));
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch < 0x20 || ch > 0x7e)
			return config_error_set(c->r.err, path, "PeerNameNotPrintable",
				    "byte 0x%02x at offset %zu is not printable ASCII: %s", ch, i,
				    quote_untrusted(q, sizeof(q), s, len));
	}
	memcpy(p->name, s, len);
	p->name[len] = '\0';
	return 0;
}

static const struct peer_field peer_fields[] = {
	{ "id", SEEN_ID, peer_id },
	{ "endpoint", SEEN_ENDPOINT, peer_endpoint },
	{ "allowed_src", 0, peer_allowed_src },
	{ "psk", SEEN_PSK, peer_psk },
	{ "name", 0, peer_name },
};

static int parse_peer(struct parse_ctx *c, size_t idx, const struct json_value *obj)
{
	struct peer_config *p = &c->cfg->peers[idx];
	char prefix[32]; /* "peers[<size_t>]" always fits */
	char path[sizeof(c->r.err->path)];
	unsigned seen = 0;

	snprintf(prefix, sizeof(prefix), "peers[%zu]", idx);
	if (obj->type != JSON_OBJECT)
		return config_wrong_type(&c->r, obj, prefix, "object", false);

	p->allowed_src = (struct cidr){ .addr = 0, .prefix = 0 };
	for (size_t k = 0; k < obj->u.object.n; k++) {
		const struct json_member *m = &obj->u.object.members[k];
		const struct peer_field *f = NULL;

		for (size_t i = 0; i < sizeof(peer_fields) / sizeof(peer_fields[0]); i++) {
			if (is_named(m, peer_fields[i].name))
				f = &peer_fields[i];
		}
		if (f == NULL)
			return config_unknown_field(&c->r, prefix, m, "in a peer");
		snprintf(path, sizeof(path), "%s.%s", prefix, f->name);
		if (f->parse(c, p, &m->value, path) != 0)
			return -1;
		seen |= f->seen;
	}

	/* id and endpoint have no sensible default; a missing psk is InvalidPsk. */
	if (!(seen & SEEN_ID)) {
		snprintf(path, sizeof(path), "%s.id", prefix);
		return config_error_set(c->r.err, path, "MissingField", "every peer needs an id");
	}
	if (!(seen & SEEN_ENDPOINT)) {
		snprintf(path, sizeof(path), "%s.endpoint", prefix);
		return config_error_set(c->r.err, path, "MissingField",
			    "every peer needs an endpoint (\"A.B.C.D:port\")");
	}
	if (!(seen & SEEN_PSK)) {
		snprintf(path, sizeof(path), "%s.psk", prefix);
		return config_error_set(c->r.err, path, "InvalidPsk",
			    "missing: every link needs its own %d-hex-character psk", PSK_HEX_LEN);
	}
	return 0;
}

/* ---- top level ---- */

static int top_negotiation_version(struct parse_ctx *c, const struct json_value *v,
				   const char *path)
{
	uint64_t u;

	if (config_read_uint(&c->r, v, path, UINT8_MAX, "1 (the only version)", &u) != 0)
		return -1;
	if (u != 1)
		return config_error_set(c->r.err, path, "OutOfRange", "%" PRIu64 " is not supported (must be 1)",
			    u);
	c->cfg->negotiation_version = (uint8_t)u;
	return 0;
}

/* A tripwire: a mesh-wide key is exactly what the per-link design forbids. */
static int top_psk(struct parse_ctx *c, const struct json_value *v, const char *path)
{
	if (is_empty_string(v))
		return 0;
	return config_error_set(c->r.err, path, "InvalidPsk",
		    "a top-level psk is not supported: every link carries its own key in "
		    "peers[].psk");
}

static int top_local_tun_mtu(struct parse_ctx *c, const struct json_value *v,
			     const char *path)
{
	char range[16];
	uint64_t u;

	snprintf(range, sizeof(range), "%d..%d", MTU_MIN, MTU_MAX);
	if (config_read_uint(&c->r, v, path, UINT16_MAX, range, &u) != 0)
		return -1;
	c->cfg->local_tun_mtu = (uint16_t)u;
	return 0;
}

/* Validated even though listen_ports, if present, overrides it. */
static int top_listen_port(struct parse_ctx *c, const struct json_value *v,
			   const char *path)
{
	if (config_read_port(&c->r, v, path, &c->listen_port) != 0)
		return -1;
	c->have_listen_port = true;
	return 0;
}

static int top_listen_ports(struct parse_ctx *c, const struct json_value *v,
			    const char *path)
{
	struct config *cfg = c->cfg;
	size_t n;

	if (v->type != JSON_ARRAY)
		return config_wrong_type(&c->r, v, path, "array of ports", false);
	n = v->u.array.n;
	if (n == 0 || n > MAX_LISTEN_PORTS)
		return config_error_set(c->r.err, path, "TooManyListenPorts", "%zu ports, expected 1..%d", n,
			    MAX_LISTEN_PORTS);
	for (size_t i = 0; i < n; i++) {
		char p[sizeof(c->r.err->path)];

		snprintf(p, sizeof(p), "%s[%zu]", path, i);
		if (config_read_port(&c->r, &v->u.array.items[i], p, &cfg->listen_ports[i]) != 0)
			return -1;
		for (size_t j = 0; j < i; j++) {
			if (cfg->listen_ports[j] == cfg->listen_ports[i])
				return config_error_set(c->r.err, p, "DuplicateListenPort",
					    "%u is already listen_ports[%zu]",
					    (unsigned)cfg->listen_ports[i], j);
		}
	}
	cfg->n_listen_ports = n;
	c->have_listen_ports = true;
	return 0;
}

static int top_virtual_subnet(struct parse_ctx *c, const struct json_value *v,
			      const char *path)
{
	return config_read_cidr(&c->r, v, path, &c->cfg->virtual_subnet);
}

static int top_local_tun_ip(struct parse_ctx *c, const struct json_value *v,
			    const char *path)
{
	if (is_empty_string(v)) {
		c->cfg->has_local_tun_ip = false; /* "" = unset */
		return 0;
	}
	if (config_read_cidr(&c->r, v, path, &c->cfg->local_tun_ip) != 0)
		return -1;
	c->cfg->has_local_tun_ip = true;
	return 0;
}

static int top_local_id(struct parse_ctx *c, const struct json_value *v, const char *path)
{
	uint64_t u;

	if (config_read_uint(&c->r, v, path, UINT32_MAX, CONFIG_LOCAL_ID_RANGE, &u) != 0)
		return -1;
	c->cfg->local_id = (uint32_t)u;
	return 0;
}

static int top_peers(struct parse_ctx *c, const struct json_value *v, const char *path)
{
	size_t n;

	if (v->type != JSON_ARRAY)
		return config_wrong_type(&c->r, v, path, "array of peers", false);
	n = v->u.array.n;
	if (n > MAX_PEERS)
		return config_error_set(c->r.err, path, "TooManyPeers", "%zu peers, at most %d (build option)",
			    n, MAX_PEERS);
	for (size_t i = 0; i < n; i++) {
		if (parse_peer(c, i, &v->u.array.items[i]) != 0)
			return -1;
	}
	c->cfg->n_peers = n;
	return 0;
}

static int top_role(struct parse_ctx *c, const struct json_value *v, const char *path)
{
	static const enum role roles[] = { ROLE_MANUAL, ROLE_HUB, ROLE_SPOKE };
	char q[QUOTE_BUF];
	const char *s = NULL;
	size_t len = 0;

	if (config_read_string(&c->r, v, path, false, &s, &len) != 0)
		return -1;
	for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++) {
		const char *name = role_name(roles[i]);

		if (len == strlen(name) && memcmp(s, name, len) == 0) {
			c->cfg->role = roles[i];
			return 0;
		}
	}
	return config_error_set(c->r.err, path, "InvalidRole", "%s: expected \"manual\", \"hub\" or \"spoke\"",
		    quote_untrusted(q, sizeof(q), s, len));
}

static int top_local_routes(struct parse_ctx *c, const struct json_value *v,
			    const char *path)
{
	return config_read_routes(&c->r, v, path, c->cfg->local_routes, &c->cfg->n_local_routes);
}

static int top_remote_routes(struct parse_ctx *c, const struct json_value *v,
			     const char *path)
{
	return config_read_routes(&c->r, v, path, c->cfg->remote_routes, &c->cfg->n_remote_routes);
}

static int top_keepalive_secs(struct parse_ctx *c, const struct json_value *v,
			      const char *path)
{
	uint64_t u;

	if (config_read_uint(&c->r, v, path, UINT32_MAX, NULL, &u) != 0)
		return -1;
	c->cfg->keepalive_secs = (uint32_t)u;
	c->have_keepalive = true;
	return 0;
}

static int top_workers(struct parse_ctx *c, const struct json_value *v, const char *path)
{
	return config_read_workers(&c->r, v, path, &c->cfg->workers);
}

static int top_obfuscate(struct parse_ctx *c, const struct json_value *v,
			 const char *path)
{
	return config_read_bool(&c->r, v, path, &c->cfg->obfuscate);
}

static int top_configure_interface(struct parse_ctx *c, const struct json_value *v,
				   const char *path)
{
	return config_read_bool(&c->r, v, path, &c->cfg->configure_interface);
}

static int top_user(struct parse_ctx *c, const struct json_value *v, const char *path)
{
	return config_read_user(&c->r, v, path, c->cfg->user, sizeof(c->cfg->user));
}

struct top_field {
	const char *name;
	int (*parse)(struct parse_ctx *c, const struct json_value *v, const char *path);
};

static const struct top_field top_fields[] = {
	{ "negotiation_version", top_negotiation_version },
	{ "psk", top_psk },
	{ "local_tun_mtu", top_local_tun_mtu },
	{ "listen_port", top_listen_port },
	{ "listen_ports", top_listen_ports },
	{ "virtual_subnet", top_virtual_subnet },
	{ "local_tun_ip", top_local_tun_ip },
	{ "local_id", top_local_id },
	{ "peers", top_peers },
	{ "role", top_role },
	{ "local_routes", top_local_routes },
	{ "remote_routes", top_remote_routes },
	{ "keepalive_secs", top_keepalive_secs },
	{ "obfuscate", top_obfuscate },
	{ "user", top_user },
	{ "workers", top_workers },
	{ "configure_interface", top_configure_interface },
};

static void set_ports(struct config *cfg, const uint16_t *ports, size_t n)
{
	memcpy(cfg->listen_ports, ports, n * sizeof(ports[0]));
	cfg->n_listen_ports = n;
}

/* Defaults that depend on other fields, applied once the object is read. */
static void apply_role_defaults(struct parse_ctx *c)
{
	struct config *cfg = c->cfg;

	if (!c->have_listen_ports) {
		if (c->have_listen_port)
			set_ports(cfg, &c->listen_port, 1);
		else if (cfg->role == ROLE_SPOKE)
			set_ports(cfg, default_ports_spoke, 1);
		else
			set_ports(cfg, default_ports_hub, 3);
	}
	if (!c->have_keepalive)
		cfg->keepalive_secs = cfg->role == ROLE_SPOKE ? DEFAULT_SPOKE_KEEPALIVE_SECS : 0;
}

void config_defaults(struct config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->negotiation_version = 1;
	cfg->local_tun_mtu = DEFAULT_TUN_MTU;
	cfg->virtual_subnet = (struct cidr){ .addr = UINT32_C(0x0a000000), .prefix = 24 };
	cfg->role = ROLE_MANUAL;
	cfg->obfuscate = true;
	cfg->workers = 1;
	cfg->configure_interface = true;
	set_ports(cfg, default_ports_hub, 3); /* role-aware: manual binds the hub set */
	cfg->keepalive_secs = 0;
}

static int parse_object(struct parse_ctx *c, const struct json_value *root)
{
	if (root->type != JSON_OBJECT)
		return config_error_set(c->r.err, "", "WrongType", "the top level must be a JSON object, got %s",
			    config_json_kind(root));
	/*
	 * "mode" decides which fields exist, wherever it stands in the file;
	 * a v1 config has none and never leaves this function.
	 */
	for (size_t k = 0; k < root->u.object.n; k++) {
		if (!is_named(&root->u.object.members[k], "mode"))
			continue;
		if (config_mesh_read_mode(&c->r, &root->u.object.members[k].value,
					  &c->cfg->mode) != 0)
			return -1;
		return config_mesh_parse(&c->r, c->cfg, root);
	}
	for (size_t k = 0; k < root->u.object.n; k++) {
		const struct json_member *m = &root->u.object.members[k];
		const struct top_field *f = NULL;

		for (size_t i = 0; i < sizeof(top_fields) / sizeof(top_fields[0]); i++) {
			if (is_named(m, top_fields[i].name))
				f = &top_fields[i];
		}
		if (f == NULL)
			return config_unknown_field(&c->r, "", m, "at the top level");
		if (f->parse(c, &m->value, f->name) != 0)
			return -1;
	}
	apply_role_defaults(c);
	return 0;
}

int config_parse(struct config *cfg, const char *file_label, const char *text, size_t len,
		 struct config_error *err)
{
	struct parse_ctx c = { .r = { .err = err, .text = text }, .cfg = cfg };
	struct json_value root;
	struct json_error jerr;
	int rc = -1;

	config_error_reset(err, file_label);
	config_defaults(cfg);
	if (len > CONFIG_MAX) {
		config_error_set(err, "", "FileTooLarge", "%zu bytes, at most %d", len, CONFIG_MAX);
		goto out;
	}
	/*
	 * Escaped names are refused rather than decoded, so a field name is
	 * always what it looks like; big integers are kept (as 2^64-1) for the
	 * range checks to name.
	 */
	if (!json_parse(text, len, JSON_PLAIN_KEYS | JSON_BIG_INTS, &root, &jerr)) {
		config_json_error(err, &jerr);
		goto out;
	}
	rc = parse_object(&c, &root);
	json_free(&root); /* wipes the psk strings */
out:
	if (rc != 0)
		sodium_memzero(cfg, sizeof(*cfg));
	return rc;
}

void config_wipe(struct config *cfg)
{
	for (size_t i = 0; i < MAX_PEERS; i++)
		sodium_memzero(cfg->peers[i].psk, sizeof(cfg->peers[i].psk));
	sodium_memzero(cfg->mesh.psk, sizeof(cfg->mesh.psk));
}

