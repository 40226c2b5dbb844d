/*
 * Devices: GET /api/v1/devices?network=&q=, GET/PATCH/DELETE
 * /api/v1/devices/{id}.  A member sees the devices it owns or that are in
 * a network it owns or has a share of (model_device_relation); the list
 * reads a page of rows and keeps those, so a page may hold fewer items
 * than its limit while next_cursor still leads on.  q keeps the devices
 * whose host name or address contains it (ASCII letters in any case).
 * PATCH makes one change per request (hostname, aliases or blocked), so
 * each leaves one audit row.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/mesh/identity.h"
#include "core/mgmt/jsonio.h"
#include "mgmt/api.h"
#include "mgmt/device.h"
#include "mgmt/mgmtd.h"
#include "mgmt/model_device.h"
#include "mgmt/model_network.h"

enum { Q_MAX = 64 };

/* A row and what this server knows live of the device (device.h). */
struct api_device {
	struct model_device d;
	struct device_live live;
	bool report; /* put the last status body too (one device's answer) */
};

static void put_device(struct outbuf *o, const void *row)
{
	const struct api_device *ad = row;
	const struct model_device *d = &ad->d;
	const struct device_live *l = &ad->live;
	int64_t now = (int64_t)time(NULL);

	outbuf_printf(o, "{\"id\":%lld", (long long)d->id);
	mgmt_json_put_kaddr(o, "address", d->address);
	mgmt_json_put_kstr(o, "hostname", d->hostname, strlen(d->hostname));
	/* aliases: the model's own JSON array text. */
	outbuf_printf(o, ",\"aliases\":%s,\"blocked\":%s", d->aliases[0] ? d->aliases : "[]",
		      d->blocked ? "true" : "false");
	if (d->owner_id != 0)
		outbuf_printf(o, ",\"owner\":%lld", (long long)d->owner_id);
	else
		outbuf_puts(o, ",\"owner\":null");
	api_put_time(o, "last_seen", d->last_seen);
	/* Live here (a parked poll, a recent status), or seen lately by any server. */
	outbuf_printf(o, ",\"online\":%s",
		      l->online || (d->last_seen != 0 && now - d->last_seen < MODEL_OFFLINE_S)
			  ? "true"
			  : "false");
	mgmt_json_put_khex(o, "public_key", d->pubkey, MGMT_PK_LEN);
	mgmt_json_put_kstr(o, "agent", d->agent, strlen(d->agent));
	if (l->status == NULL) {
		outbuf_puts(o, ",\"status\":null");
	} else {
		outbuf_printf(o,
			      ",\"status\":{\"age_s\":%lld,\"peers_direct\":%u,"
			      "\"peers_relayed\":%u,\"peers_none\":%u}",
			      (long long)(l->age_ms / 1000), l->paths[DEVICE_PATH_DIRECT],
			      l->paths[DEVICE_PATH_RELAYED], l->paths[DEVICE_PATH_NONE]);
	}
	/* The report as the device sent it (checked then: exactly applied,
	 * agent, endpoints, peers), without its line end. */
	if (ad->report && l->status != NULL) {
		size_t n = l->status_len;

		while (n > 0 && (l->status[n - 1] == '\n' || l->status[n - 1] == '\r'))
			n--;
		outbuf_puts(o, ",\"report\":");
		outbuf_put(o, l->status, n);
	} else if (ad->report) {
		outbuf_puts(o, ",\"report\":null");
	}
	outbuf_puts(o, "}");
}

static void live_of(struct http_req *r, const struct model_device *d, bool report,
		    struct api_device *out)
{
	out->d = *d;
	out->report = report;
	device_live(r->l->m, d->id, &out->live);
}

/* One device as the answer: with its last report (up to a body's size). */
static void reply_device(struct http_req *r, unsigned status, const struct model_device *d)
{
	struct api_device ad;
	struct outbuf o;
	char *buf;
	size_t cap;

	device_mark_parked(r->l->m, true);
	live_of(r, d, true, &ad);
	device_mark_parked(r->l->m, false);
	cap = API_JSON_MAX + ad.live.status_len;
	if ((buf = malloc(cap)) == NULL) {
		http_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "out_of_memory",
			   "no memory for the answer");
		return;
	}
	outbuf_init(&o, buf, cap);
	put_device(&o, &ad);
	outbuf_puts(&o, "\n");
	api_reply(r, status, &o);
	free(buf);
}

static bool matches(const struct model_device *d, const char *q)
{
	char addr[IDENTITY_ADDR_TEXT];

	if (q == NULL)
		return true;
	identity_address_format(d->address, addr);
	return strcasestr(d->hostname, q) != NULL || strcasestr(addr, q) != NULL;
}

void api_devices_list(struct http_req *r)
{
	struct api_who w;
	struct http_page p;
	struct model_device *rows;
	struct api_device *live = NULL;
	const char *q = http_query(r, "q");
	uint64_t net = 0;
	enum perm_rel rel = PERM_REL_OWNER;
	size_t n = 0, kept = 0;
	int rc;

	if (!api_who(r, &w) || !http_page_parse(r, &p) ||
	    !http_query_u64(r, "network", 1, MGMT_JSON_INT_MAX, 0, &net))
		return;
	if (q != NULL && (q[0] == '\0' || strlen(q) > Q_MAX)) {
		http_error(r, MHD_HTTP_BAD_REQUEST, "bad_query",
			   "query argument q wants 1..64 bytes");
		return;
	}
	if (net != 0) {
		rc = model_network_relation(w.op.s, w.account_id, (int64_t)net, &rel);
		if (rc < 0) {
			api_fail(r, rc, "network");
			return;
		}
	}
	if (!api_may(r, &w, net != 0 ? PERM_NETWORK_READ : PERM_DEVICE_READ, rel) ||
	    (rows = api_rows(r, &p, sizeof *rows)) == NULL)
		return;
	rc = model_device_list(w.op.s, (int64_t)net, p.after, p.limit, rows, &n);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		enum perm_rel drel = PERM_REL_OWNER;

		/* Through a network it may read, every member is visible. */
		if (net == 0 && !api_is_admin(&w))
			rc = model_device_relation_owned(w.op.s, w.account_id, rows[i].id,
							 rows[i].owner_id, &drel);
		if (rc == 0 && drel >= PERM_REL_VIEWER && matches(&rows[i], q)) {
			if (kept != i)
				rows[kept] = rows[i];
			kept++;
		}
	}
	if (rc == 0 && (live = calloc(kept ? kept : 1, sizeof *live)) == NULL)
		rc = -ENOMEM;
	device_mark_parked(r->l->m, true);
	for (size_t i = 0; rc == 0 && i < kept; i++)
		live_of(r, &rows[i], false, &live[i]);
	device_mark_parked(r->l->m, false);
	if (rc < 0)
		api_fail(r, rc, "device");
	else
		api_reply_page(r, &p, live, sizeof *live, kept, put_device, n,
			       n ? rows[n - 1].id : 0);
	free(live);
	free(rows);
}

/* The device of the path's {id} and the asker's relation: false with 404 queued. */
static bool device_of(struct http_req *r, const struct api_who *w, struct model_device *d,
		      enum perm_rel *rel)
{
	int64_t id;
	int rc;

	if (!api_param_id(r, "id", &id))
		return false;
	rc = model_device_get(w->op.s, id, d);
	if (rc == 0)
		rc = model_device_relation_owned(w->op.s, w->account_id, id, d->owner_id, rel);
	if (rc < 0) {
		api_fail(r, rc, "device");
		return false;
	}
	return true;
}


void api_devices_get(struct http_req *r)
{
	struct api_who w;
	struct model_device d;
	enum perm_rel rel;

	if (api_who(r, &w) && device_of(r, &w, &d, &rel) &&
	    api_may(r, &w, PERM_DEVICE_READ, rel))
		reply_device(r, MHD_HTTP_OK, &d);
}

/* The one change a PATCH body asks for: 0, or -EINVAL with 422 queued. */
static int patch(struct http_req *r, const struct api_who *w, int64_t id,
		 const struct json_value *root, struct model_change *ch)
{
	const struct json_value *v = &root->u.object.members[0].value;
	const char *name = root->u.object.members[0].name;
	const char *aliases[MGMT_ALIASES_MAX];

	if (strcmp(name, "blocked") == 0) {
		if (v->type == JSON_BOOL)
			return model_device_set_blocked(&w->op, id, v->u.boolean, ch);
		api_bad_field(r, name, "wants true or false");
		return -EINVAL;
	}
	if (strcmp(name, "hostname") == 0) {
		if (v->type == JSON_STRING && v->u.string.len <= MGMT_NAME_MAX &&
		    strlen(v->u.string.bytes) == v->u.string.len)
			return model_device_rename(&w->op, id, v->u.string.bytes, ch);
		api_bad_field(r, name, "wants a mesh name (one lowercase DNS label)");
		return -EINVAL;
	}
	if (v->type != JSON_ARRAY || v->u.array.n > MGMT_ALIASES_MAX) {
		api_bad_field(r, name, "wants an array of at most 8 mesh names");
		return -EINVAL;
	}
	for (size_t i = 0; i < v->u.array.n; i++) {
		const struct json_value *a = &v->u.array.items[i];

		if (a->type != JSON_STRING || a->u.string.len > MGMT_NAME_MAX ||
		    strlen(a->u.string.bytes) != a->u.string.len) {
			api_bad_field(r, name, "wants an array of at most 8 mesh names");
			return -EINVAL;
		}
		aliases[i] = a->u.string.bytes;
	}
	return model_device_set_aliases(&w->op, id, aliases, v->u.array.n, ch);
}

void api_devices_patch(struct http_req *r)
{
	static const char *const names[] = {"hostname", "aliases", "blocked"};
	struct api_who w;
	struct json_value root;
	struct model_device d;
	struct model_change ch = {0};
	enum perm_rel rel;
	int rc;

	if (!api_who(r, &w) || !device_of(r, &w, &d, &rel) || !api_body(r, &root, names, 3))
		return;
	if (!api_may(r, &w, PERM_DEVICE_WRITE, rel))
		goto done;
	if (root.u.object.n != 1) {
		http_error(r, MHD_HTTP_UNPROCESSABLE_CONTENT, "invalid_body",
			   "one change per request: \"hostname\", \"aliases\" or \"blocked\"");
		goto done;
	}
	rc = patch(r, &w, d.id, &root, &ch);
	if (rc == 0)
		rc = model_device_get(w.op.s, d.id, &d);
	if (rc < 0) {
		model_change_free(&ch);
		api_fail(r, rc, rc == -EINVAL ? "name" : "device name");
		goto done;
	}
	api_changed(r, &ch);
	reply_device(r, MHD_HTTP_OK, &d);
done:
	json_free(&root);
}

void api_devices_delete(struct http_req *r)
{
	struct api_who w;
	struct model_device d;
	struct model_change ch = {0};
	enum perm_rel rel;
	int rc;

	if (!api_who(r, &w) || !device_of(r, &w, &d, &rel) ||
	    !api_may(r, &w, PERM_DEVICE_DELETE, rel))
		return;
	rc = model_device_delete(&w.op, d.id, &ch);
	if (rc < 0) {
		model_change_free(&ch);
		api_fail(r, rc, "device");
		return;
	}
	api_changed(r, &ch);
	http_reply_empty(r);
}
