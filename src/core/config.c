/*
 * config.json -> struct config, in two stages kept apart so that --check,
 * the lint tool and the fuzzer run exactly the daemon's code:
 *
 *   parse     JSON syntax (json-c in strict mode, plus a lexical pass for
 *             what json-c still lets through, repeated names included), then
 *             every field through a table of handlers.  An unknown field, a wrong JSON
 *             type, an out-of-range integer and a malformed value are each
 *             an error naming the field's path.  Role-aware defaults
 *             (listen_ports, keepalive_secs) are applied only after the whole
 *             object is read, because "role" may come after them in the file.
 *   validate  the documented cross-field rules in the documented order
 *             (interfaces.md §8), then the peer-registry rules.
 *
 * Integers are read as json-c integers only: a double (1.0, 1e3) is a type
 * error, never rounded, and a negative value is caught before the unsigned
 * read (json-c saturates anything above 2^64-1 to 2^64-1, which every range
 * check rejects).
 *
 * Secrets: a psk value is never quoted in an error, whatever went wrong
 * with it.  Hex is decoded straight into the config with sodium_hex2bin; our
 * copy of the file text and json-c's copies of psk strings are wiped before
 * they are freed, and a failed parse or load wipes the whole struct so no
 * partial state survives.
 */
#include "core/config.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <json-c/printbuf.h>
#include <sodium.h>


static const uint16_t default_ports_hub[] = { 18020, 18023, 18026 };
static const uint16_t default_ports_spoke[] = { 18020 };

enum {
	PSK_HEX_LEN = 2 * WIRE_PSK_LEN,
	PATH_KEY_MAX = 40,   /* bytes of an unknown key copied into the path */
};

/* State of one parse: where errors go and what the defaults depend on. */
struct parse_ctx {
	struct config *cfg;
	struct config_error *err;
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

static const char *json_kind(const struct json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_null:
		return "null";
	case json_type_boolean:
		return "boolean";
	case json_type_double:
		return "number";
	case json_type_int:
		return "integer";
	case json_type_object:
		return "object";
	case json_type_array:
		return "array";
	case json_type_string:
		return "string";
	}
	return "value";
}

/*
 * WrongType, quoting the value when it is a scalar and not a secret
 * ("expected integer, got number 1.0").
 */
static int wrong_type(struct parse_ctx *c, struct json_object *v, const char *path,
		      const char *expected, bool secret)
{
	char q[CONFIG_QUOTE_BUF];

	if (secret || json_object_is_type(v, json_type_object) ||
	    json_object_is_type(v, json_type_array) || json_object_is_type(v, json_type_null))
		return config_error_set(c->err, path, "WrongType", "expected %s, got %s", expected,
			    json_kind(v));
	if (json_object_is_type(v, json_type_string))
		config_quote(q, sizeof(q), json_object_get_string(v),
		      (size_t)json_object_get_string_len(v));
	else
		/* json-c keeps a double's source text, so 1e3 shows as 1e3. */
		snprintf(q, sizeof(q), "%s",
			 json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
	return config_error_set(c->err, path, "WrongType", "expected %s, got %s %s", expected,
		    json_kind(v), q);
}

/*
 * An integer of at most max (what the field is stored in).  range is the
 * field's documented range, which messages state (an operator compares them
 * with docs/configuration.md); NULL: 0..max.  The documented limits
 * themselves are checked by the field or by validation, whose messages
 * state the same range.
 */
static int read_uint(struct parse_ctx *c, struct json_object *v, const char *path,
		     uint64_t max, const char *range, uint64_t *out)
{
	char whole[32];
	uint64_t u;

	if (range == NULL) {
		snprintf(whole, sizeof(whole), "0..%" PRIu64, max);
		range = whole;
	}
	if (!json_object_is_type(v, json_type_int))
		return wrong_type(c, v, path, "integer", false);
	if (json_object_get_int64(v) < 0)
		return config_error_set(c->err, path, "OutOfRange", "%" PRId64 " is negative (range %s)",
			    json_object_get_int64(v), range);
	u = json_object_get_uint64(v);
	if (u > max)
		return config_error_set(c->err, path, "OutOfRange", "%" PRIu64 "%s is out of range %s", u,
			    u == UINT64_MAX ? " (or more)" : "", range);
	*out = u;
	return 0;
}

static int read_port(struct parse_ctx *c, struct json_object *v, const char *path,
		     uint16_t *out)
{
	uint64_t u;

	if (read_uint(c, v, path, UINT16_MAX, "1..65535", &u) != 0)
		return -1;
	if (u == 0)
		return config_error_set(c->err, path, "OutOfRange", "0 is not a usable port (range 1..65535)");
	*out = (uint16_t)u;
	return 0;
}

static int read_string(struct parse_ctx *c, struct json_object *v, const char *path,
		       bool secret, const char **s, size_t *len)
{
	if (!json_object_is_type(v, json_type_string))
		return wrong_type(c, v, path, "string", secret);
	*s = json_object_get_string(v);
	*len = (size_t)json_object_get_string_len(v);
	return 0;
}

static int read_cidr(struct parse_ctx *c, struct json_object *v, const char *path,
		     struct cidr *out)
{
	char q[CONFIG_QUOTE_BUF];
	enum addr_err e;
	const char *s = NULL;
	size_t len = 0;

	if (read_string(c, v, path, false, &s, &len) != 0)
		return -1;
	e = cidr_parse(out, s, len);
	if (e != ADDR_OK)
		return config_error_set(c->err, path, "InvalidCidr", "%s: %s", config_quote(q, sizeof(q), s, len),
			    addr_err_name(e));
	return 0;
}

static int read_routes(struct parse_ctx *c, struct json_object *v, const char *path,
		       struct cidr *out, size_t *n_out)
{
	size_t n;

	if (!json_object_is_type(v, json_type_array))
		return wrong_type(c, v, path, "array of CIDR strings", false);
	n = json_object_array_length(v);
	if (n > MAX_ROUTES)
		return config_error_set(c->err, path, "TooManyRoutes", "%zu routes, at most %d", n,
			    MAX_ROUTES);
	for (size_t i = 0; i < n; i++) {
		char p[sizeof(c->err->path)];

		snprintf(p, sizeof(p), "%s[%zu]", path, i);
		if (read_cidr(c, json_object_array_get_idx(v, i), p, &out[i]) != 0)
			return -1;
	}
	*n_out = n;
	return 0;
}

/* A key from the file, made safe and short enough for err->path. */
static void key_for_path(char *out, size_t cap, const char *prefix, const char *key)
{
	size_t o = (size_t)snprintf(out, cap, "%s", prefix);

	for (size_t i = 0; key[i] != '\0' && i < PATH_KEY_MAX && o + 1 < cap; i++) {
		unsigned char ch = (unsigned char)key[i];

		out[o++] = (ch >= 0x20 && ch <= 0x7e) ? (char)ch : '?';
	}
	if (o < cap)
		out[o] = '\0';
}

static int unknown_field(struct parse_ctx *c, const char *prefix, const char *key,
			 const char *where)
{
	char path[sizeof(c->err->path)];
	char q[CONFIG_QUOTE_BUF];

	key_for_path(path, sizeof(path), prefix, key);
	return config_error_set(c->err, path, "UnknownField", "unknown field %s %s",
		    config_quote(q, sizeof(q), key, strlen(key)), where);
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
	int (*parse)(struct parse_ctx *c, struct peer_config *p, struct json_object *v,
		     const char *path);
};

static int peer_id(struct parse_ctx *c, struct peer_config *p, struct json_object *v,
		   const char *path)
{
	uint64_t u;

	if (read_uint(c, v, path, UINT32_MAX, CONFIG_ID_RANGE, &u) != 0)
		return -1;
	p->id = (uint32_t)u;
	return 0;
}

static int peer_endpoint(struct parse_ctx *c, struct peer_config *p, struct json_object *v,
			 const char *path)
{
	char q[CONFIG_QUOTE_BUF];
	enum addr_err e;
	const char *s = NULL;
	size_t len = 0;

	if (read_string(c, v, path, false, &s, &len) != 0)
		return -1;
	e = endpoint_parse(&p->endpoint, s, len);
	if (e != ADDR_OK)
		return config_error_set(c->err, path, "InvalidEndpoint", "%s: %s",
			    config_quote(q, sizeof(q), s, len), addr_err_name(e));
	return 0;
}

static int peer_allowed_src(struct parse_ctx *c, struct peer_config *p, struct json_object *v,
			    const char *path)
{
	return read_cidr(c, v, path, &p->allowed_src);
}

/* The value is never quoted: only its length or the position of a bad digit. */
static int peer_psk(struct parse_ctx *c, struct peer_config *p, struct json_object *v,
		    const char *path)
{
	size_t len = 0, bin_len = 0;
	const char *s = NULL;

	if (read_string(c, v, path, true, &s, &len) != 0)
		return -1;
	if (len != PSK_HEX_LEN)
		return config_error_set(c->err, path, "InvalidPsk", "expected %d hex characters, got %zu",
			    PSK_HEX_LEN, len);
	for (size_t i = 0; i < len; i++) {
		if (!isxdigit((unsigned char)s[i]))
			return config_error_set(c->err, path, "InvalidPsk",
				    "expected %d hex characters, character %zu is not a hex digit",
				    PSK_HEX_LEN, i + 1);
	}
	if (sodium_hex2bin(p->psk, sizeof(p->psk), s, len, NULL, &bin_len, NULL) != 0 ||
	    bin_len != sizeof(p->psk)) {
		sodium_memzero(p->psk, sizeof(p->psk));
		return config_error_set(c->err, path, "InvalidPsk", "expected %d hex characters", PSK_HEX_LEN);
	}
	return 0;
}

static int peer_name(struct parse_ctx *c, struct peer_config *p, struct json_object *v,
		     const char *path)
{
	char q[CONFIG_QUOTE_BUF];
	const char *s = NULL;
	size_t len = 0;

	if (read_string(c, v, path, false, &s, &len) != 0)
		return -1;
	if (len > PEER_NAME_MAX)
		return config_error_set(c->err, path, "PeerNameTooLong", "%zu bytes, at most %d: %s", len,
			    PEER_NAME_MAX, config_quote(q, sizeof(q), s, len));
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch < 0x20 || ch > 0x7e)
			return config_error_set(c->err, path, "PeerNameNotPrintable",
				    "byte 0x%02x at offset %zu is not printable ASCII: %s", ch, i,
				    config_quote(q, sizeof(q), s, len));
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

static int parse_peer(struct parse_ctx *c, size_t idx, struct json_object *obj)
{
	struct peer_config *p = &c->cfg->peers[idx];
	struct json_object_iterator it, end;
	char prefix[32]; /* "peers[<size_t>]" always fits */
	char path[sizeof(c->err->path)];
	unsigned seen = 0;

	snprintf(prefix, sizeof(prefix), "peers[%zu]", idx);
	if (!json_object_is_type(obj, json_type_object))
		return wrong_type(c, obj, prefix, "object", false);

	p->allowed_src = (struct cidr){ .addr = 0, .prefix = 0 };
	it = json_object_iter_begin(obj);
	end = json_object_iter_end(obj);
	for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it)) {
		const char *key = json_object_iter_peek_name(&it);
		struct json_object *v = json_object_iter_peek_value(&it);
		const struct peer_field *f = NULL;

		for (size_t i = 0; i < sizeof(peer_fields) / sizeof(peer_fields[0]); i++) {
			if (strcmp(key, peer_fields[i].name) == 0)
				f = &peer_fields[i];
		}
		if (f == NULL) {
			char pfx[sizeof(prefix) + 1];

			snprintf(pfx, sizeof(pfx), "%s.", prefix);
			return unknown_field(c, pfx, key, "in a peer");
		}
		snprintf(path, sizeof(path), "%s.%s", prefix, f->name);
		if (f->parse(c, p, v, path) != 0)
			return -1;
		seen |= f->seen;
	}

	/* id and endpoint have no sensible default; a missing psk is InvalidPsk. */
	if (!(seen & SEEN_ID)) {
		snprintf(path, sizeof(path), "%s.id", prefix);
		return config_error_set(c->err, path, "MissingField", "every peer needs an id");
	}
	if (!(seen & SEEN_ENDPOINT)) {
		snprintf(path, sizeof(path), "%s.endpoint", prefix);
		return config_error_set(c->err, path, "MissingField",
			    "every peer needs an endpoint (\"A.B.C.D:port\")");
	}
	if (!(seen & SEEN_PSK)) {
		snprintf(path, sizeof(path), "%s.psk", prefix);
		return config_error_set(c->err, path, "InvalidPsk",
			    "missing: every link needs its own %d-hex-character psk", PSK_HEX_LEN);
	}
	return 0;
}

/* ---- top level ---- */

static int top_negotiation_version(struct parse_ctx *c, struct json_object *v,
				   const char *path)
{
	uint64_t u;

	if (read_uint(c, v, path, UINT8_MAX, "1 (the only version)", &u) != 0)
		return -1;
	if (u != 1)
		return config_error_set(c->err, path, "OutOfRange", "%" PRIu64 " is not supported (must be 1)",
			    u);
	c->cfg->negotiation_version = (uint8_t)u;
	return 0;
}

/* A tripwire: a mesh-wide key is exactly what the per-link design forbids. */
static int top_psk(struct parse_ctx *c, struct json_object *v, const char *path)
{
	if (json_object_is_type(v, json_type_string) && json_object_get_string_len(v) == 0)
		return 0;
	return config_error_set(c->err, path, "InvalidPsk",
		    "a top-level psk is not supported: every link carries its own key in "
		    "peers[].psk");
}

static int top_local_tun_mtu(struct parse_ctx *c, struct json_object *v, const char *path)
{
	char range[16];
	uint64_t u;

	snprintf(range, sizeof(range), "%d..%d", MTU_MIN, MTU_MAX);
	if (read_uint(c, v, path, UINT16_MAX, range, &u) != 0)
		return -1;
	c->cfg->local_tun_mtu = (uint16_t)u;
	return 0;
}

/* Validated even though listen_ports, if present, overrides it. */
static int top_listen_port(struct parse_ctx *c, struct json_object *v, const char *path)
{
	if (read_port(c, v, path, &c->listen_port) != 0)
		return -1;
	c->have_listen_port = true;
	return 0;
}

static int top_listen_ports(struct parse_ctx *c, struct json_object *v, const char *path)
{
	struct config *cfg = c->cfg;
	size_t n;

	if (!json_object_is_type(v, json_type_array))
		return wrong_type(c, v, path, "array of ports", false);
	n = json_object_array_length(v);
	if (n == 0 || n > MAX_LISTEN_PORTS)
		return config_error_set(c->err, path, "TooManyListenPorts", "%zu ports, expected 1..%d", n,
			    MAX_LISTEN_PORTS);
	for (size_t i = 0; i < n; i++) {
		char p[sizeof(c->err->path)];

		snprintf(p, sizeof(p), "%s[%zu]", path, i);
		if (read_port(c, json_object_array_get_idx(v, i), p, &cfg->listen_ports[i]) != 0)
			return -1;
		for (size_t j = 0; j < i; j++) {
			if (cfg->listen_ports[j] == cfg->listen_ports[i])
				return config_error_set(c->err, p, "DuplicateListenPort",
					    "%u is already listen_ports[%zu]",
					    (unsigned)cfg->listen_ports[i], j);
		}
	}
	cfg->n_listen_ports = n;
	c->have_listen_ports = true;
	return 0;
}

static int top_virtual_subnet(struct parse_ctx *c, struct json_object *v, const char *path)
{
	return read_cidr(c, v, path, &c->cfg->virtual_subnet);
}

static int top_local_tun_ip(struct parse_ctx *c, struct json_object *v, const char *path)
{
	if (json_object_is_type(v, json_type_string) && json_object_get_string_len(v) == 0) {
		c->cfg->has_local_tun_ip = false; /* "" = unset */
		return 0;
	}
	if (read_cidr(c, v, path, &c->cfg->local_tun_ip) != 0)
		return -1;
	c->cfg->has_local_tun_ip = true;
	return 0;
}

static int top_local_id(struct parse_ctx *c, struct json_object *v, const char *path)
{
	uint64_t u;

	if (read_uint(c, v, path, UINT32_MAX, CONFIG_LOCAL_ID_RANGE, &u) != 0)
		return -1;
	c->cfg->local_id = (uint32_t)u;
	return 0;
}

static int top_peers(struct parse_ctx *c, struct json_object *v, const char *path)
{
	size_t n;

	if (!json_object_is_type(v, json_type_array))
		return wrong_type(c, v, path, "array of peers", false);
	n = json_object_array_length(v);
	if (n > MAX_PEERS)
		return config_error_set(c->err, path, "TooManyPeers", "%zu peers, at most %d (build option)",
			    n, MAX_PEERS);
	for (size_t i = 0; i < n; i++) {
		if (parse_peer(c, i, json_object_array_get_idx(v, i)) != 0)
			return -1;
	}
	c->cfg->n_peers = n;
	return 0;
}

static int top_role(struct parse_ctx *c, struct json_object *v, const char *path)
{
	static const enum role roles[] = { ROLE_MANUAL, ROLE_HUB, ROLE_SPOKE };
	char q[CONFIG_QUOTE_BUF];
	const char *s = NULL;
	size_t len = 0;

	if (read_string(c, v, path, false, &s, &len) != 0)
		return -1;
	for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++) {
		const char *name = role_name(roles[i]);

		if (len == strlen(name) && memcmp(s, name, len) == 0) {
			c->cfg->role = roles[i];
			return 0;
		}
	}
	return config_error_set(c->err, path, "InvalidRole", "%s: expected \"manual\", \"hub\" or \"spoke\"",
		    config_quote(q, sizeof(q), s, len));
}

static int top_local_routes(struct parse_ctx *c, struct json_object *v, const char *path)
{
	return read_routes(c, v, path, c->cfg->local_routes, &c->cfg->n_local_routes);
}

static int top_remote_routes(struct parse_ctx *c, struct json_object *v, const char *path)
{
	return read_routes(c, v, path, c->cfg->remote_routes, &c->cfg->n_remote_routes);
}

static int top_keepalive_secs(struct parse_ctx *c, struct json_object *v, const char *path)
{
	uint64_t u;

	if (read_uint(c, v, path, UINT32_MAX, NULL, &u) != 0)
		return -1;
	c->cfg->keepalive_secs = (uint32_t)u;
	c->have_keepalive = true;
	return 0;
}

/* Reactor threads; the range is the build limit (MAX_WORKERS in bounds.h). */
static int top_workers(struct parse_ctx *c, struct json_object *v, const char *path)
{
	char range[16];
	uint64_t u;

	snprintf(range, sizeof(range), "1..%d", MAX_WORKERS);
	if (read_uint(c, v, path, UINT32_MAX, range, &u) != 0)
		return -1;
	if (u < 1 || u > MAX_WORKERS)
		return config_error_set(c->err, path, "OutOfRange", "%" PRIu64 " is out of range %s", u,
			    range);
	c->cfg->workers = (unsigned)u;
	return 0;
}

static int top_obfuscate(struct parse_ctx *c, struct json_object *v, const char *path)
{
	if (!json_object_is_type(v, json_type_boolean))
		return wrong_type(c, v, path, "boolean", false);
	c->cfg->obfuscate = json_object_get_boolean(v);
	return 0;
}

static int top_configure_interface(struct parse_ctx *c, struct json_object *v,
				   const char *path)
{
	if (!json_object_is_type(v, json_type_boolean))
		return wrong_type(c, v, path, "boolean", false);
	c->cfg->configure_interface = json_object_get_boolean(v);
	return 0;
}

/* A POSIX-portable user name: [a-z_][a-z0-9_-]*, at most 32 bytes. */
static bool valid_user_name(const char *s, size_t len)
{
	if (len == 0 || len > USER_NAME_MAX || !(islower((unsigned char)s[0]) || s[0] == '_'))
		return false;
	for (size_t i = 1; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (!islower(ch) && !isdigit(ch) && ch != '_' && ch != '-')
			return false;
	}
	return true;
}

static int top_user(struct parse_ctx *c, struct json_object *v, const char *path)
{
	char q[CONFIG_QUOTE_BUF];
	const char *s = NULL;
	size_t len = 0;

	if (read_string(c, v, path, false, &s, &len) != 0)
		return -1;
	if (!valid_user_name(s, len))
		return config_error_set(c->err, path, "InvalidUser",
			    "%s: expected a user name of 1-%d characters [a-z0-9_-], starting "
			    "with a letter or '_'",
			    config_quote(q, sizeof(q), s, len), USER_NAME_MAX);
	memcpy(c->cfg->user, s, len);
	c->cfg->user[len] = '\0';
	return 0;
}

struct top_field {
	const char *name;
	int (*parse)(struct parse_ctx *c, struct json_object *v, const char *path);
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

/* ---- JSON syntax ---- */

static void line_col(const char *text, size_t off, unsigned *line, size_t *col)
{
	size_t line_start = 0;

	*line = 1;
	for (size_t i = 0; i < off; i++) {
		if (text[i] == '\n') {
			(*line)++;
			line_start = i + 1;
		}
	}
	*col = off - line_start + 1;
}

static int syntax_error(struct config_error *err, const char *text, size_t len, size_t off,
			const char *what)
{
	unsigned line;
	size_t col;

	line_col(text, off > len ? len : off, &line, &col);
	return config_error_set(err, "", "SyntaxError", "line %u, column %zu: %s", line, col, what);
}

/*
 * The lexical pass.  json-c's strict mode still accepts 'single-quoted'
 * strings and raw control characters inside strings, and it silently keeps
 * the last of two equal keys -- so a second "allowed_src" added at the
 * bottom of a peer would quietly win.  This pass rejects all three.  It runs
 * only on text json-c accepted, so the structure is known to be well formed
 * and no deeper than json-c's depth limit.
 *
 * Keys are compared as raw bytes; a key spelled with an escape sequence
 * (which could decode to a known name) is refused rather than decoded.
 */
enum { LEX_MAX_DEPTH = JSON_TOKENER_DEFAULT_DEPTH + 1 };

struct lex_key {
	size_t off, len; /* raw bytes between the quotes */
};

struct lex_level {
	bool is_object;
	bool expect_key;      /* object: the next string is a member name */
	size_t first_key;     /* object: its names start here in keys[] */
	size_t index;         /* array: current element */
	struct lex_key key;   /* object: name of the current member */
};

/* "peers[1].psk" from the levels, the last level's key being the current one. */
static void lex_path(char *out, size_t cap, const char *text, const struct lex_level *lv,
		     size_t depth)
{
	size_t o = 0;

	out[0] = '\0';
	for (size_t d = 0; d < depth && o + 1 < cap; d++) {
		int n;

		if (!lv[d].is_object) {
			n = snprintf(out + o, cap - o, "[%zu]", lv[d].index);
			o = n < 0 || (size_t)n >= cap - o ? cap - 1 : o + (size_t)n;
			continue;
		}
		if (d > 0 && o + 1 < cap)
			out[o++] = '.';
		for (size_t i = 0; i < lv[d].key.len && i < PATH_KEY_MAX && o + 1 < cap; i++) {
			unsigned char ch = (unsigned char)text[lv[d].key.off + i];

			out[o++] = (ch >= 0x20 && ch <= 0x7e) ? (char)ch : '?';
		}
		out[o] = '\0';
	}
}

static int lex_member_name(struct config_error *err, const char *text, struct lex_level *lv,
			   size_t depth, struct lex_key *keys, size_t *n_keys, size_t cap_keys,
			   struct lex_key k, bool escaped)
{
	struct lex_level *top = &lv[depth - 1];
	char path[sizeof(err->path)];
	char q[CONFIG_QUOTE_BUF];
	unsigned line;
	size_t col;

	top->key = k;
	top->expect_key = false;
	lex_path(path, sizeof(path), text, lv, depth);
	if (escaped)
		return config_error_set(err, path, "UnknownField",
			    "field name %s uses an escape sequence; write it plainly",
			    config_quote(q, sizeof(q), text + k.off, k.len));
	for (size_t i = top->first_key; i < *n_keys; i++) {
		if (keys[i].len != k.len || memcmp(text + keys[i].off, text + k.off, k.len) != 0)
			continue;
		line_col(text, k.off - 1, &line, &col);
		return config_error_set(err, path, "DuplicateField",
			    "field %s appears twice in the same object (again at line %u, column %zu)",
			    config_quote(q, sizeof(q), text + k.off, k.len), line, col);
	}
	if (*n_keys == cap_keys)
		return config_error_set(err, "", "SyntaxError", "too many fields");
	keys[(*n_keys)++] = k;
	return 0;
}

static int lexical_check(struct config_error *err, const char *text, size_t len)
{
	struct lex_level lv[LEX_MAX_DEPTH];
	/* every member takes at least 4 bytes ("":0), so this never fills */
	size_t cap_keys = len / 4 + 1;
	struct lex_key *keys = calloc(cap_keys, sizeof(*keys));
	size_t depth = 0, n_keys = 0;
	int rc = -1;

	if (keys == NULL) {
		config_error_set(err, "", "OutOfMemory", "cannot allocate the field index");
		goto out;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)text[i];

		if (ch == '"') {
			struct lex_key k = { .off = i + 1 };
			bool escaped = false;
			size_t j = i + 1;

			for (; j < len && text[j] != '"'; j++) {
				if ((unsigned char)text[j] < 0x20) {
					syntax_error(err, text, len, j,
						     "control character inside a string");
					goto out;
				}
				if (text[j] == '\\') {
					escaped = true;
					j++;
				}
			}
			k.len = j - k.off;
			i = j;
			if (depth > 0 && lv[depth - 1].is_object && lv[depth - 1].expect_key &&
			    lex_member_name(err, text, lv, depth, keys, &n_keys, cap_keys, k,
					    escaped) != 0)
				goto out;
		} else if (ch == '\'') {
			syntax_error(err, text, len, i, "single-quoted strings are not JSON");
			goto out;
		} else if (ch == '{' || ch == '[') {
			if (depth == LEX_MAX_DEPTH) {
				syntax_error(err, text, len, i, "nesting too deep");
				goto out;
			}
			lv[depth++] = (struct lex_level){ .is_object = ch == '{',
							  .expect_key = ch == '{',
							  .first_key = n_keys };
		} else if ((ch == '}' || ch == ']') && depth > 0) {
			depth--;
			if (lv[depth].is_object)
				n_keys = lv[depth].first_key; /* its names are done with */
		} else if (ch == ',' && depth > 0) {
			if (lv[depth - 1].is_object)
				lv[depth - 1].expect_key = true;
			else
				lv[depth - 1].index++;
		}
	}
	rc = 0;
out:
	free(keys); /* offsets only: nothing secret */
	return rc;
}

/*
 * json-c keeps its own copies of every string (in the tree and in the
 * tokener's scratch buffer) and frees them unwiped; scrub the psk strings
 * before the tree is released.  The tree is ours until json_object_put, so
 * writing through the pointer json-c hands out is safe.
 */
static void wipe_json_string(struct json_object *v)
{
	if (v != NULL && json_object_is_type(v, json_type_string))
		sodium_memzero((void *)(uintptr_t)json_object_get_string(v),
			       (size_t)json_object_get_string_len(v));
}

static void wipe_json_secrets(struct json_object *root)
{
	struct json_object *peers, *v;

	if (root == NULL || !json_object_is_type(root, json_type_object))
		return;
	if (json_object_object_get_ex(root, "psk", &v))
		wipe_json_string(v);
	if (!json_object_object_get_ex(root, "peers", &peers) ||
	    !json_object_is_type(peers, json_type_array))
		return;
	for (size_t i = 0; i < json_object_array_length(peers); i++) {
		struct json_object *p = json_object_array_get_idx(peers, i);

		if (json_object_is_type(p, json_type_object) &&
		    json_object_object_get_ex(p, "psk", &v))
			wipe_json_string(v);
	}
}

static int parse_object(struct parse_ctx *c, struct json_object *root)
{
	struct json_object_iterator it, end;

	if (!json_object_is_type(root, json_type_object))
		return config_error_set(c->err, "", "WrongType", "the top level must be a JSON object, got %s",
			    json_kind(root));
	it = json_object_iter_begin(root);
	end = json_object_iter_end(root);
	for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it)) {
		const char *key = json_object_iter_peek_name(&it);
		const struct top_field *f = NULL;

		for (size_t i = 0; i < sizeof(top_fields) / sizeof(top_fields[0]); i++) {
			if (strcmp(key, top_fields[i].name) == 0)
				f = &top_fields[i];
		}
		if (f == NULL)
			return unknown_field(c, "", key, "at the top level");
		if (f->parse(c, json_object_iter_peek_value(&it), f->name) != 0)
			return -1;
	}
	apply_role_defaults(c);
	return 0;
}

int config_parse(struct config *cfg, const char *file_label, const char *text, size_t len,
		 struct config_error *err)
{
	struct parse_ctx c = { .cfg = cfg, .err = err };
	struct json_tokener *tok = NULL;
	struct json_object *root = NULL;
	enum json_tokener_error jerr;
	char *copy = NULL;
	int rc = -1;

	config_error_reset(err, file_label);
	config_defaults(cfg);
	if (len > CONFIG_MAX) {
		config_error_set(err, "", "FileTooLarge", "%zu bytes, at most %d", len, CONFIG_MAX);
		goto out;
	}
	/*
	 * Hand json-c a NUL-terminated copy and count the NUL, so a top-level
	 * number or a truncated document is finalized instead of waiting for
	 * more input; a NUL inside the text then ends it early, which the
	 * parse-end check below reports.
	 */
	copy = malloc(len + 1);
	tok = json_tokener_new();
	if (copy == NULL || tok == NULL) {
		config_error_set(err, "", "OutOfMemory", "cannot allocate the parser");
		goto out;
	}
	memcpy(copy, text, len);
	copy[len] = '\0';
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	root = json_tokener_parse_ex(tok, copy, (int)len + 1);
	jerr = json_tokener_get_error(tok);
	/*
	 * The literal null parses to NULL with success: it is a document of the
	 * wrong type (parse_object says so), not a syntax error whose
	 * description would be json-c's "success".
	 */
	if (jerr != json_tokener_success) {
		syntax_error(err, copy, len, json_tokener_get_parse_end(tok),
			     json_tokener_error_desc(jerr));
		goto out;
	}
	if (json_tokener_get_parse_end(tok) < len) {
		syntax_error(err, copy, len, json_tokener_get_parse_end(tok),
			     "unexpected content after the top-level value");
		goto out;
	}
	if (lexical_check(err, copy, len) != 0)
		goto out;
	rc = parse_object(&c, root);
out:
	wipe_json_secrets(root);
	json_object_put(root);
	if (tok != NULL) {
		/* The scratch buffer may still hold the last string it lexed. */
		if (tok->pb != NULL && tok->pb->buf != NULL)
			sodium_memzero(tok->pb->buf, (size_t)tok->pb->size);
		json_tokener_free(tok);
	}
	if (copy != NULL) {
		sodium_memzero(copy, len + 1);
		free(copy);
	}
	if (rc != 0)
		sodium_memzero(cfg, sizeof(*cfg));
	return rc;
}

/* ---- files ---- */

void config_wipe(struct config *cfg)
{
	for (size_t i = 0; i < MAX_PEERS; i++)
		sodium_memzero(cfg->peers[i].psk, sizeof(cfg->peers[i].psk));
}

