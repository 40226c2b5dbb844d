/*
 * The version rule for signed payloads.  A bundle's version is (epoch,
 * serial); a license's is (0, serial).  Against the version applied last
 * (with the BLAKE2b-256 digest of its payload bytes):
 *   higher                       -> NEWER: apply it
 *   equal, same digest           -> SAME: nothing to do (a re-fetch)
 *   equal, another digest        -> CONFLICT: refuse (the server signed two
 *                                   payloads under one version)
 *   lower                        -> STALE: refuse (a replay or a rollback)
 * "Higher" compares epoch first, then serial.  Pure.
 */
#ifndef SUBNETRA_MGMT_VERSION_H
#define SUBNETRA_MGMT_VERSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/mgmt/proto.h"

struct mgmt_version {
	uint64_t epoch, serial;
	uint8_t digest[MGMT_DIGEST_LEN]; /* BLAKE2b-256 of the payload bytes */
};

enum mgmt_version_verdict {
	MGMT_VERSION_NEWER,
	MGMT_VERSION_SAME,
	MGMT_VERSION_CONFLICT,
	MGMT_VERSION_STALE,
};

/* BLAKE2b-256 of payload[0..len). */
void mgmt_payload_digest(const uint8_t *payload, size_t len, uint8_t out[MGMT_DIGEST_LEN]);

/* got against have (NULL: nothing applied yet, so NEWER). */
enum mgmt_version_verdict mgmt_version_compare(const struct mgmt_version *have,
					       const struct mgmt_version *got);
/* "newer", "same", "conflict", "stale" */
const char *mgmt_version_verdict_name(enum mgmt_version_verdict v);

#endif
