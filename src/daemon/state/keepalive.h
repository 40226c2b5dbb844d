/*
 * The spoke's NAT keepalive timer (worker 0's timerfd, d->ka_timer_fd): when
 * the next keepalives go out.  tx_keepalive (datapath.h) sends them.
 */
#ifndef SUBNETRA_KEEPALIVE_H
#define SUBNETRA_KEEPALIVE_H

struct daemon;

/* After an expiry: arm the timer for the next interval.  0 or -errno. */
int keepalive_timer_arm(struct daemon *d);
/* At start-up and after a reload: arm it, or disarm it when the config has
 * no keepalives or no peers.  0 or -errno. */
int keepalive_timer_update(struct daemon *d);

#endif
