/*
 * Changes, for the long-polls that wait for them (GET /api/v1/events).
 * The cursor of the instance's state is (audit sequence, license serial):
 * the last audit row's id, and meta.license_serial.  A change made by this
 * server calls watch_notify after its commit; a change made by another
 * process on the same database (the `settings` command, another server on
 * PostgreSQL) is seen by watch_poll, which the reactor runs every
 * WATCH_POLL_MS while requests are parked: on SQLite it first reads
 * PRAGMA data_version, which moves only when another connection
 * committed, so an idle poll costs one pragma; on PostgreSQL it reads the
 * cursor itself.  Either way a moved cursor wakes WAKE_EVENTS.  On
 * PostgreSQL with the change feed live (feed.h) the other servers' changes
 * arrive as notifications and this poll runs only every FEED_POLL_MS.
 */
#ifndef SUBNETRA_MGMT_WATCH_H
#define SUBNETRA_MGMT_WATCH_H

#include <stdbool.h>
#include <stdint.h>

#include "mgmt/store.h"

#define WAKE_EVENTS "events"

enum { WATCH_POLL_MS = 200 };

struct watch_cursor {
	uint64_t audit;	 /* id of the last audit row (0: none) */
	uint64_t serial; /* meta.license_serial (0: none yet) */
};

struct watch {
	bool have_dv;
	int64_t data_version; /* SQLite's, at the last poll */
	struct watch_cursor last;
};

struct mgmtd;

int watch_read(struct store *s, struct watch_cursor *c);
/* "<audit>.<serial>" into out (cap >= 44). */
void watch_format(const struct watch_cursor *c, char *out, size_t cap);
bool watch_parse(const char *s, struct watch_cursor *c);
bool watch_equal(const struct watch_cursor *a, const struct watch_cursor *b);

void watch_init(struct mgmtd *m);
/* Another process may have committed: look, and wake the waiters if so. */
void watch_poll(struct mgmtd *m);
/* This process committed a change: wake the waiters. */
void watch_notify(struct mgmtd *m);
/*
 * This process committed ch, whose affected set it knows: wake exactly
 * those devices' polls (device_changed, which also records ch's version
 * as covered, so the version is not read back), then the events waiters;
 * ch is freed.  A change another process made meanwhile is the feed's or
 * watch_poll's to see, as ever.
 */
struct model_change;
void watch_committed(struct mgmtd *m, struct model_change *ch);
/* The events cursor only (the feed, feed.h, accounts for the devices). */
void watch_events(struct mgmtd *m);

#endif
