/*
 * The control socket server: AF_UNIX datagrams carrying the ctlproto grammar.
 * Malformed commands are ignored silently; replies go only to addressable
 * clients, never block, and are dropped if the client's buffer is full.
 */
#ifndef SUBNETRA_CONTROL_H
#define SUBNETRA_CONTROL_H

#include "daemon.h"

/*
 * Bind d->paths.sock (mode 0600; parent directory created 0700 if missing).
 * Refuses to replace a live instance's socket or a non-socket file; removes
 * a stale socket.  Returns the fd or -errno (-EADDRINUSE: another daemon).
 */
int control_open(struct daemon *d);
/* Handle up to MAX_CMDS_PER_TICK datagrams. */
void control_handle(struct daemon *d);
/* Unlink the socket path (on shutdown). */
void control_close(struct daemon *d);

#endif
