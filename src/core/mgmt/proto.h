/*
 * The management plane's wire constants: signing domains, sizes and
 * limits, in one place (docs/management-protocol.md states each).  The
 * server (subnetra-mgmtd), the node daemon and the fuzzers all build from
 * these; a limit changes here or nowhere.
 */
#ifndef SUBNETRA_MGMT_PROTO_H
#define SUBNETRA_MGMT_PROTO_H

/*
 * Signing domains.  Each is NUL-terminated on the wire: the signed message
 * is the domain's bytes, its NUL, then the data, so no domain is a prefix
 * of another's message and no signature moves between the three uses.
 */
#define MGMT_DOMAIN_CONFIG "subnetra/device-config/v1"
#define MGMT_DOMAIN_LICENSE "subnetra/license/v1"
#define MGMT_DOMAIN_DEVREQ "subnetra/device-req/v1"

/* The "type" member of each payload. */
#define MGMT_TYPE_CONFIG "device-config"
#define MGMT_TYPE_LICENSE "license"

/* base64url without padding: the text length of n bytes. */
#define MGMT_B64_LEN(n) (((n) * 4 + 2) / 3)

enum {
	MGMT_PK_LEN = 32,      /* Ed25519 public key */
	MGMT_SK_LEN = 64,      /* Ed25519 secret key (libsodium: seed ‖ pk) */
	MGMT_SIG_LEN = 64,     /* Ed25519 signature */
	MGMT_KEY_ID_LEN = 8,   /* BLAKE2b-64 of a public key: the envelope's "key" */
	MGMT_FPR_LEN = 16,     /* BLAKE2b-128 of a public key: a join code's fingerprint */
	MGMT_INSTANCE_LEN = 16, /* an instance id: 32 hex digits in payloads */
	MGMT_DIGEST_LEN = 32,  /* BLAKE2b-256 of a payload (version rule) or a body */
	MGMT_DOMAIN_MAX = 32,  /* bytes of a domain with its NUL */

	/* Envelope text, whole, as fetched and cached: 1 MiB. */
	MGMT_ENVELOPE_MAX = 1 << 20,
	/* {"payload":"","sig":"<86>","key":"<16>"}: the envelope around the payload. */
	MGMT_ENVELOPE_OVERHEAD = 12 + 9 + MGMT_B64_LEN(MGMT_SIG_LEN) + 9 + 2 * MGMT_KEY_ID_LEN + 2,
	/* Payload bytes: 767 KiB, whose envelope fits MGMT_ENVELOPE_MAX. */
	MGMT_PAYLOAD_MAX = 767 * 1024,
	/* What mgmt_envelope_open/seal need as a work buffer: domain + payload. */
	MGMT_WORK_MAX = MGMT_DOMAIN_MAX + MGMT_PAYLOAD_MAX,

	/* Pinned signing keys (a license's "signing_keys"): current + next, and room. */
	MGMT_KEYS_MAX = 4,

	/* Payload strings */
	MGMT_NAME_MAX = 63,     /* a host name or alias: one mesh label */
	MGMT_ALIASES_MAX = 8,   /* aliases of one device */
	MGMT_PEERS_MAX = 4096,  /* peers in one bundle */
	MGMT_TITLE_MAX = 128,   /* a license's "name" (UTF-8 bytes) */
	MGMT_URL_MAX = 256,     /* a license's "dashboard_url" */
	MGMT_HOSTPORT_MAX = 255, /* one "base_servers" entry, "host:port" */
	MGMT_SERVERS_MAX = 8,   /* entries of "api_servers" and of "base_servers" */
	MGMT_TIME_TEXT = 21,    /* "2026-11-23T10:00:00Z" and its NUL */

	/* Device requests */
	MGMT_NONCE_LEN = 16,
	MGMT_REQ_METHOD_MAX = 16,
	MGMT_REQ_TARGET_MAX = 2048, /* PATH?QUERY */
	MGMT_REQ_TIME_DIGITS = 15,  /* unix ms: up to year 33658 */
	MGMT_REQ_SKEW_MS = 300 * 1000,
	MGMT_NONCE_TTL_MS = 600 * 1000,
};

_Static_assert(MGMT_B64_LEN(MGMT_PAYLOAD_MAX) + MGMT_ENVELOPE_OVERHEAD <= MGMT_ENVELOPE_MAX,
	       "a largest payload's envelope must fit MGMT_ENVELOPE_MAX");
_Static_assert(sizeof(MGMT_DOMAIN_CONFIG) <= MGMT_DOMAIN_MAX &&
		       sizeof(MGMT_DOMAIN_LICENSE) <= MGMT_DOMAIN_MAX &&
		       sizeof(MGMT_DOMAIN_DEVREQ) <= MGMT_DOMAIN_MAX,
	       "domains fit MGMT_DOMAIN_MAX with their NUL");
_Static_assert(MGMT_B64_LEN(MGMT_SIG_LEN) == 86 && MGMT_B64_LEN(MGMT_PK_LEN) == 43 &&
		       MGMT_B64_LEN(MGMT_NONCE_LEN) == 22,
	       "base64url lengths the spec states");

#endif
