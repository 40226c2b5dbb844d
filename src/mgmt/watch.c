/* The change cursor and its watcher (see watch.h). */
#include "mgmt/watch.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "mgmt/device.h"
#include "mgmt/meta.h"
#include "mgmt/mgmtd.h"
#include "mgmt/settings.h"

/* One integer column of a one-row query. */
static int query_i64(struct store *s, const char *sql, int64_t *out)
{
	struct store_stmt *st;
	int rc = store_prepare(s, sql, &st);

	if (rc < 0)
		return rc;
	rc = store_step(st);
	if (rc == STORE_ROW)
		*out = store_col_i64(st, 0);
	store_finalize(st);
	return rc == STORE_ROW ? 0 : rc < 0 ? rc : -EIO;
}

int watch_read(struct store *s, struct watch_cursor *c)
{
	char num[24];
	int64_t audit;
	int rc;

	rc = query_i64(s, "SELECT COALESCE(MAX(id), 0) FROM audit", &audit);
	if (rc < 0)
		return rc;
	c->audit = (uint64_t)audit;
	rc = meta_get(s, META_LIC_SERIAL, num, sizeof num);
	if (rc == -ENOENT) {
		c->serial = 0;
		return 0;
	}
	if (rc < 0)
		return rc;
	c->serial = strtoull(num, NULL, 10);
	return 0;
}

void watch_format(const struct watch_cursor *c, char *out, size_t cap)
{
	snprintf(out, cap, "%" PRIu64 ".%" PRIu64, c->audit, c->serial);
}

bool watch_parse(const char *s, struct watch_cursor *c)
{
	char back[48];
	unsigned long long a, b;
	char tail;

	if (strlen(s) > 41 || sscanf(s, "%llu.%llu%c", &a, &b, &tail) != 2)
		return false;
	c->audit = a;
	c->serial = b;
	/* One spelling: what watch_format writes. */
	watch_format(c, back, sizeof back);
	return strcmp(back, s) == 0;
}

bool watch_equal(const struct watch_cursor *a, const struct watch_cursor *b)
{
	return a->audit == b->audit && a->serial == b->serial;
}

/* SQLite's data_version, or false for an engine without one. */
static bool data_version(struct store *s, int64_t *v)
{
	return store_kind(s) == STORE_SQLITE &&
	       query_i64(s, "PRAGMA data_version", v) == 0;
}

void watch_init(struct mgmtd *m)
{
	m->watch.have_dv = data_version(m->store, &m->watch.data_version);
	if (watch_read(m->store, &m->watch.last) < 0)
		memset(&m->watch.last, 0, sizeof m->watch.last);
}

void watch_committed(struct mgmtd *m, struct model_change *ch)
{
	device_changed(m, ch);
	model_change_free(ch);
	watch_events(m);
}

void watch_notify(struct mgmtd *m)
{
	device_version_check(m);
	watch_events(m);
}

void watch_events(struct mgmtd *m)
{
	struct watch_cursor now;

	/*
	 * Nobody waits: the cursor is not read (two queries per change saved).
	 * A waiter reads it itself before it parks; a stale `last` then costs
	 * at most one wake-up, after which it parks again.
	 */
	if (!http_parked(&m->parking, WAKE_EVENTS))
		return;
	if (watch_read(m->store, &now) < 0 || watch_equal(&now, &m->watch.last))
		return;
	m->watch.last = now;
	http_wake(&m->parking, WAKE_EVENTS);
}

void watch_poll(struct mgmtd *m)
{
	int64_t v;

	if (m->watch.have_dv) {
		if (!data_version(m->store, &v) || v == m->watch.data_version)
			return;
		m->watch.data_version = v;
	}
	watch_notify(m);
}
