/*
 * The managed file, <state_dir>/managed: what the agent hands the node
 * daemon (the interface in docs/management.md, "The managed file"), one
 * record per line:
 *
 *   subnetra-managed 1
 *   version <epoch>.<serial>          ("0.0" before any bundle)
 *   server <fc94 address>             (0..8: management servers to reach)
 *   peer <fc94 address> [<name> [<alias> ...]]   (0..1024)
 *
 * Built from the applied bundle and the server set (the management URL's
 * host, the license's api_servers) as the daemon's own struct managed
 * (core/mesh/managed.h) within its limits, written by its managed_format
 * (one spelling for both sides), and saved atomically with mode 0644 (the
 * daemon may run as another user).
 */
#ifndef SUBNETRA_AGENT_MANAGED_H
#define SUBNETRA_AGENT_MANAGED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/mesh/managed.h"
#include "core/mgmt/bundle.h"

#define AGENT_MANAGED_FILE "managed"

enum {
	AGENT_MANAGED_SERVERS_MAX = MANAGED_SERVERS_MAX,
	AGENT_MANAGED_MAX = MANAGED_FILE_MAX, /* bytes of the file */
};

/* The management servers a node must reach: fc94::/16 addresses, no repeats. */
struct agent_servers {
	size_t n;
	uint8_t addr[AGENT_MANAGED_SERVERS_MAX][16];
};

/* Adds a (when in fc94::/16, not there yet and there is room); false if not added. */
bool agent_servers_add(struct agent_servers *s, const uint8_t a[16]);
bool agent_servers_equal(const struct agent_servers *a, const struct agent_servers *b);

/*
 * The managed set for bundle b (NULL: none, version 0.0 and no peers) and
 * servers s into *m.  false when the bundle holds more than the file
 * takes (MANAGED_PEERS_MAX peers, MANAGED_NAMES_MAX names in all): the
 * first peers and names are kept, the rest left out.
 */
bool agent_managed_build(const struct mgmt_bundle *b, const struct agent_servers *s,
			 struct managed *m);

/* text as <dirfd>/managed, atomically, mode 0644.  0 or -errno (err says why). */
int agent_managed_save(int dirfd, const char *label, const char *text, size_t len, char *err,
		       size_t errcap);

#endif
