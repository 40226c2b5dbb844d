/* The change feed between servers on one PostgreSQL database (see feed.h). */
#include "mgmt/feed.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "core/outbuf.h"
#include "mgmt/device.h"
#include "mgmt/mgmtd.h"
#include "mgmt/watch.h"

bool feed_live(const struct mgmtd *m)
{
	return m->feed.l != NULL;
}

static void lost(struct mgmtd *m, const char *why)
{
	struct feed *f = &m->feed;

	epoll_ctl(m->epfd, EPOLL_CTL_DEL, store_listener_fd(f->l), NULL);
	store_listener_close(f->l);
	f->l = NULL;
	f->losses++;
	f->backoff_ms = FEED_RETRY_FIRST_MS;
	f->retry_ms = http_now_ms() + f->backoff_ms;
	fprintf(
	    stderr,
	    "subnetra-mgmtd: change feed lost (%s): polling every %d ms, reconnecting\n",
	    why, WATCH_POLL_MS);
}

/* Connect and LISTEN: true when the feed is live. */
static bool connect_feed(struct mgmtd *m, bool quiet)
{
	struct feed *f = &m->feed;
	struct store_error err;
	struct epoll_event ev = {.events = EPOLLIN, .data.u32 = f->tag};

	if (store_listen(m->cfg.db, FEED_CHANNEL, &f->l, &err) < 0) {
		if (!quiet)
			fprintf(stderr,
				"subnetra-mgmtd: %s: polling every %d ms, reconnecting\n",
				err.msg, WATCH_POLL_MS);
		f->l = NULL;
		return false;
	}
	if (epoll_ctl(m->epfd, EPOLL_CTL_ADD, store_listener_fd(f->l), &ev) < 0) {
		store_listener_close(f->l);
		f->l = NULL;
		if (!quiet)
			fprintf(stderr, "subnetra-mgmtd: change feed: epoll: %s\n",
				strerror(errno));
		return false;
	}
	return true;
}

int feed_start(struct mgmtd *m, uint32_t tag)
{
	struct feed *f = &m->feed;

	f->tag = tag;
	f->on = store_kind(m->store) == STORE_POSTGRES;
	if (!f->on)
		return 0;
	f->buf = malloc(FEED_PAYLOAD_MAX + 1);
	if (f->buf == NULL)
		return -ENOMEM;
	if (connect_feed(m, false)) {
		fprintf(stderr, "subnetra-mgmtd: change feed: listening on %s\n",
			FEED_CHANNEL);
		return 0;
	}
	f->losses++;
	f->backoff_ms = FEED_RETRY_FIRST_MS;
	f->retry_ms = http_now_ms() + f->backoff_ms;
	return 0;
}

void feed_stop(struct mgmtd *m)
{
	struct feed *f = &m->feed;

	if (f->l != NULL) {
		epoll_ctl(m->epfd, EPOLL_CTL_DEL, store_listener_fd(f->l), NULL);
		store_listener_close(f->l);
		f->l = NULL;
	}
	free(f->buf);
	f->buf = NULL;
}

/* One notification: wake whom it names; *events when the events cursor may have moved. */
static void handle(struct mgmtd *m, const char *p, bool *events)
{
	struct model_change ch;
	bool all;

	m->feed.notifications++;
	*events = true;
	if (strcmp(p, "a") == 0)
		return;
	if (feed_parse_change(p, &ch, &all) && !all) {
		device_changed(m, &ch);
		model_change_free(&ch);
		return;
	}
	m->feed.rechecks++;
	device_wake_all(m);
}

void feed_ready(struct mgmtd *m)
{
	struct feed *f = &m->feed;
	bool events = false;
	int self, from;

	if (f->l == NULL)
		return;
	if (store_listener_input(f->l) < 0) {
		char why[STORE_ERR_MAX];

		snprintf(why, sizeof why, "%s", store_listener_error(f->l));
		lost(m, why[0] ? why : "connection closed");
		return;
	}
	/* This server's own changes woke their devices when they committed. */
	self = store_session_id(m->store);
	while (store_listener_next(f->l, f->buf, FEED_PAYLOAD_MAX + 1, &from))
		if (from != self)
			handle(m, f->buf, &events);
	if (events)
		watch_events(m);
}

void feed_tick(struct mgmtd *m, int64_t now)
{
	struct feed *f = &m->feed;

	if (!f->on || f->l != NULL || now < f->retry_ms)
		return;
	if (!connect_feed(m, true)) {
		f->backoff_ms *= 2;
		if (f->backoff_ms > FEED_RETRY_MAX_MS)
			f->backoff_ms = FEED_RETRY_MAX_MS;
		f->retry_ms = now + f->backoff_ms;
		return;
	}
	/* What was said while nobody listened is gone: everyone re-checks once. */
	fprintf(stderr,
		"subnetra-mgmtd: change feed: listening again; every poll re-checks\n");
	f->rechecks++;
	device_wake_all(m);
	watch_notify(m);
}

int feed_timeout(const struct mgmtd *m, int64_t now)
{
	const struct feed *f = &m->feed;

	if (!f->on || f->l != NULL)
		return -1;
	return f->retry_ms <= now ? 0 : (int)(f->retry_ms - now);
}

size_t feed_summary(const struct mgmtd *m, char *out, size_t cap)
{
	const struct feed *f = &m->feed;
	struct outbuf o;

	outbuf_init(&o, out, cap);
	outbuf_printf(&o,
		      "{\"state\":\"%s\",\"notifications\":%llu,\"rechecks\":%llu,"
		      "\"losses\":%llu}",
		      !f->on	     ? "off"
		      : f->l != NULL ? "live"
				     : "down",
		      (unsigned long long)f->notifications,
		      (unsigned long long)f->rechecks, (unsigned long long)f->losses);
	return outbuf_finish(&o);
}
