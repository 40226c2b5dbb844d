/*
 * Networks: GET/POST /api/v1/networks, GET/PATCH/DELETE
 * /api/v1/networks/{id}, PUT/DELETE /api/v1/networks/{id}/shares/{account}
 * and PUT/DELETE /api/v1/networks/{id}/devices/{address} (attach,
 * detach).  Attaching needs write on the network and on the device (a
 * member cannot pull a device it does not manage into its network);
 * detaching needs write on the network only.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mgmt/jsonio.h"
#include "mgmt/api.h"
#include "mgmt/mgmtd.h"
#include "mgmt/model_account.h"
#include "mgmt/model_device.h"
#include "mgmt/model_network.h"

static void put_network(struct outbuf *o, const void *row)
{
	const struct model_network *n = row;

	outbuf_printf(o, "{\"id\":%lld,\"uuid\":\"%s\",\"name\":", (long long)n->id, n->uuid);
	mgmt_json_put_str(o, n->name, strlen(n->name));
	outbuf_printf(o, ",\"owner\":%lld,\"members\":%lld,\"created_at\":%lld}",
		      (long long)n->owner_id, (long long)n->members, (long long)n->created_at);
}

static int get_network(struct store *s, int64_t id, void *row)
{
	return model_network_get(s, id, row);
}

/* The network of the path's {id} and the asker's relation to it: false with 404 queued. */
static bool network_of(struct http_req *r, const struct api_who *w, struct model_network *n,
		       enum perm_rel *rel)
{
	int64_t id;
	int rc;

	if (!api_param_id(r, "id", &id))
		return false;
	rc = model_network_get(w->op.s, id, n);
	if (rc == 0)
		rc = model_network_relation(w->op.s, w->account_id, id, rel);
	if (rc < 0) {
		api_fail(r, rc, "network");
		return false;
	}
	return true;
}

static int read_networks(struct store *s, int64_t owner, int64_t after, size_t limit,
			 void *rows, size_t *n)
{
	return model_network_list(s, owner, after, limit, rows, n);
}

void api_networks_list(struct http_req *r)
{
	struct api_who w;

	/* Admins see every network; members what they own or have a share of. */
	if (api_who(r, &w) && api_may(r, &w, PERM_NETWORK_READ, PERM_REL_VIEWER))
		api_list(r, api_is_admin(&w) ? 0 : w.account_id, sizeof(struct model_network),
			 read_networks, put_network, "network");
}

/* "name": a network name, or false with 422 queued. */
static bool name_of(struct http_req *r, const struct json_value *root, const char **name)
{
	size_t len;

	if (mgmt_json_str(root, "name", 1, MODEL_NETWORK_NAME_MAX, name, &len))
		return true;
	api_bad_field(r, "name", "wants a printable string of 1..64 bytes");
	return false;
}

void api_networks_create(struct http_req *r)
{
	static const char *const names[] = {"name"};
	struct api_who w;
	struct json_value root;
	struct model_network n;
	const char *name;
	int64_t id;
	int rc;

	if (!api_who(r, &w) || !api_body(r, &root, names, 1))
		return;
	if (api_may(r, &w, PERM_NETWORK_CREATE, PERM_REL_NONE) && name_of(r, &root, &name)) {
		rc = model_network_create(&w.op, w.account_id, name, &id);
		api_changed_row(r, rc, MHD_HTTP_CREATED, id, &n, get_network, put_network,
				"network");
	}
	json_free(&root);
}

void api_networks_get(struct http_req *r)
{
	struct api_who w;
	struct model_network n;
	enum perm_rel rel;

	if (api_who(r, &w) && network_of(r, &w, &n, &rel) &&
	    api_may(r, &w, PERM_NETWORK_READ, rel))
		api_reply_one(r, MHD_HTTP_OK, put_network, &n);
}

void api_networks_patch(struct http_req *r)
{
	static const char *const names[] = {"name"};
	struct api_who w;
	struct json_value root;
	struct model_network n;
	enum perm_rel rel;
	const char *name;
	int rc;

	if (!api_who(r, &w) || !network_of(r, &w, &n, &rel) || !api_body(r, &root, names, 1))
		return;
	if (api_may(r, &w, PERM_NETWORK_WRITE, rel) && name_of(r, &root, &name)) {
		rc = model_network_rename(&w.op, n.id, name);
		api_changed_row(r, rc, MHD_HTTP_OK, n.id, &n, get_network, put_network,
				"network name");
	}
	json_free(&root);
}

void api_networks_delete(struct http_req *r)
{
	struct api_who w;
	struct model_network n;
	struct model_change ch = {0};
	enum perm_rel rel;
	int rc;

	if (!api_who(r, &w) || !network_of(r, &w, &n, &rel) ||
	    !api_may(r, &w, PERM_NETWORK_DELETE, rel))
		return;
	rc = model_network_delete(&w.op, n.id, &ch);
	if (rc < 0) {
		model_change_free(&ch);
		api_fail(r, rc, "network");
		return;
	}
	api_changed(r, &ch);
	http_reply_empty(r);
}

/* PUT {"role":"viewer"|"manager"} and DELETE: one share of the network. */
static void share(struct http_req *r, bool put)
{
	static const char *const names[] = {"role"};
	struct api_who w;
	struct json_value root = {.type = JSON_NULL};
	struct model_network n;
	struct model_account a;
	enum model_share role = MODEL_SHARE_NONE;
	enum perm_rel rel;
	const char *s;
	size_t len;
	int64_t account;
	int rc;

	if (!api_who(r, &w) || !network_of(r, &w, &n, &rel) ||
	    !api_param_id(r, "account", &account) || (put && !api_body(r, &root, names, 1)))
		return;
	if (!api_may(r, &w, PERM_NETWORK_SHARE, rel))
		goto done;
	if (put) {
		if (mgmt_json_str(&root, "role", 1, 16, &s, &len) && strcmp(s, "viewer") == 0)
			role = MODEL_SHARE_VIEWER;
		else if (mgmt_json_str(&root, "role", 1, 16, &s, &len) &&
			 strcmp(s, "manager") == 0)
			role = MODEL_SHARE_MANAGER;
		else {
			api_bad_field(r, "role", "wants \"viewer\" or \"manager\"");
			goto done;
		}
	}
	rc = model_account_get(w.op.s, account, &a);
	if (rc == 0 && account == n.owner_id)
		rc = -EEXIST; /* the owner holds more than any share */
	if (rc == 0)
		rc = model_network_share(&w.op, n.id, account, role);
	if (rc < 0) {
		api_fail(r, rc, rc == -EEXIST ? "owner's relation" : "account");
		goto done;
	}
	api_changed(r, NULL);
	http_reply_empty(r);
done:
	json_free(&root);
}

void api_networks_share_put(struct http_req *r)
{
	share(r, true);
}

void api_networks_share_delete(struct http_req *r)
{
	share(r, false);
}

/* The device of the path's {address}: false with 404 queued. */
static bool device_at(struct http_req *r, const struct api_who *w, int64_t *id)
{
	const char *text = http_param(r, "address");
	struct json_value v = {.type = JSON_STRING};
	uint8_t addr[16];
	int rc;

	v.u.string.bytes = (char *)(uintptr_t)text;
	v.u.string.len = strlen(text);
	if (!mgmt_json_addr_value(&v, addr)) {
		http_error(r, MHD_HTTP_NOT_FOUND, "not_found",
			   "no such device (an overlay address in fc94::/16, RFC 5952 form)");
		return false;
	}
	rc = model_device_find(w->op.s, addr, id);
	if (rc < 0) {
		api_fail(r, rc, "device");
		return false;
	}
	return true;
}

static void membership(struct http_req *r, bool attach)
{
	struct api_who w;
	struct model_network n;
	struct model_change ch = {0};
	enum perm_rel rel, drel;
	int64_t dev;
	int rc;

	if (!api_who(r, &w) || !network_of(r, &w, &n, &rel) || !device_at(r, &w, &dev) ||
	    !api_may(r, &w, PERM_NETWORK_WRITE, rel))
		return;
	if (attach) {
		rc = model_device_relation(w.op.s, w.account_id, dev, &drel);
		if (rc < 0) {
			api_fail(r, rc, "device");
			return;
		}
		if (!api_may(r, &w, PERM_DEVICE_WRITE, drel))
			return;
	}
	rc = attach ? model_attach(&w.op, n.id, dev, &ch) : model_detach(&w.op, n.id, dev, &ch);
	if (rc < 0) {
		model_change_free(&ch);
		api_fail(r, rc, "membership");
		return;
	}
	api_changed(r, &ch);
	http_reply_empty(r);
}

void api_networks_attach(struct http_req *r)
{
	membership(r, true);
}

void api_networks_detach(struct http_req *r)
{
	membership(r, false);
}
