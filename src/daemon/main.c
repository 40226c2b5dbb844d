/*
 * subnetrad: argument parsing and the top-level flow.  Exit codes:
 *   0  success (clean stop, config ok, plan printed)
 *   1  invalid configuration or a start-up failure
 *   2  bad command-line usage
 *   3  stopped by the seccomp filter: a forbidden system call (the log names
 *      it; SANDBOX_EXIT_VIOLATION)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sodium.h>

#include "common/cliargs.h"
#include "core/aead.h"
#include "core/config.h"
#include "core/mesh/identity.h"
#include "core/hostcheck.h"
#include "core/netplan.h"
#include "core/version.h"
#include "core/wire.h"
#include "daemon/host/daemon.h"
#include "daemon/base/base.h"
#include "daemon/mesh/mesh.h"
#include "os/linux/config_file.h"
#include "os/linux/mesh_identity.h"
#include "os/linux/netconf.h"
#include "os/linux/privs.h"

static const char synopsis[] =
	"usage: subnetrad [--config PATH] [--check | --print-network-plan] [--path-mtu N]\n"
	"       subnetrad --version | --help\n";

static const char usage_rest[] =
	"\n"
	"  --config PATH         config file (default ./config.json; if that is absent the\n"
	"                        compiled-in default is used, which has no peers and fails)\n"
	"  --check               validate the config and check it against this host (the\n"
	"                        user exists, local_tun_ip and the plan's routes are not in\n"
	"                        use elsewhere; a virtual_subnet overlapping the host's\n"
	"                        addresses or routes is a warning), print the banner, exit;\n"
	"                        changes nothing\n"
	"  --print-network-plan  print the host network plan (ip link/addr/route) and exit\n"
	"  --path-mtu N          underlay path MTU (132..65535; the tunnel needs 64 bytes\n"
	"                        of it and at least 68 more): assumed by the plan (default\n"
	"                        1500); with --check, local_tun_mtu above N - 64 is an error\n"
	"  --version, -V         print the version and exit\n"
	"  --help, -h            print this help and exit\n"
	"\n"
	"With no action flag the daemon runs: it creates the TUN device ($SUBNETRA_TUN,\n"
	"default snr0), binds every listen port and the control socket ($SUBNETRA_SOCK,\n"
	"default /run/subnetra/subnetra.sock), applies the network plan to the TUN\n"
	"(unless the config says \"configure_interface\": false) and runs until\n"
	"SIGINT/SIGTERM.\n"
	"\n"
	"exit status: 0 ok, 1 invalid config or start-up failure, 2 usage error,\n"
	"3 stopped by the seccomp filter (a forbidden system call; the log names it)\n";

struct options {
	const char *config;
	bool check;
	bool plan;
	unsigned path_mtu;
};

#define usage_error(...) cliarg_usage_error("subnetrad", synopsis, __VA_ARGS__)

/* The smallest path that carries the tunnel and an MTU of 68 inside it. */
enum { PATH_MTU_MIN = MTU_MIN + WIRE_OVERHEAD };

/*
 * A path MTU the tunnel cannot use at all is an error, not a plan with a
 * warning: no local_tun_mtu (68..1500) would work over it.
 */
static int path_mtu_arg(const char *arg, unsigned *out)
{
	if (!cliarg_uint(arg, 1, 65535, out))
		return usage_error("--path-mtu: expected %d..65535, got '%s'", PATH_MTU_MIN, arg);
	if (*out < PATH_MTU_MIN)
		return usage_error("--path-mtu %u: too small for any tunnel: its %d bytes of "
				   "overhead leave an overlay MTU of %d, below the IPv4 minimum of "
				   "%d (the path must carry at least %d bytes)",
				   *out, WIRE_OVERHEAD,
				   *out > WIRE_OVERHEAD ? (int)*out - WIRE_OVERHEAD : 0, MTU_MIN,
				   PATH_MTU_MIN);
	return -1;
}

/* Returns -1 to continue, or an exit code. */
static int parse_args(int argc, char **argv, struct options *o)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--config") == 0) {
			if (++i == argc)
				return usage_error("missing path after %s", a);
			o->config = argv[i];
		} else if (strcmp(a, "--check") == 0) {
			o->check = true;
		} else if (strcmp(a, "--print-network-plan") == 0) {
			o->plan = true;
		} else if (strcmp(a, "--path-mtu") == 0) {
			int rc;

			if (++i == argc)
				return usage_error("missing number after %s", a);
			rc = path_mtu_arg(argv[i], &o->path_mtu);
			if (rc >= 0)
				return rc;
		} else if (strcmp(a, "--version") == 0 || strcmp(a, "-V") == 0) {
			printf("subnetrad v%s\n", SUBNETRA_VERSION);
			return 0;
		} else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			printf("%s%s", synopsis, usage_rest);
			return 0;
		} else {
			return usage_error("unknown argument '%s'", a);
		}
	}
	if (o->check && o->plan)
		return usage_error("--check and --print-network-plan are exclusive");
	if (o->path_mtu != 0 && !o->plan && !o->check)
		return usage_error("--path-mtu only applies to --check and --print-network-plan");
	return -1;
}

/* "subnetra v0.1.0 (mtu=1436, udp_ports={ 18020 }, mode=raw_direct, local_id=2, peers=1)" */
static void print_banner(FILE *f, const struct config *cfg)
{
	fprintf(f, "subnetra v%s (mtu=%u, udp_ports={ ", SUBNETRA_VERSION, cfg->local_tun_mtu);
	for (size_t i = 0; i < cfg->n_listen_ports; i++)
		fprintf(f, "%s%u", i ? ", " : "", cfg->listen_ports[i]);
	fprintf(f, " }, mode=raw_direct, local_id=%u, peers=%zu)", cfg->local_id, cfg->n_peers);
}

/*
 * "subnetra v0.1.0 (mode=mesh, address=fc94:..., mtu=1400, udp_port=5582, bases=2,
 * whitelist=on (3 entries), lan_discovery=on, rekey_interval=120, psk=set,
 * state_dir=/var/lib/subnetra)"; a base shows its ports.
 */
static void print_mesh_banner(FILE *f, const struct config *cfg, const struct identity *id)
{
	const struct mesh_config *m = &cfg->mesh;
	char a[IDENTITY_ADDR_TEXT];

	identity_address_format(id->addr, a);
	fprintf(f, "subnetra v%s (mode=%s, address=%s, ", SUBNETRA_VERSION,
		config_mode_name(cfg->mode), a);
	if (cfg->mode == CONFIG_MODE_BASE) {
		fprintf(f, "udp_port=%u, probe_port=%u, tcp_port=%u, psk=%s)", m->udp_port,
			m->probe_port, m->tcp_port, m->has_psk ? "set" : "none");
		return;
	}
	fprintf(f, "mtu=%u, udp_port=%u, bases=%zu, whitelist=%s (%zu entries), "
		   "lan_discovery=%s, rekey_interval=%u, psk=%s, state_dir=%s)",
		m->mtu, m->udp_port, m->n_bases, m->whitelist_enabled ? "on" : "off",
		m->n_whitelist, m->lan_discovery ? "on" : "off", (unsigned)m->rekey_interval,
		m->has_psk ? "set" : "none", m->state_dir);
}

/*
 * The config holds every link's PSK: say so when other users can read it
 * (a warning, not an error, so an operator can still fix it on a live box).
 */
static void warn_if_readable(const char *path)
{
	struct stat st;

	if (path == NULL)
		path = "config.json";
	if (stat(path, &st) == 0 && (st.st_mode & (S_IRGRP | S_IROTH)))
		fprintf(stderr,
			"subnetrad: warning: %s is readable by other users (mode %04o) and "
			"holds secret keys; chmod 600 %s\n",
			path, (unsigned)(st.st_mode & 07777), path);
}

static void print_error(const char *prefix, const struct config_error *e)
{
	char msg[768];

	config_error_format(e, msg, sizeof(msg));
	fprintf(stderr, "subnetrad: %s%s\n", prefix, msg);
}

/* What --check asks of every config: the user exists, the MTU fits --path-mtu.  0 or 1. */
static int check_user_and_path_mtu(const struct config *cfg, const char *file,
				   unsigned path_mtu)
{
	struct config_error err;
	int rc = 0;

	if (privs_check_user(cfg, file, &err) < 0) {
		print_error("", &err);
		rc = 1;
	}
	if (path_mtu != 0 && config_validate_path_mtu(cfg, file, path_mtu, &err) < 0) {
		print_error("", &err);
		rc = 1;
	}
	return rc;
}

/*
 * --check of a mesh or base config: the user, the path MTU when given, and
 * the identity file, read as the daemon would (fail closed).  The host's
 * addresses and routes are not checked yet (hostcheck is IPv4-only).
 * Prints the banner and returns 0, or 1 after printing every finding.
 */
static int check_mesh(const struct config *cfg, const char *path, unsigned path_mtu)
{
	const char *file = path != NULL ? path : "config.json";
	struct config_error err;
	struct identity id;
	bool readable;
	int rc = check_user_and_path_mtu(cfg, file, path_mtu);

	if (mesh_identity_load(cfg, file, &id, &readable, &err) < 0) {
		print_error("", &err);
		return 1;
	}
	if (readable)
		fprintf(stderr, "subnetrad: warning: %s is readable by other users and holds a "
				"secret key; chmod 600 %s\n",
			cfg->mesh.identity_file, cfg->mesh.identity_file);
	if (rc == 0) {
		print_mesh_banner(stderr, cfg, &id);
		fprintf(stderr, " [config ok]\n");
	}
	identity_wipe(&id);
	return rc;
}

/* --print-network-plan of a mesh node (its address from the identity file) or a base. */
static int plan_mesh(const struct config *cfg, const char *path, unsigned path_mtu)
{
	char plan[NETPLAN_BUF];
	struct config_error err;
	struct identity id;
	const char *tun = daemon_tun_name();
	bool readable;

	if (tun == NULL)
		return 1;
	memset(&id, 0, sizeof(id));
	if (cfg->mode == CONFIG_MODE_MESH &&
	    mesh_identity_load(cfg, path != NULL ? path : "config.json", &id, &readable,
			       &err) < 0) {
		print_error("", &err);
		return 1;
	}
	netplan_render_mesh(cfg, id.addr, tun, path_mtu, plan, sizeof(plan));
	identity_wipe(&id);
	fputs(plan, stdout);
	return 0;
}

/*
 * --check beyond the config itself: what start-up would refuse on this
 * host (the user, the path MTU when given, an address or route of the plan
 * in use elsewhere), and, as a warning, a virtual_subnet that overlaps the
 * host's addresses or routes.  Every finding is printed.  Returns the exit
 * status: 0, or 1 when start-up would fail.
 */
static int check_host(const struct config *cfg, const char *path, unsigned path_mtu)
{
	const char *file = path != NULL ? path : "config.json";
	struct hostcheck_report rep;
	char why[256];
	const char *tun;
	int rc = check_user_and_path_mtu(cfg, file, path_mtu);

	tun = daemon_tun_name();
	if (tun == NULL)
		return 1;
	if (netconf_check_host(cfg, file, tun, &rep, why, sizeof(why)) < 0) {
		fprintf(stderr, "subnetrad: warning: host checks skipped: %s\n", why);
		return rc;
	}
	for (size_t i = 0; i < rep.n; i++) {
		print_error(rep.f[i].refuses_start ? "" : "warning: ", &rep.f[i].err);
		if (rep.f[i].refuses_start)
			rc = 1;
	}
	if (rep.more > 0)
		fprintf(stderr, "subnetrad: ... and %zu more like these\n", rep.more);
	return rc;
}

static int run(struct config *cfg, const char *path)
{
	struct daemon *d = daemon_start(cfg, path);
	int rc;

	if (d == NULL)
		return 1;
	/* The link keys are derived (peer table): the raw PSKs are not needed again. */
	config_wipe(cfg);
	print_banner(stderr, cfg);
	fprintf(stderr, " tun=%s sock=%s [ready]\n", d->paths.tun, d->paths.sock);
	rc = daemon_run(d) == 0 ? 0 : 1;
	fprintf(stderr, "subnetrad: stopped\n");
	daemon_free(d);
	return rc;
}

/* A mesh node: the config stays in memory (the node reads it) until it stops. */
static int run_mesh(const struct config *cfg, const char *path)
{
	struct mesh_node *n = mesh_start(cfg, path);
	int rc;

	if (n == NULL)
		return 1;
	print_mesh_banner(stderr, cfg, mesh_identity(n));
	fprintf(stderr, " tun=%s sock=%s [ready]\n", mesh_tun(n), mesh_sock(n));
	rc = mesh_run(n) == 0 ? 0 : 1;
	fprintf(stderr, "subnetrad: stopped\n");
	mesh_free(n);
	return rc;
}

/* A base server: no TUN; the config stays in memory until it stops. */
static int run_base(const struct config *cfg, const char *path)
{
	struct base_server *b = base_start(cfg, path);
	int rc;

	if (b == NULL)
		return 1;
	print_mesh_banner(stderr, cfg, base_identity(b));
	fprintf(stderr, " sock=%s [ready]\n", base_sock(b));
	rc = base_run(b) == 0 ? 0 : 1;
	fprintf(stderr, "subnetrad: stopped\n");
	base_free(b);
	return rc;
}

int main(int argc, char **argv)
{
	struct options o = {0};
	struct config_error err;
	struct config *cfg;
	char msg[768];
	int rc;

	rc = parse_args(argc, argv, &o);
	if (rc >= 0)
		return rc;
	/* Before the config brings its PSKs into memory. */
	rc = privs_no_dump();
	if (rc < 0) {
		fprintf(stderr, "subnetrad: cannot make the process non-dumpable: %s\n",
			strerror(-rc));
		return 1;
	}
	if (sodium_init() < 0 || aead_init() < 0) {
		fprintf(stderr, "subnetrad: crypto library initialisation failed\n");
		return 1;
	}
	cfg = calloc(1, sizeof(*cfg));
	if (cfg == NULL) {
		fprintf(stderr, "subnetrad: out of memory\n");
		return 1;
	}
	if (config_load(cfg, o.config, &err) < 0) {
		config_error_format(&err, msg, sizeof(msg));
		fprintf(stderr, "subnetrad: %s\n", msg);
		rc = 1;
		goto out;
	}
	/* A mesh config without a psk holds no secret: the identity file does. */
	if (cfg->mode == CONFIG_MODE_V1 || cfg->mesh.has_psk)
		warn_if_readable(o.config);
	if (cfg->mode != CONFIG_MODE_V1) {
		if (o.check) {
			rc = check_mesh(cfg, o.config, o.path_mtu);
		} else if (o.plan) {
			rc = plan_mesh(cfg, o.config, o.path_mtu ? o.path_mtu : DEFAULT_PATH_MTU);
		} else if (cfg->mode == CONFIG_MODE_MESH) {
			rc = run_mesh(cfg, o.config);
		} else {
			rc = run_base(cfg, o.config);
		}
	} else if (o.check) {
		rc = check_host(cfg, o.config, o.path_mtu);
		if (rc == 0) {
			print_banner(stderr, cfg);
			fprintf(stderr, " [config ok]\n");
		}
	} else if (o.plan) {
		char plan[NETPLAN_BUF];
		/* The plan is piped to `sudo sh`: never print a name that is not one. */
		const char *tun = daemon_tun_name();

		if (tun == NULL) {
			rc = 1;
			goto out;
		}
		netplan_render(cfg, tun, o.path_mtu ? o.path_mtu : 1500, plan,
			       sizeof(plan));
		fputs(plan, stdout);
		rc = 0;
	} else {
		rc = run(cfg, o.config);
	}
out:
	config_wipe(cfg);
	free(cfg);
	return rc;
}
