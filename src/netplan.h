/*
 * --print-network-plan: the deterministic iproute2 commands (and MTU warning,
 * MSS-clamp hint) for a loaded config.  Print-only; touches nothing.
 */
#ifndef SUBNETRA_NETPLAN_H
#define SUBNETRA_NETPLAN_H

#include <stddef.h>

#include "config.h"

enum { NETPLAN_BUF = 8192 };

/* Returns the length written (NUL-terminated). */
size_t netplan_render(const struct config *cfg, const char *tun, unsigned path_mtu,
		      char *buf, size_t cap);

#endif
