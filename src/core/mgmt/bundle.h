/*
 * A device's config bundle: who its peers are (the whitelist) and their
 * names (the hosts block), signed by the instance key in the envelope
 * (envelope.h) with the domain MGMT_DOMAIN_CONFIG.  The payload
 * (docs/management-protocol.md):
 *
 *   {"type":"device-config","v":1,"instance":"<32 hex>","device":"fc94:...",
 *    "epoch":1,"serial":1795443923456,"issued":"2026-11-23T16:25:23Z",
 *    "license_serial":7,"hostname":"robot-1","aliases":["master"],
 *    "peers":[{"address":"fc94:...","hostname":"laptop","aliases":[]}],
 *    "mgmt":{"wait_s":50,"status_s":60}}
 *
 * Structure is strict (every member, of its type, nothing else: any
 * violation refuses the whole bundle), but names are checked one entry at
 * a time: a hostname or alias that is not a mesh name (core/mesh/name.h)
 * is left out and counted, and so is a peer whose address repeats or is
 * the device's own.  A peer whose hostname was bad stays a peer (it is
 * still whitelisted), only nameless.  One bad name never costs the rest.
 *
 * The decoded struct is large (MGMT_PEERS_MAX entries): the caller owns
 * it (static or heap), nothing here allocates but json_parse's tree.
 */
#ifndef SUBNETRA_MGMT_BUNDLE_H
#define SUBNETRA_MGMT_BUNDLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/mgmt/envelope.h"
#include "core/mgmt/proto.h"
#include "core/mgmt/version.h"

/* One host name and its aliases; an empty hostname: none (or it was bad). */
struct mgmt_names {
	char hostname[MGMT_NAME_MAX + 1];
	size_t n_aliases;
	char aliases[MGMT_ALIASES_MAX][MGMT_NAME_MAX + 1];
};

struct mgmt_peer {
	uint8_t address[16]; /* fc94::/16 */
	struct mgmt_names names;
};

/* What a decode left out (each a counter of the daemon's). */
struct mgmt_bundle_skips {
	unsigned bad_names; /* hostnames and aliases that are not mesh names */
	unsigned bad_peers; /* peers repeated, or the device itself */
};

struct mgmt_bundle {
	uint8_t instance[MGMT_INSTANCE_LEN];
	uint8_t device[16]; /* whose bundle: fc94::/16 */
	uint64_t epoch, serial, license_serial; /* 0..2^53-1 */
	int64_t issued;
	struct mgmt_names self;
	uint32_t wait_s, status_s; /* long-poll wait 1..300, status period 5..3600 */
	size_t n_peers;
	struct mgmt_peer peers[MGMT_PEERS_MAX];
};

enum {
	MGMT_WAIT_MAX_S = 300,
	MGMT_STATUS_MIN_S = 5,
	MGMT_STATUS_MAX_S = 3600,
};

/*
 * The payload, canonical (members in the order above, no whitespace), into
 * out[0..cap) with a NUL: its length, or 0 when out is too small or a
 * field is out of its range.  Names that are not mesh names and peers that
 * would be skipped are left out, so whatever encodes decodes to itself.
 */
size_t mgmt_bundle_encode(const struct mgmt_bundle *b, char *out, size_t cap);

/*
 * A peer's entry as the payload lists it, encoded once and reused by
 * every bundle that lists the peer (a server building a network's bundles
 * after one change: a network of n devices lists n - 1 peers n times).
 */
struct mgmt_peer_text {
	uint8_t address[16]; /* the peer's, as in the text */
	const char *text;    /* {"address":...,"hostname":...,"aliases":[...]} */
	size_t len;
};

/* p's entry into out[0..cap) with a NUL: its length, or 0 when out is too small. */
size_t mgmt_bundle_peer_text(const struct mgmt_peer *p, char *out, size_t cap);

/*
 * mgmt_bundle_encode of b with the peers peers[0..n) (entries made by
 * mgmt_bundle_peer_text; b->peers and b->n_peers are not read): the same
 * bytes, with the same entries left out.
 */
size_t mgmt_bundle_encode_texts(const struct mgmt_bundle *b, const struct mgmt_peer_text *peers,
				size_t n, char *out, size_t cap);
/*
 * payload[0..len) into *b; false (b zeroed) unless it is a bundle.  skips
 * (may be NULL) counts what was left out.
 */
bool mgmt_bundle_decode(const uint8_t *payload, size_t len, struct mgmt_bundle *b,
			struct mgmt_bundle_skips *skips);

/* What the daemon holds: the last bundle applied, by version. */
struct mgmt_bundle_state {
	bool have;
	struct mgmt_version applied;
};

enum mgmt_bundle_verdict {
	MGMT_BUNDLE_NEWER,        /* apply it; state updated */
	MGMT_BUNDLE_SAME,         /* the bundle held already: nothing to do */
	MGMT_BUNDLE_ENVELOPE,     /* the envelope was refused (*env_verdict says why) */
	MGMT_BUNDLE_MALFORMED,    /* signed, but not a bundle */
	MGMT_BUNDLE_FOREIGN,      /* another instance */
	MGMT_BUNDLE_OTHER_DEVICE, /* for another device */
	MGMT_BUNDLE_CONFLICT,     /* same version, other bytes */
	MGMT_BUNDLE_STALE,        /* an older version */
	MGMT_BUNDLE_VERDICTS,
};

const char *mgmt_bundle_verdict_name(enum mgmt_bundle_verdict v);

/*
 * The bundle envelope text[0..len) for the device at address `device` of
 * the instance `instance`, signed under a key of ks, against st: the
 * envelope, the payload, instance, device, then the version rule
 * (version.h).  NEWER updates st; *b is the bundle on NEWER and SAME.
 * work: MGMT_WORK_MAX bytes suffice.  env_verdict and skips may be NULL.
 */
enum mgmt_bundle_verdict mgmt_bundle_accept(struct mgmt_bundle_state *st,
					    const struct mgmt_keyset *ks,
					    const uint8_t instance[MGMT_INSTANCE_LEN],
					    const uint8_t device[16], const char *text,
					    size_t len, uint8_t *work, size_t work_cap,
					    struct mgmt_bundle *b,
					    enum mgmt_env_verdict *env_verdict,
					    struct mgmt_bundle_skips *skips);

#endif
