/*
 * The change feed between servers sharing one PostgreSQL database
 * (docs/management.md, "Running several instances").
 *
 * Sending: every committed change NOTIFYs channel FEED_CHANNEL inside its
 * own transaction (so the message exists only if it commits); the
 * messages are feedmsg.h's.
 *
 * Receiving: each server LISTENs on a connection of its own whose socket
 * is in the reactor's epoll set; a notification wakes exactly the parked
 * polls of its devices (device_changed, as a local change does) and the
 * events waiters.  While the feed is live, a version the feed did not
 * explain wakes nobody (every bump comes with its set) and the cursor is
 * polled only every FEED_POLL_MS, as a safety net.  When the connection is
 * lost (logged once) the server polls as it does without a feed
 * (WATCH_POLL_MS, everyone re-checking on a change) and reconnects with a
 * backoff from FEED_RETRY_FIRST_MS to FEED_RETRY_MAX_MS; once it is back,
 * every parked poll re-checks once, since notifications may have been
 * missed meanwhile.  On SQLite (one server) there is no feed.
 */
#ifndef SUBNETRA_MGMT_FEED_H
#define SUBNETRA_MGMT_FEED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mgmt/feedmsg.h"
#include "mgmt/store.h"

enum {
	FEED_POLL_MS = 5000,	 /* the cursor poll while the feed is live */
	FEED_RETRY_FIRST_MS = 500,
	FEED_RETRY_MAX_MS = 30000,
};

struct feed {
	struct store_listener *l; /* NULL: off (SQLite) or down */
	bool on;		  /* the database has a feed (PostgreSQL) */
	uint32_t tag;		  /* its epoll tag (server.c) */
	int64_t retry_ms;	  /* down: the next connection attempt (monotonic) */
	int64_t backoff_ms;
	uint64_t notifications; /* received */
	uint64_t rechecks;	/* everyone re-checked: reconnected, or a set too large */
	uint64_t losses;	/* connections lost (or never made) */
	char *buf;		/* FEED_PAYLOAD_MAX + 1 */
};

struct mgmtd;

/* Connect (PostgreSQL only; a failure is retried): 0, or -ENOMEM. */
int feed_start(struct mgmtd *m, uint32_t tag);
void feed_stop(struct mgmtd *m);
/* Its socket is readable: take every notification and wake whom they name. */
void feed_ready(struct mgmtd *m);
/* Down and due (now, monotonic ms): try to connect again. */
void feed_tick(struct mgmtd *m, int64_t now);
/* ms until feed_tick has work, -1 for never. */
int feed_timeout(const struct mgmtd *m, int64_t now);
/* Connected: every change of another server arrives with its devices. */
bool feed_live(const struct mgmtd *m);
/* {"state":"live|down|off","notifications":N,"rechecks":N,"losses":N} (cap >= 128). */
size_t feed_summary(const struct mgmtd *m, char *out, size_t cap);

#endif
