/*
 * config.json parser and validator (config_parse, config_validate,
 * config_error_format) on arbitrary bytes, then every consumer of a valid
 * config that is pure: the role-derived policy and the network plan.
 *
 * Invariants:
 *  - an error always has a name, and its formatted message is a terminated
 *    string that starts with the file label;
 *  - secrets are never quoted: no run of 64 hex digits in an error message
 *    may be a psk value of the input.  A run counts as leaked when the input
 *    holds it only inside "psk" string values; when the same text also
 *    appears elsewhere (say, pasted into "endpoint"), quoting it there is
 *    legitimate;
 *  - a parsed config respects every table bound;
 *  - config_validate_hosts with no hosts agrees with config_validate; with
 *    host subnets it can only add SubnetOverlap, and only on a real overlap;
 *  - a valid config always fits the policy table (roles_derive_policy == 0)
 *    and renders a terminated network plan that fits NETPLAN_BUF;
 *  - a valid mesh or base config respects its bounds (mtu 1280..1400, at
 *    most MESH_MAX_BASES bases, no v1 peers, a NAT probe port that is not
 *    the UDP port it goes with), renders a terminated plan, and
 *    its path-MTU rule fails exactly when a node's mtu > path MTU - 100;
 *  - the path-MTU rule fails exactly when local_tun_mtu > path MTU - 64, and
 *    the host checks against a fixed host give at most HOSTCHECK_MAX
 *    findings, each a well-formed error (as above), a refusal only with
 *    "configure_interface" true.
 * config_wipe() runs after every input.
 */
#include <sodium.h>
#include <string.h>

#include "common.h"
#include "core/config.h"
#include "core/config_mesh.h"
#include "core/hostcheck.h"
#include "core/netplan.h"
#include "core/policy.h"
#include "core/roles.h"

enum { PSK_HEX_RUN = 2 * WIRE_PSK_LEN, MAX_PSK_SPANS = 64 };

static const char FILE_LABEL[] = "fuzz.json";

static struct config cfg;
static struct policy pol;
static char plan[NETPLAN_BUF];
static struct netplan np;
static struct hostcheck_report rep;

/* A host with a LAN, an overlay-ish 10/8 route and some exact /24 routes. */
static const struct host_net fuzz_host = {
	.addrs = { { { 0xc0a80105, 24 }, "eth0" }, { { 0x0a000002, 32 }, "lo" } },
	.n_addrs = 2,
	.routes = { { { 0xc0a80100, 24 }, "eth0", false, 0 },
		    { { 0x0a000000, 8 }, "eth0", true, 0xc0a80101 },
		    { { 0x0a000000, 24 }, "", true, 0xc0a80101 },
		    { { 0xc0a80300, 24 }, "eth1", false, 0 } },
	.n_routes = 4,
};

struct span {
	size_t off, len;
};

static bool is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Raw string values that follow a "psk" member name: "psk" ws : ws "...". */
static size_t psk_spans(const char *in, size_t len, struct span *out, size_t cap)
{
	static const char key[] = "\"psk\"";
	size_t n = 0, pos = 0;
	const char *hit;

	while (n < cap && (hit = fuzz_memmem(in + pos, len - pos, key, sizeof(key) - 1))) {
		size_t i = (size_t)(hit - in) + sizeof(key) - 1, start;

		pos = i;
		while (i < len && is_ws(in[i]))
			i++;
		if (i >= len || in[i] != ':')
			continue;
		i++;
		while (i < len && is_ws(in[i]))
			i++;
		if (i >= len || in[i] != '"')
			continue;
		start = ++i;
		while (i < len && in[i] != '"')
			i += in[i] == '\\' ? 2 : 1;
		if (i > len)
			i = len;
		out[n++] = (struct span){start, i - start};
		pos = i;
	}
	return n;
}

static bool inside(const struct span *s, size_t n, size_t off, size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (off >= s[i].off && off + len <= s[i].off + s[i].len)
			return true;
	return false;
}

/* Does the run msg[0..PSK_HEX_RUN) occur in the input only inside psk values? */
static bool only_in_psk(const char *in, size_t len, const char *run, const struct span *s,
			size_t n)
{
	bool found = false;
	size_t pos = 0;
	const char *hit;

	while ((hit = fuzz_memmem(in + pos, len - pos, run, PSK_HEX_RUN)) != NULL) {
		size_t off = (size_t)(hit - in);

		if (!inside(s, n, off, PSK_HEX_RUN))
			return false;
		found = true;
		pos = off + 1;
	}
	return found;
}

static void check_error(const struct config_error *err, const char *in, size_t len,
			const char *stage)
{
	struct span spans[MAX_PSK_SPANS];
	char msg[1024];
	size_t mlen, n;

	FUZZ_CHECK(err->name != NULL, "%s error without a name (path '%s', detail '%s')",
		   stage, err->path, err->detail);
	FUZZ_CHECK(memchr(err->path, '\0', sizeof(err->path)) != NULL &&
			   memchr(err->detail, '\0', sizeof(err->detail)) != NULL &&
			   memchr(err->file, '\0', sizeof(err->file)) != NULL,
		   "%s error field not terminated", stage);
	memset(msg, 0x7f, sizeof(msg));
	config_error_format(err, msg, sizeof(msg));
	mlen = strnlen(msg, sizeof(msg));
	FUZZ_CHECK(mlen < sizeof(msg), "%s message not terminated", stage);
	FUZZ_CHECK(strncmp(msg, FILE_LABEL, sizeof(FILE_LABEL) - 1) == 0,
		   "%s message does not start with the file: %s", stage, msg);

	n = psk_spans(in, len, spans, MAX_PSK_SPANS);
	if (n == 0)
		return;
	for (size_t off = 0; off + PSK_HEX_RUN <= mlen;) {
		long r = fuzz_find_hex_run(msg + off, mlen - off, PSK_HEX_RUN);

		if (r < 0)
			break;
		off += (size_t)r;
		FUZZ_CHECK(!only_in_psk(in, len, msg + off, spans, n),
			   "%s error quotes a psk value: %s", stage, msg);
		off++;
	}
}

static void check_bounds(const struct config *c)
{
	FUZZ_CHECK(c->n_peers <= MAX_PEERS, "n_peers %zu", c->n_peers);
	FUZZ_CHECK(c->n_listen_ports <= MAX_LISTEN_PORTS, "n_listen_ports %zu",
		   c->n_listen_ports);
	FUZZ_CHECK(c->n_local_routes <= MAX_ROUTES && c->n_remote_routes <= MAX_ROUTES,
		   "routes %zu/%zu", c->n_local_routes, c->n_remote_routes);
	FUZZ_CHECK(c->role == ROLE_MANUAL || c->role == ROLE_HUB || c->role == ROLE_SPOKE,
		   "role %d", (int)c->role);
	FUZZ_CHECK(c->virtual_subnet.prefix <= 32, "virtual_subnet /%u",
		   c->virtual_subnet.prefix);
	for (size_t i = 0; i < c->n_peers; i++) {
		const struct peer_config *p = &c->peers[i];

		FUZZ_CHECK(p->allowed_src.prefix <= 32, "peers[%zu] /%u", i,
			   p->allowed_src.prefix);
		FUZZ_CHECK(memchr(p->name, '\0', sizeof(p->name)) != NULL,
			   "peers[%zu].name not terminated", i);
		for (const char *s = p->name; *s; s++)
			FUZZ_CHECK(*s >= 0x20 && *s <= 0x7e, "peers[%zu].name byte 0x%02x", i,
				   (unsigned char)*s);
	}
}

static void check_valid_mesh(const struct config *c, const char *in, size_t size)
{
	static const unsigned mtus[] = {0, 64, 1280, 1380, 1420, 1500, 9000, 65535};
	static const uint8_t addr[16] = {0xfc, 0x94, 1, 2, 3};
	unsigned path_mtu = mtus[size % (sizeof(mtus) / sizeof(mtus[0]))];
	const struct mesh_config *m = &c->mesh;
	struct config_error err;
	size_t n;
	int rc;

	FUZZ_CHECK(c->n_peers == 0, "a mesh config with v1 peers");
	FUZZ_CHECK(m->n_bases <= MESH_MAX_BASES && m->n_whitelist <= MESH_MAX_WHITELIST,
		   "bases %zu, whitelist %zu", m->n_bases, m->n_whitelist);
	FUZZ_CHECK(c->mode == CONFIG_MODE_BASE ||
			   (m->mtu >= MESH_TUN_MTU_MIN && m->mtu <= MESH_TUN_MTU_DEFAULT),
		   "mesh mtu %u", m->mtu);
	FUZZ_CHECK(m->identity_file[0] == '/', "identity_file not absolute");
	FUZZ_CHECK(c->mode != CONFIG_MODE_BASE || m->probe_port != m->udp_port,
		   "base probe_port %u = udp_port", m->probe_port);
	for (size_t i = 0; i < m->n_bases; i++)
		FUZZ_CHECK(m->bases[i].probe_port != m->bases[i].udp_port,
			   "bases[%zu].probe_port %u = udp_port", i, m->bases[i].probe_port);
	n = netplan_render_mesh(c, addr, "snr0", path_mtu, plan, sizeof(plan));
	FUZZ_CHECK(n < sizeof(plan) && strlen(plan) == n, "mesh plan length %zu", n);
	rc = config_validate_path_mtu(c, FILE_LABEL, path_mtu, &err);
	FUZZ_CHECK((rc != 0) == (c->mode == CONFIG_MODE_MESH &&
				 m->mtu + MESH_TUN_OVERHEAD > path_mtu),
		   "path MTU %u, mesh mtu %u: rule says %d", path_mtu, m->mtu, rc);
	if (rc != 0)
		check_error(&err, in, size, "path_mtu");
}

static void check_valid(const struct config *c, const char *in, size_t size)
{
	static const unsigned mtus[] = {0, 64, 68, 576, 1280, 1500, 9000, 65535};
	unsigned path_mtu = mtus[size % (sizeof(mtus) / sizeof(mtus[0]))];
	struct config_error err;
	size_t n;
	int rc;

	FUZZ_CHECK(c->n_peers >= 1, "valid config without peers");
	FUZZ_CHECK(c->local_tun_mtu >= MTU_MIN && c->local_tun_mtu <= MTU_MAX, "mtu %u",
		   c->local_tun_mtu);
	for (size_t i = 0; i < c->n_peers; i++)
		FUZZ_CHECK(c->peers[i].id >= 1 && c->peers[i].id <= 65535 &&
				   c->peers[i].id != c->local_id,
			   "valid config with peer id %u (local %u)", c->peers[i].id,
			   c->local_id);

	policy_init(&pol);
	FUZZ_CHECK(roles_derive_policy(c, &pol) == 0, "valid config overflows the policy");

	n = netplan_render(c, "snr0", path_mtu, plan, sizeof(plan));
	FUZZ_CHECK(n < sizeof(plan) && strlen(plan) == n, "plan length %zu", n);

	rc = config_validate_path_mtu(c, FILE_LABEL, path_mtu, &err);
	FUZZ_CHECK((rc != 0) == (c->local_tun_mtu + WIRE_OVERHEAD > path_mtu),
		   "path MTU %u, local_tun_mtu %u: rule says %d", path_mtu, c->local_tun_mtu, rc);
	if (rc != 0)
		check_error(&err, in, size, "path_mtu");

	netplan_build(c, &np);
	FUZZ_CHECK(np.n_routes == c->n_peers, "plan has %zu routes for %zu peers", np.n_routes,
		   c->n_peers);
	hostcheck_net(c, &np, FILE_LABEL, &fuzz_host, &rep);
	FUZZ_CHECK(rep.n <= HOSTCHECK_MAX, "%zu findings", rep.n);
	for (size_t i = 0; i < rep.n; i++) {
		check_error(&rep.f[i].err, in, size, "hostcheck");
		FUZZ_CHECK(!rep.f[i].refuses_start || c->configure_interface,
			   "a refusal (%s) without configure_interface", rep.f[i].err.name);
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (sodium_init() < 0)
		__builtin_trap();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Subnets a typical host holds: a LAN and a container bridge. */
	static const struct cidr hosts[] = {{0xc0a80100, 24}, {0xac110000, 16}};
	const char *in = (const char *)data;
	struct config_error err, err2;
	int rc;

	if (config_parse(&cfg, FILE_LABEL, in, size, &err) != 0) {
		check_error(&err, in, size, "parse");
		goto out_wipe;
	}
	check_bounds(&cfg);
	rc = config_validate(&cfg, FILE_LABEL, &err);
	/* No host subnets is exactly config_validate. */
	FUZZ_CHECK(config_validate_hosts(&cfg, FILE_LABEL, NULL, 0, &err2) == rc &&
			   (rc == 0 || (err2.name != NULL && err.name != NULL &&
					strcmp(err.name, err2.name) == 0)),
		   "config_validate_hosts(no hosts) disagrees with config_validate");
	if (rc != 0) {
		check_error(&err, in, size, "validate");
		goto out_wipe;
	}
	if (cfg.mode != CONFIG_MODE_V1) {
		check_valid_mesh(&cfg, in, size);
		goto out_wipe;
	}
	check_valid(&cfg, in, size);
	if (config_validate_hosts(&cfg, FILE_LABEL, hosts, sizeof(hosts) / sizeof(hosts[0]),
				  &err2) != 0) {
		check_error(&err2, in, size, "validate_hosts");
		FUZZ_CHECK(strcmp(err2.name, "SubnetOverlap") == 0 &&
				   config_subnet_overlaps(&cfg.virtual_subnet, hosts,
							  sizeof(hosts) / sizeof(hosts[0])),
			   "host check failed (%s) without an overlap", err2.name);
	}
out_wipe:
	config_wipe(&cfg);
	return 0;
}
