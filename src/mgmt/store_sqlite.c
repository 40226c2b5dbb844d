/*
 * The SQLite backend of store.h.  Connection settings, for every open:
 * journal_mode=WAL (readers never block the writer), foreign_keys=ON,
 * busy_timeout (a backup or status command reading alongside the server),
 * synchronous=FULL (a commit is on disk before it is acknowledged, so a
 * crash or kill -9 loses nothing committed), defensive mode (no writes
 * to the schema through SQL tricks).  trusted_schema stays on: the
 * schema's CHECKs call json_valid, which SQLite 3.40 does not mark
 * innocuous, and the file is the server's own (mode 0600).  user_version
 * in the database header is the schema version, written inside the
 * migration's transaction.
 */
#include "mgmt/store_backend.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "os/linux/atomicfile.h"

enum { BUSY_TIMEOUT_MS = 5000 };

struct sqlite_store {
	struct store base; /* first: a struct store * is a struct sqlite_store * */
	sqlite3 *db;
};

struct sqlite_stmt {
	struct store_stmt base;
	sqlite3_stmt *st;
};

static sqlite3 *db_of(struct store *s)
{
	return ((struct sqlite_store *)s)->db;
}
static sqlite3_stmt *st_of(struct store_stmt *st)
{
	return ((struct sqlite_stmt *)st)->st;
}

static int rc_errno(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_DONE:
		return 0;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_CONSTRAINT:
		/* A duplicate, or a row the schema refuses (type, CHECK, foreign key). */
		if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
			return -EEXIST;
		return -EINVAL;
	default:
		return -EIO;
	}
}

static void sq_close(struct store *s)
{
	struct sqlite_store *q = (struct sqlite_store *)s;

	sqlite3_close_v2(q->db); /* NULL is a no-op */
	free(q);
}

static const char *sq_errmsg(struct store *s)
{
	return sqlite3_errmsg(db_of(s));
}

static int sq_exec_script(struct store *s, const char *sql)
{
	return rc_errno(sqlite3_exec(db_of(s), sql, NULL, NULL, NULL));
}

static int sq_prepare(struct store *s, const char *sql, struct store_stmt **out)
{
	struct sqlite_stmt *p = calloc(1, sizeof *p);
	int rc;

	if (p == NULL)
		return -ENOMEM;
	rc = sqlite3_prepare_v2(db_of(s), sql, -1, &p->st, NULL);
	if (rc != SQLITE_OK) {
		free(p);
		return rc_errno(rc) ? rc_errno(rc) : -EIO;
	}
	p->base.store = s;
	*out = &p->base;
	return 0;
}

static int sq_bind_i64(struct store_stmt *st, int idx, int64_t v)
{
	return rc_errno(sqlite3_bind_int64(st_of(st), idx, v));
}

static int sq_bind_text(struct store_stmt *st, int idx, const char *text)
{
	if (text == NULL)
		return rc_errno(sqlite3_bind_null(st_of(st), idx));
	return rc_errno(sqlite3_bind_text(st_of(st), idx, text, -1, SQLITE_TRANSIENT));
}

static int sq_bind_blob(struct store_stmt *st, int idx, const void *data, size_t len)
{
	return rc_errno(sqlite3_bind_blob64(st_of(st), idx, data, len, SQLITE_TRANSIENT));
}

static int sq_step(struct store_stmt *st)
{
	int rc = sqlite3_step(st_of(st));

	if (rc == SQLITE_ROW)
		return STORE_ROW;
	if (rc == SQLITE_DONE)
		return STORE_DONE;
	return rc_errno(rc) ? rc_errno(rc) : -EIO;
}

static int64_t sq_col_i64(struct store_stmt *st, int col)
{
	return sqlite3_column_int64(st_of(st), col);
}

static const char *sq_col_text(struct store_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st_of(st), col);

	return t != NULL ? (const char *)t : "";
}

static int sq_col_blob(struct store_stmt *st, int col, void *out, size_t cap, size_t *len)
{
	const void *b = sqlite3_column_blob(st_of(st), col);
	int n = sqlite3_column_bytes(st_of(st), col);

	*len = 0;
	if (b == NULL || n <= 0)
		return 0;
	if ((size_t)n > cap)
		return -ENOSPC;
	memcpy(out, b, (size_t)n);
	*len = (size_t)n;
	return 0;
}

static void sq_finalize(struct store_stmt *st)
{
	sqlite3_finalize(st_of(st));
	free(st);
}

/* A PRAGMA's single integer result (the only way to read user_version). */
static int sq_col_count(struct store_stmt *st)
{
	return sqlite3_column_count(st_of(st));
}

static const char *sq_col_name(struct store_stmt *st, int col)
{
	const char *n = sqlite3_column_name(st_of(st), col);

	return n != NULL ? n : "";
}

static enum store_col_kind sq_col_kind(struct store_stmt *st, int col)
{
	switch (sqlite3_column_type(st_of(st), col)) {
	case SQLITE_NULL: return STORE_COL_NULL;
	case SQLITE_INTEGER: return STORE_COL_INT;
	case SQLITE_BLOB: return STORE_COL_BLOB;
	default: return STORE_COL_TEXT;
	}
}

/* SQLite keeps JSON as the text it was given. */
static bool sq_col_json(struct store_stmt *st, int col)
{
	(void)st;
	(void)col;
	return false;
}

static int pragma_int(sqlite3 *db, const char *sql, int *out)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);

	if (rc != SQLITE_OK)
		return rc_errno(rc) ? rc_errno(rc) : -EIO;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : -EIO;
}

static int sq_get_version(struct store *s, int *out)
{
	return pragma_int(db_of(s), "PRAGMA user_version", out);
}

static int sq_set_version(struct store *s, int v)
{
	char sql[64];

	/* PRAGMA takes no bound parameter; v is our own integer. */
	snprintf(sql, sizeof sql, "PRAGMA user_version = %d", v);
	return sq_exec_script(s, sql);
}

/*
 * VACUUM INTO writes a consistent copy (one read transaction) into a file
 * that must be empty or absent: atomicfile's empty 0600 temporary file,
 * moved into place once complete and synced.
 */
static int sq_backup(struct store *s, const char *out, bool replace,
		     struct store_error *err)
{
	struct atomicfile af;
	sqlite3_stmt *st = NULL;
	int rc;

	if (!replace && access(out, F_OK) == 0) {
		store_why(err, "%s: exists; not replaced", out);
		return -EEXIST;
	}
	rc = atomicfile_begin(&af, out);
	if (rc < 0) {
		store_why(err, "%s: cannot create a temporary file next to it: %s", out,
			  strerror(-rc));
		return rc;
	}
	rc = sqlite3_prepare_v2(db_of(s), "VACUUM INTO ?", -1, &st, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 1, af.tmp, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc != SQLITE_DONE) {
		store_why(err, "%s: copy of %s failed: %s", out, s->path,
			  sqlite3_errmsg(db_of(s)));
		sqlite3_finalize(st);
		atomicfile_abort(&af);
		return -EIO;
	}
	sqlite3_finalize(st);
	rc = atomicfile_commit(&af, replace);
	if (rc < 0) {
		store_why(err, "%s: %s", out,
			  rc == -EEXIST ? "appeared meanwhile; not replaced"
					: strerror(-rc));
		return rc;
	}
	return 0;
}

/*
 * The backup API copies every page of from into this database in one
 * write transaction of ours (in WAL mode, so a crash midway leaves the old
 * content), after from has passed an integrity check.
 */
static int sq_restore(struct store *s, const char *from, int max_version,
		      struct store_error *err)
{
	sqlite3 *src = NULL;
	sqlite3_backup *b;
	char check[64] = "";
	sqlite3_stmt *st = NULL;
	int rc, v = 0;

	rc = sqlite3_open_v2(from, &src, SQLITE_OPEN_READONLY, NULL);
	if (rc != SQLITE_OK) {
		store_why(err, "%s: cannot open: %s", from,
			  src ? sqlite3_errmsg(src) : "no memory");
		rc = -EIO;
		goto out;
	}
	if (sqlite3_prepare_v2(src, "PRAGMA quick_check", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		snprintf(check, sizeof check, "%s",
			 (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	if (strcmp(check, "ok") != 0) {
		store_why(err, "%s: not a sound SQLite database: %s", from,
			  check[0] ? check : sqlite3_errmsg(src));
		rc = -EINVAL;
		goto out;
	}
	if (pragma_int(src, "PRAGMA user_version", &v) < 0 || v < 1 || v > max_version) {
		store_why(
		    err,
		    "%s: schema version %d is not a subnetra-mgmtd backup this build "
		    "can use (1..%d)",
		    from, v, max_version);
		rc = -EINVAL;
		goto out;
	}
	b = sqlite3_backup_init(db_of(s), "main", src, "main");
	if (b == NULL) {
		store_why(err, "%s: cannot restore into %s: %s", from, s->path,
			  sqlite3_errmsg(db_of(s)));
		rc = -EIO;
		goto out;
	}
	rc = sqlite3_backup_step(b, -1);
	sqlite3_backup_finish(b);
	if (rc != SQLITE_DONE) {
		store_why(err, "%s: restore into %s failed: %s", from, s->path,
			  sqlite3_errmsg(db_of(s)));
		rc = -EIO;
		goto out;
	}
	rc = 0;
out:
	sqlite3_close_v2(src);
	return rc;
}

static const struct store_ops sqlite_ops = {
    .kind = STORE_SQLITE,
    .begin_sql = "BEGIN IMMEDIATE",
    .close = sq_close,
    .errmsg = sq_errmsg,
    .exec_script = sq_exec_script,
    .prepare = sq_prepare,
    .bind_i64 = sq_bind_i64,
    .bind_text = sq_bind_text,
    .bind_blob = sq_bind_blob,
    .step = sq_step,
    .col_i64 = sq_col_i64,
    .col_text = sq_col_text,
    .col_blob = sq_col_blob,
    .finalize = sq_finalize,
    .col_count = sq_col_count,
    .col_name = sq_col_name,
    .col_kind = sq_col_kind,
    .col_json = sq_col_json,
    .get_version = sq_get_version,
    .set_version = sq_set_version,
    .backup = sq_backup,
    .restore = sq_restore,
};

/* The file must exist as a regular file for every mode but CREATE. */
static int check_file(const char *path, enum store_open_mode mode,
		      struct store_error *err)
{
	struct stat st;

	if (stat(path, &st) < 0) {
		if (errno == ENOENT && mode == STORE_OPEN_CREATE)
			return 0;
		store_why(err, "%s: %s%s", path, strerror(errno),
			  errno == ENOENT ? " (create it with: subnetra-mgmtd init)"
					  : "");
		return -errno;
	}
	if (!S_ISREG(st.st_mode)) {
		store_why(err, "%s: not a regular file", path);
		return -EINVAL;
	}
	return 0;
}

static const char *const settings[] = {
    "PRAGMA foreign_keys = ON",
    "PRAGMA synchronous = FULL",
};

int store_sqlite_open(struct store **out, const char *path, enum store_open_mode mode,
		      struct store_error *err)
{
	struct sqlite_store *q;
	int flags, rc;
	char jm[16] = "";
	sqlite3_stmt *st;

	rc = check_file(path, mode, err);
	if (rc < 0)
		return rc;
	if (strlen(path) >= sizeof q->base.path) {
		store_why(err, "%.64s...: path too long", path);
		return -ENAMETOOLONG;
	}
	q = calloc(1, sizeof *q);
	if (q == NULL)
		return -ENOMEM;
	q->base.ops = &sqlite_ops;
	snprintf(q->base.path, sizeof q->base.path, "%s", path);
	flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW;
	flags |=
	    mode == STORE_OPEN_READONLY ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
	if (mode == STORE_OPEN_CREATE)
		flags |= SQLITE_OPEN_CREATE;
	rc = sqlite3_open_v2(path, &q->db, flags, NULL);
	if (rc != SQLITE_OK) {
		store_why(err, "%s: cannot open: %s", path,
			  q->db ? sqlite3_errmsg(q->db) : "no memory");
		goto fail;
	}
	sqlite3_extended_result_codes(q->db, 1);
	sqlite3_busy_timeout(q->db, BUSY_TIMEOUT_MS);
	sqlite3_db_config(q->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	/* The first read: where a file that is not a database is found out. */
	if (mode != STORE_OPEN_READONLY) {
		rc =
		    sqlite3_prepare_v2(q->db, "PRAGMA journal_mode = WAL", -1, &st, NULL);
		if (rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
			snprintf(jm, sizeof jm, "%s",
				 (const char *)sqlite3_column_text(st, 0));
		if (rc == SQLITE_OK)
			sqlite3_finalize(st);
		if (strcmp(jm, "wal") != 0) {
			store_why(err, "%s: cannot use it as a database: %s", path,
				  sqlite3_errmsg(q->db));
			goto fail;
		}
	}
	for (size_t i = 0; i < sizeof settings / sizeof settings[0]; i++)
		if (sqlite3_exec(q->db, settings[i], NULL, NULL, NULL) != SQLITE_OK) {
			store_why(err, "%s: %s: %s", path, settings[i],
				  sqlite3_errmsg(q->db));
			goto fail;
		}
	if (mode == STORE_OPEN_READONLY &&
	    sqlite3_exec(q->db, "SELECT count(*) FROM sqlite_schema", NULL, NULL, NULL) !=
		SQLITE_OK) {
		store_why(err, "%s: cannot use it as a database: %s", path,
			  sqlite3_errmsg(q->db));
		goto fail;
	}
	*out = &q->base;
	return 0;
fail:
	sq_close(&q->base);
	return -EIO;
}
