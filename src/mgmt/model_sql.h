/*
 * The model's small SQL helpers over store.h: a transaction's end that
 * commits or rolls back by the result so far, and one-value queries.
 * Return convention: 0 or -errno; -ENOENT when a query has no row.
 */
#ifndef SUBNETRA_MGMT_MODEL_SQL_H
#define SUBNETRA_MGMT_MODEL_SQL_H

#include <stddef.h>
#include <stdint.h>

#include "mgmt/store.h"

/*
 * last_used of a token or session is written when it is this many seconds
 * old, not on every request: each write is a commit (on PostgreSQL a WAL
 * flush), which a GET, a dashboard poll or an API write would otherwise pay
 * once more.  The idle expiry (12 h) and the listing lose under a minute.
 */
enum { MODEL_TOUCH_S = 60 };

int model_tx_begin(struct store *s);
/* rc == 0: commit (its failure returned); else roll back and return rc. */
int model_tx_end(struct store *s, int rc);

/*
 * Run sql and leave *st on its first row (the caller reads it, then
 * store_finalize): 0, -ENOENT when there is no row (*st finalized), or an
 * error.
 */
int model_first_row(struct store *s, const char *sql, const struct store_arg *args,
		    size_t n, struct store_stmt **st);

/* The first column of the first row as an integer (an INSERT ... RETURNING id too). */
int model_query_i64(struct store *s, const char *sql, const struct store_arg *args,
		    size_t n, int64_t *out);
/* The first column of the first row as text into out (cap bytes). */
int model_query_text(struct store *s, const char *sql, const struct store_arg *args,
		     size_t n, char *out, size_t cap);
/* How many rows a write changed is not portable: this checks one exists first. */
int model_exists(struct store *s, const char *sql, const struct store_arg *args, size_t n);

/* Fills one row of a page from the statement's current row. */
typedef void (*model_row_fn)(struct store_stmt *st, void *row);

/*
 * A page of a list: sql's rows (its last placeholder is the LIMIT, bound
 * here) into rows[0..limit), each row_size bytes, by fill; *n how many.
 * -EINVAL unless 1 <= limit <= MODEL_PAGE_MAX.
 */
int model_page(struct store *s, const char *sql, const struct store_arg *args, size_t nargs,
	       size_t limit, void *rows, size_t row_size, model_row_fn fill, size_t *n);

#endif
