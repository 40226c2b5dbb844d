/*
 * The audit log: one row per mutation, written by the mutation inside its
 * own transaction (so a change and its row commit together or not at
 * all).  A row says who (actor kind and id), what (a stable action name,
 * "network.attach"), on what (target kind and id), a detail object in
 * JSON that never holds a secret (built with model_detail: names, ids,
 * flags; never a code, token, password or hash), when (unix seconds) and
 * from where (the remote address, if any).  Reads page by id: rows after
 * a given id, ascending, up to a limit.
 */
#ifndef SUBNETRA_MGMT_MODEL_AUDIT_H
#define SUBNETRA_MGMT_MODEL_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/outbuf.h"
#include "mgmt/model.h"

enum {
	MODEL_DETAIL_MAX = 1024,
	MODEL_AUDIT_PAGE_MAX = MODEL_PAGE_MAX,
};

/* A detail object under construction: {"k":"v","n":1}. */
struct model_detail {
	struct outbuf o;
	bool first;
	char buf[MODEL_DETAIL_MAX];
};

void model_detail_init(struct model_detail *d);
void model_detail_str(struct model_detail *d, const char *key, const char *value);
void model_detail_int(struct model_detail *d, const char *key, int64_t value);
/* The object's text, or NULL when it did not fit (the row then has no detail). */
const char *model_detail_finish(struct model_detail *d);

/* "account", "token", "device", "system" */
const char *model_actor_kind_name(enum model_actor_kind k);

/* One row for op's actor; target_id < 0: none; detail: a JSON object or NULL. */
int model_audit(const struct model_op *op, const char *action, const char *target_kind,
		int64_t target_id, const char *detail);

struct model_audit_row {
	int64_t id, ts, actor_id; /* actor_id 0: none */
	char actor_kind[16];
	char action[48];
	char target_kind[24];
	char target_id[32];
	char detail[MODEL_DETAIL_MAX];
	char remote[64];
};

/*
 * Rows with id > after_id, ascending, at most limit (1..MODEL_AUDIT_PAGE_MAX)
 * into rows; *n how many.  The next page starts after rows[*n - 1].id.
 */
int model_audit_list(struct store *s, int64_t after_id, size_t limit,
		     struct model_audit_row *rows, size_t *n);

#endif
