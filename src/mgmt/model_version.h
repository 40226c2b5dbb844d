/*
 * The instance's bundle version (epoch, serial), one row of
 * instance_version.  Every change that devices see bumps it inside the
 * change's own transaction:
 *
 *   serial' = max(serial + 1, now_ms)
 *
 * so serials strictly increase even when the clock steps back (or two
 * changes fall in one millisecond), and read as a time when it does not.
 * The epoch changes only when the history is cut (a restore): not here.
 */
#ifndef SUBNETRA_MGMT_MODEL_VERSION_H
#define SUBNETRA_MGMT_MODEL_VERSION_H

#include <stdint.h>

#include "mgmt/model.h"

/* The pure rule (model_version_bump applies it in SQL). */
int64_t model_version_next(int64_t last, int64_t now_ms);

int model_version_get(struct store *s, int64_t *epoch, int64_t *serial);
/* Inside the caller's transaction: bump, and the new version into ch. */
int model_version_bump(const struct model_op *op, struct model_change *ch);

#endif
