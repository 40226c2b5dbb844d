/*
 * `status` text and `status --json` rendering (interface reference §2, §3).
 *
 * Both views walk one descriptor table generated from COUNTERS_LIST, so a
 * new counter shows up in both without touching this file.  The text view's
 * line layout is derived from the counter names:
 *   - traffic counters ending in _packets/_bytes/_rx/_tx that share the rest
 *     of their name are one line: "  tun_rx packets=1 bytes=2" (the label is
 *     padded to 6 columns, which is where "relay  packets" gets its two
 *     spaces);
 *   - any other traffic counter is a line of its own: "  name=N";
 *   - drop_<dir>_<reason> counters are grouped per <dir>: "  tun: reason=N ...".
 * Two legacy quirks of the v1 text layout are listed in text_quirks[].
 *
 * Output goes through a bounded writer: nothing is ever written at or past
 * cap, and a render that does not fit returns 0.
 */
#include "core/status.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "core/bounds.h"
#include "core/outbuf.h"


/*
 * The v1 human view prints udp_endpoint_learned as "endpoint_learned" and
 * leaves drop_udp_scan_budget out (label NULL).  offsetof() keeps these
 * entries honest: renaming a counter breaks the build instead of the layout.
 */
static const struct {
	size_t offset;
	const char *label;
} text_quirks[] = {
    {offsetof(struct counters, udp_endpoint_learned), "endpoint_learned"},
    {offsetof(struct counters, drop_udp_scan_budget), NULL},
};

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

enum section {
	SECTION_NONE,
	SECTION_TRAFFIC,
	SECTION_DROPS,
};

/* Where one counter goes in the text view. */
struct text_slot {
	enum section section;
	const char *group; /* line label; group_len 0 = a line of its own */
	size_t group_len;
	const char *key; /* printed as key=value */
};

/* false: the counter is not shown in the text view. */
static bool text_slot_of(const struct counter_desc *d, struct text_slot *slot)
{
	static const char *const metric_suffixes[] = {"packets", "bytes", "rx", "tx"};
	const char *name = d->name;
	const char *sep;

	for (size_t i = 0; i < sizeof(text_quirks) / sizeof(text_quirks[0]); i++) {
		if (text_quirks[i].offset != d->offset)
			continue;
		if (text_quirks[i].label == NULL)
			return false;
		name = text_quirks[i].label;
	}

	if (strncmp(name, "drop_", 5) == 0) {
		const char *rest = name + 5;

		slot->section = SECTION_DROPS;
		sep = strchr(rest, '_');
		if (sep != NULL) {
			slot->group = rest;
			slot->group_len = (size_t)(sep - rest);
			slot->key = sep + 1;
		} else {
			slot->group = NULL;
			slot->group_len = 0;
			slot->key = name;
		}
		return true;
	}

	slot->section = SECTION_TRAFFIC;
	slot->group = NULL;
	slot->group_len = 0;
	slot->key = name;
	sep = strrchr(name, '_');
	if (sep == NULL)
		return true;
	for (size_t i = 0; i < sizeof(metric_suffixes) / sizeof(metric_suffixes[0]);
	     i++) {
		if (strcmp(sep + 1, metric_suffixes[i]) == 0) {
			slot->group = name;
			slot->group_len = (size_t)(sep - name);
			slot->key = sep + 1;
			break;
		}
	}
	return true;
}

static void render_text_counters(struct outbuf *o, const struct counters *c)
{
	enum section section = SECTION_NONE;
	const char *group = NULL;
	size_t group_len = 0;
	bool line_open = false;

	for (size_t i = 0; i < N_COUNTERS; i++) {
		uint64_t v = counter_value(c, &counter_descs[i]);
		struct text_slot s;

		if (!text_slot_of(&counter_descs[i], &s))
			continue;
		if (line_open && (s.section != section || s.group_len == 0 ||
				  s.group_len != group_len ||
				  memcmp(s.group, group, group_len) != 0)) {
			outbuf_puts(o, "\n");
			line_open = false;
		}
		if (s.section != section) {
			outbuf_puts(o,
			      s.section == SECTION_TRAFFIC ? "traffic:\n" : "drops:\n");
			section = s.section;
		}
		if (s.group_len == 0) {
			outbuf_printf(o, "  %s=%" PRIu64 "\n", s.key, v);
			continue;
		}
		if (!line_open) {
			if (section == SECTION_TRAFFIC)
				outbuf_printf(o, "  %-6.*s", (int)s.group_len, s.group);
			else
				outbuf_printf(o, "  %.*s:", (int)s.group_len, s.group);
			group = s.group;
			group_len = s.group_len;
			line_open = true;
		}
		outbuf_printf(o, " %s=%" PRIu64, s.key, v);
	}
	if (line_open)
		outbuf_puts(o, "\n");
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
