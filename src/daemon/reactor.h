/*
 * The epoll reactor of one worker: its TUN queue and its socket of every
 * listen port; worker 0 also watches the control socket, the keepalive
 * timer and a signalfd.  Level-triggered, so each handler does a bounded
 * amount of work per wake-up and is simply called again while its fd stays
 * readable.  With several workers each wake-up is bracketed by
 * qsbr_online/qsbr_offline (the policy grace period) and ends by publishing
 * the worker's counters; with one worker neither happens.
 */
#ifndef SUBNETRA_REACTOR_H
#define SUBNETRA_REACTOR_H

#include "daemon/daemon.h"
#include "daemon/datapath/worker.h"

/* Create every worker's epoll set, the signalfd and keepalive timer. 0 or -errno. */
int reactor_setup(struct daemon *d);
/* Loop until the daemon stops. 0, or -errno if epoll itself fails. */
int reactor_run(struct worker *w);
/* Arm (or disarm) the keepalive timer for the current config. 0 or -errno. */
int reactor_rearm_keepalive(struct daemon *d);
/*
 * Worker 0, several workers: park every other worker between two of its
 * wake-ups (each has flushed its queue and released its sequence blocks),
 * so shared state may change under no one's feet.  0, or -ETIMEDOUT when
 * they did not all park within 2 s (nothing is paused then).  One worker:
 * a no-op.  Always followed by reactor_resume.
 */
int reactor_pause(struct daemon *d);
void reactor_resume(struct daemon *d);
/* Wake parked workers so that they see d->stop. */
void reactor_wake_parked(struct daemon *d);

#endif
