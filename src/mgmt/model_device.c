/* Devices (see model_device.h). */
#include "mgmt/model_device.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "core/mesh/name.h"
#include "core/mgmt/jsonio.h"
#include "core/mgmt/text.h"
#include "mgmt/model_audit.h"
#include "mgmt/model_graph.h"
#include "mgmt/model_sql.h"
#include "mgmt/model_version.h"

const char *model_hostname_policy_name(enum model_hostname_policy p)
{
	return p == MODEL_HOSTNAME_REPLACE_OFFLINE ? "replace-offline" : "suffix";
}

bool model_hostname_policy_parse(const char *name, enum model_hostname_policy *p)
{
	if (strcmp(name, "suffix") == 0)
		*p = MODEL_HOSTNAME_SUFFIX;
	else if (strcmp(name, "replace-offline") == 0)
		*p = MODEL_HOSTNAME_REPLACE_OFFLINE;
	else
		return false;
	return true;
}

static bool hostname_ok(const char *h)
{
	return mesh_name_valid(h, strlen(h));
}

/* The device holding hostname other than self: its id and last_seen, or -ENOENT. */
static int holder(struct store *s, const char *hostname, int64_t self, int64_t *id,
		  int64_t *last_seen)
{
	const struct store_arg args[] = {STORE_TEXT(hostname), STORE_I64(self)};
	struct store_stmt *st;
	int rc = model_first_row(
	    s, "SELECT id, coalesce(last_seen, 0) FROM devices WHERE hostname = ? AND id <> ?",
	    args, 2, &st);

	if (rc < 0)
		return rc;
	*id = store_col_i64(st, 0);
	*last_seen = store_col_i64(st, 1);
	store_finalize(st);
	return 0;
}

/* want with "-<n>" so that it stays a mesh name (the base cut to fit). */
static void with_suffix(char out[MGMT_NAME_MAX + 1], const char *want, long long n)
{
	char tail[24];
	int tl = snprintf(tail, sizeof tail, "-%lld", n);
	int base = (int)strlen(want);

	if (base > MGMT_NAME_MAX - tl)
		base = MGMT_NAME_MAX - tl;
	while (base > 0 && want[base - 1] == '-')
		base--; /* no "--" where the cut falls */
	snprintf(out, MGMT_NAME_MAX + 1, "%.*s%s", base, want, tail);
}

static int set_hostname(struct store *s, int64_t id, const char *hostname)
{
	const struct store_arg args[] = {STORE_TEXT(hostname), STORE_I64(id)};

	return store_exec_args(s, "UPDATE devices SET hostname = ? WHERE id = ?", args, 2);
}

/* The name device self gets when it wants want, by policy (see model_device.h). */
static int settle_name(const struct model_op *op, const char *want, int64_t self,
		       enum model_hostname_policy policy, char out[MGMT_NAME_MAX + 1],
		       int64_t *renamed)
{
	int64_t hid, seen;
	int rc = holder(op->s, want, self, &hid, &seen);

	*renamed = 0;
	snprintf(out, MGMT_NAME_MAX + 1, "%s", want);
	if (rc == -ENOENT)
		return 0;
	if (rc < 0)
		return rc;
	if (policy == MODEL_HOSTNAME_REPLACE_OFFLINE && seen + MODEL_OFFLINE_S < model_now_s(op)) {
		char moved[MGMT_NAME_MAX + 1];

		with_suffix(moved, want, (long long)hid);
		rc = holder(op->s, moved, hid, &hid, &seen) == -ENOENT ? 0 : -EEXIST;
		if (rc == 0) {
			rc = holder(op->s, want, self, &hid, &seen);
			if (rc == 0)
				rc = set_hostname(op->s, hid, moved);
			if (rc == 0)
				*renamed = hid;
			return rc;
		}
	}
	for (long long n = 2; n < 100000; n++) {
		with_suffix(out, want, n);
		rc = holder(op->s, out, self, &hid, &seen);
		if (rc == -ENOENT)
			return 0;
		if (rc < 0)
			return rc;
	}
	return -EEXIST;
}

int model_device_find(struct store *s, const uint8_t address[16], int64_t *id)
{
	const struct store_arg args[] = {STORE_BLOB(address, 16)};

	return model_query_i64(s, "SELECT id FROM devices WHERE address = ?", args, 1, id);
}

int model_device_count(struct store *s, int64_t *n)
{
	return model_query_i64(s, "SELECT count(*) FROM devices", NULL, 0, n);
}

int model_device_upsert(const struct model_op *op, const struct model_device_ident *ident,
			enum model_hostname_policy policy, int64_t *id, bool *created,
			int64_t *renamed)
{
	char want[MGMT_NAME_MAX + 1], name[MGMT_NAME_MAX + 1];
	struct model_device cur;
	bool asked = ident->hostname != NULL && ident->hostname[0] != '\0';
	int rc;

	*created = false;
	*renamed = 0;
	if (asked && !hostname_ok(ident->hostname))
		return -EINVAL;
	rc = model_device_find(op->s, ident->address, id);
	if (rc == 0) {
		rc = model_device_get(op->s, *id, &cur);
		if (rc < 0)
			return rc;
		if (sodium_memcmp(cur.pubkey, ident->pubkey, MGMT_PK_LEN) != 0)
			return -EPERM;
		if (!asked || strcmp(cur.hostname, ident->hostname) == 0)
			return 0; /* the same device again, under its name */
		rc = settle_name(op, ident->hostname, *id, policy, name, renamed);
		return rc < 0 ? rc : set_hostname(op->s, *id, name);
	}
	if (rc != -ENOENT)
		return rc;
	/*
	 * A placeholder name first (the row's id names a device that asked
	 * for none): "~" and the address in hex, unique as the address is and
	 * never a mesh name, replaced before the transaction ends.
	 */
	char placeholder[2 + 32];

	placeholder[0] = '~';
	mgmt_hex_encode(placeholder + 1, ident->address, 16);
	const struct store_arg args[] = {
	    STORE_BLOB(ident->address, 16), STORE_BLOB(ident->pubkey, MGMT_PK_LEN),
	    STORE_TEXT(placeholder), STORE_I64(model_now_s(op)), STORE_TEXT(ident->agent)};

	rc = model_query_i64(op->s,
			     "INSERT INTO devices(address, pubkey, hostname, created_at, agent) "
			     "VALUES(?, ?, ?, ?, ?) RETURNING id",
			     args, 5, id);
	if (rc < 0)
		return rc;
	*created = true;
	if (asked)
		snprintf(want, sizeof want, "%s", ident->hostname);
	else
		snprintf(want, sizeof want, "device-%lld", (long long)*id);
	rc = settle_name(op, want, *id, policy, name, renamed);
	return rc < 0 ? rc : set_hostname(op->s, *id, name);
}

int model_device_get(struct store *s, int64_t id, struct model_device *out)
{
	const struct store_arg args[] = {STORE_I64(id)};
	struct store_stmt *st;
	size_t na = 0, np = 0;
	int rc;

	memset(out, 0, sizeof *out);
	rc = model_first_row(s,
			     "SELECT id, coalesce(owner_id, 0), coalesce(last_seen, 0), "
			     "address, pubkey, blocked, hostname, aliases, agent FROM devices "
			     "WHERE id = ?",
			     args, 1, &st);
	if (rc < 0)
		return rc;
	out->id = store_col_i64(st, 0);
	out->owner_id = store_col_i64(st, 1);
	out->last_seen = store_col_i64(st, 2);
	rc = store_col_blob(st, 3, out->address, 16, &na);
	if (rc == 0)
		rc = store_col_blob(st, 4, out->pubkey, MGMT_PK_LEN, &np);
	out->blocked = store_col_i64(st, 5) != 0;
	snprintf(out->hostname, sizeof out->hostname, "%s", store_col_text(st, 6));
	snprintf(out->aliases, sizeof out->aliases, "%s", store_col_text(st, 7));
	snprintf(out->agent, sizeof out->agent, "%s", store_col_text(st, 8));
	if (rc == 0 && na != 16)
		rc = -EIO;
	store_finalize(st);
	return rc;
}

static void fill_id(struct store_stmt *st, void *row)
{
	((struct model_device *)row)->id = store_col_i64(st, 0);
}

int model_device_list(struct store *s, int64_t network_id, int64_t after_id, size_t limit,
		      struct model_device *rows, size_t *n)
{
	const struct store_arg args[] = {STORE_I64(after_id), STORE_I64(network_id),
					 STORE_I64(network_id)};
	int rc;

	/* The ids first, then each row (one statement open at a time: portable). */
	rc = model_page(s,
			"SELECT id FROM devices WHERE id > ? AND (? = 0 OR id IN (SELECT "
			"device_id FROM memberships WHERE network_id = ?)) ORDER BY id LIMIT ?",
			args, 3, limit, rows, sizeof *rows, fill_id, n);
	for (size_t i = 0; i < *n && rc == 0; i++)
		rc = model_device_get(s, rows[i].id, &rows[i]);
	if (rc < 0)
		*n = 0;
	return rc;
}

/*
 * The common shape of a device change: in one transaction, check the row,
 * the affected set (before: a delete removes what it is computed from),
 * the change, the version bump and the audit row.
 */
static int device_change(const struct model_op *op, int64_t id, const char *action,
			 const char *sql, const struct store_arg *args, size_t n,
			 const char *detail, struct model_change *ch)
{
	const struct store_arg idarg[] = {STORE_I64(id)};
	int rc = model_tx_begin(op->s);

	if (rc < 0)
		return rc;
	rc = model_exists(op->s, "SELECT 1 FROM devices WHERE id = ?", idarg, 1);
	if (rc == 0)
		rc = model_affected_device(op->s, id, ch);
	if (rc == 0)
		rc = store_exec_args(op->s, sql, args, n);
	if (rc == 0)
		rc = model_version_bump(op, ch);
	if (rc == 0)
		rc = model_audit(op, action, "device", id, detail);
	rc = model_tx_end(op->s, rc);
	if (rc < 0)
		model_change_free(ch);
	return rc;
}

int model_device_rename(const struct model_op *op, int64_t id, const char *hostname,
			struct model_change *ch)
{
	const struct store_arg args[] = {STORE_TEXT(hostname), STORE_I64(id)};
	const struct store_arg taken[] = {STORE_TEXT(hostname), STORE_I64(id)};
	struct model_detail d;

	if (!hostname_ok(hostname))
		return -EINVAL;
	if (model_exists(op->s, "SELECT 1 FROM devices WHERE hostname = ? AND id <> ?", taken,
			 2) == 0)
		return -EEXIST;
	model_detail_init(&d);
	model_detail_str(&d, "hostname", hostname);
	return device_change(op, id, "device.rename",
			     "UPDATE devices SET hostname = ? WHERE id = ?", args, 2,
			     model_detail_finish(&d), ch);
}

int model_device_set_aliases(const struct model_op *op, int64_t id,
			     const char *const *aliases, size_t n, struct model_change *ch)
{
	char json[(MGMT_NAME_MAX + 3) * MGMT_ALIASES_MAX + 3];
	struct model_detail d;
	struct outbuf o;

	if (n > MGMT_ALIASES_MAX)
		return -EINVAL;
	outbuf_init(&o, json, sizeof json);
	outbuf_puts(&o, "[");
	for (size_t i = 0; i < n; i++) {
		if (!hostname_ok(aliases[i]))
			return -EINVAL;
		if (i > 0)
			outbuf_puts(&o, ",");
		mgmt_json_put_str(&o, aliases[i], strlen(aliases[i]));
	}
	outbuf_puts(&o, "]");
	if (outbuf_finish(&o) == 0)
		return -EINVAL;
	const struct store_arg args[] = {STORE_TEXT(json), STORE_I64(id)};

	model_detail_init(&d);
	model_detail_int(&d, "aliases", (int64_t)n);
	return device_change(op, id, "device.aliases",
			     "UPDATE devices SET aliases = ? WHERE id = ?", args, 2,
			     model_detail_finish(&d), ch);
}

int model_device_set_blocked(const struct model_op *op, int64_t id, bool blocked,
			     struct model_change *ch)
{
	const struct store_arg args[] = {STORE_I64(blocked), STORE_I64(id)};

	return device_change(op, id, blocked ? "device.block" : "device.unblock",
			     "UPDATE devices SET blocked = ? WHERE id = ?", args, 2, NULL, ch);
}

int model_device_delete(const struct model_op *op, int64_t id, struct model_change *ch)
{
	const struct store_arg args[] = {STORE_I64(id)};

	return device_change(op, id, "device.delete", "DELETE FROM devices WHERE id = ?", args,
			     1, NULL, ch);
}

int model_device_leave(const struct model_op *op, int64_t id, struct model_change *ch)
{
	const struct store_arg args[] = {STORE_I64(id)};

	return device_change(op, id, "device.leave",
			     "DELETE FROM memberships WHERE device_id = ?", args, 1, NULL, ch);
}

int model_device_seen(struct store *s, int64_t id, int64_t now_s, const char *agent)
{
	const struct store_arg args[] = {STORE_I64(now_s), STORE_TEXT(agent), STORE_I64(id)};

	return store_exec_args(s,
			       "UPDATE devices SET last_seen = ?, agent = coalesce(?, agent) "
			       "WHERE id = ?",
			       args, 3);
}
