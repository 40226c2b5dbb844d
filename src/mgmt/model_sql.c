/* Transactions and one-value queries for the model (see model_sql.h). */
#include "mgmt/model_sql.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "mgmt/model.h"

void model_change_free(struct model_change *ch)
{
	free(ch->affected);
	ch->affected = NULL;
	ch->n_affected = 0;
}

int model_tx_begin(struct store *s)
{
	return store_begin(s);
}

int model_tx_end(struct store *s, int rc)
{
	if (rc == 0)
		rc = store_commit(s);
	if (rc < 0)
		store_rollback(s);
	return rc;
}

int model_first_row(struct store *s, const char *sql, const struct store_arg *args,
		     size_t n, struct store_stmt **st)
{
	int rc = store_prepare_args(s, sql, args, n, st);

	if (rc < 0)
		return rc;
	rc = store_step(*st);
	if (rc == STORE_ROW)
		return 0;
	store_finalize(*st);
	return rc == STORE_DONE ? -ENOENT : rc;
}

int model_query_i64(struct store *s, const char *sql, const struct store_arg *args,
		    size_t n, int64_t *out)
{
	struct store_stmt *st;
	int rc = model_first_row(s, sql, args, n, &st);

	if (rc < 0)
		return rc;
	*out = store_col_i64(st, 0);
	store_finalize(st);
	return 0;
}

int model_query_text(struct store *s, const char *sql, const struct store_arg *args,
		     size_t n, char *out, size_t cap)
{
	struct store_stmt *st;
	int rc = model_first_row(s, sql, args, n, &st);

	if (rc < 0)
		return rc;
	if ((size_t)snprintf(out, cap, "%s", store_col_text(st, 0)) >= cap)
		rc = -ENOSPC;
	store_finalize(st);
	return rc;
}

int model_exists(struct store *s, const char *sql, const struct store_arg *args, size_t n)
{
	struct store_stmt *st;
	int rc = model_first_row(s, sql, args, n, &st);

	if (rc == 0)
		store_finalize(st);
	return rc;
}

int model_page(struct store *s, const char *sql, const struct store_arg *args, size_t nargs,
	       size_t limit, void *rows, size_t row_size, model_row_fn fill, size_t *n)
{
	struct store_stmt *st;
	int rc;

	*n = 0;
	if (limit == 0 || limit > MODEL_PAGE_MAX)
		return -EINVAL;
	rc = store_prepare_args(s, sql, args, nargs, &st);
	if (rc < 0)
		return rc;
	rc = store_bind_i64(st, (int)nargs + 1, (int64_t)limit);
	if (rc < 0) {
		store_finalize(st);
		return rc;
	}
	while ((rc = store_step(st)) == STORE_ROW && *n < limit)
		fill(st, (char *)rows + (*n)++ * row_size);
	store_finalize(st);
	return rc < 0 ? rc : 0;
}
