/* epoll reactor (see reactor.h). */
#include "daemon/reactor.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "daemon/control/control.h"
#include "daemon/datapath/datapath.h"
#include "daemon/reload.h"

enum {
	EP_EVENTS = 16,
	TAG_TUN = 1,
	TAG_CTL,
	TAG_SIG,
	TAG_TIMER,
	TAG_STOP,
	TAG_PAUSE,
	TAG_UDP0 = 16, /* TAG_UDP0 + socket index */
	PAUSE_TIMEOUT_SECS = 2, /* reactor_pause gives up after this */
};

static int watch(int epfd, int fd, uint32_t tag)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.u32 = tag};

	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

/*
 * Next keepalive in ms.  With obfuscation the interval is drawn uniformly
 * from [secs/2, secs] so the cadence is not a fixed-period fingerprint.
 */
static uint64_t keepalive_interval_ms(const struct daemon *d)
{
	uint64_t full = (uint64_t)d->cfg->keepalive_secs * 1000;
	uint64_t span = full - full / 2;

	if (!d->cfg->obfuscate)
		return full;
	if (span < UINT32_MAX)
		return full / 2 + randombytes_uniform((uint32_t)span + 1);
	/* Absurdly long intervals: modulo bias is irrelevant here. */
	return full / 2 + (((uint64_t)randombytes_random() << 32) | randombytes_random()) % (span + 1);
}

static int arm_keepalive(struct daemon *d)
{
	uint64_t ms = keepalive_interval_ms(d);
	struct itimerspec its = {
		.it_value = {.tv_sec = (time_t)(ms / 1000), .tv_nsec = (long)(ms % 1000) * 1000000},
	};

	if (its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0)
		its.it_value.tv_nsec = 1000000;
	return timerfd_settime(d->ka_timer_fd, 0, &its, NULL) < 0 ? -errno : 0;
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
	return reactor_rearm_keepalive(d);
}

int reactor_rearm_keepalive(struct daemon *d)
{
	static const struct itimerspec off;

	if (d->cfg->keepalive_secs > 0 && d->peers.n > 0)
		return arm_keepalive(d);
	return timerfd_settime(d->ka_timer_fd, 0, &off, NULL) < 0 ? -errno : 0;
}

int reactor_pause(struct daemon *d)
{
	uint64_t one = 1;
	struct timespec until;
	int err = 0;

	if (d->n_workers == 1)
		return 0;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += PAUSE_TIMEOUT_SECS;
	pthread_mutex_lock(&d->pause_mu);
	atomic_store(&d->pause_req, true);
	/* Level-triggered: readable until resumed, so no worker misses it. */
	if (write(d->pause_fd, &one, sizeof(one)) < 0)
		err = -errno;
	while (err == 0 && d->n_parked < d->n_workers - 1)
		err = -pthread_cond_timedwait(&d->pause_cv, &d->pause_mu, &until);
	pthread_mutex_unlock(&d->pause_mu);
	if (err < 0)
		reactor_resume(d);
	return err;
}

void reactor_resume(struct daemon *d)
{
	uint64_t n;

	if (d->n_workers == 1)
		return;
	pthread_mutex_lock(&d->pause_mu);
	atomic_store(&d->pause_req, false);
	if (read(d->pause_fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		fprintf(stderr, "subnetrad: pause event: %s\n", strerror(errno));
	pthread_cond_broadcast(&d->pause_cv);
	pthread_mutex_unlock(&d->pause_mu);
}

void reactor_wake_parked(struct daemon *d)
{
	pthread_mutex_lock(&d->pause_mu);
	pthread_cond_broadcast(&d->pause_cv);
	pthread_mutex_unlock(&d->pause_mu);
}

/*
 * A worker other than 0, between two wake-ups (its batches flushed, its
 * blocks of sequence numbers released, its counters published): wait while
 * worker 0 changes shared state, or until the daemon stops.
 */
static void park(struct worker *w)
{
	struct daemon *d = w->d;

	pthread_mutex_lock(&d->pause_mu);
	d->n_parked++;
	pthread_cond_broadcast(&d->pause_cv);
	while (atomic_load(&d->pause_req) && !atomic_load(&d->stop))
		pthread_cond_wait(&d->pause_cv, &d->pause_mu);
	d->n_parked--;
	pthread_mutex_unlock(&d->pause_mu);
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
	if (arm_keepalive(d) < 0)
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
					park(w);
			}
		}
	}
	return 0;
}
