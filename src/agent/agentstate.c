/*
 * agent.status (agentstate.h): one table of the scalar fields drives the
 * file, the JSON and the text, so a new field appears in all three; the
 * two requests and the refusal counters follow the table.
 */
#include "agent/agentstate.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mgmt/jsonio.h"
#include "core/outbuf.h"

enum kind { K_STR, K_U64, K_I64, K_BOOL };

struct field {
	const char *key;
	enum kind kind;
	size_t off, size;
	const char *label; /* the text form's */
};

#define STR(k, m, l)  {k, K_STR, offsetof(struct agent_state, m), sizeof(((struct agent_state *)0)->m), l}
#define NUM(k, m, t, l) {k, t, offsetof(struct agent_state, m), 0, l}

static const struct field fields[] = {
	NUM("pid", pid, K_U64, "agent pid"),
	STR("url", url, "server"),
	STR("stage", stage, "stage"),
	STR("device", device, "device"),
	NUM("joined", joined, K_BOOL, "joined"),
	STR("hostname", hostname, "hostname"),
	STR("instance", instance, "instance"),
	STR("instance_name", instance_name, "instance name"),
	STR("dashboard", dashboard, "dashboard"),
	STR("applied", applied, "applied bundle"),
	NUM("peers", peers, K_U64, "peers"),
	NUM("last_contact", last_contact, K_I64, "last contact (unix s)"),
	STR("last_error", last_error, "last error"),
	NUM("status_sent", status_sent, K_U64, "status reports sent"),
	NUM("status_failed", status_failed, K_U64, "status reports failed"),
};

enum { N_FIELDS = sizeof(fields) / sizeof(fields[0]) };

void agent_text_copy(char *dst, size_t cap, const char *src, size_t len)
{
	size_t n = len < cap - 1 ? len : cap - 1;

	for (size_t i = 0; i < n; i++)
		dst[i] = src[i] >= 0x20 && src[i] < 0x7f ? src[i] : '?';
	dst[n] = '\0';
}

/* Strings of any length (outbuf_printf takes 255 bytes at most), up to a NULL. */
static void put_strs(struct outbuf *o, const char *str, ...)
{
	va_list ap;

	va_start(ap, str);
	for (; str != NULL; str = va_arg(ap, const char *))
		outbuf_puts(o, str);
	va_end(ap);
}

static const void *at(const struct agent_state *s, const struct field *f)
{
	return (const char *)s + f->off;
}

static void put_value(struct outbuf *o, const struct agent_state *s, const struct field *f,
		      bool json)
{
	const char *str;

	switch (f->kind) {
	case K_STR:
		str = at(s, f);
		if (json)
			mgmt_json_put_str(o, str, strlen(str));
		else
			outbuf_puts(o, str[0] != '\0' ? str : "-");
		break;
	case K_U64:
		outbuf_printf(o, "%" PRIu64, *(const uint64_t *)at(s, f));
		break;
	case K_I64:
		outbuf_printf(o, "%" PRId64, *(const int64_t *)at(s, f));
		break;
	case K_BOOL:
		outbuf_puts(o, *(const bool *)at(s, f) ? (json ? "true" : "yes")
						       : (json ? "false" : "no"));
		break;
	}
}

size_t agent_state_render(const struct agent_state *s, char *out, size_t cap)
{
	struct outbuf o;

	outbuf_init(&o, out, cap);
	outbuf_puts(&o, "subnetra-agent 1\n");
	for (size_t i = 0; i < N_FIELDS; i++) {
		if (fields[i].kind == K_BOOL) {
			outbuf_printf(&o, "%s %d\n", fields[i].key,
				      *(const bool *)at(s, &fields[i]) ? 1 : 0);
			continue;
		}
		outbuf_printf(&o, "%s ", fields[i].key);
		if (fields[i].kind == K_STR)
			outbuf_puts(&o, at(s, &fields[i]));
		else
			put_value(&o, s, &fields[i], false);
		outbuf_puts(&o, "\n");
	}
	outbuf_printf(&o, "join %" PRIu64 " ", s->join.id);
	put_strs(&o, s->join.result, "\njoin_error ", s->join.error, "\njoin_bundle ",
		 s->join.bundle[0] ? s->join.bundle : "-", NULL);
	outbuf_printf(&o, " %" PRIu64 "\n", s->join.peers);
	put_strs(&o, "join_daemon ", s->join.daemon, "\n", NULL);
	outbuf_printf(&o, "leave %" PRIu64 " ", s->leave.id);
	put_strs(&o, s->leave.result, "\nleave_error ", s->leave.error, "\n", NULL);
	outbuf_puts(&o, "refused");
	for (int i = 0; i < MGMT_REFUSALS; i++)
		outbuf_printf(&o, " %s=%" PRIu64, mgmt_refusal_name((enum mgmt_refusal)i),
			      s->refused[i]);
	outbuf_puts(&o, "\n");
	return outbuf_finish(&o);
}

static void parse_request(const char *v, struct agent_request *r)
{
	char *end;

	r->id = strtoull(v, &end, 10);
	while (*end == ' ')
		end++;
	snprintf(r->result, sizeof(r->result), "%s", end);
}

/* "E.S PEERS", "-" for none yet */
static void parse_bundle(const char *v, struct agent_request *r)
{
	size_t n = strcspn(v, " ");

	if (n < sizeof(r->bundle) && strncmp(v, "-", n) != 0)
		snprintf(r->bundle, sizeof(r->bundle), "%.*s", (int)n, v);
	if (v[n] == ' ')
		r->peers = strtoull(v + n + 1, NULL, 10);
}

static void parse_refused(const char *v, struct agent_state *s)
{
	for (int i = 0; i < MGMT_REFUSALS; i++) {
		const char *name = mgmt_refusal_name((enum mgmt_refusal)i);
		const char *p = v;
		size_t n = strlen(name);

		while ((p = strstr(p, name)) != NULL) {
			if ((p == v || p[-1] == ' ') && p[n] == '=') {
				s->refused[i] = strtoull(p + n + 1, NULL, 10);
				break;
			}
			p += n;
		}
	}
}

static void parse_line(char *line, struct agent_state *s)
{
	char *v = strchr(line, ' ');

	if (v == NULL)
		return;
	*v++ = '\0';
	for (size_t i = 0; i < N_FIELDS; i++) {
		const struct field *f = &fields[i];
		void *p = (char *)s + f->off;

		if (strcmp(line, f->key) != 0)
			continue;
		if (f->kind == K_STR)
			snprintf(p, f->size, "%s", v);
		else if (f->kind == K_U64)
			*(uint64_t *)p = strtoull(v, NULL, 10);
		else if (f->kind == K_I64)
			*(int64_t *)p = strtoll(v, NULL, 10);
		else
			*(bool *)p = strcmp(v, "1") == 0;
		return;
	}
	if (strcmp(line, "join") == 0)
		parse_request(v, &s->join);
	else if (strcmp(line, "join_error") == 0)
		snprintf(s->join.error, sizeof(s->join.error), "%s", v);
	else if (strcmp(line, "join_bundle") == 0)
		parse_bundle(v, &s->join);
	else if (strcmp(line, "join_daemon") == 0)
		snprintf(s->join.daemon, sizeof(s->join.daemon), "%s", v);
	else if (strcmp(line, "leave") == 0)
		parse_request(v, &s->leave);
	else if (strcmp(line, "leave_error") == 0)
		snprintf(s->leave.error, sizeof(s->leave.error), "%s", v);
	else if (strcmp(line, "refused") == 0)
		parse_refused(v, s);
}

bool agent_state_parse(const char *text, size_t len, struct agent_state *s)
{
	char line[512];
	size_t i = 0;

	static const char head[] = "subnetra-agent 1";

	memset(s, 0, sizeof(*s));
	/* the header line exactly (a NUL or more bytes in it are another file) */
	if (len < sizeof(head) - 1 || memcmp(text, head, sizeof(head) - 1) != 0 ||
	    (len > sizeof(head) - 1 && text[sizeof(head) - 1] != '\n'))
		return false;
	while (i < len) {
		const char *nl = memchr(text + i, '\n', len - i);
		size_t n = nl != NULL ? (size_t)(nl - (text + i)) : len - i;

		if (i > 0 && n < sizeof(line)) {
			memcpy(line, text + i, n);
			line[n] = '\0';
			parse_line(line, s);
		}
		i += n + 1;
	}
	return true;
}

static void json_request(struct outbuf *o, const char *name, const struct agent_request *r,
			 bool join)
{
	outbuf_printf(o, ",\"%s\":{\"id\":%" PRIu64, name, r->id);
	mgmt_json_put_kstr(o, "result", r->result, strlen(r->result));
	mgmt_json_put_kstr(o, "error", r->error, strlen(r->error));
	if (join) {
		mgmt_json_put_kstr(o, "bundle", r->bundle, strlen(r->bundle));
		outbuf_printf(o, ",\"peers\":%" PRIu64, r->peers);
		mgmt_json_put_kstr(o, "daemon", r->daemon, strlen(r->daemon));
	}
	outbuf_puts(o, "}");
}

size_t agent_state_json(const struct agent_state *s, char *out, size_t cap)
{
	struct outbuf o;

	outbuf_init(&o, out, cap);
	outbuf_puts(&o, "{");
	for (size_t i = 0; i < N_FIELDS; i++) {
		mgmt_json_put_key(&o, i == 0, fields[i].key);
		put_value(&o, s, &fields[i], true);
	}
	json_request(&o, "join", &s->join, true);
	json_request(&o, "leave", &s->leave, false);
	outbuf_puts(&o, ",\"refused\":{");
	for (int i = 0; i < MGMT_REFUSALS; i++)
		outbuf_printf(&o, "%s\"%s\":%" PRIu64, i ? "," : "",
			      mgmt_refusal_name((enum mgmt_refusal)i), s->refused[i]);
	outbuf_puts(&o, "}}\n");
	return outbuf_finish(&o);
}

size_t agent_state_text(const struct agent_state *s, char *out, size_t cap)
{
	struct outbuf o;

	outbuf_init(&o, out, cap);
	for (size_t i = 0; i < N_FIELDS; i++) {
		outbuf_printf(&o, "%s: ", fields[i].label);
		put_value(&o, s, &fields[i], false);
		outbuf_puts(&o, "\n");
	}
	if (s->join.id != 0)
		put_strs(&o, "last join: ", s->join.result, s->join.error[0] ? ": " : "",
			 s->join.error, "\n", NULL);
	if (s->join.id != 0 && s->join.bundle[0] != '\0') {
		put_strs(&o, "its first bundle: ", s->join.bundle, NULL);
		outbuf_printf(&o, ", %" PRIu64 " peers; daemon: ", s->join.peers);
		put_strs(&o, s->join.daemon, "\n", NULL);
	}
	if (s->leave.id != 0)
		put_strs(&o, "last leave: ", s->leave.result, s->leave.error[0] ? ": " : "",
			 s->leave.error, "\n", NULL);
	outbuf_puts(&o, "refused:");
	for (int i = 0; i < MGMT_REFUSALS; i++)
		outbuf_printf(&o, " %s=%" PRIu64, mgmt_refusal_name((enum mgmt_refusal)i),
			      s->refused[i]);
	outbuf_puts(&o, "\n");
	return outbuf_finish(&o);
}

/* ---- request files ---- */

/*
 * Line i (0-based) of text[0..len) into out[0..cap) without its LF: false
 * when there is no such line (text ends before it, or it lacks its LF), it
 * holds a NUL, or it does not fit.
 */
static bool req_line(const char *text, size_t len, int i, char *out, size_t cap)
{
	size_t at = 0, n;
	const char *nl;

	for (; i > 0; i--) {
		nl = memchr(text + at, '\n', len - at);
		if (nl == NULL)
			return false;
		at = (size_t)(nl - text) + 1;
	}
	nl = memchr(text + at, '\n', len - at);
	if (nl == NULL)
		return false;
	n = (size_t)(nl - (text + at));
	if (n >= cap || memchr(text + at, '\0', n) != NULL)
		return false;
	memcpy(out, text + at, n);
	out[n] = '\0';
	return true;
}

/* Line i as a request id: 1..UINT64_MAX in decimal, nothing else. */
static bool req_id(const char *text, size_t len, int i, uint64_t *id)
{
	char digits[24];
	uint64_t v = 0;

	*id = 0;
	if (!req_line(text, len, i, digits, sizeof(digits)) || digits[0] == '\0')
		return false;
	for (const char *p = digits; *p != '\0'; p++) {
		if (*p < '0' || *p > '9' || v > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
			return false;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	*id = v;
	return v != 0;
}

/* The text ends after line `lines - 1`'s LF. */
static bool req_ends(const char *text, size_t len, int lines)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		n += text[i] == '\n';
	return n == (size_t)lines && len > 0 && text[len - 1] == '\n';
}

size_t agent_join_req_format(const struct agent_join_req *r, char *out, size_t cap)
{
	struct outbuf o;

	outbuf_init(&o, out, cap);
	put_strs(&o, r->code, "\n", r->hostname, "\n", NULL);
	outbuf_printf(&o, "%" PRIu64 "\n", r->id);
	return outbuf_finish(&o);
}

bool agent_join_req_parse(const char *text, size_t len, struct agent_join_req *r)
{
	uint64_t id;
	bool ok;

	memset(r, 0, sizeof(*r));
	ok = req_id(text, len, 2, &id) && req_ends(text, len, 3) &&
	     req_line(text, len, 0, r->code, sizeof(r->code)) &&
	     req_line(text, len, 1, r->hostname, sizeof(r->hostname));
	if (!ok)
		memset(r, 0, sizeof(*r));
	r->id = id;
	return ok;
}

size_t agent_leave_req_format(uint64_t id, char *out, size_t cap)
{
	struct outbuf o;

	outbuf_init(&o, out, cap);
	outbuf_printf(&o, "%" PRIu64 "\n", id);
	return outbuf_finish(&o);
}

bool agent_leave_req_parse(const char *text, size_t len, uint64_t *id)
{
	return req_id(text, len, 0, id) && req_ends(text, len, 1);
}

size_t agent_url_req_format(const char *url, char *out, size_t cap)
{
	struct outbuf o;

	outbuf_init(&o, out, cap);
	put_strs(&o, url, "\n", NULL);
	return outbuf_finish(&o);
}

bool agent_url_req_parse(const char *text, size_t len, char *url)
{
	bool ok = req_line(text, len, 0, url, MGMT_URL_MAX + 1) && url[0] != '\0' &&
		  req_ends(text, len, 1);

	if (!ok)
		url[0] = '\0';
	return ok;
}
