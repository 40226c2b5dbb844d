/*
 * subnetra-config-gen: a matching hub + N spokes config set, the Quick
 * Start's shape generalised: the hub (id 1, a pure relay without an overlay
 * address) lists every spoke with its /32; spoke i gets id i+1, the overlay
 * address network+id, a /32 local route and the hub as its only peer; every
 * hub<->spoke link gets its own fresh key (randombytes_buf).
 *
 * Each file is parsed and validated in memory with the daemon's own code
 * before anything is written, so a generated set always passes --check.
 * Files are written with atomicfile (0600 from creation, fsync, link or
 * rename): all temporaries first, then all commits; an existing file is
 * never replaced without --force, and files created by a run that fails
 * half-way are removed again.
 *
 * The key text exists in the file buffers and the stack only; both are wiped.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "common/cliargs.h"
#include "core/cidr.h"
#include "core/config.h"
#include "core/version.h"
#include "core/wire.h"
#include "os/linux/atomicfile.h"

enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1,
	EXIT_USAGE = 2,
	HUB_ID = 1,
	DEFAULT_SPOKES = 2,
	DEFAULT_SPOKE_PORT = 18020,
	MAX_SPOKES = MAX_PEERS, /* the hub holds them all */
	FILE_BUF = CONFIG_MAX,
	PSK_HEX = 2 * WIRE_PSK_LEN + 1,
	NAME_MAX_LEN = 32,
};

/* Placeholder spoke endpoints: RFC 5737 TEST-NET-1, never routed. */
#define PLACEHOLDER_NET UINT32_C(0xc0000200) /* 192.0.2.0 */

static const char synopsis[] =
    "usage: subnetra-config-gen --hub-endpoint A.B.C.D:PORT [--spokes N] [--dir DIR]\n"
    "                           [--subnet CIDR] [--spoke-endpoint A.B.C.D:PORT]...\n"
    "                           [--mtu N] [--no-obfuscate] [--force]\n"
    "       subnetra-config-gen --version | --help\n";

/* A format string: the spoke limit is a build option. */
#define USAGE_REST                                                                       \
	"Writes a matching set of configs: DIR/hub.json and DIR/spoke-1.json ...\n"      \
	"DIR/spoke-N.json, one fresh key per hub<->spoke link.  The hub has id 1 and\n"  \
	"no overlay address (a pure relay); spoke i has id i+1 and the overlay\n"        \
	"address network+id (10.0.0.2, 10.0.0.3, ... by default).  Every file is\n"      \
	"validated with the daemon's own rules before it is written, created mode\n"     \
	"0600 and moved into place atomically.\n"                                        \
	"\n"                                                                             \
	"  --hub-endpoint A.B.C.D:PORT  where the spokes reach the hub; PORT is also\n"  \
	"                               the hub's listen port (required)\n"              \
	"  --spokes N                   number of spokes (1..%d, default %d)\n"          \
	"  --dir DIR                    output directory (default .; created 0700 if\n"  \
	"                               missing)\n"                                      \
	"  --subnet CIDR                the overlay (default 10.0.0.0/24)\n"             \
	"  --spoke-endpoint A.B.C.D:PORT  spoke i's public endpoint, in order (repeat\n" \
	"                               per spoke); PORT is also its listen port.\n"     \
	"                               Missing ones get placeholders "                  \
	"192.0.2.<id>:18020:\n"                                                          \
	"                               the hub learns a spoke's real endpoint from "    \
	"its\n"                                                                          \
	"                               first authenticated datagram (spokes send a\n"   \
	"                               keepalive every 20 s)\n"                         \
	"  --mtu N                      local_tun_mtu for every node (68..1500; "        \
	"default\n"                                                                      \
	"                               the daemon's 1436; see subnetra-mtu-probe)\n"    \
	"  --no-obfuscate               write \"obfuscate\": false (default true)\n"     \
	"  --force                      replace existing files\n"                        \
	"  --version, -V                print the version and exit\n"                    \
	"  --help, -h                   print this help and exit\n"                      \
	"\n"                                                                             \
	"An endpoint must be one the others can send to: not 0.0.0.0, not inside\n"      \
	"the overlay (--subnet), and no two nodes alike.\n"                             \
	"\n"                                                                             \
	"exit status: 0 files written, 1 a file exists (nothing written) or an\n"        \
	"I/O error, 2 usage error (including an endpoint refused as above)\n"

struct options {
	bool have_hub;
	struct endpoint4 hub;
	unsigned spokes;
	const char *dir;
	struct cidr subnet;
	struct endpoint4 spoke_ep[MAX_SPOKES];
	unsigned n_spoke_ep;
	unsigned mtu; /* 0 = daemon default, not written */
	bool obfuscate;
	bool force;
};

/* One file of the set, rendered. */
struct gen_file {
	char path[PATH_MAX];
	char name[NAME_MAX_LEN];
	char *text;
	size_t len;
	struct atomicfile af;
	bool begun;
};

#define usage_error(...) cliarg_usage_error("subnetra-config-gen", synopsis, __VA_ARGS__)

static int parse_endpoint(const char *opt, const char *s, struct endpoint4 *e)
{
	enum addr_err ae = endpoint_parse(e, s, strlen(s));

	if (ae != ADDR_OK)
		return usage_error("%s '%s': %s (expected A.B.C.D:PORT)", opt, s,
				   addr_err_name(ae));
	return -1;
}

static struct endpoint4 spoke_endpoint(const struct options *o, unsigned i);

/*
 * An endpoint the others can send to: not 0.0.0.0/8 ("this host", what a
 * socket binds to, never a destination), not inside the overlay (the
 * datagrams would be routed into the tunnel they carry).  Returns -1 to go
 * on, or the usage exit code.
 */
static int check_reachable(const struct options *o, const char *what,
			   const struct endpoint4 *e)
{
	char ep[ENDPOINT_STR_MAX], net[CIDR_STR_MAX], ip[IPV4_STR_MAX];

	endpoint_format(e, ep);
	cidr_format(&o->subnet, net);
	ipv4_format(e->addr, ip);
	if ((e->addr >> 24) == 0)
		return usage_error("%s %s: %s is not an address the others can send to "
				   "(0.0.0.0/8 means \"this host\", what a socket binds to); "
				   "give the address they reach it at",
				   what, ep, ip);
	if (cidr_contains(&o->subnet, e->addr))
		return usage_error("%s %s is inside the overlay %s: its datagrams would be "
				   "routed into the tunnel that carries them; give its underlay "
				   "(public) address, or choose another --subnet",
				   what, ep, net);
	return -1;
}

/*
 * The endpoints of the set: each reachable, and no two alike (the hub
 * would not know which spoke a datagram is from).  -1 or the exit code.
 */
static int check_endpoints(const struct options *o)
{
	char ep[ENDPOINT_STR_MAX], what[48];
	int rc = check_reachable(o, "--hub-endpoint", &o->hub);

	if (rc >= 0)
		return rc;
	for (unsigned i = 0; i < o->spokes; i++) {
		struct endpoint4 e = spoke_endpoint(o, i);

		snprintf(what, sizeof what, "--spoke-endpoint (spoke %u)", i + 1);
		if (i < o->n_spoke_ep && (rc = check_reachable(o, what, &e)) >= 0)
			return rc;
		endpoint_format(&e, ep);
		if (e.addr == o->hub.addr && e.port == o->hub.port)
			return usage_error(
			    "--hub-endpoint %s is also spoke %u's endpoint%s: every node needs "
			    "an endpoint of its own",
			    ep, i + 1,
			    i < o->n_spoke_ep ? "" : " (its placeholder; give --spoke-endpoint)");
		for (unsigned j = 0; j < i; j++) {
			struct endpoint4 f = spoke_endpoint(o, j);

			if (e.addr == f.addr && e.port == f.port)
				return usage_error("spoke %u's endpoint %s is also spoke %u's: "
						   "every node needs an endpoint of its own",
						   i + 1, ep, j + 1);
		}
	}
	return -1;
}

/* Returns -1 to go on, or an exit code. */
static int parse_args(int argc, char **argv, struct options *o)
{
	o->spokes = DEFAULT_SPOKES;
	o->dir = ".";
	o->subnet = (struct cidr){.addr = UINT32_C(0x0a000000), .prefix = 24};
	o->obfuscate = true;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		int rc;

		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			printf("%s\n", synopsis);
			printf(USAGE_REST, MAX_SPOKES, DEFAULT_SPOKES);
			return EXIT_OK;
		} else if (strcmp(a, "--version") == 0 || strcmp(a, "-V") == 0) {
			printf("subnetra-config-gen v%s\n", SUBNETRA_VERSION);
			return EXIT_OK;
		} else if (strcmp(a, "--force") == 0) {
			o->force = true;
			continue;
		} else if (strcmp(a, "--no-obfuscate") == 0) {
			o->obfuscate = false;
			continue;
		}
		/* Everything else takes a value. */
		if (strcmp(a, "--hub-endpoint") != 0 && strcmp(a, "--spokes") != 0 &&
		    strcmp(a, "--dir") != 0 && strcmp(a, "--subnet") != 0 &&
		    strcmp(a, "--spoke-endpoint") != 0 && strcmp(a, "--mtu") != 0)
			return usage_error("unknown argument '%s'", a);
		if (v == NULL)
			return usage_error("missing value after %s", a);
		i++;
		if (strcmp(a, "--hub-endpoint") == 0) {
			if ((rc = parse_endpoint(a, v, &o->hub)) >= 0)
				return rc;
			o->have_hub = true;
		} else if (strcmp(a, "--spokes") == 0) {
			if (!cliarg_uint(v, 1, MAX_SPOKES, &o->spokes))
				return usage_error("--spokes: expected 1..%d, got '%s'",
						   MAX_SPOKES, v);
		} else if (strcmp(a, "--dir") == 0) {
			if (v[0] == '\0')
				return usage_error("--dir: empty directory name");
			o->dir = v;
		} else if (strcmp(a, "--subnet") == 0) {
			enum addr_err ae = cidr_parse(&o->subnet, v, strlen(v));

			if (ae != ADDR_OK)
				return usage_error(
				    "--subnet '%s': %s (expected A.B.C.D/N)", v,
				    addr_err_name(ae));
		} else if (strcmp(a, "--spoke-endpoint") == 0) {
			if (o->n_spoke_ep == MAX_SPOKES)
				return usage_error("more than %d --spoke-endpoint",
						   MAX_SPOKES);
			if ((rc = parse_endpoint(a, v, &o->spoke_ep[o->n_spoke_ep])) >= 0)
				return rc;
			o->n_spoke_ep++;
		} else {
			if (!cliarg_uint(v, MTU_MIN, MTU_MAX, &o->mtu))
				return usage_error("--mtu: expected %d..%d, got '%s'",
						   MTU_MIN, MTU_MAX, v);
		}
	}
	if (!o->have_hub)
		return usage_error(
		    "--hub-endpoint is required (where the spokes reach the hub)");
	if (o->n_spoke_ep > o->spokes)
		return usage_error("%u --spoke-endpoint for %u spokes", o->n_spoke_ep,
				   o->spokes);
	if (cidr_network(&o->subnet) != o->subnet.addr) {
		char net[CIDR_STR_MAX];
		struct cidr c = {.addr = cidr_network(&o->subnet),
				 .prefix = o->subnet.prefix};

		cidr_format(&c, net);
		return usage_error("--subnet: host bits are set; did you mean %s?", net);
	}
	/* Spoke ids 2..spokes+1 are host numbers: they must stay below broadcast. */
	if (o->subnet.prefix > 30 ||
	    (uint64_t)o->spokes + HUB_ID + 1 >= (UINT64_C(1) << (32 - o->subnet.prefix)))
		return usage_error(
		    "--subnet /%u has no room for %u spokes (host numbers 2..%u)",
		    o->subnet.prefix, o->spokes, o->spokes + 1);
	return check_endpoints(o);
}

/* ---- rendering ---- */

__attribute__((format(printf, 2, 3))) static void put(struct gen_file *f, const char *fmt,
						      ...)
{
	va_list ap;
	int n;

	if (f->len >= FILE_BUF)
		return;
	va_start(ap, fmt);
	n = vsnprintf(f->text + f->len, FILE_BUF - f->len, fmt, ap);
	va_end(ap);
	f->len = n < 0 ? FILE_BUF : f->len + (size_t)n; /* >= FILE_BUF marks overflow */
}

static void put_common(struct gen_file *f, const struct options *o, const char *role,
		       uint32_t id)
{
	char net[CIDR_STR_MAX];

	cidr_format(&o->subnet, net);
	put(f,
	    "{\n  \"role\": \"%s\",\n  \"virtual_subnet\": \"%s\",\n  \"local_id\": "
	    "%" PRIu32 ",\n",
	    role, net, id);
	if (o->mtu != 0)
		put(f, "  \"local_tun_mtu\": %u,\n", o->mtu);
	put(f, "  \"obfuscate\": %s,\n", o->obfuscate ? "true" : "false");
}

static void put_peer(struct gen_file *f, uint32_t id, const char *name,
		     const struct endpoint4 *ep, const struct cidr *allowed,
		     const char *psk_hex, bool last)
{
	char e[ENDPOINT_STR_MAX], a[CIDR_STR_MAX];

	endpoint_format(ep, e);
	cidr_format(allowed, a);
	put(f,
	    "    { \"id\": %" PRIu32 ", \"name\": \"%s\", \"endpoint\": \"%s\", "
	    "\"allowed_src\": \"%s\",\n      \"psk\": \"%s\" }%s\n",
	    id, name, e, a, psk_hex, last ? "" : ",");
}

static struct endpoint4 spoke_endpoint(const struct options *o, unsigned i)
{
	if (i < o->n_spoke_ep)
		return o->spoke_ep[i];
	return (struct endpoint4){.addr = PLACEHOLDER_NET + HUB_ID + 1 + i,
				  .port = DEFAULT_SPOKE_PORT};
}

/* files[0] is the hub, files[1..spokes] the spokes. */
static void render(const struct options *o, struct gen_file *files)
{
	struct gen_file *hub = &files[0];
	char psk_hex[PSK_HEX];
	uint8_t psk[WIRE_PSK_LEN];

	put_common(hub, o, "hub", HUB_ID);
	put(hub, "  \"listen_ports\": [%u],\n  \"peers\": [\n", o->hub.port);
	for (unsigned i = 0; i < o->spokes; i++) {
		struct gen_file *sp = &files[i + 1];
		uint32_t id = HUB_ID + 1 + i;
		struct cidr host = {.addr = o->subnet.addr + id, .prefix = 32};
		struct cidr tun_ip = {.addr = host.addr, .prefix = o->subnet.prefix};
		struct endpoint4 ep = spoke_endpoint(o, i);
		char addr[CIDR_STR_MAX], route[CIDR_STR_MAX];

		randombytes_buf(psk, sizeof psk);
		sodium_bin2hex(psk_hex, sizeof psk_hex, psk, sizeof psk);
		put_peer(hub, id, sp->name, &ep, &host, psk_hex, i + 1 == o->spokes);

		cidr_format(&tun_ip, addr);
		cidr_format(&host, route);
		put_common(sp, o, "spoke", id);
		put(sp,
		    "  \"local_tun_ip\": \"%s\",\n  \"local_routes\": [\"%s\"],\n"
		    "  \"listen_ports\": [%u],\n  \"peers\": [\n",
		    addr, route, ep.port);
		put_peer(sp, HUB_ID, "hub", &o->hub, &o->subnet, psk_hex, true);
		put(sp, "  ]\n}\n");
	}
	put(hub, "  ]\n}\n");
	sodium_memzero(psk, sizeof psk);
	sodium_memzero(psk_hex, sizeof psk_hex);
}

/* The daemon's own parse + validation on the rendered text. */
static bool check_file(const struct gen_file *f, struct config *cfg)
{
	struct config_error err;
	char msg[768];
	bool ok;

	if (f->len >= FILE_BUF) {
		fprintf(stderr, "subnetra-config-gen: %s would exceed %d bytes\n",
			f->path, FILE_BUF);
		return false;
	}
	ok = config_parse(cfg, f->path, f->text, f->len, &err) == 0 &&
	     config_validate(cfg, f->path, &err) == 0;
	if (!ok) {
		config_error_format(&err, msg, sizeof msg);
		fprintf(
		    stderr,
		    "subnetra-config-gen: internal error, generated config fails: %s\n",
		    msg);
	}
	config_wipe(cfg);
	return ok;
}

/* ---- writing ---- */

static int ensure_dir(const char *dir)
{
	struct stat st;

	if (stat(dir, &st) == 0)
		return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
	if (errno != ENOENT)
		return -errno;
	return mkdir(dir, 0700) == 0 ? 0 : -errno;
}

/* Temporaries for all, then commits for all; on failure undo what this run created. */
static int write_set(const struct options *o, struct gen_file *files, size_t n)
{
	size_t committed = 0;
	int rc = 0;

	for (size_t i = 0; i < n; i++) {
		rc = atomicfile_begin(&files[i].af, files[i].path);
		if (rc == 0) {
			files[i].begun = true;
			rc = atomicfile_write(&files[i].af, files[i].text, files[i].len);
		}
		if (rc < 0) {
			fprintf(stderr, "subnetra-config-gen: %s: %s\n", files[i].path,
				strerror(-rc));
			goto undo;
		}
	}
	for (; committed < n; committed++) {
		rc = atomicfile_commit(&files[committed].af, o->force);
		if (rc < 0 && files[committed].af.committed) {
			/* In place; only the directory sync failed: report, keep going.
			 */
			fprintf(stderr,
				"subnetra-config-gen: %s: syncing the directory: %s\n",
				files[committed].path, strerror(-rc));
			rc = 0;
		}
		if (rc < 0) {
			fprintf(stderr, "subnetra-config-gen: %s: %s\n",
				files[committed].path,
				rc == -EEXIST ? "appeared meanwhile; not replaced"
					      : strerror(-rc));
			goto undo;
		}
	}
	return 0;
undo:
	for (size_t i = 0; i < n; i++)
		if (files[i].begun)
			atomicfile_abort(&files[i].af);
	if (!o->force) {
		/* Only files this run created exist under these names: remove them. */
		for (size_t i = 0; i < committed; i++)
			unlink(files[i].path);
		fprintf(stderr, "subnetra-config-gen: nothing written\n");
	} else if (committed > 0) {
		fprintf(stderr,
			"subnetra-config-gen: %zu of %zu files were replaced before the "
			"failure; the set is inconsistent, run again\n",
			committed, n);
	}
	return rc;
}

int main(int argc, char **argv)
{
	struct options o = {0};
	struct gen_file *files = NULL;
	struct config *cfg = NULL;
	size_t n = 0;
	bool exists = false;
	int rc = parse_args(argc, argv, &o);

	if (rc >= 0)
		return rc;
	if (sodium_init() < 0) {
		fprintf(stderr, "subnetra-config-gen: libsodium initialisation failed\n");
		return EXIT_FAIL;
	}
	rc = EXIT_FAIL;
	n = (size_t)o.spokes + 1;
	files = calloc(n, sizeof(*files));
	cfg = calloc(1, sizeof(*cfg));
	if (files == NULL || cfg == NULL)
		goto oom;
	for (size_t i = 0; i < n; i++) {
		struct stat st;
		int len;

		if (i == 0)
			snprintf(files[i].name, sizeof files[i].name, "hub");
		else
			snprintf(files[i].name, sizeof files[i].name, "spoke-%zu", i);
		len = snprintf(files[i].path, sizeof files[i].path, "%s/%s.json", o.dir,
			       files[i].name);
		if (len < 0 || (size_t)len >= sizeof files[i].path) {
			fprintf(stderr, "subnetra-config-gen: --dir: path too long\n");
			goto out;
		}
		files[i].text = malloc(FILE_BUF);
		if (files[i].text == NULL)
			goto oom;
		if (!o.force && lstat(files[i].path, &st) == 0) {
			fprintf(stderr, "subnetra-config-gen: %s exists\n",
				files[i].path);
			exists = true;
		}
	}
	if (exists) {
		fprintf(stderr,
			"subnetra-config-gen: nothing written; use --force to replace "
			"existing files\n");
		goto out;
	}

	render(&o, files);
	for (size_t i = 0; i < n; i++)
		if (!check_file(&files[i], cfg))
			goto out;
	rc = ensure_dir(o.dir);
	if (rc < 0) {
		fprintf(stderr, "subnetra-config-gen: --dir %s: %s\n", o.dir,
			strerror(-rc));
		rc = EXIT_FAIL;
		goto out;
	}
	if (write_set(&o, files, n) < 0) {
		rc = EXIT_FAIL;
		goto out;
	}

	{
		char hub_ep[ENDPOINT_STR_MAX];

		endpoint_format(&o.hub, hub_ep);
		printf("config-gen: wrote %s (role=hub, local_id=%d, peers=%u, "
		       "udp_ports={ %u })\n",
		       files[0].path, HUB_ID, o.spokes, o.hub.port);
		for (unsigned i = 0; i < o.spokes; i++) {
			struct cidr ip = {.addr = o.subnet.addr + HUB_ID + 1 + i,
					  .prefix = o.subnet.prefix};
			char a[CIDR_STR_MAX];

			cidr_format(&ip, a);
			printf("config-gen: wrote %s (role=spoke, local_id=%u, "
			       "local_tun_ip=%s, "
			       "hub %s)\n",
			       files[i + 1].path, HUB_ID + 1 + i, a, hub_ep);
		}
		{
			/* A smaller set written over a larger one leaves spokes that no
			 * longer match. */
			char stale[PATH_MAX];
			struct stat st;

			snprintf(stale, sizeof stale, "%s/spoke-%u.json", o.dir,
				 o.spokes + 1);
			if (lstat(stale, &st) == 0)
				printf("config-gen: note: %s and any higher-numbered "
				       "spoke files are "
				       "left from an earlier set and do not match %s\n",
				       stale, files[0].path);
		}
		if (o.n_spoke_ep < o.spokes)
			printf("config-gen: note: %s lists placeholder endpoints "
			       "192.0.2.x:%d for "
			       "%u spoke(s); edit them, or keep them for spokes behind "
			       "NAT (the "
			       "hub learns the real endpoint from each spoke's first "
			       "datagram)\n",
			       files[0].path, DEFAULT_SPOKE_PORT,
			       o.spokes - o.n_spoke_ep);
		printf("config-gen: install each file on its node as config.json (mode "
		       "0600) and "
		       "check it with: subnetrad --check --config config.json\n");
	}
	rc = EXIT_OK;
	goto out;
oom:
	fprintf(stderr, "subnetra-config-gen: out of memory\n");
out:
	if (files != NULL) {
		for (size_t i = 0; i < n; i++) {
			if (files[i].text != NULL) {
				sodium_memzero(files[i].text, FILE_BUF);
				free(files[i].text);
			}
		}
		free(files);
	}
	if (cfg != NULL) {
		config_wipe(cfg);
		free(cfg);
	}
	return rc;
}
