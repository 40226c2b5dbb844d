/*
 * The PostgreSQL backend of store.h, through libpq, chosen by a database
 * name that is a URL (postgresql://... or postgres://...).
 *
 *  - Placeholders: the portable `?` becomes $1, $2, ... in store_prepare
 *    (a `?` inside a quoted literal is left alone).  Values travel as
 *    text (PQexecParams), so PostgreSQL infers each one's type from where
 *    it stands; a blob is sent as bytea's hex form.
 *  - A statement runs at its first store_step; its rows are then walked.
 *  - The schema version is the one row of table subnetra_schema, written
 *    inside the migration's transaction (PostgreSQL's DDL is
 *    transactional, so a failed step leaves the version before it).
 *  - No copy is kept before migrating, and backup and restore are
 *    refused: pg_dump and pg_restore are the tools for that.
 *  - The URL may carry a password: the name messages show (store_path)
 *    has it replaced by "***".
 *  - A lost connection (the server restarted, the backend terminated) is
 *    made again: the statement that met it fails (its request answers
 *    503, a transaction it was in is gone), and the store reconnects at
 *    once, then at most once a second while the server stays away, each
 *    attempt bounded by connect_timeout (5 s unless the URL sets one).
 */
#include "mgmt/store_backend.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "os/linux/clock.h"

struct pg_store {
	struct store base; /* first: a struct store * is a struct pg_store * */
	PGconn *conn;
	bool readonly;	      /* STORE_OPEN_READONLY: set again on a new connection */
	int64_t reset_ms;     /* monotonic ms of the last reconnection attempt */
	char err[STORE_ERR_MAX];
};

enum { PG_RESET_EVERY_MS = 1000 };

static int pg_exec_script(struct store *s, const char *sql);

/*
 * The connection is gone: make it again (PQreset, the same parameters),
 * at most once per PG_RESET_EVERY_MS.  The failed statement's error stays
 * the answer; the next statement runs on the new connection.
 */
static void reconnect(struct pg_store *q)
{
	int64_t now = (int64_t)(mono_ns() / 1000000);
	char why[STORE_ERR_MAX];

	if (q->reset_ms != 0 && now - q->reset_ms < PG_RESET_EVERY_MS)
		return;
	q->reset_ms = now;
	snprintf(why, sizeof why, "%s", PQerrorMessage(q->conn));
	why[strcspn(why, "\n")] = '\0';
	PQreset(q->conn);
	if (PQstatus(q->conn) != CONNECTION_OK) {
		fprintf(stderr, "subnetra-mgmtd: %s: store connection lost (%s); retrying\n",
			q->base.path, why[0] ? why : "closed");
		return;
	}
	if (q->readonly)
		pg_exec_script(&q->base, "SET default_transaction_read_only = on");
	fprintf(stderr, "subnetra-mgmtd: %s: store connection lost (%s); connected again\n",
		q->base.path, why[0] ? why : "closed");
}

struct pg_stmt {
	struct store_stmt base;
	char *sql; /* with $n placeholders */
	int nparams;
	char **vals;	/* nparams values as text, NULL for SQL NULL */
	PGresult *res;	/* once run */
	int row, nrows; /* the current row (-1 before the first) and how many */
};

static struct pg_store *pg_of(struct store *s)
{
	return (struct pg_store *)s;
}
static struct pg_stmt *pst_of(struct store_stmt *st)
{
	return (struct pg_stmt *)st;
}

/* A result's verdict: 0, or -errno from its SQLSTATE (see store.h), err kept. */
static int res_errno(struct pg_store *q, const PGresult *r)
{
	ExecStatusType t = r != NULL ? PQresultStatus(r) : PGRES_FATAL_ERROR;
	const char *state;

	if (t == PGRES_COMMAND_OK || t == PGRES_TUPLES_OK)
		return 0;
	snprintf(q->err, sizeof q->err, "%s",
		 r != NULL ? PQresultErrorMessage(r) : PQerrorMessage(q->conn));
	q->err[strcspn(q->err, "\n")] = '\0';
	if (PQstatus(q->conn) == CONNECTION_BAD) {
		reconnect(q);
		return -EIO;
	}
	state = r != NULL ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	if (state == NULL)
		return -EIO;
	if (strcmp(state, "23505") == 0)
		return -EEXIST;
	if (strncmp(state, "23", 2) == 0 || strncmp(state, "22", 2) == 0)
		return -EINVAL;
	if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0)
		return -EBUSY;
	return -EIO;
}

static void pg_close(struct store *s)
{
	struct pg_store *q = pg_of(s);

	if (q->conn != NULL)
		PQfinish(q->conn);
	free(q);
}

static const char *pg_errmsg(struct store *s)
{
	return pg_of(s)->err;
}

static int pg_exec_script(struct store *s, const char *sql)
{
	struct pg_store *q = pg_of(s);
	PGresult *r = PQexec(q->conn, sql);
	int rc = res_errno(q, r);

	PQclear(r);
	return rc;
}

/* sql with each `?` outside a quoted literal as $n; *n counts them. */
static char *translate(const char *sql, int *n)
{
	size_t len = strlen(sql), o = 0;
	char *out = malloc(len * 4 + 1); /* "?" -> "$NNN" at most */
	char quote = 0;

	*n = 0;
	if (out == NULL)
		return NULL;
	for (const char *p = sql; *p != '\0'; p++) {
		if (quote != 0) {
			if (*p == quote)
				quote = 0;
		} else if (*p == '\'' || *p == '"') {
			quote = *p;
		} else if (*p == '?') {
			o += (size_t)snprintf(out + o, 5, "$%d", ++*n);
			continue;
		}
		out[o++] = *p;
	}
	out[o] = '\0';
	return out;
}

static void pg_finalize(struct store_stmt *st)
{
	struct pg_stmt *p = pst_of(st);

	for (int i = 0; i < p->nparams; i++)
		free(p->vals[i]);
	free(p->vals);
	free(p->sql);
	PQclear(p->res);
	free(p);
}

static int pg_prepare(struct store *s, const char *sql, struct store_stmt **out)
{
	struct pg_stmt *p = calloc(1, sizeof *p);

	if (p == NULL)
		return -ENOMEM;
	p->base.store = s;
	p->row = -1;
	p->sql = translate(sql, &p->nparams);
	if (p->sql == NULL || p->nparams > 999 ||
	    (p->nparams > 0 &&
	     (p->vals = calloc((size_t)p->nparams, sizeof *p->vals)) == NULL)) {
		p->nparams = 0;
		pg_finalize(&p->base);
		return -ENOMEM;
	}
	*out = &p->base;
	return 0;
}

/* Value idx (from 1) := v (owned), replacing an earlier one. */
static int set_val(struct store_stmt *st, int idx, char *v, bool null_ok)
{
	struct pg_stmt *p = pst_of(st);

	if (idx < 1 || idx > p->nparams || (v == NULL && !null_ok)) {
		free(v);
		return v == NULL && !null_ok ? -ENOMEM : -EINVAL;
	}
	free(p->vals[idx - 1]);
	p->vals[idx - 1] = v;
	return 0;
}

static int pg_bind_i64(struct store_stmt *st, int idx, int64_t v)
{
	char *t = malloc(24);

	if (t != NULL)
		snprintf(t, 24, "%lld", (long long)v);
	return set_val(st, idx, t, false);
}

static int pg_bind_text(struct store_stmt *st, int idx, const char *text)
{
	if (text == NULL)
		return set_val(st, idx, NULL, true);
	return set_val(st, idx, strdup(text), false);
}

static int pg_bind_blob(struct store_stmt *st, int idx, const void *data, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *b = data;
	char *t = malloc(2 * len + 3);

	if (t != NULL) {
		t[0] = '\\';
		t[1] = 'x';
		for (size_t i = 0; i < len; i++) {
			t[2 + 2 * i] = hex[b[i] >> 4];
			t[3 + 2 * i] = hex[b[i] & 15];
		}
		t[2 + 2 * len] = '\0';
	}
	return set_val(st, idx, t, false);
}

static int pg_step(struct store_stmt *st)
{
	struct pg_stmt *p = pst_of(st);
	struct pg_store *q = pg_of(st->store);
	int rc;

	if (p->res == NULL) {
		p->res = PQexecParams(q->conn, p->sql, p->nparams, NULL,
				      (const char *const *)p->vals, NULL, NULL, 0);
		rc = res_errno(q, p->res);
		if (rc < 0)
			return rc;
		p->nrows =
		    PQresultStatus(p->res) == PGRES_TUPLES_OK ? PQntuples(p->res) : 0;
	}
	if (p->row + 1 < p->nrows) {
		p->row++;
		return STORE_ROW;
	}
	return STORE_DONE;
}

static int64_t pg_col_i64(struct store_stmt *st, int col)
{
	struct pg_stmt *p = pst_of(st);

	if (p->row < 0 || col >= PQnfields(p->res))
		return 0;
	return strtoll(PQgetvalue(p->res, p->row, col), NULL, 10);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static const char *pg_col_text(struct store_stmt *st, int col)
{
	struct pg_stmt *p = pst_of(st);

	if (p->row < 0 || col >= PQnfields(p->res) || PQgetisnull(p->res, p->row, col))
		return "";
	return PQgetvalue(p->res, p->row, col);
}

/* bytea arrives as text in its hex form (\\x...), the server's default output. */
static int pg_col_blob(struct store_stmt *st, int col, void *out, size_t cap, size_t *len)
{
	const char *t = pg_col_text(st, col);
	size_t n = strlen(t);
	unsigned char *o = out;

	*len = 0;
	if (n == 0)
		return 0;
	if (n < 2 || t[0] != '\\' || t[1] != 'x' || n % 2 != 0)
		return -EINVAL;
	if ((n - 2) / 2 > cap)
		return -ENOSPC;
	for (size_t i = 2; i < n; i += 2) {
		int hi = hexval(t[i]), lo = hexval(t[i + 1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		o[(i - 2) / 2] = (unsigned char)(hi << 4 | lo);
	}
	*len = (n - 2) / 2;
	return 0;
}

static int pg_col_count(struct store_stmt *st)
{
	struct pg_stmt *p = pst_of(st);

	return p->res != NULL ? PQnfields(p->res) : 0;
}

static const char *pg_col_name(struct store_stmt *st, int col)
{
	struct pg_stmt *p = pst_of(st);
	const char *n = p->res != NULL ? PQfname(p->res, col) : NULL;

	return n != NULL ? n : "";
}

/* Type oids of pg_type.h (server headers, not libpq's): int8, int2, int4, bytea. */
enum { OID_INT8 = 20, OID_INT2 = 21, OID_INT4 = 23, OID_BYTEA = 17, OID_JSON = 114,
       OID_JSONB = 3802 };

static enum store_col_kind pg_col_kind(struct store_stmt *st, int col)
{
	struct pg_stmt *p = pst_of(st);

	if (p->row < 0 || col >= PQnfields(p->res) || PQgetisnull(p->res, p->row, col))
		return STORE_COL_NULL;
	switch (PQftype(p->res, col)) {
	case OID_INT8:
	case OID_INT2:
	case OID_INT4: return STORE_COL_INT;
	case OID_BYTEA: return STORE_COL_BLOB;
	default: return STORE_COL_TEXT;
	}
}

static bool pg_col_json(struct store_stmt *st, int col)
{
	struct pg_stmt *p = pst_of(st);
	Oid t;

	if (p->res == NULL || col >= PQnfields(p->res))
		return false;
	t = PQftype(p->res, col);
	return t == OID_JSON || t == OID_JSONB;
}

/* A one-value query's text into out (cap bytes); "" for no row or NULL. */
static int query_value(struct pg_store *q, const char *sql, char *out, size_t cap)
{
	PGresult *r = PQexec(q->conn, sql);
	int rc = res_errno(q, r);

	out[0] = '\0';
	if (rc == 0 && PQntuples(r) == 1 && !PQgetisnull(r, 0, 0))
		snprintf(out, cap, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	return rc;
}

static int pg_get_version(struct store *s, int *out)
{
	struct pg_store *q = pg_of(s);
	char v[16];
	int rc;

	/* to_regclass: NULL, not an error, while the table does not exist. */
	rc = query_value(q, "SELECT to_regclass('subnetra_schema') IS NOT NULL", v,
			 sizeof v);
	if (rc == 0 && strcmp(v, "t") == 0)
		rc = query_value(q, "SELECT max(version) FROM subnetra_schema", v,
				 sizeof v);
	else
		v[0] = '\0';
	if (rc == 0)
		*out = atoi(v);
	return rc;
}

static int pg_set_version(struct store *s, int v)
{
	char sql[192];

	/* v is our own integer, not input. */
	snprintf(sql, sizeof sql,
		 "CREATE TABLE IF NOT EXISTS subnetra_schema(version INTEGER NOT NULL);"
		 "DELETE FROM subnetra_schema; INSERT INTO subnetra_schema VALUES(%d)",
		 v);
	return pg_exec_script(s, sql);
}

/* This backend's table of store_ops (its rows are store_sqlite.c's shape, by design). */
static const struct store_ops pg_ops = {
    .kind = STORE_POSTGRES,
    .begin_sql = "BEGIN",
    .close = pg_close,
    .errmsg = pg_errmsg,
    .exec_script = pg_exec_script,
    .prepare = pg_prepare,
    .bind_i64 = pg_bind_i64,
    .bind_text = pg_bind_text,
    .bind_blob = pg_bind_blob,
    .step = pg_step,
    .col_i64 = pg_col_i64,
    .col_text = pg_col_text,
    .col_count = pg_col_count,
    .col_name = pg_col_name,
    .col_kind = pg_col_kind,
    .col_json = pg_col_json,
    .col_blob = pg_col_blob,
    .finalize = pg_finalize,
    .get_version = pg_get_version,
    .set_version = pg_set_version,
    .backup = NULL,
    .restore = NULL,
};

/* The URL's password, in its user part (scheme://user:PASSWORD@host) or
 * as a parameter (?password=PASSWORD), replaced by "***". */
static void redact(const char *url, char *out, size_t cap)
{
	const char *p = strstr(url, "://"), *at, *colon, *pw, *end;
	char tmp[sizeof((struct store *)0)->path];

	snprintf(out, cap, "%s", url);
	if (p == NULL)
		return;
	p += 3;
	at = strchr(p, '@');
	colon = strchr(p, ':');
	end = strchr(p, '/');
	if (at != NULL && colon != NULL && colon < at && (end == NULL || end > at))
		snprintf(out, cap, "%.*s***%s", (int)(colon + 1 - url), url, at);
	pw = strstr(out, "password=");
	if (pw != NULL && (pw[-1] == '?' || pw[-1] == '&')) {
		end = pw + 9 + strcspn(pw + 9, "&");
		snprintf(tmp, sizeof tmp, "%.*s***%s", (int)(pw + 9 - out), out, end);
		snprintf(out, cap, "%s", tmp);
	}
}

/* Server notices (CREATE ... IF NOT EXISTS) are not for the operator. */
static void quiet(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

/*
 * A connection to url, named "<what>-<pid>" so that an operator can tell it
 * in pg_stat_activity (unless the URL names it), waiting at most
 * connect_timeout 5 s (the URL's own wins: it is expanded after): an
 * attempt made in the event loop (a reconnection, the change feed) holds
 * it up for that long at most.
 */
static PGconn *pg_connect(const char *url, const char *what)
{
	char name[48];
	const char *const keys[] = {"connect_timeout", "dbname", "fallback_application_name",
				    NULL};
	const char *const vals[] = {"5", url, name, NULL};

	snprintf(name, sizeof name, "%s-%ld", what, (long)getpid());
	return PQconnectdbParams(keys, vals, 1);
}

int store_pg_open(struct store **out, const char *url, enum store_open_mode mode,
		  struct store_error *err)
{
	struct pg_store *q = calloc(1, sizeof *q);

	if (q == NULL)
		return -ENOMEM;
	q->base.ops = &pg_ops;
	q->readonly = mode == STORE_OPEN_READONLY;
	redact(url, q->base.path, sizeof q->base.path);
	q->conn = pg_connect(url, "subnetra-mgmtd");
	if (q->conn == NULL || PQstatus(q->conn) != CONNECTION_OK) {
		store_why(err, "%s: cannot connect: %s", q->base.path,
			  q->conn != NULL ? PQerrorMessage(q->conn) : "no memory");
		err->msg[strcspn(err->msg, "\n")] = '\0';
		pg_close(&q->base);
		return -EIO;
	}
	PQsetNoticeProcessor(q->conn, quiet, NULL);
	if (mode == STORE_OPEN_READONLY &&
	    pg_exec_script(&q->base, "SET default_transaction_read_only = on") < 0) {
		store_why(err, "%s: %s", q->base.path, q->err);
		pg_close(&q->base);
		return -EIO;
	}
	*out = &q->base;
	return 0;
}

/*
 * The listening connection (store.h, "Change notifications"): its own
 * PGconn, so a notification never waits behind a statement of the store's
 * and the store's blocking calls never read the feed's socket.
 */
struct store_listener {
	PGconn *conn;
	char err[STORE_ERR_MAX];
};

static void listener_why(struct store_listener *l)
{
	snprintf(l->err, sizeof l->err, "%s", PQerrorMessage(l->conn));
	l->err[strcspn(l->err, "\n")] = '\0';
}

int store_pg_listen(const char *url, const char *channel, struct store_listener **out,
		    struct store_error *err)
{
	struct store_listener *l = calloc(1, sizeof *l);
	char shown[sizeof((struct store *)0)->path];
	char sql[128];
	PGresult *r;
	char *id;

	if (l == NULL)
		return -ENOMEM;
	redact(url, shown, sizeof shown);
	/* Attempts run in the reactor (feed.c): pg_connect bounds each. */
	l->conn = pg_connect(url, "subnetra-mgmtd-feed");
	if (l->conn == NULL || PQstatus(l->conn) != CONNECTION_OK)
		goto fail;
	PQsetNoticeProcessor(l->conn, quiet, NULL);
	id = PQescapeIdentifier(l->conn, channel, strlen(channel));
	if (id == NULL)
		goto fail;
	snprintf(sql, sizeof sql, "LISTEN %s", id);
	PQfreemem(id);
	r = PQexec(l->conn, sql);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		PQclear(r);
		goto fail;
	}
	PQclear(r);
	if (PQsetnonblocking(l->conn, 1) != 0)
		goto fail;
	*out = l;
	return 0;
fail:
	store_why(err, "%s: change feed: %s", shown,
		  l->conn != NULL ? PQerrorMessage(l->conn) : "no memory");
	err->msg[strcspn(err->msg, "\n")] = '\0';
	store_listener_close(l);
	return -EIO;
}

int store_listener_fd(const struct store_listener *l)
{
	return PQsocket(l->conn);
}

int store_listener_input(struct store_listener *l)
{
	if (PQconsumeInput(l->conn) == 0 || PQstatus(l->conn) != CONNECTION_OK) {
		listener_why(l);
		return -EIO;
	}
	return 0;
}

bool store_listener_next(struct store_listener *l, char *out, size_t cap, int *from)
{
	PGnotify *n = PQnotifies(l->conn);

	if (n == NULL)
		return false;
	snprintf(out, cap, "%s", n->extra);
	*from = n->be_pid;
	PQfreemem(n);
	return true;
}

int store_session_id(struct store *s)
{
	return s->ops == &pg_ops ? PQbackendPID(pg_of(s)->conn) : 0;
}

const char *store_listener_error(const struct store_listener *l)
{
	return l->err;
}

void store_listener_close(struct store_listener *l)
{
	if (l == NULL)
		return;
	if (l->conn != NULL)
		PQfinish(l->conn);
	free(l);
}
