/* A base server's start-up, event loop and teardown (see base.h, server.h). */
#include "daemon/base/base.h"

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
#include "daemon/base/server.h"
#include "daemon/base/status.h"
#include "daemon/control/control.h"
#include "daemon/host/daemon.h"
#include "daemon/mesh/start.h"
#include "os/linux/clock.h"
#include "os/linux/mesh_identity.h"

enum { TAG_UDP = 1, TAG_CTL, TAG_TIMER, TAG_SIG, TAG_TCP, TAG_PROBE };
_Static_assert((int)TAG_PROBE < (int)BASE_TAG_CONN, "connection tags come after");

static int setup_registry(struct base_server *b)
{
	struct registry_config rc = {
	    .nodes = BASE_REGISTRY_NODES,
	    .push = base_push,
	    .push_ctx = b,
	};

	b->reg_mem_len = registry_mem_size(&rc);
	b->reg_mem = calloc(1, b->reg_mem_len);
	if (b->reg_mem == NULL)
		return -ENOMEM;
	return registry_init(&b->reg, &rc, b->reg_mem, b->reg_mem_len);
}

static int watch(struct base_server *b, int fd, uint32_t tag)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.u32 = tag};

	return epoll_ctl(b->epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

static int setup_loop(struct base_server *b)
{
	int err = mesh_start_loop(&b->sig_fd, &b->epfd, &b->timer_fd, BASE_TICK_NS);

	if (err < 0)
		return err;
	if ((err = watch(b, b->udp_fd, TAG_UDP)) < 0 ||
	    (err = watch(b, b->host->ctl_fd, TAG_CTL)) < 0 ||
	    (err = watch(b, b->timer_fd, TAG_TIMER)) < 0 ||
	    (err = watch(b, b->sig_fd, TAG_SIG)) < 0 ||
	    (err = watch(b, b->tcp_fd, TAG_TCP)) < 0 ||
	    (b->probe_fd >= 0 && (err = watch(b, b->probe_fd, TAG_PROBE)) < 0))
		return err;
	return 0;
}

struct base_server *base_start(const struct config *cfg, const char *config_path)
{
	struct base_server *b = calloc(1, sizeof(*b));
	int err;

	if (b == NULL) {
		fprintf(stderr, "subnetrad: out of memory\n");
		return NULL;
	}
	b->cfg = cfg;
	b->udp_fd = b->epfd = b->timer_fd = b->sig_fd = b->tcp_fd = b->probe_fd = -1;
	if (mesh_start_identity(cfg, config_path, &b->id, &b->local) < 0)
		goto fail;
	b->host = daemon_host_start(cfg, config_path);
	if (b->host == NULL)
		goto fail;
	b->host->mode = b;
	b->host->mode_execute = base_control_hook;
	session_index_init(&b->index);
	mesh_ratelimit_load_init(&b->load, 0);
	b->rx_slots = malloc((size_t)UDP_BATCH * UDP_RX_SLOT_LEN);
	b->tx = calloc(1, sizeof(*b->tx));
	if (b->rx_slots == NULL || b->tx == NULL ||
	    mesh_ratelimit_init(&b->rl, NULL) < 0 || base_clients_init(b) < 0 ||
	    setup_registry(b) < 0) {
		fprintf(stderr, "subnetrad: out of memory\n");
		goto fail;
	}
	udp_rx_batch_init(&b->rx, b->rx_slots);
	/* GSO: the frames of one flow, staged back to back, leave as one send. */
	udp_stage_init(b->tx, true);
	b->udp_fd = udp_open6(cfg->mesh.udp_port, false);
	if (b->udp_fd < 0) {
		fprintf(stderr, "subnetrad: cannot bind UDP port %u: %s\n",
			(unsigned)cfg->mesh.udp_port, strerror(-b->udp_fd));
		goto fail;
	}
	b->probe_port = cfg->mesh.probe_port;
	if (b->probe_port != 0) {
		b->probe_fd = udp_open6(b->probe_port, false);
		if (b->probe_fd < 0) {
			fprintf(stderr, "subnetrad: cannot bind the NAT probe port (UDP %u): %s\n",
				(unsigned)b->probe_port, strerror(-b->probe_fd));
			goto fail;
		}
	}
	err = base_tcp_open(b);
	if (err < 0) {
		fprintf(stderr, "subnetrad: cannot listen on TCP port %u: %s\n",
			(unsigned)cfg->mesh.tcp_port, strerror(-err));
		goto fail;
	}
	err = setup_loop(b);
	if (err < 0) {
		fprintf(stderr, "subnetrad: event loop set-up failed: %s\n",
			strerror(-err));
		goto fail;
	}
	if (daemon_confine(b->host) < 0)
		goto fail;
	b->started_ns = mono_ns();
	return b;
fail:
	base_free(b);
	return NULL;
}

const struct identity *base_identity(const struct base_server *b)
{
	return &b->id;
}

const char *base_sock(const struct base_server *b)
{
	return b->host->paths.sock;
}

static void on_timer(struct base_server *b, uint64_t now_ns)
{
	uint64_t expirations;

	if (read(b->timer_fd, &expirations, sizeof(expirations)) != sizeof(expirations))
		return;
	(void)registry_expire(&b->reg, now_ns, REGISTRY_EXPIRE_BUDGET);
	base_tcp_tick(b, now_ns);
	/* Keys of nodes gone quiet: wiped 540 s after their last handshake. */
	for (size_t i = 0; i < b->n_clients; i++) {
		struct base_client *c = &b->clients[i];

		if (c->session.have_keys && session_zero_due(&c->session, now_ns))
			session_wipe_keys(&c->session, &b->index);
	}
}

int base_run(struct base_server *b)
{
	struct epoll_event ev[BASE_EVENTS];

	while (!b->stop) {
		int k = epoll_wait(b->epfd, ev, BASE_EVENTS, -1);
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
			case TAG_UDP:
				base_udp_readable(b, now);
				break;
			case TAG_CTL:
				control_handle(b->host);
				break;
			case TAG_TIMER:
				on_timer(b, now);
				break;
			case TAG_SIG:
				b->stop = mesh_signal_stop(b->sig_fd) || b->stop;
				break;
			case TAG_TCP:
				base_tcp_acceptable(b, now);
				break;
			case TAG_PROBE:
				base_probe_readable(b, now);
				break;
			default:
				if (ev[i].data.u32 >= BASE_TAG_CONN)
					base_tcp_event(b, ev[i].data.u32 - BASE_TAG_CONN,
						       ev[i].events, now);
				break;
			}
		}
	}
	return 0;
}

void base_free(struct base_server *b)
{
	if (b == NULL)
		return;
	int fds[] = {b->udp_fd, b->epfd, b->timer_fd, b->sig_fd, b->probe_fd};
	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		if (fds[i] >= 0)
			close(fds[i]);
	base_tcp_close_all(b);
	base_clients_free(b);
	free(b->reg_mem);
	free(b->rx_slots);
	free(b->tx);
	daemon_free(b->host);
	hs_local_wipe(&b->local);
	identity_wipe(&b->id);
	sodium_memzero(b, sizeof(*b));
	free(b);
}
