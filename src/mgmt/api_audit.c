/*
 * GET /api/v1/audit?limit=&cursor=: the audit log, oldest first, paged by
 * row id (PERM_AUDIT_READ: admins; a token needs the read scope).  A row's
 * detail is the model's JSON object, which never holds a secret.
 */
#include <stdlib.h>
#include <string.h>

#include "core/mgmt/jsonio.h"
#include "mgmt/api.h"
#include "mgmt/mgmtd.h"
#include "mgmt/model_audit.h"

static void put_row(struct outbuf *o, const void *row)
{
	const struct model_audit_row *a = row;

	outbuf_printf(o, "{\"id\":%lld,\"ts\":%lld,\"actor\":{\"kind\":", (long long)a->id,
		      (long long)a->ts);
	mgmt_json_put_str(o, a->actor_kind, strlen(a->actor_kind));
	if (a->actor_id != 0)
		outbuf_printf(o, ",\"id\":%lld}", (long long)a->actor_id);
	else
		outbuf_puts(o, ",\"id\":null}");
	mgmt_json_put_kstr(o, "action", a->action, strlen(a->action));
	mgmt_json_put_kstr(o, "target_kind", a->target_kind, strlen(a->target_kind));
	mgmt_json_put_kstr(o, "target_id", a->target_id, strlen(a->target_id));
	/* detail: the model's own JSON object (json_valid in the schema). */
	outbuf_printf(o, ",\"detail\":%s", a->detail[0] ? a->detail : "null");
	if (a->remote[0])
		mgmt_json_put_kstr(o, "remote", a->remote, strlen(a->remote));
	else
		outbuf_puts(o, ",\"remote\":null");
	outbuf_puts(o, "}");
}

static int read_audit(struct store *s, int64_t owner, int64_t after, size_t limit,
		      void *rows, size_t *n)
{
	(void)owner;
	return model_audit_list(s, after, limit, rows, n);
}

void api_audit_list(struct http_req *r)
{
	struct api_who w;

	if (api_who(r, &w) && api_may(r, &w, PERM_AUDIT_READ, PERM_REL_NONE))
		api_list(r, 0, sizeof(struct model_audit_row), read_audit, put_row, "audit row");
}
