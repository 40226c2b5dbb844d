/*
 * Parking the workers (see pause.h).  Worker 0 sets pause_req and makes the
 * pause eventfd readable; each other worker, at the end of its wake-up, sees
 * the flag and waits on pause_cv, counted in n_parked, until pause_end or a
 * stop.  The eventfd stays readable (level-triggered) until pause_end, so a
 * worker asleep in epoll_wait wakes up too.
 */
#include "daemon/state/pause.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon/state/context.h"

enum { PAUSE_TIMEOUT_SECS = 2 }; /* pause_begin gives up after this */

int pause_begin(struct daemon *d)
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
		pause_end(d);
	return err;
}

void pause_end(struct daemon *d)
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

void pause_wake(struct daemon *d)
{
	pthread_mutex_lock(&d->pause_mu);
	pthread_cond_broadcast(&d->pause_cv);
	pthread_mutex_unlock(&d->pause_mu);
}

void pause_park(struct daemon *d)
{
	pthread_mutex_lock(&d->pause_mu);
	d->n_parked++;
	pthread_cond_broadcast(&d->pause_cv);
	while (atomic_load(&d->pause_req) && !atomic_load(&d->stop))
		pthread_cond_wait(&d->pause_cv, &d->pause_mu);
	d->n_parked--;
	pthread_mutex_unlock(&d->pause_mu);
}
