/*
 * Offline receive decision for one datagram, for subnetra-wire-decode: what
 * the daemon of a given config would do with it and why, in the daemon's
 * counter vocabulary.  The decision is the daemon's own (rx_decide,
 * core/receive.c) against the real peer registry and the role-derived
 * policy (plus an optional snapshot); this module only puts words on it.
 *
 * Differences from the live daemon, by design: every datagram gets a fresh
 * receive session (no replay or stale-epoch state: those need the daemon's
 * history), there is no obfuscation scan budget, and rules added at run time
 * with `subnetra policy add` are unknown unless a saved snapshot is loaded.
 *
 * Secrets: the decrypted payload lives only in a local buffer that is wiped
 * before returning; the result holds the inner IPv4 header summary only.
 */
#ifndef SUBNETRA_INSPECT_H
#define SUBNETRA_INSPECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "core/peer.h"
#include "core/policy.h"
#include "core/wire.h"

struct inspect {
	const struct config *cfg;
	struct peer_table peers; /* rx link keys decide; tx link keys find our own datagrams */
	struct policy policy;
};

/* 0, or -ENOSPC when the role-derived policy does not fit (as at daemon start-up). */
int inspect_init(struct inspect *ix, const struct config *cfg);
/*
 * Replays a `subnetra save` snapshot on top, trusted as the daemon would
 * trust it (policy_load: this config's stamp, owned by root or the caller):
 * policy_load's return value, err always saying why on failure.
 */
int inspect_load_policy(struct inspect *ix, const char *path, char *err, size_t errcap);
void inspect_wipe(struct inspect *ix);

struct inspect_inner {
	uint32_t src;
	uint32_t dst;
	uint8_t proto;
	uint16_t total_len; /* the IPv4 total-length field */
	size_t pt_len;	    /* bytes of inner packet carried */
};

struct inspect_result {
	size_t len;
	/* The first 20 bytes as they arrived (masked, if the sender obfuscates). */
	bool have_raw;
	struct wire_header raw;
	/* With a config. */
	bool evaluated;		/* false: no config, only the header check ran */
	bool obfuscated;	/* the config has obfuscate on */
	bool unmasked;		/* a peer's link key de-masked the header */
	struct wire_header hdr; /* the header the decision used */
	bool have_hdr;
	const struct peer_config *peer; /* selected sender, or NULL */
	/* The verdict. */
	bool accepted;
	const char *counter; /* the counter the daemon would move; NULL if undetermined */
	char reason[256];    /* why, quoting the values involved */
	char hint[256];	     /* a likely cause or next step, "" if none */
	bool have_inner;
	struct inspect_inner inner;
	bool have_rule;
	struct policy_rule rule;
	/* inspect_outgoing: sealed by this node for peer (counter NULL). */
	bool outgoing;
};

/*
 * Decide for dgram (len bytes; any length, any content).  ix NULL: header
 * check only.  from_id != 0: in obfuscated mode, try only that peer's key
 * (the daemon would try every peer); in cleartext mode only noted.
 */
void inspect_datagram(struct inspect *ix, const uint8_t *dgram, size_t len,
		      uint32_t from_id, struct inspect_result *res);

/*
 * Is dgram one this node sent (sealed with one of its transmit link keys,
 * local_id -> peer)?  A capture taken on a node holds both directions, and
 * the receive decision drops every outgoing datagram.  If so, res describes
 * it: outgoing, the peer it is sealed for, the header and, for data, the
 * inner IPv4 summary; counter NULL.  Otherwise res is left as it was.
 */
bool inspect_outgoing(struct inspect *ix, const uint8_t *dgram, size_t len,
		      struct inspect_result *res);

/* "data", "KEEPALIVE", "KEEPALIVE+reserved 0x04" ... for the flags byte. */
void inspect_flags_format(uint8_t flags, char *buf, size_t cap);

#endif
