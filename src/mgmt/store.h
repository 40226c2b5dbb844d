/*
 * The management server's storage: one interface, one backend per database
 * engine behind it (SQLite now; libpq is meant to join it without a change
 * here).  What holds for every caller:
 *
 *  - SQL is written once, with `?` placeholders and values bound through
 *    store_bind_*: never a value spliced into SQL text.  A backend whose
 *    engine numbers its placeholders ($1, $2 for libpq) rewrites them in
 *    store_prepare.
 *  - Data statements stay in the SQL both engines speak (no STRICT, no
 *    PRAGMA, no engine functions).  Only schema text differs per engine,
 *    which is why a migration carries one script per backend.
 *  - The schema version is a number the backend keeps (SQLite: the
 *    database header's user_version); migration N takes it from N-1 to N in
 *    one transaction, so a failed step leaves the database at N-1.
 *  - A store is used by one thread (the server's reactor): no locks.
 *
 * Return convention: 0 or -errno, except store_step (STORE_ROW /
 * STORE_DONE / -errno): -EEXIST for a duplicate key, -EINVAL for a row the
 * schema refuses (type, CHECK, NOT NULL, foreign key), -EBUSY, -ENOMEM,
 * -EIO for any other engine error; store_errmsg gives the engine's words.
 */
#ifndef SUBNETRA_MGMT_STORE_H
#define SUBNETRA_MGMT_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum store_backend {
	STORE_SQLITE,
	STORE_POSTGRES,
	STORE_BACKEND_COUNT,
};

enum {
	STORE_DONE = 0,
	STORE_ROW = 1,
	STORE_ERR_MAX = 512, /* bytes of a store_error message, NUL included */
};

/* One schema step: version N's script for each backend (NULL: not written yet). */
struct store_migration {
	int version;
	const char *name;
	const char *script[STORE_BACKEND_COUNT];
};

/* Why an open, a migration, a backup or a restore failed, in words for the operator. */
struct store_error {
	char msg[STORE_ERR_MAX];
};

/* err->msg = formatted text (err may be NULL), for callers' own messages too. */
void store_why(struct store_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

enum store_open_mode {
	STORE_OPEN_EXISTING, /* the database must exist */
	STORE_OPEN_CREATE,   /* create it if missing */
	STORE_OPEN_READONLY, /* an existing database, only read (backups, status) */
};

struct store;
struct store_stmt;

/* Whether db names a PostgreSQL database (a postgresql:// or postgres:// URL). */
bool store_is_postgres(const char *db);

/*
 * Open the database db: a PostgreSQL URL (store_pg.c), else the path of a
 * SQLite file, with the connection settings every caller relies on (for
 * SQLite: WAL, foreign keys, busy timeout, full sync).  For PostgreSQL the
 * database must exist (mode CREATE creates only its tables, at migration).
 */
int store_open(struct store **out, const char *path, enum store_open_mode mode,
	       struct store_error *err);
void store_close(struct store *s);
/* The database's name for messages (a URL's password hidden). */
const char *store_path(const struct store *s);
enum store_backend store_kind(const struct store *s);
/* The engine's last error message (for -EIO). */
const char *store_errmsg(struct store *s);

/* A write transaction (taken at once, so two writers never deadlock), its end. */
int store_begin(struct store *s);
int store_commit(struct store *s);
/* Never fails in a way a caller could act on: the transaction is gone either way. */
void store_rollback(struct store *s);

/* One statement of portable SQL with `?` placeholders (numbered from 1 when bound). */
int store_prepare(struct store *s, const char *sql, struct store_stmt **out);
int store_bind_i64(struct store_stmt *st, int idx, int64_t v);
/* text: NUL-terminated UTF-8, or NULL for SQL NULL; copied. */
int store_bind_text(struct store_stmt *st, int idx, const char *text);
int store_bind_blob(struct store_stmt *st, int idx, const void *data, size_t len);
int store_step(struct store_stmt *st);
/* Columns of the current row, numbered from 0; valid until the next step. */
int64_t store_col_i64(struct store_stmt *st, int col);
/* "" for NULL. */
const char *store_col_text(struct store_stmt *st, int col);
/*
 * A BLOB column's bytes into out[0..cap), *len its length (0 for NULL):
 * 0, or -ENOSPC when it holds more than cap bytes, -EINVAL when it is not
 * a blob the engine can give back.
 */
int store_col_blob(struct store_stmt *st, int col, void *out, size_t cap, size_t *len);
void store_finalize(struct store_stmt *st);

/*
 * What a generic copy needs (subnetra-mgmtd migrate): the current row's
 * shape, valid once store_step has run the statement (also when it gave
 * no row, for count and name).
 */
enum store_col_kind { STORE_COL_NULL, STORE_COL_INT, STORE_COL_TEXT, STORE_COL_BLOB };
int store_col_count(struct store_stmt *st);
/* The column's name as the statement gives it. */
const char *store_col_name(struct store_stmt *st, int col);
/* The current row's value kind (a real number or JSON: TEXT). */
enum store_col_kind store_col_kind(struct store_stmt *st, int col);
/* Whether the engine keeps the column as JSON, in its own normal form (PostgreSQL's JSONB). */
bool store_col_json(struct store_stmt *st, int col);

/*
 * A value to bind: STORE_I64(v), STORE_TEXT(s) (NULL: SQL NULL),
 * STORE_BLOB(p, n), STORE_NULL.
 */
enum store_arg_kind { STORE_ARG_NULL, STORE_ARG_I64, STORE_ARG_TEXT, STORE_ARG_BLOB };
struct store_arg {
	enum store_arg_kind kind;
	int64_t i64;
	const char *text;
	const void *blob;
	size_t len;
};
#define STORE_I64(v)  ((struct store_arg){.kind = STORE_ARG_I64, .i64 = (v)})
#define STORE_TEXT(v) ((struct store_arg){.kind = STORE_ARG_TEXT, .text = (v)})
#define STORE_BLOB(p, n) ((struct store_arg){.kind = STORE_ARG_BLOB, .blob = (p), .len = (n)})
#define STORE_NULL    ((struct store_arg){.kind = STORE_ARG_NULL})

/* prepare + bind args[i] to placeholder i + 1. */
int store_prepare_args(struct store *s, const char *sql, const struct store_arg *args,
		       size_t n, struct store_stmt **out);
/* prepare + bind + step to the end + finalize, for writes. */
int store_exec_args(struct store *s, const char *sql, const struct store_arg *args,
		    size_t n);

/*
 * Change notifications (PostgreSQL's LISTEN; feed.h says what travels and
 * who sends it, with pg_notify inside the change's own transaction).
 */
struct store_listener;
/*
 * A connection of its own to db LISTENing on channel, non-blocking: 0 and
 * *out; -ENOTSUP for a SQLite database; -EIO (err says why) when it
 * cannot connect.
 */
int store_listen(const char *db, const char *channel, struct store_listener **out,
		 struct store_error *err);
/* Its socket, for epoll (readable: call store_listener_input). */
int store_listener_fd(const struct store_listener *l);
/* Read what arrived without blocking: 0, or -EIO when the connection is lost. */
int store_listener_input(struct store_listener *l);
/*
 * The next notification's payload into out (truncated to cap) and the
 * session that sent it (store_session_id): true, or false for none.
 */
bool store_listener_next(struct store_listener *l, char *out, size_t cap, int *from);
/* This connection's session on the server (PostgreSQL's backend pid), 0 on SQLite. */
int store_session_id(struct store *s);
/* Its last error (for -EIO), "" for none. */
const char *store_listener_error(const struct store_listener *l);
void store_listener_close(struct store_listener *l);

/* The schema version (0 for a new, empty database). */
int store_version(struct store *s, int *out);

/*
 * Bring the schema to the last of the n migrations (numbered 1..n, in
 * order).  Before the first step on a SQLite database that already has a
 * schema, a copy is kept at "<path>.pre-<version>" (store_backup).  -ENOTSUP with
 * err saying so when the database is newer than the list; -EIO when a step
 * failed (err names it; the database is at the version before it).
 */
int store_migrate(struct store *s, const struct store_migration *m, size_t n,
		  struct store_error *err);

/*
 * backup and restore are SQLite's (PostgreSQL: -ENOTSUP, err naming
 * pg_dump and pg_restore).
 *
 * A consistent copy of the whole database into the file out, which appears
 * complete or not at all (mode 0600).  replace: an existing out is
 * replaced; else -EEXIST leaves it as it was.
 */
int store_backup(struct store *s, const char *out, bool replace, struct store_error *err);

/*
 * store_backup to the first free name "<path>.pre-<tag>-<unix time>[.N]"
 * beside the database, for a copy kept before a destructive step; made
 * (cap bytes) gets the name.
 */
int store_backup_aside(struct store *s, const char *tag, char *made, size_t cap,
		       struct store_error *err);

/*
 * Replace the whole content of the database with that of the backup file
 * from, in one transaction, after checking that from is a sound database
 * (integrity check) whose schema version is at most max_version.
 */
int store_restore(struct store *s, const char *from, int max_version,
		  struct store_error *err);

#endif
