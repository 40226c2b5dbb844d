/*
 * config.json -> struct config: strict parse (unknown field, wrong type, out
 * of range and syntax errors are rejected) and validation (the documented
 * rules, in the documented order, with the documented error names).  One
 * parser for the daemon, --check, the lint tool and the fuzzer.  The parsed
 * config is immutable; runtime state lives elsewhere.  Reading the file is
 * os/linux/config_file.h; errors are config_error.h.
 */
#ifndef SUBNETRA_CONFIG_H
#define SUBNETRA_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/bounds.h"
#include "core/cidr.h"
#include "core/config_error.h"
#include "core/mesh/name.h"
#include "core/wire.h"

enum role {
	ROLE_MANUAL,
	ROLE_HUB,
	ROLE_SPOKE,
};

enum { USER_NAME_MAX = 32 };

/*
 * What the file configures: a v1 node (no "mode" field: every v1 config),
 * or, with "mode": "mesh" / "base", a mesh node or a base server
 * (docs/configuration.md, "Mesh mode" and "Base mode").  The daemon runs
 * only v1 configs yet; --check, --print-network-plan and config-lint take
 * all three.
 */
enum config_mode {
	CONFIG_MODE_V1 = 0,
	CONFIG_MODE_MESH,
	CONFIG_MODE_BASE,
};

enum {
	MESH_MAX_BASES = 8,
	MESH_MAX_WHITELIST = 256,
	MESH_HOST_MAX = MESH_HOST_NAME_MAX, /* core/mesh/name.h */
	MESH_HOSTNAME_MAX = MESH_NAME_MAX, /* one label: core/mesh/name.h */
	MESH_PATH_MAX = 255,     /* identity_file, hosts_file, state_dir */
	MESH_KEY_LEN = 32,       /* an Ed25519 public key; the mesh psk */
	MESH_ADDR_LEN = 16,
	MESH_DEFAULT_PORT = 5582, /* a node's UDP port; a base's UDP port */
	MESH_DEFAULT_BASE_TCP_PORT = 443,
	/* "management": the agent's (subnetra agent) server and join code. */
	MESH_MGMT_URL_MAX = 256,     /* = MGMT_URL_MAX (core/mgmt/proto.h) */
	MESH_MGMT_CODE_LEN = 72,     /* = MGMT_JOINCODE_LEN (core/mgmt/joincode.h) */
};
#define MESH_MGMT_CODE_TAG "snj_"


/*
 * Where a mesh node keeps its whitelist and host names across reboots: a
 * directory of its own, beside (not holding) the identity's default place,
 * since the running daemon may replace files in it.
 */
#define MESH_STATE_DIR_DEFAULT "/var/lib/subnetra/state"

/* One base server a node registers with; its key is pinned. */
struct mesh_base {
	char host[MESH_HOST_MAX + 1];      /* DNS name or IP literal */
	uint16_t udp_port;                 /* default 5582 */
	uint16_t tcp_port;                 /* default 443 */
	bool has_probe_port;               /* parsing: probe_port was given */
	uint16_t probe_port;               /* NAT probe; default udp_port + 1; 0 = none */
	uint8_t public_key[MESH_KEY_LEN];  /* Ed25519, passes the identity filter */
};

/* The fields of "mode": "mesh" and "mode": "base" (config_mesh.c). */
struct mesh_config {
	char identity_file[MESH_PATH_MAX + 1]; /* default IDENTITY_DEFAULT_PATH */
	uint16_t udp_port;   /* mesh: listen_port; base: udp_port; default 5582 */
	uint16_t tcp_port;   /* base only: default 443 */
	bool has_probe_port; /* parsing: probe_port was given */
	uint16_t probe_port; /* base only: NAT probe; default udp_port + 1; 0 = none */
	uint16_t mtu;        /* mesh: TUN MTU; default MESH_TUN_MTU_DEFAULT */
	struct mesh_base bases[MESH_MAX_BASES];
	size_t n_bases;
	bool whitelist_enabled;  /* default true */
	uint8_t whitelist[MESH_MAX_WHITELIST][MESH_ADDR_LEN];
	size_t n_whitelist;
	char hostname[MESH_HOSTNAME_MAX + 1];      /* "" = none announced */
	char hosts_file[MESH_PATH_MAX + 1];        /* "" = no hosts file written */
	char state_dir[MESH_PATH_MAX + 1];         /* default MESH_STATE_DIR_DEFAULT */
	bool lan_discovery;      /* default true */
	uint16_t rekey_interval; /* mesh: seconds, SESSION_REKEY_MIN_S..MAX_S, default 120 */
	bool has_psk;
	uint8_t psk[MESH_KEY_LEN]; /* secret: never printed, never digested */
	/*
	 * "management" (read by subnetra agent; the daemon ignores it, so it
	 * is not digested either): "" = none.  Checked here for shape only;
	 * the agent parses both fully (core/mgmt/url.h, joincode.h), which
	 * subnetrad does not link.
	 */
	char mgmt_url[MESH_MGMT_URL_MAX + 1];
	char mgmt_join_code[MESH_MGMT_CODE_LEN + 1]; /* secret: never printed */
};

/* The id ranges as docs/configuration.md states them: messages quote these. */
#define CONFIG_ID_RANGE "1..65535"
#define CONFIG_LOCAL_ID_RANGE "1..65535, or 0 on a node without peers"

struct peer_config {
	uint32_t id; /* validated to 1..65535 */
	struct endpoint4 endpoint;
	struct cidr allowed_src;            /* default 0.0.0.0/0 */
	uint8_t psk[WIRE_PSK_LEN];          /* secret: never printed */
	char name[PEER_NAME_MAX + 1];       /* "" when unset */
};

/* A new non-secret field also enters config_digest (config_digest.c). */
struct config {
	uint8_t negotiation_version; /* must be 1 */
	uint16_t local_tun_mtu;      /* default 1436 */
	uint16_t listen_ports[MAX_LISTEN_PORTS];
	size_t n_listen_ports;       /* role-aware default when absent */
	struct cidr virtual_subnet;  /* default 10.0.0.0/24 */
	bool has_local_tun_ip;
	struct cidr local_tun_ip;
	uint32_t local_id;           /* validated to 1..65535 when peers exist */
	enum role role;
	struct cidr local_routes[MAX_ROUTES];
	size_t n_local_routes;
	struct cidr remote_routes[MAX_ROUTES];
	size_t n_remote_routes;
	uint32_t keepalive_secs;     /* role default: spoke 20, else 0 */
	bool obfuscate;              /* default true */
	char user[USER_NAME_MAX + 1]; /* run as this user after start-up; "" = stay */
	unsigned workers;            /* reactor threads, 1..MAX_WORKERS; default 1 */
	bool configure_interface;    /* apply the network plan at start; default true */
	struct peer_config peers[MAX_PEERS];
	size_t n_peers;
	/*
	 * CONFIG_MODE_V1 for every v1 config; the fields above it then mean
	 * what they always did and mesh is all zero.  In mesh and base mode
	 * only user, workers and configure_interface above are used.
	 */
	enum config_mode mode;
	struct mesh_config mesh;
};

const char *config_mode_name(enum config_mode m);

const char *role_name(enum role r);

/* The compiled-in default (deliberately not runnable: no peers). */
void config_defaults(struct config *cfg);

/*
 * Parse stage only (config.c): JSON syntax, then every field's type and
 * range, then the role-aware defaults.  text need not be NUL-terminated.
 * 0, or -1 with err set and cfg wiped.
 */
int config_parse(struct config *cfg, const char *file_label, const char *text, size_t len,
		 struct config_error *err);

/* Validation rules + registry rules, in documented order (config_validate.c). 0 or -1. */
int config_validate(const struct config *cfg, const char *file_label,
		    struct config_error *err);

/*
 * config_validate with the host's own subnets for the SubnetOverlap rule
 * (config_validate passes none, as upstream's daemon does).  0 or -1.
 */
int config_validate_hosts(const struct config *cfg, const char *file_label,
			  const struct cidr *hosts, size_t n_hosts, struct config_error *err);

/* Secrets -> sodium_memzero. */
void config_wipe(struct config *cfg);

enum { CONFIG_DIGEST_LEN = 32 };
/*
 * BLAKE2b-256 of every non-secret field of cfg in a fixed encoding (never
 * the PSKs): which config a policy snapshot was saved under.  Any change of
 * a non-secret field changes it; a PSK rotation does not.  Pure.
 */
void config_digest(const struct config *cfg, uint8_t out[CONFIG_DIGEST_LEN]);

/*
 * The path-MTU rule of --check and config-lint --path-mtu N: local_tun_mtu
 * must not exceed N - WIRE_OVERHEAD (MtuTooLargeForPath, naming both
 * numbers).  Pure.  0 or -1.
 */
int config_validate_path_mtu(const struct config *cfg, const char *file_label,
			     unsigned path_mtu, struct config_error *err);

/* Pure host-subnet overlap rule (SubnetOverlap); hosts may be empty. */
bool config_subnet_overlaps(const struct cidr *virtual_subnet, const struct cidr *hosts,
			    size_t n_hosts);

#endif
