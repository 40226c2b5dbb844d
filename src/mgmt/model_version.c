/* The instance version (see model_version.h). */
#include "mgmt/model_version.h"

#include <errno.h>

#include "mgmt/model_sql.h"

int64_t model_version_next(int64_t last, int64_t now_ms)
{
	return now_ms > last ? now_ms : last + 1;
}

int model_version_get(struct store *s, int64_t *epoch, int64_t *serial)
{
	struct store_stmt *st;
	int rc = store_prepare(s, "SELECT epoch, serial FROM instance_version WHERE id = 1",
			       &st);

	if (rc < 0)
		return rc;
	rc = store_step(st);
	if (rc == STORE_ROW) {
		*epoch = store_col_i64(st, 0);
		*serial = store_col_i64(st, 1);
		rc = 0;
	} else if (rc == STORE_DONE) {
		rc = -EIO; /* migration 2 writes the row: its absence is corruption */
	}
	store_finalize(st);
	return rc;
}

int model_version_bump(const struct model_op *op, struct model_change *ch)
{
	int64_t epoch, serial;
	int rc = model_version_get(op->s, &epoch, &serial);

	if (rc < 0)
		return rc;
	serial = model_version_next(serial, op->now_ms);
	const struct store_arg args[] = {STORE_I64(serial)};

	rc = store_exec_args(op->s, "UPDATE instance_version SET serial = ? WHERE id = 1", args,
			     1);
	if (rc == 0) {
		ch->epoch = epoch;
		ch->serial = serial;
	}
	return rc;
}
