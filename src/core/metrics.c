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
#include "core/metrics.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/outbuf.h"

/* A label value: the rule of metrics.h, shared with the exporter. */
static void put_label_value(struct outbuf *o, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
		char c = (char)*p;

		if (c == '"' || c == '\\')
			outbuf_put(o, "\\", 1);
		else if (*p < 0x20 || *p > 0x7e)
			c = '?';
		outbuf_put(o, &c, 1);
	}
}

static void put_family(struct outbuf *o, const char *name, const char *type,
		       const char *help)
{
	outbuf_puts(o, "# HELP ");
	outbuf_puts(o, name);
	outbuf_puts(o, " ");
	outbuf_puts(o, help);
	outbuf_puts(o, "\n# TYPE ");
	outbuf_puts(o, name);
	outbuf_puts(o, " ");
	outbuf_puts(o, type);
	outbuf_puts(o, "\n");
}

static const char help_up[] =
    "1 if subnetra status answered on the control socket, 0 if the daemon is down.";
static const char help_build_info[] =
    "Identity of the running daemon in the labels; the value is always 1.";
static const char help_online[] =
    "1 if the peer sent an authenticated datagram within the freshness window (90 s).";
static const char help_age[] =
    "Seconds since the peer's last authenticated datagram; absent if never seen.";

static void put_up(struct outbuf *o, int up)
{
	put_family(o, "subnetra_up", "gauge", help_up);
	outbuf_puts(o, up ? "subnetra_up 1\n" : "subnetra_up 0\n");
}

static void put_peer_labels(struct outbuf *o, const struct status_peer *p)
{
	char src[CIDR_STR_MAX];

	cidr_format(&p->allowed_src, src);
	outbuf_puts(o, "{id=\"");
	outbuf_u64(o, p->id);
	outbuf_puts(o, "\",allowed_src=\"");
	put_label_value(o, src);
	outbuf_puts(o, "\"} ");
}

size_t metrics_render(const struct status_view *v, char *buf, size_t cap)
{
	struct outbuf o;

	outbuf_init(&o, buf, cap);
	put_up(&o, 1);

	put_family(&o, "subnetra_build_info", "gauge", help_build_info);
	outbuf_puts(&o, "subnetra_build_info{version=\"");
	put_label_value(&o, status_str(v->version));
	outbuf_puts(&o, "\",mode=\"");
	put_label_value(&o, status_str(v->mode));
	outbuf_puts(&o, "\",tun=\"");
	put_label_value(&o, status_str(v->tun));
	outbuf_puts(&o, "\",local_id=\"");
	outbuf_u64(&o, v->local_id);
	outbuf_puts(&o, "\",listen_port=\"");
	outbuf_u64(&o, v->listen_port);
	outbuf_puts(&o, "\",listen_ports=\"");
	for (size_t i = 0; i < v->n_listen_ports; i++) {
		if (i > 0)
			outbuf_puts(&o, ",");
		outbuf_u64(&o, v->listen_ports[i]);
	}
	outbuf_puts(&o, "\"} 1\n");

	put_family(&o, "subnetra_peer_online", "gauge", help_online);
	for (size_t i = 0; i < v->n_peers; i++) {
		const struct status_peer *p = &v->peers[i];
		bool online = status_peer_online(p, v->now_wall_ns);

		outbuf_puts(&o, "subnetra_peer_online");
		put_peer_labels(&o, p);
		outbuf_puts(&o, online ? "1\n" : "0\n");
	}

	put_family(&o, "subnetra_peer_last_seen_age_seconds", "gauge", help_age);
	for (size_t i = 0; i < v->n_peers; i++) {
		const struct status_peer *p = &v->peers[i];
		uint64_t age;

		if (!status_peer_age(p, v->now_wall_ns, &age))
			continue; /* never seen: no sample, as documented */
		outbuf_puts(&o, "subnetra_peer_last_seen_age_seconds");
		put_peer_labels(&o, p);
		outbuf_u64(&o, age);
		outbuf_puts(&o, "\n");
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
		val = counter_value(v->counters, d);
		put_family(&o, name, "counter", help);
		outbuf_puts(&o, name);
		outbuf_puts(&o, " ");
		outbuf_u64(&o, val);
		outbuf_puts(&o, "\n");
	}
	return outbuf_finish(&o);
}

size_t metrics_render_down(char *buf, size_t cap)
{
	struct outbuf o;

	outbuf_init(&o, buf, cap);
	put_up(&o, 0);
	return outbuf_finish(&o);
}
