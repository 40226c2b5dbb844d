/* A mesh node's start-up, event loop and teardown (see mesh.h, node.h). */
#include "daemon/mesh/mesh.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <sodium.h>

#include "core/config_error.h"
#include "daemon/control/control.h"
#include "daemon/host/daemon.h"
#include "daemon/mesh/allow.h"
#include "daemon/mesh/bases.h"
#include "daemon/mesh/basetcp.h"
#include "daemon/mesh/data.h"
#include "daemon/mesh/hosts.h"
#include "daemon/mesh/lan.h"
#include "daemon/mesh/managed.h"
#include "daemon/mesh/netchange.h"
#include "daemon/mesh/node.h"
#include "daemon/mesh/peers.h"
#include "daemon/mesh/start.h"
#include "daemon/mesh/statedir.h"
#include "daemon/mesh/status.h"
#include "daemon/mesh/timers.h"
#include "os/linux/clock.h"
#include "os/linux/mesh_identity.h"
#include "os/linux/netconf.h"

enum { TAG_TUN = 1, TAG_UDP, TAG_BEACON4, TAG_BEACON6, TAG_CTL, TAG_TIMER, TAG_SIG, TAG_NET };
_Static_assert((int)TAG_NET < (int)MESH_TAG_BASE_TCP, "base TCP tags come after");
enum { MESH_PREFIX_LEN = 16, MESH_EVENTS = 16 };

static int open_tun(struct mesh_node *n)
{
	unsigned offloads;
	uint8_t prefix[16] = {0};
	struct netconf nc;
	char why[320], a[IDENTITY_ADDR_TEXT];
	int fd, err;

	fd = tun_open(n->host->paths.tun, TUN_OPEN_TSO6, n->tun, &offloads);
	if (fd < 0) {
		fprintf(stderr, "subnetrad: cannot create TUN device '%s': %s%s\n",
			n->host->paths.tun, strerror(-fd),
			fd == -EPERM || fd == -EACCES ? " (needs CAP_NET_ADMIN and /dev/net/tun)"
			: fd == -EBUSY		      ? " (in use; set SUBNETRA_TUN to another name)"
						      : "");
		return -1;
	}
	n->tun_fd = fd;
	if (!n->cfg->configure_interface)
		return 0;
	memcpy(prefix, n->id.addr, 2); /* fc94::/16 */
	err = netconf_open(&nc);
	if (err == 0) {
		err = netconf_apply6(&nc, n->tun, n->cfg->mesh.mtu, n->id.addr, MESH_PREFIX_LEN,
				     prefix, MESH_PREFIX_LEN, why, sizeof(why));
		netconf_close(&nc);
	} else {
		snprintf(why, sizeof(why), "netlink socket: %s", strerror(-err));
	}
	if (err < 0) {
		fprintf(stderr, "subnetrad: cannot configure %s: %s\n", n->tun, why);
		return -1;
	}
	identity_address_format(n->id.addr, a);
	fprintf(stderr, "subnetrad: configured %s: mtu %u, up, address %s/16, route fc94::/16\n",
		n->tun, (unsigned)n->cfg->mesh.mtu, a);
	return 0;
}

static int watch(struct mesh_node *n, int fd, uint32_t tag)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.u32 = tag};

	if (fd < 0)
		return 0;
	return epoll_ctl(n->epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

static int setup_loop(struct mesh_node *n)
{
	int err = mesh_start_loop(&n->sig_fd, &n->epfd, &n->timer_fd, MESH_TICK_NS);

	if (err < 0)
		return err;
	if ((err = watch(n, n->tun_fd, TAG_TUN)) < 0 || (err = watch(n, n->udp_fd, TAG_UDP)) < 0 ||
	    (err = watch(n, n->lan.fd4, TAG_BEACON4)) < 0 ||
	    (err = watch(n, n->lan.fd6, TAG_BEACON6)) < 0 ||
	    (err = watch(n, n->host->ctl_fd, TAG_CTL)) < 0 ||
	    (err = watch(n, n->timer_fd, TAG_TIMER)) < 0 || (err = watch(n, n->sig_fd, TAG_SIG)) < 0 ||
	    (err = watch(n, mesh_net_fd(n), TAG_NET)) < 0)
		return err;
	return 0;
}

/* Cookie replies per source address (hs.c says why so roomy). */
static const struct mesh_ratelimit_config cookie_rl_cfg = {
	.rate = MESH_COOKIE_RATE,
	.burst = MESH_COOKIE_BURST,
};

struct mesh_node *mesh_start(const struct config *cfg, const char *config_path)
{
	struct mesh_node *n = calloc(1, sizeof(*n));
	struct netwatch_scan *scan = malloc(sizeof(*scan));
	int err;

	if (n == NULL || scan == NULL) {
		fprintf(stderr, "subnetrad: out of memory\n");
		free(n);
		free(scan);
		return NULL;
	}
	n->cfg = cfg;
	n->tun_fd = n->udp_fd = n->epfd = n->timer_fd = n->sig_fd = -1;
	n->lan.fd4 = n->lan.fd6 = -1;
	/*
	 * The hosts helper first, forked while we hold no key yet; then the
	 * identity: a node that cannot be itself touches nothing else.
	 */
	if (mesh_hosts_start(n) < 0 ||
	    mesh_start_identity(cfg, config_path, &n->id, &n->local) < 0)
		goto fail;
	n->host = daemon_host_start(cfg, config_path);
	if (n->host == NULL)
		goto fail;
	n->host->mode = n;
	n->host->mode_execute = mesh_control_hook;
	if (mesh_state_open(n) < 0)
		goto fail;
	mesh_allow_load(n);
	if (mesh_managed_load(n) < 0)
		goto fail;
	mesh_hosts_load(n, mono_ns());
	session_index_init(&n->index);
	mesh_ratelimit_load_init(&n->load, 0);
	n->rx_slots = malloc((size_t)UDP_BATCH * UDP_RX_SLOT_LEN);
	if (mesh_ratelimit_init(&n->rl, NULL) < 0 ||
	    mesh_ratelimit_init(&n->cookie_rl, &cookie_rl_cfg) < 0 || mesh_peers_init(n) < 0 ||
	    n->rx_slots == NULL) {
		fprintf(stderr, "subnetrad: out of memory\n");
		goto fail;
	}
	udp_rx_batch_init(&n->rx, n->rx_slots);
	if (open_tun(n) < 0)
		goto fail;
	n->udp_fd = udp_open6(cfg->mesh.udp_port, false);
	if (n->udp_fd < 0) {
		fprintf(stderr, "subnetrad: cannot bind UDP port %u: %s\n",
			(unsigned)cfg->mesh.udp_port, strerror(-n->udp_fd));
		goto fail;
	}
	/* The watch, and the addresses and interfaces it sees now. */
	(void)mesh_net_open(n, scan);
	if (mesh_bases_open(n, scan) < 0)
		goto fail;
	if (cfg->mesh.lan_discovery && mesh_lan_open(n, scan) < 0)
		fprintf(stderr, "subnetrad: LAN discovery is off: no beacon socket\n");
	err = setup_loop(n);
	if (err < 0) {
		fprintf(stderr, "subnetrad: event loop set-up failed: %s\n", strerror(-err));
		goto fail;
	}
	if (daemon_confine(n->host) < 0)
		goto fail;
	free(scan);
	return n;
fail:
	free(scan);
	mesh_free(n);
	return NULL;
}

const struct identity *mesh_identity(const struct mesh_node *n)
{
	return &n->id;
}

const char *mesh_tun(const struct mesh_node *n)
{
	return n->tun;
}

const char *mesh_sock(const struct mesh_node *n)
{
	return n->host->paths.sock;
}

static void on_timer(struct mesh_node *n, uint64_t now_ns)
{
	uint64_t expirations;

	if (read(n->timer_fd, &expirations, sizeof(expirations)) != sizeof(expirations))
		return;
	mesh_tick(n, now_ns);
}

int mesh_run(struct mesh_node *n)
{
	struct epoll_event ev[MESH_EVENTS];

	if (n->lan.n_ifs > 0)
		mesh_lan_announce(n, true, mono_ns());
	while (!n->stop) {
		int k = epoll_wait(n->epfd, ev, MESH_EVENTS, -1);
		uint64_t now;

		if (k < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "subnetrad: epoll failed: %s\n", strerror(errno));
			return -1;
		}
		now = mono_ns();
		for (int i = 0; i < k; i++) {
			switch (ev[i].data.u32) {
			case TAG_TUN:
				mesh_tun_readable(n, now);
				break;
			case TAG_UDP:
				mesh_udp_readable(n, now);
				break;
			case TAG_BEACON4:
				mesh_lan_readable(n, n->lan.fd4, now);
				break;
			case TAG_BEACON6:
				mesh_lan_readable(n, n->lan.fd6, now);
				break;
			case TAG_CTL:
				control_handle(n->host);
				break;
			case TAG_TIMER:
				on_timer(n, now);
				break;
			case TAG_SIG:
				n->stop = mesh_signal_stop(n->sig_fd) || n->stop;
				break;
			case TAG_NET:
				mesh_net_readable(n, now);
				break;
			default:
				if (ev[i].data.u32 >= MESH_TAG_BASE_TCP)
					mesh_base_tcp_event(n, ev[i].data.u32 - MESH_TAG_BASE_TCP,
							    ev[i].events, now);
				break;
			}
		}
	}
	return 0;
}

void mesh_free(struct mesh_node *n)
{
	if (n == NULL)
		return;
	int fds[] = {n->tun_fd, n->udp_fd, n->epfd, n->timer_fd, n->sig_fd};
	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		if (fds[i] >= 0)
			close(fds[i]);
	mesh_lan_close(n);
	mesh_net_close(n);
	mesh_bases_free(n);
	/* The block stays in the hosts file: names resolve across a restart. */
	mesh_hosts_stop(n);
	mesh_peers_free(n);
	mesh_managed_free(n);
	free(n->rx_slots);
	/* Closes and removes the control socket. */
	daemon_free(n->host);
	hs_local_wipe(&n->local);
	identity_wipe(&n->id);
	sodium_memzero(n, sizeof(*n));
	free(n);
}
