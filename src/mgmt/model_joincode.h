/*
 * Join codes and claim requests: the two ways a device gets into an
 * account's networks.
 *
 * A join code (core/mgmt/joincode.h: snj_<prefix>_<secret>_<fingerprint>)
 * is shown once; the database keeps its prefix and peppered hash.  It is
 * single-use or reusable (with an optional usage limit), may expire, may
 * be revoked, names an optional target network, and carries the hostname
 * policy of the devices that redeem it (model_device.h).  Redeeming it
 * is one transaction: check the code, create or re-use the device row
 * (a re-join never duplicates a device), attach it to the target network,
 * count the use, bump the version, one audit row.  A refused code (unknown,
 * wrong secret, revoked, expired, used up) changes nothing at all.
 *
 * A claim request is what a device without a code makes: its row (no
 * owner yet) and a random claim secret (shown as a link whose fragment
 * holds it) stored as its peppered hash for an hour.  An operator who
 * opens the link claims the device into a network: owner set, attached,
 * the request gone, in one transaction.  What is stored is the peppered
 * hash of BLAKE2b-256(secret), so a device may make its secret itself and
 * send only that unkeyed hash (model_claim_request_hash).
 */
#ifndef SUBNETRA_MGMT_MODEL_JOINCODE_H
#define SUBNETRA_MGMT_MODEL_JOINCODE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/mgmt/joincode.h"
#include "mgmt/model.h"
#include "mgmt/model_device.h"

enum {
	MODEL_CLAIM_SECRET_LEN = 32,
	MODEL_CLAIM_TEXT = 2 * MODEL_CLAIM_SECRET_LEN + 1,
	MODEL_CLAIM_TTL_S = 3600,
};

struct model_joincode_spec {
	int64_t network_id;  /* 0: none (the device joins the account, no network) */
	bool reusable;
	int64_t usage_limit; /* reusable only: 0 for no limit */
	int64_t expires_at;  /* unix seconds, 0: never */
	enum model_hostname_policy policy;
	const char *description; /* or NULL */
};

/*
 * A new code of account_id for the instance key with this fingerprint:
 * its text into out (shown once), its row into *id.  Audited
 * "joincode.create" with its prefix (never its secret).
 */
int model_joincode_create(const struct model_op *op, int64_t account_id,
			  const uint8_t fingerprint[MGMT_FPR_LEN],
			  const struct model_joincode_spec *spec,
			  char out[MGMT_JOINCODE_LEN + 1], int64_t *id);
int model_joincode_revoke(const struct model_op *op, int64_t id);

/* Why a code was refused (redeem's -EACCES), for the device's error message. */
enum model_code_refusal {
	MODEL_CODE_OK,
	MODEL_CODE_MALFORMED,
	MODEL_CODE_UNKNOWN, /* no such prefix, or the secret does not match */
	MODEL_CODE_REVOKED,
	MODEL_CODE_EXPIRED,
	MODEL_CODE_USED,    /* single-use and used, or its usage limit reached */
};

const char *model_code_refusal_name(enum model_code_refusal r);

/*
 * Redeem code for the device ident (op->who is replaced by the device in
 * the audit row): 0 with *device_id and ch (the version and the devices
 * touched); -EACCES with *why; -EPERM when the address is known under
 * another key; -EINVAL for a bad hostname.
 */
int model_joincode_redeem(const struct model_op *op, const char *code,
			  const struct model_device_ident *ident, int64_t *device_id,
			  enum model_code_refusal *why, struct model_change *ch);

/*
 * A claim request for the device ident: its row (made or re-used) and a
 * fresh claim secret as hex into secret (any earlier request of the
 * device replaced).  Audited "device.claim_request" by the device.
 */
int model_claim_request(const struct model_op *op, const struct model_device_ident *ident,
			char secret[MODEL_CLAIM_TEXT], int64_t *device_id);
/*
 * The same for a secret the device made and keeps: the server gets only
 * secret_hash = BLAKE2b-256(secret) (docs/management-protocol.md,
 * claim-request) and stores its peppered hash.
 */
int model_claim_request_hash(const struct model_op *op,
			     const struct model_device_ident *ident,
			     const uint8_t secret_hash[MGMT_SECRET_HASH_LEN], int64_t *device_id);
/*
 * Claim the device whose request secret is secret into network_id (0:
 * none) for op's account: -ENOENT when unknown or expired.
 */
int model_claim_redeem(const struct model_op *op, const char *secret, int64_t network_id,
		       int64_t *device_id, struct model_change *ch);

#endif
