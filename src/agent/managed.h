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
 * Rendered from the applied bundle and the server set (the management
 * URL's host, the license's api_servers), addresses in RFC 5952 text, no
 * address twice (a server that is also a peer is listed as the peer), and
 * saved atomically with mode 0644 (the daemon may run as another user).
 */
#ifndef SUBNETRA_AGENT_MANAGED_H
#define SUBNETRA_AGENT_MANAGED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/mgmt/bundle.h"

#define AGENT_MANAGED_FILE "managed"

enum {
	AGENT_MANAGED_SERVERS_MAX = 8,
	AGENT_MANAGED_PEERS_MAX = 1024,
	AGENT_MANAGED_MAX = 1 << 20, /* bytes of the file */
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
 * The file's text for bundle b (NULL: none, "version 0.0" and no peers)
 * and servers s into out[0..cap): its length, or 0 when it does not fit.
 * *cut (may be NULL) is set when the bundle had more than
 * AGENT_MANAGED_PEERS_MAX peers (the first ones are kept).
 */
size_t agent_managed_render(const struct mgmt_bundle *b, const struct agent_servers *s,
			    char *out, size_t cap, bool *cut);

/* text as <dirfd>/managed, atomically, mode 0644.  0 or -errno (err says why). */
int agent_managed_save(int dirfd, const char *label, const char *text, size_t len, char *err,
		       size_t errcap);

#endif
