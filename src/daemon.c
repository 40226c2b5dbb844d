/* Daemon start-up, run and teardown (see daemon.h for the order). */
#include "daemon.h"

#include <errno.h>
#include <libgen.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "control.h"
#include "privs.h"
#include "reactor.h"
#include "roles.h"
#include "sandbox.h"

#define DEFAULT_SOCK "/run/subnetra/subnetra.sock"
#define DEFAULT_TUN "snr0"

uint64_t wall_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) < 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/*
 * The boot epoch keys every session of this lifetime.  A clock before
 * 2024-01-01 could repeat an old epoch and so an old (key, nonce) pair:
 * refuse to start instead (fail closed).
 */
static int boot_epoch(uint64_t *out)
{
	uint64_t now = wall_ns();

	if (now < WIRE_MIN_EPOCH)
		return -ERANGE;
	*out = now;
	return 0;
}

/*
 * Where `save` writes and start-up reads the policy snapshot: the socket path
 * with its ".sock" suffix replaced by ".policy" (/run/subnetra/subnetra.sock
 * -> /run/subnetra/subnetra.policy), or ".policy" appended otherwise.
 */
static void policy_snapshot_path(char *out, size_t cap, const char *sock)
{
	size_t n = strlen(sock);

	if (n > 5 && strcmp(sock + n - 5, ".sock") == 0)
		n -= 5;
	snprintf(out, cap, "%.*s.policy", (int)n, sock);
}

static int set_paths(struct daemon_paths *p)
{
	const char *sock = getenv("SUBNETRA_SOCK");
	const char *tun = getenv("SUBNETRA_TUN");

	if (sock == NULL || *sock == '\0')
		sock = DEFAULT_SOCK;
	if (tun == NULL || *tun == '\0')
		tun = DEFAULT_TUN;
	if (strlen(sock) >= sizeof(p->sock)) {
		fprintf(stderr, "subnetrad: SUBNETRA_SOCK: path too long (max %zu bytes): %s\n",
			sizeof(p->sock) - 1, sock);
		return -1;
	}
	if (strlen(tun) >= sizeof(p->tun)) {
		fprintf(stderr, "subnetrad: SUBNETRA_TUN: interface name too long (max %zu): %s\n",
			sizeof(p->tun) - 1, tun);
		return -1;
	}
	snprintf(p->sock, sizeof(p->sock), "%s", sock);
	policy_snapshot_path(p->policy, sizeof(p->policy), sock);
	snprintf(p->tun, sizeof(p->tun), "%s", tun);
	return 0;
}

static int setup_policy(struct daemon *d)
{
	char err[512];
	int n;

	policy_init(&d->policy);
	if (roles_derive_policy(d->cfg, &d->policy) < 0) {
		fprintf(stderr, "subnetrad: derived policy does not fit the table (%d rules)\n",
			MAX_POLICY_ENTRIES);
		return -1;
	}
	n = policy_load(&d->policy, d->paths.policy, err, sizeof(err));
	if (n == -ENOENT)
		return 0;
	if (n < 0) {
		fprintf(stderr, "subnetrad: policy snapshot %s: %s\n", d->paths.policy,
			n == -EINVAL ? err : strerror(-n));
		return -1;
	}
	if (n > 0)
		fprintf(stderr, "subnetrad: loaded %d saved rule(s) from %s\n", n,
			d->paths.policy);
	return 0;
}

static int open_network(struct daemon *d)
{
	char name[TUN_NAME_MAX];
	unsigned offloads;
	int fd;

	fd = tun_open(d->paths.tun, name, &offloads);
	if (fd < 0) {
		fprintf(stderr, "subnetrad: cannot create TUN device '%s': %s%s\n", d->paths.tun,
			strerror(-fd),
			fd == -EPERM || fd == -EACCES ? " (needs CAP_NET_ADMIN and /dev/net/tun)"
						       : "");
		return -1;
	}
	d->tun_fd = fd;
	memcpy(d->paths.tun, name, sizeof(name));
	/* Coalescing UDP needs a kernel that takes UDP_L4 super-packets. */
	d->gro.udp = (offloads & TUN_OFFLOAD_USO) != 0;
	if (!d->gro.udp)
		fprintf(stderr, "subnetrad: TUN %s: no UDP segmentation offload (USO, Linux "
				"6.2+): UDP is written to it one datagram at a time\n",
			name);

	for (size_t i = 0; i < d->cfg->n_listen_ports; i++) {
		fd = udp_open(d->cfg->listen_ports[i]);
		if (fd < 0) {
			fprintf(stderr, "subnetrad: cannot bind UDP port %u: %s\n",
				d->cfg->listen_ports[i], strerror(-fd));
			return -1;
		}
		d->udp_fd[d->n_udp++] = fd;
	}

	fd = control_open(d);
	if (fd < 0) {
		fprintf(stderr, "subnetrad: control socket %s: %s\n", d->paths.sock,
			fd == -EADDRINUSE ? "another subnetrad is running on it"
			: fd == -EEXIST   ? "path exists and is not a socket"
					  : strerror(-fd));
		return -1;
	}
	d->ctl_fd = fd;
	return 0;
}

/*
 * The unprivileged daemon must still answer on, save next to and finally
 * remove its control socket: give it the socket, and the socket's directory
 * unless that is a shared directory (world-writable, like /tmp).
 */
static int hand_over_socket(struct daemon *d, uid_t uid, gid_t gid)
{
	char dir[sizeof(d->paths.sock)];
	struct stat st;

	if (chown(d->paths.sock, uid, gid) < 0)
		goto fail;
	memcpy(dir, d->paths.sock, sizeof(dir));
	if (stat(dirname(dir), &st) < 0)
		goto fail;
	if (!(st.st_mode & S_IWOTH) && chown(dir, uid, gid) < 0)
		goto fail;
	return 0;
fail:
	fprintf(stderr, "subnetrad: cannot hand the control socket %s to user '%s': %s\n",
		d->paths.sock, d->cfg->user, strerror(errno));
	return -1;
}

/*
 * Everything privileged is done (TUN created, sockets bound): drop every
 * capability, then allow only the syscalls the running daemon makes.
 */
static int confine(struct daemon *d)
{
	uid_t uid = (uid_t)-1;
	gid_t gid = (gid_t)-1;
	int err;

	if (d->cfg->user[0] != '\0') {
		err = privs_lookup_user(d->cfg->user, &uid, &gid);
		if (err < 0) {
			fprintf(stderr, "subnetrad: config user '%s': %s\n", d->cfg->user,
				err == -ENOENT ? "no such user" : strerror(-err));
			return -1;
		}
		if (hand_over_socket(d, uid, gid) < 0)
			return -1;
	}
	err = privs_drop(uid, gid);
	if (err < 0) {
		fprintf(stderr, "subnetrad: cannot drop privileges: %s\n", strerror(-err));
		return -1;
	}
	err = sandbox_apply();
	if (err < 0) {
		fprintf(stderr, "subnetrad: cannot install the seccomp filter: %s\n",
			strerror(-err));
		return -1;
	}
	if (err > 0)
		fprintf(stderr, "subnetrad: sanitizer build: seccomp filter not installed\n");
	return 0;
}

struct daemon *daemon_alloc(const struct config *cfg)
{
	struct daemon *d = calloc(1, sizeof(*d));

	if (d == NULL)
		return NULL;
	d->cfg = cfg;
	d->epfd = d->tun_fd = d->ctl_fd = d->sig_fd = d->ka_timer_fd = -1;
	for (size_t i = 0; i < MAX_LISTEN_PORTS; i++)
		d->udp_fd[i] = -1;
	udp_rx_batch_init(&d->rx, d->rx_slots);
	for (size_t i = 0; i < MAX_LISTEN_PORTS; i++)
		udp_tx_batch_init(&d->txq.batch[i], true);
	return d;
}

struct daemon *daemon_start(const struct config *cfg)
{
	struct daemon *d = daemon_alloc(cfg);
	int err;

	if (d == NULL) {
		fprintf(stderr, "subnetrad: out of memory\n");
		return NULL;
	}
	signal(SIGPIPE, SIG_IGN);

	if (set_paths(&d->paths) < 0)
		goto fail;
	if (boot_epoch(&d->epoch) < 0) {
		fprintf(stderr, "subnetrad: system clock is before 2024-01-01; refusing to start "
				"(the boot epoch must be fresh: fix the clock/NTP)\n");
		goto fail;
	}
	peer_table_init(&d->peers, cfg, d->epoch);
	if (setup_policy(d) < 0 || open_network(d) < 0)
		goto fail;
	err = reactor_setup(d);
	if (err < 0) {
		fprintf(stderr, "subnetrad: reactor set-up failed: %s\n", strerror(-err));
		goto fail;
	}
	if (confine(d) < 0)
		goto fail;
	return d;
fail:
	daemon_free(d);
	return NULL;
}

int daemon_run(struct daemon *d)
{
	int err = reactor_run(d);

	if (err < 0) {
		fprintf(stderr, "subnetrad: epoll failed: %s\n", strerror(-err));
		return -1;
	}
	return 0;
}

void daemon_free(struct daemon *d)
{
	if (d == NULL)
		return;
	control_close(d);
	int fds[] = {d->epfd, d->tun_fd, d->ctl_fd, d->sig_fd, d->ka_timer_fd};
	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		if (fds[i] >= 0)
			close(fds[i]);
	for (size_t i = 0; i < MAX_LISTEN_PORTS; i++)
		if (d->udp_fd[i] >= 0)
			close(d->udp_fd[i]);
	/* Keys live in the peer table; packet slots held plaintext. */
	sodium_memzero(d, sizeof(*d));
	free(d);
}
