/* Shared start-up steps (see start.h). */
#include "daemon/mesh/start.h"

#include <unistd.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>

#include "core/config_error.h"
#include "os/linux/mesh_identity.h"

int mesh_start_identity(const struct config *cfg, const char *config_path,
			struct identity *id, struct hs_local *local)
{
	struct config_error err;
	bool readable;
	char msg[768];

	if (mesh_identity_load(cfg, config_path != NULL ? config_path : "config.json", id,
			       &readable, &err) < 0) {
		config_error_format(&err, msg, sizeof(msg));
		fprintf(stderr, "subnetrad: %s\n", msg);
		return -1;
	}
	if (readable)
		fprintf(stderr,
			"subnetrad: warning: %s is readable by other users and holds a "
			"secret key; chmod 600 %s\n",
			cfg->mesh.identity_file, cfg->mesh.identity_file);
	if (hs_local_init(local, id, cfg->mesh.has_psk ? cfg->mesh.psk : NULL) < 0) {
		fprintf(stderr, "subnetrad: %s: identity unusable for the handshake\n",
			cfg->mesh.identity_file);
		return -1;
	}
	return 0;
}

int mesh_start_loop(int *sig_fd, int *epfd, int *timer_fd, uint64_t tick_ns)
{
	struct itimerspec tick = {
	    .it_interval = {.tv_nsec = (long)tick_ns},
	    .it_value = {.tv_nsec = (long)tick_ns},
	};
	sigset_t mask;

	/* Signals arrive as readable events: no work inside a handler. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP); /* no reload in mesh or base mode: read and ignored */
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		return -errno;
	*sig_fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	*epfd = epoll_create1(EPOLL_CLOEXEC);
	*timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (*sig_fd < 0 || *epfd < 0 || *timer_fd < 0)
		return -errno;
	if (timerfd_settime(*timer_fd, 0, &tick, NULL) < 0)
		return -errno;
	return 0;
}

bool mesh_signal_stop(int sig_fd)
{
	struct signalfd_siginfo si;
	bool stop = false;

	while (read(sig_fd, &si, sizeof(si)) == sizeof(si))
		if (si.ssi_signo == SIGINT || si.ssi_signo == SIGTERM)
			stop = true;
	return stop;
}
