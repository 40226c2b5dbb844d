/*
 * The fields of "mode": "mesh" (a node) and "mode": "base" (a base server),
 * through one table whose rows say in which mode a field exists; a field of
 * the other mode, or of a v1 config, is UnknownField like any other.  The
 * readers and the error style are the v1 parser's (config_read.h), so a
 * mesh config is exactly as strict: every value is checked for its type,
 * range and format, and every error names the field path.
 *
 * Secrets: the mesh psk is decoded straight into the config and never
 * quoted; config_parse wipes the whole config when anything fails.  The
 * identity file is only named here: reading it is I/O (os/linux/
 * identity_load.c), done by --check, --print-network-plan and config-lint.
 */
#include "core/config_mesh.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "core/mesh/identity.h"
#include "core/mesh/session.h"

enum {
	IN_MESH = 1 << CONFIG_MODE_MESH,
	IN_BASE = 1 << CONFIG_MODE_BASE,
	IN_BOTH = IN_MESH | IN_BASE,
};

static bool is_named(const struct json_member *m, const char *name)
{
	return strlen(name) == m->name_len && memcmp(name, m->name, m->name_len) == 0;
}

unsigned mesh_tun_mtu_max(unsigned path_mtu)
{
	return path_mtu > MESH_TUN_OVERHEAD ? path_mtu - MESH_TUN_OVERHEAD : 0;
}

int config_mesh_read_mode(const struct config_reader *r, const struct json_value *v,
			  enum config_mode *out)
{
	char q[QUOTE_BUF];
	const char *s = NULL;
	size_t len = 0;

	if (config_read_string(r, v, "mode", false, &s, &len) != 0)
		return -1;
	if (len == 4 && memcmp(s, "mesh", 4) == 0)
		*out = CONFIG_MODE_MESH;
	else if (len == 4 && memcmp(s, "base", 4) == 0)
		*out = CONFIG_MODE_BASE;
	else
		return config_error_set(r->err, "mode", "InvalidMode",
			    "%s: expected \"mesh\" or \"base\" (a v1 config has no \"mode\")",
			    quote_untrusted(q, sizeof(q), s, len));
	return 0;
}

/* An absolute path of at most MESH_PATH_MAX bytes; empty_ok: "" = off. */
static int read_path(const struct config_reader *r, const struct json_value *v,
		     const char *path, bool empty_ok, const char *kind,
		     char out[MESH_PATH_MAX + 1])
{
	char q[QUOTE_BUF];
	const char *s = NULL;
	size_t len = 0;

	if (config_read_string(r, v, path, false, &s, &len) != 0)
		return -1;
	if (len == 0 && empty_ok) {
		out[0] = '\0';
		return 0;
	}
	if (len == 0 || s[0] != '/' || s[len - 1] == '/' || len > MESH_PATH_MAX ||
	    memchr(s, '\0', len) != NULL)
		return config_error_set(r->err, path, "InvalidPath",
			    "%s: expected an absolute %s path of at most %d bytes%s",
			    quote_untrusted(q, sizeof(q), s, len), kind, MESH_PATH_MAX,
			    empty_ok ? ", or \"\"" : "");
	memcpy(out, s, len);
	out[len] = '\0';
	return 0;
}

/* ---- one base ---- */

enum {
	SEEN_HOST = 1 << 0,
	SEEN_KEY = 1 << 1,
};

static int base_host(const struct config_reader *r, struct mesh_base *b,
		     const struct json_value *v, const char *path)
{
	char q[QUOTE_BUF];
	const char *s = NULL, *why;
	size_t len = 0;

	if (config_read_string(r, v, path, false, &s, &len) != 0)
		return -1;
	why = mesh_host_problem(s, len);
	if (why != NULL)
		return config_error_set(r->err, path, "InvalidBaseHost",
			    "%s: %s; expected a DNS name or an IP address",
			    quote_untrusted(q, sizeof(q), s, len), why);
	memcpy(b->host, s, len);
	b->host[len] = '\0';
	return 0;
}

static int base_udp_port(const struct config_reader *r, struct mesh_base *b,
			 const struct json_value *v, const char *path)
{
	return config_read_port(r, v, path, &b->udp_port);
}

static int base_tcp_port(const struct config_reader *r, struct mesh_base *b,
			 const struct json_value *v, const char *path)
{
	return config_read_port(r, v, path, &b->tcp_port);
}

/* Unset: udp_port + 1 (none when udp_port is 65535). */
static void default_probe_port(bool has, uint16_t *probe_port, uint16_t udp_port)
{
	if (!has)
		*probe_port = udp_port < UINT16_MAX ? (uint16_t)(udp_port + 1) : 0;
}

/*
 * probe_port: a port, or 0 for none (a base that answers no NAT probe).
 * Unset, it is udp_port + 1 (resolved once every field is read).
 */
static int read_probe_port(const struct config_reader *r, const struct json_value *v,
			   const char *path, bool *has, uint16_t *out)
{
	uint64_t u;

	if (config_read_uint(r, v, path, UINT16_MAX, "0..65535", &u) != 0)
		return -1;
	*out = (uint16_t)u;
	*has = true;
	return 0;
}

static int base_probe_port(const struct config_reader *r, struct mesh_base *b,
			   const struct json_value *v, const char *path)
{
	return read_probe_port(r, v, path, &b->has_probe_port, &b->probe_port);
}

/* A base has an identity like any node: its key passes the same filter. */
static int base_public_key(const struct config_reader *r, struct mesh_base *b,
			   const struct json_value *v, const char *path)
{
	if (config_read_key_hex(r, v, path, "InvalidBaseKey", b->public_key,
				sizeof(b->public_key)) != 0)
		return -1;
	if (!identity_pk_acceptable(b->public_key))
		return config_error_set(r->err, path, "InvalidBaseKey",
			    "not an identity key: SHA-256 of it must start with 00 and a byte "
			    "below %d (docs/mesh.md); copy it from `subnetra identity show` on "
			    "the base", IDENTITY_POW_H1_LIMIT);
	return 0;
}

struct base_field {
	const char *name;
	unsigned seen;
	int (*parse)(const struct config_reader *r, struct mesh_base *b,
		     const struct json_value *v, const char *path);
};

static const struct base_field base_fields[] = {
	{ "host", SEEN_HOST, base_host },
	{ "udp_port", 0, base_udp_port },
	{ "tcp_port", 0, base_tcp_port },
	{ "probe_port", 0, base_probe_port },
	{ "public_key", SEEN_KEY, base_public_key },
};

static int parse_base(const struct config_reader *r, struct mesh_base *b, size_t idx,
		      const struct json_value *obj)
{
	char prefix[32]; /* "bases[<size_t>]" always fits */
	char path[sizeof(r->err->path)];
	unsigned seen = 0;

	snprintf(prefix, sizeof(prefix), "bases[%zu]", idx);
	if (obj->type != JSON_OBJECT)
		return config_wrong_type(r, obj, prefix, "object", false);
	b->udp_port = MESH_DEFAULT_PORT;
	b->tcp_port = MESH_DEFAULT_BASE_TCP_PORT;
	for (size_t k = 0; k < obj->u.object.n; k++) {
		const struct json_member *m = &obj->u.object.members[k];
		const struct base_field *f = NULL;

		for (size_t i = 0; i < sizeof(base_fields) / sizeof(base_fields[0]); i++) {
			if (is_named(m, base_fields[i].name))
				f = &base_fields[i];
		}
		if (f == NULL)
			return config_unknown_field(r, prefix, m, "in a base");
		snprintf(path, sizeof(path), "%s.%s", prefix, f->name);
		if (f->parse(r, b, &m->value, path) != 0)
			return -1;
		seen |= f->seen;
	}
	default_probe_port(b->has_probe_port, &b->probe_port, b->udp_port);
	if (!(seen & SEEN_HOST)) {
		snprintf(path, sizeof(path), "%s.host", prefix);
		return config_error_set(r->err, path, "MissingField",
			    "every base needs a host (a DNS name or an IP address)");
	}
	if (!(seen & SEEN_KEY)) {
		snprintf(path, sizeof(path), "%s.public_key", prefix);
		return config_error_set(r->err, path, "MissingField",
			    "every base needs its public_key (64 hex characters), so the node "
			    "can pin it");
	}
	return 0;
}

/* ---- top level ---- */

static int f_mode(const struct config_reader *r, struct config *cfg,
		  const struct json_value *v, const char *path)
{
	(void)r, (void)cfg, (void)v, (void)path; /* read first, by config_parse */
	return 0;
}

static int f_identity_file(const struct config_reader *r, struct config *cfg,
			   const struct json_value *v, const char *path)
{
	return read_path(r, v, path, false, "file", cfg->mesh.identity_file);
}

static int f_hosts_file(const struct config_reader *r, struct config *cfg,
			const struct json_value *v, const char *path)
{
	return read_path(r, v, path, true, "file", cfg->mesh.hosts_file);
}

/* Not "/" (a trailing '/' is refused): the daemon makes it its own (0700). */
static int f_state_dir(const struct config_reader *r, struct config *cfg,
		       const struct json_value *v, const char *path)
{
	return read_path(r, v, path, false, "directory", cfg->mesh.state_dir);
}

static int f_udp_port(const struct config_reader *r, struct config *cfg,
		      const struct json_value *v, const char *path)
{
	return config_read_port(r, v, path, &cfg->mesh.udp_port);
}

static int f_tcp_port(const struct config_reader *r, struct config *cfg,
		      const struct json_value *v, const char *path)
{
	return config_read_port(r, v, path, &cfg->mesh.tcp_port);
}

static int f_probe_port(const struct config_reader *r, struct config *cfg,
			const struct json_value *v, const char *path)
{
	return read_probe_port(r, v, path, &cfg->mesh.has_probe_port, &cfg->mesh.probe_port);
}

static int f_bases(const struct config_reader *r, struct config *cfg,
		   const struct json_value *v, const char *path)
{
	size_t n;

	if (v->type != JSON_ARRAY)
		return config_wrong_type(r, v, path, "array of bases", false);
	n = v->u.array.n;
	if (n > MESH_MAX_BASES)
		return config_error_set(r->err, path, "TooManyBases", "%zu bases, at most %d", n,
			    MESH_MAX_BASES);
	for (size_t i = 0; i < n; i++) {
		if (parse_base(r, &cfg->mesh.bases[i], i, &v->u.array.items[i]) != 0)
			return -1;
	}
	cfg->mesh.n_bases = n;
	return 0;
}

static int f_whitelist_enabled(const struct config_reader *r, struct config *cfg,
			       const struct json_value *v, const char *path)
{
	return config_read_bool(r, v, path, &cfg->mesh.whitelist_enabled);
}

/* Each entry one fc94::/16 address, in any IPv6 spelling, once. */
static int f_whitelist(const struct config_reader *r, struct config *cfg,
		       const struct json_value *v, const char *path)
{
	struct mesh_config *m = &cfg->mesh;
	size_t n;

	if (v->type != JSON_ARRAY)
		return config_wrong_type(r, v, path, "array of fc94::/16 addresses", false);
	n = v->u.array.n;
	if (n > MESH_MAX_WHITELIST)
		return config_error_set(r->err, path, "TooManyWhitelistEntries",
			    "%zu entries, at most %d", n, MESH_MAX_WHITELIST);
	for (size_t i = 0; i < n; i++) {
		char p[sizeof(r->err->path)], q[QUOTE_BUF];
		const char *s = NULL;
		size_t len = 0;

		snprintf(p, sizeof(p), "%s[%zu]", path, i);
		if (config_read_string(r, &v->u.array.items[i], p, false, &s, &len) != 0)
			return -1;
		if (!identity_address_parse(s, len, m->whitelist[i]))
			return config_error_set(r->err, p, "InvalidAddress",
				    "%s: not an IPv6 address", quote_untrusted(q, sizeof(q), s, len));
		if (!identity_address_in_overlay(m->whitelist[i]))
			return config_error_set(r->err, p, "NotMeshAddress",
				    "%s is not in fc94::/16, where every mesh address is",
				    quote_untrusted(q, sizeof(q), s, len));
		for (size_t j = 0; j < i; j++) {
			if (memcmp(m->whitelist[j], m->whitelist[i], MESH_ADDR_LEN) == 0)
				return config_error_set(r->err, p, "DuplicateWhitelistEntry",
					    "%s is already whitelist[%zu]",
					    quote_untrusted(q, sizeof(q), s, len), j);
		}
	}
	m->n_whitelist = n;
	return 0;
}

static int f_hostname(const struct config_reader *r, struct config *cfg,
		      const struct json_value *v, const char *path)
{
	char q[QUOTE_BUF];
	const char *s = NULL, *why;
	size_t len = 0;

	if (config_read_string(r, v, path, false, &s, &len) != 0)
		return -1;
	why = mesh_label_problem(s, len, true);
	if (why != NULL)
		return config_error_set(r->err, path, "InvalidHostname",
			    "%s: %s; expected one label of 1-%d characters [a-z0-9-], not "
			    "starting or ending with '-'",
			    quote_untrusted(q, sizeof(q), s, len), why, MESH_HOSTNAME_MAX);
	memcpy(cfg->mesh.hostname, s, len);
	cfg->mesh.hostname[len] = '\0';
	return 0;
}

#define REKEY_STR_(x) #x
#define REKEY_STR(x)  REKEY_STR_(x)
#define REKEY_RANGE   REKEY_STR(SESSION_REKEY_MIN_S) ".." REKEY_STR(SESSION_REKEY_MAX_S)

/* The one range rule of "rekey_interval", for the parser and the validator. */
static int rekey_check(unsigned s, struct config_error *err)
{
	if (s >= SESSION_REKEY_MIN_S && s <= SESSION_REKEY_MAX_S)
		return 0;
	return config_error_set(err, "rekey_interval", "RekeyIntervalOutOfRange",
		    "%u is outside " REKEY_RANGE " seconds (%d: the shortest that leaves a "
		    "handshake time to finish before the keypair expires at 3/2 of it; %d: "
		    "the longest a keypair may be used for sending)",
		    s, SESSION_REKEY_MIN_S, SESSION_REKEY_MAX_S);
}

static int f_lan_discovery(const struct config_reader *r, struct config *cfg,
			   const struct json_value *v, const char *path)
{
	return config_read_bool(r, v, path, &cfg->mesh.lan_discovery);
}

static int f_rekey_interval(const struct config_reader *r, struct config *cfg,
			    const struct json_value *v, const char *path)
{
	uint64_t u;

	if (config_read_uint(r, v, path, UINT16_MAX, REKEY_RANGE, &u) != 0)
		return -1;
	cfg->mesh.rekey_interval = (uint16_t)u;
	return rekey_check(cfg->mesh.rekey_interval, r->err);
}

static int f_psk(const struct config_reader *r, struct config *cfg,
		 const struct json_value *v, const char *path)
{
	if (config_read_key_hex(r, v, path, "InvalidPsk", cfg->mesh.psk,
				sizeof(cfg->mesh.psk)) != 0)
		return -1;
	cfg->mesh.has_psk = true;
	return 0;
}

static int f_mtu(const struct config_reader *r, struct config *cfg,
		 const struct json_value *v, const char *path)
{
	char range[16];
	uint64_t u;

	snprintf(range, sizeof(range), "%d..%d", MESH_TUN_MTU_MIN, MESH_TUN_MTU_DEFAULT);
	if (config_read_uint(r, v, path, UINT16_MAX, range, &u) != 0)
		return -1;
	if (u < MESH_TUN_MTU_MIN || u > MESH_TUN_MTU_DEFAULT)
		return config_error_set(r->err, path, "MtuOutOfRange",
			    "%" PRIu64 " is outside %s (%d: the IPv6 minimum; %d: a %d-byte "
			    "underlay minus %d bytes of mesh overhead)",
			    u, range, MESH_TUN_MTU_MIN, MESH_TUN_MTU_DEFAULT, DEFAULT_PATH_MTU,
			    MESH_TUN_OVERHEAD);
	cfg->mesh.mtu = (uint16_t)u;
	return 0;
}

static int f_user(const struct config_reader *r, struct config *cfg,
		  const struct json_value *v, const char *path)
{
	return config_read_user(r, v, path, cfg->user, sizeof(cfg->user));
}

static int f_workers(const struct config_reader *r, struct config *cfg,
		     const struct json_value *v, const char *path)
{
	return config_read_workers(r, v, path, &cfg->workers);
}

static int f_configure_interface(const struct config_reader *r, struct config *cfg,
				 const struct json_value *v, const char *path)
{
	return config_read_bool(r, v, path, &cfg->configure_interface);
}

/*
 * "management": {"url": "http://...", "join_code": "snj_..."}: url
 * required, join_code optional.  Shape only (printable ASCII "http://...";
 * a code's length and tag): the agent checks the rest when it starts.
 */
static int f_management(const struct config_reader *r, struct config *cfg,
			const struct json_value *v, const char *path)
{
	struct mesh_config *m = &cfg->mesh;
	char q[QUOTE_BUF];
	const char *s = NULL;
	size_t len = 0;
	bool printable = true;

	if (v->type != JSON_OBJECT)
		return config_wrong_type(r, v, path, "object with \"url\" and \"join_code\"",
					 false);
	for (size_t k = 0; k < v->u.object.n; k++) {
		const struct json_member *jm = &v->u.object.members[k];

		if (is_named(jm, "url")) {
			const char *p = "management.url";

			if (config_read_string(r, &jm->value, p, false, &s, &len) != 0)
				return -1;
			for (size_t i = 0; i < len; i++)
				printable &= s[i] > 0x20 && s[i] < 0x7f;
			if (len < 8 || len > MESH_MGMT_URL_MAX || !printable ||
			    strncmp(s, "http://", 7) != 0)
				return config_error_set(r->err, p, "InvalidManagementUrl",
					    "%s: expected http://HOST[:PORT][/PATH], at most %d "
					    "bytes of printable ASCII",
					    quote_untrusted(q, sizeof(q), s, len), MESH_MGMT_URL_MAX);
			memcpy(m->mgmt_url, s, len);
			m->mgmt_url[len] = '\0';
		} else if (is_named(jm, "join_code")) {
			const char *p = "management.join_code";

			if (config_read_string(r, &jm->value, p, true, &s, &len) != 0)
				return -1;
			if (len != MESH_MGMT_CODE_LEN ||
			    strncmp(s, MESH_MGMT_CODE_TAG, strlen(MESH_MGMT_CODE_TAG)) != 0)
				return config_error_set(r->err, p, "InvalidJoinCode",
					    "not a join code (%d characters starting "
					    MESH_MGMT_CODE_TAG ", as the dashboard shows it)",
					    MESH_MGMT_CODE_LEN);
			memcpy(m->mgmt_join_code, s, len);
			m->mgmt_join_code[len] = '\0';
		} else {
			return config_unknown_field(r, path, jm, "in management");
		}
	}
	if (m->mgmt_url[0] == '\0')
		return config_error_set(r->err, "management.url", "MissingField",
			    "management needs the server's url (http://[fc94:...]:PORT)");
	return 0;
}

struct mesh_field {
	const char *name;
	unsigned modes; /* IN_MESH, IN_BASE */
	int (*parse)(const struct config_reader *r, struct config *cfg,
		     const struct json_value *v, const char *path);
};

static const struct mesh_field mesh_fields[] = {
	{ "mode", IN_BOTH, f_mode },
	{ "identity_file", IN_BOTH, f_identity_file },
	{ "listen_port", IN_MESH, f_udp_port },
	{ "udp_port", IN_BASE, f_udp_port },
	{ "tcp_port", IN_BASE, f_tcp_port },
	{ "probe_port", IN_BASE, f_probe_port },
	{ "bases", IN_MESH, f_bases },
	{ "whitelist_enabled", IN_MESH, f_whitelist_enabled },
	{ "whitelist", IN_MESH, f_whitelist },
	{ "hostname", IN_MESH, f_hostname },
	{ "hosts_file", IN_MESH, f_hosts_file },
	{ "state_dir", IN_MESH, f_state_dir },
	{ "lan_discovery", IN_MESH, f_lan_discovery },
	{ "rekey_interval", IN_MESH, f_rekey_interval },
	{ "psk", IN_BOTH, f_psk },
	{ "mtu", IN_MESH, f_mtu },
	{ "user", IN_BOTH, f_user },
	{ "workers", IN_MESH, f_workers },
	{ "configure_interface", IN_MESH, f_configure_interface },
	{ "management", IN_MESH, f_management },
};

int config_mesh_parse(const struct config_reader *r, struct config *cfg,
		      const struct json_value *root)
{
	struct mesh_config *m = &cfg->mesh;
	const char *where = cfg->mode == CONFIG_MODE_BASE ? "in a base config" : "in a mesh config";

	snprintf(m->identity_file, sizeof(m->identity_file), "%s", IDENTITY_DEFAULT_PATH);
	m->udp_port = MESH_DEFAULT_PORT;
	m->tcp_port = cfg->mode == CONFIG_MODE_BASE ? MESH_DEFAULT_BASE_TCP_PORT : 0;
	m->mtu = cfg->mode == CONFIG_MODE_MESH ? MESH_TUN_MTU_DEFAULT : 0;
	m->whitelist_enabled = cfg->mode == CONFIG_MODE_MESH;
	m->lan_discovery = cfg->mode == CONFIG_MODE_MESH;
	m->rekey_interval = cfg->mode == CONFIG_MODE_MESH ? SESSION_REKEY_DEFAULT_S : 0;
	if (cfg->mode == CONFIG_MODE_MESH)
		snprintf(m->state_dir, sizeof(m->state_dir), "%s", MESH_STATE_DIR_DEFAULT);
	for (size_t k = 0; k < root->u.object.n; k++) {
		const struct json_member *jm = &root->u.object.members[k];
		const struct mesh_field *f = NULL;

		for (size_t i = 0; i < sizeof(mesh_fields) / sizeof(mesh_fields[0]); i++) {
			if (is_named(jm, mesh_fields[i].name) &&
			    (mesh_fields[i].modes & (1u << cfg->mode)))
				f = &mesh_fields[i];
		}
		if (f == NULL)
			return config_unknown_field(r, "", jm, where);
		if (f->parse(r, cfg, &jm->value, f->name) != 0)
			return -1;
	}
	if (cfg->mode == CONFIG_MODE_BASE)
		default_probe_port(m->has_probe_port, &m->probe_port, m->udp_port);
	return 0;
}

/* ---- validation ---- */

/* probe_port must not be the UDP port it probes against. */
static int validate_probe_port(struct config_error *err, const char *path,
			       uint16_t probe_port, uint16_t udp_port)
{
	if (probe_port != udp_port)
		return 0;
	return config_error_set(err, path, "ProbePortIsUdpPort",
		    "%u is also the UDP port; the NAT probe needs a second port (0: none)",
		    (unsigned)probe_port);
}

static int validate_bases(const struct mesh_config *m, struct config_error *err)
{
	char path[sizeof(err->path)];

	for (size_t i = 0; i < m->n_bases; i++) {
		snprintf(path, sizeof(path), "bases[%zu].probe_port", i);
		if (validate_probe_port(err, path, m->bases[i].probe_port,
					m->bases[i].udp_port) != 0)
			return -1;
	}
	for (size_t i = 1; i < m->n_bases; i++) {
		for (size_t j = 0; j < i; j++) {
			const struct mesh_base *a = &m->bases[i], *b = &m->bases[j];

			if (strcasecmp(a->host, b->host) == 0 && a->udp_port == b->udp_port) {
				snprintf(path, sizeof(path), "bases[%zu].host", i);
				return config_error_set(err, path, "DuplicateBase",
					    "\"%s\" port %u is also bases[%zu]", a->host,
					    (unsigned)a->udp_port, j);
			}
			if (memcmp(a->public_key, b->public_key, sizeof(a->public_key)) == 0) {
				snprintf(path, sizeof(path), "bases[%zu].public_key", i);
				return config_error_set(err, path, "DuplicateBase",
					    "the same key as bases[%zu]: one base, listed twice", j);
			}
		}
	}
	return 0;
}

/* Is file directly in dir (both absolute, as the parser made them)? */
static bool identity_in_dir(const char *file, const char *dir)
{
	const char *slash = strrchr(file, '/');
	size_t n = strlen(dir);

	return slash != NULL && (size_t)(slash - file) == n && strncmp(file, dir, n) == 0;
}

int config_mesh_validate(const struct config *cfg, struct config_error *err)
{
	const struct mesh_config *m = &cfg->mesh;

	/* The parser never produces these counts; the rules below index by them. */
	if (m->n_bases > MESH_MAX_BASES)
		return config_error_set(err, "bases", "TooManyBases", "%zu bases, at most %d",
			    m->n_bases, MESH_MAX_BASES);
	if (m->n_whitelist > MESH_MAX_WHITELIST)
		return config_error_set(err, "whitelist", "TooManyWhitelistEntries",
			    "%zu entries, at most %d", m->n_whitelist, MESH_MAX_WHITELIST);
	if (m->has_psk && sodium_is_zero(m->psk, sizeof(m->psk)))
		return config_error_set(err, "psk", "InvalidPsk", "the psk is all zeros");
	if (cfg->mode == CONFIG_MODE_BASE)
		return validate_probe_port(err, "probe_port", m->probe_port, m->udp_port);
	if (m->mtu < MESH_TUN_MTU_MIN || m->mtu > MESH_TUN_MTU_DEFAULT)
		return config_error_set(err, "mtu", "MtuOutOfRange", "%u is outside %d..%d",
			    (unsigned)m->mtu, MESH_TUN_MTU_MIN, MESH_TUN_MTU_DEFAULT);
	if (rekey_check(m->rekey_interval, err) != 0 || validate_bases(m, err) != 0)
		return -1;
	if (identity_in_dir(m->identity_file, m->state_dir))
		return config_error_set(err, "state_dir", "StateDirHoldsIdentity",
			    "%s holds identity_file %s: the running daemon may replace files in "
			    "state_dir; give it a directory of its own (default %s)",
			    m->state_dir, m->identity_file, MESH_STATE_DIR_DEFAULT);
	if (m->n_bases == 0 && !m->lan_discovery)
		return config_error_set(err, "bases", "NoDiscovery",
			    "no bases and \"lan_discovery\": false: this node could find no "
			    "peer; list a base or turn LAN discovery on");
	return 0;
}

int config_mesh_validate_path_mtu(const struct config *cfg, unsigned path_mtu,
				  struct config_error *err)
{
	unsigned max = mesh_tun_mtu_max(path_mtu);

	if (cfg->mode != CONFIG_MODE_MESH || cfg->mesh.mtu <= max)
		return 0;
	if (max < MESH_TUN_MTU_MIN)
		return config_error_set(err, "mtu", "MtuTooLargeForPath",
			    "%u exceeds %u (%u - %d bytes of mesh overhead): a %u-byte path is "
			    "too small for a mesh TUN, which needs a path MTU of at least %d",
			    (unsigned)cfg->mesh.mtu, max, path_mtu, MESH_TUN_OVERHEAD, path_mtu,
			    MESH_TUN_MTU_MIN + MESH_TUN_OVERHEAD);
	return config_error_set(err, "mtu", "MtuTooLargeForPath",
		    "%u exceeds %u, the most a %u-byte path carries (%u - %d bytes of mesh "
		    "overhead): set mtu to %u or less",
		    (unsigned)cfg->mesh.mtu, max, path_mtu, path_mtu, MESH_TUN_OVERHEAD, max);
}
