/*
 * Validation of a parsed config: the documented cross-field rules in the
 * documented order (interfaces.md §8, docs/configuration.md), then the
 * peer-registry rules, and the path-MTU rule of --check and config-lint.
 * Pure: the host's subnets and the path MTU are passed in.
 */
#include "core/config.h"
#include "core/config_mesh.h"

#include <inttypes.h>
#include <stdio.h>

#include <sodium.h>

static void peer_path(char out[64], size_t i, const char *field)
{
	snprintf(out, 64, "peers[%zu].%s", i, field);
}

bool config_subnet_overlaps(const struct cidr *virtual_subnet, const struct cidr *hosts,
			    size_t n_hosts)
{
	for (size_t i = 0; i < n_hosts; i++) {
		if (cidr_overlap(virtual_subnet, &hosts[i]))
			return true;
	}
	return false;
}

static int validate_psks(const struct config *cfg, struct config_error *err)
{
	char path[sizeof(err->path)];

	if (cfg->n_peers == 0)
		return config_error_set(err, "peers", "InvalidPsk",
			    "no peers configured: every link needs its own psk");
	for (size_t i = 0; i < cfg->n_peers; i++) {
		if (sodium_is_zero(cfg->peers[i].psk, sizeof(cfg->peers[i].psk))) {
			peer_path(path, i, "psk");
			return config_error_set(err, path, "InvalidPsk", "the psk is all zeros");
		}
	}
	for (size_t i = 1; i < cfg->n_peers; i++) {
		for (size_t j = 0; j < i; j++) {
			if (sodium_memcmp(cfg->peers[i].psk, cfg->peers[j].psk,
					  sizeof(cfg->peers[i].psk)) == 0) {
				peer_path(path, i, "psk");
				return config_error_set(err, path, "DuplicatePsk",
					    "same psk as peers[%zu]: every link needs its own key", j);
			}
		}
	}
	return 0;
}

static int validate_hub(const struct config *cfg, struct config_error *err)
{
	char path[sizeof(err->path)];
	char a[CIDR_STR_MAX], b[CIDR_STR_MAX];

	for (size_t i = 0; i < cfg->n_peers; i++) {
		if (cfg->peers[i].allowed_src.prefix == 0) {
			peer_path(path, i, "allowed_src");
			cidr_format(&cfg->peers[i].allowed_src, a);
			return config_error_set(err, path, "HubPeerNeedsAllowedSrc",
				    "\"%s\" (also the default when omitted): a hub needs a specific "
				    "allowed_src for peer id %" PRIu32,
				    a, cfg->peers[i].id);
		}
	}
	for (size_t i = 1; i < cfg->n_peers; i++) {
		for (size_t j = 0; j < i; j++) {
			if (!cidr_overlap(&cfg->peers[i].allowed_src, &cfg->peers[j].allowed_src))
				continue;
			peer_path(path, i, "allowed_src");
			cidr_format(&cfg->peers[i].allowed_src, a);
			cidr_format(&cfg->peers[j].allowed_src, b);
			return config_error_set(err, path, "HubAllowedSrcOverlap",
				    "\"%s\" overlaps peers[%zu].allowed_src \"%s\"", a, j, b);
		}
	}
	return 0;
}

static int validate_spoke(const struct config *cfg, struct config_error *err)
{
	char path[sizeof(err->path)];
	char a[CIDR_STR_MAX];

	if (cfg->n_peers != 1)
		return config_error_set(err, "peers", "SpokeNeedsOneHub",
			    "%zu peers: a spoke has exactly one peer, its hub", cfg->n_peers);
	if (cfg->n_local_routes == 0 && !cfg->has_local_tun_ip)
		return config_error_set(err, "local_routes", "SpokeMissingLocal",
			    "a spoke needs a local target: set local_routes or local_tun_ip");
	for (size_t i = 0; i < cfg->n_local_routes; i++) {
		if (cfg->local_routes[i].prefix != 0)
			continue;
		snprintf(path, sizeof(path), "local_routes[%zu]", i);
		cidr_format(&cfg->local_routes[i], a);
		return config_error_set(err, path, "SpokeLocalRouteTooBroad",
			    "\"%s\" would take the host's default route into the tunnel", a);
	}
	return 0;
}

static int validate_registry(const struct config *cfg, struct config_error *err)
{
	char path[sizeof(err->path)];
	char ep[ENDPOINT_STR_MAX];

	for (size_t i = 0; i < cfg->n_peers; i++) {
		if (cfg->peers[i].id == 0) {
			peer_path(path, i, "id");
			return config_error_set(err, path, "ReservedPeerId",
				    "0 is reserved for the local target (ids are " CONFIG_ID_RANGE ")");
		}
	}
	if (cfg->n_peers > 0 && cfg->local_id == 0)
		return config_error_set(err, "local_id", "MissingLocalId",
			    "0 (unset): a node with peers needs a local_id in " CONFIG_ID_RANGE);
	for (size_t i = 0; i < cfg->n_peers; i++) {
		if (cfg->peers[i].id == cfg->local_id) {
			peer_path(path, i, "id");
			return config_error_set(err, path, "SelfReference", "%" PRIu32 " is this node's local_id",
				    cfg->peers[i].id);
		}
	}
	for (size_t i = 1; i < cfg->n_peers; i++) {
		for (size_t j = 0; j < i; j++) {
			if (cfg->peers[i].id != cfg->peers[j].id)
				continue;
			peer_path(path, i, "id");
			return config_error_set(err, path, "DuplicateId", "%" PRIu32 " is also peers[%zu].id",
				    cfg->peers[i].id, j);
		}
	}
	for (size_t i = 1; i < cfg->n_peers; i++) {
		for (size_t j = 0; j < i; j++) {
			if (cfg->peers[i].endpoint.addr != cfg->peers[j].endpoint.addr ||
			    cfg->peers[i].endpoint.port != cfg->peers[j].endpoint.port)
				continue;
			peer_path(path, i, "endpoint");
			endpoint_format(&cfg->peers[i].endpoint, ep);
			return config_error_set(err, path, "DuplicateEndpoint",
				    "\"%s\" is also peers[%zu].endpoint", ep, j);
		}
	}
	return 0;
}

int config_validate_hosts(const struct config *cfg, const char *file_label,
			  const struct cidr *hosts, size_t n_hosts, struct config_error *err)
{
	char path[sizeof(err->path)];
	char a[CIDR_STR_MAX];

	config_error_reset(err, file_label);
	/* Mesh and base configs have rules of their own (config_mesh.c). */
	if (cfg->mode != CONFIG_MODE_V1)
		return config_mesh_validate(cfg, err);

	/*
	 * The parser never produces these counts; a hand-built config might,
	 * and every rule below indexes the arrays by them.  (Upstream names
	 * TooManyPeers as a registry error; it has to come first here.)
	 */
	if (cfg->n_peers > MAX_PEERS)
		return config_error_set(err, "peers", "TooManyPeers", "%zu peers, at most %d", cfg->n_peers,
			    MAX_PEERS);
	if (cfg->n_local_routes > MAX_ROUTES || cfg->n_remote_routes > MAX_ROUTES)
		return config_error_set(err, cfg->n_local_routes > MAX_ROUTES ? "local_routes" : "remote_routes",
			    "TooManyRoutes", "more than %d routes", MAX_ROUTES);
	if (cfg->n_listen_ports == 0 || cfg->n_listen_ports > MAX_LISTEN_PORTS)
		return config_error_set(err, "listen_ports", "TooManyListenPorts", "%zu ports, expected 1..%d",
			    cfg->n_listen_ports, MAX_LISTEN_PORTS);

	/* 1. keys */
	if (validate_psks(cfg, err) != 0)
		return -1;
	/* 2. MTU */
	if (cfg->local_tun_mtu < MTU_MIN || cfg->local_tun_mtu > MTU_MAX)
		return config_error_set(err, "local_tun_mtu", "MtuOutOfRange", "%u is outside %d..%d",
			    (unsigned)cfg->local_tun_mtu, MTU_MIN, MTU_MAX);
	/* 3. ids must fit the u16 wire key_id */
	if (cfg->local_id > UINT16_MAX)
		return config_error_set(err, "local_id", "PeerIdOutOfRange", "%" PRIu32 " is outside %s",
			    cfg->local_id, CONFIG_LOCAL_ID_RANGE);
	for (size_t i = 0; i < cfg->n_peers; i++) {
		if (cfg->peers[i].id <= UINT16_MAX)
			continue;
		peer_path(path, i, "id");
		return config_error_set(err, path, "PeerIdOutOfRange", "%" PRIu32 " is outside %s",
			    cfg->peers[i].id, CONFIG_ID_RANGE);
	}
	/* 4. host subnets (the daemon passes none, as upstream does) */
	if (config_subnet_overlaps(&cfg->virtual_subnet, hosts, n_hosts)) {
		cidr_format(&cfg->virtual_subnet, a);
		return config_error_set(err, "virtual_subnet", "SubnetOverlap",
			    "\"%s\" overlaps a subnet of this host", a);
	}
	/* 5./6. role structure; manual is the operator's own business */
	if (cfg->role == ROLE_HUB && validate_hub(cfg, err) != 0)
		return -1;
	if (cfg->role == ROLE_SPOKE && validate_spoke(cfg, err) != 0)
		return -1;
	return validate_registry(cfg, err);
}

int config_validate(const struct config *cfg, const char *file_label,
		    struct config_error *err)
{
	return config_validate_hosts(cfg, file_label, NULL, 0, err);
}

int config_validate_path_mtu(const struct config *cfg, const char *file_label,
			     unsigned path_mtu, struct config_error *err)
{
	unsigned max = path_mtu > WIRE_OVERHEAD ? path_mtu - WIRE_OVERHEAD : 0;

	config_error_reset(err, file_label);
	if (cfg->mode != CONFIG_MODE_V1)
		return config_mesh_validate_path_mtu(cfg, path_mtu, err);
	if (cfg->local_tun_mtu <= max)
		return 0;
	if (max < MTU_MIN)
		return config_error_set(err, "local_tun_mtu", "MtuTooLargeForPath",
			    "%u exceeds %u (%u - %d bytes of tunnel overhead): a %u-byte path "
			    "is too small for any tunnel, which needs a path MTU of at least %d",
			    (unsigned)cfg->local_tun_mtu, max, path_mtu, WIRE_OVERHEAD, path_mtu,
			    MTU_MIN + WIRE_OVERHEAD);
	return config_error_set(err, "local_tun_mtu", "MtuTooLargeForPath",
		    "%u exceeds %u, the most a %u-byte path carries (%u - %d bytes of tunnel "
		    "overhead): set local_tun_mtu to %u or less",
		    (unsigned)cfg->local_tun_mtu, max, path_mtu, path_mtu, WIRE_OVERHEAD, max);
}

