/*
 * The commands around the server: serve (its configuration), backup,
 * restore and status.  backup reads through its own connection while a
 * server may be writing (WAL: the copy is one consistent snapshot);
 * restore takes the lock, so it never runs under a live server.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "mgmt/commands.h"
#include "mgmt/instance.h"
#include "mgmt/meta.h"
#include "mgmt/mgmtd.h"
#include "mgmt/schema.h"
#include "mgmt/server.h"
#include "mgmt/store.h"

enum { ERR_MAX = 512 };

int cmd_serve(const struct mgmt_args *a)
{
	struct mgmtd_config cfg = {.db = a->db, .conn_limit = a->conn_limit};
	char err[ERR_MAX];

	if (a->dir != NULL &&
	    instance_paths_init(&cfg.paths, a->dir, err, sizeof err) < 0) {
		fprintf(stderr, "subnetra-mgmtd serve: %s\n", err);
		return MGMT_EXIT_USAGE;
	}
	if (a->tls_cert != NULL) {
		snprintf(cfg.tls_cert, sizeof cfg.tls_cert, "%s", a->tls_cert);
		snprintf(cfg.tls_key, sizeof cfg.tls_key, "%s", a->tls_key);
	}
	snprintf(cfg.admin_listen, sizeof cfg.admin_listen, "%s",
		 a->admin_listen ? a->admin_listen : "0.0.0.0:8443");
	snprintf(cfg.device_listen, sizeof cfg.device_listen, "%s",
		 a->device_listen ? a->device_listen : "0.0.0.0:8080");
	return server_run(&cfg);
}

/* The exit code for a store failure rc. */
static int store_exit(int rc)
{
	return rc == -EEXIST ? MGMT_EXIT_REFUSED : MGMT_EXIT_DB;
}

/* backup and restore copy a SQLite file; a PostgreSQL database has its own tools. */
static bool file_db(const struct mgmt_args *a, const char *cmd)
{
	if (!store_is_postgres(a->db))
		return true;
	fprintf(stderr,
		"subnetra-mgmtd %s: a PostgreSQL database is backed up with pg_dump and "
		"restored with pg_restore\n",
		cmd);
	return false;
}

int cmd_backup(const struct mgmt_args *a)
{
	struct store_error e;
	struct store *s = NULL;
	int rc, v = 0;

	if (!file_db(a, "backup"))
		return MGMT_EXIT_USAGE;

	rc = store_open(&s, a->db, STORE_OPEN_READONLY, &e);
	if (rc == 0 && (store_version(s, &v) < 0 || v == 0)) {
		store_why(&e, "%s: not a subnetra-mgmtd database (schema version 0)",
			  a->db);
		rc = -EINVAL;
	}
	if (rc == 0)
		rc = store_backup(s, a->out, a->force, &e);
	store_close(s);
	if (rc < 0) {
		fprintf(stderr, "subnetra-mgmtd backup: %s\n", e.msg);
		return store_exit(rc);
	}
	printf("backup of %s (schema version %d) written to %s\n", a->db, v, a->out);
	return MGMT_EXIT_OK;
}

int cmd_restore(const struct mgmt_args *a)
{
	char err[ERR_MAX], pre[PATH_MAX + 64];
	struct store_error e;
	struct store *s = NULL;
	int lockfd, rc, v = 0;

	if (!file_db(a, "restore"))
		return MGMT_EXIT_USAGE;
	rc = instance_lock(a->db, &lockfd, err, sizeof err);
	if (rc < 0) {
		fprintf(stderr, "subnetra-mgmtd restore: %s\n", err);
		return rc == -EBUSY ? MGMT_EXIT_REFUSED : MGMT_EXIT_FAIL;
	}
	rc = store_open(&s, a->db, STORE_OPEN_CREATE, &e);
	if (rc == 0)
		rc = store_version(s, &v);
	/* What the database held before, kept (unless it held nothing). */
	if (rc == 0 && v > 0) {
		rc = store_backup_aside(s, "restore", pre, sizeof pre, &e);
		if (rc == 0)
			printf("old content of %s copied to %s\n", a->db, pre);
	}
	if (rc == 0)
		rc = store_restore(s, a->from, (int)schema_migration_count, &e);
	if (rc == 0)
		rc = store_version(s, &v);
	store_close(s);
	close(lockfd);
	if (rc < 0) {
		fprintf(stderr, "subnetra-mgmtd restore: %s\n", e.msg);
		return rc == -EINVAL ? MGMT_EXIT_DB : store_exit(rc);
	}
	printf("restored %s from %s (schema version %d)\n", a->db, a->from, v);
	return MGMT_EXIT_OK;
}

/* The admins as a JSON array of {email, must_change}. */
static int admins(struct store *s, struct json_object *arr)
{
	const struct store_arg args[] = {STORE_TEXT("admin")};
	struct store_stmt *st;
	int rc;

	rc = store_prepare_args(s,
				"SELECT email, pw_must_change FROM accounts "
				"WHERE role = ? AND disabled = 0 ORDER BY id",
				args, 1, &st);
	if (rc < 0)
		return rc;
	while (rc == 0 && (rc = store_step(st)) == STORE_ROW) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "email",
				       json_object_new_string(store_col_text(st, 0)));
		json_object_object_add(
		    o, "must_change_password",
		    json_object_new_boolean(store_col_i64(st, 1) != 0));
		json_object_array_add(arr, o);
		rc = 0;
	}
	store_finalize(st);
	return rc < 0 ? rc : 0;
}

int cmd_status(const struct mgmt_args *a)
{
	struct json_object *o = json_object_new_object(), *arr = json_object_new_array();
	char pk[INSTANCE_PK_HEX] = "", dir[PATH_MAX] = "";
	struct store_error e;
	struct store *s = NULL;
	int rc, v = 0;

	rc = store_open(&s, a->db, STORE_OPEN_READONLY, &e);
	if (rc == 0 && (rc = store_version(s, &v)) == 0 && v > 0) {
		(void)meta_get(s, META_INSTANCE_PK, pk, sizeof pk);
		(void)meta_get(s, META_STATE_DIR, dir, sizeof dir);
		rc = admins(s, arr);
	}
	if (s != NULL && rc < 0)
		store_why(&e, "%s: %s", a->db, store_errmsg(s));
	store_close(s);
	if (rc < 0) {
		fprintf(stderr, "subnetra-mgmtd status: %s\n", e.msg);
		json_object_put(o);
		json_object_put(arr);
		return MGMT_EXIT_DB;
	}
	json_object_object_add(o, "schema_version", json_object_new_int(v));
	json_object_object_add(o, "schema_version_known",
			       json_object_new_int((int)schema_migration_count));
	json_object_object_add(o, "instance_pubkey", json_object_new_string(pk));
	json_object_object_add(o, "state_dir", json_object_new_string(dir));
	json_object_object_add(o, "admins", arr);
	if (a->json) {
		puts(json_object_to_json_string_ext(
		    o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	} else {
		printf("database:        %s (schema version %d, this build: %zu)\n",
		       a->db, v, schema_migration_count);
		printf("instance key:    %s\n", pk[0] ? pk : "(none)");
		printf("state directory: %s\n", dir[0] ? dir : "(none)");
		for (size_t i = 0; i < json_object_array_length(arr); i++)
			printf("admin:           %s\n",
			       json_object_get_string(json_object_object_get(
				   json_object_array_get_idx(arr, i), "email")));
	}
	json_object_put(o);
	return MGMT_EXIT_OK;
}
