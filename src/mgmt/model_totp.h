/*
 * An account's optional TOTP second step (core/mgmt/totp.h) in the model.
 * Enrolment makes a secret (stored server-side; it must be, to compute the
 * codes) that is pending until a code from it is confirmed; from then on
 * signing in needs a code.  The last step used is kept, and moved forward
 * by an UPDATE ... RETURNING that only one request can win, so a code is
 * accepted once even with two servers on one PostgreSQL database.  Every
 * buffer that held a secret is wiped.
 *
 * The secret is stored sealed (totp_seal: under a key derived from the
 * instance pepper, bound to the account), never in clear: a backup of the
 * database without the pepper file does not give the codes.  op->pepper
 * is that key.
 */
#ifndef SUBNETRA_MGMT_MODEL_TOTP_H
#define SUBNETRA_MGMT_MODEL_TOTP_H

#include <stdbool.h>
#include <stdint.h>

#include "core/mgmt/totp.h"
#include "mgmt/model.h"

enum { MODEL_TOTP_SEAL_BATCH = 64 }; /* clear secrets read per pass */

enum model_totp_state { MODEL_TOTP_OFF, MODEL_TOTP_PENDING, MODEL_TOTP_ON };

int model_totp_state(struct store *s, int64_t account_id, enum model_totp_state *out);
/*
 * A new pending secret (replacing a pending one): its base32 text in
 * b32.  -EEXIST when TOTP is on already (turn it off first).
 */
int model_totp_begin(const struct model_op *op, int64_t account_id,
		     char b32[TOTP_SECRET_B32 + 1]);
/*
 * code against the account's secret at op's time: 0 (its step now used;
 * a pending secret becomes on when confirm), -EACCES for a wrong, old or
 * used code, -ENOENT without a secret (or, unless confirm, a pending one).
 */
int model_totp_check(const struct model_op *op, int64_t account_id, const char *code,
		     bool confirm);
/*
 * Seal every secret stored in clear (written before secrets were sealed),
 * each audited as account.totp_sealed, in one transaction: 0 with *sealed
 * how many.  Run by serve at start, before any request.
 */
int model_totp_seal_clear(const struct model_op *op, int *sealed);
/* Off: the secret deleted.  -ENOENT when there was none. */
int model_totp_disable(const struct model_op *op, int64_t account_id);

#endif
