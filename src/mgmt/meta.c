/* The meta table (see meta.h). */
#include "mgmt/meta.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int meta_get(struct store *s, const char *key, char *out, size_t cap)
{
	const struct store_arg args[] = {STORE_TEXT(key)};
	struct store_stmt *st;
	int rc;

	rc = store_prepare_args(s, "SELECT v FROM meta WHERE k = ?", args, 1, &st);
	if (rc < 0)
		return rc;
	rc = store_step(st);
	if (rc == STORE_ROW)
		rc = snprintf(out, cap, "%s", store_col_text(st, 0)) < (int)cap ? 0
										: -ENOSPC;
	else if (rc == STORE_DONE)
		rc = -ENOENT;
	store_finalize(st);
	return rc;
}

int meta_set(struct store *s, const char *key, const char *value)
{
	const struct store_arg args[] = {STORE_TEXT(key), STORE_TEXT(value)};

	/* Portable upsert: SQLite 3.24+ and PostgreSQL 9.5+ both speak it. */
	return store_exec_args(s,
			       "INSERT INTO meta(k, v) VALUES(?, ?) "
			       "ON CONFLICT(k) DO UPDATE SET v = excluded.v",
			       args, 2);
}
