/*
 * Device request nonces shared by every server of a database, so a signed
 * POST accepted by one server is refused by all of them, and by the same
 * server after a restart (its in-memory cache, core/mgmt/nonce.h, is gone
 * then).  A nonce is recorded by one INSERT keyed by (device key, nonce):
 * of two servers racing with the same request, the database lets exactly
 * one insert it.  Rows live MGMT_NONCE_TTL_MS past their signed time
 * (600 s: the ±300 s clock check, plus 300 s for servers whose clocks
 * disagree), then model_nonce_prune removes them.
 */
#ifndef SUBNETRA_MGMT_MODEL_NONCE_H
#define SUBNETRA_MGMT_MODEL_NONCE_H

#include <stdint.h>

#include "core/mgmt/proto.h"
#include "mgmt/store.h"

/*
 * Record the nonce of device pk's request signed at time_ms: 0 when it is
 * new (recorded now), -EEXIST when some server recorded it before, or a
 * store error.
 */
int model_nonce_record(struct store *s, const uint8_t pk[MGMT_PK_LEN],
		       const uint8_t nonce[MGMT_NONCE_LEN], int64_t time_ms);
/* Remove the nonces signed more than MGMT_NONCE_TTL_MS before now_ms. */
int model_nonce_prune(struct store *s, int64_t now_ms);

#endif
