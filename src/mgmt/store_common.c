/*
 * The engine-independent half of store.h (its own file, not store.c, so
 * that the backends' header, which needs store.h's types, is not in a
 * cycle with it): dispatch to the backend, and the
 * migration runner, whose rule is one transaction per step so that the
 * version number and the schema change commit together or not at all.
 */
#include "mgmt/store_backend.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

void store_why(struct store_error *err, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof err->msg, fmt, ap);
	va_end(ap);
}

bool store_is_postgres(const char *db)
{
	return strncmp(db, "postgresql://", 13) == 0 ||
	       strncmp(db, "postgres://", 11) == 0;
}

int store_open(struct store **out, const char *path, enum store_open_mode mode,
	       struct store_error *err)
{
	if (store_is_postgres(path))
		return store_pg_open(out, path, mode, err);
	return store_sqlite_open(out, path, mode, err);
}

enum store_backend store_kind(const struct store *s)
{
	return s->ops->kind;
}

void store_close(struct store *s)
{
	if (s != NULL)
		s->ops->close(s);
}

const char *store_path(const struct store *s)
{
	return s->path;
}
const char *store_errmsg(struct store *s)
{
	return s->ops->errmsg(s);
}

int store_begin(struct store *s)
{
	return s->ops->exec_script(s, s->ops->begin_sql);
}
int store_commit(struct store *s)
{
	return s->ops->exec_script(s, "COMMIT");
}
void store_rollback(struct store *s)
{
	(void)s->ops->exec_script(s, "ROLLBACK");
}

int store_prepare(struct store *s, const char *sql, struct store_stmt **out)
{
	return s->ops->prepare(s, sql, out);
}

int store_bind_i64(struct store_stmt *st, int idx, int64_t v)
{
	return st->store->ops->bind_i64(st, idx, v);
}

int store_bind_text(struct store_stmt *st, int idx, const char *text)
{
	return st->store->ops->bind_text(st, idx, text);
}

int store_bind_blob(struct store_stmt *st, int idx, const void *data, size_t len)
{
	return st->store->ops->bind_blob(st, idx, data, len);
}

int store_step(struct store_stmt *st)
{
	return st->store->ops->step(st);
}

int64_t store_col_i64(struct store_stmt *st, int col)
{
	return st->store->ops->col_i64(st, col);
}

const char *store_col_text(struct store_stmt *st, int col)
{
	return st->store->ops->col_text(st, col);
}

int store_col_blob(struct store_stmt *st, int col, void *out, size_t cap, size_t *len)
{
	return st->store->ops->col_blob(st, col, out, cap, len);
}

void store_finalize(struct store_stmt *st)
{
	if (st != NULL)
		st->store->ops->finalize(st);
}

int store_col_count(struct store_stmt *st)
{
	return st->store->ops->col_count(st);
}

const char *store_col_name(struct store_stmt *st, int col)
{
	return st->store->ops->col_name(st, col);
}

enum store_col_kind store_col_kind(struct store_stmt *st, int col)
{
	return st->store->ops->col_kind(st, col);
}

bool store_col_json(struct store_stmt *st, int col)
{
	return st->store->ops->col_json(st, col);
}

int store_prepare_args(struct store *s, const char *sql, const struct store_arg *args,
		       size_t n, struct store_stmt **out)
{
	struct store_stmt *st;
	int rc;

	rc = store_prepare(s, sql, &st);
	for (size_t i = 0; i < n && rc == 0; i++) {
		int idx = (int)i + 1;

		if (args[i].kind == STORE_ARG_I64)
			rc = store_bind_i64(st, idx, args[i].i64);
		else if (args[i].kind == STORE_ARG_BLOB)
			rc = store_bind_blob(st, idx, args[i].blob, args[i].len);
		else
			rc = store_bind_text(st, idx,
					     args[i].kind == STORE_ARG_TEXT ? args[i].text
									    : NULL);
		if (rc < 0)
			store_finalize(st);
	}
	if (rc == 0)
		*out = st;
	return rc;
}

int store_exec_args(struct store *s, const char *sql, const struct store_arg *args,
		    size_t n)
{
	struct store_stmt *st;
	int rc;

	rc = store_prepare_args(s, sql, args, n, &st);
	if (rc < 0)
		return rc;
	while ((rc = store_step(st)) == STORE_ROW)
		;
	store_finalize(st);
	return rc < 0 ? rc : 0;
}

int store_listen(const char *db, const char *channel, struct store_listener **out,
		 struct store_error *err)
{
	if (!store_is_postgres(db)) {
		store_why(err, "%s: no change feed on SQLite", db);
		return -ENOTSUP;
	}
	return store_pg_listen(db, channel, out, err);
}

int store_version(struct store *s, int *out)
{
	return s->ops->get_version(s, out);
}

/* PostgreSQL has no file to copy: its own tools do it. */
static int no_file_ops(struct store *s, struct store_error *err)
{
	store_why(err,
		  "%s: backup and restore of a PostgreSQL database are pg_dump's and "
		  "pg_restore's job",
		  s->path);
	return -ENOTSUP;
}

int store_backup(struct store *s, const char *out, bool replace, struct store_error *err)
{
	if (s->ops->backup == NULL)
		return no_file_ops(s, err);
	return s->ops->backup(s, out, replace, err);
}

int store_backup_aside(struct store *s, const char *tag, char *made, size_t cap,
		       struct store_error *err)
{
	long long now = (long long)time(NULL);
	int rc = -EEXIST;

	for (int n = 1; n < 100 && rc == -EEXIST; n++) {
		if (n == 1)
			snprintf(made, cap, "%s.pre-%s-%lld", s->path, tag, now);
		else
			snprintf(made, cap, "%s.pre-%s-%lld.%d", s->path, tag, now, n);
		rc = store_backup(s, made, false, err);
	}
	return rc;
}

int store_restore(struct store *s, const char *from, int max_version,
		  struct store_error *err)
{
	if (s->ops->restore == NULL)
		return no_file_ops(s, err);
	return s->ops->restore(s, from, max_version, err);
}

/* One step: script and version together, or neither. */
static int apply_step(struct store *s, const struct store_migration *m,
		      struct store_error *err)
{
	const char *script = m->script[s->ops->kind];
	int rc;

	if (script == NULL) {
		store_why(err,
			  "%s: migration %d (%s) has no script for this database engine",
			  s->path, m->version, m->name);
		return -ENOTSUP;
	}
	rc = store_begin(s);
	if (rc < 0)
		goto fail;
	rc = s->ops->exec_script(s, script);
	if (rc == 0)
		rc = s->ops->set_version(s, m->version);
	if (rc == 0)
		rc = store_commit(s);
	if (rc == 0)
		return 0;
	store_why(err, "%s: migration %d (%s) failed, database left at version %d: %s",
		  s->path, m->version, m->name, m->version - 1, store_errmsg(s));
	store_rollback(s);
	return rc;
fail:
	store_why(err, "%s: cannot start migration %d (%s): %s", s->path, m->version,
		  m->name, store_errmsg(s));
	return rc;
}

int store_migrate(struct store *s, const struct store_migration *m, size_t n,
		  struct store_error *err)
{
	char pre[sizeof s->path + 32];
	int cur, rc;

	/* The list is compiled in: a gap in its numbers is a programmer's bug. */
	for (size_t i = 0; i < n; i++)
		if (m[i].version != (int)i + 1) {
			store_why(err,
				  "migration list out of order at entry %zu (version %d)",
				  i, m[i].version);
			return -EINVAL;
		}
	rc = store_version(s, &cur);
	if (rc < 0) {
		store_why(err, "%s: cannot read the schema version: %s", s->path,
			  store_errmsg(s));
		return rc;
	}
	if (cur > (int)n) {
		store_why(err,
			  "%s: schema version %d is newer than this subnetra-mgmtd knows "
			  "(%zu): "
			  "run a newer build, or restore a backup",
			  s->path, cur, n);
		return -ENOTSUP;
	}
	if (cur == (int)n)
		return 0;
	if (cur > 0 && s->ops->backup != NULL) {
		snprintf(pre, sizeof pre, "%s.pre-%d", s->path, cur);
		rc = store_backup(s, pre, true, err);
		if (rc < 0)
			return rc;
	}
	for (size_t i = (size_t)cur; i < n; i++) {
		rc = apply_step(s, &m[i], err);
		if (rc < 0)
			return rc;
	}
	return 0;
}
