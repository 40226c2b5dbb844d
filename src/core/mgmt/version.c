/* The (epoch, serial) version rule (see version.h). */
#include "core/mgmt/version.h"

#include <string.h>

#include <sodium.h>

void mgmt_payload_digest(const uint8_t *payload, size_t len, uint8_t out[MGMT_DIGEST_LEN])
{
	crypto_generichash(out, MGMT_DIGEST_LEN, payload, len, NULL, 0);
}

enum mgmt_version_verdict mgmt_version_compare(const struct mgmt_version *have,
					       const struct mgmt_version *got)
{
	if (have == NULL)
		return MGMT_VERSION_NEWER;
	if (got->epoch != have->epoch)
		return got->epoch > have->epoch ? MGMT_VERSION_NEWER : MGMT_VERSION_STALE;
	if (got->serial != have->serial)
		return got->serial > have->serial ? MGMT_VERSION_NEWER : MGMT_VERSION_STALE;
	/* digests of public payloads: no constant-time compare needed */
	return memcmp(got->digest, have->digest, MGMT_DIGEST_LEN) == 0
		       ? MGMT_VERSION_SAME
		       : MGMT_VERSION_CONFLICT;
}

const char *mgmt_version_verdict_name(enum mgmt_version_verdict v)
{
	switch (v) {
	case MGMT_VERSION_NEWER:
		return "newer";
	case MGMT_VERSION_SAME:
		return "same";
	case MGMT_VERSION_CONFLICT:
		return "conflict";
	case MGMT_VERSION_STALE:
		return "stale";
	}
	return "?";
}
