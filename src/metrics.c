/*
 * Prometheus text rendering of the status view (see metrics.h).
 *
 * What must hold:
 *  - Byte-identical to deploy/subnetra-textfile-exporter.sh for the same
 *    status: the HELP texts below are repeated there, the order is the same
 *    (up, build_info, peer_online per peer, peer_last_seen_age_seconds per
 *    peer seen at least once, then every counter in COUNTERS_LIST order), and
 *    so is the label rule (printable ASCII kept, '"' and '\' escaped, any
 *    other byte '?').  t_deploy.sh compares the two on a live daemon.
 *  - Age and online follow status --json exactly (interface reference §3):
 *    age = whole seconds since last_seen, clamped to 0 when the clock went
 *    backwards; online iff seen and age <= STATUS_ONLINE_FRESHNESS_SECS.
 *  - HELP and TYPE are printed for every family even when it has no sample
 *    (no peers, or no peer seen yet), so the shape of the output is fixed.
 *  - Bounded: nothing is written at or past cap; a render that does not fit
 *    returns 0 and leaves "".
 */
#include "metrics.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

struct counter_desc {
	const char *name;
	size_t offset;
};

static const struct counter_desc counter_descs[] = {
#define COUNTER_DESC(n) {#n, offsetof(struct counters, n)},
    COUNTERS_LIST(COUNTER_DESC)
#undef COUNTER_DESC
};

enum { N_COUNTERS = sizeof(counter_descs) / sizeof(counter_descs[0]) };

struct out {
	char *buf;
	size_t cap;
	size_t len;
	bool overflow;
};

static void put(struct out *o, const char *s, size_t n)
{
	/* Keep one byte for the terminating NUL. */
	if (o->overflow || o->cap == 0 || n >= o->cap - o->len) {
		o->overflow = true;
		return;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	o->buf[o->len] = '\0';
}

static void puts_(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

static void put_u64(struct out *o, uint64_t v)
{
	char tmp[24];
	int n = snprintf(tmp, sizeof(tmp), "%" PRIu64, v);

	put(o, tmp, (size_t)n);
}

/* A label value: the rule of metrics.h, shared with the exporter. */
static void put_label_value(struct out *o, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
		char c = (char)*p;

		if (c == '"' || c == '\\')
			put(o, "\\", 1);
		else if (*p < 0x20 || *p > 0x7e)
			c = '?';
		put(o, &c, 1);
	}
}

static void put_family(struct out *o, const char *name, const char *type,
		       const char *help)
{
	puts_(o, "# HELP ");
	puts_(o, name);
	puts_(o, " ");
	puts_(o, help);
	puts_(o, "\n# TYPE ");
	puts_(o, name);
	puts_(o, " ");
	puts_(o, type);
	puts_(o, "\n");
}

static size_t finish(struct out *o)
{
	if (o->overflow) {
		if (o->cap > 0)
			o->buf[0] = '\0';
		return 0;
	}
	return o->len;
}

static const char help_up[] =
    "1 if subnetra status answered on the control socket, 0 if the daemon is down.";
static const char help_build_info[] =
    "Identity of the running daemon in the labels; the value is always 1.";
static const char help_online[] =
    "1 if the peer sent an authenticated datagram within the freshness window (90 s).";
static const char help_age[] =
    "Seconds since the peer's last authenticated datagram; absent if never seen.";

static void put_up(struct out *o, int up)
{
	put_family(o, "subnetra_up", "gauge", help_up);
	puts_(o, up ? "subnetra_up 1\n" : "subnetra_up 0\n");
}

static void put_peer_labels(struct out *o, const struct status_peer *p)
{
	char src[CIDR_STR_MAX];

	cidr_format(&p->allowed_src, src);
	puts_(o, "{id=\"");
	put_u64(o, p->id);
	puts_(o, "\",allowed_src=\"");
	put_label_value(o, src);
	puts_(o, "\"} ");
}

/* Same rule as status --json's last_seen_age_seconds. */
static uint64_t peer_age_secs(const struct status_peer *p, uint64_t now_ns)
{
	return now_ns > p->last_seen_wall_ns
		   ? (now_ns - p->last_seen_wall_ns) / 1000000000u
		   : 0;
}

static const char *str_or_empty(const char *s)
{
	return s != NULL ? s : "";
}

size_t metrics_render(const struct status_view *v, char *buf, size_t cap)
{
	struct out o = {.buf = buf, .cap = cap, .len = 0, .overflow = false};

	if (cap > 0)
		buf[0] = '\0';
	put_up(&o, 1);

	put_family(&o, "subnetra_build_info", "gauge", help_build_info);
	puts_(&o, "subnetra_build_info{version=\"");
	put_label_value(&o, str_or_empty(v->version));
	puts_(&o, "\",mode=\"");
	put_label_value(&o, str_or_empty(v->mode));
	puts_(&o, "\",tun=\"");
	put_label_value(&o, str_or_empty(v->tun));
	puts_(&o, "\",local_id=\"");
	put_u64(&o, v->local_id);
	puts_(&o, "\",listen_port=\"");
	put_u64(&o, v->listen_port);
	puts_(&o, "\"} 1\n");

	put_family(&o, "subnetra_peer_online", "gauge", help_online);
	for (size_t i = 0; i < v->n_peers; i++) {
		const struct status_peer *p = &v->peers[i];
		bool online =
		    p->last_seen_wall_ns != 0 &&
		    peer_age_secs(p, v->now_wall_ns) <= STATUS_ONLINE_FRESHNESS_SECS;

		puts_(&o, "subnetra_peer_online");
		put_peer_labels(&o, p);
		puts_(&o, online ? "1\n" : "0\n");
	}

	put_family(&o, "subnetra_peer_last_seen_age_seconds", "gauge", help_age);
	for (size_t i = 0; i < v->n_peers; i++) {
		const struct status_peer *p = &v->peers[i];

		if (p->last_seen_wall_ns == 0)
			continue; /* never seen: no sample, as documented */
		puts_(&o, "subnetra_peer_last_seen_age_seconds");
		put_peer_labels(&o, p);
		put_u64(&o, peer_age_secs(p, v->now_wall_ns));
		puts_(&o, "\n");
	}

	for (size_t i = 0; i < N_COUNTERS; i++) {
		const struct counter_desc *d = &counter_descs[i];
		char name[96], help[160];
		uint64_t val;

		/* Names are short identifiers from COUNTERS_LIST: these always fit. */
		snprintf(name, sizeof(name), "subnetra_%s_total", d->name);
		snprintf(help, sizeof(help),
			 "Counter %s of subnetra status --json (see docs/operations.md).",
			 d->name);
		memcpy(&val, (const unsigned char *)v->counters + d->offset, sizeof(val));
		put_family(&o, name, "counter", help);
		puts_(&o, name);
		puts_(&o, " ");
		put_u64(&o, val);
		puts_(&o, "\n");
	}
	return finish(&o);
}

size_t metrics_render_down(char *buf, size_t cap)
{
	struct out o = {.buf = buf, .cap = cap, .len = 0, .overflow = false};

	if (cap > 0)
		buf[0] = '\0';
	put_up(&o, 0);
	return finish(&o);
}
