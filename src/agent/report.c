/* A status report's body from the daemon's status JSON (report.h). */
#include "agent/report.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "core/mgmt/jsonio.h"
#include "core/outbuf.h"
#include "core/version.h"

enum { ENDPOINTS_MAX = 16, ENDPOINT_LEN = 64, PEERS_MAX = 4096 };

static const char *str_of(const struct json_value *obj, const char *name, size_t *len)
{
	const struct json_value *v = json_member_get(obj, name);

	if (v == NULL || v->type != JSON_STRING)
		return NULL;
	*len = v->u.string.len;
	return v->u.string.bytes;
}

/* An integer member, or a number's whole part (rtt_ms is "0.213"); "null" when neither. */
static void put_whole(struct outbuf *o, const char *text, const struct json_value *v)
{
	uint64_t u;

	if (v != NULL && json_get_u64(v, &u))
		outbuf_printf(o, "%" PRIu64, u);
	else if (v != NULL && v->type == JSON_NUMBER && text[v->offset] != '-')
		outbuf_printf(o, "%" PRIu64, (uint64_t)strtoull(text + v->offset, NULL, 10));
	else
		outbuf_puts(o, "null");
}

static void put_endpoints(struct outbuf *o, const struct json_value *root)
{
	const struct json_value *bases = json_member_get(root, "bases");
	size_t n = 0;

	outbuf_puts(o, ",\"endpoints\":[");
	for (size_t i = 0; bases != NULL && bases->type == JSON_ARRAY && i < bases->u.array.n;
	     i++) {
		size_t len = 0;
		const char *ep = str_of(&bases->u.array.items[i], "observed", &len);
		bool ok = ep != NULL && len > 0 && len <= ENDPOINT_LEN && strcmp(ep, "none") != 0;

		for (size_t k = 0; ok && k < len; k++)
			ok = ep[k] > 0x20 && ep[k] < 0x7f;
		if (!ok || n == ENDPOINTS_MAX)
			continue;
		if (n++)
			outbuf_puts(o, ",");
		mgmt_json_put_str(o, ep, len);
	}
	outbuf_puts(o, "]");
}

static void put_peer(struct outbuf *o, const char *text, const struct json_value *p, bool first)
{
	static const char *const paths[] = {"direct", "relay-udp", "relay-tcp"};
	const struct json_value *hs = json_member_get(p, "last_handshake_age_s");
	const struct json_value *ep = json_member_get(p, "endpoint");
	const char *path = "none", *got;
	size_t len = 0;
	uint8_t addr[16];
	uint64_t rx = 0, tx = 0;

	if (!mgmt_json_addr(p, "address", addr))
		return;
	got = str_of(p, "path", &len);
	for (size_t i = 0; got != NULL && i < 3; i++)
		if (strcmp(got, paths[i]) == 0)
			path = paths[i];
	if ((hs == NULL || hs->type == JSON_NULL) && (ep == NULL || ep->type == JSON_NULL))
		path = "none";
	(void)mgmt_json_u64(p, "rx_bytes", UINT64_MAX, &rx);
	(void)mgmt_json_u64(p, "tx_bytes", UINT64_MAX, &tx);
	outbuf_puts(o, first ? "{" : ",{");
	mgmt_json_put_key(o, true, "address");
	mgmt_json_put_addr(o, addr);
	outbuf_printf(o, ",\"path\":\"%s\",\"rtt_ms\":", path);
	put_whole(o, text, json_member_get(p, "rtt_ms"));
	outbuf_puts(o, ",\"last_handshake_s\":");
	put_whole(o, text, hs);
	outbuf_printf(o, ",\"rx\":%" PRIu64 ",\"tx\":%" PRIu64 "}", rx, tx);
}

size_t agent_report_build(const char *daemon_json, size_t len, const char *applied, char *out,
			  size_t cap)
{
	struct json_value root = {.type = JSON_NULL};
	struct json_error err;
	const struct json_value *peers;
	struct outbuf o;
	size_t n = 0;

	if (len > 0 && !json_parse(daemon_json, len, 0, &root, &err))
		root.type = JSON_NULL;
	outbuf_init(&o, out, cap);
	outbuf_puts(&o, "{\"applied\":");
	if (applied != NULL)
		mgmt_json_put_str(&o, applied, strlen(applied));
	else
		outbuf_puts(&o, "null");
	outbuf_puts(&o, ",\"agent\":\"subnetra " SUBNETRA_VERSION "\"");
	put_endpoints(&o, &root);
	outbuf_puts(&o, ",\"peers\":[");
	peers = json_member_get(&root, "peers");
	for (size_t i = 0; peers != NULL && peers->type == JSON_ARRAY && i < peers->u.array.n &&
			   n < PEERS_MAX;
	     i++) {
		size_t before = o.len;

		put_peer(&o, daemon_json, &peers->u.array.items[i], n == 0);
		n += o.len != before;
	}
	outbuf_puts(&o, "]}");
	json_free(&root);
	return outbuf_finish(&o);
}
