/*
 * license.json: what an instance publishes about itself (base servers, its
 * management address on the overlay, validity, signing keys), in the signed
 * envelope (envelope.h) with the domain MGMT_DOMAIN_LICENSE.  The payload
 * and every rule are in docs/management-protocol.md; in short:
 *
 *   {"type":"license","v":1,"instance":"<32 hex>","name":"Acme robots",
 *    "serial":7,"issued":"2026-11-23T10:00:00Z",
 *    "valid_until":"2027-11-23T10:00:00Z",
 *    "dashboard_url":"https://mgmt.example.org:8443",
 *    "websetup_host":"fc94:...","api_servers":["fc94:..."],
 *    "base_servers":[{"host":"203.0.113.5","udp_port":5582,"tcp_port":443,
 *                     "public_key":"<64 hex>"}],
 *    "max_devices":0,"signing_keys":["<64 hex>","<64 hex>"]}
 *
 * A base server entry is a mesh config's "bases" entry, so a node pins
 * each base's key as it does from its config.
 *
 * Acceptance (mgmt_license_accept) is a pure function of the device's
 * trust state, the envelope text and the clock; it changes the state only
 * when it accepts a newer license.  Pure; requires sodium_init().
 */
#ifndef SUBNETRA_MGMT_LICENSE_H
#define SUBNETRA_MGMT_LICENSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/mesh/name.h"
#include "core/mgmt/envelope.h"
#include "core/mgmt/proto.h"
#include "core/mgmt/version.h"

struct mgmt_base_server {
	char host[MESH_HOST_NAME_MAX + 1]; /* DNS name or IP literal (mesh_host_problem) */
	uint16_t udp_port, tcp_port;       /* 1..65535 */
	uint8_t public_key[MGMT_PK_LEN];   /* passes the identity filter */
};

struct mgmt_license {
	uint8_t instance[MGMT_INSTANCE_LEN];
	char name[MGMT_TITLE_MAX + 1]; /* 1..128 bytes, printable UTF-8 */
	uint64_t serial;               /* 0..2^53-1 */
	int64_t issued, valid_until;   /* unix seconds; issued < valid_until */
	char dashboard_url[MGMT_URL_MAX + 1]; /* "" or http(s)://..., printable ASCII */
	uint8_t websetup_host[16];            /* fc94::/16 */
	size_t n_api;
	uint8_t api_servers[MGMT_SERVERS_MAX][16]; /* 1..8, fc94::/16 */
	size_t n_base;
	struct mgmt_base_server base_servers[MGMT_SERVERS_MAX]; /* 1..8 */
	uint64_t max_devices;                                   /* 0: no limit */
	size_t n_keys;
	uint8_t signing_keys[MGMT_KEYS_MAX][MGMT_PK_LEN]; /* 1..4, distinct */
};

/* The license's content rules (all but the signature); every decoded one passes. */
bool mgmt_license_check(const struct mgmt_license *l);
/*
 * The payload, canonical (members in the order above, no whitespace), into
 * out[0..cap) with a NUL: its length, or 0 when l fails mgmt_license_check
 * or out is too small.
 */
size_t mgmt_license_encode(const struct mgmt_license *l, char *out, size_t cap);
/* payload[0..len) (a payload: no envelope) into *l; false unless it is exactly one. */
bool mgmt_license_decode(const uint8_t *payload, size_t len, struct mgmt_license *l);

/* What a device holds about its instance (the daemon persists it). */
struct mgmt_trust {
	/* Until a license is accepted: the key it must verify under, by fingerprint. */
	bool pinned;
	uint8_t fingerprint[MGMT_FPR_LEN]; /* from the join code */
	/*
	 * Or, with no code (a claim): whichever of its own signing_keys signs
	 * the first license (trust on first use; the agent allows it only
	 * when the license comes over the overlay from the server's fc94
	 * address, which the mesh handshake authenticates).  Never saved:
	 * once a license is accepted the keys are pinned.
	 */
	bool first_use;
	/* Once pinned: */
	uint8_t instance[MGMT_INSTANCE_LEN];
	struct mgmt_keyset keys;     /* the accepted license's signing_keys */
	struct mgmt_version license; /* (0, serial) and digest of that license */
};

/* A fresh device: nothing pinned but the join code's fingerprint. */
void mgmt_trust_init(struct mgmt_trust *t, const uint8_t fingerprint[MGMT_FPR_LEN]);
/* A fresh device without a code: the first license's own signer is pinned. */
void mgmt_trust_init_first_use(struct mgmt_trust *t);

enum mgmt_license_verdict {
	MGMT_LICENSE_NEWER,       /* accepted; t now pins its instance, keys, version */
	MGMT_LICENSE_SAME,        /* the license held already: nothing changed */
	MGMT_LICENSE_ENVELOPE,    /* the envelope was refused (*env_verdict says why) */
	MGMT_LICENSE_MALFORMED,   /* the payload is not a license */
	MGMT_LICENSE_FOREIGN_KEY, /* not pinned yet: no signing key has the fingerprint
				   * (first use: none of its signing_keys signed it) */
	MGMT_LICENSE_FOREIGN,     /* another instance */
	MGMT_LICENSE_STALE,       /* serial below the one held */
	MGMT_LICENSE_CONFLICT,    /* serial equal, other bytes */
	MGMT_LICENSE_EXPIRED,     /* now >= valid_until (clock good only) */
	MGMT_LICENSE_NOT_YET,     /* now < issued - MGMT_CLOCK_SLACK_S (clock good only) */
	MGMT_LICENSE_VERDICTS,
};

enum { MGMT_CLOCK_SLACK_S = 300 };

const char *mgmt_license_verdict_name(enum mgmt_license_verdict v);

/*
 * The license envelope text[0..len) against t:
 *  1. the signature: under a pinned key; before anything is pinned, under
 *     the one of the license's own signing_keys whose fingerprint is t's
 *     (first use: the one whose id the envelope names);
 *  2. the payload is a license, and (once pinned) of t's instance;
 *  3. with clock_good, now (unix seconds) within [issued - slack,
 *     valid_until); without, the window is not checked (the caller warns);
 *  4. the version rule (version.h) on (0, serial) and the payload digest.
 * NEWER updates t: pinned, its instance, keys := the license's
 * signing_keys (key rotation: accepted under any pinned key, then the new
 * list is pinned), and its version.  *l gets the license on NEWER and SAME.
 * work: MGMT_WORK_MAX bytes suffice.  env_verdict may be NULL.
 */
enum mgmt_license_verdict mgmt_license_accept(struct mgmt_trust *t, const char *text,
					      size_t len, int64_t now, bool clock_good,
					      uint8_t *work, size_t work_cap,
					      struct mgmt_license *l,
					      enum mgmt_env_verdict *env_verdict);

#endif
