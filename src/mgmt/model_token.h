/*
 * API tokens: "snt_<prefix>_<secret>", 10 and 40 lowercase hex digits (5
 * and 20 random bytes), shown once at creation.  The prefix names the
 * token (the database's key, shown in lists and the audit log: not
 * secret); the server keeps only the peppered hash of prefix and secret
 * (secret.h, kind "subnetra/token").  A token has one scope (read, write,
 * admin: model_perm.h), an optional expiry, and can be revoked; a use
 * records last_used (bookkeeping, not audited).  A disabled account's
 * tokens fail the check.
 */
#ifndef SUBNETRA_MGMT_MODEL_TOKEN_H
#define SUBNETRA_MGMT_MODEL_TOKEN_H

#include <stdint.h>

#include "mgmt/model.h"
#include "mgmt/model_account.h"
#include "mgmt/model_perm.h"

#define MODEL_TOKEN_TAG "snt_"

enum {
	MODEL_TOKEN_PREFIX_LEN = 5,
	MODEL_TOKEN_SECRET_LEN = 20,
	MODEL_TOKEN_PREFIX_TEXT = 2 * MODEL_TOKEN_PREFIX_LEN + 1,
	MODEL_TOKEN_LEN = 4 + 2 * MODEL_TOKEN_PREFIX_LEN + 1 + 2 * MODEL_TOKEN_SECRET_LEN, /* 55 */
};

const char *model_scope_name(enum perm_scope s);

/*
 * A new token of account_id (expires_at unix seconds, 0: never): its text
 * into out (shown once), its row id into *id.  Audited "token.create"
 * with its prefix and scope.
 */
int model_token_create(const struct model_op *op, int64_t account_id, enum perm_scope scope,
		       const char *description, int64_t expires_at,
		       char out[MODEL_TOKEN_LEN + 1], int64_t *id);

struct model_token {
	int64_t id, account_id;
	enum perm_scope scope;
	enum model_role role; /* the account's, read with the token */
};

/*
 * The live token text names: 0, -EACCES (malformed, unknown, wrong,
 * expired, revoked, disabled), or another -errno when the database failed.
 */
int model_token_check(struct store *s, const uint8_t *pepper, int64_t now_ms, const char *text,
		      struct model_token *out);
struct model_token_info {
	int64_t id, created_at, expires_at, last_used, revoked_at; /* 0: none */
	enum perm_scope scope;
	char prefix[MODEL_TOKEN_PREFIX_TEXT];
	char description[128];
};

/* account_id's tokens (revoked ones too), newest id last, at most limit (1..MODEL_PAGE_MAX). */
int model_token_list(struct store *s, int64_t account_id, int64_t after_id, size_t limit,
		     struct model_token_info *rows, size_t *n);

/* -ENOENT when no such live token. */
int model_token_revoke(const struct model_op *op, int64_t id);

/* The account a token (revoked or not) belongs to: 0, or -ENOENT. */
int model_token_owner(struct store *s, int64_t id, int64_t *account_id);

#endif
