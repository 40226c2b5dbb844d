/*
 * What a storage backend provides to store_common.c (the part of store.h
 * that is the same for every engine: dispatch, the migration runner,
 * helpers).  Only store_common.c and the backend files include this.
 */
#ifndef SUBNETRA_MGMT_STORE_BACKEND_H
#define SUBNETRA_MGMT_STORE_BACKEND_H

#include "mgmt/store.h"

struct store_ops {
	enum store_backend kind;
	const char *begin_sql; /* a write transaction, taken at once */
	void (*close)(struct store *s);
	const char *(*errmsg)(struct store *s);
	/* A schema script: several statements, no parameters. */
	int (*exec_script)(struct store *s, const char *sql);
	int (*prepare)(struct store *s, const char *sql, struct store_stmt **out);
	int (*bind_i64)(struct store_stmt *st, int idx, int64_t v);
	int (*bind_text)(struct store_stmt *st, int idx, const char *text);
	int (*bind_blob)(struct store_stmt *st, int idx, const void *data, size_t len);
	int (*step)(struct store_stmt *st);
	int64_t (*col_i64)(struct store_stmt *st, int col);
	const char *(*col_text)(struct store_stmt *st, int col);
	int (*col_blob)(struct store_stmt *st, int col, void *out, size_t cap, size_t *len);
	void (*finalize)(struct store_stmt *st);
	int (*col_count)(struct store_stmt *st);
	const char *(*col_name)(struct store_stmt *st, int col);
	enum store_col_kind (*col_kind)(struct store_stmt *st, int col);
	bool (*col_json)(struct store_stmt *st, int col);
	int (*get_version)(struct store *s, int *out);
	/* Inside the migration's transaction. */
	int (*set_version)(struct store *s, int v);
	/* NULL: the engine has its own tools (and no copy before migrating). */
	int (*backup)(struct store *s, const char *out, bool replace,
		      struct store_error *err);
	int (*restore)(struct store *s, const char *from, int max_version,
		       struct store_error *err);
};

/* The head of every backend's connection. */
struct store {
	const struct store_ops *ops;
	char path[4096];
};

/* The head of every backend's statement. */
struct store_stmt {
	struct store *store;
};

int store_sqlite_open(struct store **out, const char *path, enum store_open_mode mode,
		      struct store_error *err);
int store_pg_open(struct store **out, const char *url, enum store_open_mode mode,
		  struct store_error *err);

/* store.h's store_listen for a PostgreSQL URL (store_pg.c). */
int store_pg_listen(const char *url, const char *channel, struct store_listener **out,
		    struct store_error *err);

#endif
