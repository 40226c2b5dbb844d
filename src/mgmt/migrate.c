/*
 * subnetra-mgmtd migrate --from DB --to DB [--force]: an instance's
 * database copied to another engine (SQLite -> PostgreSQL, and back, or
 * SQLite -> SQLite), so an operator moves without re-joining the fleet:
 * the meta table (instance id, license serial), ids, audit rows, every
 * table as it is.
 *
 *  - Generic over the schema: the tables are the source's own (its
 *    catalog, in creation order, which is an order their foreign keys
 *    allow), the columns those of `SELECT *`; a later migration's table is
 *    copied without a change here.
 *  - Both ends at this build's schema version: an older source is refused
 *    (a server started once on it migrates it), the target's schema is
 *    made by the same migrations a server runs.
 *  - The source is only read, under the lock a server takes (SQLite; on
 *    PostgreSQL: no other session on its database).  The target must hold
 *    no instance (its meta table empty) unless --force.
 *  - One transaction on the target: its rows deleted (a migration's seed
 *    rows), every row inserted with its ids, PostgreSQL's identity
 *    sequences set past the largest id, then verified before the commit
 *    (a failed check leaves the target as it was): per table, the row
 *    count and an order-free checksum of every value (JSON in a normal
 *    form, as PostgreSQL's JSONB keeps it in its own) read from both ends.
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <sodium.h>

#include "mgmt/commands.h"
#include "mgmt/instance.h"
#include "mgmt/mgmtd.h"
#include "mgmt/model_sql.h"
#include "mgmt/schema.h"
#include "mgmt/store.h"

static const char prog[] = "subnetra-mgmtd migrate";

enum {
	TABLES_MAX = 128,
	COLS_MAX = 64,
	NAME_MAX_ = 64,
	SQL_MAX = 8192,
	BLOB_MAX = 64 << 20,
};

struct table {
	char name[NAME_MAX_];
	int ncols;
	char cols[COLS_MAX][NAME_MAX_];
	bool json[COLS_MAX]; /* kept as JSON by either end */
	int64_t rows;
};

struct tables {
	struct table t[TABLES_MAX];
	size_t n;
};

/*
 * The user tables of a database in creation order, without the engine's
 * own and the schema version's (each end keeps that in its own way).
 */
static const char *const tables_sql[STORE_BACKEND_COUNT] = {
	[STORE_SQLITE] = "SELECT name FROM sqlite_master WHERE type = 'table' "
			 "AND name NOT LIKE 'sqlite~_%' ESCAPE '~' ORDER BY rowid",
	[STORE_POSTGRES] = "SELECT c.relname FROM pg_class c "
			   "JOIN pg_namespace n ON n.oid = c.relnamespace "
			   "WHERE n.nspname = current_schema() AND c.relkind = 'r' "
			   "AND c.relname <> 'subnetra_schema' ORDER BY c.oid",
};

/* A catalog name we put in SQL text: lower-case letters, digits, '_' only. */
static bool plain_name(const char *s)
{
	if (*s == '\0' || strlen(s) >= NAME_MAX_)
		return false;
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
			return false;
	return true;
}

static int list_tables(struct store *s, struct tables *out, struct store_error *e)
{
	struct store_stmt *st = NULL;
	int rc;

	out->n = 0;
	rc = store_prepare(s, tables_sql[store_kind(s)], &st);
	if (rc < 0)
		goto fail;
	while ((rc = store_step(st)) == STORE_ROW) {
		const char *name = store_col_text(st, 0);

		if (!plain_name(name) || out->n == TABLES_MAX) {
			store_finalize(st);
			store_why(e, "%s: table '%.64s': not a name this command copies "
				     "(or more than %d tables)",
				  store_path(s), name, TABLES_MAX);
			return -EINVAL;
		}
		snprintf(out->t[out->n++].name, NAME_MAX_, "%s", name);
	}
	store_finalize(st);
	if (rc >= 0)
		return 0;
fail:
	store_why(e, "%s: listing the tables: %s", store_path(s), store_errmsg(s));
	return rc;
}

/* t's columns: those of SELECT * on the source. */
static int read_columns(struct store *s, struct table *t, struct store_error *e)
{
	char sql[SQL_MAX];
	struct store_stmt *st = NULL;
	int rc;

	snprintf(sql, sizeof sql, "SELECT * FROM \"%s\" LIMIT 0", t->name);
	rc = store_prepare(s, sql, &st);
	if (rc == 0)
		rc = store_step(st);
	if (rc >= 0) {
		t->ncols = store_col_count(st);
		for (int c = 0; c < t->ncols && rc >= 0; c++) {
			const char *n = store_col_name(st, c);

			if (!plain_name(n) || c == COLS_MAX)
				rc = -EINVAL;
			else
				snprintf(t->cols[c], NAME_MAX_, "%s", n);
		}
	}
	if (rc < 0)
		store_why(e, "%s: the columns of %s: %s", store_path(s), t->name,
			  rc == -EINVAL ? "a name this command does not copy"
					: store_errmsg(s));
	store_finalize(st);
	return rc < 0 ? rc : 0;
}

/* "SELECT c1, c2 FROM t" or "INSERT INTO t(c1, c2) VALUES(?, ?)". */
static void table_sql(const struct table *t, bool insert, char *sql, size_t cap)
{
	size_t o = (size_t)snprintf(sql, cap, insert ? "INSERT INTO \"%s\"(" : "SELECT ",
				    t->name);

	for (int c = 0; c < t->ncols; c++)
		o += (size_t)snprintf(sql + o, cap - o, "%s\"%s\"", c ? ", " : "", t->cols[c]);
	if (!insert) {
		snprintf(sql + o, cap - o, " FROM \"%s\"", t->name);
		return;
	}
	o += (size_t)snprintf(sql + o, cap - o, ") VALUES(");
	for (int c = 0; c < t->ncols; c++)
		o += (size_t)snprintf(sql + o, cap - o, "%s?", c ? ", " : "");
	snprintf(sql + o, cap - o, ")");
}

/* A blob column's bytes in *buf (grown as needed, up to BLOB_MAX). */
static int read_blob(struct store_stmt *st, int col, unsigned char **buf, size_t *cap,
		     size_t *len)
{
	int rc;

	while ((rc = store_col_blob(st, col, *buf, *cap, len)) == -ENOSPC) {
		size_t ncap = *cap ? *cap * 2 : 4096;
		unsigned char *nb;

		if (ncap > BLOB_MAX || (nb = realloc(*buf, ncap)) == NULL)
			return -ENOMEM;
		*buf = nb;
		*cap = ncap;
	}
	return rc;
}

/* Bind the source row's column c to the insert's placeholder c + 1. */
static int bind_value(struct store_stmt *src, struct store_stmt *ins, int c,
		      unsigned char **buf, size_t *cap)
{
	size_t len;
	int rc;

	switch (store_col_kind(src, c)) {
	case STORE_COL_NULL: return store_bind_text(ins, c + 1, NULL);
	case STORE_COL_INT: return store_bind_i64(ins, c + 1, store_col_i64(src, c));
	case STORE_COL_BLOB:
		rc = read_blob(src, c, buf, cap, &len);
		return rc < 0 ? rc : store_bind_blob(ins, c + 1, *buf ? *buf : (void *)"", len);
	default: return store_bind_text(ins, c + 1, store_col_text(src, c));
	}
}

/* Every row of t from src into dst (inside dst's transaction); t->rows counts them. */
static int copy_rows(struct store *src, struct store *dst, struct table *t,
		     struct store_error *e)
{
	char sel[SQL_MAX], ins_sql[SQL_MAX];
	struct store_stmt *st, *ins = NULL;
	unsigned char *buf = NULL;
	size_t cap = 0;
	int rc;

	table_sql(t, false, sel, sizeof sel);
	table_sql(t, true, ins_sql, sizeof ins_sql);
	t->rows = 0;
	rc = store_prepare(src, sel, &st);
	if (rc < 0) {
		store_why(e, "%s: reading %s: %s", store_path(src), t->name, store_errmsg(src));
		return rc;
	}
	while ((rc = store_step(st)) == STORE_ROW) {
		ins = NULL;
		rc = store_prepare(dst, ins_sql, &ins);
		for (int c = 0; c < t->ncols && rc == 0; c++)
			rc = bind_value(st, ins, c, &buf, &cap);
		if (rc == 0)
			rc = store_step(ins);
		if (rc < 0 && rc != -ENOMEM)
			store_why(e, "%s: a row of %s: %s", store_path(dst), t->name,
				  store_errmsg(dst));
		store_finalize(ins);
		if (rc < 0)
			break;
		t->rows++;
	}
	if (rc == -ENOMEM)
		store_why(e, "%s: out of memory (or a value over %d bytes)", t->name, BLOB_MAX);
	else if (rc < 0 && e->msg[0] == '\0')
		store_why(e, "%s: reading %s: %s", store_path(src), t->name, store_errmsg(src));
	store_finalize(st);
	free(buf);
	return rc < 0 ? rc : 0;
}

/* One sequence-backed column past its largest value. */
static int pg_sequence(struct store *s, const char *table, const char *col)
{
	const struct store_arg args[] = {STORE_TEXT(table), STORE_TEXT(col)};
	char sql[SQL_MAX];

	if (!plain_name(table) || !plain_name(col))
		return -EINVAL;
	snprintf(sql, sizeof sql,
		 "SELECT setval(pg_get_serial_sequence(?, ?), coalesce(max(\"%s\"), 0) + 1, "
		 "false) FROM \"%s\"",
		 col, table);
	return store_exec_args(s, sql, args, 2);
}

/*
 * PostgreSQL's identity (or serial) sequences past the largest value of
 * their columns, so the next row inserted gets a new id.
 */
static int pg_sequences(struct store *s, struct store_error *e)
{
	struct store_stmt *st = NULL;
	char (*cols)[2][NAME_MAX_] = NULL;
	size_t n = 0;
	int rc;

	rc = store_prepare(s,
			   "SELECT table_name, column_name FROM information_schema.columns "
			   "WHERE table_schema = current_schema() AND (is_identity = 'YES' "
			   "OR column_default LIKE 'nextval(%')",
			   &st);
	while (rc == 0 && (rc = store_step(st)) == STORE_ROW) {
		void *more = realloc(cols, (n + 1) * sizeof *cols);

		if (more == NULL) {
			rc = -ENOMEM;
			break;
		}
		cols = more;
		snprintf(cols[n][0], NAME_MAX_, "%s", store_col_text(st, 0));
		snprintf(cols[n][1], NAME_MAX_, "%s", store_col_text(st, 1));
		n++;
		rc = 0;
	}
	store_finalize(st);
	for (size_t i = 0; i < n && rc >= 0; i++)
		rc = pg_sequence(s, cols[i][0], cols[i][1]);
	free(cols);
	if (rc < 0)
		store_why(e, "%s: setting the sequences: %s", store_path(s), store_errmsg(s));
	return rc < 0 ? rc : 0;
}

/* ---- verification ------------------------------------------------------------ */

/* An order-free sum of row hashes: 4 lanes of 64 bits, each added mod 2^64. */
struct digest {
	uint64_t lane[4];
	int64_t rows;
};

static void hash_bytes(crypto_generichash_state *h, unsigned char tag, const void *p,
		       size_t n)
{
	uint64_t len = n;

	crypto_generichash_update(h, &tag, 1);
	crypto_generichash_update(h, (const unsigned char *)&len, sizeof len);
	if (n > 0)
		crypto_generichash_update(h, p, n);
}

/* A JSON value in a normal form: object keys sorted, no spaces, json-c's escapes. */
static int compare_keys(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void hash_json(crypto_generichash_state *h, struct json_object *v);

/* An object: its members by key, whatever the order the engine kept them in. */
static void hash_object(crypto_generichash_state *h, struct json_object *v)
{
	size_t n = 0, cap = (size_t)json_object_object_length(v);
	const char **keys = calloc(cap ? cap : 1, sizeof *keys);

	if (keys == NULL) {
		hash_bytes(h, '!', NULL, 0); /* a mismatch rather than a crash */
		return;
	}
	json_object_object_foreach(v, k, val)
	{
		(void)val;
		if (n < cap)
			keys[n++] = k;
	}
	qsort(keys, n, sizeof keys[0], compare_keys);
	hash_bytes(h, '{', &n, sizeof n);
	for (size_t i = 0; i < n; i++) {
		hash_bytes(h, 'k', keys[i], strlen(keys[i]));
		hash_json(h, json_object_object_get(v, keys[i]));
	}
	free(keys);
}

static void hash_json(crypto_generichash_state *h, struct json_object *v)
{
	size_t n;

	switch (json_object_get_type(v)) {
	case json_type_object: hash_object(h, v); break;
	case json_type_array:
		n = json_object_array_length(v);
		hash_bytes(h, '[', &n, sizeof n);
		for (size_t i = 0; i < n; i++)
			hash_json(h, json_object_array_get_idx(v, i));
		break;
	default: {
		const char *t = json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN);

		hash_bytes(h, 's', t, strlen(t));
	}
	}
}

static int hash_value(crypto_generichash_state *h, struct store_stmt *st, int c, bool json,
		      unsigned char **buf, size_t *cap)
{
	enum store_col_kind k = store_col_kind(st, c);
	size_t len;
	int64_t v;
	int rc;

	switch (k) {
	case STORE_COL_NULL: hash_bytes(h, 'N', NULL, 0); return 0;
	case STORE_COL_INT:
		v = store_col_i64(st, c);
		hash_bytes(h, 'I', &v, sizeof v);
		return 0;
	case STORE_COL_BLOB:
		rc = read_blob(st, c, buf, cap, &len);
		if (rc == 0)
			hash_bytes(h, 'B', *buf, len);
		return rc;
	default:
		if (json) {
			struct json_object *j = json_tokener_parse(store_col_text(st, c));

			hash_bytes(h, 'J', NULL, 0);
			hash_json(h, j); /* NULL (not JSON) hashes as JSON null */
			json_object_put(j);
			return 0;
		}
		hash_bytes(h, 'T', store_col_text(st, c), strlen(store_col_text(st, c)));
		return 0;
	}
}

/* The rows of st (stepped once: *step is that step's result) into d. */
static int digest_rows(struct store_stmt *st, int step, const struct table *t,
		       struct digest *d)
{
	unsigned char *buf = NULL, row[32];
	size_t cap = 0;
	int rc = step;

	memset(d, 0, sizeof *d);
	while (rc == STORE_ROW) {
		crypto_generichash_state h;

		crypto_generichash_init(&h, NULL, 0, sizeof row);
		for (int c = 0; c < t->ncols && rc >= 0; c++)
			rc = hash_value(&h, st, c, t->json[c], &buf, &cap);
		if (rc < 0)
			break;
		crypto_generichash_final(&h, row, sizeof row);
		for (int l = 0; l < 4; l++) {
			uint64_t x;

			memcpy(&x, row + 8 * l, sizeof x);
			d->lane[l] += x;
		}
		d->rows++;
		rc = store_step(st);
	}
	free(buf);
	return rc < 0 ? rc : 0;
}

/* t read back from both ends: the same rows, the same values. */
static int verify_table(struct store *a, struct store *b, struct table *t,
			struct store_error *e)
{
	char sql[SQL_MAX];
	struct store_stmt *sa = NULL, *sb = NULL;
	struct digest da, db;
	int ra, rb, rc;

	table_sql(t, false, sql, sizeof sql);
	ra = store_prepare(a, sql, &sa);
	if (ra == 0)
		ra = store_step(sa);
	rb = store_prepare(b, sql, &sb);
	if (rb == 0)
		rb = store_step(sb);
	rc = ra < 0 ? ra : rb;
	if (rc >= 0) {
		for (int c = 0; c < t->ncols; c++)
			t->json[c] = store_col_json(sa, c) || store_col_json(sb, c);
		rc = digest_rows(sa, ra, t, &da);
	}
	if (rc >= 0)
		rc = digest_rows(sb, rb, t, &db);
	store_finalize(sa);
	store_finalize(sb);
	if (rc < 0) {
		store_why(e, "verifying %s: %s", t->name,
			  ra < 0 ? store_errmsg(a) : store_errmsg(b));
		return rc;
	}
	if (da.rows != db.rows || memcmp(da.lane, db.lane, sizeof da.lane) != 0) {
		store_why(e, "verifying %s: %lld rows in %s, %lld in %s%s", t->name,
			  (long long)da.rows, store_path(a), (long long)db.rows,
			  store_path(b), da.rows == db.rows ? ", their values differ" : "");
		return -EIO;
	}
	return 0;
}

/* ---- the command ------------------------------------------------------------- */

static double elapsed(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* The exit code for a store failure rc. */
static int fail(const struct store_error *e, int code)
{
	fprintf(stderr, "%s: %s\n", prog, e->msg);
	return code;
}

/* A SQLite end under the lock a server takes (-1: none needed); a PostgreSQL one: -1. */
static int lock_end(const char *db, const char *which, int *fd)
{
	char err[512];
	int rc;

	*fd = -1;
	if (store_is_postgres(db))
		return MGMT_EXIT_OK;
	rc = instance_lock(db, fd, err, sizeof err);
	if (rc == 0)
		return MGMT_EXIT_OK;
	fprintf(stderr, "%s: the %s: %s\n", prog, which, err);
	return rc == -EBUSY ? MGMT_EXIT_REFUSED : MGMT_EXIT_FAIL;
}

/* A PostgreSQL source nobody else is connected to (a server keeps a connection). */
static int pg_idle(struct store *s, struct store_error *e)
{
	int64_t n = 0;

	if (model_query_i64(s,
			    "SELECT count(*) FROM pg_stat_activity WHERE datname = "
			    "current_database() AND pid <> pg_backend_pid() "
			    "AND backend_type = 'client backend'",
			    NULL, 0, &n) < 0) {
		store_why(e, "%s: %s", store_path(s), store_errmsg(s));
		return MGMT_EXIT_DB;
	}
	if (n > 0) {
		store_why(e,
			  "%s: %lld other session(s) connected to the source database "
			  "(a server running on it?): stop them first",
			  store_path(s), (long long)n);
		return MGMT_EXIT_REFUSED;
	}
	return MGMT_EXIT_OK;
}

/*
 * Two URLs for one PostgreSQL database (spelled differently): the target's
 * connection is one the source's database sees.  (Two names for one
 * SQLite file meet at its lock instead.)
 */
static int pg_same(struct store *src, struct store *dst, struct store_error *e)
{
	int64_t pid = 0, n = 0;

	if (store_kind(src) != STORE_POSTGRES || store_kind(dst) != STORE_POSTGRES)
		return MGMT_EXIT_OK;
	if (model_query_i64(dst, "SELECT pg_backend_pid()", NULL, 0, &pid) < 0 ||
	    model_query_i64(src,
			    "SELECT count(*) FROM pg_stat_activity WHERE pid = ? "
			    "AND datname = current_database()",
			    (const struct store_arg[]){STORE_I64(pid)}, 1, &n) < 0) {
		store_why(e, "comparing the databases: %s / %s", store_errmsg(src),
			  store_errmsg(dst));
		return MGMT_EXIT_DB;
	}
	if (n > 0) {
		store_why(e, "--from and --to name the same database");
		return MGMT_EXIT_USAGE;
	}
	return MGMT_EXIT_OK;
}

/* The source: readable, at this build's schema version, not in use. */
static int open_source(const char *db, struct store **s, struct store_error *e)
{
	int v = 0;

	if (store_open(s, db, STORE_OPEN_READONLY, e) < 0)
		return MGMT_EXIT_DB;
	if (store_version(*s, &v) < 0 || v != (int)schema_migration_count) {
		store_why(e, "%s: schema version %d, this build's is %zu (%s)", store_path(*s),
			  v, schema_migration_count,
			  v == 0 ? "not a subnetra-mgmtd database"
			  : v < (int)schema_migration_count
			      ? "start the server once on it to migrate it, stop it, then migrate"
			      : "a newer build made it");
		return MGMT_EXIT_DB;
	}
	return store_is_postgres(db) ? pg_idle(*s, e) : MGMT_EXIT_OK;
}

/* Whether the target holds an instance (its meta table has a row). */
static int target_holds(struct store *s, bool *holds, struct store_error *e)
{
	int64_t n = 0;
	int rc = model_query_i64(s, "SELECT count(*) FROM meta", NULL, 0, &n);

	*holds = n > 0;
	if (rc < 0)
		store_why(e, "%s: %s", store_path(s), store_errmsg(s));
	return rc < 0 ? rc : 0;
}

/* The target: its schema at this build's version, holding no instance (unless force). */
static int open_target(const char *db, bool force, struct store **s, struct store_error *e)
{
	bool holds;
	int v = 0;

	if (store_open(s, db, STORE_OPEN_CREATE, e) < 0)
		return MGMT_EXIT_DB;
	if (store_version(*s, &v) < 0) {
		store_why(e, "%s: %s", store_path(*s), store_errmsg(*s));
		return MGMT_EXIT_DB;
	}
	if (v > (int)schema_migration_count) {
		store_why(e, "%s: schema version %d, newer than this build's %zu", store_path(*s),
			  v, schema_migration_count);
		return MGMT_EXIT_DB;
	}
	if (v > 0) {
		if (target_holds(*s, &holds, e) < 0)
			return MGMT_EXIT_DB;
		if (holds && !force) {
			store_why(e,
				  "%s holds an instance already (the target must be empty; "
				  "--force replaces its content)",
				  store_path(*s));
			return MGMT_EXIT_REFUSED;
		}
		/* What a SQLite target held, kept (PostgreSQL: pg_dump's job). */
		if (holds && store_kind(*s) == STORE_SQLITE) {
			char pre[PATH_MAX + 64];

			if (store_backup_aside(*s, "migrate", pre, sizeof pre, e) < 0)
				return MGMT_EXIT_FAIL;
			printf("old content of %s copied to %s\n", store_path(*s), pre);
		}
	}
	if (store_migrate(*s, schema_migrations, schema_migration_count, e) < 0)
		return MGMT_EXIT_DB;
	return MGMT_EXIT_OK;
}

/* The same tables at both ends (the same build's migrations made them). */
static int same_tables(struct store *src, struct store *dst, struct tables *ts,
		       struct store_error *e)
{
	struct tables *other = malloc(sizeof *other);
	int rc;

	if (other == NULL) {
		store_why(e, "out of memory");
		return -ENOMEM;
	}
	rc = list_tables(src, ts, e);
	if (rc == 0)
		rc = list_tables(dst, other, e);
	if (rc == 0 && other->n != ts->n)
		rc = -EINVAL;
	for (size_t i = 0; i < ts->n && rc == 0; i++) {
		bool found = false;

		for (size_t j = 0; j < other->n; j++)
			found = found || strcmp(ts->t[i].name, other->t[j].name) == 0;
		if (!found)
			rc = -EINVAL;
	}
	if (rc == -EINVAL && e->msg[0] == '\0')
		store_why(e, "%s has %zu tables, %s %zu: not the same schema", store_path(src),
			  ts->n, store_path(dst), other->n);
	free(other);
	for (size_t i = 0; i < ts->n && rc == 0; i++)
		rc = read_columns(src, &ts->t[i], e);
	return rc;
}

/*
 * A test's change to the target before the verification
 * (SUBNETRA_MGMTD_TEST_MIGRATE_SQL: statements run there, which the
 * verification must then catch; t_mgmtd_migrate).
 */
static int test_change(struct store *dst, struct store_error *e)
{
	const char *sql = getenv("SUBNETRA_MGMTD_TEST_MIGRATE_SQL");
	int rc;

	if (sql == NULL || *sql == '\0')
		return 0;
	fprintf(stderr, "%s: SUBNETRA_MGMTD_TEST_MIGRATE_SQL: changing the target\n", prog);
	rc = store_exec_args(dst, sql, NULL, 0);
	if (rc < 0)
		store_why(e, "SUBNETRA_MGMTD_TEST_MIGRATE_SQL: %s", store_errmsg(dst));
	return rc;
}

/*
 * One transaction on the target: delete what it holds, copy every table,
 * set the sequences, verify (*rows: how many were copied), commit.
 */
static int copy_all(struct store *src, struct store *dst, struct tables *ts, int64_t *rows,
		    struct store_error *e)
{
	char sql[SQL_MAX];
	int rc;

	rc = store_begin(dst);
	for (size_t i = ts->n; i-- > 0 && rc == 0;) {
		snprintf(sql, sizeof sql, "DELETE FROM \"%s\"", ts->t[i].name);
		rc = store_exec_args(dst, sql, NULL, 0);
	}
	if (rc < 0) {
		store_why(e, "%s: emptying it: %s", store_path(dst), store_errmsg(dst));
		store_rollback(dst);
		return rc;
	}
	for (size_t i = 0; i < ts->n && rc == 0; i++) {
		rc = copy_rows(src, dst, &ts->t[i], e);
		if (rc == 0)
			printf("  %-20s %lld rows\n", ts->t[i].name, (long long)ts->t[i].rows);
		fflush(stdout);
	}
	if (rc == 0 && store_kind(dst) == STORE_POSTGRES)
		rc = pg_sequences(dst, e);
	if (rc == 0)
		rc = test_change(dst, e);
	for (size_t i = 0; i < ts->n && rc == 0; i++) {
		rc = verify_table(src, dst, &ts->t[i], e);
		*rows += ts->t[i].rows;
	}
	if (rc == 0)
		printf("verified: %zu tables, %lld rows, the same counts and checksums at "
		       "both ends\n",
		       ts->n, (long long)*rows);
	if (rc == 0 && (rc = store_commit(dst)) < 0)
		store_why(e, "%s: commit: %s", store_path(dst), store_errmsg(dst));
	if (rc < 0)
		store_rollback(dst);
	return rc;
}

int cmd_migrate(const struct mgmt_args *a)
{
	struct store *src = NULL, *dst = NULL;
	struct store_error e = {.msg = ""};
	struct tables *ts = calloc(1, sizeof *ts);
	struct timespec t0;
	int lock_src = -1, lock_dst = -1, code;
	int64_t rows = 0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (ts == NULL) {
		fprintf(stderr, "%s: out of memory\n", prog);
		return MGMT_EXIT_FAIL;
	}
	code = lock_end(a->from, "source", &lock_src);
	if (code == MGMT_EXIT_OK)
		code = lock_end(a->to, "target", &lock_dst);
	if (code != MGMT_EXIT_OK)
		goto out;
	code = open_source(a->from, &src, &e);
	if (code == MGMT_EXIT_OK)
		code = open_target(a->to, a->force, &dst, &e);
	if (code == MGMT_EXIT_OK)
		code = pg_same(src, dst, &e);
	if (code == MGMT_EXIT_OK && same_tables(src, dst, ts, &e) < 0)
		code = MGMT_EXIT_DB;
	if (code != MGMT_EXIT_OK) {
		code = fail(&e, code);
		goto out;
	}
	printf("copying %zu tables from %s to %s (schema version %zu)\n", ts->n,
	       store_path(src), store_path(dst), schema_migration_count);
	fflush(stdout);
	if (copy_all(src, dst, ts, &rows, &e) < 0) {
		code = fail(&e, MGMT_EXIT_DB);
		goto out;
	}
	printf("migrated %s to %s: %zu tables, %lld rows in %.1f s\n", store_path(src),
	       store_path(dst), ts->n, (long long)rows, elapsed(&t0));
out:
	store_close(dst);
	store_close(src);
	if (lock_dst >= 0)
		close(lock_dst);
	if (lock_src >= 0)
		close(lock_src);
	free(ts);
	return code;
}
