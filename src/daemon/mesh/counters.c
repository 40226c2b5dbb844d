/* Mesh counters: the one walk that status text and JSON share (counters.h). */
#include "daemon/mesh/counters.h"

#include <inttypes.h>
#include <stdio.h>

#include "core/outbuf.h"

void mesh_reason_counters_each(const uint64_t *msg, const uint64_t *hs, const uint64_t *data,
			       const uint64_t *basectl, mesh_counter_fn *fn, void *ctx)
{
	char name[64];

	for (int i = MSG_CLASS_FIRST_DROP; i < MSG_CLASS_END; i++) {
		snprintf(name, sizeof(name), "drop_mesh_%s", msg_class_name((enum msg_class)i));
		fn(ctx, name, msg[i]);
	}
	for (int i = HS_OK + 1; i < HS_REASON_END; i++) {
		snprintf(name, sizeof(name), "drop_mesh_hs_%s", hs_reason_name((enum hs_reason)i));
		fn(ctx, name, hs[i]);
	}
	for (int i = SESSION_FIRST_DROP; i < SESSION_VERDICT_END; i++) {
		snprintf(name, sizeof(name), "drop_mesh_data_%s",
			 session_verdict_name((enum session_verdict)i));
		fn(ctx, name, data[i]);
	}
	for (int i = BASECTL_OK + 1; i < BASECTL_RESULT_END; i++) {
		if (i == BASECTL_NO_SPACE)
			continue; /* encoding only */
		snprintf(name, sizeof(name), "drop_basectl_%s",
			 basectl_result_name((enum basectl_result)i));
		fn(ctx, name, basectl[i]);
	}
}

void mesh_counters_each(const struct mesh_counters *c, mesh_counter_fn *fn, void *ctx)
{
	char name[64];

#define MESH_COUNTER_EACH(n) fn(ctx, #n, c->n);
	MESH_COUNTERS(MESH_COUNTER_EACH)
#undef MESH_COUNTER_EACH
	mesh_reason_counters_each(c->msg, c->hs, c->data, c->basectl, fn, ctx);
	for (int i = BEACON_OK + 1; i < BEACON_RESULT_END; i++) {
		if (i == BEACON_NO_SPACE)
			continue; /* encoding only */
		snprintf(name, sizeof(name), "drop_beacon_%s",
			 beacon_result_name((enum beacon_result)i));
		fn(ctx, name, c->beacon[i]);
	}
}

void mesh_counter_text(void *ctx, const char *name, uint64_t v)
{
	outbuf_printf(ctx, "  %s=%" PRIu64 "\n", name, v);
}

void mesh_counter_json(void *ctx, const char *name, uint64_t v)
{
	struct mesh_counter_json *j = ctx;

	outbuf_printf(j->o, "%s\"%s\":%" PRIu64, j->first ? "" : ",", name, v);
	j->first = false;
}
