/* Mesh counters: the one walk that status text and JSON share (counters.h). */
#include "daemon/mesh/counters.h"

#include <stdio.h>

void mesh_counters_each(const struct mesh_counters *c, mesh_counter_fn *fn, void *ctx)
{
	char name[64];

#define MESH_COUNTER_EACH(n) fn(ctx, #n, c->n);
	MESH_COUNTERS(MESH_COUNTER_EACH)
#undef MESH_COUNTER_EACH
	for (int i = MSG_CLASS_FIRST_DROP; i < MSG_CLASS_END; i++) {
		snprintf(name, sizeof(name), "drop_mesh_%s", msg_class_name((enum msg_class)i));
		fn(ctx, name, c->msg[i]);
	}
	for (int i = HS_OK + 1; i < HS_REASON_END; i++) {
		snprintf(name, sizeof(name), "drop_mesh_hs_%s", hs_reason_name((enum hs_reason)i));
		fn(ctx, name, c->hs[i]);
	}
	for (int i = SESSION_FIRST_DROP; i < SESSION_VERDICT_END; i++) {
		snprintf(name, sizeof(name), "drop_mesh_data_%s",
			 session_verdict_name((enum session_verdict)i));
		fn(ctx, name, c->data[i]);
	}
	for (int i = BEACON_OK + 1; i < BEACON_RESULT_END; i++) {
		if (i == BEACON_NO_SPACE)
			continue; /* encoding only */
		snprintf(name, sizeof(name), "drop_beacon_%s",
			 beacon_result_name((enum beacon_result)i));
		fn(ctx, name, c->beacon[i]);
	}
	for (int i = BASECTL_OK + 1; i < BASECTL_RESULT_END; i++) {
		if (i == BASECTL_NO_SPACE)
			continue; /* encoding only */
		snprintf(name, sizeof(name), "drop_basectl_%s",
			 basectl_result_name((enum basectl_result)i));
		fn(ctx, name, c->basectl[i]);
	}
}
