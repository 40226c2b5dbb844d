/*
 * `subnetra-mgmtd init`: a new instance.  The order makes every failure
 * harmless to retry:
 *
 *   1. the lock, so no server or restore runs meanwhile;
 *   2. the key files (created only when missing, never replaced: a device
 *      pins the instance key, so losing it strands the fleet);
 *   3. the database, built complete under a temporary name and renamed
 *      into place last, so a failed init leaves no half-made instance;
 *      with --force, the old database is copied aside first.
 *
 * The first admin's password is random, printed once on stdout and
 * stored only as an argon2id hash (crypto_pwhash_str); its bytes are wiped.
 */
#include <errno.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "mgmt/accounts.h"
#include "mgmt/commands.h"
#include "mgmt/instance.h"
#include "mgmt/meta.h"
#include "mgmt/model_audit.h"
#include "mgmt/mgmtd.h"
#include "mgmt/schema.h"
#include "mgmt/settings.h"
#include "mgmt/store.h"
#include "mgmt/tlscert.h"
#include "os/linux/atomicfile.h"

enum {
	ERR_MAX = 512,
	PW_GROUPS = 4,
	PW_GROUP_LEN = 5,
	PW_LEN = PW_GROUPS * (PW_GROUP_LEN + 1), /* "xxxxx-xxxxx-xxxxx-xxxxx" and NUL */
};

/* 32 letters and digits no one misreads: 5 bits each, 100 bits in all. */
static const char pw_alphabet[] = "abcdefghijkmnpqrstuvwxyz23456789";

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void fail(const char *fmt, ...)
{
	va_list ap;

	fputs("subnetra-mgmtd init: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void make_password(char pw[PW_LEN])
{
	size_t k = 0;

	for (int g = 0; g < PW_GROUPS; g++) {
		for (int i = 0; i < PW_GROUP_LEN; i++)
			pw[k++] =
			    pw_alphabet[randombytes_uniform(sizeof pw_alphabet - 1)];
		pw[k++] = g + 1 < PW_GROUPS ? '-' : '\0';
	}
}

/* The state directory: made if missing (mode 0700), then its absolute path. */
static int state_dir(const struct mgmt_args *a, char out[PATH_MAX])
{
	char copy[PATH_MAX];
	const char *dir = a->dir;

	if (dir == NULL) {
		snprintf(copy, sizeof copy, "%s", a->db);
		dir = dirname(copy);
	}
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		fail("%s: cannot create the state directory: %s", dir, strerror(errno));
		return -1;
	}
	if (realpath(dir, out) == NULL) {
		fail("%s: %s", dir, strerror(errno));
		return -1;
	}
	return 0;
}

/* Both given files readable (the key only by its owner), as absolute paths. */
static int given_tls(const struct mgmt_args *a, char cert[PATH_MAX], char key[PATH_MAX])
{
	char buf[TLSCERT_PEM_MAX * 2], err[ERR_MAX];
	int rc;

	rc = instance_file_read(a->tls_key, buf, sizeof buf, 1, err, sizeof err);
	sodium_memzero(buf, sizeof buf);
	if (rc == 0)
		rc = instance_file_read(a->tls_cert, buf, sizeof buf, 0, err, sizeof err);
	if (rc < 0) {
		fail("%s", err);
		return -1;
	}
	if (realpath(a->tls_cert, cert) == NULL || realpath(a->tls_key, key) == NULL) {
		fail("%s: %s", a->tls_cert, strerror(errno));
		return -1;
	}
	return 0;
}

/* A new self-signed pair in the state directory, unless both files exist. */
static int made_tls(const struct mgmt_args *a, const struct instance_paths *p)
{
	char key[TLSCERT_PEM_MAX], cert[TLSCERT_PEM_MAX], fp[TLSCERT_FP_HEX],
	    err[ERR_MAX] = "";
	char host[256] = "localhost";
	const char *defaults[] = {"localhost", "127.0.0.1", "::1", host};
	const char *const *names = a->n_hosts ? a->hosts : defaults;
	size_t n = a->n_hosts ? a->n_hosts : 3;
	int rc;

	if (access(p->tls_cert, F_OK) == 0 && access(p->tls_key, F_OK) == 0) {
		printf("TLS certificate:   %s (kept)\n", p->tls_cert);
		return 0;
	}
	if (a->n_hosts == 0 && gethostname(host, sizeof host - 1) == 0 &&
	    strcmp(host, "localhost") != 0)
		n = 4;
	rc = tlscert_make(names, n, key, cert, fp, err, sizeof err);
	if (rc == 0 && (rc = atomicfile_save(p->tls_key, key, strlen(key), false)) < 0)
		fail("%s: %s", p->tls_key, strerror(-rc));
	sodium_memzero(key, sizeof key);
	if (rc == 0 && (rc = atomicfile_save(p->tls_cert, cert, strlen(cert), false)) < 0)
		fail("%s: %s", p->tls_cert, strerror(-rc));
	if (rc == 0 && chmod(p->tls_cert, 0644) < 0)
		rc = -errno;
	if (rc < 0) {
		if (err[0] != '\0' && rc == -EINVAL)
			fail("%s", err);
		return -1;
	}
	printf("TLS certificate:   %s (self-signed, SHA-256 %s)\n", p->tls_cert, fp);
	return 0;
}

static int secret(const char *path, size_t len, const char *what)
{
	char err[ERR_MAX];
	int rc = instance_secret_create(path, len, err, sizeof err);

	if (rc < 0 && rc != -EEXIST) {
		fail("%s", err);
		return -1;
	}
	printf("%-18s %s (%s)\n", what, path, rc == -EEXIST ? "kept" : "created");
	return 0;
}

/* Everything the new database holds, in one transaction. */
static int fill_db(struct store *s, const struct mgmt_args *a,
		   const struct instance_paths *p, const char *cert, const char *key,
		   const struct instance_keys *k, const char *pw_hash)
{
	char pk[INSTANCE_PK_HEX], now_s[24];
	int64_t now = (int64_t)time(NULL), id;
	struct model_op op = {.s = s, .who = {.kind = MODEL_ACTOR_SYSTEM}, .now_ms = now * 1000};
	int rc;

	instance_pk_hex(k, pk);
	snprintf(now_s, sizeof now_s, "%lld", (long long)now);
	rc = store_begin(s);
	if (rc < 0)
		return rc;
	if ((rc = meta_set(s, META_INSTANCE_PK, pk)) == 0 &&
	    (rc = meta_set(s, META_STATE_DIR, p->dir)) == 0 &&
	    (rc = meta_set(s, META_TLS_CERT, cert)) == 0 &&
	    (rc = meta_set(s, META_TLS_KEY, key)) == 0 &&
	    (rc = meta_set(s, META_CREATED_AT, now_s)) == 0 &&
	    (rc = settings_instance_init(s)) == 0 &&
	    (rc = account_create(s, a->admin, "admin", pw_hash, true, now, &id)) == 0)
		rc = model_audit(&op, "instance.init", "account", id, NULL);
	if (rc == 0)
		rc = store_commit(s);
	if (rc < 0)
		store_rollback(s);
	return rc;
}

/* The database file and SQLite's files beside it. */
static const char *const sidecars[] = {"", "-wal", "-shm"};

/* With --force: the old database copied aside, then removed with its WAL files. */
static int set_aside(const char *db)
{
	char pre[PATH_MAX + 64], side[PATH_MAX + 8];
	struct store_error e;
	struct store *s;
	int rc;

	rc = store_open(&s, db, STORE_OPEN_EXISTING, &e);
	if (rc == 0) {
		rc = store_backup_aside(s, "init", pre, sizeof pre, &e);
		store_close(s);
	}
	if (rc < 0) {
		fail("%s (remove it yourself if it is not worth keeping)", e.msg);
		return -1;
	}
	for (size_t i = 0; i < sizeof sidecars / sizeof sidecars[0]; i++) {
		snprintf(side, sizeof side, "%s%s", db, sidecars[i]);
		if (unlink(side) < 0 && errno != ENOENT) {
			fail("%s: %s", side, strerror(errno));
			return -1;
		}
	}
	printf("old database:      copied to %s\n", pre);
	return 0;
}

/*
 * A PostgreSQL database holds an instance once meta names its key: 1, 0
 * (none yet: a new database, or an init that failed before its last
 * transaction), or -1 when it cannot be read.
 */
static int pg_initialised(const char *db)
{
	char pk[INSTANCE_PK_HEX];
	struct store_error e;
	struct store *s;
	int rc, v = 0;

	rc = store_open(&s, db, STORE_OPEN_EXISTING, &e);
	if (rc < 0) {
		fail("%s", e.msg);
		return -1;
	}
	rc = store_version(s, &v);
	if (rc == 0 && v > 0) {
		rc = meta_get(s, META_INSTANCE_PK, pk, sizeof pk);
		if (rc == 0) {
			fail("%s: holds an instance already; not replaced",
			     store_path(s));
			rc = 1;
		} else if (rc == -ENOENT) {
			rc = 0;
		}
	}
	if (rc < 0)
		fail("%s: %s", store_path(s), store_errmsg(s));
	store_close(s);
	return rc < 0 ? -1 : rc;
}

/* SQLite: the database under tmp, complete, then renamed to a->db. */
static int make_db(const struct mgmt_args *a, const struct instance_paths *p,
		   const char *cert, const char *key, const struct instance_keys *k,
		   char pw[PW_LEN], bool pg, char shown[PATH_MAX])
{
	char tmp[PATH_MAX + 16], hash[crypto_pwhash_STRBYTES];
	struct store_error e = {""};
	struct store *s = NULL;
	int rc;

	/* PostgreSQL has no file to rename: its tables are made in place. */
	if (pg) {
		snprintf(tmp, sizeof tmp, "%s", a->db);
	} else {
		snprintf(tmp, sizeof tmp, "%s.init-tmp", a->db);
		unlink(tmp); /* a failed init's leftover: under our lock, no one else's */
	}
	make_password(pw);
	rc = crypto_pwhash_str(hash, pw, strlen(pw), crypto_pwhash_OPSLIMIT_INTERACTIVE,
			       crypto_pwhash_MEMLIMIT_INTERACTIVE);
	if (rc != 0) {
		fail("%s", "password hash: out of memory");
		return MGMT_EXIT_FAIL;
	}
	rc = store_open(&s, tmp, STORE_OPEN_CREATE, &e);
	/* The name to print: a URL's password hidden. */
	snprintf(shown, PATH_MAX, "%s", rc == 0 && pg ? store_path(s) : a->db);
	if (rc == 0)
		rc = store_migrate(s, schema_migrations, schema_migration_count, &e);
	if (rc == 0 && (rc = fill_db(s, a, p, cert, key, k, hash)) < 0)
		store_why(&e, "%s: %s", store_path(s),
			  rc == -EEXIST ? "admin address refused" : store_errmsg(s));
	store_close(s); /* the last connection: the WAL is folded into the file */
	sodium_memzero(hash, sizeof hash);
	if (rc == 0 && !pg && rename(tmp, a->db) < 0) {
		store_why(&e, "%s: %s", a->db, strerror(errno));
		rc = -errno;
	}
	if (rc < 0) {
		if (!pg)
			unlink(tmp);
		fail("%s", e.msg);
		return MGMT_EXIT_DB;
	}
	return MGMT_EXIT_OK;
}

int cmd_init(const struct mgmt_args *a)
{
	struct instance_paths p;
	struct instance_keys k = {0};
	char dir[PATH_MAX], cert[PATH_MAX], key[PATH_MAX], err[ERR_MAX],
	    pk[INSTANCE_PK_HEX];
	char pw[PW_LEN] = "", shown[PATH_MAX] = "";
	bool pg = store_is_postgres(a->db);
	int lockfd = -1, ret = MGMT_EXIT_FAIL, rc;

	if (!account_email_valid(a->admin)) {
		fail("--admin '%s': not an email address", a->admin);
		return MGMT_EXIT_USAGE;
	}
	if (pg && (a->dir == NULL || a->force)) {
		fail("%s", a->force
			       ? "--force does not apply to a PostgreSQL database "
				 "(drop its tables to start again)"
			       : "a PostgreSQL --db needs --dir DIR for the key files");
		return MGMT_EXIT_USAGE;
	}
	if (state_dir(a, dir) < 0 || instance_paths_init(&p, dir, err, sizeof err) < 0)
		return MGMT_EXIT_FAIL;
	if (pg) {
		rc = pg_initialised(a->db);
		if (rc != 0)
			return rc > 0 ? MGMT_EXIT_REFUSED : MGMT_EXIT_DB;
		goto files;
	}
	rc = instance_lock(a->db, &lockfd, err, sizeof err);
	if (rc < 0) {
		fail("%s", err);
		return rc == -EBUSY ? MGMT_EXIT_REFUSED : MGMT_EXIT_FAIL;
	}
	if (access(a->db, F_OK) == 0) {
		if (!a->force) {
			fail("%s: an instance database exists; not replaced "
			     "(--force replaces it, keeping a copy)",
			     a->db);
			ret = MGMT_EXIT_REFUSED;
			goto cleanup;
		}
		if (set_aside(a->db) < 0) {
			ret = MGMT_EXIT_DB;
			goto cleanup;
		}
	}
files:
	if (secret(p.key, crypto_sign_SEEDBYTES, "instance key:") < 0 ||
	    secret(p.pepper, INSTANCE_PEPPER_LEN, "pepper:") < 0)
		goto cleanup;
	if (a->tls_cert != NULL) {
		if (given_tls(a, cert, key) < 0)
			goto cleanup;
		printf("TLS certificate:   %s (given)\n", cert);
	} else {
		if (made_tls(a, &p) < 0)
			goto cleanup;
		snprintf(cert, sizeof cert, "%s", p.tls_cert);
		snprintf(key, sizeof key, "%s", p.tls_key);
	}
	if (instance_keys_load(&p, &k, err, sizeof err) < 0) {
		fail("%s", err);
		goto cleanup;
	}
	ret = make_db(a, &p, cert, key, &k, pw, pg, shown);
	if (ret != MGMT_EXIT_OK)
		goto cleanup;
	instance_pk_hex(&k, pk);
	printf("instance public key: %s\n", pk);
	printf("database:          %s (schema version %zu)\n", shown,
	       schema_migration_count);
	printf("first admin:       %s\n", a->admin);
	printf("one-time password: %s\n", pw);
	printf("(shown only now: only its argon2id hash is stored)\n");
	fflush(stdout);
cleanup:
	sodium_memzero(pw, sizeof pw);
	instance_keys_wipe(&k);
	if (lockfd >= 0)
		close(lockfd);
	return ret;
}
