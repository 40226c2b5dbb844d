/* epoll reactor (see reactor.h). */
#include "daemon/host/reactor.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "daemon/state/context.h"
#include "daemon/control/control.h"
#include "daemon/datapath/datapath.h"
#include "daemon/state/keepalive.h"
#include "daemon/state/pause.h"
#include "daemon/state/reload.h"

enum {
	EP_EVENTS = 16,
	TAG_TUN = 1,
	TAG_CTL,
	TAG_SIG,
	TAG_TIMER,
	TAG_STOP,
	TAG_PAUSE,
	TAG_UDP0 = 16, /* TAG_UDP0 + socket index */
};

static int watch(int epfd, int fd, uint32_t tag)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.u32 = tag};

	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

/* A worker's data-plane fds, and the stop event when there are several. */
static int setup_worker(struct worker *w)
{
	struct daemon *d = w->d;
	int err;

	w->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (w->epfd < 0)
		return -errno;
	if ((err = watch(w->epfd, w->tun_fd, TAG_TUN)) < 0)
		return err;
	for (size_t i = 0; i < d->n_udp; i++)
		if ((err = watch(w->epfd, w->udp_fd[i], TAG_UDP0 + (uint32_t)i)) < 0)
			return err;
	if (d->stop_fd >= 0 && (err = watch(w->epfd, d->stop_fd, TAG_STOP)) < 0)
		return err;
	/* Workers 1..n-1 park between wake-ups while worker 0 reloads. */
	if (w->id > 0 && (err = watch(w->epfd, d->pause_fd, TAG_PAUSE)) < 0)
		return err;
	return 0;
}

int reactor_setup(struct daemon *d)
{
	struct worker *w0 = d->workers[0];
	sigset_t mask;
	int err;

	/*
	 * Signals arrive as readable events: no work inside a handler.  Blocked
	 * here, before any worker thread exists, so every thread inherits the
	 * mask and SIGTERM is only ever read from the signalfd.
	 */
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP); /* reload */
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		return -errno;
	d->sig_fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (d->sig_fd < 0)
		return -errno;
	if (d->n_workers > 1) {
		d->stop_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		d->pause_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (d->stop_fd < 0 || d->pause_fd < 0)
			return -errno;
	}
	for (unsigned k = 0; k < d->n_workers; k++)
		if ((err = setup_worker(d->workers[k])) < 0)
			return err;
	if ((err = watch(w0->epfd, d->sig_fd, TAG_SIG)) < 0 ||
	    (err = watch(w0->epfd, d->ctl_fd, TAG_CTL)) < 0)
		return err;
	/* Created even when keepalives are off: a reload may turn them on. */
	d->ka_timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (d->ka_timer_fd < 0)
		return -errno;
	if ((err = watch(w0->epfd, d->ka_timer_fd, TAG_TIMER)) < 0)
		return err;
	return keepalive_timer_update(d);
}

static void on_signal(struct daemon *d)
{
	struct signalfd_siginfo si;
	bool ok;

	while (read(d->sig_fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGINT || si.ssi_signo == SIGTERM)
			atomic_store(&d->stop, true);
		else if (si.ssi_signo == SIGHUP)
			(void)daemon_reload(d, NULL, 0, &ok);
	}
}

static void on_timer(struct worker *w)
{
	struct daemon *d = w->d;
	uint64_t expirations;

	if (read(d->ka_timer_fd, &expirations, sizeof(expirations)) != sizeof(expirations))
		return;
	tx_keepalive(w);
	if (keepalive_timer_arm(d) < 0)
		fprintf(stderr, "subnetrad: cannot re-arm keepalive timer: %s\n",
			strerror(errno));
}

int reactor_run(struct worker *w)
{
	struct daemon *d = w->d;
	bool several = d->n_workers > 1;
	struct epoll_event ev[EP_EVENTS];

	/* Every worker seals and opens with its own cipher state. */
	aead_ctx_use(w->aead);
	while (!atomic_load_explicit(&d->stop, memory_order_relaxed)) {
		int n = epoll_wait(w->epfd, ev, EP_EVENTS, -1);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (several)
			qsbr_online(&d->qsbr, w->id);
		for (int i = 0; i < n; i++) {
			uint32_t tag = ev[i].data.u32;

			if (tag >= TAG_UDP0)
				rx_drain(w, tag - TAG_UDP0);
			else if (tag == TAG_TUN)
				tx_drain_tun(w);
			else if (tag == TAG_CTL)
				control_handle(d);
			else if (tag == TAG_TIMER)
				on_timer(w);
			else if (tag == TAG_SIG)
				on_signal(d);
			/* TAG_STOP: d->stop is set; the loop condition ends it. */
		}
		if (several) {
			qsbr_offline(&d->qsbr, w->id);
			/* Worker 0 runs the control socket and reads its own ctr. */
			if (w->id != 0) {
				counters_publish(&w->pub, &w->ctr);
				if (atomic_load(&d->pause_req))
					pause_park(d);
			}
		}
	}
	return 0;
}
