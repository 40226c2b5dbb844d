/*
 * Mesh mode's managed set: the peers and management servers a management
 * agent (`subnetra agent`) hands the daemon through <state_dir>/managed,
 * taken on top of the manual whitelist and hosts entries (docs/mesh.md,
 * "Managed entries").  Pure: the daemon reads the file and hands its text
 * here; managed_format gives the same text back (tests, `managed ls`).
 *
 * The file (one record per line, single spaces, LF line ends):
 *   subnetra-managed 1
 *   version <epoch>.<serial>                     (decimal u64 each)
 *   server <fc94 address>                        (0..MANAGED_SERVERS_MAX)
 *   peer <fc94 address> [<name> [<alias> ...]]   (0..MANAGED_PEERS_MAX)
 * server and peer lines in any order.  Refused as a whole (with the line):
 * a missing header or version line, an unknown keyword, a blank or
 * badly spaced line, a CR, an address that is not IPv6 or not in
 * fc94::/16 (any IPv6 spelling is read; the agent writes RFC 5952), an
 * address listed twice as a peer or twice as a server, a bad name, more
 * than the limits, a last line without its LF (a cut file).  The same address may be a server and a peer (a
 * management server that is also a member); the same name under two peers
 * is taken, the first one wins in the hosts block (hostsblock.h).
 */
#ifndef SUBNETRA_MESH_MANAGED_H
#define SUBNETRA_MESH_MANAGED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/mesh/name.h"

enum {
	MANAGED_SERVERS_MAX = 8,
	MANAGED_PEERS_MAX = 1024,
	MANAGED_NAMES_MAX = 1024, /* names and aliases of all peers (a hosts block's worth) */
	MANAGED_ADDRS_MAX = MANAGED_SERVERS_MAX + MANAGED_PEERS_MAX,
	MANAGED_FILE_MAX = 1 << 20,
	MANAGED_VERSION_TEXT = 42, /* "<u64>.<u64>" and NUL */
};

struct managed_peer {
	uint8_t addr[16];
	uint16_t first_name, n_names; /* into managed.name[] */
};

/* One address of the set: a peer's (peer >= 0, its index), a server's, or both. */
struct managed_addr {
	uint8_t addr[16];
	int16_t peer; /* -1: not a peer */
	bool server;
};

struct managed {
	uint64_t epoch, serial; /* the applied bundle's version; 0.0 before any */
	size_t n_servers, n_peers, n_names, n_addrs;
	uint8_t server[MANAGED_SERVERS_MAX][16];  /* file order */
	struct managed_peer peer[MANAGED_PEERS_MAX]; /* file order */
	char name[MANAGED_NAMES_MAX][MESH_NAME_MAX + 1];
	/* Every server and peer address once, ascending (memcmp order). */
	struct managed_addr addrs[MANAGED_ADDRS_MAX];
};

struct managed_error {
	unsigned line;
	const char *msg; /* static text */
};

/* Empty, version 0.0 (no file). */
void managed_init(struct managed *m);
/* Whether addr is a managed peer's or server's address. */
bool managed_contains(const struct managed *m, const uint8_t addr[16]);
/* The peer at addr, or NULL. */
const struct managed_peer *managed_peer_find(const struct managed *m, const uint8_t addr[16]);
/* "E.S" into out. */
void managed_version_format(const struct managed *m, char out[MANAGED_VERSION_TEXT]);

/*
 * The file's text into out (cap bytes, NUL added); its length, or 0 if cap
 * is too small.  Servers first, then peers, each in their order.
 */
size_t managed_format(const struct managed *m, char *out, size_t cap);
/*
 * text[0..len) into m: false with err (line, what) on anything the format
 * above refuses or more than MANAGED_FILE_MAX bytes; m is then left empty
 * (the caller parses into a scratch and keeps its set on failure).
 */
bool managed_parse(struct managed *m, const char *text, size_t len,
		   struct managed_error *err);

#endif
