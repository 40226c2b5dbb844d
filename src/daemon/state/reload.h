/*
 * Reload (SIGHUP, `subnetra reload`): the config file the daemon started
 * with, read again and applied without closing the TUN or the sockets.  A
 * config that does not load or validate changes nothing; what only a
 * restart can change is reported (reload.c says what is applied).
 */
#ifndef SUBNETRA_RELOAD_H
#define SUBNETRA_RELOAD_H

#include <stdbool.h>
#include <stddef.h>

struct daemon;

/*
 * Worker 0 only.  Logs the outcome (one line) and, with reply != NULL,
 * writes it there too ("reloaded ...\n" or "reload failed: ...\n").
 * Returns the reply length, or 0 without a reply buffer; *ok tells.
 */
size_t daemon_reload(struct daemon *d, char *reply, size_t cap, bool *ok);

#endif
