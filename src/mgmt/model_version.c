/* The instance version (see model_version.h). */
#include "mgmt/model_version.h"

#include <errno.h>

#include "mgmt/feedmsg.h"
#include "mgmt/model_sql.h"

int64_t model_version_next(int64_t last, int64_t now_ms)
{
	return now_ms > last ? now_ms : last + 1;
}

int model_version_get(struct store *s, int64_t *epoch, int64_t *serial)
{
	struct store_stmt *st;
	int rc = model_first_row(s, "SELECT epoch, serial FROM instance_version WHERE id = 1",
				 NULL, 0, &st);

	if (rc < 0) /* migration 2 writes the row: its absence is corruption */
		return rc == -ENOENT ? -EIO : rc;
	*epoch = store_col_i64(st, 0);
	*serial = store_col_i64(st, 1);
	store_finalize(st);
	return 0;
}

/*
 * One statement, read and write together: with two servers on one
 * PostgreSQL database, a second bump waits for the first's row lock and
 * then adds to the committed serial, so two changes never share a serial
 * (a SELECT then an UPDATE would lose one).  CASE is max() in the SQL both
 * engines speak; the rule is model_version_next's.
 */
#define BUMP                                                                   \
	"UPDATE instance_version SET serial = CASE WHEN ? > serial THEN ? ELSE " \
	"serial + 1 END WHERE id = 1 RETURNING epoch, serial"

/*
 * On PostgreSQL the same statement also tells the other servers (feed.h):
 * every caller has filled ch->affected by now.
 */
int model_version_bump(const struct model_op *op, struct model_change *ch)
{
	char ids[FEED_IDS_MAX];
	const struct store_arg args[] = {STORE_I64(op->now_ms), STORE_I64(op->now_ms),
					 STORE_TEXT(ids)};
	bool pg = store_kind(op->s) == STORE_POSTGRES;
	struct store_stmt *st;
	int rc;

	if (pg)
		feed_format_ids(ch, ids);
	rc = model_first_row(op->s,
			     pg ? "WITH u AS (" BUMP ") SELECT epoch, serial, pg_notify('" FEED_CHANNEL
				  "', 'v' || epoch || '.' || serial || ' ' || ?) FROM u"
				: BUMP,
			     args, pg ? 3 : 2, &st);

	if (rc < 0)
		return rc == -ENOENT ? -EIO : rc;
	ch->epoch = store_col_i64(st, 0);
	ch->serial = store_col_i64(st, 1);
	store_finalize(st);
	return 0;
}
