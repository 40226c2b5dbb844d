/*
 * What the test_mgmtd_model_* tests share: a migrated database per test
 * (a SQLite file in a fresh temporary directory, or, when
 * SUBNETRA_TEST_PG_URL is set and the PostgreSQL group runs, that
 * database emptied first), a random pepper, an admin account, ops with a
 * clock the test drives, and counting helpers.  A header of static
 * functions: each test binary includes it once.
 */
#ifndef SUBNETRA_TEST_MGMTD_MODEL_FIXTURE_H
#define SUBNETRA_TEST_MGMTD_MODEL_FIXTURE_H

#include <dirent.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "mgmt/model.h"
#include "mgmt/model_account.h"
#include "mgmt/model_audit.h"
#include "mgmt/schema.h"
#include "mgmt/store.h"

struct fx {
	struct store *s;
	uint8_t pepper[MGMT_PEPPER_LEN];
	int64_t admin;
	char dir[64];
	char db[128];
};

static const char *fx_pg_url; /* set while the PostgreSQL group runs */

static struct model_op fx_op(struct fx *f, enum model_actor_kind kind, int64_t id,
			     int64_t now_ms)
{
	struct model_op op = {
	    .s = f->s,
	    .who = {.kind = kind,
		    .id = id,
		    .account_id = kind == MODEL_ACTOR_ACCOUNT ? id : 0,
		    .remote = "192.0.2.7"},
	    .now_ms = now_ms,
	    .pepper = f->pepper,
	};

	return op;
}

static int64_t fx_count(struct fx *f, const char *sql)
{
	struct store_stmt *st;
	int64_t n = -1;

	assert_int_equal(store_prepare(f->s, sql, &st), 0);
	assert_int_equal(store_step(st), STORE_ROW);
	n = store_col_i64(st, 0);
	store_finalize(st);
	return n;
}

static int64_t fx_audit_rows(struct fx *f)
{
	return fx_count(f, "SELECT count(*) FROM audit");
}

/* The last audit row's action into out. */
static void fx_last_action(struct fx *f, char *out, size_t cap)
{
	struct store_stmt *st;

	assert_int_equal(store_prepare(f->s, "SELECT action FROM audit ORDER BY id DESC LIMIT 1",
				       &st),
			 0);
	assert_int_equal(store_step(st), STORE_ROW);
	snprintf(out, cap, "%s", store_col_text(st, 0));
	store_finalize(st);
}

/* Exactly one audit row more than before, with this action. */
static void fx_one_audit(struct fx *f, int64_t before, const char *action)
{
	char got[64];

	assert_int_equal(fx_audit_rows(f), before + 1);
	fx_last_action(f, got, sizeof got);
	assert_string_equal(got, action);
}

/* No column of any audit row holds needle (a secret, or a part of one). */
static void fx_audit_lacks(struct fx *f, const char *needle)
{
	struct store_stmt *st;

	assert_int_equal(store_prepare(f->s,
				       "SELECT coalesce(action, '') || ' ' || "
				       "coalesce(target_id, '') || ' ' || "
				       "coalesce(CAST(detail AS TEXT), '') || ' ' || "
				       "coalesce(remote, '') FROM audit",
				       &st),
			 0);
	while (store_step(st) == STORE_ROW)
		if (strstr(store_col_text(st, 0), needle) != NULL)
			fail_msg("audit row holds a secret: %s", store_col_text(st, 0));
	store_finalize(st);
}

/* A trigger that refuses the audit row of action: a failure at a transaction's end. */
static void fx_refuse_audit(struct fx *f, const char *action)
{
	char sql[512];

	if (store_kind(f->s) == STORE_SQLITE) {
		snprintf(sql, sizeof sql,
			 "CREATE TRIGGER refuse BEFORE INSERT ON audit WHEN NEW.action = '%s' "
			 "BEGIN SELECT RAISE(ABORT, 'refused'); END",
			 action);
		assert_int_equal(store_exec_args(f->s, sql, NULL, 0), 0);
		return;
	}
	snprintf(sql, sizeof sql,
		 "CREATE OR REPLACE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS "
		 "$$BEGIN IF NEW.action = '%s' THEN RAISE EXCEPTION 'refused'; END IF; "
		 "RETURN NEW; END$$",
		 action);
	assert_int_equal(store_exec_args(f->s, sql, NULL, 0), 0);
	assert_int_equal(store_exec_args(f->s,
					 "CREATE TRIGGER refuse BEFORE INSERT ON audit FOR EACH ROW "
					 "EXECUTE FUNCTION refuse()",
					 NULL, 0),
			 0);
}

static void fx_allow_audit(struct fx *f)
{
	assert_int_equal(store_exec_args(f->s,
					 store_kind(f->s) == STORE_SQLITE ? "DROP TRIGGER refuse"
									  : "DROP TRIGGER refuse ON audit",
					 NULL, 0),
			 0);
}

static int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	struct store_error e = {""};
	char hash[crypto_pwhash_STRBYTES];
	struct model_op op;

	if (f == NULL || sodium_init() < 0)
		return -1;
	randombytes_buf(f->pepper, sizeof f->pepper);
	if (fx_pg_url != NULL) {
		if (store_open(&f->s, fx_pg_url, STORE_OPEN_EXISTING, &e) < 0 ||
		    store_exec_args(f->s, "DROP SCHEMA public CASCADE", NULL, 0) < 0 ||
		    store_exec_args(f->s, "CREATE SCHEMA public", NULL, 0) < 0) {
			fprintf(stderr, "fx_setup: %s %s\n", e.msg,
				f->s ? store_errmsg(f->s) : "");
			return -1;
		}
	} else {
		snprintf(f->dir, sizeof f->dir, "/tmp/snr-mgmtd-model.XXXXXX");
		if (mkdtemp(f->dir) == NULL)
			return -1;
		snprintf(f->db, sizeof f->db, "%s/t.db", f->dir);
		if (store_open(&f->s, f->db, STORE_OPEN_CREATE, &e) < 0) {
			fprintf(stderr, "fx_setup: %s\n", e.msg);
			return -1;
		}
	}
	if (store_migrate(f->s, schema_migrations, schema_migration_count, &e) < 0) {
		fprintf(stderr, "fx_setup: %s\n", e.msg);
		return -1;
	}
	if (crypto_pwhash_str(hash, "correct horse", 13, crypto_pwhash_OPSLIMIT_MIN,
			      crypto_pwhash_MEMLIMIT_MIN) != 0)
		return -1;
	op = fx_op(f, MODEL_ACTOR_SYSTEM, 0, 1000000);
	if (model_account_create(&op, "admin@example.org", MODEL_ROLE_ADMIN, hash, &f->admin) <
	    0)
		return -1;
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;
	DIR *d;
	struct dirent *e;
	char p[PATH_MAX];

	store_close(f->s);
	if (f->dir[0] != '\0' && (d = opendir(f->dir)) != NULL) {
		while ((e = readdir(d)) != NULL) {
			if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
				continue;
			snprintf(p, sizeof p, "%s/%s", f->dir, e->d_name);
			unlink(p);
		}
		closedir(d);
		rmdir(f->dir);
	}
	free(f);
	return 0;
}

/*
 * Run tests on SQLite, then on PostgreSQL when SUBNETRA_TEST_PG_URL is
 * set (group "<name>_postgres"): the same tests, the same verdicts.
 */
static int fx_run(const char *name, const struct CMUnitTest *tests, size_t n)
{
	char pgname[96];
	int failed = _cmocka_run_group_tests(name, tests, n, NULL, NULL);

	fx_pg_url = getenv("SUBNETRA_TEST_PG_URL");
	if (fx_pg_url != NULL && fx_pg_url[0] != '\0') {
		snprintf(pgname, sizeof pgname, "%s_postgres", name);
		failed += _cmocka_run_group_tests(pgname, tests, n, NULL, NULL);
	}
	return failed;
}

#endif
