/*
 * The management server's data model (src/mgmt/model_*.c), shared types:
 * who makes a change and when.  Every mutation of the model takes a
 * struct model_op, runs in ONE transaction with exactly one audit row
 * (model_audit.h), and when devices can see the change, bumps the
 * instance version (model_version.h) in that same transaction.  Nothing
 * here speaks HTTP; the server maps -errno to its JSON errors.
 *
 * Times: the database keeps unix seconds (schema.c), except the version
 * serial, which is unix milliseconds.  op->now_ms is the caller's clock, so
 * tests drive time.
 */
#ifndef SUBNETRA_MGMT_MODEL_H
#define SUBNETRA_MGMT_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/mgmt/secret.h"
#include "mgmt/store.h"

enum model_actor_kind {
	MODEL_ACTOR_ACCOUNT,
	MODEL_ACTOR_TOKEN,
	MODEL_ACTOR_DEVICE,
	MODEL_ACTOR_SYSTEM,
};

/* Who: the audit log's actor (id: the row's, ignored for SYSTEM). */
struct model_actor {
	enum model_actor_kind kind;
	int64_t id;
	int64_t account_id; /* the account acting (TOKEN: the token's owner); 0 for none */
	const char *remote; /* where from: an address text, or NULL */
};

enum {
	MODEL_PAGE_MAX = 500, /* rows of one page of a list (audit, networks, devices, tokens) */
};

struct model_op {
	struct store *s;
	struct model_actor who;
	int64_t now_ms;
	const uint8_t *pepper; /* MGMT_PEPPER_LEN bytes: the keyed hashes' key */
};

static inline int64_t model_now_s(const struct model_op *op)
{
	return op->now_ms / 1000;
}

/*
 * What a change means for devices: the version it was made under, and the
 * devices whose bundles it can alter (ascending ids; owned, free with
 * model_change_free).  Filled by mutations that devices can see.
 */
struct model_change {
	int64_t epoch, serial;
	uint64_t *affected;
	size_t n_affected;
	bool all; /* every device (a license change: every bundle names its serial) */
};

void model_change_free(struct model_change *ch);

#endif
