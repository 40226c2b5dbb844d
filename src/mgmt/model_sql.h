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

int model_tx_begin(struct store *s);
/* rc == 0: commit (its failure returned); else roll back and return rc. */
int model_tx_end(struct store *s, int rc);

/* The first column of the first row as an integer (an INSERT ... RETURNING id too). */
int model_query_i64(struct store *s, const char *sql, const struct store_arg *args,
		    size_t n, int64_t *out);
/* The first column of the first row as text into out (cap bytes). */
int model_query_text(struct store *s, const char *sql, const struct store_arg *args,
		     size_t n, char *out, size_t cap);
/* How many rows a write changed is not portable: this checks one exists first. */
int model_exists(struct store *s, const char *sql, const struct store_arg *args, size_t n);

#endif
