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

struct daemon;
struct worker;

/* Create every worker's epoll set, the signalfd and keepalive timer. 0 or -errno. */
int reactor_setup(struct daemon *d);
/* Loop until the daemon stops. 0, or -errno if epoll itself fails. */
int reactor_run(struct worker *w);

#endif
