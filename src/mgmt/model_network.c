/* Networks, shares, memberships (see model_network.h). */
#include "mgmt/model_network.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "core/mgmt/text.h"
#include "mgmt/model_audit.h"
#include "mgmt/model_graph.h"
#include "mgmt/model_sql.h"
#include "mgmt/model_version.h"

static bool name_ok(const char *name)
{
	size_t n = strlen(name);

	return n > 0 && n <= MODEL_NETWORK_NAME_MAX && mgmt_text_printable(name, n);
}

static int named_detail(const struct model_op *op, const char *action, int64_t id,
			const char *name)
{
	struct model_detail d;

	model_detail_init(&d);
	model_detail_str(&d, "name", name);
	return model_audit(op, action, "network", id, model_detail_finish(&d));
}

int model_network_create(const struct model_op *op, int64_t owner_id, const char *name,
			 int64_t *id)
{
	uint8_t raw[16];
	char uuid[MODEL_UUID_TEXT];
	int rc;

	if (!name_ok(name))
		return -EINVAL;
	randombytes_buf(raw, sizeof raw);
	mgmt_hex_encode(uuid, raw, sizeof raw);
	const struct store_arg args[] = {STORE_TEXT(uuid), STORE_I64(owner_id), STORE_TEXT(name),
					 STORE_I64(model_now_s(op))};

	rc = model_tx_begin(op->s);
	if (rc < 0)
		return rc;
	rc = model_query_i64(op->s,
			     "INSERT INTO networks(uuid, owner_id, name, created_at) "
			     "VALUES(?, ?, ?, ?) RETURNING id",
			     args, 4, id);
	if (rc == 0)
		rc = named_detail(op, "network.create", *id, name);
	return model_tx_end(op->s, rc);
}

int model_network_rename(const struct model_op *op, int64_t id, const char *name)
{
	const struct store_arg idarg[] = {STORE_I64(id)};
	const struct store_arg args[] = {STORE_TEXT(name), STORE_I64(id)};
	int rc;

	if (!name_ok(name))
		return -EINVAL;
	rc = model_tx_begin(op->s);
	if (rc < 0)
		return rc;
	rc = model_exists(op->s, "SELECT 1 FROM networks WHERE id = ?", idarg, 1);
	if (rc == 0)
		rc = store_exec_args(op->s, "UPDATE networks SET name = ? WHERE id = ?", args, 2);
	if (rc == 0)
		rc = named_detail(op, "network.rename", id, name);
	return model_tx_end(op->s, rc);
}

int model_network_delete(const struct model_op *op, int64_t id, struct model_change *ch)
{
	const struct store_arg idarg[] = {STORE_I64(id)};
	int rc = model_tx_begin(op->s);

	if (rc < 0)
		return rc;
	rc = model_exists(op->s, "SELECT 1 FROM networks WHERE id = ?", idarg, 1);
	/* Its members, while they still are. */
	if (rc == 0)
		rc = model_affected_membership(op->s, id, 0, ch);
	if (rc == 0)
		rc = store_exec_args(op->s, "DELETE FROM networks WHERE id = ?", idarg, 1);
	if (rc == 0)
		rc = model_version_bump(op, ch);
	if (rc == 0)
		rc = model_audit(op, "network.delete", "network", id, NULL);
	rc = model_tx_end(op->s, rc);
	if (rc < 0)
		model_change_free(ch);
	return rc;
}

static const char *share_name(enum model_share r)
{
	return r == MODEL_SHARE_MANAGER ? "manager" : r == MODEL_SHARE_VIEWER ? "viewer" : "none";
}

int model_network_share(const struct model_op *op, int64_t network_id, int64_t account_id,
			enum model_share role)
{
	const struct store_arg pair[] = {STORE_I64(network_id), STORE_I64(account_id)};
	const struct store_arg ins[] = {STORE_I64(network_id), STORE_I64(account_id),
					STORE_TEXT(share_name(role))};
	struct model_detail d;
	int rc = model_tx_begin(op->s);

	if (rc < 0)
		return rc;
	rc = store_exec_args(op->s,
			     "DELETE FROM network_shares WHERE network_id = ? AND account_id = ?",
			     pair, 2);
	if (rc == 0 && role != MODEL_SHARE_NONE)
		rc = store_exec_args(op->s,
				     "INSERT INTO network_shares(network_id, account_id, role) "
				     "VALUES(?, ?, ?)",
				     ins, 3);
	model_detail_init(&d);
	model_detail_int(&d, "account", account_id);
	model_detail_str(&d, "role", share_name(role));
	if (rc == 0)
		rc = model_audit(op, "network.share", "network", network_id,
				 model_detail_finish(&d));
	return model_tx_end(op->s, rc);
}

int model_network_relation(struct store *s, int64_t account_id, int64_t network_id,
			   enum perm_rel *rel)
{
	const struct store_arg args[] = {STORE_I64(account_id), STORE_I64(network_id)};
	char role[16];
	int64_t owner;
	int rc;

	*rel = PERM_REL_NONE;
	rc = model_query_i64(s, "SELECT owner_id FROM networks WHERE id = ?", &args[1], 1,
			     &owner);
	if (rc < 0)
		return rc;
	if (owner == account_id) {
		*rel = PERM_REL_OWNER;
		return 0;
	}
	rc = model_query_text(s,
			      "SELECT role FROM network_shares WHERE account_id = ? AND "
			      "network_id = ?",
			      args, 2, role, sizeof role);
	if (rc == 0)
		*rel = strcmp(role, "manager") == 0 ? PERM_REL_MANAGER : PERM_REL_VIEWER;
	return rc == -ENOENT ? 0 : rc;
}

int model_device_relation(struct store *s, int64_t account_id, int64_t device_id,
			  enum perm_rel *rel)
{
	const struct store_arg args[] = {STORE_I64(device_id)};
	int64_t owner;
	int rc;

	*rel = PERM_REL_NONE;
	rc = model_query_i64(s, "SELECT coalesce(owner_id, 0) FROM devices WHERE id = ?", args,
			     1, &owner);
	return rc < 0 ? rc : model_device_relation_owned(s, account_id, device_id, owner, rel);
}

int model_device_relation_owned(struct store *s, int64_t account_id, int64_t device_id,
				int64_t owner, enum perm_rel *rel)
{
	const struct store_arg args[] = {STORE_I64(device_id)};
	struct store_stmt *st;
	int rc;

	*rel = PERM_REL_NONE;
	if (owner == account_id) {
		*rel = PERM_REL_OWNER;
		return 0;
	}
	rc = store_prepare_args(s, "SELECT network_id FROM memberships WHERE device_id = ?",
				args, 1, &st);
	if (rc < 0)
		return rc;
	while ((rc = store_step(st)) == STORE_ROW) {
		enum perm_rel r;
		int e = model_network_relation(s, account_id, store_col_i64(st, 0), &r);

		if (e < 0) {
			rc = e;
			break;
		}
		if (r > *rel)
			*rel = r;
	}
	store_finalize(st);
	return rc < 0 ? rc : 0;
}

#define NETWORK_COLS                                                                   \
	"SELECT n.id, n.owner_id, n.created_at, (SELECT count(*) FROM memberships m "    \
	"WHERE m.network_id = n.id), n.uuid, n.name FROM networks n "

static void fill_network(struct store_stmt *st, void *row)
{
	struct model_network *r = row;

	r->id = store_col_i64(st, 0);
	r->owner_id = store_col_i64(st, 1);
	r->created_at = store_col_i64(st, 2);
	r->members = store_col_i64(st, 3);
	snprintf(r->uuid, sizeof r->uuid, "%s", store_col_text(st, 4));
	snprintf(r->name, sizeof r->name, "%s", store_col_text(st, 5));
}

int model_network_list(struct store *s, int64_t account_id, int64_t after_id, size_t limit,
		       struct model_network *rows, size_t *n)
{
	const struct store_arg args[] = {STORE_I64(after_id), STORE_I64(account_id),
					 STORE_I64(account_id), STORE_I64(account_id)};

	return model_page(s,
			  NETWORK_COLS "WHERE n.id > ? AND (? = 0 OR n.owner_id = ? OR "
				       "EXISTS(SELECT 1 FROM network_shares h WHERE "
				       "h.network_id = n.id AND h.account_id = ?)) "
				       "ORDER BY n.id LIMIT ?",
			  args, 4, limit, rows, sizeof *rows, fill_network, n);
}

int model_network_get(struct store *s, int64_t id, struct model_network *out)
{
	const struct store_arg args[] = {STORE_I64(id)};
	size_t n = 0;
	int rc = model_page(s, NETWORK_COLS "WHERE n.id = ? LIMIT ?", args, 1, 1, out,
			    sizeof *out, fill_network, &n);

	return rc < 0 ? rc : n == 1 ? 0 : -ENOENT;
}

int model_attach_in_tx(const struct model_op *op, int64_t network_id, int64_t device_id)
{
	const struct store_arg args[] = {STORE_I64(network_id), STORE_I64(device_id),
					 op->who.account_id > 0 ? STORE_I64(op->who.account_id)
								: STORE_NULL,
					 STORE_I64(model_now_s(op))};
	const struct store_arg nid[] = {STORE_I64(network_id)}, did[] = {STORE_I64(device_id)};
	int rc = model_exists(op->s, "SELECT 1 FROM networks WHERE id = ?", nid, 1);

	if (rc == 0)
		rc = model_exists(op->s, "SELECT 1 FROM devices WHERE id = ?", did, 1);
	if (rc == 0)
		rc = store_exec_args(op->s,
				     "INSERT INTO memberships(network_id, device_id, added_by, "
				     "added_at) VALUES(?, ?, ?, ?)",
				     args, 4);
	return rc;
}

/* The audit row and version of a membership change, and its affected set. */
static int membership_done(const struct model_op *op, const char *action, int64_t network_id,
			   int64_t device_id, struct model_change *ch)
{
	struct model_detail d;
	int rc = model_affected_membership(op->s, network_id, device_id, ch);

	if (rc == 0)
		rc = model_version_bump(op, ch);
	model_detail_init(&d);
	model_detail_int(&d, "device", device_id);
	if (rc == 0)
		rc = model_audit(op, action, "network", network_id, model_detail_finish(&d));
	rc = model_tx_end(op->s, rc);
	if (rc < 0)
		model_change_free(ch);
	return rc;
}

int model_attach(const struct model_op *op, int64_t network_id, int64_t device_id,
		 struct model_change *ch)
{
	int rc = model_tx_begin(op->s);

	if (rc < 0)
		return rc;
	rc = model_attach_in_tx(op, network_id, device_id);
	if (rc < 0)
		return model_tx_end(op->s, rc);
	return membership_done(op, "network.attach", network_id, device_id, ch);
}

int model_detach(const struct model_op *op, int64_t network_id, int64_t device_id,
		 struct model_change *ch)
{
	const struct store_arg args[] = {STORE_I64(network_id), STORE_I64(device_id)};
	int rc = model_tx_begin(op->s);

	if (rc < 0)
		return rc;
	rc = model_exists(op->s,
			  "SELECT 1 FROM memberships WHERE network_id = ? AND device_id = ?",
			  args, 2);
	if (rc == 0)
		rc = store_exec_args(op->s,
				     "DELETE FROM memberships WHERE network_id = ? AND device_id = ?",
				     args, 2);
	if (rc < 0)
		return model_tx_end(op->s, rc);
	return membership_done(op, "network.detach", network_id, device_id, ch);
}
