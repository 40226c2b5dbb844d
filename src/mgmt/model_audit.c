/* The audit log (see model_audit.h). */
#include "mgmt/model_audit.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/mgmt/jsonio.h"
#include "mgmt/feedmsg.h"
#include "mgmt/model_sql.h"

void model_detail_init(struct model_detail *d)
{
	outbuf_init(&d->o, d->buf, sizeof d->buf);
	outbuf_puts(&d->o, "{");
	d->first = true;
}

void model_detail_str(struct model_detail *d, const char *key, const char *value)
{
	mgmt_json_put_key(&d->o, d->first, key);
	mgmt_json_put_str(&d->o, value, strlen(value));
	d->first = false;
}

void model_detail_int(struct model_detail *d, const char *key, int64_t value)
{
	mgmt_json_put_key(&d->o, d->first, key);
	outbuf_printf(&d->o, "%lld", (long long)value);
	d->first = false;
}

const char *model_detail_finish(struct model_detail *d)
{
	outbuf_puts(&d->o, "}");
	return outbuf_finish(&d->o) > 0 ? d->buf : NULL;
}

const char *model_actor_kind_name(enum model_actor_kind k)
{
	switch (k) {
	case MODEL_ACTOR_ACCOUNT:
		return "account";
	case MODEL_ACTOR_TOKEN:
		return "token";
	case MODEL_ACTOR_DEVICE:
		return "device";
	case MODEL_ACTOR_SYSTEM:
		break;
	}
	return "system";
}

int model_audit(const struct model_op *op, const char *action, const char *target_kind,
		int64_t target_id, const char *detail)
{
	char tid[24];
	bool sys = op->who.kind == MODEL_ACTOR_SYSTEM;

	snprintf(tid, sizeof tid, "%lld", (long long)target_id);
	const struct store_arg args[] = {
	    STORE_I64(model_now_s(op)),
	    STORE_TEXT(model_actor_kind_name(op->who.kind)),
	    sys ? STORE_NULL : STORE_I64(op->who.id),
	    STORE_TEXT(action),
	    STORE_TEXT(target_kind),
	    target_id < 0 ? STORE_NULL : STORE_TEXT(tid),
	    STORE_TEXT(detail),
	    STORE_TEXT(op->who.remote),
	};

#define INSERT_AUDIT                                                      \
	"INSERT INTO audit(ts, actor_kind, actor_id, action, target_kind, " \
	"target_id, detail, remote) VALUES(?, ?, ?, ?, ?, ?, ?, ?)"

	/* On PostgreSQL the same statement tells the other servers (feed.h). */
	return store_exec_args(op->s,
			       store_kind(op->s) == STORE_POSTGRES
				   ? "WITH i AS (" INSERT_AUDIT " RETURNING id) "
				     "SELECT pg_notify('" FEED_CHANNEL "', 'a') FROM i"
				   : INSERT_AUDIT,
			       args, sizeof args / sizeof args[0]);
#undef INSERT_AUDIT
}

static void copy_col(char *out, size_t cap, struct store_stmt *st, int col)
{
	snprintf(out, cap, "%s", store_col_text(st, col));
}

static void fill_audit(struct store_stmt *st, void *row)
{
	struct model_audit_row *r = row;

	r->id = store_col_i64(st, 0);
	r->ts = store_col_i64(st, 1);
	copy_col(r->actor_kind, sizeof r->actor_kind, st, 2);
	r->actor_id = store_col_i64(st, 3);
	copy_col(r->action, sizeof r->action, st, 4);
	copy_col(r->target_kind, sizeof r->target_kind, st, 5);
	copy_col(r->target_id, sizeof r->target_id, st, 6);
	copy_col(r->detail, sizeof r->detail, st, 7);
	copy_col(r->remote, sizeof r->remote, st, 8);
}

int model_audit_list(struct store *s, int64_t after_id, size_t limit,
		     struct model_audit_row *rows, size_t *n)
{
	const struct store_arg args[] = {STORE_I64(after_id)};

	return model_page(s,
			  "SELECT id, ts, actor_kind, actor_id, action, target_kind, target_id, "
			  "detail, remote FROM audit WHERE id > ? ORDER BY id LIMIT ?",
			  args, 1, limit, rows, sizeof *rows, fill_audit, n);
}
