/* The keepalive timer (see keepalive.h). */
#include "daemon/state/keepalive.h"

#include <errno.h>
#include <stdint.h>
#include <sys/timerfd.h>

#include <sodium.h>

#include "daemon/state/context.h"

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

int keepalive_timer_arm(struct daemon *d)
{
	uint64_t ms = keepalive_interval_ms(d);
	struct itimerspec its = {
		.it_value = {.tv_sec = (time_t)(ms / 1000), .tv_nsec = (long)(ms % 1000) * 1000000},
	};

	if (its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0)
		its.it_value.tv_nsec = 1000000;
	return timerfd_settime(d->ka_timer_fd, 0, &its, NULL) < 0 ? -errno : 0;
}

int keepalive_timer_update(struct daemon *d)
{
	static const struct itimerspec off;

	if (d->cfg->keepalive_secs > 0 && d->peers.n > 0)
		return keepalive_timer_arm(d);
	return timerfd_settime(d->ka_timer_fd, 0, &off, NULL) < 0 ? -errno : 0;
}
