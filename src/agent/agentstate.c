/*
 * agent.status (agentstate.h): one table of the scalar fields drives the
 * file, the JSON and the text, so a new field appears in all three; the
 * two requests and the refusal counters follow the table.
 */
#include "agent/agentstate.h"

#include <inttypes.h>
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
	outbuf_printf(&o, "join %" PRIu64 " %s\njoin_error %s\n", s->join.id, s->join.result,
		      s->join.error);
	outbuf_printf(&o, "join_bundle %s %" PRIu64 "\njoin_daemon %s\n",
		      s->join.bundle[0] ? s->join.bundle : "-", s->join.peers, s->join.daemon);
	outbuf_printf(&o, "leave %" PRIu64 " %s\nleave_error %s\n", s->leave.id,
		      s->leave.result, s->leave.error);
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

	memset(s, 0, sizeof(*s));
	while (i < len) {
		const char *nl = memchr(text + i, '\n', len - i);
		size_t n = nl != NULL ? (size_t)(nl - (text + i)) : len - i;

		if (n < sizeof(line)) {
			memcpy(line, text + i, n);
			line[n] = '\0';
			if (i == 0 && strcmp(line, "subnetra-agent 1") != 0)
				return false;
			if (i > 0)
				parse_line(line, s);
		}
		i += n + 1;
	}
	return len > 0;
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
		outbuf_printf(&o, "last join: %s%s%s\n", s->join.result,
			      s->join.error[0] ? ": " : "", s->join.error);
	if (s->join.id != 0 && s->join.bundle[0] != '\0')
		outbuf_printf(&o, "its first bundle: %s, %" PRIu64 " peers; daemon: %s\n",
			      s->join.bundle, s->join.peers, s->join.daemon);
	if (s->leave.id != 0)
		outbuf_printf(&o, "last leave: %s%s%s\n", s->leave.result,
			      s->leave.error[0] ? ": " : "", s->leave.error);
	outbuf_puts(&o, "refused:");
	for (int i = 0; i < MGMT_REFUSALS; i++)
		outbuf_printf(&o, " %s=%" PRIu64, mgmt_refusal_name((enum mgmt_refusal)i),
			      s->refused[i]);
	outbuf_puts(&o, "\n");
	return outbuf_finish(&o);
}
