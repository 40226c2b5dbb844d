/*
 * The single-threaded epoll reactor over TUN, every UDP socket, the control
 * socket, the keepalive timer and a signalfd.  Level-triggered, so each
 * handler does a bounded amount of work per wake-up and is simply called
 * again while its fd stays readable.
 */
#ifndef SUBNETRA_REACTOR_H
#define SUBNETRA_REACTOR_H

#include "daemon.h"

/* Create the epoll set, signalfd and keepalive timer. 0 or -errno. */
int reactor_setup(struct daemon *d);
/* Loop until SIGINT/SIGTERM. 0, or -errno if epoll itself fails. */
int reactor_run(struct daemon *d);

#endif
