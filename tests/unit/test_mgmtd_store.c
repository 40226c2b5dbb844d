/*
 * src/mgmt/store*.c and schema.c, the management server's storage, on
 * SQLite files in a fresh temporary directory per test:
 *
 *  - the migration runner: a fresh database reaches the last version; a
 *    second run changes nothing; a step that fails halfway (its first
 *    statement worked, its second did not) leaves the database at the
 *    version before, without the first statement's table, and the copy
 *    taken before migrating exists; a database newer than the list, and a
 *    list with a gap, are refused;
 *  - the real schema: it applies, its tables are STRICT (a text in an
 *    INTEGER column is refused), foreign keys are enforced, and the
 *    connection is in WAL mode;
 *  - bound parameters carry quotes and NULLs as data;
 *  - backup and restore: a round trip, a backup never replaces a file
 *    unasked, restore refuses a file that is not a database or has a
 *    schema version this build does not know.
 *
 * With SUBNETRA_TEST_PG_URL set (tests/netns/t_mgmtd_pg.sh starts a
 * PostgreSQL server and sets it), the migration and schema tests run a
 * second time on that database, emptied before each test: the same
 * interface, the same verdicts, on the libpq backend.
 */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "mgmt/meta.h"
#include "mgmt/schema.h"
#include "mgmt/store.h"

static char dir[64];
static char db[128];
static const char *target = db; /* what open_db opens: db, or the PostgreSQL URL */
static bool pg;

static struct store *open_db(enum store_open_mode mode);

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof dir, "/tmp/snr-mgmt-store.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(db, sizeof db, "%s/t.db", dir);
	return 0;
}

/* PostgreSQL: every test starts from an empty database. */
static int setup_pg(void **state)
{
	struct store *s;
	int rc;

	if (setup(state) < 0)
		return -1;
	s = open_db(STORE_OPEN_EXISTING);
	rc = store_exec_args(s, "DROP SCHEMA public CASCADE", NULL, 0);
	if (rc == 0)
		rc = store_exec_args(s, "CREATE SCHEMA public", NULL, 0);
	if (rc < 0)
		fprintf(stderr, "setup_pg: %s\n", store_errmsg(s));
	store_close(s);
	return rc;
}

static int teardown(void **state)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char p[PATH_MAX];

	(void)state;
	while (d != NULL && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.' &&
		    (e->d_name[1] == '\0' || strcmp(e->d_name, "..") == 0))
			continue;
		snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
		unlink(p);
	}
	if (d != NULL)
		closedir(d);
	return rmdir(dir);
}

static struct store *open_db(enum store_open_mode mode)
{
	struct store_error e = {""};
	struct store *s = NULL;

	if (store_open(&s, target, mode, &e) != 0)
		fail_msg("open %s: %s", target, e.msg);
	return s;
}

static int version_of(struct store *s)
{
	int v = -1;

	assert_int_equal(store_version(s, &v), 0);
	return v;
}

/* Whether a table of that name exists (a query of it works: portable). */
static bool has_table(struct store *s, const char *name)
{
	char sql[96];
	struct store_stmt *st;
	int rc;

	snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", name);
	rc = store_prepare(s, sql, &st);
	if (rc < 0)
		return false;
	rc = store_step(st);
	store_finalize(st);
	return rc == STORE_ROW;
}

/* A step that makes table NAME, in each engine's words. */
#define STEP(v, name, table)                                                            \
	{                                                                               \
		v, name,                                                                \
		{                                                                       \
			[STORE_SQLITE] = "CREATE TABLE " table "(x INTEGER) STRICT;",   \
			[STORE_POSTGRES] = "CREATE TABLE " table "(x INTEGER);",        \
		}                                                                       \
	}

static const struct store_migration good[] = {
	STEP(1, "one", "t1"),
	STEP(2, "two", "t2"),
};

/* Step 2's first statement works, its second does not: all of step 2 must go. */
static const struct store_migration broken[] = {
	STEP(1, "one", "t1"),
	{ 2,
	  "two",
	  { [STORE_SQLITE] = "CREATE TABLE t2(x INTEGER) STRICT;\n"
			     "INSERT INTO no_such_table VALUES(1);",
	    [STORE_POSTGRES] = "CREATE TABLE t2(x INTEGER);\n"
			       "INSERT INTO no_such_table VALUES(1);" } },
};

static const struct store_migration gap[] = {
	STEP(1, "one", "t1"),
	STEP(3, "three", "t3"),
};

static void test_migrate_fresh_and_again(void **state)
{
	struct store_error e = {""};
	struct store *s = open_db(STORE_OPEN_CREATE);
	char pre[160];

	(void)state;
	assert_int_equal(version_of(s), 0);
	assert_int_equal(store_migrate(s, good, 2, &e), 0);
	assert_int_equal(version_of(s), 2);
	assert_true(has_table(s, "t1"));
	assert_true(has_table(s, "t2"));
	/* Nothing to do: no step, no copy. */
	assert_int_equal(store_migrate(s, good, 2, &e), 0);
	assert_int_equal(version_of(s), 2);
	snprintf(pre, sizeof pre, "%s.pre-2", db);
	assert_int_equal(access(pre, F_OK), -1);
	assert_int_equal(store_kind(s), pg ? STORE_POSTGRES : STORE_SQLITE);
	store_close(s);
}

static void test_migrate_failure_keeps_previous_version(void **state)
{
	struct store_error e = {""};
	struct store *s = open_db(STORE_OPEN_CREATE);
	char pre[160];

	(void)state;
	assert_int_equal(store_migrate(s, broken, 1, &e), 0);
	assert_int_equal(version_of(s), 1);
	assert_int_equal(store_migrate(s, broken, 2, &e), -EIO);
	assert_non_null(
	    strstr(e.msg, "migration 2 (two) failed, database left at version 1"));
	assert_non_null(strstr(e.msg, "no_such_table"));
	assert_int_equal(version_of(s), 1);
	assert_false(has_table(s, "t2"));
	assert_true(has_table(s, "t1"));
	store_close(s);

	/* The same after a reopen (nothing was only in the connection). */
	s = open_db(STORE_OPEN_EXISTING);
	assert_int_equal(version_of(s), 1);
	assert_false(has_table(s, "t2"));
	/* The copy taken before migrating from version 1 (SQLite: PostgreSQL has
	 * pg_dump). */
	snprintf(pre, sizeof pre, "%s.pre-1", db);
	assert_int_equal(access(pre, F_OK), pg ? -1 : 0);
	/* And the good step 2 still applies afterwards. */
	assert_int_equal(store_migrate(s, good, 2, &e), 0);
	assert_int_equal(version_of(s), 2);
	store_close(s);
}

static void test_migrate_refusals(void **state)
{
	struct store_error e = {""};
	struct store *s = open_db(STORE_OPEN_CREATE);

	(void)state;
	assert_int_equal(store_migrate(s, gap, 2, &e), -EINVAL);
	assert_int_equal(version_of(s), 0);
	assert_int_equal(store_migrate(s, good, 2, &e), 0);
	/* This database is newer than a build that knows only step 1. */
	assert_int_equal(store_migrate(s, good, 1, &e), -ENOTSUP);
	assert_non_null(strstr(e.msg, "schema version 2 is newer"));
	assert_int_equal(version_of(s), 2);
	store_close(s);
}

static void test_schema_rules(void **state)
{
	struct store_error e = {""};
	struct store *s = open_db(STORE_OPEN_CREATE);
	const struct store_arg bad_type[] = {STORE_TEXT("a@b"), STORE_TEXT("admin"),
					     STORE_TEXT("not a number")};
	const struct store_arg orphan[] = {STORE_I64(42), STORE_I64(43), STORE_I64(1)};
	const struct store_arg bad_role[] = {STORE_TEXT("c@d"), STORE_TEXT("root"),
					     STORE_I64(1)};
	const struct store_arg ok[] = {STORE_TEXT("e@f"), STORE_TEXT("admin"),
				       STORE_I64(1)};
	const char *ins = "INSERT INTO accounts(email, role, created_at) VALUES(?, ?, ?)";
	struct store_stmt *st;
	char v[32];

	(void)state;
	assert_int_equal(store_migrate(s, schema_migrations, schema_migration_count, &e),
			 0);
	assert_int_equal(version_of(s), (int)schema_migration_count);
	assert_int_equal(store_exec_args(s, ins, ok, 3), 0);
	/* STRICT: a text in an INTEGER column. */
	assert_int_equal(store_exec_args(s, ins, bad_type, 3), -EINVAL);
	/* CHECK: an unknown role; UNIQUE COLLATE NOCASE: the same address in capitals. */
	assert_int_equal(store_exec_args(s, ins, bad_role, 3), -EINVAL);
	const struct store_arg upper[] = {STORE_TEXT("E@F"), STORE_TEXT("admin"),
					  STORE_I64(1)};
	assert_int_equal(store_exec_args(s, ins, upper, 3), -EEXIST);
	/* Foreign keys: a membership of a network and device that do not exist. */
	assert_int_equal(
	    store_exec_args(s,
			    "INSERT INTO memberships(network_id, device_id, added_at) "
			    "VALUES(?, ?, ?)",
			    orphan, 3),
	    -EINVAL);
	/* SQLite: WAL, as every connection is opened. */
	if (!pg) {
		assert_int_equal(store_prepare(s, "PRAGMA journal_mode", &st), 0);
		assert_int_equal(store_step(st), STORE_ROW);
		assert_string_equal(store_col_text(st, 0), "wal");
		store_finalize(st);
	}
	/* RETURNING and a `?` inside a literal left alone. */
	const struct store_arg two[] = {STORE_TEXT("g@h"), STORE_I64(7)};
	assert_int_equal(
	    store_prepare_args(s,
			       "INSERT INTO accounts(email, role, created_at) "
			       "VALUES(?, 'member', ?) RETURNING id, 'a?b'",
			       two, 2, &st),
	    0);
	assert_int_equal(store_step(st), STORE_ROW);
	assert_true(store_col_i64(st, 0) > 0);
	assert_string_equal(store_col_text(st, 1), "a?b");
	assert_int_equal(store_step(st), STORE_DONE);
	store_finalize(st);
	/* Bound text is data: quotes and SQL go in and come out unchanged. */
	assert_int_equal(meta_set(s, "k'; DROP TABLE meta; --", "v\"'"), 0);
	assert_int_equal(meta_get(s, "k'; DROP TABLE meta; --", v, sizeof v), 0);
	assert_string_equal(v, "v\"'");
	assert_int_equal(meta_get(s, "absent", v, sizeof v), -ENOENT);
	assert_int_equal(meta_get(s, "k'; DROP TABLE meta; --", v, 3), -ENOSPC);
	store_close(s);
}

static void test_backup_restore(void **state)
{
	struct store_error e = {""};
	struct store *s = open_db(STORE_OPEN_CREATE);
	char bak[160], junk[160], v[32];
	struct stat st;
	FILE *f;

	(void)state;
	snprintf(bak, sizeof bak, "%s/b.db", dir);
	snprintf(junk, sizeof junk, "%s/junk.db", dir);
	assert_int_equal(store_migrate(s, schema_migrations, schema_migration_count, &e),
			 0);
	assert_int_equal(meta_set(s, "k", "before"), 0);
	assert_int_equal(store_backup(s, bak, false, &e), 0);
	assert_int_equal(stat(bak, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* Never replaced unasked. */
	assert_int_equal(store_backup(s, bak, false, &e), -EEXIST);
	assert_int_equal(meta_set(s, "k", "after"), 0);
	assert_int_equal(store_restore(s, bak, (int)schema_migration_count, &e), 0);
	assert_int_equal(meta_get(s, "k", v, sizeof v), 0);
	assert_string_equal(v, "before");
	/* Not a database, and a schema this build does not know. */
	f = fopen(junk, "w");
	assert_non_null(f);
	fputs("this is not a database, but it is long enough to look like a header.....",
	      f);
	fclose(f);
	assert_int_equal(store_restore(s, junk, (int)schema_migration_count, &e),
			 -EINVAL);
	assert_int_equal(store_restore(s, bak, 0, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "schema version"));
	assert_int_equal(meta_get(s, "k", v, sizeof v), 0);
	assert_string_equal(v, "before");
	store_close(s);
}

static void test_open_errors(void **state)
{
	struct store_error e = {""};
	struct store *s = NULL;
	char junk[160];
	FILE *f;

	(void)state;
	assert_int_equal(store_open(&s, db, STORE_OPEN_EXISTING, &e), -ENOENT);
	assert_non_null(strstr(e.msg, "subnetra-mgmtd init"));
	assert_int_equal(store_open(&s, dir, STORE_OPEN_EXISTING, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "not a regular file"));
	snprintf(junk, sizeof junk, "%s/junk.db", dir);
	f = fopen(junk, "w");
	assert_non_null(f);
	fputs("this is not a database, but it is long enough to look like a header.....",
	      f);
	fclose(f);
	assert_int_equal(store_open(&s, junk, STORE_OPEN_EXISTING, &e), -EIO);
	assert_non_null(strstr(e.msg, "not a database"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_migrate_fresh_and_again, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_migrate_failure_keeps_previous_version,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_migrate_refusals, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_schema_rules, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_backup_restore, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_open_errors, setup, teardown),
	};
	const struct CMUnitTest pg_tests[] = {
	    cmocka_unit_test_setup_teardown(test_migrate_fresh_and_again, setup_pg,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_migrate_failure_keeps_previous_version,
					    setup_pg, teardown),
	    cmocka_unit_test_setup_teardown(test_migrate_refusals, setup_pg, teardown),
	    cmocka_unit_test_setup_teardown(test_schema_rules, setup_pg, teardown),
	};
	const char *url = getenv("SUBNETRA_TEST_PG_URL");
	int failed;

	if (sodium_init() < 0)
		return 1;
	failed = cmocka_run_group_tests_name("mgmt_store", tests, NULL, NULL);
	if (url == NULL || url[0] == '\0')
		return failed;
	target = url;
	pg = true;
	return failed +
	       cmocka_run_group_tests_name("mgmt_store_postgres", pg_tests, NULL, NULL);
}
