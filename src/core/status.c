/*
 * `status` text and `status --json` rendering (interface reference §2, §3).
 *
 * The text, line by line (§2 plus udp_ports=, online= and last_heard=):
 *
 *   subnetra v{version} [running]
 *   mode={mode} local_id={id} udp_port={port} udp_ports={port,...} tun={tun} peers={n}
 *   peers:
 *     id={id}[ name={name}] endpoint={ep} allowed_src={cidr} last_seen_wall_ns={ns}
 *         online={yes|no} last_heard={"5s ago"|never}       (one line per peer)
 *   then the counter lines of text_layout[] below, in its order.
 *
 * The JSON walks COUNTERS_LIST itself, so a new counter appears there at
 * once; the text has it once it has a place in text_layout[] (test_status
 * fails until it does).
 *
 * Output goes through a bounded writer: nothing is ever written at or past
 * cap, and a render that does not fit returns 0.
 */
#include "core/status.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "core/bounds.h"
#include "core/outbuf.h"

bool status_peer_age(const struct status_peer *p, uint64_t now_ns, uint64_t *age_secs)
{
	if (p->last_seen_wall_ns == 0)
		return false;
	/* A wall clock stepped backwards must not make the age negative. */
	*age_secs = now_ns > p->last_seen_wall_ns ? (now_ns - p->last_seen_wall_ns) / 1000000000u
						  : 0;
	return true;
}

bool status_peer_online(const struct status_peer *p, uint64_t now_ns)
{
	uint64_t age;

	return status_peer_age(p, now_ns, &age) && age <= STATUS_ONLINE_FRESHNESS_SECS;
}

void status_age_format(uint64_t secs, char out[16])
{
	if (secs < 60)
		snprintf(out, 16, "%us", (unsigned)secs);
	else if (secs < 3600)
		snprintf(out, 16, "%um%02us", (unsigned)(secs / 60), (unsigned)(secs % 60));
	else if (secs < 86400)
		snprintf(out, 16, "%uh%02um", (unsigned)(secs / 3600), (unsigned)(secs / 60 % 60));
	else if (secs < UINT64_C(86400) * 99999)
		snprintf(out, 16, "%ud%02uh", (unsigned)(secs / 86400), (unsigned)(secs / 3600 % 24));
	else
		snprintf(out, 16, "99999d+");
}

void status_rtt_format(uint64_t ns, char out[16])
{
	const uint64_t max_ms = 9999999;
	uint64_t t, d;

	if (ns >= max_ms * 1000000) {
		snprintf(out, 16, "%ums", (unsigned)max_ms);
		return;
	}
	t = (ns + 5000) / 10000;  /* 10 µs */
	d = (ns + 50000) / 100000; /* 0.1 ms */
	if (t < 100)
		snprintf(out, 16, "0.%02ums", (unsigned)t);
	else if (d < 1000)
		snprintf(out, 16, "%u.%ums", (unsigned)(d / 10), (unsigned)(d % 10));
	else
		snprintf(out, 16, "%ums", (unsigned)((ns + 500000) / 1000000));
}

uint64_t status_rtt_smooth(uint64_t srtt_ns, uint64_t sample_ns)
{
	if (srtt_ns == 0)
		return sample_ns > 0 ? sample_ns : 1;
	return srtt_ns - srtt_ns / 8 + sample_ns / 8;
}

/* ---- text ---------------------------------------------------------------- */

/* Names are validated printable ASCII; anything else must not reach a terminal. */
static void put_text_safe(struct outbuf *o, const char *s)
{
	for (; *s != '\0'; s++) {
		char c = (*s >= 0x20 && *s <= 0x7e) ? *s : '?';

		outbuf_put(o, &c, 1);
	}
}

/*
 * A value that stays one space-separated token: as it is, or in double
 * quotes with '"' and '\' backslash-escaped when it holds a space, a quote
 * or a backslash (as a shell would read it).
 */
static void put_text_token(struct outbuf *o, const char *s)
{
	if (strpbrk(s, " \"\\") == NULL) {
		put_text_safe(o, s);
		return;
	}
	outbuf_puts(o, "\"");
	for (; *s != '\0'; s++) {
		char c = (*s >= 0x20 && *s <= 0x7e) ? *s : '?';

		if (c == '"' || c == '\\')
			outbuf_put(o, "\\", 1);
		outbuf_put(o, &c, 1);
	}
	outbuf_puts(o, "\"");
}

/*
 * The counter lines of the text: each is its label, then for each counter
 * " key=value", in order ("=value" right after the label for a counter
 * without a key).  drop_udp_scan_budget has no place: §2 leaves it out of
 * the text.
 */
enum { TEXT_LINE_MAX = 10 }; /* counters on one line */

struct text_item {
	const char *key; /* printed " key=value"; "" prints "=value" */
	size_t offset;   /* in struct counters */
};

static const struct text_line {
	const char *label;
	struct text_item items[TEXT_LINE_MAX]; /* up to the first without a key */
} text_layout[] = {
#define KEY(key, counter) {" " #key, offsetof(struct counters, counter)}
#define VALUE(counter) {"", offsetof(struct counters, counter)}
    {"traffic:", {{NULL, 0}}},
    {"  tun_rx", {KEY(packets, tun_rx_packets), KEY(bytes, tun_rx_bytes)}},
    {"  udp_tx", {KEY(packets, udp_tx_packets), KEY(bytes, udp_tx_bytes)}},
    {"  udp_rx", {KEY(packets, udp_rx_packets), KEY(bytes, udp_rx_bytes)}},
    {"  tun_tx", {KEY(packets, tun_tx_packets), KEY(bytes, tun_tx_bytes)}},
    {"  relay ", {KEY(packets, relay_packets), KEY(bytes, relay_bytes)}}, /* "relay  packets" */
    {"  endpoint_learned", {VALUE(udp_endpoint_learned)}},
    {"  keepalive", {KEY(rx, keepalive_rx), KEY(tx, keepalive_tx)}},
    {"drops:", {{NULL, 0}}},
    {"  tun:",
     {KEY(not_ipv4, drop_tun_not_ipv4), KEY(no_route, drop_tun_no_route),
      KEY(drop_rule, drop_tun_drop_rule), KEY(local_loop, drop_tun_local_loop),
      KEY(unknown_target, drop_tun_unknown_target), KEY(oversized, drop_tun_oversized),
      KEY(egress_err, drop_tun_egress_err), KEY(send_err, drop_tun_send_err)}},
    {"  udp:",
     {KEY(unknown_peer, drop_udp_unknown_peer), KEY(auth_or_invalid, drop_udp_auth_or_invalid),
      KEY(not_ipv4, drop_udp_not_ipv4), KEY(spoof, drop_udp_spoof),
      KEY(no_route, drop_udp_no_route), KEY(drop_rule, drop_udp_drop_rule),
      KEY(unknown_target, drop_udp_unknown_target), KEY(no_reflect, drop_udp_no_reflect),
      KEY(oversized, drop_udp_oversized), KEY(send_err, drop_udp_send_err)}},
#undef KEY
#undef VALUE
};

static void render_text_counters(struct outbuf *o, const struct counters *c)
{
	for (size_t i = 0; i < sizeof(text_layout) / sizeof(text_layout[0]); i++) {
		const struct text_line *l = &text_layout[i];

		outbuf_puts(o, l->label);
		for (size_t k = 0; k < TEXT_LINE_MAX && l->items[k].key != NULL; k++) {
			const struct counter_desc d = {.offset = l->items[k].offset};

			outbuf_printf(o, "%s=%" PRIu64, l->items[k].key, counter_value(c, &d));
		}
		outbuf_puts(o, "\n");
	}
}

unsigned status_text_shows(size_t offset)
{
	unsigned n = 0;

	for (size_t i = 0; i < sizeof(text_layout) / sizeof(text_layout[0]); i++) {
		const struct text_line *l = &text_layout[i];

		for (size_t k = 0; k < TEXT_LINE_MAX && l->items[k].key != NULL; k++)
			n += l->items[k].offset == offset;
	}
	return n;
}

size_t status_render_text(const struct status_view *v, char *buf, size_t cap)
{
	struct outbuf o;

	outbuf_init(&o, buf, cap);
	outbuf_puts(&o, "subnetra v");
	put_text_safe(&o, status_str(v->version));
	outbuf_puts(&o, " [running]\nmode=");
	put_text_safe(&o, status_str(v->mode));
	outbuf_printf(&o, " local_id=%" PRIu32 " udp_port=%u udp_ports=", v->local_id,
	     (unsigned)v->listen_port);
	for (size_t i = 0; i < v->n_listen_ports; i++)
		outbuf_printf(&o, "%s%u", i ? "," : "", (unsigned)v->listen_ports[i]);
	outbuf_puts(&o, " tun=");
	put_text_safe(&o, status_str(v->tun));
	outbuf_printf(&o, " peers=%zu\npeers:\n", v->n_peers);

	for (size_t i = 0; i < v->n_peers; i++) {
		const struct status_peer *p = &v->peers[i];
		char ep[ENDPOINT_STR_MAX], src[CIDR_STR_MAX];

		endpoint_format(&p->endpoint, ep);
		cidr_format(&p->allowed_src, src);
		uint64_t age;
		char ago[16];

		outbuf_printf(&o, "  id=%" PRIu32, p->id);
		if (p->name != NULL && p->name[0] != '\0') {
			outbuf_puts(&o, " name=");
			put_text_token(&o, p->name);
		}
		outbuf_printf(&o, " endpoint=%s allowed_src=%s last_seen_wall_ns=%" PRIu64
			      " online=%s last_heard=",
			      ep, src, p->last_seen_wall_ns,
			      status_peer_online(p, v->now_wall_ns) ? "yes" : "no");
		if (status_peer_age(p, v->now_wall_ns, &age)) {
			status_age_format(age, ago);
			outbuf_printf(&o, "\"%s ago\"\n", ago);
		} else {
			outbuf_puts(&o, "never\n");
		}
	}
	render_text_counters(&o, v->counters);
	return outbuf_finish(&o);
}

/* ---- JSON ---------------------------------------------------------------- */

/*
 * Names are printable ASCII by validation; escape defensively anyway so the
 * output is valid JSON (and pure ASCII) whatever a caller passes.
 */
static void put_json_string(struct outbuf *o, const char *s)
{
	outbuf_puts(o, "\"");
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\') {
			char esc[2] = {'\\', (char)*p};

			outbuf_put(o, esc, 2);
		} else if (*p < 0x20 || *p >= 0x7f) {
			outbuf_printf(o, "\\u%04x", (unsigned)*p);
		} else {
			outbuf_put(o, (const char *)p, 1);
		}
	}
	outbuf_puts(o, "\"");
}

static void render_json_peer(struct outbuf *o, const struct status_peer *p, uint64_t now_ns)
{
	char ep[ENDPOINT_STR_MAX], src[CIDR_STR_MAX];

	endpoint_format(&p->endpoint, ep);
	cidr_format(&p->allowed_src, src);
	outbuf_printf(o, "{\"id\":%" PRIu32 ",\"name\":", p->id);
	put_json_string(o, status_str(p->name));
	outbuf_printf(o,
	     ",\"endpoint\":\"%s\",\"allowed_src\":\"%s\",\"last_seen_wall_ns\":%" PRIu64,
	     ep, src, p->last_seen_wall_ns);
	uint64_t age;

	if (!status_peer_age(p, now_ns, &age))
		outbuf_puts(o, ",\"last_seen_age_seconds\":null,\"online\":false}");
	else
		outbuf_printf(o, ",\"last_seen_age_seconds\":%" PRIu64 ",\"online\":%s}", age,
			      status_peer_online(p, now_ns) ? "true" : "false");
}

size_t status_render_json(const struct status_view *v, char *buf, size_t cap)
{
	struct outbuf o;

	outbuf_init(&o, buf, cap);
	outbuf_printf(&o, "{\"schema_version\":%d,\"version\":", STATUS_SCHEMA_VERSION);
	put_json_string(&o, status_str(v->version));
	outbuf_puts(&o, ",\"mode\":");
	put_json_string(&o, status_str(v->mode));
	outbuf_printf(&o, ",\"local_id\":%" PRIu32 ",\"listen_port\":%u,\"listen_ports\":[",
		      v->local_id, (unsigned)v->listen_port);
	for (size_t i = 0; i < v->n_listen_ports; i++)
		outbuf_printf(&o, "%s%u", i ? "," : "", (unsigned)v->listen_ports[i]);
	outbuf_puts(&o, "],\"tun\":");
	put_json_string(&o, status_str(v->tun));
	outbuf_puts(&o, ",\"peers\":[");
	for (size_t i = 0; i < v->n_peers; i++) {
		if (i > 0)
			outbuf_puts(&o, ",");
		render_json_peer(&o, &v->peers[i], v->now_wall_ns);
	}
	outbuf_puts(&o, "],\"counters\":{");
	for (size_t i = 0; i < N_COUNTERS; i++)
		outbuf_printf(&o, "%s\"%s\":%" PRIu64, i > 0 ? "," : "", counter_descs[i].name,
		     counter_value(v->counters, &counter_descs[i]));
	outbuf_puts(&o, "}}");
	return outbuf_finish(&o);
}
